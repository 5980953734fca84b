"""Changes to entered records and their history (the audit trail).

The two kinds of entered record are an indicator's actual for a fiscal year (IndicatorValue) and an
item's status for a fiscal year (ItemStatus). Every write of either, from a form, an import or a
restore, goes through apply_changes(), which writes the record and one change_log row per changed
field, in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

import duckdb

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common import formatting, stages
from komae_kpi.common.errors import KomaeKpiError, StoreMissingError
from komae_kpi.common.stages import Stage
from komae_kpi.plan.model import IndicatorValue, ItemStatus, Plan, column, columns, key_names
from komae_kpi.store.connection import connect, fetch_all, next_id, require_current_schema
from komae_kpi.store.queries import read_indicator_values, read_item_statuses, select_records
from komae_kpi.store.tables import insert_sql, record_from, stored_names, stored_row

RecordKind = Literal["indicator_value", "item_status"]
Record = IndicatorValue | ItemStatus
Method = Literal["form", "import", "restore", "review", "migration"]
Action = Literal["new", "changed", "unchanged", "deleted"]

RECORD_TYPES: dict[RecordKind, type[IndicatorValue] | type[ItemStatus]] = {
    "indicator_value": IndicatorValue,
    "item_status": ItemStatus,
}
# The fields a person enters, per kind: every field but the key.
ENTRY_FIELDS: dict[RecordKind, tuple[str, ...]] = {
    kind: tuple(name for name, c in columns(record_type) if not c.key)
    for kind, record_type in RECORD_TYPES.items()
}
# Their labels, as the open data names them (the two kinds share source and note).
FIELD_LABELS: dict[str, str] = {
    name: c.label or name
    for record_type in RECORD_TYPES.values()
    for name, c in columns(record_type)
    if not c.key
}
STAGE_FIELD = "stage"  # an actual's stage, also kept on each of its log rows (ChangeEntry.stage)
# Columns of the entered tables that no record field holds, written with every user entry.
_USER_COLUMNS: dict[RecordKind, dict[str, object]] = {
    "indicator_value": {"origin": "user"},
    "item_status": {},
}
METHOD_LABELS: dict[str, str] = {
    "form": "画面で入力",
    "import": "ファイル取込",
    "restore": "復元",
    "review": "承認",
    "migration": "移行",
}
LOG_ACTIONS: dict[str, str] = {
    "insert": "追加",
    "update": "変更",
    "delete": "削除",
    "submit": "提出",
    "supersede": "取下げ（再提出）",
    "approve": "承認",
    "return": "差戻し",
}


@dataclass(frozen=True, order=True, kw_only=True)
class RecordKey:
    kind: RecordKind
    subject_no: int  # indicator_no or item_no
    fiscal_year: int


def key_of(record: Record) -> RecordKey:
    if isinstance(record, IndicatorValue):
        return RecordKey(
            kind="indicator_value", subject_no=record.indicator_no, fiscal_year=record.fiscal_year
        )
    return RecordKey(kind="item_status", subject_no=record.item_no, fiscal_year=record.fiscal_year)


def stage_of(record: Record | None) -> Stage | None:
    """An actual's stage; None for no record or an item status."""
    return record.stage if isinstance(record, IndicatorValue) else None


def entry_values(record: Record) -> dict[str, object]:
    return {name: getattr(record, name) for name, c in columns(type(record)) if not c.key}


@dataclass(frozen=True, kw_only=True)
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
        """(field, old, new) for every entry field that differs.

        An actual's stage is a field of its own only when it changes (見込 → 決算): an actual that
        is added or deleted shows its stage with its value (「91.2%（見込）」), and its log rows
        carry it (ChangeEntry.stage).
        """
        old = entry_values(self.before) if self.before is not None else {}
        new = entry_values(self.after) if self.after is not None else {}
        whole = self.before is None or self.after is None
        return [
            (name, old.get(name), new.get(name))
            for name in ENTRY_FIELDS[self.key.kind]
            if old.get(name) != new.get(name) and not (whole and name == STAGE_FIELD)
        ]

    @property
    def stages(self) -> tuple[Stage | None, Stage | None]:
        """The stage of the actual before and after (None: no actual, or not an actual)."""
        return stage_of(self.before), stage_of(self.after)


def stage_refusal(plan: Plan, in_force: Record | None, new: Record | None) -> str | None:
    """Why `new` may not replace the record in force, by the rule of stages (common/stages.py): a
    value of an earlier stage never replaces one of a later stage for the same indicator and year.
    None when it may (the same or a later stage, nothing in force, not an actual).

    The one check of the rule, made by every write: a form save and an import (refused there, or
    left out of the import), an approval (a 見込 submitted before the 決算 was approved) and a
    restore.
    """
    if not isinstance(in_force, IndicatorValue) or not isinstance(new, IndicatorValue):
        return None
    if stages.replaces(new.stage, in_force.stage):
        return None
    indicator = next((x for x in plan.indicators if x.indicator_no == in_force.indicator_no), None)
    name = indicator.name if indicator else f"指標{in_force.indicator_no}"
    shown = formatting.with_unit(in_force.value, indicator.unit if indicator else "")
    return (
        f"{fy.wareki(in_force.fiscal_year)}の{name}は{stages.label(in_force.stage)}値（{shown}）が"
        f"入力済みのため、{stages.label(new.stage)}値では置き換えません。"
    )


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


def _key_values(key: RecordKey) -> dict[str, object]:
    """The key columns of the record a key names, with their values."""
    names = key_names(RECORD_TYPES[key.kind])
    return dict(zip(names, (key.subject_no, key.fiscal_year), strict=True))


def read_record(con: duckdb.DuckDBPyConnection, key: RecordKey) -> Record | None:
    found = select_records(con, RECORD_TYPES[key.kind], _key_values(key))
    return found[0] if found else None


def log_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return repr(value)
    return str(value)


class ChangeBatch:
    """The rows of one change of the log (one save, import, restore or review), written together.

    Every row shares the change_id, the time and the person; seq numbers them in order.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, *, user: str, method: Method) -> None:
        self.change_id = next_id(con, "change_log", "change_id")
        self.now = dt.datetime.now()
        self.user = user
        self.method = method
        self.entries: list[ChangeEntry] = []

    def add(
        self,
        key: RecordKey,
        *,
        action: str,
        field: str,
        old: object = None,
        new: object = None,
        file_name: str | None = None,
        file_sha256: str | None = None,
        submission_id: int | None = None,
        comment: str | None = None,
        stage: Stage | None = None,
    ) -> None:
        self.entries.append(
            ChangeEntry(
                change_id=self.change_id,
                seq=len(self.entries) + 1,
                changed_at=self.now,
                changed_by=self.user,
                method=self.method,
                file_name=file_name,
                file_sha256=file_sha256,
                record_kind=key.kind,
                subject_no=key.subject_no,
                fiscal_year=key.fiscal_year,
                action=action,
                field=field,
                old_value=log_text(old),
                new_value=log_text(new),
                submission_id=submission_id,
                comment=comment,
                stage=stage,
            )
        )

    def add_fields(
        self,
        change: RecordChange,
        *,
        action: str,
        submission_id: int | None = None,
        comment: str | None = None,
    ) -> None:
        """One row per entry field that differs between the change's before and after.

        Each row of an actual carries the actual's stage (after the change, or before a deletion),
        so the stage of every value is kept with its date and source.
        """
        stage = stage_of(change.after if change.after is not None else change.before)
        for name, old, new in change.changed_fields():
            self.add(
                change.key,
                action=action,
                field=name,
                old=old,
                new=new,
                file_name=change.file_name,
                file_sha256=change.file_sha256,
                submission_id=submission_id,
                comment=comment,
                stage=stage,
            )

    def write(self, con: duckdb.DuckDBPyConnection) -> None:
        if self.entries:
            con.executemany(
                insert_sql(ChangeEntry.TABLE, stored_names(ChangeEntry)),
                [list(stored_row(entry).values()) for entry in self.entries],
            )


_WRITE_ACTIONS = {"new": "insert", "changed": "update", "deleted": "delete"}


def apply_changes(
    con: duckdb.DuckDBPyConnection,
    changes: Sequence[RecordChange],
    *,
    user: str,
    method: Method,
    batch: ChangeBatch | None = None,
    submission_ids: Sequence[int | None] = (),
) -> int:
    """Write the records that change and log each changed field. Call inside a transaction.

    Returns the number of records written; unchanged ones are skipped and not logged.
    batch: a change of the log to add to (its caller writes it); a new one otherwise.
    submission_ids: per change, the approved submission it comes from (method 'review').
    """
    ids = list(submission_ids) or [None] * len(changes)
    real = [(c, s) for c, s in zip(changes, ids, strict=True) if c.action != "unchanged"]
    if not real:
        return 0
    log = batch or ChangeBatch(con, user=user, method=method)
    for change, submission_id in real:
        _write_record(con, change, log.now, user)
        log.add_fields(change, action=_WRITE_ACTIONS[change.action], submission_id=submission_id)
    if batch is None:
        log.write(con)
    return len(real)


def _write_record(
    con: duckdb.DuckDBPyConnection, change: RecordChange, now: dt.datetime, user: str
) -> None:
    if change.after is not None:
        write_entered(con, [change.after], now=now, user=user)
        return
    _delete_record(con, change.key)


def _delete_record(con: duckdb.DuckDBPyConnection, key: RecordKey) -> None:
    table = RECORD_TYPES[key.kind].TABLE
    where = _key_values(key)
    con.execute(
        f"DELETE FROM {table} WHERE {' AND '.join(f'{n} = ?' for n in where)}",
        list(where.values()),
    )


PUBLISHED_RESTORE_REASON = "公表値の復元"


def restore_published(
    con: duckdb.DuckDBPyConnection, published: Sequence[IndicatorValue], *, user: str
) -> list[RecordChange]:
    """Put back every published figure (the plan's baselines and the shipped history) that a
    user's row replaced, as a previous version let the form and imports do; returns what changed.

    Each one is logged as a restore by `user` (init) with the reason 公表値の復元, old value and
    source beside the published ones. The user's rows at those keys are removed for the caller to
    write the published rows (init's shipped upsert, in the same transaction); every other row
    users entered is left alone.
    """
    entered = {key_of(v): v for v in select_records(con, IndicatorValue, {"origin": "user"})}
    taken = [
        RecordChange(key=key_of(v), before=entered[key_of(v)], after=v)
        for v in published
        if key_of(v) in entered
    ]
    changed = [c for c in taken if c.action != "unchanged"]
    if changed:
        log = ChangeBatch(con, user=user, method="restore")
        for change in changed:
            log.add_fields(change, action="update", comment=PUBLISHED_RESTORE_REASON)
        log.write(con)
    for change in taken:
        _delete_record(con, change.key)
    return changed


def write_entered(
    con: duckdb.DuckDBPyConnection, records: Sequence[Record], *, now: dt.datetime, user: str
) -> None:
    """Write records as entered by `user` at `now` (replacing any with the same key), without
    logging them: apply_changes() logs what it writes; the demo store's invented records have no
    history."""
    for record in records:
        row = stored_row(record) | _USER_COLUMNS[key_of(record).kind]
        row |= {"updated_at": now, "updated_by": user}
        con.execute(
            insert_sql(record.TABLE, list(row), verb="INSERT OR REPLACE"), list(row.values())
        )


# --- reading the history ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ChangeEntry:
    """One row of the change log: one changed field of one record."""

    TABLE: ClassVar[str] = "change_log"

    change_id: int = field(metadata=column(key=True))  # one form save, one import or one restore
    seq: int = field(metadata=column(key=True))
    changed_at: dt.datetime
    changed_by: str
    method: Method
    file_name: str | None
    file_sha256: str | None
    record_kind: RecordKind
    subject_no: int
    fiscal_year: int
    action: str  # insert / update / delete, or submit / approve / return (see LOG_ACTIONS)
    field: str  # an entry field, or 'review_state' for an approval or a return
    old_value: str | None
    new_value: str | None
    submission_id: int | None = None  # the submission a submit, approve or return acted on
    comment: str | None = None  # the approver's comment on an approval or a return
    stage: Stage | None = None  # of an actual: its stage after the change (before a deletion)

    @property
    def key(self) -> RecordKey:
        return RecordKey(
            kind=self.record_kind, subject_no=self.subject_no, fiscal_year=self.fiscal_year
        )


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
    for name, value in (
        ("record_kind", kind),
        ("subject_no", subject_no),
        ("fiscal_year", fiscal_year),
    ):
        if value is not None:
            where.append(f"{name} = ?")  # column names are ours
            params.append(value)
    sql = (
        f"SELECT {', '.join(stored_names(ChangeEntry))} FROM {ChangeEntry.TABLE}"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY change_id DESC, seq"
        + (" LIMIT ?" if limit is not None else "")
    )
    if limit is not None:
        params.append(limit)
    return [record_from(ChangeEntry, row) for row in fetch_all(con, sql, params)]


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
