"""Snapshots of the store: one before every import and restore, on request, and restoring one.

A snapshot is a copy of the store file, taken while this process holds the file (so no one
writes meanwhile) and after a CHECKPOINT (so the file alone holds everything; no .wal needed).
Automatic snapshots are pruned to the newest `keep`; those made on request are never pruned.

Restoring never replaces the file: it writes the snapshot's entered records into the store in one
transaction, as a change like any other. The history keeps every row (restoring adds its own), and
the state before the restore is itself snapshotted first, so a restore can be undone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

from komae_kpi.common.errors import KomaeKpiError, StoreError
from komae_kpi.common.files import atomic_path
from komae_kpi.store.connection import (
    LOCK_WAIT_SECONDS,
    connect,
    current_user,
    fetch_all,
    init_store,
    require_current_schema,
    schema_version,
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
Reason = Literal["import", "restore", "scenario", "manual"]
REASON_LABELS = {
    "import": "取込の前",
    "restore": "復元の前",
    "scenario": "財政見通しの置換・削除の前",
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
    """Copy the store while con (read-write, on path) holds it. Returns the snapshot's path."""
    con.execute("CHECKPOINT")  # everything into the main file, so the copy needs no .wal
    if out is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        out = backup_dir(path) / f"{stamp}_{reason}{_SUFFIX}"
    out.parent.mkdir(parents=True, exist_ok=True)
    # Copied to a temporary name, flushed and renamed: a snapshot is either whole or absent.
    with atomic_path(out) as partial:
        shutil.copyfile(path, partial)
        # A backup gets the store's own mode, so whoever may use the store (another account
        # running restore) may read it.
        shutil.copymode(path, partial)
    if reason != "manual":
        automatic = [b for b in list_backups(path) if b.reason != "manual"]
        for old in automatic[max(keep, 1) :]:
            old.path.unlink(missing_ok=True)
    return out


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


def _read_snapshot(snapshot: Path) -> tuple[dict[RecordKey, Record], set[RecordKey], str, str]:
    """The snapshot's records, which of them are shipped, its SHA-256 and its kind.

    Read from a copy brought to this version's schema and plan, so that its shipped rows are
    today's shipped rows and only what people entered differs.
    """
    if not snapshot.is_file():
        raise KomaeKpiError(f"バックアップ {snapshot} がありません。")
    sha = hashlib.sha256(snapshot.read_bytes()).hexdigest()
    with tempfile.TemporaryDirectory() as folder:
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
    records, shipped, kind, sha = _read_snapshot(snapshot)
    with connect(path, read_only=dry_run, wait_seconds=wait_seconds) as con:
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
