"""Named read queries on the store. Each returns typed values, never a live cursor."""

from __future__ import annotations

from collections import defaultdict
from typing import cast

import duckdb

from komae_kpi.plan.model import (
    Comparator,
    Department,
    DepartmentKind,
    Direction,
    Indicator,
    IndicatorPolicy,
    IndicatorValue,
    Item,
    ItemStatus,
    JudgementRule,
    MeasuredAt,
    Plan,
    Policy,
    Program,
    ReferenceSeries,
    ReferenceValue,
    StatusTerm,
)
from komae_kpi.store.connection import fetch_all


def read_plan(con: duckdb.DuckDBPyConnection) -> Plan:
    departments_of: dict[int, list[str]] = defaultdict(list)
    for item_no, department in fetch_all(
        con, "SELECT item_no, department FROM item_departments ORDER BY item_no, seq"
    ):
        departments_of[item_no].append(department)
    return Plan(
        policies=tuple(
            Policy(*r)
            for r in fetch_all(con, "SELECT policy_no, name FROM policies ORDER BY policy_no")
        ),
        directions=tuple(
            Direction(*r)
            for r in fetch_all(
                con,
                "SELECT policy_no, direction_no, name, alias, lead FROM directions"
                " ORDER BY policy_no, direction_no",
            )
        ),
        programs=tuple(
            Program(*r)
            for r in fetch_all(
                con,
                "SELECT policy_no, direction_no, program_no, name, alias, lead FROM programs"
                " ORDER BY policy_no, direction_no, program_no",
            )
        ),
        items=tuple(
            Item(no, p, d, g, name, alias, tuple(departments_of[no]), repost_of, text)
            for no, p, d, g, name, alias, repost_of, text in fetch_all(
                con,
                "SELECT item_no, policy_no, direction_no, program_no, name, alias, repost_of, text"
                " FROM items ORDER BY item_no",
            )
        ),
        departments=tuple(
            Department(name, cast(DepartmentKind, kind), note)
            for name, kind, note in fetch_all(
                con, "SELECT name, kind, note FROM departments ORDER BY sort_order"
            )
        ),
        indicators=tuple(
            Indicator(
                no,
                name,
                unit,
                bfy,
                float(bv),
                tfy,
                float(tv),
                cast(Comparator, comp),
                cast(MeasuredAt, measured),
                desc,
                note,
            )
            for no, name, unit, bfy, bv, tfy, tv, comp, measured, desc, note in fetch_all(
                con,
                "SELECT indicator_no, name, unit, baseline_fiscal_year, baseline_value,"
                " target_fiscal_year, target_value, comparator, measured_at, description, note"
                " FROM indicators ORDER BY indicator_no",
            )
        ),
        rules=tuple(
            JudgementRule(*r)
            for r in fetch_all(
                con,
                "SELECT indicator_no, path_tolerance, headroom_margin, basis, min_value, max_value"
                " FROM indicator_rules"
                " ORDER BY indicator_no",
            )
        ),
        indicator_policies=tuple(
            IndicatorPolicy(*r)
            for r in fetch_all(
                con,
                "SELECT indicator_no, policy_no, basis FROM indicator_policies"
                " ORDER BY indicator_no, policy_no",
            )
        ),
        statuses=tuple(
            StatusTerm(*r)
            for r in fetch_all(
                con,
                "SELECT status, sort_order, category, description FROM status_vocabulary"
                " ORDER BY sort_order",
            )
        ),
    )


def read_indicator_values(con: duckdb.DuckDBPyConnection) -> list[IndicatorValue]:
    return [
        IndicatorValue(no, fy, float(value), source, note)
        for no, fy, value, source, note in fetch_all(
            con,
            "SELECT indicator_no, fiscal_year, value, source, note FROM indicator_values"
            " ORDER BY indicator_no, fiscal_year",
        )
    ]


def read_item_statuses(con: duckdb.DuckDBPyConnection) -> list[ItemStatus]:
    return [
        ItemStatus(*r)
        for r in fetch_all(
            con,
            "SELECT item_no, fiscal_year, status, achievements, issues, next_steps"
            " FROM item_statuses ORDER BY item_no, fiscal_year",
        )
    ]


def read_reference_series(con: duckdb.DuckDBPyConnection) -> list[ReferenceSeries]:
    return [
        ReferenceSeries(*r)
        for r in fetch_all(
            con,
            "SELECT series_code, name, unit, decimals, description FROM reference_series"
            " ORDER BY sort_order",
        )
    ]


def read_reference_values(con: duckdb.DuckDBPyConnection) -> list[ReferenceValue]:
    return [
        ReferenceValue(code, fy, float(value), source, note)
        for code, fy, value, source, note in fetch_all(
            con,
            "SELECT series_code, fiscal_year, value, source, note FROM reference_values"
            " ORDER BY series_code, fiscal_year",
        )
    ]
