"""推進本部 meetings as records: what each meeting saw, frozen, so that what changed since can be
told (judgement/meeting_changes.py).

A meeting keeps the state in force (the approved one, once review exists) at one moment: every
actual with its value and stage, every item status, and the status each indicator was judged to
have for the fiscal year the meeting looked at. The moment is when the meeting is recorded, or an
earlier one (--as-of): then the state is rebuilt from the change log by undoing, newest first,
every change made after it.

Meetings are recorded and removed by approvers and administrators (anyone, before users are
registered); every recording and removal is logged (meeting_log), and a removal takes an
automatic backup first, as a scenario's does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Literal, get_type_hints

import duckdb

from komae_kpi.common import clock
from komae_kpi.common import fiscal_year as fy
from komae_kpi.common.errors import ValidationError
from komae_kpi.common.stages import Stage
from komae_kpi.common.user_text import one_line, text_problem
from komae_kpi.plan import facts
from komae_kpi.plan.model import IndicatorValue, ItemStatus, Plan, column
from komae_kpi.store.backups import make_backup
from komae_kpi.store.connection import (
    LOCK_WAIT_SECONDS,
    connect,
    current_user,
    fetch_all,
    next_id,
    require_current_schema,
    transaction,
)
from komae_kpi.store.permissions import require_meeting_recorder, resolve_actor
from komae_kpi.store.queries import read_plan, select_records
from komae_kpi.store.record_changes import (
    ENTRY_FIELDS,
    RECORD_TYPES,
    ChangeEntry,
    Record,
    RecordKey,
    RecordKind,
    key_of,
    read_records,
    require_store_file,
)
from komae_kpi.store.tables import insert_sql, record_from, stored_names, stored_row

MeetingAction = Literal["add", "remove"]
ACTION_LABELS: dict[MeetingAction, str] = {"add": "記録", "remove": "削除"}
MAX_NAME_LENGTH = 100
# Each indicator's status code for a fiscal year from the actuals (judgement/meeting_changes.
# judge_statuses: the store cannot judge), given the plan, the actuals and the year.
Judge = Callable[[Plan, Sequence[IndicatorValue], int], Mapping[int, str]]
# The change log's actions that changed a record in force (the others are about review).
_WRITES = ("insert", "update", "delete")


@dataclass(frozen=True, kw_only=True)
class MeetingValue:
    """An actual in force when the meeting was frozen (kept under the meeting's name)."""

    TABLE: ClassVar[str] = "meeting_values"

    indicator_no: int = field(metadata=column(key=True))
    fiscal_year: int = field(metadata=column(key=True))
    value: float
    stage: Stage


@dataclass(frozen=True, kw_only=True)
class MeetingItemStatus:
    """An item's status in force when the meeting was frozen (a vocabulary term)."""

    TABLE: ClassVar[str] = "meeting_item_statuses"

    item_no: int = field(metadata=column(key=True))
    fiscal_year: int = field(metadata=column(key=True))
    status: str


@dataclass(frozen=True, kw_only=True)
class MeetingJudgement:
    """An indicator's status for the meeting's fiscal year, as judged then (a status code)."""

    TABLE: ClassVar[str] = "meeting_judgements"

    indicator_no: int = field(metadata=column(key=True))
    status: str


@dataclass(frozen=True, kw_only=True)
class Meeting:
    """A 推進本部 meeting and the state it saw.

    state_at: the moment whose state in force is frozen; rebuilt: that state was rebuilt from
    the change log (recorded afterwards with --as-of). recorded_at/by are set by the store.
    """

    TABLE: ClassVar[str] = "meetings"

    name: str = field(metadata=column(key=True))
    held_on: dt.date
    fiscal_year: int
    state_at: dt.datetime
    rebuilt: bool = False
    recorded_at: dt.datetime | None = None
    recorded_by: str | None = None
    values: tuple[MeetingValue, ...] = field(default=(), metadata=column(stored=False))
    statuses: tuple[MeetingItemStatus, ...] = field(default=(), metadata=column(stored=False))
    judgements: tuple[MeetingJudgement, ...] = field(default=(), metadata=column(stored=False))

    @property
    def frozen_state(
        self,
    ) -> tuple[
        tuple[MeetingValue, ...], tuple[MeetingItemStatus, ...], tuple[MeetingJudgement, ...]
    ]:
        """What the meeting saw, without when and by whom it was recorded (two records of the
        same moment have the same frozen state)."""
        return self.values, self.statuses, self.judgements

    def indicator_values(self) -> tuple[IndicatorValue, ...]:
        """The frozen actuals as records (without source and note, which are not kept)."""
        return tuple(
            IndicatorValue(
                indicator_no=v.indicator_no,
                fiscal_year=v.fiscal_year,
                value=v.value,
                stage=v.stage,
                source=None,
                note=None,
            )
            for v in self.values
        )

    def item_statuses(self) -> tuple[ItemStatus, ...]:
        """The frozen statuses as records (without their texts, which are not kept)."""
        return tuple(
            ItemStatus(
                item_no=s.item_no,
                fiscal_year=s.fiscal_year,
                status=s.status,
                achievements=None,
                issues=None,
                next_steps=None,
            )
            for s in self.statuses
        )

    def judgement(self, indicator_no: int) -> str | None:
        return next((j.status for j in self.judgements if j.indicator_no == indicator_no), None)

    def summary(self) -> str:
        """「2026-07-15開催、令和7年度 (2025)、実績値 40件・進捗状況 120件（2026-07-15 10:00時点）」."""
        rebuilt = "、変更履歴から再現" if self.rebuilt else ""
        return (
            f"{self.held_on.isoformat()}開催、{fy.label(self.fiscal_year)}、"
            f"実績値 {len(self.values)}件・進捗状況 {len(self.statuses)}件"
            f"（{self.state_at:%Y-%m-%d %H:%M}時点{rebuilt}）"
        )


@dataclass(frozen=True, kw_only=True)
class MeetingLogEntry:
    """One recording or removal of a meeting."""

    TABLE: ClassVar[str] = "meeting_log"

    log_id: int = field(metadata=column(key=True))
    logged_at: dt.datetime
    logged_by: str
    action: MeetingAction
    name: str
    summary: str

    @property
    def action_label(self) -> str:
        return ACTION_LABELS[self.action]


_CONTENTS: tuple[tuple[str, type[MeetingValue | MeetingItemStatus | MeetingJudgement]], ...] = (
    ("values", MeetingValue),
    ("statuses", MeetingItemStatus),
    ("judgements", MeetingJudgement),
)


# --- what may be recorded -----------------------------------------------------------------------


def name_problem(name: str) -> str | None:
    if not name.strip():
        return "会議の名前が空です。"
    if len(name) > MAX_NAME_LENGTH:
        return f"会議の名前は{MAX_NAME_LENGTH}文字までです（{len(name)}文字）。"
    return text_problem(name, one_line("会議の名前"))


def unknown_problem(name: str, known: Sequence[str]) -> str:
    """A meeting name that is not recorded, with the ones that are."""
    there = (
        f"（記録されている会議は「{'」「'.join(known)}」）"
        if known
        else "（会議はまだ記録されていません。`meeting add` で記録します）"
    )
    return f"会議「{name}」は記録されていません{there}。"


def meeting_years(plan: Plan) -> range:
    """The years a meeting may look at: the baseline year (FY2023) to the target year (FY2029),
    as facts.due_fiscal_year gives them."""
    return range(facts.baseline_fiscal_year(plan), facts.target_fiscal_year(plan) + 1)


def meeting_problems(
    name: str,
    held_on: dt.date,
    as_of: dt.datetime | None,
    known: Sequence[str],
    *,
    today: dt.date,
    now: dt.datetime,
    years: range,
    fiscal_year: int | None = None,
) -> list[str]:
    """Every reason a meeting cannot be recorded so (empty when it can)."""
    problems = [p for p in [name_problem(name)] if p]
    if name in known:
        problems.append(f"会議「{name}」は既に記録されています。別の名前にしてください。")
    if held_on > today:
        problems.append(
            f"開催日 {held_on.isoformat()} は今日（{today.isoformat()}）より後です。"
            "会議は開催した後に記録してください。"
        )
    if as_of is not None and as_of > now:
        problems.append(
            f"時点 {as_of:%Y-%m-%d %H:%M} は現在（{now:%Y-%m-%d %H:%M}）より後です。"
            "過去の時点を指定してください。"
        )
    if fiscal_year is not None and fiscal_year not in years:
        problems.append(
            f"{fy.label(fiscal_year)}は会議で扱える年度（{fy.label(years[0])}〜"
            f"{fy.label(years[-1])}）の外です。"
        )
    return problems


# --- the state in force at a moment -------------------------------------------------------------

_FIELD_TYPES: dict[RecordKind, dict[str, Any]] = {
    kind: get_type_hints(record_type) for kind, record_type in RECORD_TYPES.items()
}


def parse_logged(kind: RecordKind, name: str, text: str | None) -> object:
    """A field's value back from the change log's text (record_changes.log_text): numbers are
    logged by repr, everything else as its text."""
    if text is None:
        return None
    wanted = _FIELD_TYPES[kind].get(name)
    if wanted is float:
        return float(text)
    if wanted is int:
        return int(text)
    return text


def _record_of(key: RecordKey, fields_: Mapping[str, object]) -> Record:
    record_type = RECORD_TYPES[key.kind]
    keys = {
        "indicator_value": {"indicator_no": key.subject_no},
        "item_status": {"item_no": key.subject_no},
    }[key.kind]
    values = {name: fields_.get(name) for name in ENTRY_FIELDS[key.kind]}
    if key.kind == "indicator_value" and values.get("stage") is None:
        values.pop("stage")  # the model's default stage, as for rows logged before stages
    return record_type(**keys, fiscal_year=key.fiscal_year, **values)  # type: ignore[arg-type]


def _fields_of(record: Record) -> dict[str, object]:
    return {name: getattr(record, name) for name in ENTRY_FIELDS[key_of(record).kind]}


def records_as_of(
    records: Mapping[RecordKey, Record], entries: Sequence[ChangeEntry], as_of: dt.datetime
) -> dict[RecordKey, Record]:
    """The records in force at as_of: those in force now with every change logged after as_of
    undone, newest first. An insert is undone by removing the record, an update by putting the
    field's old value back, a delete by bringing the record back with its old values (and its
    stage, which each of its rows keeps)."""
    state: dict[RecordKey, dict[str, object]] = {k: _fields_of(r) for k, r in records.items()}
    later = sorted(
        (e for e in entries if e.changed_at > as_of and e.action in _WRITES),
        key=lambda e: (e.change_id, e.seq),
        reverse=True,
    )
    restored: set[tuple[int, RecordKey]] = set()
    for entry in later:
        key = entry.key
        if entry.action == "insert":
            state.pop(key, None)
            continue
        if entry.action == "delete" and (entry.change_id, key) not in restored:
            restored.add((entry.change_id, key))
            state[key] = {"stage": entry.stage} if key.kind == "indicator_value" else {}
        if key in state:
            state[key][entry.field] = parse_logged(key.kind, entry.field, entry.old_value)
    return {k: _record_of(k, fields_) for k, fields_ in sorted(state.items())}


def read_changes_since(con: duckdb.DuckDBPyConnection, as_of: dt.datetime) -> list[ChangeEntry]:
    """The change log's rows after as_of."""
    sql = (
        f"SELECT {', '.join(stored_names(ChangeEntry))} FROM {ChangeEntry.TABLE}"
        " WHERE changed_at > ? ORDER BY change_id, seq"
    )
    return [record_from(ChangeEntry, row) for row in fetch_all(con, sql, [as_of])]


def frozen_meeting(
    plan: Plan,
    records: Mapping[RecordKey, Record],
    *,
    name: str,
    held_on: dt.date,
    fiscal_year: int,
    state_at: dt.datetime,
    rebuilt: bool,
    judge: Judge,
) -> Meeting:
    """A meeting that saw these records; judge gives each indicator's status code for the year
    from the actuals (the store cannot judge: judgement/progress.assess_all does)."""
    values = [r for r in records.values() if isinstance(r, IndicatorValue)]
    statuses = [r for r in records.values() if isinstance(r, ItemStatus)]
    judged = judge(plan, values, fiscal_year)
    return Meeting(
        name=name,
        held_on=held_on,
        fiscal_year=fiscal_year,
        state_at=state_at,
        rebuilt=rebuilt,
        values=tuple(
            MeetingValue(
                indicator_no=v.indicator_no, fiscal_year=v.fiscal_year, value=v.value, stage=v.stage
            )
            for v in sorted(values, key=lambda v: (v.indicator_no, v.fiscal_year))
        ),
        statuses=tuple(
            MeetingItemStatus(item_no=s.item_no, fiscal_year=s.fiscal_year, status=s.status)
            for s in sorted(statuses, key=lambda s: (s.item_no, s.fiscal_year))
        ),
        judgements=tuple(
            MeetingJudgement(indicator_no=x.indicator_no, status=judged[x.indicator_no])
            for x in plan.indicators
            if x.indicator_no in judged
        ),
    )


# --- reading ------------------------------------------------------------------------------------


def read_meetings(con: duckdb.DuckDBPyConnection, name: str | None = None) -> list[Meeting]:
    """The meetings (the one so named, when name is given) with what they saw, by the day held."""

    def contents(row: dict[str, Any]) -> dict[str, Any]:
        where = {"name": row["name"]}
        return {
            attr: tuple(select_records(con, record_type, where)) for attr, record_type in _CONTENTS
        }

    found = select_records(con, Meeting, {"name": name} if name is not None else None, contents)
    return sorted(found, key=lambda m: (m.held_on, m.state_at, m.name))


def read_meeting_log(
    con: duckdb.DuckDBPyConnection, name: str | None = None
) -> list[MeetingLogEntry]:
    """The log, newest first (one meeting's, when named)."""
    entries = select_records(con, MeetingLogEntry, {"name": name} if name is not None else None)
    return entries[::-1]


def _meeting_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The recorded meetings' names, the earliest held first (without what they saw)."""
    sql = "SELECT name FROM meetings ORDER BY held_on, state_at, name"
    return [row[0] for row in fetch_all(con, sql)]


def list_meetings(path: Path, *, wait_seconds: float = LOCK_WAIT_SECONDS) -> list[Meeting]:
    """Every recorded meeting, the earliest held first."""
    with connect(path, read_only=True, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        return read_meetings(con)


def meeting_names(path: Path, *, wait_seconds: float = LOCK_WAIT_SECONDS) -> list[str]:
    """The recorded meetings' names, the earliest held first (not what they saw)."""
    with connect(path, read_only=True, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        return _meeting_names(con)


def load_meeting(path: Path, name: str, *, wait_seconds: float = LOCK_WAIT_SECONDS) -> Meeting:
    """The meeting so named; ValidationError naming the recorded ones when there is none."""
    with connect(path, read_only=True, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        return _found(con, name)


def latest_meeting(path: Path, *, wait_seconds: float = LOCK_WAIT_SECONDS) -> Meeting | None:
    """The meeting held last (None before any is recorded): the default to compare with."""
    meetings = list_meetings(path, wait_seconds=wait_seconds)
    return meetings[-1] if meetings else None


def meeting_log(
    path: Path, name: str | None = None, *, wait_seconds: float = LOCK_WAIT_SECONDS
) -> list[MeetingLogEntry]:
    with connect(path, read_only=True, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        return read_meeting_log(con, name)


def _found(con: duckdb.DuckDBPyConnection, name: str) -> Meeting:
    found = read_meetings(con, name)
    if not found:
        raise ValidationError([unknown_problem(name, _meeting_names(con))])
    return found[0]


# --- writing ------------------------------------------------------------------------------------


def _log(
    con: duckdb.DuckDBPyConnection, *, by: str, action: MeetingAction, meeting: Meeting
) -> MeetingLogEntry:
    log_id = next_id(con, "meeting_log", "log_id")
    entry = MeetingLogEntry(
        log_id=log_id,
        logged_at=dt.datetime.now(),
        logged_by=by,
        action=action,
        name=meeting.name,
        summary=meeting.summary(),
    )
    con.execute(
        insert_sql(MeetingLogEntry.TABLE, stored_names(MeetingLogEntry)),
        list(stored_row(entry).values()),
    )
    return entry


def _write(con: duckdb.DuckDBPyConnection, meeting: Meeting) -> None:
    con.execute(
        insert_sql(Meeting.TABLE, stored_names(Meeting)), list(stored_row(meeting).values())
    )
    for attr, record_type in _CONTENTS:
        records = getattr(meeting, attr)
        if records:
            con.executemany(
                insert_sql(record_type.TABLE, ["name", *stored_names(record_type)]),
                [[meeting.name, *stored_row(r).values()] for r in records],
            )


def _delete(con: duckdb.DuckDBPyConnection, name: str) -> None:
    for _, record_type in _CONTENTS:
        con.execute(f"DELETE FROM {record_type.TABLE} WHERE name = ?", [name])  # ours
    con.execute(f"DELETE FROM {Meeting.TABLE} WHERE name = ?", [name])


def record_meeting(
    path: Path,
    *,
    name: str,
    held_on: dt.date,
    judge: Judge,
    as_of: dt.datetime | None = None,
    fiscal_year: int | None = None,
    user: str | None = None,
    wait_seconds: float = LOCK_WAIT_SECONDS,
) -> tuple[Meeting, MeetingLogEntry]:
    """Record a meeting in one transaction, as `user` (default: the OS user), freezing the state
    in force now, or at as_of (rebuilt from the change log). fiscal_year defaults to the year
    due on the day held (facts.due_fiscal_year). judge: see frozen_meeting (judgement/meeting_changes.
    record_meeting passes its judge_statuses).

    Refused with ValidationError, nothing written: a name taken or breaking the text rule, a day
    held or an as_of in the future, a year outside the plan; PermissionDeniedError for one who is
    neither an approver nor an administrator once users exist.
    """
    require_store_file(path)
    with connect(path, read_only=False, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        with transaction(con):
            actor = resolve_actor(con, user or current_user())
            require_meeting_recorder(actor)
            plan = read_plan(con)
            now = dt.datetime.now()
            problems = meeting_problems(
                name,
                held_on,
                as_of,
                _meeting_names(con),
                today=clock.today(),
                now=now,
                years=meeting_years(plan),
                fiscal_year=fiscal_year,
            )
            if problems:
                raise ValidationError(problems)
            records = read_records(con)
            if as_of is not None:
                records = records_as_of(records, read_changes_since(con, as_of), as_of)
            meeting = frozen_meeting(
                plan,
                records,
                name=name,
                held_on=held_on,
                fiscal_year=fiscal_year or facts.due_fiscal_year(plan, held_on),
                state_at=as_of or now,
                rebuilt=as_of is not None,
                judge=judge,
            )
            meeting = replace(meeting, recorded_at=now, recorded_by=actor.identity)
            _write(con, meeting)
            return meeting, _log(con, by=actor.identity, action="add", meeting=meeting)


def remove_meeting(
    path: Path, name: str, *, user: str | None = None, wait_seconds: float = LOCK_WAIT_SECONDS
) -> MeetingLogEntry:
    """Remove a meeting in one transaction, logged, after an automatic backup; ValidationError
    naming the recorded ones when there is none so named, PermissionDeniedError for one who is
    neither an approver nor an administrator once users exist."""
    require_store_file(path)
    with connect(path, read_only=False, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        require_meeting_recorder(resolve_actor(con, user or current_user()))
        _found(con, name)
        make_backup(con, path, reason="meeting")
        with transaction(con):
            actor = resolve_actor(con, user or current_user())  # again: the store may have changed
            require_meeting_recorder(actor)
            found = _found(con, name)
            _delete(con, name)
            return _log(con, by=actor.identity, action="remove", meeting=found)
