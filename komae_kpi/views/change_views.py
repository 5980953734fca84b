"""Import previews and the change history as rows of text, for the page and the command line."""

from __future__ import annotations

from dataclasses import dataclass

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common import formatting, stages
from komae_kpi.common.stages import Stage
from komae_kpi.imports.importer import KIND_LABELS, ImportPreview
from komae_kpi.plan.model import Plan
from komae_kpi.store.record_changes import (
    FIELD_LABELS,
    LOG_ACTIONS,
    METHOD_LABELS,
    STAGE_FIELD,
    ChangeEntry,
    RecordChange,
    RecordKey,
    entry_values,
)
from komae_kpi.store.review import STATE_FIELD, STATE_LABELS

STATE_FIELD_LABEL = "承認の状態"
ACTION_LABELS = {"new": "新規", "changed": "変更", "unchanged": "変更なし", "deleted": "削除"}
BLANK = "（空欄）"


def subject_label(plan: Plan, key: RecordKey) -> str:
    if key.kind == "indicator_value":
        known = [x for x in plan.indicators if x.indicator_no == key.subject_no]
        return f"指標{key.subject_no} {known[0].name}" if known else f"指標{key.subject_no}"
    items = [i for i in plan.items if i.item_no == key.subject_no]
    return (
        f"取組項目{key.subject_no} {items[0].display_name}"
        if items
        else f"取組項目{key.subject_no}"
    )


def field_text(
    plan: Plan, key: RecordKey, field: str, value: object, stage: Stage | None = None
) -> str:
    """A field's value as a person reads it: the actual with its unit and, for an estimate, its
    stage (stage: the actual's), the stage by its word, blank as （空欄）."""
    if value is None or value == "":
        return BLANK
    if field == STAGE_FIELD and key.kind == "indicator_value":
        found = stages.parse(str(value))
        return stages.label(found) if found else str(value)
    if field == "value" and key.kind == "indicator_value":
        units = [x.unit for x in plan.indicators if x.indicator_no == key.subject_no]
        number = float(str(value))
        return formatting.entered(number, units[0] if units else "") + formatting.stage_mark(stage)
    return str(value)


@dataclass(frozen=True, kw_only=True)
class ChangeRow:
    action: str
    subject: str
    fiscal_year: str
    field: str
    before: str
    after: str
    where: str


def change_rows(
    plan: Plan, changes: tuple[RecordChange, ...] | list[RecordChange]
) -> list[ChangeRow]:
    """One row per changed field (new and changed records); one row per unchanged record."""
    rows: list[ChangeRow] = []
    for change in changes:
        common = {
            "action": ACTION_LABELS[change.action],
            "subject": subject_label(plan, change.key),
            "fiscal_year": fy.label(change.key.fiscal_year),
        }
        where = change.file_name or ""
        if change.action == "unchanged":
            rows.append(ChangeRow(**common, field="", before="", after="", where=where))
            continue
        old_stage, new_stage = change.stages
        for field, old, new in change.changed_fields():
            rows.append(
                ChangeRow(
                    **common,
                    field=FIELD_LABELS[field],
                    before=field_text(plan, change.key, field, old, old_stage)
                    if change.before
                    else "",
                    after=field_text(plan, change.key, field, new, new_stage)
                    if change.after
                    else "",
                    where=where,
                )
            )
    return rows


def preview_summary(preview: ImportPreview) -> str:
    """'新規 1件、変更 2件、変更なし 0件' and, where the rule of stages leaves rows out,
    '、取り込まない 1件（より後の区分の値が入力済み）'."""
    left_out = (
        f"、取り込まない {len(preview.not_applied)}件（より後の区分の値が入力済み）"
        if preview.not_applied
        else ""
    )
    return (
        f"新規 {preview.count('new')}件、変更 {preview.count('changed')}件、"
        f"変更なし {preview.count('unchanged')}件{left_out}"
    )


def file_lines(preview: ImportPreview) -> list[str]:
    """What was read from each file, in one line each, plus what was skipped."""
    lines = []
    for f in preview.files:
        kind = KIND_LABELS[f.kind] if f.kind else "種類不明"
        line = f"{f.name}（{f.format_label}、{kind}）: {f.records}件を読みました"
        if f.unreported_rows:
            rows = "・".join(str(n) for n in f.unreported_rows[:20])
            more = " ほか" if len(f.unreported_rows) > 20 else ""
            line += f"。未記入のため取り込まない行: {rows}{more}行目"
        if f.ignored_columns:
            line += f"。取り込まない列: {'、'.join(f.ignored_columns)}"
        lines.append(line + "。")
    return lines


@dataclass(frozen=True, kw_only=True)
class HistoryRow:
    changed_at: str
    changed_by: str
    method: str
    subject: str
    fiscal_year: str
    action: str
    field: str
    before: str
    after: str
    stage: str = ""  # of an actual: its stage after the change (見込・決算・確定)


def how_text(entry: ChangeEntry) -> str:
    label = METHOD_LABELS.get(entry.method, entry.method)
    if entry.comment and entry.field != STATE_FIELD:  # why, as init's 公表値の復元 says
        label = f"{label}（{entry.comment}）"
    if entry.file_name:
        sha = f"、SHA-256 {entry.file_sha256}" if entry.file_sha256 else ""
        return f"{label}（{entry.file_name}{sha}）"
    return label


def _state_text(value: str | None) -> str:
    return STATE_LABELS.get(value, value) if value else ""  # type: ignore[call-overload]


def _history_row(plan: Plan, e: ChangeEntry, stage_before: Stage | None = None) -> HistoryRow:
    """One row of the history; stage_before: the actual's stage before the change, where the same
    change changed it (else it is the stage the row carries)."""
    common = {
        "changed_at": e.changed_at.strftime("%Y-%m-%d %H:%M:%S"),
        "changed_by": e.changed_by,
        "method": how_text(e),
        "subject": subject_label(plan, e.key),
        "fiscal_year": fy.label(e.key.fiscal_year),
        "action": LOG_ACTIONS.get(e.action, e.action),
    }
    if e.field == STATE_FIELD:  # an approval or a return, with the approver's comment
        comment = f"（{e.comment}）" if e.comment else ""
        return HistoryRow(
            **common,
            field=STATE_FIELD_LABEL,
            before=_state_text(e.old_value),
            after=_state_text(e.new_value) + comment,
        )
    before_stage = stage_before or e.stage
    return HistoryRow(
        **common,
        field=FIELD_LABELS.get(e.field, e.field),
        before=field_text(plan, e.key, e.field, e.old_value, before_stage)
        if e.action != "insert"
        else "",
        after=field_text(plan, e.key, e.field, e.new_value, e.stage)
        if e.action != "delete"
        else "",
        stage=stages.label(e.stage) if e.stage else "",
    )


def history_rows(plan: Plan, entries: list[ChangeEntry]) -> list[HistoryRow]:
    # Where one change changed an actual's stage too, its other rows had the old stage before.
    stage_changes = {
        (e.change_id, e.key, e.action): stages.parse(e.old_value or "")
        for e in entries
        if e.field == STAGE_FIELD and e.key.kind == "indicator_value"
    }
    return [
        _history_row(plan, e, stage_changes.get((e.change_id, e.key, e.action))) for e in entries
    ]


def record_fields(plan: Plan, change: RecordChange) -> list[tuple[str, str, str]]:
    """(field, theirs, yours) for a conflict: every entry field of both records, side by side."""
    before = entry_values(change.before) if change.before is not None else {}
    after = entry_values(change.after) if change.after is not None else {}
    names = list(dict.fromkeys([*before, *after]))
    old_stage, new_stage = change.stages
    return [
        (
            FIELD_LABELS[n],
            field_text(plan, change.key, n, before.get(n), old_stage)
            if change.before
            else "（記録なし）",
            field_text(plan, change.key, n, after.get(n), new_stage)
            if change.after
            else "（記録なし）",
        )
        for n in names
    ]
