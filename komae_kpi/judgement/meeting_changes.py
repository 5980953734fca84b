"""What changed since a 推進本部 meeting: the indicators and items whose state differs between what
the meeting saw (store/meetings.py keeps it) and what is in force now.

The shapes here are what `changes --since`, the overview's 「前回会議からの変化」, the deck and the
report all read; the JSON of `changes --json` is these fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
