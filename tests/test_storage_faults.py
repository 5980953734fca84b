"""Storage faults said in Japanese, backups that can be trusted, no temporaries left behind.

Each fault of the store file (not DuckDB, cut short, unreadable, read-only, a full disk, held by
another program) reaches a person as a Japanese message saying what happened and what to do: on
the command line (exit 1, no traceback, no path but the store's) and on a page (st.error, no
exception box, no server path). Faults the tests cannot make for real (a full disk; permissions
when running as root) are injected as the engine or the OS reports them.
"""

from __future__ import annotations

import errno
import os
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from komae_kpi.cli import build_parser, main
from komae_kpi.common.errors import (
    BackupError,
    StoreCorruptError,
    StoreFaultError,
    StoreFullError,
    StoreReadOnlyError,
    StoreUnreadableError,
)
from komae_kpi.common.paths import DB_ENV_VAR, PROJECT_ROOT
from komae_kpi.imports.importer import ImportSource, apply_import
from komae_kpi.store import connection
from komae_kpi.store.backups import backup_dir, backup_store, list_backups, restore_store
from komae_kpi.store.connection import connect, init_store, store_fault
from komae_kpi.store.entries import save_indicator_value
from tests.store_helpers import dump, held_by_another_process
from tests.test_cli import run as _cli
from tests.test_updates_page import open_tab

DASHBOARD = str(PROJECT_ROOT / "dashboard.py")
RECOVERY = "backup --list"
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# --- faulty stores, each made for real -------------------------------------------------------


def _text_file(store: Path) -> None:
    store.write_text("これはデータベースではありません\n" * 50, encoding="utf-8")


def _zip_file(store: Path) -> None:
    store.unlink()
    with zipfile.ZipFile(store, "w") as archive:
        archive.writestr("a.csv", "指標,年度,実績値\n" * 100)


def _cut_in_half(store: Path) -> None:
    size = store.stat().st_size
    with store.open("r+b") as f:
        f.truncate(size // 2)


def _folder_in_its_place(store: Path) -> None:
    store.unlink()
    store.mkdir()


FAULTS: dict[str, tuple[Callable[[Path], None], str]] = {
    "text": (_text_file, "DuckDBのデータベースではありません"),
    "zip": (_zip_file, "DuckDBのデータベースではありません"),
    "truncated": (_cut_in_half, "壊れていて読めません"),
    "folder": (_folder_in_its_place, "ファイルではなくフォルダです"),
}


@pytest.fixture(params=sorted(FAULTS))
def faulty(request: pytest.FixtureRequest, store: Path) -> Iterator[tuple[Path, str]]:
    make, message = FAULTS[request.param]
    make(store)
    yield store, message


def _assert_told_in_japanese(output: str, store: Path, message: str) -> None:
    assert "Traceback" not in output
    assert message in output and RECOVERY in output
    # The only path named is the store the user gave.
    rest = output.replace(str(store), "<store>")
    assert str(store.parent) not in rest and str(PROJECT_ROOT) not in rest


@pytest.mark.parametrize("command", ["status", "backup"])
def test_every_command_says_what_is_wrong_with_the_store(
    faulty: tuple[Path, str], command: str
) -> None:
    store, message = faulty
    result = _cli(command, "--db", str(store))
    assert result.returncode == 1, result.stdout + result.stderr
    _assert_told_in_japanese(result.stdout + result.stderr, store, message)
    assert f"ストア: {store}" in result.stderr
    assert not backup_dir(store).exists() or not list_backups(store)


def test_a_store_cut_short_is_refused_by_backup_and_by_an_import(store: Path) -> None:
    save_indicator_value(store, 3, 2025, 89.0, user="A")
    _cut_in_half(store)
    with pytest.raises(StoreCorruptError, match="バックアップを作りませんでした"):
        backup_store(store)
    source = ImportSource(name="a.csv", data="指標,年度,実績値\n3,2025,88.5\n".encode())
    with pytest.raises(StoreFaultError):
        apply_import(store, [source], user="A")
    # No copy of the damaged store is kept as if it were a backup.
    assert list_backups(store) == []
    assert not backup_dir(store).exists() or not any(backup_dir(store).iterdir())


def test_a_store_that_may_not_be_read_is_said_so(store: Path) -> None:
    if AS_ROOT:
        pytest.skip("running as root, whom the OS lets read any file (the folder case covers it)")
    store.chmod(0)
    try:
        with (
            pytest.raises(StoreUnreadableError, match="読む権限がありません"),
            connect(store, read_only=True),
        ):
            pass
    finally:
        store.chmod(0o644)


def test_a_read_only_store_refuses_a_save_in_japanese(store: Path) -> None:
    if AS_ROOT:
        pytest.skip("running as root, who may write a read-only file (injected in the next test)")
    store.chmod(0o444)
    try:
        with pytest.raises(StoreReadOnlyError, match="読み取り専用"):
            save_indicator_value(store, 3, 2025, 89.0, user="A")
    finally:
        store.chmod(0o644)


def _refuse_writers(monkeypatch: pytest.MonkeyPatch, message: str) -> None:
    """duckdb.connect as the engine answers a writer the OS refuses (seen as a non-root user)."""
    real = duckdb.connect

    def refusing(database: str, read_only: bool = False, **kwargs: Any) -> Any:
        if not read_only:
            raise duckdb.IOException(f'IO Error: Cannot open file "{database}": {message}')
        return real(database, read_only=read_only, **kwargs)

    monkeypatch.setattr(duckdb, "connect", refusing)


def test_a_read_only_store_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], store: Path
) -> None:
    _refuse_writers(monkeypatch, "Permission denied")
    before = dump(store)
    assert main(["backup", "--db", str(store)]) == 1
    err = capsys.readouterr().err
    assert "読み取り専用のため、書き込めません" in err and "Traceback" not in err
    assert f"ストア: {store}" in err
    monkeypatch.undo()
    assert dump(store) == before


def test_a_store_that_may_not_be_opened_at_all_is_unreadable(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    # A writer refused on a file no one may read is not called read-only.
    fault = store_fault(
        duckdb.IOException(f'IO Error: Cannot open file "{store}": Permission denied'),
        store.parent / "missing.duckdb",
        writing=True,
    )
    assert isinstance(fault, StoreUnreadableError)
    assert str(store) not in str(fault)


@pytest.mark.parametrize(
    "error",
    [
        duckdb.IOException('IO Error: Could not write file "x.duckdb": No space left on device'),
        OSError(errno.ENOSPC, "No space left on device"),
    ],
)
def test_a_full_disk_is_said_so(store: Path, error: BaseException) -> None:
    fault = store_fault(error, store, writing=True)
    assert isinstance(fault, StoreFullError)
    assert "ディスクの空きが足りない" in str(fault) and "保存されていません" in str(fault)
    assert fault.path == store and str(store) not in str(fault)


def _disk_full_at_checkpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    def full(con: duckdb.DuckDBPyConnection) -> None:
        raise duckdb.IOException(
            'IO Error: Could not write file "kpi.duckdb": No space left on device'
        )

    monkeypatch.setattr(connection, "_checkpoint", full)


def test_init_on_a_full_disk_fails_and_leaves_nothing_claiming_success(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _disk_full_at_checkpoint(monkeypatch)
    db = tmp_path / "new.duckdb"
    assert main(["init", "--db", str(db)]) == 1
    captured = capsys.readouterr()
    assert "ディスクの空きが足りない" in captured.err and "Traceback" not in captured.err
    assert "作成しました" not in captured.out
    assert not db.exists() and not db.with_name(db.name + ".wal").exists()


def test_init_on_a_full_disk_keeps_an_existing_store(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    _disk_full_at_checkpoint(monkeypatch)
    with pytest.raises(StoreFullError):
        init_store(store)
    monkeypatch.undo()
    assert store.exists()
    with connect(store, read_only=True) as con:
        assert connection.schema_version(con) == connection.LATEST_SCHEMA_VERSION


def test_a_store_held_by_another_program_is_waited_for_then_said_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], store: Path
) -> None:
    monkeypatch.setattr(connection, "LOCK_WAIT_SECONDS", 0.5)
    with held_by_another_process(store):
        assert main(["status", "--db", str(store)]) == 1
    err = capsys.readouterr().err
    assert "別の処理が使用中です（0.5秒待ちました）" in err and "Traceback" not in err
    assert f"ストア: {store}" in err


# --- pages -------------------------------------------------------------------------------------


def _open_dashboard(monkeypatch: pytest.MonkeyPatch, db: Path) -> AppTest:
    monkeypatch.setenv(DB_ENV_VAR, str(db))
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.run()
    return at


def _assert_page_says(at: AppTest, message: str, store: Path) -> None:
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert any(message in e for e in errors), errors
    for text in errors:
        assert str(store.parent) not in text and str(PROJECT_ROOT) not in text


@pytest.mark.usefixtures("fresh_streamlit_caches")
def test_a_page_explains_a_faulty_store_without_a_server_path(
    monkeypatch: pytest.MonkeyPatch, faulty: tuple[Path, str]
) -> None:
    store, message = faulty
    at = _open_dashboard(monkeypatch, store)
    _assert_page_says(at, message, store)
    assert any(RECOVERY in e.value for e in at.error)


@pytest.mark.usefixtures("fresh_streamlit_caches")
def test_a_page_explains_a_store_held_by_another_program(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    monkeypatch.setattr(connection, "LOCK_WAIT_SECONDS", 0.5)
    with held_by_another_process(store):
        at = _open_dashboard(monkeypatch, store)
    _assert_page_says(at, "別の処理が使用中です", store)


def _previewed_upload(monkeypatch: pytest.MonkeyPatch, store: Path) -> AppTest:
    """/updates with a one-row file uploaded and previewed, its import button ready."""
    at = _open_dashboard(monkeypatch, store)
    at.switch_page("pages/updates.py").run()
    open_tab(at, "ファイルの取込")
    at.file_uploader[0].upload(
        "a.csv", "指標,年度,実績値\n3,2025,89.5\n".encode(), "text/csv"
    ).run()
    return at


@pytest.mark.usefixtures("fresh_streamlit_caches")
def test_an_unwritable_backups_folder_is_explained_on_updates(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    backup_dir(store).write_text("not a folder", encoding="utf-8")
    before = dump(store)
    at = _previewed_upload(monkeypatch, store)
    next(b for b in at.button if b.label == "1件を取り込む").click().run()
    _assert_page_says(at, "バックアップを作れません（同じ名前のファイルがあります）", store)
    assert dump(store) == before


@pytest.mark.usefixtures("fresh_streamlit_caches")
def test_a_page_explains_a_store_that_cannot_be_created(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    db = tmp_path / "afile" / "kpi.duckdb"  # the first start builds the store: here it cannot
    at = _open_dashboard(monkeypatch, db)
    _assert_page_says(at, "フォルダ「afile」を作れません（同じ名前のファイルがあります）", db)


@pytest.mark.usefixtures("fresh_streamlit_caches")
@pytest.mark.parametrize(
    ("engine_says", "message"),
    [
        ("Permission denied", "読み取り専用のため、書き込めません"),
        ("No space left on device", "ディスクの空きが足りない"),
    ],
)
def test_a_save_the_store_refuses_is_explained_on_updates(
    monkeypatch: pytest.MonkeyPatch, store: Path, engine_says: str, message: str
) -> None:
    before = dump(store)
    at = _previewed_upload(monkeypatch, store)
    _refuse_writers(monkeypatch, engine_says)
    next(b for b in at.button if b.label == "1件を取り込む").click().run()
    _assert_page_says(at, message, store)
    monkeypatch.undo()
    assert dump(store) == before


# --- backups that can be trusted ---------------------------------------------------------------


def test_an_unwritable_backups_folder_is_said_in_japanese(
    capsys: pytest.CaptureFixture[str], store: Path
) -> None:
    backup_dir(store).write_text("not a folder", encoding="utf-8")
    assert main(["backup", "--db", str(store)]) == 1
    err = capsys.readouterr().err
    assert "「kpi.backups」に書き込めないため" in err and "FileExistsError" not in err


def test_a_copy_that_does_not_read_back_is_not_kept(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    def damaging_copy(source: Path, target: Path) -> None:
        data = Path(source).read_bytes()
        Path(target).write_bytes(data[: len(data) // 2])

    monkeypatch.setattr(shutil, "copyfile", damaging_copy)
    with pytest.raises(BackupError, match="読み直せなかった"):
        backup_store(store)
    source = ImportSource(name="a.csv", data="指標,年度,実績値\n3,2025,88.5\n".encode())
    before = dump(store)
    with pytest.raises(BackupError):
        apply_import(store, [source], user="A")  # the automatic backup is checked as well
    assert dump(store) == before
    assert list(backup_dir(store).iterdir()) == []  # neither a backup nor a temporary


def test_a_full_disk_during_a_backup_leaves_nothing(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    def full(source: Path, target: Path) -> None:
        Path(target).write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full)
    with pytest.raises(BackupError, match="ディスクの空きが足りません"):
        backup_store(store)
    assert list(backup_dir(store).iterdir()) == []


def test_a_good_backup_reads_back_and_restores(store: Path) -> None:
    save_indicator_value(store, 3, 2025, 89.0, user="A")
    taken = backup_store(store)
    with connect(taken, read_only=True) as con:
        connection.read_every_table(con)
    save_indicator_value(store, 3, 2025, 70.0, user="A")
    assert restore_store(store, taken).written == 1


# --- temporaries ---------------------------------------------------------------------------------


def _leave_temporaries(store: Path) -> list[Path]:
    """What a killed backup and a killed restore leave behind."""
    folder = backup_dir(store)
    folder.mkdir(exist_ok=True)
    partial = folder / ".20260101-000000-000000_manual.duckdb.0badf00d.partial"
    partial.write_bytes(b"half a backup")
    snapshot = folder / ".restore-k1ll3d.partial"
    snapshot.mkdir()
    (snapshot / "snapshot.duckdb").write_bytes(b"half a snapshot")
    return [partial, snapshot]


def test_a_killed_backups_temporaries_are_removed_by_the_next_backup(store: Path) -> None:
    kept = backup_store(store)
    left = _leave_temporaries(store)
    # Someone's own file that merely looks alike is not ours to remove.
    theirs = backup_dir(store) / "notes.partial"
    theirs.write_text("x", encoding="utf-8")
    second = backup_store(store)
    assert not any(p.exists() for p in left)
    assert kept.exists() and second.exists() and theirs.exists()
    assert {b.path for b in list_backups(store)} == {kept, second}


def test_a_killed_restores_temporaries_are_removed_by_the_next_restore(store: Path) -> None:
    save_indicator_value(store, 3, 2025, 89.0, user="A")
    taken = backup_store(store)
    save_indicator_value(store, 3, 2025, 70.0, user="A")
    left = _leave_temporaries(store)
    restore_store(store, taken)
    assert not any(p.exists() for p in left)
    # The restore's own temporary is gone as well: only finished backups remain.
    assert all(not p.name.startswith(".") for p in backup_dir(store).iterdir())


def test_a_backup_out_removes_only_its_own_temporaries(store: Path, tmp_path: Path) -> None:
    other = tmp_path / "usb"
    other.mkdir()
    mine = other / ".copy.duckdb.0badf00d.partial"
    mine.write_bytes(b"half")
    theirs = other / ".photos.zip.0badf00d.partial"
    theirs.write_bytes(b"someone else's")
    out = backup_store(store, other / "copy.duckdb")
    assert out.exists() and not mine.exists() and theirs.exists()
    shutil.rmtree(other)


def test_the_readme_shows_how_to_keep_copies_off_the_machine() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## バックアップと、ストアが壊れたとき", 1)[1].split("\n## ", 1)[0]
    cron = next(line for line in section.splitlines() if "komae_kpi backup --out" in line)
    windows = next(line for line in section.splitlines() if "schtasks /Create" in line)
    assert cron.split()[:5] == ["30", "18", "*", "*", "1-5"]
    assert "/SC DAILY" in windows and "komae_kpi backup --out" in windows
    # The command both lines run is one the command line accepts.
    for line in (cron, windows):
        words = line.split("-m komae_kpi ", 1)[1].split()
        assert words[:2] == ["backup", "--out"]
        assert build_parser().parse_args(words[:3]).out == words[2]
