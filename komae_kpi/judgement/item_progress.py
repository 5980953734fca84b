"""Item statuses for a fiscal year: the tree, filters, counts, what is still missing, one item's history.

A repost (item 60, 再掲 of item 8) is one activity in two places: it shows the status of the item it
repeats, and counts are made once, at the original item's place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

from komae_kpi.plan.model import Item, ItemStatus, Plan

NOT_REPORTED = "未報告"


@dataclass(frozen=True, kw_only=True)
class ItemRow:
    item: Item
    status: str  # a vocabulary term, or NOT_REPORTED
    achievements: str | None
    issues: str | None
    next_steps: str | None
    pending: bool = False  # shown with its submission waiting for approval (承認待ち)

    @property
    def reported(self) -> bool:
        return self.status != NOT_REPORTED


def status_index(
    statuses: tuple[ItemStatus, ...] | list[ItemStatus],
) -> dict[tuple[int, int], ItemStatus]:
    return {(s.item_no, s.fiscal_year): s for s in statuses}


def item_rows(
    plan: Plan,
    statuses: dict[tuple[int, int], ItemStatus],
    fiscal_year: int,
    pending: Collection[tuple[int, int]] = (),
) -> list[ItemRow]:
    """Every item with its status for the year, reposts showing their original's status.

    pending: the (item_no, fiscal_year) shown with a submission waiting for approval.
    """
    rows = []
    for item in plan.items:
        source_no = item.repost_of if item.repost_of is not None else item.item_no
        entry = statuses.get((source_no, fiscal_year))
        if entry is None:
            rows.append(
                ItemRow(
                    item=item, status=NOT_REPORTED, achievements=None, issues=None, next_steps=None
                )
            )
        else:
            rows.append(
                ItemRow(
                    item=item,
                    status=entry.status,
                    achievements=entry.achievements,
                    issues=entry.issues,
                    next_steps=entry.next_steps,
                    pending=(source_no, fiscal_year) in pending,
                )
            )
    return rows


def status_order(plan: Plan) -> list[str]:
    """The vocabulary in its order, then 未報告."""
    return [s.status for s in sorted(plan.statuses, key=lambda s: s.sort_order)] + [NOT_REPORTED]


@dataclass(frozen=True, kw_only=True)
class StatusCount:
    status: str
    count: int
    change: int | None  # from the previous fiscal year; None when that year is outside the data


@dataclass(frozen=True, kw_only=True)
class StatusCounts:
    label: str  # 「全体」 or 「施策1 質の高い行政運営の推進」
    total: int
    counts: tuple[StatusCount, ...]

    def count(self, status: str) -> int:
        return next(c.count for c in self.counts if c.status == status)


def _count(rows: list[ItemRow]) -> Counter[str]:
    return Counter(r.status for r in rows if r.item.repost_of is None)


def status_counts(
    plan: Plan,
    statuses: dict[tuple[int, int], ItemStatus],
    fiscal_year: int,
    *,
    first_reported_year: int,
) -> list[StatusCounts]:
    """Counts per status, overall and per 施策, each with the change from the previous year.

    Reposts are counted once, at their original. The change is None for the first year items are
    reported in (there is no previous year to compare with).
    """
    order = status_order(plan)
    current = item_rows(plan, statuses, fiscal_year)
    previous = (
        item_rows(plan, statuses, fiscal_year - 1) if fiscal_year > first_reported_year else None
    )
    groups: list[tuple[str, int | None]] = [("全体", None)] + [
        (f"施策{p.policy_no} {p.name}", p.policy_no) for p in plan.policies
    ]
    result = []
    for label, policy_no in groups:

        def pick(rows: list[ItemRow], policy_no: int | None = policy_no) -> list[ItemRow]:
            return [r for r in rows if policy_no is None or r.item.policy_no == policy_no]

        now = _count(pick(current))
        before = _count(pick(previous)) if previous is not None else None
        counts = tuple(
            StatusCount(
                status=s, count=now[s], change=None if before is None else now[s] - before[s]
            )
            for s in order
        )
        result.append(StatusCounts(label=label, total=sum(now.values()), counts=counts))
    return result


@dataclass(frozen=True, kw_only=True)
class ItemFilter:
    policy_no: int | None = None
    direction_no: int | None = None  # within policy_no
    department: str | None = None
    status: str | None = None
    text: str = ""


def filter_rows(rows: list[ItemRow], f: ItemFilter) -> list[ItemRow]:
    """Rows that match every filter given. Free text searches name, alias, text and commentary."""
    needle = f.text.strip().casefold()
    out = []
    for r in rows:
        item = r.item
        if f.policy_no is not None and item.policy_no != f.policy_no:
            continue
        if f.direction_no is not None and item.direction_no != f.direction_no:
            continue
        if f.department is not None and f.department not in item.departments:
            continue
        if f.status is not None and r.status != f.status:
            continue
        if needle:
            haystack = " ".join(
                x or ""
                for x in (
                    item.name,
                    item.alias,
                    item.text,
                    r.achievements,
                    r.issues,
                    r.next_steps,
                    f"取組項目{item.item_no}",
                )
            ).casefold()
            if needle not in haystack:
                continue
        out.append(r)
    return out


@dataclass(frozen=True, kw_only=True)
class HistoryEntry:
    fiscal_year: int
    status: str
    achievements: str | None
    issues: str | None
    next_steps: str | None


def item_history(item: Item, statuses: dict[tuple[int, int], ItemStatus]) -> list[HistoryEntry]:
    """Every reported year of an item (a repost's is its original's), oldest first."""
    source_no = item.repost_of if item.repost_of is not None else item.item_no
    entries = [s for (no, _), s in statuses.items() if no == source_no]
    return [
        HistoryEntry(
            fiscal_year=s.fiscal_year,
            status=s.status,
            achievements=s.achievements,
            issues=s.issues,
            next_steps=s.next_steps,
        )
        for s in sorted(entries, key=lambda s: s.fiscal_year)
    ]


def reposted_by(plan: Plan, item: Item) -> list[Item]:
    """The items that repeat this one elsewhere in the plan (item 8 -> [item 60])."""
    return [i for i in plan.items if i.repost_of == item.item_no]


def filter_from_scope(
    scope: str | None, *, department: str | None, status: str | None, text: str
) -> ItemFilter:
    """The filter for the page's choices; scope is a 施策 ('1') or a 方向性 ('1-2')."""
    if scope is None:
        return ItemFilter(
            policy_no=None, direction_no=None, department=department, status=status, text=text
        )
    parts = [int(x) for x in scope.split("-")]
    return ItemFilter(
        policy_no=parts[0],
        direction_no=parts[1] if len(parts) > 1 else None,
        department=department,
        status=status,
        text=text,
    )
