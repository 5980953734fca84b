"""Items by responsible department: each department's items, their status mix and what is missing.

関係各課 and 各施設所管課 are catch-alls ("all related sections"), not departments: they are listed
apart, so that no one reads them as a section that owns the work.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from komae_kpi.judgement.item_progress import ItemRow, status_order
from komae_kpi.plan.model import Department, Plan


@dataclass(frozen=True, kw_only=True)
class DepartmentSummary:
    department: Department
    rows: tuple[ItemRow, ...]  # every item naming the department, reposts included
    counts: tuple[tuple[str, int], ...]  # per status in vocabulary order; reposts counted once

    @property
    def activity_count(self) -> int:
        return sum(n for _, n in self.counts)

    @property
    def missing(self) -> tuple[ItemRow, ...]:
        """Items still without a status for the year (reposts not repeated)."""
        return tuple(r for r in self.rows if not r.reported and r.item.repost_of is None)


def summarize(plan: Plan, rows: list[ItemRow], department: Department) -> DepartmentSummary:
    mine = tuple(r for r in rows if department.name in r.item.departments)
    counter = Counter(r.status for r in mine if r.item.repost_of is None)
    counts = tuple((s, counter[s]) for s in status_order(plan))
    return DepartmentSummary(department=department, rows=mine, counts=counts)


def department_summaries(plan: Plan, rows: list[ItemRow]) -> list[DepartmentSummary]:
    """Real departments first (in the plan's order), then the catch-alls."""
    ordered = [d for d in plan.departments if not d.is_catch_all] + [
        d for d in plan.departments if d.is_catch_all
    ]
    return [summarize(plan, rows, d) for d in ordered]


def missing_text(summary: DepartmentSummary) -> str:
    if not summary.missing:
        return "すべて報告済み"
    return "、".join(f"取組項目{r.item.item_no}" for r in summary.missing)
