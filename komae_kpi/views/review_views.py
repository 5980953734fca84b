"""Submissions for the approver (/review, `review list`) and their submitters (/updates): each
waiting record with what is in force before it and what it would put in force, grouped by the
departments that answer for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from komae_kpi.common import clock
from komae_kpi.common import fiscal_year as fy
from komae_kpi.judgement.approvals import finding_rule
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.store.entry_rules import EntryRules
from komae_kpi.store.permissions import record_departments, record_label
from komae_kpi.store.record_changes import FIELD_LABELS, RecordChange, RecordKey, stage_refusal
from komae_kpi.store.review import PENDING_MARK, Submission
from komae_kpi.store.users import normalize_email
from komae_kpi.views.change_views import field_text

NO_DEPARTMENT = "（担当部署の設定なし）"


@dataclass(frozen=True, kw_only=True)
class FieldChange:
    field: str
    before: str
    after: str


@dataclass(frozen=True, kw_only=True)
class ReviewRow:
    submission: Submission
    label: str  # 「指標3（経常収支比率）の令和7年度の実績値」
    departments: tuple[str, ...]
    changes: tuple[FieldChange, ...]  # the fields that differ from what is in force
    is_new: bool  # nothing is in force for this record yet
    needs_finding: str | None  # why approving it needs the approver's comment
    # Why it cannot be approved at all: a 見込 submitted before the 決算 that is now in force, or
    # (store/entry_rules.py) a change to a published figure or an actual of an unfinished year.
    stage_refusal: str | None = None

    @property
    def submission_id(self) -> int:
        return self.submission.submission_id

    def as_json(self) -> dict[str, Any]:
        s = self.submission
        return {
            "submission_id": s.submission_id,
            "state": s.state,
            "state_label": s.state_label,
            "record_kind": s.key.kind,
            "subject_no": s.key.subject_no,
            "fiscal_year": s.key.fiscal_year,
            "record": self.label,
            "departments": list(self.departments),
            "submitted_by": s.submitted_by,
            "submitted_at": s.submitted_at.isoformat(timespec="seconds"),
            "method": s.method,
            "file_name": s.file_name,
            "changes": [
                {"field": c.field, "before": c.before, "after": c.after} for c in self.changes
            ],
            "needs_finding": self.needs_finding,
            "stage_refusal": self.stage_refusal,
            "reviewed_by": s.reviewed_by,
            "review_comment": s.review_comment,
        }


def _in_force(snapshot: Snapshot, key: RecordKey) -> Any:
    if key.kind == "indicator_value":
        return snapshot.indicator_value(key.subject_no, key.fiscal_year)
    return snapshot.item_status(key.subject_no, key.fiscal_year)


def review_rows(
    snapshot: Snapshot, submissions: tuple[Submission, ...] | None = None
) -> list[ReviewRow]:
    """The open submissions (or these), each against what is in force.

    The snapshot must be of the approved state (load_snapshot without include_pending).
    """
    plan = snapshot.plan
    needs_finding = finding_rule(plan, snapshot.values)
    rules = EntryRules(plan=plan, published=snapshot.published, today=clock.today())
    rows = []
    for s in snapshot.open_submissions if submissions is None else submissions:
        before = _in_force(snapshot, s.key)
        change = RecordChange(key=s.key, before=before, after=s.record)
        old_stage, new_stage = change.stages
        rows.append(
            ReviewRow(
                submission=s,
                label=record_label(plan, s.key),
                departments=record_departments(plan, s.key) or (NO_DEPARTMENT,),
                changes=tuple(
                    FieldChange(
                        field=FIELD_LABELS[name],
                        before=field_text(plan, s.key, name, old, old_stage) if before else "",
                        after=field_text(plan, s.key, name, new, new_stage),
                    )
                    for name, old, new in change.changed_fields()
                ),
                is_new=before is None,
                needs_finding=needs_finding(s) if s.state == "submitted" else None,
                stage_refusal=(
                    "".join(rules.refusals(s.record)) or stage_refusal(plan, before, s.record)
                )
                if s.state == "submitted"
                else None,
            )
        )
    return rows


def by_department(rows: list[ReviewRow]) -> dict[str, list[ReviewRow]]:
    """Rows under each department that answers for them, in the plan's department order; a shared
    item is under each of its departments."""
    groups: dict[str, list[ReviewRow]] = {}
    for row in rows:
        for department in row.departments:
            groups.setdefault(department, []).append(row)
    return groups


def department_order(snapshot: Snapshot, groups: dict[str, list[ReviewRow]]) -> list[str]:
    order = [d.name for d in snapshot.plan.departments]
    return sorted(groups, key=lambda d: order.index(d) if d in order else len(order))


def waiting_rows(snapshot: Snapshot) -> list[ReviewRow]:
    return [r for r in review_rows(snapshot) if r.submission.state == "submitted"]


def returned_to(snapshot: Snapshot, identity: str) -> list[ReviewRow]:
    """The returned submissions of this person (each with the approver's comment)."""
    me = normalize_email(identity)
    return [
        r
        for r in review_rows(snapshot)
        if r.submission.state == "returned" and normalize_email(r.submission.submitted_by) == me
    ]


def changes_table(row: ReviewRow) -> pd.DataFrame:
    """項目 / 現在（承認済み） / 提出された内容: the fields the submission would change."""
    return pd.DataFrame(
        [
            {"項目": c.field, "現在（承認済み）": c.before or "（なし）", "提出された内容": c.after}
            for c in row.changes
        ],
        columns=["項目", "現在（承認済み）", "提出された内容"],
    )


def submitted_text(row: ReviewRow) -> str:
    """「提出番号3　a@…　2026-11-30 09:12　ファイル取込（zaisei.xlsx）（新規）」."""
    s = row.submission
    how = (
        "ファイル取込" + (f"（{s.file_name}）" if s.file_name else "")
        if s.method == "import"
        else "画面で入力"
    )
    new = "　（新規）" if row.is_new else ""
    return (
        f"提出番号{s.submission_id}　{s.submitted_by}　{s.submitted_at:%Y-%m-%d %H:%M}　{how}{new}"
    )


def returned_text(row: ReviewRow) -> str:
    """「差戻し: b@…　2026-11-30 10:00　理由: 出典を付けてください」."""
    s = row.submission
    when = f"　{s.reviewed_at:%Y-%m-%d %H:%M}" if s.reviewed_at else ""
    return f"差戻し: {s.reviewed_by or ''}{when}　理由: {s.review_comment or ''}"


def submission_line(row: ReviewRow) -> str:
    """One line for the command line: 「#3 提出済 指標3（…）の令和7年度の実績値 財政課 by a@… 2026-…」."""
    s = row.submission
    return (
        f"#{s.submission_id} {s.state_label} {row.label}（{'・'.join(row.departments)}）"
        f" 提出: {s.submitted_by} {s.submitted_at:%Y-%m-%d %H:%M}"
    )


def change_line(change: FieldChange) -> str:
    return f"{change.field}: {change.before or '（なし）'} → {change.after}"


def pending_note(count: int) -> str:
    """「承認待ちの記録が3件あります。」 for /reports and the header, or ''."""
    return f"{PENDING_MARK}の記録が{count}件あります。" if count else ""


def year_text(row: ReviewRow) -> str:
    return fy.label(row.submission.key.fiscal_year)
