"""What changed since a 推進本部 meeting: the indicators and items whose state differs between what
the meeting saw (store/meetings.py keeps it) and what is in force now.

The shapes here are what `changes --since`, the overview's 「前回会議からの変化」, the deck and the
report all read; the JSON of `changes --json` is these fields.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from komae_kpi.common import formatting
from komae_kpi.judgement.indicator_status import STATUS_LABELS, StatusCode
from komae_kpi.judgement.item_progress import NOT_REPORTED, item_rows, status_index
from komae_kpi.judgement.progress import Snapshot, assess_all, load_snapshot
from komae_kpi.plan import facts
from komae_kpi.plan.model import IndicatorValue, Plan
from komae_kpi.store import meetings
from komae_kpi.store.connection import LOCK_WAIT_SECONDS
from komae_kpi.store.meetings import Meeting, MeetingLogEntry, MeetingValue

ChangeKind = Literal[
    "status_changed",  # an indicator's judgement or an item's status differs (注意 → 遅れ)
    "new_value",  # an actual the meeting did not have
    "revised",  # an actual the meeting had, with another value or stage now
    "newly_reported",  # an item unreported at the meeting, reported now
    "still_unreported",  # an item unreported at the meeting and still now
]
CHANGE_KIND_LABELS: dict[ChangeKind, str] = {
    "status_changed": "判定・状況の変化",
    "new_value": "新しい実績",
    "revised": "実績の修正",
    "newly_reported": "新たに報告",
    "still_unreported": "未報告のまま",
}


@dataclass(frozen=True, kw_only=True)
class IndicatorChange:
    """One change of one indicator. before/after: status codes (as `status --json`) for
    status_changed; the values as shown (「88.1%（見込）」, None for none) for new_value/revised."""

    no: int
    name: str
    kind: ChangeKind
    fiscal_year: int  # the year judged (status_changed) or the year of the actual
    before: str | None
    after: str | None
    before_label: str | None  # the status words or the value as people read them
    after_label: str | None


@dataclass(frozen=True, kw_only=True)
class ItemChange:
    """One change of one item's status for the year: before/after are the vocabulary terms
    (順調, 遅れ …) or None for 未報告."""

    no: int
    name: str
    kind: ChangeKind
    fiscal_year: int
    policy_no: int
    departments: tuple[str, ...]
    before: str | None
    after: str | None


@dataclass(frozen=True, kw_only=True)
class MeetingChanges:
    """Everything that changed since one meeting, for one fiscal year."""

    meeting_name: str
    meeting_date: str  # ISO date the meeting was held
    fiscal_year: int
    indicators: tuple[IndicatorChange, ...]
    items: tuple[ItemChange, ...]


_KIND_ORDER: tuple[ChangeKind, ...] = (
    "status_changed",
    "new_value",
    "revised",
    "newly_reported",
    "still_unreported",
)


def judge_statuses(
    plan: Plan, values: Sequence[IndicatorValue], fiscal_year: int
) -> dict[int, str]:
    """Each indicator's status code for the year, judged from these actuals as assess_all does
    (the store's meetings.Judge)."""
    snapshot = Snapshot(
        path=Path(),
        kind="city",
        plan=plan,
        values=tuple(values),
        statuses=(),
        reference_series=(),
        reference_values=(),
    )
    return {a.indicator_no: a.status for a in assess_all(snapshot, fiscal_year)}


def record_meeting(
    path: Path,
    *,
    name: str,
    held_on: dt.date,
    as_of: dt.datetime | None = None,
    fiscal_year: int | None = None,
    user: str | None = None,
    wait_seconds: float = LOCK_WAIT_SECONDS,
) -> tuple[Meeting, MeetingLogEntry]:
    """Record a meeting with the indicators judged as every page judges them (see
    store.meetings.record_meeting for what is refused)."""
    return meetings.record_meeting(
        path,
        name=name,
        held_on=held_on,
        judge=judge_statuses,
        as_of=as_of,
        fiscal_year=fiscal_year,
        user=user,
        wait_seconds=wait_seconds,
    )


def _status_code(code: str) -> StatusCode:
    return next(s for s in STATUS_LABELS if s == code)


def _value_text(unit: str, value: MeetingValue | IndicatorValue | None) -> str | None:
    if value is None:
        return None
    return formatting.with_stage(value.value, unit, value.stage)


def _indicator_changes(meeting: Meeting, now: Snapshot, fiscal_year: int) -> list[IndicatorChange]:
    plan = now.plan
    if fiscal_year == meeting.fiscal_year and meeting.judgements:
        before_status = {j.indicator_no: j.status for j in meeting.judgements}
    else:
        before_status = judge_statuses(plan, meeting.indicator_values(), fiscal_year)
    after_status = {a.indicator_no: a.status for a in assess_all(now, fiscal_year)}
    frozen = {(v.indicator_no, v.fiscal_year): v for v in meeting.values}
    current = {(v.indicator_no, v.fiscal_year): v for v in now.values}
    changes: list[IndicatorChange] = []
    for x in plan.indicators:
        before, after = before_status.get(x.indicator_no), after_status.get(x.indicator_no)
        if before != after:
            changes.append(
                IndicatorChange(
                    no=x.indicator_no,
                    name=x.name,
                    kind="status_changed",
                    fiscal_year=fiscal_year,
                    before=before,
                    after=after,
                    before_label=STATUS_LABELS[_status_code(before)] if before else None,
                    after_label=STATUS_LABELS[_status_code(after)] if after else None,
                )
            )
        years = {y for (n, y) in frozen.keys() | current.keys() if n == x.indicator_no}
        for year in sorted(y for y in years if y <= fiscal_year):
            was, is_ = frozen.get((x.indicator_no, year)), current.get((x.indicator_no, year))
            if (
                was is not None
                and is_ is not None
                and (was.value, was.stage)
                == (
                    is_.value,
                    is_.stage,
                )
            ):
                continue
            shown_before, shown_after = _value_text(x.unit, was), _value_text(x.unit, is_)
            changes.append(
                IndicatorChange(
                    no=x.indicator_no,
                    name=x.name,
                    kind="new_value" if was is None else "revised",
                    fiscal_year=year,
                    before=shown_before,
                    after=shown_after,
                    before_label=shown_before,
                    after_label=shown_after,
                )
            )
    return changes


def _item_changes(meeting: Meeting, now: Snapshot, fiscal_year: int) -> list[ItemChange]:
    """Every original item's change for the year (a repost is its original's: counted once)."""
    if not facts.in_plan_period(fiscal_year):
        return []
    plan = now.plan
    before_rows = item_rows(plan, status_index(meeting.item_statuses()), fiscal_year)
    after_rows = item_rows(plan, status_index(now.statuses), fiscal_year)
    changes: list[ItemChange] = []
    for was, is_ in zip(before_rows, after_rows, strict=True):
        if was.item.repost_of is not None:
            continue
        before = was.status if was.reported else None
        after = is_.status if is_.reported else None
        kind: ChangeKind | None
        if before is None:
            kind = "still_unreported" if after is None else "newly_reported"
        else:
            kind = "status_changed" if before != after else None
        if kind is None:
            continue
        changes.append(
            ItemChange(
                no=was.item.item_no,
                name=was.item.display_name,
                kind=kind,
                fiscal_year=fiscal_year,
                policy_no=was.item.policy_no,
                departments=was.item.departments,
                before=before,
                after=after,
            )
        )
    return sorted(
        changes, key=lambda c: (c.policy_no, c.departments, _KIND_ORDER.index(c.kind), c.no)
    )


def changes_since(
    meeting: Meeting, snapshot_now: Snapshot, fiscal_year: int | None = None
) -> MeetingChanges:
    """What changed between what the meeting saw and the state in force now (load_snapshot
    without include_pending), for fiscal_year (default: the meeting's): indicators whose status
    for the year changed, actuals up to the year that are new or revised; items whose status for
    the year changed, newly reported or still unreported, by 施策 and department."""
    year = meeting.fiscal_year if fiscal_year is None else fiscal_year
    return MeetingChanges(
        meeting_name=meeting.name,
        meeting_date=meeting.held_on.isoformat(),
        fiscal_year=year,
        indicators=tuple(_indicator_changes(meeting, snapshot_now, year)),
        items=tuple(_item_changes(meeting, snapshot_now, year)),
    )


def load_changes(
    path: Path, name: str | None = None, fiscal_year: int | None = None
) -> MeetingChanges | None:
    """What changed since the meeting so named (the latest held, when name is None; None when
    no meeting is recorded), against the approved state now. ValidationError naming the
    recorded meetings for an unknown name."""
    meeting = meetings.latest_meeting(path) if name is None else meetings.load_meeting(path, name)
    if meeting is None:
        return None
    return changes_since(meeting, load_snapshot(path), fiscal_year)


def changes_record(changes: MeetingChanges) -> dict[str, Any]:
    """The JSON of `changes --json`: the meeting, the year, and the indicators' and items'
    changes, each with its kind's words and, for items, 未報告 for a missing status."""

    def entry(change: IndicatorChange | ItemChange) -> dict[str, Any]:
        record = asdict(change)
        record["kind_label"] = CHANGE_KIND_LABELS[change.kind]
        if isinstance(change, ItemChange):
            record["departments"] = list(change.departments)
            record["before_label"] = change.before or NOT_REPORTED
            record["after_label"] = change.after or NOT_REPORTED
        return record

    return {
        "meeting": {"name": changes.meeting_name, "held_on": changes.meeting_date},
        "fiscal_year": changes.fiscal_year,
        "indicators": [entry(c) for c in changes.indicators],
        "items": [entry(c) for c in changes.items],
    }
