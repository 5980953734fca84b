"""What the 実績入力 page shows and reads: choices, current records, typed values, tables.

The page itself only draws widgets; reading a typed value (全角, 千円, △) uses the same rules as
the file importer, so a value accepted in a file is accepted in the form and vice versa.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TypeVar

import pandas as pd

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common import stages
from komae_kpi.common.errors import ValidationError
from komae_kpi.common.stages import DEFAULT_STAGE, PROVISIONAL_STAGE, STAGE_LABELS, Stage
from komae_kpi.imports.import_cells import CellError, is_blank, read_number, value_in_unit
from komae_kpi.imports.importer import ImportPreview
from komae_kpi.imports.read_limits import listed_problems
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.plan.model import Indicator, IndicatorValue, Plan
from komae_kpi.store import entry_rules
from komae_kpi.store.record_changes import ChangeEntry, Record, RecordChange, RecordKey, key_of
from komae_kpi.views import html_blocks
from komae_kpi.views.change_views import (
    ChangeRow,
    HistoryRow,
    change_rows,
    field_text,
    history_rows,
    record_fields,
)

# /updates' parts, chosen with links kept in the URL (?part=import): each part's text and the value
# the URL gives it. Parts not listed here (none today) use their text.
PARTS_LABEL = "作業"
PART_VALUES = {
    "指標の実績値": "actual",
    "取組項目の進捗状況": "status",
    "ファイルの取込": "import",
    "照会様式（Excel）": "workbook",
    "変更履歴": "history",
    "財政見通し": "outlook",
    "主要財政指標一覧": "peers",
}


def part_value(text: str) -> str:
    """The ?part=… value of one of /updates' parts (its text when it has no short value)."""
    return PART_VALUES.get(text, text)


def indicator_options(plan: Plan, scope: Collection[str] | None = None) -> dict[int, str]:
    """The indicators to enter actuals for; scope: only those these departments answer for."""
    return {
        x.indicator_no: f"{x.indicator_no}. {x.name}（{x.unit}）"
        for x in plan.indicators
        if scope is None or set(plan.departments_of_indicator(x.indicator_no)) & set(scope)
    }


def entry_departments(plan: Plan, scope: Collection[str] | None = None) -> list[str]:
    """Departments that report items (the catch-alls 関係各課 and 各施設所管課 do not); scope:
    only these."""
    return [
        d.name
        for d in plan.departments
        if not d.is_catch_all and (scope is None or d.name in scope)
    ]


def item_options(
    plan: Plan, department: str | None = None, scope: Collection[str] | None = None
) -> dict[int, str]:
    """Items a status is entered for: reposts are entered under their original. scope: only the
    items these departments lead (shared ones included)."""
    return {
        i.item_no: f"{i.item_no}. {i.name}"
        for i in plan.items
        if i.repost_of is None
        and (department is None or department in i.departments)
        and (scope is None or set(i.departments) & set(scope))
    }


def pending_record_html(snapshot: Snapshot, key: RecordKey) -> str:
    """For a form showing a record that waits for approval: whose submission it is ('' if none)."""
    found = [s for s in snapshot.open_submissions if s.key == key]
    if not found or not snapshot.is_pending(key):
        return ""
    s = found[-1]
    if s.state == "returned":
        return html_blocks.paragraph(
            f"差戻し: {s.submitted_by} が {s.submitted_at:%Y-%m-%d %H:%M} に提出し、"
            f"{s.reviewed_by} が差し戻した内容を表示しています（理由: {s.review_comment}）。"
            "直して保存すると、提出し直します。",
            meta=True,
        )
    return html_blocks.paragraph(
        f"承認待ち: {s.submitted_by} が {s.submitted_at:%Y-%m-%d %H:%M} に提出した内容を表示しています"
        "（承認されるまで、画面・報告書には承認済みの内容が載ります）。保存すると、提出し直します。",
        meta=True,
    )


def status_choice(plan: Plan, status: str) -> str:
    """'順調（計画どおり進んでいる）': a status with its meaning, for the form's list."""
    meaning = next((s.description for s in plan.statuses if s.status == status), "")
    return f"{status}（{meaning}）" if meaning else status


def value_from_text(indicator: Indicator, text: str, rule_plan: Plan) -> float:
    """A typed actual in the indicator's unit: '89.1', '８９．１％', '16,550,000千円', '△0.5'."""
    label = f"指標{indicator.indicator_no}（{indicator.name}）の実績値"
    if is_blank(text):
        raise ValidationError([f"{label}が空欄です。"])
    try:
        number, unit = read_number(text)
        return value_in_unit(indicator, rule_plan.rule(indicator.indicator_no), number, unit)
    except CellError as exc:
        raise ValidationError([f"{label}「{text}」: {exc}"]) from exc


def stage_options() -> dict[Stage, str]:
    """The stages a form offers, in order, each with its word: {'estimate': '見込', …}."""
    return dict(STAGE_LABELS)


def stage_index(shown: IndicatorValue | None, default: Stage = DEFAULT_STAGE) -> int:
    """Where the form's stage choice starts: the shown record's stage, else `default` (決算)."""
    return list(stage_options()).index(shown.stage if shown else default)


def _settled_probe(indicator: Indicator, year: int) -> IndicatorValue:
    return IndicatorValue(
        indicator_no=indicator.indicator_no, fiscal_year=year, value=0.0, source=None, note=None
    )


def entry_stage(plan: Plan, indicator: Indicator, year: int, today: dt.date) -> Stage:
    """The stage a new actual starts as on the form: 決算, or 見込 while the year runs (a 決算
    cannot be entered before entry_rules allow it)."""
    early = entry_rules.date_refusal(plan, _settled_probe(indicator, year), today)
    return PROVISIONAL_STAGE if early else DEFAULT_STAGE


def entry_date_html(plan: Plan, indicator: Indicator, year: int, today: dt.date) -> str:
    """For a year whose actual cannot be entered yet: from when it can ('' when it can now)."""
    early = entry_rules.date_refusal(plan, _settled_probe(indicator, year), today)
    return html_blocks.paragraph(early, meta=True) if early else ""


def value_text(value: float) -> str:
    """A stored actual as the form shows it for editing (no rounding, no separators)."""
    return f"{value:.10g}"


def record_caption(plan: Plan, record: Record | None, year: int) -> str:
    if record is None:
        return f"{fy.label(year)}の記録はまだありません。"
    key = key_of(record)
    if isinstance(record, IndicatorValue):
        value = field_text(plan, key, "value", record.value)
        parts = [f"現在の記録: {value}（{stages.label(record.stage)}）"]
        if record.source:
            parts.append(f"出典: {record.source}")
        return "　".join(parts)
    return f"現在の記録: {record.status}"


def published_html(plan: Plan, published: IndicatorValue) -> str:
    """In place of the form for a published figure: its value, stage and source, read-only."""
    return html_blocks.paragraph(
        entry_rules.published_text(plan, published)
        + "画面やファイル取込では変更できません。"
        + entry_rules.correction_text(published)
    )


def last_change_text(snapshot: Snapshot, key: RecordKey) -> str | None:
    """'最終更新: 2026-06-01 10:00 山田（ファイル取込 …）' from the history, if any."""
    for entry in snapshot.changes:  # newest first
        if entry.key == key:
            rows = history_rows(snapshot.plan, [entry])
            return f"最終更新: {rows[0].changed_at} {rows[0].changed_by}（{rows[0].method}）"
    return None


def record_caption_html(snapshot: Snapshot, key: RecordKey, shown: Record | None) -> str:
    """The record a form shows, with who changed it last: '現在の記録: 89%　出典: 決算　最終更新: …'."""
    last = last_change_text(snapshot, key)
    return html_blocks.paragraph(
        record_caption(snapshot.plan, shown, key.fiscal_year) + (f"　{last}" if last else ""),
        meta=True,
    )


def previous_status_html(snapshot: Snapshot, item_no: int, year: int) -> str:
    """The item's status a year before, for the status form ('' when there was none)."""
    previous = snapshot.item_status(item_no, year - 1)
    if previous is None:
        return ""
    return html_blocks.paragraph(
        f"前年度（{fy.label(year - 1)}）: {previous.status}"
        + (f"　取組実績: {previous.achievements}" if previous.achievements else ""),
        meta=True,
    )


# The tables' headings and what each shows of a row (rows from change_views).
HISTORY_COLUMNS: dict[str, Callable[[HistoryRow], str]] = {
    "日時": lambda r: r.changed_at,
    "変更者": lambda r: r.changed_by,
    "方法": lambda r: r.method,
    "対象": lambda r: r.subject,
    "年度": lambda r: r.fiscal_year,
    "項目": lambda r: r.field,
    "操作": lambda r: r.action,
    "変更前": lambda r: r.before,
    "変更後": lambda r: r.after,
    "区分": lambda r: r.stage,
}
PREVIEW_COLUMNS: dict[str, Callable[[ChangeRow], str]] = {
    # 「操作」 as in the history: 「区分」 is an actual's stage (見込・決算・確定).
    "操作": lambda r: r.action,
    "対象": lambda r: r.subject,
    "年度": lambda r: r.fiscal_year,
    "項目": lambda r: r.field,
    "変更前": lambda r: r.before,
    "変更後": lambda r: r.after,
    "ファイル": lambda r: r.where,
}
Row = TypeVar("Row")


def _frame(rows: Sequence[Row], columns: Mapping[str, Callable[[Row], str]]) -> pd.DataFrame:
    return pd.DataFrame({heading: [cell(r) for r in rows] for heading, cell in columns.items()})


def history_table(plan: Plan, entries: list[ChangeEntry] | tuple[ChangeEntry, ...]) -> pd.DataFrame:
    return _frame(history_rows(plan, list(entries)), HISTORY_COLUMNS)


# Log entries about what is not (yet) in force: a submission, and an approver returning one.
PRE_APPROVAL_ACTIONS = ("submit", "return")


def readable_changes(snapshot: Snapshot) -> list[ChangeEntry]:
    """The history as a page shows it: of an approved snapshot, only what went into force and its
    approvals (a submitted value is not for readers until approved); with what waits included,
    every entry."""
    if snapshot.shown_pending:
        return list(snapshot.changes)
    return [e for e in snapshot.changes if e.action not in PRE_APPROVAL_ACTIONS]


def history_for(
    snapshot: Snapshot, key_kind: str, subject_no: int, limit: int = 100
) -> list[ChangeEntry]:
    return [
        e
        for e in readable_changes(snapshot)
        if e.key.kind == key_kind and e.key.subject_no == subject_no
    ][:limit]


def preview_table(plan: Plan, preview: ImportPreview, *, include_unchanged: bool) -> pd.DataFrame:
    changes = [c for c in preview.changes if include_unchanged or c.action != "unchanged"]
    return _frame(change_rows(plan, changes), PREVIEW_COLUMNS)


def not_applied_html(preview: ImportPreview) -> str:
    """The rows an import leaves out by the rule of stages, each with why ('' when none)."""
    if not preview.not_applied:
        return ""
    return html_blocks.paragraph(
        f"次の{len(preview.not_applied)}件は取り込みません（ほかの行は取り込みます）。", meta=True
    ) + html_blocks.bullets([n.text for n in preview.not_applied], css_class="kpi-not-applied")


def conflict_table(plan: Plan, current: Record | None, yours: Record) -> pd.DataFrame:
    """The record as someone else saved it beside what this person typed, field by field."""
    rows = record_fields(plan, RecordChange(key=key_of(yours), before=current, after=yours))
    return pd.DataFrame(
        {
            "項目": [r[0] for r in rows],
            "保存されている内容（別の人の変更後）": [r[1] for r in rows],
            "あなたの入力（未保存）": [r[2] for r in rows],
        }
    )


def problems_html(problems: Sequence[str]) -> str:
    """The problems of a refused save or import as a list, capped as the command line caps it
    (the first 100, then 「ほか N 件」 by kind). Escaped: the messages quote cells from the files
    as they were typed."""
    return html_blocks.bullets(listed_problems(problems), css_class="kpi-problems")


def history_html(snapshot: Snapshot, kind: str, subject_no: int, limit: int = 30) -> str:
    """The change history of one indicator or item as an escaped table (newest first)."""
    entries = history_for(snapshot, kind, subject_no, limit=limit)
    if not entries:
        return html_blocks.paragraph(
            "変更履歴はありません（画面での入力・ファイル取込・復元を記録します）。", meta=True
        )
    table = history_table(snapshot.plan, entries).drop(columns=["対象"])
    if kind != "indicator_value":
        table = table.drop(columns=["区分"])  # a stage is an actual's; items have none
    return html_blocks.table(table, label="変更履歴", nowrap=("日時", "年度"))
