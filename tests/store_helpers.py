"""Reading a whole store back, to prove that an operation changed nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest

from komae_kpi.plan.model import StockFlow


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted, in a fresh read-only connection."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables ORDER BY table_name"
            ).fetchall()
        ]
        return {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    finally:
        con.close()


def write_shipped_history_before_stages(con: duckdb.DuckDBPyConnection, history: Any) -> tuple[()]:
    """The shipped history as init wrote it before actuals had a stage (schema 7 and earlier):
    for tests that build a store of an older schema with init_store and fewer migrations."""
    from komae_kpi.plan.model import ReferenceSeries, ReferenceValue
    from komae_kpi.store.connection import INIT_USER, _replace_records

    con.executemany(
        "INSERT INTO indicator_values (indicator_no, fiscal_year, value, source, note, origin,"
        " updated_at, updated_by) VALUES (?, ?, ?, ?, ?, 'shipped', now(), ?)",
        [
            [v.indicator_no, v.fiscal_year, v.value, v.source, v.note, INIT_USER]
            for v in history.indicator_values
        ],
    )
    _replace_records(con, ReferenceSeries, history.reference_series)
    _replace_records(con, ReferenceValue, history.reference_values)
    return ()  # nothing restored: init_store's InitReport.restored


def overwrite_published(
    path: Path, indicator_no: int, fiscal_year: int, value: float, *, source: str, user: str
) -> None:
    """Replace a published figure with a user's row, logged as a form save, as versions before
    the published figures were protected let anyone do (store/entry_rules.py refuses it now)."""
    from komae_kpi.plan.model import IndicatorValue
    from komae_kpi.store.connection import connect, transaction
    from komae_kpi.store.record_changes import RecordChange, apply_changes, key_of, read_record

    record = IndicatorValue(
        indicator_no=indicator_no, fiscal_year=fiscal_year, value=value, source=source, note=None
    )
    with connect(path, read_only=False) as con, transaction(con):
        key = key_of(record)
        change = RecordChange(key=key, before=read_record(con, key), after=record)
        apply_changes(con, [change], user=user, method="form")


# The migration that added scenarios and the plan's stock_flows table (0009_scenarios.sql).
SCENARIOS_SCHEMA_VERSION = 9


def init_store_of_schema(path: Path, version: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """init_store as the code of an older schema version ran it: only the migrations up to
    `version`, and the shipped history without the stage column (0008). Patches the caller set
    before (an older plan writer) apply too; all are undone after."""
    import komae_kpi.store.connection as store_module
    from komae_kpi.store.connection import init_store

    previous = [m for m in store_module.migrations() if m.version <= version]
    if version < SCENARIOS_SCHEMA_VERSION:  # nor had it the plan's stock flows
        current = store_module.plan_parts  # type: ignore[attr-defined]  # perhaps a caller's patch
        parts = [p for p in current() if p[1] is not StockFlow]
        monkeypatch.setattr(store_module, "plan_parts", lambda: parts)
    monkeypatch.setattr(store_module, "migrations", lambda: previous)
    monkeypatch.setattr(store_module, "LATEST_SCHEMA_VERSION", version)
    monkeypatch.setattr(store_module, "_write_shipped_history", write_shipped_history_before_stages)
    init_store(path)
    monkeypatch.undo()


@contextmanager
def held_by_another_process(path: Path) -> Iterator[None]:
    """Another process holds the store read-write (as another program would) until the block ends."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, time
            con = duckdb.connect({str(path)!r})
            print("holding", flush=True)
            time.sleep(120)
            """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        yield
    finally:
        holder.kill()
        holder.wait()
