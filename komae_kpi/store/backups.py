"""Snapshots of the store: one before every import and restore, on request, and restoring one.

A snapshot is a copy of the store file, taken while this process holds the file (so no one
writes meanwhile) and after a CHECKPOINT (so the file alone holds everything; no .wal needed).
Automatic snapshots are pruned to the newest `keep`; those made on request are never pruned.

Restoring never replaces the file: it writes the snapshot's entered records into the store in one
transaction, as a change like any other. The history keeps every row (restoring adds its own), and
the state before the restore is itself snapshotted first, so a restore can be undone.

A backup is trusted only when it reads: the store is read whole before it is copied (a damaged
store is refused, not kept as if it were a backup) and the copy is read whole before it gets its
name. Temporaries (a backup being copied, a snapshot being read for a restore) live in the
backups folder under names starting with "." and ending in ".partial"; one left by a killed run is
removed by the next run that holds the store for writing, when no other run can be using it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

from komae_kpi.common.errors import BackupError, KomaeKpiError, StoreError
from komae_kpi.common.files import PARTIAL_SUFFIX, atomic_path
from komae_kpi.store.connection import (
    LOCK_WAIT_SECONDS,
    connect,
    current_user,
    fetch_all,
    init_store,
    os_reason,
    read_every_table,
    require_current_schema,
    schema_version,
    store_fault,
    store_kind,
    transaction,
)
from komae_kpi.store.permissions import require_restorer, resolve_actor
from komae_kpi.store.queries import read_plan
from komae_kpi.store.record_changes import (
    Record,
    RecordChange,
    RecordKey,
    apply_changes,
    read_records,
    require_store_file,
    stage_refusal,
)

DEFAULT_KEEP = 20
Reason = Literal["import", "restore", "scenario", "meeting", "manual"]
REASON_LABELS = {
    "import": "取込の前",
    "restore": "復元の前",
    "scenario": "財政見通しの置換・削除の前",
    "meeting": "会議の記録の削除の前",
    "manual": "手動",
}
_SUFFIX = ".duckdb"


def backup_dir(path: Path) -> Path:
    """data/komae_kpi.duckdb → data/komae_kpi.backups/"""
    return path.with_name(path.stem + ".backups")


@dataclass(frozen=True, kw_only=True)
class BackupFile:
    path: Path
    taken_at: dt.datetime
    reason: str


def list_backups(path: Path) -> list[BackupFile]:
    """Newest first."""
    found = []
    folder = backup_dir(path)
    if not folder.is_dir():
        return []
    for entry in folder.glob(f"*{_SUFFIX}"):
        stamp, _, reason = entry.stem.partition("_")
        try:
            taken_at = dt.datetime.strptime(stamp, "%Y%m%d-%H%M%S-%f")
        except ValueError:
            continue  # not one of ours
        found.append(BackupFile(path=entry, taken_at=taken_at, reason=reason))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def make_backup(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    keep: int = DEFAULT_KEEP,
    reason: Reason,
    out: Path | None = None,
) -> Path:
    """Copy the store while con (read-write, on path) holds it. Returns the snapshot's path.

    The store is read whole first and the copy after: a store that does not read is refused
    (StoreCorruptError and the like) and a copy that does not read is not kept (BackupError).
    """
    try:
        read_every_table(con)
    except duckdb.Error as exc:
        fault = store_fault(exc, path, writing=False)
        if fault is None:
            raise
        raise type(fault)(
            f"ストアを読む段階で失敗したため、バックアップを作りませんでした。{fault}", path=path
        ) from exc
    con.execute("CHECKPOINT")  # everything into the main file, so the copy needs no .wal
    if out is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        out = backup_dir(path) / f"{stamp}_{reason}{_SUFFIX}"
    with _backup_os_errors(out.parent, step="保存先のフォルダを用意する段階で"):
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(path, also=out)
    # Copied to a temporary name, read back, flushed and renamed: a snapshot is either whole
    # and readable, or absent. Each step's failure is said as that step's (reading the store,
    # copying it, reading the copy back), so that nobody is sent to check the wrong thing.
    with _backup_os_errors(out.parent, step="ストアを複製する段階で"), atomic_path(out) as partial:
        try:
            shutil.copyfile(path, partial)
        except OSError as exc:
            if exc.filename is None or Path(exc.filename) != path:
                raise
            raise BackupError(
                "ストアを複製する段階で、ストアのファイルを読めなかったため、バックアップを作れません"
                f"（{'読む権限がありません' if isinstance(exc, PermissionError) else os_reason(exc)}）。"
                "ストアのファイルとディスクをシステム担当者に確かめてもらってください。"
            ) from exc
        # A backup gets the store's own mode, so whoever may use the store (another account
        # running restore) may read it.
        shutil.copymode(path, partial)
        _require_reads(partial)
    if reason != "manual":
        automatic = [b for b in list_backups(path) if b.reason != "manual"]
        for old in automatic[max(keep, 1) :]:
            old.path.unlink(missing_ok=True)
    return out


def _require_reads(copy: Path) -> None:
    try:
        con = duckdb.connect(str(copy), read_only=True)
        try:
            read_every_table(con)
        finally:
            con.close()
    except duckdb.Error as exc:
        raise BackupError(
            "複製を読み直す段階で、バックアップの複製を読み直せなかったため、バックアップを残しませんでした"
            "（保存先のディスクの不具合や空き不足が考えられます）。ストアは変更していません。"
        ) from exc


@contextmanager
def _backup_os_errors(folder: Path, *, step: str = "") -> Iterator[None]:
    """An OS refusal while writing a backup, said in Japanese and naming the folder, not its path
    (pages show the message)."""
    try:
        yield
    except OSError as exc:
        why = os_reason(exc)
        if folder.exists() and not folder.is_dir():
            why = "同じ名前のファイルがあります"
        raise BackupError(
            f"{step}{'、' if step else ''}バックアップの保存先「{folder.name}」に書き込めないため、バックアップを作れません"
            f"（{why}）。バックアップが作れないうちは、取込や復元も行いません。"
            "保存先のフォルダとディスクをシステム担当者に確かめてもらってください。"
        ) from exc


def _is_leftover(entry: Path, also: Path | None) -> bool:
    if not (entry.name.startswith(".") and entry.name.endswith(PARTIAL_SUFFIX)):
        return False
    return also is None or entry.name.startswith(f".{also.name}.")


def remove_leftovers(path: Path, *, also: Path | None = None) -> list[Path]:
    """Remove the temporaries a killed backup or restore left behind; returns what was removed.

    Call only while holding the store for writing: every backup and restore of this store runs
    while holding it, so none can be under way meanwhile. Only names of our temporaries are
    touched ("." + name + ".partial"), never a finished backup. also: a --out file, whose
    folder holds other files too; only its own temporaries are removed there.
    """
    removed: list[Path] = []
    folders: list[tuple[Path, Path | None]] = [(backup_dir(path), None)]
    if also is not None and also.parent != backup_dir(path):
        folders.append((also.parent, also))
    for folder, only in folders:
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if not _is_leftover(entry, only):
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


def backup_store(path: Path, out: Path | None = None) -> Path:
    require_store_file(path)
    with connect(path, read_only=False) as con:
        require_current_schema(con, path)
        return make_backup(con, path, reason="manual", out=out)


@dataclass(frozen=True, kw_only=True)
class RestorePlan:
    source: Path
    sha256: str
    changes: tuple[RecordChange, ...]  # only records that differ and are put back
    # Records the snapshot holds at an earlier stage than the value in force now (a 見込 where a
    # 決算 has since been entered): kept as they are, each with why.
    kept: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RestoreResult:
    plan: RestorePlan
    written: int
    backup: Path | None


def _read_snapshot(
    snapshot: Path, store: Path
) -> tuple[dict[RecordKey, Record], set[RecordKey], str, str]:
    """The snapshot's records, which of them are shipped, its SHA-256 and its kind.

    Read from a copy brought to this version's schema and plan, so that its shipped rows are
    today's shipped rows and only what people entered differs. The copy is a temporary in the
    store's backups folder (see remove_leftovers); call this while holding the store.
    """
    if not snapshot.is_file():
        raise KomaeKpiError(f"バックアップ {snapshot} がありません。")
    sha = hashlib.sha256(snapshot.read_bytes()).hexdigest()
    folders = backup_dir(store)
    with _backup_os_errors(folders):
        folders.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(
        dir=folders, prefix=".restore-", suffix=PARTIAL_SUFFIX
    ) as folder:
        copy = Path(folder) / "snapshot.duckdb"
        shutil.copyfile(snapshot, copy)
        try:
            # init_store would turn any DuckDB file into an empty store, and restoring that would
            # delete every entered record: a file that never was a store is refused first.
            with connect(copy, read_only=True) as con:
                if schema_version(con) == 0:
                    raise KomaeKpiError(
                        f"{snapshot} はkomae-kpiのストアではないため、復元に使えません。"
                    )
            init_store(copy)  # an older snapshot is migrated; the original file is not touched
            with connect(copy, read_only=True) as con:
                shipped = {
                    RecordKey(kind="indicator_value", subject_no=no, fiscal_year=year)
                    for no, year in fetch_all(
                        con,
                        "SELECT indicator_no, fiscal_year FROM indicator_values"
                        " WHERE origin = 'shipped'",
                    )
                }
                return read_records(con), shipped, store_kind(con), sha
        except (duckdb.Error, StoreError) as exc:
            raise KomaeKpiError(
                f"{snapshot} はkomae-kpiのバックアップとして読めません（{exc}）。"
            ) from exc


def restore_store(
    path: Path,
    snapshot: Path,
    *,
    user: str | None = None,
    dry_run: bool = False,
    keep: int = DEFAULT_KEEP,
    wait_seconds: float = LOCK_WAIT_SECONDS,
) -> RestoreResult:
    """Make the store's entered records those of the snapshot, in one transaction.

    Once users are registered, only an administrator (`user`, default the OS user) may restore;
    what it puts back is in force at once, like what it replaces. An actual the snapshot holds at
    an earlier stage than the one in force (its 見込 where a 決算 was entered since) is not put
    back: the rule of stages holds for restores too (RestorePlan.kept says which and why).
    """
    require_store_file(path)
    with connect(path, read_only=dry_run, wait_seconds=wait_seconds) as con:
        if not dry_run:
            remove_leftovers(path)
        records, shipped, kind, sha = _read_snapshot(snapshot, path)
        require_current_schema(con, path)
        actor = resolve_actor(con, user or current_user())
        require_restorer(actor)
        if store_kind(con) != kind:
            raise KomaeKpiError(
                f"{snapshot} は{'デモ用' if kind == 'demo' else '市の実データ用'}ストアのバックアップです。"
                f"このストア（{'デモ用' if store_kind(con) == 'demo' else '市の実データ用'}）には復元できません。"
            )
        current = read_records(con)
        store_plan = read_plan(con)
        differing = [
            RecordChange(
                key=key,
                before=current.get(key),
                after=records.get(key),
                file_name=snapshot.name,
                file_sha256=sha,
            )
            for key in sorted(set(current) | set(records))
            if current.get(key) != records.get(key)
        ]
        refusals = {c.key: stage_refusal(store_plan, c.before, c.after) for c in differing}
        changes = tuple(c for c in differing if not refusals[c.key])
        kept = tuple(r for r in refusals.values() if r)
        plan = RestorePlan(source=snapshot, sha256=sha, changes=changes, kept=kept)
        if dry_run or not changes:
            return RestoreResult(plan=plan, written=0, backup=None)
        backup = make_backup(con, path, keep=keep, reason="restore")
        with transaction(con):
            written = apply_changes(con, changes, user=actor.identity, method="restore")
            # apply_changes marks every row it writes as entered ('user'); a shipped figure put
            # back stays shipped, so that init keeps following the shipped files for it.
            for change in changes:
                if change.key in shipped:
                    con.execute(
                        "UPDATE indicator_values SET origin = 'shipped'"
                        " WHERE indicator_no = ? AND fiscal_year = ?",
                        [change.key.subject_no, change.key.fiscal_year],
                    )
    return RestoreResult(plan=plan, written=written, backup=backup)
