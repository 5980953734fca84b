"""How model records map to store tables: one column per stored field, named like the field.

The model declares each record's table (`TABLE`) and how each field is kept (plan.model.ColumnSpec).
These helpers turn records into rows and rows back into records, so that no query spells out a
record's columns and a new field needs only its migration. Table and column names come from the
model, never from user input, so they may be put into SQL text; values always go as parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from komae_kpi.plan.model import (
    Department,
    ReferenceSeries,
    StatusTerm,
    StockFlow,
    TableRecord,
    columns,
    key_names,
)

R = TypeVar("R", bound=TableRecord)

# Kept in the order of their file: the store numbers their rows in a column sort_order.
KEEPS_FILE_ORDER: tuple[type[TableRecord], ...] = (Department, ReferenceSeries)
# Read back in the order of a field of their own; every other table is read in key order.
_ORDER_BY: dict[type[TableRecord], tuple[str, ...]] = {
    StatusTerm: ("sort_order",),
    StockFlow: ("indicator_no", "sort_order"),
}


def stored_names(record_type: type[TableRecord]) -> list[str]:
    """The store columns of a record class, in field order."""
    return [name for name, c in columns(record_type) if c.stored]


def stored_row(record: TableRecord) -> dict[str, Any]:
    """A record's stored fields by column name."""
    return {name: getattr(record, name) for name in stored_names(type(record))}


def table_rows(
    record_type: type[TableRecord], records: Iterable[TableRecord]
) -> list[dict[str, Any]]:
    """The rows that hold these records, numbered in sort_order where the table keeps file order."""
    rows = [stored_row(r) for r in records]
    if record_type in KEEPS_FILE_ORDER:
        return [row | {"sort_order": n} for n, row in enumerate(rows, start=1)]
    return rows


def insert_sql(table: str, names: Sequence[str], verb: str = "INSERT") -> str:
    """`INSERT INTO table (a, b) VALUES (?, ?)`, the values to be passed as parameters."""
    return f"{verb} INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"


def select_sql(record_type: type[TableRecord], where: Sequence[str] = ()) -> str:
    """`SELECT <stored columns> FROM <table> [WHERE a = ? AND …] ORDER BY …`."""
    if record_type in KEEPS_FILE_ORDER:
        order = ["sort_order"]
    else:
        order = list(_ORDER_BY.get(record_type, ())) or key_names(record_type)
    condition = " WHERE " + " AND ".join(f"{name} = ?" for name in where) if where else ""
    return (
        f"SELECT {', '.join(stored_names(record_type))} FROM {record_type.TABLE}{condition}"
        f" ORDER BY {', '.join(order)}"
    )


def record_from(
    record_type: type[R],
    values: Sequence[Any],
    fill: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> R:
    """A record from a row of select_sql(record_type).

    fill: computes, from the stored row, the fields the table does not store (an item's
    departments); called only for record classes that have such fields.
    """
    names = stored_names(record_type)
    row = dict(zip(names, values, strict=True))
    unstored = len(names) < len(columns(record_type))
    return record_type(**row, **(fill(row) if fill and unstored else {}))
