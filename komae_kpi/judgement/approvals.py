"""Approving and returning submissions, with the rule that needs the judgement of an indicator:
an actual that judges 遅れ or 注意 is approved only with the approver's comment (所見), which then
shows beside the warning. The workflow itself is store/review.py."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from komae_kpi.common.errors import ValidationError
from komae_kpi.judgement.indicator_status import STATUS_LABELS, assess
from komae_kpi.plan.model import IndicatorValue, Plan
from komae_kpi.store.connection import (
    LOCK_WAIT_SECONDS,
    connect,
    current_user,
    require_current_schema,
    transaction,
)
from komae_kpi.store.entry_rules import EntryRules
from komae_kpi.store.permissions import record_departments, resolve_actor
from komae_kpi.store.queries import read_indicator_values, read_plan
from komae_kpi.store.record_changes import read_records, require_store_file
from komae_kpi.store.review import (
    FindingRule,
    Submission,
    approval_problems,
    approve_submissions,
    read_submissions,
    return_submission,
)

# The statuses whose approval needs the approver's comment.
NEEDS_FINDING = ("off_track", "at_risk")


def finding_rule(plan: Plan, values: Sequence[IndicatorValue]) -> FindingRule:
    """Why a submitted actual needs a comment to be approved: it would judge 遅れ or 注意."""
    actuals: dict[int, dict[int, float]] = defaultdict(dict)
    for v in values:
        actuals[v.indicator_no][v.fiscal_year] = v.value

    def needs_finding(submission: Submission) -> str | None:
        record = submission.record
        if not isinstance(record, IndicatorValue):
            return None
        indicator = next(
            (x for x in plan.indicators if x.indicator_no == record.indicator_no), None
        )
        if indicator is None or record.fiscal_year < indicator.baseline_fiscal_year:
            return None
        with_it = actuals[record.indicator_no] | {record.fiscal_year: record.value}
        judged = assess(indicator, plan.rule(indicator.indicator_no), with_it, record.fiscal_year)
        if judged.status not in NEEDS_FINDING:
            return None
        return (
            f"この実績値は「{STATUS_LABELS[judged.status]}」と判定されるため、"
            "承認するには所見（コメント）を記入してください。"
        )

    return needs_finding


@dataclass(frozen=True, kw_only=True)
class ApprovalResult:
    approved: tuple[Submission, ...]
    # For "approve all": the waiting records left as they are, each with why (own submission,
    # a comment needed).
    skipped: tuple[str, ...] = ()


def in_department(plan: Plan, submission: Submission, department: str) -> bool:
    return department in record_departments(plan, submission.key)


def approve(
    path: Path,
    ids: Sequence[int] | None = None,
    *,
    department: str | None = None,
    comments: Mapping[int, str] | None = None,
    user: str | None = None,
    own_allowed: bool = False,
    seen: Sequence[int] | None = None,
    wait_seconds: float = LOCK_WAIT_SECONDS,
) -> ApprovalResult:
    """Approve these submissions, only those of one department if given. All or nothing: every
    problem is listed and nothing is written.

    ids None: every waiting submission (of the department); those this person may not approve
    (their own, or an actual that needs a comment) are left waiting and listed in `skipped`;
    seen limits them to those the approver was shown (a page's "approve all"), so that nothing
    submitted meanwhile is approved unseen.
    own_allowed: for `import --approve`, where an approver imports and approves a file at once.
    """
    require_store_file(path)
    with connect(path, read_only=False, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        plan = read_plan(con)
        if department is not None and department not in {d.name for d in plan.departments}:
            raise ValidationError([f"部署「{department}」は計画の部署にありません。"])
        with transaction(con):
            actor = resolve_actor(con, user or current_user())
            chosen = read_submissions(con, states=("submitted",) if ids is None else None, ids=ids)
            if department is not None:
                outside = [
                    s.submission_id for s in chosen if not in_department(plan, s, department)
                ]
                if ids is not None and outside:
                    raise ValidationError(
                        [f"提出番号{sid}は{department}の記録ではありません。" for sid in outside]
                    )
                chosen = [s for s in chosen if in_department(plan, s, department)]
            if seen is not None:
                chosen = [s for s in chosen if s.submission_id in set(seen)]
            wanted = [s.submission_id for s in chosen] if ids is None else list(ids)
            needs_finding = finding_rule(plan, read_indicator_values(con))
            skipped: list[str] = []
            if ids is None:
                found = {s.submission_id: s for s in chosen}
                in_force = read_records(con)
                rules = EntryRules.read(con, plan)
                for sid in list(wanted):
                    problems = approval_problems(
                        plan,
                        actor,
                        found,
                        [sid],
                        comments or {},
                        needs_finding,
                        in_force=in_force,
                        rules=rules,
                        own_allowed=own_allowed,
                    )
                    if problems:
                        wanted.remove(sid)
                        skipped.extend(problems)
            approve_submissions(
                con,
                plan,
                actor,
                wanted,
                comments=comments,
                needs_finding=needs_finding,
                own_allowed=own_allowed,
            )
            return ApprovalResult(
                approved=tuple(read_submissions(con, ids=wanted)), skipped=tuple(skipped)
            )


def return_to_submitter(
    path: Path,
    submission_id: int,
    *,
    comment: str,
    user: str | None = None,
    wait_seconds: float = LOCK_WAIT_SECONDS,
) -> Submission:
    """Return one submission to its submitter with a comment."""
    require_store_file(path)
    with connect(path, read_only=False, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        plan = read_plan(con)
        with transaction(con):
            actor = resolve_actor(con, user or current_user())
            return return_submission(con, plan, actor, submission_id, comment)
