"""The DuckDB store: opening it safely, versioned migrations, and `init`.

Rules this module keeps:
- Short-lived connections. DuckDB lets one process hold a file read-write and then refuses every
  other process, even read-only ones ("Could not set lock"), so we open, work and close, and retry
  a busy file for a bounded time before saying so in Japanese.
- Every write is one transaction: a failure or a killed process leaves the file as it was.
- `init` rewrites the plan tables from data/plan/ but never deletes or changes what users entered
  (except a published figure a previous version let them replace: it is put back and logged);
  a plan change that would orphan entered data is refused before anything is written.
"""

from __future__ import annotations

import datetime as dt
import errno
import getpass
import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import duckdb

from komae_kpi.common.errors import (
    PlanConflictError,
    StoreBusyError,
    StoreCorruptError,
    StoreError,
    StoreFaultError,
    StoreFullError,
    StoreMissingError,
    StoreReadOnlyError,
    StoreUnreadableError,
)
from komae_kpi.common.paths import HISTORY_DIR, PLAN_DIR
from komae_kpi.plan.model import (
    IndicatorValue,
    Plan,
    ReferenceSeries,
    ReferenceValue,
    TableRecord,
    key_names,
    plan_parts,
)
from komae_kpi.plan.plan_files import ShippedHistory, load_history, load_plan
from komae_kpi.store.tables import insert_sql, stored_names, stored_row, table_rows

LOCK_WAIT_SECONDS = 15.0
# DuckDB refuses a second connection to a file with another configuration (read-only vs
# read-write) within one process while the first is open. The dashboard reads and, on /updates,
# writes from several threads, so every connection in this process is taken under this lock: the
# reader's is closed before the writer's opens. Connections are short, so the wait is too.
_PROCESS_LOCK = threading.RLock()
INIT_USER = "komae-kpi init"
StoreKind = Literal["city", "demo"]


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # getuser raises various errors when no user name can be found
        return "unknown"


# What to do when the store file itself is at fault: the backups are the way back.
RECOVERY_ADVICE = (
    "`python -m komae_kpi backup --list` でバックアップを確かめ、最新のバックアップからの復旧を"
    "システム担当者に依頼してください。"
)


def store_fault(exc: BaseException, path: Path, *, writing: bool) -> StoreFaultError | None:
    """The typed, Japanese error for an engine or OS error about the store file; None for others.

    The one place where DuckDB's errors about the file become the project's. DuckDB (2.0) raises
    IOException for all of them and tells them apart only in the English message text, so the
    text is what is matched. Messages name no path (pages show them as is); path goes on the error.
    """
    text = str(exc).lower()
    if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "no space left" in text:
        return StoreFullError(
            "ディスクの空きが足りないため、ストアに書き込めませんでした。変更は保存されていません。"
            "ディスクの空きを作ってから、もう一度実行してください。",
            path=path,
        )
    if not isinstance(exc, (duckdb.Error, OSError)):
        return None
    if "not a valid duckdb database" in text:
        return StoreCorruptError(
            "ストアのファイルがDuckDBのデータベースではありません（別のファイルで置き換えられた"
            f"可能性があります）。{RECOVERY_ADVICE}",
            path=path,
        )
    if "could not read enough bytes" in text or "checksum" in text or "corrupt" in text:
        return StoreCorruptError(
            f"ストアのファイルが壊れていて読めません（途中で切れているなど）。{RECOVERY_ADVICE}",
            path=path,
        )
    if "is a directory" in text or isinstance(exc, IsADirectoryError):
        return StoreUnreadableError(
            f"ストアの場所にあるのはファイルではなくフォルダです。{RECOVERY_ADVICE}", path=path
        )
    if "permission denied" in text or isinstance(exc, PermissionError):
        # Refused for writing but readable: a read-only file or folder (never true for root,
        # whom the OS lets read anything).
        if writing and path.is_file() and os.access(path, os.R_OK):
            return StoreReadOnlyError(
                "ストアのファイル（またはそのフォルダ）が読み取り専用のため、書き込めません。"
                "変更は保存されていません。ファイルとフォルダの書き込み権限を"
                "システム担当者に確かめてもらってください。",
                path=path,
            )
        return StoreUnreadableError(
            "ストアのファイルを読む権限がありません。ファイルの権限をシステム担当者に"
            "確かめてもらってください。",
            path=path,
        )
    return None


def os_reason(exc: OSError) -> str:
    """Why the OS refused, in Japanese, for a message that names no path."""
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        return "同じ名前のファイルがあります"
    if exc.errno == errno.ENOSPC:
        return "ディスクの空きが足りません"
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "書き込む権限がありません"
    if exc.errno == errno.EIO:
        return f"ディスクの読み書きに失敗しました: {exc.strerror}"
    # Anything else: the OS's own words (English), after a Japanese label.
    return f"OSのエラー: {exc.strerror or type(exc).__name__}"


@contextmanager
def connect(
    path: Path, *, read_only: bool, wait_seconds: float | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the store, waiting up to wait_seconds (default LOCK_WAIT_SECONDS) while another
    process holds it.

    An engine error about the file itself, on opening or on any query in the block (a store cut
    short opens, then fails on the first read of a lost block), leaves as a StoreFaultError.
    """
    if not path.exists():
        if read_only:
            raise StoreMissingError(
                f"ストア {path} がありません。`python -m komae_kpi init` で作成してください。"
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreFaultError(
                f"ストアを置くフォルダ「{path.parent.name}」を作れません（{os_reason(exc)}）。"
                "ストアの場所（--db または環境変数 KOMAE_KPI_DB）を確かめてください。",
                path=path,
            ) from exc
    wait = LOCK_WAIT_SECONDS if wait_seconds is None else wait_seconds
    con = _open(path, read_only=read_only, wait_seconds=wait)
    try:
        yield con
    except duckdb.Error as exc:
        fault = store_fault(exc, path, writing=not read_only)
        if fault is None:
            raise
        raise fault from exc
    finally:
        con.close()
        _PROCESS_LOCK.release()


def _open(path: Path, *, read_only: bool, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    """Connect, holding _PROCESS_LOCK on success (connect() releases it after closing).

    While another process holds the file, the lock is released between attempts, so one session
    waiting for an import does not hold up the other sessions of this dashboard.
    """
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    while True:
        _PROCESS_LOCK.acquire()
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            _PROCESS_LOCK.release()
            if "lock" not in str(exc).lower():
                raise _open_fault(exc, path, read_only=read_only) from exc
            if time.monotonic() >= deadline:
                raise StoreBusyError(
                    f"ストアは別の処理が使用中です（{wait_seconds:g}秒待ちました）。"
                    "取込や `init` などの処理が終わるのを待ってから、もう一度実行してください。"
                    "長く続くときは、ストアを開いたままのプログラム（DuckDBのツールなど）を"
                    "閉じてください。",
                    path=path,
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        except duckdb.Error as exc:
            _PROCESS_LOCK.release()
            raise _open_fault(exc, path, read_only=read_only) from exc
        except BaseException:
            _PROCESS_LOCK.release()
            raise


def _open_fault(exc: duckdb.Error, path: Path, *, read_only: bool) -> StoreFaultError:
    return store_fault(exc, path, writing=not read_only) or StoreFaultError(
        f"ストアを開けませんでした。{RECOVERY_ADVICE}", path=path
    )


def read_every_table(con: duckdb.DuckDBPyConnection) -> None:
    """Read every stored value of every table, so that a damaged or missing block shows now.

    DuckDB checks a block's checksum only when it reads the block, and a store cut short opens
    fine: only reading the data finds the fault. Hashing every row reads every column without
    holding the rows in memory.
    """
    tables = fetch_all(
        con,
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_type = 'BASE TABLE' AND table_schema = 'main' ORDER BY table_name",
    )
    for (table,) in tables:
        quoted = '"' + str(table).replace('"', '""') + '"'  # a name from the catalog, not input
        fetch_all(con, f"SELECT count(*), bit_xor(hash(t)) FROM {quoted} AS t")


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT, rolling back on any error so nothing half-written remains."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def fetch_all(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()
) -> list[tuple[Any, ...]]:
    """Run one parameterised query and fetch everything.

    On the connection itself, not a cursor: a DuckDB cursor is a separate connection and does not
    see the caller's open transaction. Connections are never shared between threads here: every
    operation opens its own (see connect()).
    """
    return con.execute(sql, list(params)).fetchall()


def next_id(con: duckdb.DuckDBPyConnection, table: str, column: str) -> int:
    """The id after the largest in table.column (1 for an empty table), inside the caller's
    transaction. table and column are the code's own names, never a person's input."""
    return int(fetch_all(con, f"SELECT coalesce(max({column}), 0) + 1 FROM {table}")[0][0])


# --- migrations -------------------------------------------------------------------------------

_MIGRATION_NAME = re.compile(r"^(\d{4})_(\w+)\.sql$")


@dataclass(frozen=True, kw_only=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    found = []
    for entry in resources.files("komae_kpi.store.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(
                Migration(
                    version=int(match.group(1)),
                    name=match.group(2),
                    sql=entry.read_text("utf-8"),
                )
            )
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise StoreError("マイグレーションの番号が連続していません（開発者向けの不具合です）。")
    return found


LATEST_SCHEMA_VERSION = len(migrations())


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = fetch_all(
        con,
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'",
    )[0][0]
    if not exists:
        return 0
    return int(fetch_all(con, "SELECT coalesce(max(version), 0) FROM schema_migrations")[0][0])


def _apply_migrations(con: duckdb.DuckDBPyConnection) -> list[int]:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    version = schema_version(con)
    if version > LATEST_SCHEMA_VERSION:
        raise StoreError(
            f"このストアはより新しい版のkomae-kpi（スキーマ版 {version}）で作成されています。"
            "komae-kpiを更新してください。"
        )
    applied = []
    for migration in migrations():
        if migration.version <= version:
            continue
        con.execute(migration.sql)
        con.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            [migration.version, migration.name, dt.datetime.now()],
        )
        applied.append(migration.version)
    return applied


def require_current_schema(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    version = schema_version(con)
    if version != LATEST_SCHEMA_VERSION:
        raise StoreError(
            f"ストア {path} のスキーマ版（{version}）がこの版のkomae-kpi（{LATEST_SCHEMA_VERSION}）と"
            "合いません。`python -m komae_kpi init` で更新してください。"
        )


# --- init ---------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class InitReport:
    path: Path
    created: bool
    migrations_applied: tuple[int, ...]
    kind: StoreKind
    items: int
    indicators: int
    shipped_values: int
    user_values: int
    user_statuses: int
    # Published figures a user's row had replaced, put back: (the user's row, the published one).
    restored: tuple[tuple[IndicatorValue, IndicatorValue], ...] = ()


def init_store(
    path: Path,
    *,
    plan_dir: Path = PLAN_DIR,
    history_dir: Path = HISTORY_DIR,
    kind: StoreKind | None = None,
) -> InitReport:
    """Create or upgrade the store and bring its plan tables in line with data/plan/.

    Idempotent. Values and statuses entered by users are never deleted or changed, except a
    user's row in place of a published figure (plan baseline or shipped history), which a previous
    version allowed: it is put back and the change logged (公表値の復元). A plan that no
    longer has an indicator, item or status that entered data refers to is refused (PlanConflictError)
    and nothing is written. The store's kind (city or demo) is fixed when it is created (city unless
    told otherwise); asking for the other kind later is refused.
    """
    plan = load_plan(plan_dir)
    history = load_history(plan, history_dir)
    created = not path.exists()
    with _init_connection(path, created=created) as con, transaction(con):
        applied = _apply_migrations(con)
        existing_kind = fetch_all(con, "SELECT value FROM store_info WHERE key = 'kind'")
        if existing_kind:
            resolved_kind: StoreKind = "demo" if existing_kind[0][0] == "demo" else "city"
            if kind is not None and resolved_kind != kind:
                raise StoreError(
                    f"ストア {path} は{'デモ用' if resolved_kind == 'demo' else '市の実データ用'}です。"
                    f"{'デモ用' if kind == 'demo' else '市の実データ用'}として初期化することはできません。"
                )
        else:
            resolved_kind = kind or "city"
            con.execute("INSERT INTO store_info (key, value) VALUES ('kind', ?)", [resolved_kind])
        _check_entered_data_fits(con, plan)
        _write_plan(con, plan)
        restored = _write_shipped_history(con, history)
        items, indicators, shipped_values, user_values, user_statuses = fetch_all(
            con,
            "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM indicators),"
            " (SELECT count(*) FROM indicator_values WHERE origin = 'shipped'),"
            " (SELECT count(*) FROM indicator_values WHERE origin = 'user'),"
            " (SELECT count(*) FROM item_statuses)",
        )[0]
    return InitReport(
        path=path,
        created=created,
        migrations_applied=tuple(applied),
        kind=resolved_kind,
        items=items,
        indicators=indicators,
        shipped_values=shipped_values,
        user_values=user_values,
        user_statuses=user_statuses,
        restored=restored,
    )


@contextmanager
def _init_connection(path: Path, *, created: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """The connection init writes on: checkpointed after the commit, and a store this run began
    removed again if anything fails, so that no file or .wal is left looking like a store."""
    ours = False  # only a store this run began empty is removed, never one another run made
    try:
        with connect(path, read_only=False) as con:
            ours = created and schema_version(con) == 0
            yield con
            _checkpoint(con)
    except BaseException:
        if ours:
            for leftover in (path, path.with_name(path.name + ".wal")):
                leftover.unlink(missing_ok=True)
        raise


def _checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    """Write the committed changes into the main file now, while a failure can still be told.

    Left to close(), a checkpoint that fails (a full disk) goes unreported, and init would say it
    succeeded with its work only in the .wal.
    """
    con.execute("CHECKPOINT")


def store_kind(con: duckdb.DuckDBPyConnection) -> StoreKind:
    rows = fetch_all(con, "SELECT value FROM store_info WHERE key = 'kind'")
    return "demo" if rows and rows[0][0] == "demo" else "city"


def _check_entered_data_fits(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    item_nos = {i.item_no for i in plan.items}
    reposts = {i.item_no: i.repost_of for i in plan.items if i.repost_of is not None}
    indicator_nos = {x.indicator_no for x in plan.indicators}
    statuses = {s.status for s in plan.statuses}
    problems: list[str] = []
    for item_no, count in fetch_all(
        con, "SELECT item_no, count(*) FROM item_statuses GROUP BY item_no ORDER BY item_no"
    ):
        if item_no not in item_nos:
            problems.append(
                f"取組項目{item_no}: 進捗状況が{count}件入力済みですが、新しい計画データにありません。"
            )
        elif item_no in reposts:
            # A repost shows its original's status; one stored on the repost would be hidden.
            problems.append(
                f"取組項目{item_no}: 進捗状況が{count}件入力済みですが、取組項目{reposts[item_no]}の再掲です。"
                f"取組項目{reposts[item_no]}の進捗状況として入力し直してください。"
            )
    for status, count in fetch_all(
        con, "SELECT status, count(*) FROM item_statuses GROUP BY status ORDER BY status"
    ):
        if status not in statuses:
            problems.append(
                f"進捗状況「{status}」: {count}件入力済みですが、新しい計画データの区分にありません。"
            )
    for indicator_no, count in fetch_all(
        con,
        "SELECT indicator_no, count(*) FROM indicator_values WHERE origin = 'user'"
        " GROUP BY indicator_no ORDER BY indicator_no",
    ):
        if indicator_no not in indicator_nos:
            problems.append(
                f"指標{indicator_no}: 実績値が{count}件入力済みですが、新しい計画データにありません。"
            )
    known = {"item_status": item_nos, "indicator_value": indicator_nos}
    has_submissions = fetch_all(
        con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'submissions'"
    )[0][0]
    for kind, subject_no, count in (
        []
        if not has_submissions
        else fetch_all(
            con,
            "SELECT record_kind, subject_no, count(*) FROM submissions WHERE state = 'submitted'"
            " GROUP BY record_kind, subject_no ORDER BY record_kind, subject_no",
        )
    ):
        if subject_no not in known[kind]:
            subject = "取組項目" if kind == "item_status" else "指標"
            problems.append(
                f"{subject}{subject_no}: 承認待ちの提出が{count}件ありますが、新しい計画データにありません。"
            )
    problems += _scenario_conflicts(con, plan)
    if problems:
        raise PlanConflictError(problems)


def _scenario_conflicts(con: duckdb.DuckDBPyConnection, plan: Plan) -> list[str]:
    """A 財政見通し's flows and forecasts refer to the plan's flows and indicators too."""
    exists = fetch_all(
        con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'scenario_flows'"
    )[0][0]
    if not exists:
        return []
    codes = {f.flow_code for f in plan.stock_flows}
    indicator_nos = {x.indicator_no for x in plan.indicators}
    problems = [
        f"増減「{code}」: 財政見通し「{name}」にありますが、新しい計画データにありません。"
        for name, code in fetch_all(
            con, "SELECT DISTINCT name, flow_code FROM scenario_flows ORDER BY name, flow_code"
        )
        if code not in codes
    ]
    problems += [
        f"指標{no}: 財政見通し「{name}」に見込値がありますが、新しい計画データにありません。"
        for name, no in fetch_all(
            con,
            "SELECT DISTINCT name, indicator_no FROM scenario_forecasts ORDER BY name, indicator_no",
        )
        if no not in indicator_nos
    ]
    return problems


def _replace(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """Replace a plan table's rows. Columns are named, so later migrations may add columns."""
    con.execute(f"DELETE FROM {table}")  # table names are ours, never user input
    if rows:
        columns = list(rows[0])
        con.executemany(insert_sql(table, columns), [[r[c] for c in columns] for r in rows])


def _replace_records(
    con: duckdb.DuckDBPyConnection, record_type: type[TableRecord], records: Sequence[TableRecord]
) -> None:
    _replace(con, record_type.TABLE, table_rows(record_type, records))


def _write_plan(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    for name, part in plan_parts():
        _replace_records(con, part, getattr(plan, name))
    _replace(
        con,
        "item_departments",
        [
            {"item_no": i.item_no, "seq": seq, "department": dept}
            for i in plan.items
            for seq, dept in enumerate(i.departments, start=1)
        ],
    )


def _shipped_values_sql() -> str:
    """Insert shipped values (origin, updated_at, updated_by after the stored fields).

    Inserts what is missing and corrects shipped rows whose files changed; user rows are left
    alone, and the WHERE keeps an unchanged row untouched, so a second init changes nothing at all.
    """
    table = IndicatorValue.TABLE
    names = stored_names(IndicatorValue)
    entered = [n for n in names if n not in key_names(IndicatorValue)]
    return (
        insert_sql(table, [*names, "origin", "updated_at", "updated_by"])
        + f" ON CONFLICT ({', '.join(key_names(IndicatorValue))}) DO UPDATE SET "
        + ", ".join(f"{n} = excluded.{n}" for n in [*entered, "updated_at", "updated_by"])
        + f" WHERE {table}.origin = 'shipped' AND ("
        + " OR ".join(f"{table}.{n} IS DISTINCT FROM excluded.{n}" for n in entered)
        + ")"
    )


def _write_shipped_history(
    con: duckdb.DuckDBPyConnection, history: ShippedHistory
) -> tuple[tuple[IndicatorValue, IndicatorValue], ...]:
    """Write the shipped history; returns the published figures put back (see InitReport)."""
    # record_changes (the change log) reads the store through this module, so it is imported here.
    from komae_kpi.store.record_changes import restore_published

    # Published figures are facts: any a previous version let a user's row replace come back,
    # logged (store/entry_rules.py).
    restored = tuple(
        (c.before, c.after)
        for c in restore_published(con, history.indicator_values, user=INIT_USER)
        if isinstance(c.before, IndicatorValue) and isinstance(c.after, IndicatorValue)
    )
    now = dt.datetime.now()
    shipped_keys = {(v.indicator_no, v.fiscal_year) for v in history.indicator_values}
    con.executemany(
        _shipped_values_sql(),
        [[*stored_row(v).values(), "shipped", now, INIT_USER] for v in history.indicator_values],
    )
    stale = [
        (no, fy)
        for no, fy in fetch_all(
            con, "SELECT indicator_no, fiscal_year FROM indicator_values WHERE origin = 'shipped'"
        )
        if (no, fy) not in shipped_keys
    ]
    for no, fy in stale:
        con.execute(
            "DELETE FROM indicator_values WHERE origin = 'shipped' AND indicator_no = ? AND fiscal_year = ?",
            [no, fy],
        )
    _replace_records(con, ReferenceSeries, history.reference_series)
    _replace_records(con, ReferenceValue, history.reference_values)
    return restored
