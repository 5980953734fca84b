"""What changed since a 推進本部 meeting (judgement/meeting_changes.MeetingChanges) as rows of text:
the indicators, then the items by 施策 and department, with the items still unreported counted
by department. The command line, the report and the pages show these same rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from komae_kpi.common import fiscal_year as fy
from komae_kpi.judgement.indicator_status import STATUS_LABELS
from komae_kpi.judgement.item_progress import NOT_REPORTED
from komae_kpi.judgement.meeting_changes import (
    CHANGE_KIND_LABELS,
    IndicatorChange,
    ItemChange,
    MeetingChanges,
)
from komae_kpi.plan.model import Plan
from komae_kpi.plan.plan_files import DEPARTMENT_SEPARATOR
from komae_kpi.store.meetings import Meeting
from komae_kpi.views import html_blocks
from komae_kpi.views.overview import Note
from komae_kpi.views.status_style import indicator_status_text, item_status_text

SECTION_TITLE = "前回会議からの変化"
INDICATOR_HEADER = ("指標", "変化", "前回会議", "現在")
ITEM_HEADER = ("取組項目", "変化", "前回会議", "現在")
UNREPORTED_HEADER = ("推進部署", "件数", "取組項目（番号）")
NONE_SHOWN = "－"


def meeting_title(meeting: Meeting) -> str:
    """「令和8年度第1回推進本部（2026-07-15開催、令和7年度 (2025)）」."""
    return f"{meeting.name}（{meeting.held_on.isoformat()}開催、{fy.label(meeting.fiscal_year)}）"


MEETINGS_COLUMNS = ("会議名", "開催日", "年度", "記録した日時・人", "前回会議の状態の作り方")


def how_frozen(meeting: Meeting) -> str:
    """「記録時（2026-07-15 10:00時点）」, or for one recorded afterwards with --as-of
    「変更履歴から再現（2026-07-15 09:00時点）」."""
    how = "変更履歴から再現" if meeting.rebuilt else "記録時"
    return f"{how}（{meeting.state_at:%Y-%m-%d %H:%M}時点）"


def meetings_frame(meetings: Sequence[Meeting]) -> pd.DataFrame:
    """The recorded meetings, the latest held first, as /reports lists them."""
    return pd.DataFrame(
        [
            (
                m.name,
                m.held_on.isoformat(),
                fy.label(m.fiscal_year),
                " ".join(
                    part
                    for part in (
                        f"{m.recorded_at:%Y-%m-%d %H:%M}" if m.recorded_at else "",
                        m.recorded_by or "",
                    )
                    if part
                ),
                how_frozen(m),
            )
            for m in reversed(meetings)
        ],
        columns=list(MEETINGS_COLUMNS),
    )


def heading(changes: MeetingChanges) -> str:
    """「令和8年度第1回推進本部（2026-07-15）からの変化（令和7年度 (2025)）」."""
    return (
        f"{changes.meeting_name}（{changes.meeting_date}）からの変化"
        f"（{fy.label(changes.fiscal_year)}）"
    )


def _status_shown(code: str | None) -> str:
    if code is None:
        return NONE_SHOWN
    known = next((s for s in STATUS_LABELS if s == code), None)
    return indicator_status_text(known) if known else code


def indicator_row(change: IndicatorChange) -> tuple[str, str, str, str]:
    """(指標, 変化, 前回会議, 現在): 「指標3 経常収支比率」「判定・状況の変化」「△ 注意」「× 遅れ」, or
    for a value 「新しい実績（令和7年度）」「－」「88.1%（見込）」."""
    subject = f"指標{change.no} {change.name}"
    if change.kind == "status_changed":
        return (
            subject,
            CHANGE_KIND_LABELS[change.kind],
            _status_shown(change.before),
            _status_shown(change.after),
        )
    return (
        subject,
        f"{CHANGE_KIND_LABELS[change.kind]}（{fy.wareki(change.fiscal_year)}）",
        change.before_label or NONE_SHOWN,
        change.after_label or NONE_SHOWN,
    )


def item_row(change: ItemChange) -> tuple[str, str, str, str]:
    """(取組項目, 変化, 前回会議, 現在): 「取組項目8 デジタル人財の育成」「判定・状況の変化」「○ 順調」「× 遅れ」."""
    return (
        f"取組項目{change.no} {change.name}",
        CHANGE_KIND_LABELS[change.kind],
        item_status_text(change.before or NOT_REPORTED),
        item_status_text(change.after or NOT_REPORTED),
    )


@dataclass(frozen=True, kw_only=True)
class ItemGroup:
    """The items of one 施策 and department (as the plan names an item's departments) whose
    status changed or that were newly reported."""

    policy: str  # 「施策1 質の高い行政運営の推進」
    departments: str  # 「政策室・情報政策課」
    rows: tuple[tuple[str, str, str, str], ...]

    @property
    def title(self) -> str:
        return f"{self.policy}　{self.departments}"


def item_groups(plan: Plan, changes: MeetingChanges) -> list[ItemGroup]:
    """The changed and newly reported items by 施策, then department, in the plan's order."""
    policies = {p.policy_no: f"施策{p.policy_no} {p.name}" for p in plan.policies}
    groups: dict[tuple[int, tuple[str, ...]], list[ItemChange]] = {}
    for change in changes.items:
        if change.kind != "still_unreported":
            groups.setdefault((change.policy_no, change.departments), []).append(change)
    return [
        ItemGroup(
            policy=policies.get(policy_no, f"施策{policy_no}"),
            departments=DEPARTMENT_SEPARATOR.join(departments),
            rows=tuple(item_row(c) for c in found),
        )
        for (policy_no, departments), found in sorted(groups.items())
    ]


def unreported_rows(changes: MeetingChanges) -> list[tuple[str, str, str]]:
    """(推進部署, 件数, 取組項目) of the items unreported at the meeting and still now, by
    department (an item led by several counts for each): 「職員課」「2件」「取組項目8・12」."""
    by_department: dict[str, list[int]] = {}
    for change in changes.items:
        if change.kind == "still_unreported":
            for department in change.departments:
                by_department.setdefault(department, []).append(change.no)
    return [
        (
            department,
            f"{len(numbers)}件",
            DEPARTMENT_SEPARATOR.join(str(n) for n in sorted(numbers)),
        )
        for department, numbers in sorted(by_department.items(), key=lambda d: (-len(d[1]), d[0]))
    ]


def unreported_count(changes: MeetingChanges) -> int:
    return sum(1 for c in changes.items if c.kind == "still_unreported")


def nothing_changed(changes: MeetingChanges) -> bool:
    return not changes.indicators and not any(c.kind != "still_unreported" for c in changes.items)


def change_lines(plan: Plan, changes: MeetingChanges) -> list[str]:
    """The changes as text, indicators first, then items by 施策 and department, then the items
    still unreported by department (the command line's `changes`)."""
    lines = [heading(changes)]
    lines.append("指標")
    if changes.indicators:
        for subject, kind, before, after in map(indicator_row, changes.indicators):
            lines.append(f"  {subject}: {kind} {before} → {after}")
    else:
        lines.append("  変化はありません。")
    lines.append("取組項目")
    groups = item_groups(plan, changes)
    for group in groups:
        lines.append(f"  {group.title}")
        for subject, kind, before, after in group.rows:
            lines.append(f"    {subject}: {kind} {before} → {after}")
    if not groups:
        lines.append("  状況が変わった取組項目・新たに報告された取組項目はありません。")
    unreported = unreported_rows(changes)
    if unreported:
        lines.append(f"  未報告のまま（{unreported_count(changes)}項目）")
        for department, count, numbers in unreported:
            lines.append(f"    {department} {count}: 取組項目{numbers}")
    return lines


def meeting_record(meeting: Meeting) -> dict[str, object]:
    """A meeting as `meeting list --json` gives it (what it saw, counted)."""
    return {
        "name": meeting.name,
        "held_on": meeting.held_on.isoformat(),
        "fiscal_year": meeting.fiscal_year,
        "state_at": meeting.state_at.isoformat(timespec="seconds"),
        "rebuilt": meeting.rebuilt,
        "recorded_at": meeting.recorded_at.isoformat(timespec="seconds")
        if meeting.recorded_at
        else None,
        "recorded_by": meeting.recorded_by,
        "actual_count": len(meeting.values),
        "item_status_count": len(meeting.statuses),
        "judgements": {str(j.indicator_no): j.status for j in meeting.judgements},
    }


NO_MEETING = (
    "推進本部会議の記録はまだありません。「公表・会議資料」で会議を記録すると、"
    "ここに前回会議からの変化を表示します。"
)
NOTHING_CHANGED = "前回会議から変わった指標・取組項目はありません。"
INDICATOR_TABLE = "前回会議から変わった指標"
ITEM_TABLE = "前回会議から状況が変わった取組項目（施策・部署ごと）"
UNREPORTED_TABLE = "前回会議から未報告のままの取組項目（推進部署ごと）"


def no_meeting_html(reports_href: str) -> str:
    """The overview's section before any meeting is recorded: one line, and where to record one."""
    return html_blocks.heading(SECTION_TITLE) + html_blocks.notice(
        [Note(text=NO_MEETING, link_text="会議を記録する（公表・会議資料）", href=reports_href)]
    )


def changes_html(plan: Plan, changes: MeetingChanges, *, meeting_links: str = "") -> str:
    """The overview's 「前回会議からの変化」: the indicators, then the items by 施策 and department
    (the changed and the newly reported), then the items still unreported counted by department.
    meeting_links: the links choosing another recorded meeting (html_blocks.link_bar)."""
    parts = [
        html_blocks.heading(SECTION_TITLE),
        meeting_links,
        html_blocks.paragraph(heading(changes), meta=True),
    ]
    if nothing_changed(changes):
        parts.append(html_blocks.paragraph(NOTHING_CHANGED))
    if changes.indicators:
        parts.append(
            html_blocks.table(
                pd.DataFrame(
                    [indicator_row(c) for c in changes.indicators], columns=list(INDICATOR_HEADER)
                ),
                caption="指標",
                label=INDICATOR_TABLE,
                nowrap=("前回会議", "現在"),
            )
        )
    groups = item_groups(plan, changes)
    if groups:
        shown_policy = ""
        grouped = []
        for group in groups:
            policy = group.policy if group.policy != shown_policy else ""
            shown_policy = group.policy
            grouped.append(((policy, group.departments), group.rows))
        parts.append(
            html_blocks.heading("取組項目（状況が変わったもの・新たに報告されたもの）", 3)
            + html_blocks.grouped_table(ITEM_HEADER, grouped, label=ITEM_TABLE)
        )
    unreported = unreported_rows(changes)
    if unreported:
        parts.append(
            html_blocks.table(
                pd.DataFrame(unreported, columns=list(UNREPORTED_HEADER)),
                caption=f"未報告のままの取組項目（{unreported_count(changes)}項目、推進部署ごと）",
                label=UNREPORTED_TABLE,
                nowrap=("件数",),
            )
        )
    return "".join(parts)
