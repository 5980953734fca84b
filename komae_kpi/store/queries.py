"""Named read queries on the store. Each returns typed values, never a live cursor."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import duckdb

from komae_kpi.plan.model import (
    IndicatorValue,
    ItemStatus,
    Plan,
    ReferenceSeries,
    ReferenceValue,
    TableRecord,
    plan_parts,
)
from komae_kpi.store.connection import fetch_all
from komae_kpi.store.tables import record_from, select_sql

R = TypeVar("R", bound=TableRecord)


def select_records(
    con: duckdb.DuckDBPyConnection,
    record_type: type[R],
    where: Mapping[str, object] | None = None,
    fill: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> list[R]:
    """Every record of a class, or those whose columns equal `where`, in the table's order.

    fill: see record_from.
    """
    where = where or {}
    return [
        record_from(record_type, row, fill)
        for row in fetch_all(con, select_sql(record_type, list(where)), list(where.values()))
    ]


def read_plan(con: duckdb.DuckDBPyConnection) -> Plan:
    departments_of: dict[int, list[str]] = defaultdict(list)
    for item_no, department in fetch_all(
        con, "SELECT item_no, department FROM item_departments ORDER BY item_no, seq"
    ):
        departments_of[item_no].append(department)

    def departments(item: dict[str, Any]) -> dict[str, Any]:
        # The one field of the plan kept in a table of its own (see Item.departments).
        return {"departments": tuple(departments_of[item["item_no"]])}

    parts: dict[str, Any] = {
        name: tuple(select_records(con, part, fill=departments)) for name, part in plan_parts()
    }
    return Plan(**parts)


def read_indicator_values(con: duckdb.DuckDBPyConnection) -> list[IndicatorValue]:
    return select_records(con, IndicatorValue)


def read_item_statuses(con: duckdb.DuckDBPyConnection) -> list[ItemStatus]:
    return select_records(con, ItemStatus)


def read_reference_series(con: duckdb.DuckDBPyConnection) -> list[ReferenceSeries]:
    return select_records(con, ReferenceSeries)


def read_reference_values(con: duckdb.DuckDBPyConnection) -> list[ReferenceValue]:
    return select_records(con, ReferenceValue)
