"""What the 実績入力 page shows and reads: choices, current records, typed values, tables.

The page itself only draws widgets; reading a typed value (全角, 千円, △) uses the same rules as
the file importer, so a value accepted in a file is accepted in the form and vice versa.
"""

from __future__ import annotations

import pandas as pd

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common.errors import ValidationError
from komae_kpi.imports.import_cells import CellError, is_blank, read_number, value_in_unit
from komae_kpi.imports.importer import ImportPreview
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.plan.facts import FIRST_FISCAL_YEAR as PLAN_FIRST_FISCAL_YEAR
from komae_kpi.plan.facts import LAST_FISCAL_YEAR as PLAN_LAST_FISCAL_YEAR
from komae_kpi.plan.model import Indicator, IndicatorValue, ItemStatus, Plan
from komae_kpi.store.record_changes import ChangeEntry, RecordChange, RecordKey, key_of
from komae_kpi.views import html_blocks
from komae_kpi.views.change_views import change_rows, field_text, history_rows, record_fields


def indicator_options(plan: Plan) -> dict[int, str]:
    return {x.indicator_no: f"{x.indicator_no}. {x.name}（{x.unit}）" for x in plan.indicators}


def entry_departments(plan: Plan) -> list[str]:
    """Departments that report items (the catch-alls 関係各課 and 各施設所管課 do not)."""
    return [d.name for d in plan.departments if not d.is_catch_all]


def item_options(plan: Plan, department: str | None = None) -> dict[int, str]:
    """Items a status is entered for: reposts are entered under their original."""
    return {
        i.item_no: f"{i.item_no}. {i.name}"
        for i in plan.items
        if i.repost_of is None and (department is None or department in i.departments)
    }


def status_choice(plan: Plan, status: str) -> str:
    """'順調（計画どおり進んでいる）': a status with its meaning, for the form's list."""
    meaning = next((s.description for s in plan.statuses if s.status == status), "")
    return f"{status}（{meaning}）" if meaning else status


def status_years() -> list[int]:
    return list(range(PLAN_FIRST_FISCAL_YEAR, PLAN_LAST_FISCAL_YEAR + 1))


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


def value_text(value: float) -> str:
    """A stored actual as the form shows it for editing (no rounding, no separators)."""
    return f"{value:.10g}"


def record_caption(plan: Plan, record: IndicatorValue | ItemStatus | None, year: int) -> str:
    if record is None:
        return f"{fy.label(year)}の記録はまだありません。"
    key = key_of(record)
    if isinstance(record, IndicatorValue):
        parts = [f"現在の記録: {field_text(plan, key, 'value', record.value)}"]
        if record.source:
            parts.append(f"出典: {record.source}")
        return "　".join(parts)
    return f"現在の記録: {record.status}"


def last_change_text(snapshot: Snapshot, key: RecordKey) -> str | None:
    """'最終更新: 2026-06-01 10:00 山田（ファイル取込 …）' from the history, if any."""
    for entry in snapshot.changes:  # newest first
        if entry.key == key:
            rows = history_rows(snapshot.plan, [entry])
            return f"最終更新: {rows[0].changed_at} {rows[0].changed_by}（{rows[0].method}）"
    return None


def history_table(plan: Plan, entries: list[ChangeEntry] | tuple[ChangeEntry, ...]) -> pd.DataFrame:
    rows = history_rows(plan, list(entries))
    return pd.DataFrame(
        {
            "日時": [r.changed_at for r in rows],
            "変更者": [r.changed_by for r in rows],
            "方法": [r.method for r in rows],
            "対象": [r.subject for r in rows],
            "年度": [r.fiscal_year for r in rows],
            "項目": [r.field for r in rows],
            "操作": [r.action for r in rows],
            "変更前": [r.before for r in rows],
            "変更後": [r.after for r in rows],
        }
    )


def history_for(
    snapshot: Snapshot, key_kind: str, subject_no: int, limit: int = 100
) -> list[ChangeEntry]:
    return [
        e for e in snapshot.changes if e.key.kind == key_kind and e.key.subject_no == subject_no
    ][:limit]


def preview_table(plan: Plan, preview: ImportPreview, *, include_unchanged: bool) -> pd.DataFrame:
    changes = [c for c in preview.changes if include_unchanged or c.action != "unchanged"]
    rows = change_rows(plan, changes)
    return pd.DataFrame(
        {
            "区分": [r.action for r in rows],
            "対象": [r.subject for r in rows],
            "年度": [r.fiscal_year for r in rows],
            "項目": [r.field for r in rows],
            "変更前": [r.before for r in rows],
            "変更後": [r.after for r in rows],
            "ファイル": [r.where for r in rows],
        }
    )


def conflict_table(plan: Plan, current: object, yours: IndicatorValue | ItemStatus) -> pd.DataFrame:
    """The record as someone else saved it beside what this person typed, field by field."""
    theirs = current if isinstance(current, IndicatorValue | ItemStatus) else None
    rows = record_fields(plan, RecordChange(key=key_of(yours), before=theirs, after=yours))
    return pd.DataFrame(
        {
            "項目": [r[0] for r in rows],
            "保存されている内容（別の人の変更後）": [r[1] for r in rows],
            "あなたの入力（未保存）": [r[2] for r in rows],
        }
    )


def history_html(snapshot: Snapshot, kind: str, subject_no: int, limit: int = 30) -> str:
    """The change history of one indicator or item as an escaped table (newest first)."""
    entries = history_for(snapshot, kind, subject_no, limit=limit)
    if not entries:
        return html_blocks.paragraph(
            "変更履歴はありません（画面での入力・ファイル取込・復元を記録します）。", meta=True
        )
    table = history_table(snapshot.plan, entries).drop(columns=["対象"])
    return html_blocks.table(table, label="変更履歴", nowrap=("日時", "年度"))
