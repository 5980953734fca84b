"""Changes to entered records and their history (the audit trail).

The two kinds of entered record are an indicator's actual for a fiscal year (IndicatorValue) and an
item's status for a fiscal year (ItemStatus). Every write of either, from a form, an import or a
restore, goes through apply_changes(), which writes the record and one change_log row per changed
field, in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal

import duckdb

from komae_kpi.common.errors import KomaeKpiError, StoreMissingError
from komae_kpi.plan.model import IndicatorValue, ItemStatus
from komae_kpi.store.connection import connect, fetch_all, require_current_schema
from komae_kpi.store.queries import read_indicator_values, read_item_statuses

RecordKind = Literal["indicator_value", "item_status"]
Record = IndicatorValue | ItemStatus
Method = Literal["form", "import", "restore"]
Action = Literal["new", "changed", "unchanged", "deleted"]

# The fields a person enters, per kind (the key fields are not among them).
ENTRY_FIELDS: dict[RecordKind, tuple[str, ...]] = {
    "indicator_value": ("value", "source", "note"),
    "item_status": ("status", "achievements", "issues", "next_steps"),
}
FIELD_LABELS: dict[str, str] = {
    "value": "実績値",
    "source": "出典",
    "note": "備考",
    "status": "進捗状況",
    "achievements": "取組実績",
    "issues": "課題",
    "next_steps": "今後の方向性",
}
METHOD_LABELS: dict[str, str] = {"form": "画面で入力", "import": "ファイル取込", "restore": "復元"}
LOG_ACTIONS: dict[str, str] = {"insert": "追加", "update": "変更", "delete": "削除"}


@dataclass(frozen=True, order=True)
class RecordKey:
    kind: RecordKind
    subject_no: int  # indicator_no or item_no
    fiscal_year: int


def key_of(record: Record) -> RecordKey:
    if isinstance(record, IndicatorValue):
        return RecordKey("indicator_value", record.indicator_no, record.fiscal_year)
    return RecordKey("item_status", record.item_no, record.fiscal_year)


def entry_values(record: Record) -> dict[str, object]:
    return {f.name: getattr(record, f.name) for f in fields(record) if f.name in _ENTRY_NAMES}


_ENTRY_NAMES = {name for names in ENTRY_FIELDS.values() for name in names}


@dataclass(frozen=True)
class RecordChange:
    """One record before and after. before None: new; after None: deleted (restore only)."""

    key: RecordKey
    before: Record | None
    after: Record | None
    file_name: str | None = None
    file_sha256: str | None = None

    @property
    def action(self) -> Action:
        if self.before is None:
            return "new"
        if self.after is None:
            return "deleted"
        return "unchanged" if self.before == self.after else "changed"

    def changed_fields(self) -> list[tuple[str, object, object]]:
        """(field, old, new) for every entry field that differs."""
        old = entry_values(self.before) if self.before is not None else {}
        new = entry_values(self.after) if self.after is not None else {}
        return [
            (name, old.get(name), new.get(name))
            for name in ENTRY_FIELDS[self.key.kind]
            if old.get(name) != new.get(name)
        ]


def require_store_file(path: Path) -> None:
    """Refuse a missing store before a writer opens it.

    connect(read_only=False) creates the file when it is missing (init needs that), so a save,
    backup or restore against a wrong path would leave an empty, schema-less file behind and
    report a confusing schema mismatch instead of "no store".
    """
    if not path.exists():
        raise StoreMissingError(
            f"ストア {path} がありません。`python -m komae_kpi init` で作成してください。"
        )


def read_records(con: duckdb.DuckDBPyConnection) -> dict[RecordKey, Record]:
    records: list[Record] = [*read_indicator_values(con), *read_item_statuses(con)]
    return {key_of(r): r for r in records}


def read_record(con: duckdb.DuckDBPyConnection, key: RecordKey) -> Record | None:
    if key.kind == "indicator_value":
        rows = fetch_all(
            con,
            "SELECT indicator_no, fiscal_year, value, source, note FROM indicator_values"
            " WHERE indicator_no = ? AND fiscal_year = ?",
            [key.subject_no, key.fiscal_year],
        )
        if not rows:
            return None
        no, year, value, source, note = rows[0]
        return IndicatorValue(no, year, float(value), source, note)
    rows = fetch_all(
        con,
        "SELECT item_no, fiscal_year, status, achievements, issues, next_steps FROM item_statuses"
        " WHERE item_no = ? AND fiscal_year = ?",
        [key.subject_no, key.fiscal_year],
    )
    return ItemStatus(*rows[0]) if rows else None


def _log_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return repr(value)
    return str(value)


def apply_changes(
    con: duckdb.DuckDBPyConnection,
    changes: Sequence[RecordChange],
    *,
    user: str,
    method: Method,
) -> int:
    """Write the records that change and log each changed field. Call inside a transaction.

    Returns the number of records written; unchanged ones are skipped and not logged.
    """
    real = [c for c in changes if c.action != "unchanged"]
    if not real:
        return 0
    now = dt.datetime.now()
    change_id = int(fetch_all(con, "SELECT coalesce(max(change_id), 0) + 1 FROM change_log")[0][0])
    log_rows: list[list[object]] = []
    for change in real:
        _write_record(con, change, now, user)
        action = {"new": "insert", "changed": "update", "deleted": "delete"}[change.action]
        for field, old, new in change.changed_fields():
            log_rows.append(
                [
                    change_id,
                    len(log_rows) + 1,
                    now,
                    user,
                    method,
                    change.file_name,
                    change.file_sha256,
                    change.key.kind,
                    change.key.subject_no,
                    change.key.fiscal_year,
                    action,
                    field,
                    _log_text(old),
                    _log_text(new),
                ]
            )
    con.executemany(
        "INSERT INTO change_log (change_id, seq, changed_at, changed_by, method, file_name,"
        " file_sha256, record_kind, subject_no, fiscal_year, action, field, old_value, new_value)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        log_rows,
    )
    return len(real)


def _write_record(
    con: duckdb.DuckDBPyConnection, change: RecordChange, now: dt.datetime, user: str
) -> None:
    key = change.key
    if key.kind == "indicator_value":
        if change.after is None:
            con.execute(
                "DELETE FROM indicator_values WHERE indicator_no = ? AND fiscal_year = ?",
                [key.subject_no, key.fiscal_year],
            )
            return
        assert isinstance(change.after, IndicatorValue)
        v = change.after
        con.execute(
            "INSERT OR REPLACE INTO indicator_values (indicator_no, fiscal_year, value, source,"
            " note, origin, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, 'user', ?, ?)",
            [v.indicator_no, v.fiscal_year, v.value, v.source, v.note, now, user],
        )
        return
    if change.after is None:
        con.execute(
            "DELETE FROM item_statuses WHERE item_no = ? AND fiscal_year = ?",
            [key.subject_no, key.fiscal_year],
        )
        return
    assert isinstance(change.after, ItemStatus)
    s = change.after
    con.execute(
        "INSERT OR REPLACE INTO item_statuses (item_no, fiscal_year, status, achievements, issues,"
        " next_steps, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [s.item_no, s.fiscal_year, s.status, s.achievements, s.issues, s.next_steps, now, user],
    )


# --- reading the history ------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeEntry:
    change_id: int
    changed_at: dt.datetime
    changed_by: str
    method: Method
    file_name: str | None
    file_sha256: str | None
    key: RecordKey
    action: str  # insert / update / delete
    field: str
    old_value: str | None
    new_value: str | None


def read_history(
    con: duckdb.DuckDBPyConnection,
    *,
    kind: RecordKind | None = None,
    subject_no: int | None = None,
    fiscal_year: int | None = None,
    limit: int | None = None,
) -> list[ChangeEntry]:
    """Newest first; limit counts rows (one per changed field)."""
    if limit is not None and limit < 0:
        # DuckDB rejects a negative LIMIT with a BinderException; say it in Japanese instead.
        raise KomaeKpiError(f"表示する件数は0以上で指定してください（指定: {limit}）。")
    where, params = [], []
    for column, value in (
        ("record_kind", kind),
        ("subject_no", subject_no),
        ("fiscal_year", fiscal_year),
    ):
        if value is not None:
            where.append(f"{column} = ?")  # column names are ours
            params.append(value)
    sql = (
        "SELECT change_id, changed_at, changed_by, method, file_name, file_sha256, record_kind,"
        " subject_no, fiscal_year, action, field, old_value, new_value FROM change_log"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY change_id DESC, seq"
        + (" LIMIT ?" if limit is not None else "")
    )
    if limit is not None:
        params.append(limit)
    return [
        ChangeEntry(
            cid, at, by, method, fname, sha, RecordKey(rkind, no, year), action, field, old, new
        )
        for cid, at, by, method, fname, sha, rkind, no, year, action, field, old, new in fetch_all(
            con, sql, params
        )
    ]


def load_history(
    path: Path,
    *,
    kind: RecordKind | None = None,
    subject_no: int | None = None,
    fiscal_year: int | None = None,
    limit: int | None = None,
) -> list[ChangeEntry]:
    """The history from the store file, newest first (see read_history)."""
    with connect(path, read_only=True) as con:
        require_current_schema(con, path)
        return read_history(
            con, kind=kind, subject_no=subject_no, fiscal_year=fiscal_year, limit=limit
        )
