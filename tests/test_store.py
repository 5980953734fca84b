"""The store: creation, idempotent init, entered data kept, refusals that write nothing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import pytest

from komae_kpi.common.errors import (
    PlanConflictError,
    StoreBusyError,
    StoreError,
    StoreMissingError,
    ValidationError,
)
from komae_kpi.common.paths import HISTORY_DIR, PLAN_DIR, PROJECT_ROOT
from komae_kpi.plan.plan_files import load_plan
from komae_kpi.store import queries
from komae_kpi.store.connection import (
    LATEST_SCHEMA_VERSION,
    connect,
    init_store,
    schema_version,
)
from komae_kpi.store.entries import save_indicator_value, save_item_status
from tests.store_helpers import (
    dump,
    held_by_another_process,
    write_shipped_history_before_stages,
)


def _enter_some_data(path: Path) -> None:
    save_indicator_value(
        path, 1, 2025, 72.9, source="市民意識調査", note="速報値", user="財政課 山田"
    )
    save_indicator_value(path, 3, 2024, 88.6, source="決算カード", user="財政課 山田")
    save_item_status(
        path,
        21,
        2025,
        "順調",
        achievements="中期財政ビジョンを公表",
        issues="歳入減",
        next_steps="継続",
        user="財政課 山田",
    )
    save_item_status(path, 8, 2025, "やや遅れ", user="職員課 佐藤")


def test_init_creates_a_store_with_the_plan(tmp_path: Path) -> None:
    path = tmp_path / "new" / "kpi.duckdb"
    report = init_store(path)
    assert report.created and report.kind == "city"
    assert report.migrations_applied == tuple(range(1, LATEST_SCHEMA_VERSION + 1))
    assert (report.items, report.indicators) == (62, 8)
    with connect(path, read_only=True) as con:
        assert schema_version(con) == LATEST_SCHEMA_VERSION
        assert queries.read_plan(con) == load_plan()


def test_init_again_changes_nothing(store: Path) -> None:
    before = dump(store)
    report = init_store(store)
    assert not report.created and report.migrations_applied == ()
    assert dump(store) == before


def test_init_after_data_was_entered_changes_nothing_entered(store: Path) -> None:
    _enter_some_data(store)
    before = dump(store)
    report = init_store(store)
    assert (report.user_values, report.user_statuses) == (2, 2)
    assert dump(store) == before
    with connect(store, read_only=True) as con:
        values = {(v.indicator_no, v.fiscal_year): v for v in queries.read_indicator_values(con)}
    # A user's value beside the shipped history is kept as entered.
    assert values[(3, 2024)].value == 88.6
    assert values[(3, 2024)].source == "決算カード"
    assert values[(3, 2023)].value == 87.3  # shipped


def test_changed_shipped_history_updates_shipped_rows_only(store: Path, tmp_path: Path) -> None:
    _enter_some_data(store)
    history = tmp_path / "history"
    shutil.copytree(HISTORY_DIR, history)
    values = history / "indicator_values.csv"
    text = values.read_text(encoding="utf-8")
    text = text.replace("3,2005,100.2,", "3,2005,100.3,").replace("3,2023,87.3,", "3,2023,87.2,")
    values.write_text(text, encoding="utf-8")
    init_store(store, history_dir=history)
    with connect(store, read_only=True) as con:
        got = {(v.indicator_no, v.fiscal_year): v.value for v in queries.read_indicator_values(con)}
    assert got[(3, 2005)] == 100.3  # shipped: follows the corrected file
    assert got[(3, 2023)] == 87.2
    assert got[(3, 2024)] == 88.6  # entered by a user: untouched


def _plan_copy(tmp_path: Path) -> Path:
    plan_dir = tmp_path / "plan"
    shutil.copytree(PLAN_DIR, plan_dir)
    return plan_dir


def _drop_line(path: Path, startswith: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(startswith)]
    assert len(kept) == len(lines) - 1
    path.write_text("".join(kept), encoding="utf-8")


def test_a_plan_change_that_would_orphan_entered_data_is_refused(
    store: Path, tmp_path: Path
) -> None:
    _enter_some_data(store)
    before = dump(store)
    plan_dir = _plan_copy(tmp_path)
    _drop_line(plan_dir / "items.csv", "21,")
    _drop_line(plan_dir / "status_vocabulary.csv", "やや遅れ,")
    _drop_line(plan_dir / "indicators.csv", "1,")
    _drop_line(plan_dir / "indicator_rules.csv", "1,")
    _drop_line(plan_dir / "indicator_policies.csv", "1,")
    _drop_line(plan_dir / "indicator_departments.csv", "1,")
    with pytest.raises(PlanConflictError) as info:
        init_store(store, plan_dir=plan_dir)
    message = str(info.value)
    assert "取組項目21" in message and "「やや遅れ」" in message and "指標1" in message
    assert "変更されていません" in message
    assert dump(store) == before


def test_a_plan_change_that_orphans_nothing_is_applied(store: Path, tmp_path: Path) -> None:
    plan_dir = _plan_copy(tmp_path)
    items = plan_dir / "items.csv"
    items.write_text(
        items.read_text(encoding="utf-8").replace("定員管理の適正化", "定員管理の適正化（改）"),
        encoding="utf-8",
    )
    init_store(store, plan_dir=plan_dir)
    with connect(store, read_only=True) as con:
        assert queries.read_plan(con).items[61].name == "定員管理の適正化（改）"


def test_a_store_from_a_newer_version_is_refused_untouched(store: Path) -> None:
    con = duckdb.connect(str(store))
    con.execute("INSERT INTO schema_migrations VALUES (999, 'future', now())")
    con.close()
    before = dump(store)
    with pytest.raises(StoreError, match="新しい版"):
        init_store(store)
    assert dump(store) == before


def test_a_demo_store_cannot_be_initialised_as_the_citys(tmp_path: Path) -> None:
    path = tmp_path / "demo.duckdb"
    init_store(path, kind="demo")
    with pytest.raises(StoreError, match="デモ用"):
        init_store(path, kind="city")


def test_reading_a_missing_store_says_how_to_create_it(tmp_path: Path) -> None:
    with (
        pytest.raises(StoreMissingError, match="init"),
        connect(tmp_path / "none.duckdb", read_only=True),
    ):
        pass


def test_a_busy_store_is_waited_for_then_reported(store: Path) -> None:
    with held_by_another_process(store):
        with (
            pytest.raises(StoreBusyError) as info,
            connect(store, read_only=True, wait_seconds=0.5),
        ):
            pass
        assert "使用中" in str(info.value) and "0.5秒" in str(info.value)
    with connect(store, read_only=True, wait_seconds=5) as con:  # free again once released
        assert schema_version(con) == LATEST_SCHEMA_VERSION


def test_an_init_killed_midway_leaves_the_store_as_it_was(store: Path) -> None:
    _enter_some_data(store)
    before = dump(store)
    # The child runs the real init but stops after the plan tables were deleted and rewritten and
    # before the commit, then is killed: the store must come back exactly as before.
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import time
            from pathlib import Path
            import komae_kpi.store.connection as store
            def stall(con, history):
                con.execute("DELETE FROM item_statuses")
                con.execute("DELETE FROM indicator_values")
                print("stalled", flush=True)
                time.sleep(60)
            store._write_shipped_history = stall
            store.init_store(Path({str(store)!r}))
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "stalled"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert dump(store) == before


def test_saving_rejects_every_bad_field_at_once_and_writes_nothing(store: Path) -> None:
    before = dump(store)
    with pytest.raises(ValidationError) as info:
        save_indicator_value(store, 9, 1999, 1.0)
    assert any("指標9" in p for p in info.value.problems)
    assert any("1999" in p for p in info.value.problems)
    with pytest.raises(ValidationError, match="0〜100%の範囲"):
        save_indicator_value(store, 1, 2025, 120.0)  # a share of residents
    with pytest.raises(ValidationError, match="負の値"):
        save_indicator_value(store, 4, 2025, -1.0)
    with pytest.raises(ValidationError, match="負の値"):
        save_indicator_value(store, 8, 2025, -0.5)
    with pytest.raises(ValidationError) as info:
        save_item_status(store, 63, 2024, "良好")
    assert len(info.value.problems) == 3
    assert dump(store) == before


def test_the_current_balance_ratio_may_pass_100_percent(store: Path) -> None:
    # Komae's own FY2005 figure is 100.2%: the bound is data per indicator, not "% means 0-100".
    save_indicator_value(store, 3, 2005, 100.2, source="総務省 主要財政指標一覧 H17")
    save_indicator_value(store, 3, 2025, 101.5)


def test_an_upgrade_keeps_everything_entered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store made by the first schema version, with data in it, upgrades to the latest."""
    import komae_kpi.store.connection as store_module

    path = tmp_path / "v1.duckdb"
    all_migrations = store_module.migrations()
    first_only = all_migrations[:1]
    monkeypatch.setattr(store_module, "migrations", lambda: first_only)
    monkeypatch.setattr(store_module, "LATEST_SCHEMA_VERSION", 1)
    # The first version's plan tables had no bound columns: write that plan without them.
    monkeypatch.setattr(store_module, "_write_plan", _write_plan_v1)
    monkeypatch.setattr(store_module, "_write_shipped_history", write_shipped_history_before_stages)
    init_store(path)
    con = duckdb.connect(str(path))
    con.execute(
        "INSERT INTO item_statuses (item_no, fiscal_year, status, achievements, issues, next_steps,"
        " updated_at, updated_by) VALUES (21, 2025, '順調', '実績', NULL, NULL, now(), '財政課')"
    )
    con.execute(
        "INSERT INTO indicator_values (indicator_no, fiscal_year, value, source, note, origin,"
        " updated_at, updated_by) VALUES (4, 2025, 21.0, '決算', NULL, 'user', now(), '財政課')"
    )
    con.close()
    entered_before = {t: rows for t, rows in dump(path).items() if t == "item_statuses"}
    monkeypatch.undo()

    report = init_store(path)
    assert report.migrations_applied == tuple(m.version for m in all_migrations[1:])
    after = dump(path)
    assert after["item_statuses"] == entered_before["item_statuses"]
    assert any(r[:3] == (4, 2025, 21.0) for r in after["indicator_values"])
    with connect(path, read_only=True) as con:
        assert schema_version(con) == LATEST_SCHEMA_VERSION
        assert queries.read_plan(con).rule(1).max_value == 100


def _write_plan_v1(con: duckdb.DuckDBPyConnection, plan: object) -> None:
    from komae_kpi.plan.plan_files import load_plan

    full = load_plan()
    con.execute("DELETE FROM items")
    con.executemany(
        "INSERT INTO items (item_no, policy_no, direction_no, program_no, name, alias, repost_of,"
        " text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                i.item_no,
                i.policy_no,
                i.direction_no,
                i.program_no,
                i.name,
                i.alias,
                i.repost_of,
                i.text,
            ]
            for i in full.items
        ],
    )
    con.execute("DELETE FROM indicators")
    con.executemany(
        "INSERT INTO indicators VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                x.indicator_no,
                x.name,
                x.unit,
                x.baseline_fiscal_year,
                x.baseline_value,
                x.target_fiscal_year,
                x.target_value,
                x.comparator,
                x.measured_at,
                x.description,
                x.note,
            ]
            for x in full.indicators
        ],
    )
    con.execute("DELETE FROM status_vocabulary")
    con.executemany(
        "INSERT INTO status_vocabulary VALUES (?, ?, ?, ?)",
        [[t.status, t.sort_order, t.category, t.description] for t in full.statuses],
    )


def test_a_status_stored_on_a_repost_is_refused_at_init(store: Path) -> None:
    con = duckdb.connect(str(store))
    con.execute(
        "INSERT INTO item_statuses (item_no, fiscal_year, status, updated_at, updated_by)"
        " VALUES (60, 2025, '遅れ', now(), 'old version')"
    )
    con.close()
    before = dump(store)
    with pytest.raises(PlanConflictError, match=r"取組項目60.*取組項目8の再掲"):
        init_store(store)
    assert dump(store) == before


def test_a_reposts_status_is_entered_under_its_original(store: Path) -> None:
    with pytest.raises(ValidationError, match="取組項目60は取組項目8の再掲です"):
        save_item_status(store, 60, 2025, "順調")


def test_entered_data_records_who_and_when(store: Path) -> None:
    save_item_status(store, 5, 2025, "順調", user="情報政策課 鈴木")
    with connect(store, read_only=True) as con:
        row = con.execute(
            "SELECT updated_by, updated_at IS NOT NULL FROM item_statuses WHERE item_no = 5"
        ).fetchone()
    assert row == ("情報政策課 鈴木", True)


def test_waiting_for_a_busy_store_does_not_hold_up_other_connections(
    store: Path, tmp_path: Path
) -> None:
    """The dashboard serialises its connections; one session waiting for a file another process
    holds must not block the others (the in-process lock is released between attempts)."""
    other = tmp_path / "other.duckdb"
    init_store(other)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; con = duckdb.connect({str(store)!r});"
            " print('holding', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    outcome: list[str] = []

    def wait_for_busy() -> None:
        try:
            with connect(store, read_only=True, wait_seconds=20):
                outcome.append("opened")
        except StoreBusyError:
            outcome.append("busy")

    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        waiter = threading.Thread(target=wait_for_busy)
        waiter.start()
        time.sleep(0.3)  # let the waiter start its attempts
        with connect(other, read_only=True) as con:  # must not wait for the waiter's 20 s
            assert schema_version(con) == LATEST_SCHEMA_VERSION
        assert waiter.is_alive() and outcome == []  # the waiter was still waiting meanwhile
    finally:
        holder.kill()
        holder.wait()
    waiter.join(timeout=30)
    assert outcome == ["opened"]  # and got the file once it was free
