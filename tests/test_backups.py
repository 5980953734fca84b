"""Snapshots of the store: before every import (the last N kept), on request, and restoring one.

Restoring writes the snapshot's entered records back as a logged change, after snapshotting the
state it replaces, so a restore can itself be undone. A killed import or restore leaves the store
as it was.
"""

from __future__ import annotations

import hashlib
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from komae_kpi.cli import main
from komae_kpi.common.errors import KomaeKpiError, StoreMissingError
from komae_kpi.common.paths import PROJECT_ROOT
from komae_kpi.imports.importer import ImportSource, apply_import
from komae_kpi.plan.model import IndicatorDepartment, ItemStatus, plan_parts
from komae_kpi.store.backups import (
    backup_dir,
    backup_store,
    list_backups,
    restore_store,
)
from komae_kpi.store.connection import connect, init_store
from komae_kpi.store.entries import save_indicator_value, save_item_status
from komae_kpi.store.record_changes import Record, RecordKey, load_history, read_records
from tests.store_helpers import dump, init_store_of_schema, overwrite_published


def records(path: Path) -> dict[RecordKey, Record]:
    with connect(path, read_only=True) as con:
        return read_records(con)


def _entered(path: Path) -> dict[RecordKey, Record]:
    """The records people entered (the shipped history is the same in every store)."""
    with connect(path, read_only=True) as con:
        shipped = {
            RecordKey(kind="indicator_value", subject_no=no, fiscal_year=year)
            for no, year in con.execute(
                "SELECT indicator_no, fiscal_year FROM indicator_values WHERE origin = 'shipped'"
            ).fetchall()
        }
        return {k: r for k, r in read_records(con).items() if k not in shipped}


def _status_file(name: str, *rows: tuple[int, int, str]) -> ImportSource:
    text = "取組項目,年度,進捗状況\n" + "".join(f"{no},{year},{s}\n" for no, year, s in rows)
    return ImportSource(name=name, data=text.encode("utf-8"))


def _first_state(store: Path) -> None:
    save_item_status(store, 21, 2025, "順調", achievements="中期財政ビジョンを公表", user="A")
    save_indicator_value(store, 4, 2025, 21.0, source="決算", user="A")


def _later_state(store: Path) -> None:
    """Changes both records of _first_state and adds two (published figures stay as they are)."""
    save_item_status(store, 21, 2025, "遅れ", achievements="見直し中", user="B")
    save_item_status(store, 22, 2025, "順調", user="B")
    save_indicator_value(store, 1, 2025, 72.9, user="B")
    save_indicator_value(store, 4, 2025, 21.5, source="決算（訂正）", user="B")


# --- taking snapshots ---------------------------------------------------------------------------


def test_an_import_snapshots_the_store_as_it_was_before(store: Path) -> None:
    _first_state(store)
    before = dump(store)
    result = apply_import(store, [_status_file("a.csv", (21, 2025, "完了"))], user="取込")
    assert result.written == 1
    assert result.backup is not None and result.backup.parent == backup_dir(store)
    assert result.backup.name.endswith("_import.duckdb")
    assert dump(result.backup) == before  # every table, row for row, as it was
    assert (
        records(store)[RecordKey(kind="item_status", subject_no=21, fiscal_year=2025)]
        != records(result.backup)[RecordKey(kind="item_status", subject_no=21, fiscal_year=2025)]
    )
    assert [(b.path, b.reason) for b in list_backups(store)] == [(result.backup, "import")]


def test_an_import_that_changes_nothing_takes_no_snapshot(store: Path) -> None:
    _first_state(store)
    result = apply_import(store, [_status_file("a.csv", (21, 2025, "順調"))], user="取込")
    # The file has no commentary columns, so the stored commentary is kept: nothing changes.
    assert result.written == 0 and result.backup is None
    assert list_backups(store) == []


def test_only_the_last_n_automatic_snapshots_are_kept_and_manual_ones_never_pruned(
    store: Path,
) -> None:
    keep = 3
    manual_first = backup_store(store)
    statuses = ["順調", "やや遅れ", "遅れ", "完了", "見直し"]  # N + 2 imports, each a change
    made = []
    for n, status in enumerate(statuses):
        result = apply_import(
            store, [_status_file(f"{n}.csv", (21, 2025, status))], user="取込", keep_backups=keep
        )
        assert result.written == 1 and result.backup is not None
        made.append(result.backup)
        if n == 1:
            manual_between = backup_store(store)
    found = list_backups(store)
    automatic = [b.path for b in found if b.reason != "manual"]
    assert automatic == list(reversed(made[-keep:]))  # the newest N, newest first
    assert all(not p.exists() for p in made[:-keep])
    assert sorted(b.path for b in found if b.reason == "manual") == sorted(
        [manual_first, manual_between]
    )
    assert manual_first.exists() and manual_between.exists()
    # The newest snapshot holds the state before the last import.
    assert records(made[-1])[
        RecordKey(kind="item_status", subject_no=21, fiscal_year=2025)
    ] == ItemStatus(
        item_no=21, fiscal_year=2025, status="完了", achievements=None, issues=None, next_steps=None
    )


def test_a_manual_backup_can_go_anywhere_and_holds_everything(store: Path, tmp_path: Path) -> None:
    _first_state(store)
    out = tmp_path / "elsewhere" / "copy.duckdb"
    assert backup_store(store, out) == out
    assert dump(out) == dump(store)
    # Not in the store's backup folder, so not listed there.
    assert list_backups(store) == []
    default = backup_store(store)
    assert default.parent == backup_dir(store) and default.name.endswith("_manual.duckdb")
    assert [b.reason for b in list_backups(store)] == ["manual"]


def test_files_in_the_backup_folder_that_are_not_ours_are_ignored(store: Path) -> None:
    folder = backup_dir(store)
    folder.mkdir()
    (folder / "notes.duckdb").write_bytes(b"")
    (folder / "readme.txt").write_text("x")
    made = backup_store(store)
    assert [b.path for b in list_backups(store)] == [made]


# --- restoring ----------------------------------------------------------------------------------


def test_restore_brings_the_entered_records_back_and_logs_it(store: Path) -> None:
    _first_state(store)
    snapshot = backup_store(store)
    at_backup = records(store)
    _later_state(store)
    later = records(store)
    log_before = dump(store)["change_log"]

    result = restore_store(store, snapshot, user="政策室 復元")
    assert records(store) == at_backup
    # The records added after the backup are deleted; the one changed is changed back.
    assert RecordKey(kind="item_status", subject_no=22, fiscal_year=2025) not in records(store)
    assert RecordKey(kind="indicator_value", subject_no=1, fiscal_year=2025) not in records(store)
    actions = {
        (c.key.kind, c.key.subject_no, c.key.fiscal_year): c.action for c in result.plan.changes
    }
    assert actions == {
        ("item_status", 21, 2025): "changed",
        ("item_status", 22, 2025): "deleted",
        ("indicator_value", 1, 2025): "deleted",
        ("indicator_value", 4, 2025): "changed",
    }
    assert result.written == 4
    # The history keeps every earlier row and adds the restore's own, naming the backup.
    log_after = dump(store)["change_log"]
    assert set(log_before) <= set(log_after)
    restored = [e for e in load_history(store) if e.method == "restore"]
    assert len(restored) == len(log_after) - len(log_before)
    assert {e.changed_by for e in restored} == {"政策室 復元"}
    assert {e.file_name for e in restored} == {snapshot.name}
    assert {e.file_sha256 for e in restored} == {hashlib.sha256(snapshot.read_bytes()).hexdigest()}
    assert len({e.change_id for e in restored}) == 1
    by_field = {(e.key.subject_no, e.key.kind, e.field): e for e in restored}
    status = by_field[(21, "item_status", "status")]
    assert (status.action, status.old_value, status.new_value) == ("update", "遅れ", "順調")
    deleted = by_field[(22, "item_status", "status")]
    assert (deleted.action, deleted.old_value, deleted.new_value) == ("delete", "順調", None)
    value = by_field[(1, "indicator_value", "value")]
    assert (value.action, value.old_value) == ("delete", "72.9")
    # The restore's own snapshot holds the state it replaced.
    assert result.backup is not None and result.backup.name.endswith("_restore.duckdb")
    assert records(result.backup) == later


def test_a_restore_can_be_undone_by_restoring_its_own_snapshot(store: Path) -> None:
    _first_state(store)
    snapshot = backup_store(store)
    _later_state(store)
    later = records(store)
    later_entered = _entered(store)
    undo = restore_store(store, snapshot, user="A").backup
    assert undo is not None and records(store) != later
    redo = restore_store(store, undo, user="A")
    assert records(store) == later
    assert _entered(store) == later_entered  # entered stays entered, shipped stays shipped
    assert redo.written == 4


def test_a_shipped_figure_put_back_by_a_restore_stays_shipped(store: Path) -> None:
    snapshot = backup_store(store)
    # As a previous version let a user do (init would put it back too: test_published_figures).
    overwrite_published(store, 3, 2023, 87.4, source="決算カード（訂正）", user="B")
    restore_store(store, snapshot, user="A")
    with connect(store, read_only=True) as con:
        row = con.execute(
            "SELECT value, origin FROM indicator_values WHERE indicator_no = 3 AND fiscal_year = 2023"
        ).fetchall()
    assert row == [(87.3, "shipped")]
    # So init still sees no user-entered values and will follow corrected shipped files.
    assert init_store(store).user_values == 0


def test_a_dry_run_restore_lists_the_changes_and_writes_nothing(store: Path) -> None:
    _first_state(store)
    snapshot = backup_store(store)
    _later_state(store)
    before = dump(store)
    backups_before = list_backups(store)
    result = restore_store(store, snapshot, user="A", dry_run=True)
    assert len(result.plan.changes) == 4
    assert result.written == 0 and result.backup is None
    assert dump(store) == before
    assert list_backups(store) == backups_before


def test_restoring_the_current_state_changes_nothing_and_takes_no_snapshot(store: Path) -> None:
    _first_state(store)
    snapshot = backup_store(store)
    before = dump(store)
    result = restore_store(store, snapshot, user="A")
    assert result.plan.changes == () and result.written == 0 and result.backup is None
    assert dump(store) == before
    assert len(list_backups(store)) == 1


def test_restore_snapshots_are_pruned_with_the_automatic_ones(store: Path) -> None:
    _first_state(store)
    snapshot = backup_store(store)
    for n in range(3):
        save_item_status(store, 22, 2025, ["順調", "遅れ", "完了"][n], user="B")
        restore_store(store, snapshot, user="A", keep=2)
    reasons = [b.reason for b in list_backups(store)]
    assert reasons.count("restore") == 2 and reasons.count("manual") == 1


def test_a_demo_backup_is_not_restored_into_the_citys_store(store: Path, tmp_path: Path) -> None:
    demo = tmp_path / "demo.duckdb"
    init_store(demo, kind="demo")
    save_item_status(demo, 21, 2025, "完了", achievements="架空", user="デモ")
    demo_backup = backup_store(demo)
    _first_state(store)
    before = dump(store)
    with pytest.raises(KomaeKpiError, match="デモ用ストアのバックアップ"):
        restore_store(store, demo_backup, user="A")
    with pytest.raises(KomaeKpiError, match="デモ用"):
        restore_store(store, demo_backup, user="A", dry_run=True)
    assert dump(store) == before
    assert list_backups(store) == []


def test_a_city_backup_is_not_restored_into_a_demo_store(store: Path, tmp_path: Path) -> None:
    demo = tmp_path / "demo.duckdb"
    init_store(demo, kind="demo")
    before = dump(demo)
    with pytest.raises(KomaeKpiError, match="市の実データ用ストアのバックアップ"):
        restore_store(demo, backup_store(store), user="A")
    assert dump(demo) == before


def test_a_file_that_is_not_a_store_is_refused(store: Path, tmp_path: Path) -> None:
    _first_state(store)
    before = dump(store)
    text = tmp_path / "text.duckdb"
    text.write_text("これはストアではありません", encoding="utf-8")
    with pytest.raises(KomaeKpiError, match="読めません"):
        restore_store(store, text, user="A")
    # A DuckDB file of something else: restoring it would mean "no records" and delete them all.
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t (x INTEGER)")
    con.close()
    other_bytes = other.read_bytes()
    with pytest.raises(KomaeKpiError, match="ストアではない"):
        restore_store(store, other, user="A")
    assert other.read_bytes() == other_bytes  # the file given is never changed
    with pytest.raises(KomaeKpiError, match="ありません"):
        restore_store(store, tmp_path / "missing.duckdb", user="A")
    assert dump(store) == before
    assert list_backups(store) == []


def test_a_missing_store_is_reported_and_not_created(store: Path, tmp_path: Path) -> None:
    snapshot = backup_store(store)
    missing = tmp_path / "typo" / "kpi.duckdb"
    with pytest.raises(StoreMissingError, match="init"):
        backup_store(missing)
    for dry_run in (True, False):
        with pytest.raises(StoreMissingError, match="init"):
            restore_store(missing, snapshot, user="A", dry_run=dry_run)
    assert not missing.exists() and not missing.parent.exists()


def test_a_backup_from_an_older_version_is_read_through_a_migrated_copy(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import komae_kpi.store.connection as store_module

    # A store made before the change history existed (schema version 2).
    old = tmp_path / "old.duckdb"
    # Nor had it the later plan tables (indicator_departments, schema version 5).
    parts = [p for p in plan_parts() if p[1] is not IndicatorDepartment]
    monkeypatch.setattr(store_module, "plan_parts", lambda: parts)
    init_store_of_schema(old, 2, monkeypatch)
    con = duckdb.connect(str(old))
    con.execute(
        "INSERT INTO item_statuses (item_no, fiscal_year, status, achievements, issues,"
        " next_steps, updated_at, updated_by) VALUES (21, 2025, '完了', '旧版で入力', NULL, NULL,"
        " now(), '旧版')"
    )
    con.close()
    data = old.read_bytes()
    result = restore_store(store, old, user="A")
    assert result.written == 1
    assert records(store)[
        RecordKey(kind="item_status", subject_no=21, fiscal_year=2025)
    ] == ItemStatus(
        item_no=21,
        fiscal_year=2025,
        status="完了",
        achievements="旧版で入力",
        issues=None,
        next_steps=None,
    )
    assert old.read_bytes() == data  # migrated on a copy, never in place


def test_restoring_never_changes_the_backup_file(store: Path) -> None:
    _first_state(store)
    snapshot = backup_store(store)
    data = snapshot.read_bytes()
    _later_state(store)
    restore_store(store, snapshot, user="A")
    assert snapshot.read_bytes() == data


# --- killed half-way ----------------------------------------------------------------------------


def _kill_while_stalled(code: str) -> str:
    """Run code in a child that prints a marker inside the transaction; SIGKILL it there."""
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )
    try:
        assert child.stdout is not None
        marker = child.stdout.readline().strip()
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    return marker


def test_an_import_killed_midway_leaves_the_store_as_it_was(store: Path, tmp_path: Path) -> None:
    _first_state(store)
    before = dump(store)
    data = tmp_path / "status.csv"
    data.write_text("取組項目,年度,進捗状況\n21,2025,完了\n22,2025,遅れ\n36,2025,順調\n", "utf-8")
    # The child runs the real import: the real writes happen, then it stalls before the commit.
    marker = _kill_while_stalled(f"""
        import time
        from pathlib import Path
        import komae_kpi.imports.importer as imports
        import komae_kpi.store.record_changes as record_changes
        real = record_changes.ChangeBatch.write
        def stall(self, con):
            real(self, con)  # the records are written; now their log rows too
            written = len({{(e.subject_no, e.fiscal_year) for e in self.entries}})
            logged = con.execute("SELECT count(*) FROM change_log").fetchone()[0]
            print(f"written {{written}} logged {{logged}}", flush=True)
            time.sleep(60)
        record_changes.ChangeBatch.write = stall
        path = Path({str(data)!r})
        source = imports.ImportSource(name=path.name, data=path.read_bytes())
        imports.apply_import(Path({str(store)!r}), [source], user="X")
    """)
    # 3 records written, and their 3 log rows beside the 4 of _first_state, all uncommitted.
    assert marker == "written 3 logged 7"
    assert dump(store) == before
    # The store is whole and usable: the same import now goes through.
    result = apply_import(store, [ImportSource(name=data.name, data=data.read_bytes())], user="X")
    assert result.written == 3


def test_a_restore_killed_midway_leaves_the_store_as_it_was(store: Path) -> None:
    _first_state(store)
    snapshot = backup_store(store)
    _later_state(store)
    before = dump(store)
    marker = _kill_while_stalled(f"""
        import time
        from pathlib import Path
        import komae_kpi.store.backups as backups
        real = backups.apply_changes
        def stall(con, changes, **kwargs):
            written = real(con, changes, **kwargs)
            print(f"written {{written}}", flush=True)
            time.sleep(60)
            return written
        backups.apply_changes = stall
        backups.restore_store(Path({str(store)!r}), Path({str(snapshot)!r}), user="X")
    """)
    assert marker == "written 4"
    assert dump(store) == before


# --- the commands -------------------------------------------------------------------------------


def test_the_backup_command_makes_and_lists_snapshots(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backup", "--db", str(store), "--list"]) == 0
    assert "バックアップはありません" in capsys.readouterr().out
    assert main(["backup", "--db", str(store)]) == 0
    made = list_backups(store)
    assert len(made) == 1 and made[0].reason == "manual"
    assert str(made[0].path) in capsys.readouterr().out
    out = tmp_path / "mine.duckdb"
    assert main(["backup", "--db", str(store), "--out", str(out)]) == 0
    assert f"バックアップを作成しました: {out}" in capsys.readouterr().out
    assert dump(out) == dump(store)
    apply_import(store, [_status_file("a.csv", (21, 2025, "順調"))], user="取込")
    assert main(["backup", "--db", str(store), "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert "取込の前" in lines[0] and "手動" in lines[1]  # newest first


def test_the_restore_command_dry_run_then_for_real(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _first_state(store)
    snapshot = backup_store(store)
    at_backup = records(store)
    _later_state(store)
    before = dump(store)
    assert main(["restore", str(snapshot), "--db", str(store), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "4件の記録が変わります" in out
    assert "[削除] 取組項目22" in out and "[変更] 取組項目21" in out
    assert "遅れ → 順調" in out
    assert "確認のみ（--dry-run）" in out
    assert dump(store) == before

    assert main(["restore", str(snapshot), "--db", str(store), "--user", "政策室 復元"]) == 0
    out = capsys.readouterr().out
    assert "4件を戻しました" in out
    assert records(store) == at_backup
    undo = [b for b in list_backups(store) if b.reason == "restore"]
    assert len(undo) == 1 and str(undo[0].path) in out
    assert {e.changed_by for e in load_history(store) if e.method == "restore"} == {"政策室 復元"}

    assert main(["restore", str(snapshot), "--db", str(store)]) == 0
    assert "変更はありません" in capsys.readouterr().out


def test_the_restore_command_refuses_a_demo_backup(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = tmp_path / "demo.duckdb"
    init_store(demo, kind="demo")
    before = dump(store)
    assert main(["restore", str(backup_store(demo)), "--db", str(store)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("エラー: ") and "デモ用" in err and "Traceback" not in err
    assert dump(store) == before


def test_the_import_command_reports_its_snapshot(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "status.csv"
    data.write_text("取組項目,年度,進捗状況\n21,2025,完了\n", encoding="utf-8")
    assert main(["import", str(data), "--db", str(store), "--user", "取込"]) == 0
    made = list_backups(store)
    assert len(made) == 1 and made[0].reason == "import"
    assert f"取り込む前のバックアップ: {made[0].path}" in capsys.readouterr().out
    assert records(store)[
        RecordKey(kind="item_status", subject_no=21, fiscal_year=2025)
    ] == ItemStatus(
        item_no=21, fiscal_year=2025, status="完了", achievements=None, issues=None, next_steps=None
    )
    assert (
        records(made[0].path).get(RecordKey(kind="item_status", subject_no=21, fiscal_year=2025))
        is None
    )


def test_a_backup_has_the_stores_own_permissions(store: Path) -> None:
    """Not private to whoever made it: another account that may use the store may restore it."""
    store.chmod(0o664)
    made = backup_store(store)
    assert stat.S_IMODE(made.stat().st_mode) == 0o664
