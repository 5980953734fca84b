"""実績入力: enter actuals and item statuses, import files with a preview, the 照会 workbook, history.

Every save passes the record as the form showed it, so a save over someone else's change is
refused and both versions are shown (nothing is silently overwritten): komae_kpi_ui.edit_session
keeps that protocol and draws both forms; this page says what differs between them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from komae_kpi.common import clock
from komae_kpi.common import fiscal_year as fy
from komae_kpi.common.errors import KomaeKpiError, ValidationError
from komae_kpi.common.stages import Stage
from komae_kpi.imports.importer import ImportSource, apply_import, preview_import
from komae_kpi.imports.peer_import import apply_peer_import, preview_peer_import
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.outputs.inquiry_workbook import (
    build_inquiry_workbook,
    department_items,
    inquiry_file_name,
)
from komae_kpi.plan import facts
from komae_kpi.plan.model import IndicatorValue, ItemStatus
from komae_kpi.store.entries import SaveOptions, save_indicator_value, save_item_status
from komae_kpi.store.record_changes import RecordKey
from komae_kpi.views import entry_views, finance_views, html_blocks, review_views
from komae_kpi.views.change_views import file_lines, preview_summary
from komae_kpi_ui import (
    access,
    app,
    edit_session,
    frame,
    scenario_panel,
    store_access,
    url_state,
)

ALL = "すべて"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The keys of this page's widgets (the edit protocol keeps its own state in edit_session).
PART_PARAM = "part"  # the part shown: ?part=import
INDICATOR_PARAM = "indicator"  # the same choice as /indicators'
DEPARTMENT_KEY = "updates_department"
ITEM_KEY = "updates_item"
WORKBOOK_DEPARTMENT_KEY = "updates_workbook_department"
APPLY_KEY = "import-apply"


# --- the forms ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _ActualInputs:
    value: str
    stage: Stage
    source: str
    note: str


@dataclass(frozen=True, kw_only=True)
class _StatusInputs:
    status: str | None
    achievements: str
    issues: str
    next_steps: str


def _scope(snapshot: Snapshot) -> tuple[str, ...] | None:
    """The departments this person enters for (None: everything)."""
    actor = access.actor(snapshot)
    return None if actor is None or actor.may_enter_anything else actor.departments


def _actual_form(snapshot: Snapshot, year: int) -> None:
    plan = snapshot.plan
    options = entry_views.indicator_options(plan, _scope(snapshot))
    if not options:
        st.info("担当する指標がありません（指標の実績値は、その指標を担当する部署が入力します）。")
        return
    # Links, not a selectbox (kept in the URL as ?indicator=3, like the reading pages' choice):
    # this form is the page's default part, and each widget costs every load a render (bench/).
    first = next(iter(options))
    indicator_no = url_state.choose(
        list(options), param=INDICATOR_PARAM, default=first, to_text=str
    )
    st.html(
        html_blocks.link_bar(
            url_state.choice_links(
                {str(n): text for n, text in options.items()},
                str(indicator_no),
                param=INDICATOR_PARAM,
                default=str(first),
            ),
            label="指標",
        )
    )
    indicator = plan.indicator(indicator_no)
    stages = entry_views.stage_options()
    today = clock.today()

    def inputs(shown: IndicatorValue | None) -> _ActualInputs:
        return _ActualInputs(
            value=st.text_input(
                f"{fy.label(year)}の実績値（単位: {indicator.unit}）",
                value=entry_views.value_text(shown.value) if shown else "",
                help="全角数字、3桁区切り、△（負の値）も使えます。億円の指標は千円・百万円・円でも入力でき、億円に換算します。",
            ),
            stage=st.radio(
                "区分",
                list(stages),
                index=entry_views.stage_index(
                    shown, entry_views.entry_stage(plan, indicator, year, today)
                ),
                format_func=lambda s: stages[s],
                horizontal=True,
                help="決算見込・速報の値は「見込」です。見込の値は、同じ年度の決算・確定の値が入ると置き換わります"
                "（決算・確定の値を見込の値で置き換えることはできません）。",
            ),
            source=st.text_input("出典", value=(shown.source or "") if shown else ""),
            note=st.text_area("備考", value=(shown.note or "") if shown else "", height=80),
        )

    def save(typed: _ActualInputs, saving: SaveOptions[IndicatorValue]) -> bool:
        value = entry_views.value_from_text(indicator, typed.value, plan)
        return save_indicator_value(
            store_access.store_path(),
            indicator_no,
            year,
            value,
            stage=typed.stage,
            source=typed.source,
            note=typed.note,
            **saving,
        )

    key = RecordKey(kind="indicator_value", subject_no=indicator_no, fiscal_year=year)
    published = snapshot.published.get(key)
    if published is not None:  # a fact, shown as published: no form (the store refuses anyway)
        st.html(entry_views.published_html(plan, published))
        return
    current = snapshot.indicator_value(indicator_no, year)
    edit_session.record_form(
        snapshot,
        key,
        current,
        record_type=IndicatorValue,
        name="actual",
        inputs=inputs,
        save=save,
        notes=entry_views.pending_record_html(snapshot, key)
        + entry_views.entry_date_html(plan, indicator, year, today),
    )


def _status_form(snapshot: Snapshot, year: int) -> None:
    plan = snapshot.plan
    if not facts.in_plan_period(year):
        st.info(
            f"進捗状況は{facts.PERIOD_TEXT}の年度について入力します。"
            "上の年度リンクで年度を選んでください。",
            icon=":material/info:",
        )
        return
    c1, c2 = st.columns([1, 2])
    scope = _scope(snapshot)
    department = c1.selectbox(
        "推進部署", [ALL, *entry_views.entry_departments(plan, scope)], key=DEPARTMENT_KEY
    )
    options = entry_views.item_options(plan, None if department == ALL else department, scope)
    item_no = c2.selectbox(
        "取組項目", list(options), format_func=lambda n: options[n], key=ITEM_KEY
    )
    if item_no is None:
        return
    vocabulary = [s.status for s in plan.statuses]

    def inputs(shown: ItemStatus | None) -> _StatusInputs:
        return _StatusInputs(
            status=st.selectbox(
                f"{fy.label(year)}の進捗状況",
                vocabulary,
                index=vocabulary.index(shown.status) if shown else None,
                placeholder="選んでください",
                format_func=lambda s: entry_views.status_choice(plan, s),
            ),
            achievements=st.text_area(
                "取組実績", value=(shown.achievements or "") if shown else ""
            ),
            issues=st.text_area("課題", value=(shown.issues or "") if shown else ""),
            next_steps=st.text_area(
                "今後の方向性", value=(shown.next_steps or "") if shown else ""
            ),
        )

    def save(typed: _StatusInputs, saving: SaveOptions[ItemStatus]) -> bool:
        if typed.status is None:
            raise ValidationError(["進捗状況を選んでください。"])
        return save_item_status(
            store_access.store_path(),
            item_no,
            year,
            typed.status,
            achievements=typed.achievements,
            issues=typed.issues,
            next_steps=typed.next_steps,
            **saving,
        )

    key = RecordKey(kind="item_status", subject_no=item_no, fiscal_year=year)
    edit_session.record_form(
        snapshot,
        key,
        snapshot.item_status(item_no, year),
        record_type=ItemStatus,
        name="status",
        inputs=inputs,
        save=save,
        notes=entry_views.pending_record_html(snapshot, key)
        + entry_views.previous_status_html(snapshot, item_no, year),
    )


# --- files --------------------------------------------------------------------------------------


def _import(snapshot: Snapshot) -> None:
    st.html(
        html_blocks.paragraph(
            "指標の実績値（見出し: 指標・年度・実績値）または取組項目の進捗状況（見出し: 取組項目・年度・"
            "進捗状況・取組実績・課題・今後の方向性）のファイルを選ぶと、書き込む前に変更点を表示します。"
            "CSV（UTF-8・Shift_JIS）と Excel（.xlsx）に対応し、1件でも問題があれば何も書き込みません。"
            "取り込む前にバックアップを作成します。",
            meta=True,
        )
    )
    files = st.file_uploader(
        "取り込むファイル（複数可）",
        accept_multiple_files=True,
        key=edit_session.upload_key("upload"),
    )
    sheet = st.text_input(
        "Excelのシート名（空欄なら先頭のシート）", key=edit_session.upload_key("upload-sheet")
    )
    if not files:
        return
    sources = [ImportSource(name=f.name, data=f.getvalue()) for f in files]
    try:
        preview = preview_import(
            store_access.store_path(),
            sources,
            sheet=sheet.strip() or None,
            user=store_access.user_name(),
        )
    except KomaeKpiError as exc:
        edit_session.show_error(exc)
        return
    # The preview this person saw in the previous run is what they confirm with the button; if
    # the store changed since, apply_import refuses (StalePreviewError) and this run shows anew.
    seen = edit_session.previous_preview(sources, sheet.strip(), preview)
    st.html("".join(html_blocks.paragraph(line, meta=True) for line in file_lines(preview)))
    if not preview.ok:
        st.error(
            f"問題が{len(preview.problems)}件あるため、取り込めません（何も書き込んでいません）。"
            "ファイルを直してから、もう一度選んでください。"
        )
        st.html(entry_views.problems_html(preview.problems))
        return
    include_unchanged = st.toggle(
        f"変更なしの記録も表示（{preview.count('unchanged')}件）",
        key=edit_session.upload_key("upload-unchanged"),
        disabled=not preview.count("unchanged"),
    )
    table = entry_views.preview_table(snapshot.plan, preview, include_unchanged=include_unchanged)
    st.html(
        html_blocks.paragraph(preview_summary(preview))
        + (html_blocks.table(table, label="取込のプレビュー") if len(table) else "")
        + entry_views.not_applied_html(preview)
    )
    if not preview.to_write:
        st.info(
            "取り込む変更はありません。"
            if preview.not_applied
            else "ストアの内容と同じため、取り込む変更はありません。",
            icon=":material/info:",
        )
        return
    verb = "提出する" if snapshot.reviewing else "取り込む"
    if st.button(f"{len(preview.to_write)}件を{verb}", type="primary", key=APPLY_KEY):
        try:
            result = apply_import(
                store_access.store_path(),
                sources,
                user=store_access.user_name(),
                sheet=sheet.strip() or None,
                expected=seen or preview,
                wait_seconds=edit_session.WAIT_SECONDS,
            )
        except KomaeKpiError as exc:
            edit_session.show_error(exc)
            return
        edit_session.renew_uploads()
        done = (
            f"{result.submitted}件を取り込み、提出しました（承認されると反映されます）"
            if result.submitted
            else f"{result.written}件を取り込みました"
        )
        edit_session.leave_message(
            f"{done}（{'、'.join(f.name for f in preview.files)}）。"
            f"取り込む前のバックアップ: {result.backup}"
        )
        st.rerun()


def _peer_workbooks(snapshot: Snapshot) -> None:
    """The ministry's 主要財政指標一覧 (reference data for /finance): preview, then all or nothing."""
    st.html(
        html_blocks.paragraph(
            "総務省「地方公共団体の主要財政指標一覧」の Excel（全市町村の主要財政指標、市町村主要財政指標の"
            "都道府県別平均。.xls・.xlsx）を選ぶと、書き込む前に内容を表示します。"
            "年度は表題、なければファイル名から読みます。1件でも問題があれば何も書き込みません。",
            meta=True,
        )
    )
    files = st.file_uploader(
        "主要財政指標一覧のファイル（複数可）",
        accept_multiple_files=True,
        type=["xls", "xlsx"],
        key=edit_session.upload_key("peer-upload"),
    )
    if not files:
        return
    sources = [ImportSource(name=f.name, data=f.getvalue()) for f in files]
    try:
        preview = preview_peer_import(store_access.store_path(), sources)
    except KomaeKpiError as exc:
        edit_session.show_error(exc, action="取込")
        return
    if not preview.ok:
        st.error(
            f"問題が{len(preview.problems)}件あるため、取り込めません（何も書き込んでいません）。"
        )
        st.html(entry_views.problems_html(list(preview.problems)))
        return
    st.html(
        "".join(html_blocks.paragraph(f.line, meta=True) for f in preview.files)
        + html_blocks.paragraph(preview.summary)
    )
    if not preview.values and not preview.added and not preview.coded:
        st.info("ストアの内容と同じため、取り込む変更はありません。", icon=":material/info:")
        return
    if st.button(f"{len(preview.values)}件の値を取り込む", type="primary", key="peer-apply"):
        try:
            done = apply_peer_import(
                store_access.store_path(), sources, user=store_access.user_name()
            )
        except KomaeKpiError as exc:
            edit_session.show_error(exc, action="取込")
            return
        edit_session.renew_uploads()
        edit_session.leave_message(
            f"主要財政指標一覧から{len(done.values)}件の値を取り込みました"
            f"（{'、'.join(f.file_name for f in preview.files)}）"
            f"。「財政指標」の画面の「{finance_views.peers_title(store_access.peer_group().name)}」"
            "で比べられます。"
        )
        st.rerun()


def _workbook(snapshot: Snapshot, year: int) -> None:
    plan = snapshot.plan
    st.html(
        html_blocks.paragraph(
            "推進部署ごとに、取組項目・前年度の報告・記入欄（進捗状況は一覧から選択）を載せたExcelファイルを"
            "作成します。記入後のファイルは「ファイルの取込」でそのまま取り込めます。",
            meta=True,
        )
    )
    if not facts.in_plan_period(year):
        st.info("照会は計画期間の年度について作成します。上の年度リンクで年度を選んでください。")
        return
    department = st.selectbox(
        "推進部署", entry_views.entry_departments(plan), key=WORKBOOK_DEPARTMENT_KEY
    )
    items = department_items(snapshot.plan, department)
    st.download_button(
        f"{department}の照会様式（{fy.label(year)}、取組項目{len(items)}件）をダウンロード",
        # Built when clicked (on Streamlit's own thread), not on every run of this page.
        data=lambda: build_inquiry_workbook(snapshot, department, year).data,
        file_name=inquiry_file_name(department, year),
        mime=XLSX_MIME,
        icon=":material/download:",
        on_click="ignore",
    )


def _history(snapshot: Snapshot) -> None:
    changes = entry_views.readable_changes(snapshot)
    if not changes:
        st.html(html_blocks.paragraph("変更履歴はまだありません。", meta=True))
        return
    latest = changes[:200]
    st.html(
        html_blocks.paragraph(
            f"新しい順に{len(latest)}件（全{len(changes)}件）。"
            "コマンド `python -m komae_kpi history` でも表示できます。",
            meta=True,
        )
        + html_blocks.table(
            entry_views.history_table(snapshot.plan, latest),
            label="変更履歴",
            nowrap=("日時", "年度"),
        )
    )


PEER_PART = "主要財政指標一覧"
ENTRY_PARTS: dict[str, Callable[[Snapshot, int], None]] = {
    "指標の実績値": _actual_form,
    "取組項目の進捗状況": _status_form,
    "ファイルの取込": lambda snapshot, year: _import(snapshot),
}
READING_PARTS: dict[str, Callable[[Snapshot, int], None]] = {
    "照会様式（Excel）": _workbook,
    "変更履歴": lambda snapshot, year: _history(snapshot),
}


def _returned(snapshot: Snapshot) -> None:
    """The person's records an approver returned, each with the comment."""
    actor = access.actor(snapshot)
    rows = review_views.returned_to(snapshot, actor.identity) if actor else []
    for row in rows:
        st.warning(
            f"差し戻されました：{row.label}\n\n{review_views.returned_text(row)}\n\n"
            "内容を直して、もう一度保存（提出）してください。",
            icon=":material/undo:",
        )


def show() -> None:
    approved = store_access.approved_snapshot()
    # The forms show and save over what waits for approval, where anything does.
    snapshot = store_access.working_snapshot()
    year = frame.page_header("実績入力", store_access.snapshot())
    edit_session.show_messages()
    may_enter = access.actor(approved) is not None
    if not may_enter:
        st.info(access.why_read_only(approved), icon=":material/lock:")
    else:
        _returned(snapshot)
    parts = {**ENTRY_PARTS, **READING_PARTS} if may_enter else READING_PARTS
    actor = access.actor(approved)
    if access.may_enter_scenarios(approved):  # those who enter the finance figures
        parts = {
            **parts,
            scenario_panel.TAB: lambda snapshot, year: scenario_panel.show(),
        }
    if actor is not None and actor.may_enter_anything:  # reference data: approvers and admins
        parts = {**parts, PEER_PART: lambda snapshot, year: _peer_workbooks(snapshot)}
    # One part at a time, chosen with links kept in the URL like /finance's parts: st.tabs cost
    # every load about 0.1 s of the browser's time (bench/README.md), and a link can be shared.
    values = {entry_views.part_value(text): text for text in parts}
    default = next(iter(values))
    chosen, part_links = url_state.choice_bar(
        values, param=PART_PARAM, default=default, label=entry_views.PARTS_LABEL
    )
    st.html(part_links)
    name = values[chosen]
    # What waits is for those who enter; readers get the approved state.
    parts[name](snapshot if may_enter and name != "照会様式（Excel）" else approved, year)
    edit_session.end_run()  # the messages were shown in this completed run


if app.guard():
    show()
