"""実績入力: enter actuals and item statuses, import files with a preview, the 照会 workbook, history.

Every save passes the record as the form showed it, so a save over someone else's change is
refused and both versions are shown (nothing is silently overwritten).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common.errors import ConcurrentEditError, KomaeKpiError, ValidationError
from komae_kpi.imports.importer import ImportPreview, ImportSource, apply_import, preview_import
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.outputs.inquiry_workbook import (
    build_inquiry_workbook,
    department_items,
    inquiry_file_name,
)
from komae_kpi.plan.model import IndicatorValue, ItemStatus
from komae_kpi.store.entries import save_indicator_value, save_item_status
from komae_kpi.store.record_changes import RecordKey
from komae_kpi.views import entry_views, html_blocks
from komae_kpi.views.change_views import file_lines, preview_summary
from komae_kpi_ui import app, frame, plain_text, store_access

WAIT_SECONDS = 10.0  # how long a save waits for another process (an import) to finish
ALL = "すべて"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _problems_html(problems: list[str] | tuple[str, ...]) -> str:
    # Escaped: the messages quote cells from the files as they were typed.
    return (
        "<ul class='kpi-problems'>"
        + "".join(f"<li>{html_blocks.esc(p)}</li>" for p in problems)
        + "</ul>"
    )


def _show_error(exc: KomaeKpiError) -> None:
    if isinstance(exc, ValidationError):
        st.error(f"保存できません（問題が{len(exc.problems)}件）。何も書き込んでいません。")
        st.html(_problems_html(exc.problems))
    else:
        # Messages quote paths and file names: shown literally, never as Markdown.
        st.error(plain_text.literal(str(exc)))


def _flash(message: str | None = None) -> None:
    """Show the messages left by earlier runs (after a save), or leave one for the next run.

    They are dropped only when a run completes (show() ends): a run cut short by st.rerun()
    would otherwise take a message with it unseen.
    """
    if message is not None:
        st.session_state.setdefault("updates_flash", []).append(message)
        return
    for left in st.session_state.get("updates_flash", []):
        st.success(plain_text.literal(left), icon=":material/check_circle:")


# --- the record a form showed -------------------------------------------------------------------


def _shown(key: RecordKey, read: Callable[[], Any]) -> Any:
    """The record as this person's form shows it, read once and kept until saved or discarded."""
    shown: dict[RecordKey, Any] = st.session_state.setdefault("updates_shown", {})
    if key not in shown:
        shown[key] = read()
    return shown[key]


def _generation(key: RecordKey) -> int:
    generations: dict[RecordKey, int] = st.session_state.setdefault("updates_generation", {})
    return generations.get(key, 0)


def _reset(key: RecordKey) -> None:
    """Forget the shown record and the typed values: the form reads the store afresh."""
    st.session_state.setdefault("updates_shown", {}).pop(key, None)
    st.session_state.setdefault("updates_conflict", {}).pop(key, None)
    generations: dict[RecordKey, int] = st.session_state.setdefault("updates_generation", {})
    generations[key] = generations.get(key, 0) + 1


def _save(key: RecordKey, save: Callable[[Any], bool], expected: Any) -> None:
    try:
        changed = save(expected)
    except ConcurrentEditError as exc:
        st.session_state.setdefault("updates_conflict", {})[key] = exc
        return
    except KomaeKpiError as exc:
        _show_error(exc)
        return
    _reset(key)
    _flash("保存しました。" if changed else "内容が同じため、変更はありませんでした。")
    st.rerun()


def _follow_the_store(key: RecordKey, shown: Any, current: Any, submitted: bool) -> None:
    """When the record changed in the store (an import, another person) while this form sat
    untouched, show the new record instead of keeping the old one: otherwise the caption would
    be wrong and the next save would be refused as a conflict with the person's own import.
    A submitted form keeps what it showed, so that a real conflict is still caught."""
    pending = key in st.session_state.get("updates_conflict", {})
    if submitted or pending or shown == current:
        return
    _reset(key)
    _flash(
        "この記録は、画面を開いた後で更新されました（ファイル取込または別の人の入力）。最新の内容を表示しています。"
    )
    st.rerun()


def _conflict(snapshot: Snapshot, key: RecordKey, save: Callable[[Any], bool]) -> None:
    exc: ConcurrentEditError | None = st.session_state.get("updates_conflict", {}).get(key)
    if exc is None:
        return
    st.warning(str(exc), icon=":material/sync_problem:")
    st.html(
        html_blocks.table(
            entry_views.conflict_table(snapshot.plan, exc.current, exc.yours),
            label="別の人の変更とあなたの入力",
            nowrap=("項目",),
        )
    )
    c1, c2 = st.columns(2)
    if c1.button("あなたの入力で上書きする", key=f"overwrite-{key}"):
        _save(key, save, exc.current)
    if c2.button("別の人の変更を残す（入力を破棄）", key=f"discard-{key}"):
        _reset(key)
        st.rerun()


# --- the forms ----------------------------------------------------------------------------------


def _actual_form(snapshot: Snapshot, year: int) -> None:
    plan = snapshot.plan
    options = entry_views.indicator_options(plan)
    indicator_no = st.selectbox(
        "指標", list(options), format_func=lambda n: options[n], key="updates_indicator"
    )
    indicator = plan.indicator(indicator_no)
    key = RecordKey(kind="indicator_value", subject_no=indicator_no, fiscal_year=year)
    shown: IndicatorValue | None = _shown(key, lambda: snapshot.indicator_value(indicator_no, year))
    last = entry_views.last_change_text(snapshot, key)
    st.html(
        html_blocks.paragraph(
            entry_views.record_caption(plan, shown, year) + (f"　{last}" if last else ""),
            meta=True,
        )
    )
    generation = _generation(key)
    with st.form(f"actual-{indicator_no}-{year}-{generation}"):
        text = st.text_input(
            f"{fy.label(year)}の実績値（単位: {indicator.unit}）",
            value=entry_views.value_text(shown.value) if shown else "",
            help="全角数字、3桁区切り、△（負の値）も使えます。億円の指標は千円・百万円・円でも入力でき、億円に換算します。",
        )
        source = st.text_input("出典", value=(shown.source or "") if shown else "")
        note = st.text_area("備考", value=(shown.note or "") if shown else "", height=80)
        submitted = st.form_submit_button("保存する", type="primary")

    def save(expected: Any) -> bool:
        value = entry_views.value_from_text(indicator, text, plan)
        return save_indicator_value(
            store_access.store_path(),
            indicator_no,
            year,
            value,
            source=source,
            note=note,
            user=store_access.user_name(),
            expected=expected,
            wait_seconds=WAIT_SECONDS,
        )

    if submitted:
        _save(key, save, shown)
    _follow_the_store(key, shown, snapshot.indicator_value(indicator_no, year), submitted)
    _conflict(snapshot, key, save)


def _status_form(snapshot: Snapshot, year: int) -> None:
    plan = snapshot.plan
    if year not in entry_views.status_years():
        first, last = entry_views.status_years()[0], entry_views.status_years()[-1]
        st.info(
            f"進捗状況は計画期間（{fy.label(first)}〜{fy.label(last)}）の年度について入力します。"
            "上の年度リンクで年度を選んでください。",
            icon=":material/info:",
        )
        return
    c1, c2 = st.columns([1, 2])
    department = c1.selectbox(
        "推進部署", [ALL, *entry_views.entry_departments(plan)], key="updates_department"
    )
    options = entry_views.item_options(plan, None if department == ALL else department)
    item_no = c2.selectbox(
        "取組項目", list(options), format_func=lambda n: options[n], key="updates_item"
    )
    if item_no is None:
        return
    key = RecordKey(kind="item_status", subject_no=item_no, fiscal_year=year)
    shown: ItemStatus | None = _shown(key, lambda: snapshot.item_status(item_no, year))
    previous = snapshot.item_status(item_no, year - 1)
    last = entry_views.last_change_text(snapshot, key)
    st.html(
        html_blocks.paragraph(
            entry_views.record_caption(plan, shown, year) + (f"　{last}" if last else ""),
            meta=True,
        )
        + (
            html_blocks.paragraph(
                f"前年度（{fy.label(year - 1)}）: {previous.status}"
                + (f"　取組実績: {previous.achievements}" if previous.achievements else ""),
                meta=True,
            )
            if previous
            else ""
        )
    )
    vocabulary = [s.status for s in plan.statuses]
    generation = _generation(key)
    with st.form(f"status-{item_no}-{year}-{generation}"):
        status = st.selectbox(
            f"{fy.label(year)}の進捗状況",
            vocabulary,
            index=vocabulary.index(shown.status) if shown else None,
            placeholder="選んでください",
            format_func=lambda s: entry_views.status_choice(plan, s),
        )
        achievements = st.text_area("取組実績", value=(shown.achievements or "") if shown else "")
        issues = st.text_area("課題", value=(shown.issues or "") if shown else "")
        next_steps = st.text_area("今後の方向性", value=(shown.next_steps or "") if shown else "")
        submitted = st.form_submit_button("保存する", type="primary")

    def save(expected: Any) -> bool:
        if status is None:
            raise ValidationError(["進捗状況を選んでください。"])
        return save_item_status(
            store_access.store_path(),
            item_no,
            year,
            status,
            achievements=achievements,
            issues=issues,
            next_steps=next_steps,
            user=store_access.user_name(),
            expected=expected,
            wait_seconds=WAIT_SECONDS,
        )

    if submitted:
        _save(key, save, shown)
    _follow_the_store(key, shown, snapshot.item_status(item_no, year), submitted)
    _conflict(snapshot, key, save)


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
    generation = st.session_state.get("updates_upload_generation", 0)
    files = st.file_uploader(
        "取り込むファイル（複数可）", accept_multiple_files=True, key=f"upload-{generation}"
    )
    sheet = st.text_input(
        "Excelのシート名（空欄なら先頭のシート）", key=f"upload-sheet-{generation}"
    )
    if not files:
        return
    sources = [ImportSource(f.name, f.getvalue()) for f in files]
    # The preview this person saw in the previous run is what they confirm with the button; if
    # the store changed since, apply_import refuses (StalePreviewError) and this run shows anew.
    previews: dict[object, ImportPreview] = st.session_state.setdefault("updates_previews", {})
    signature = (tuple((s.name, hash(s.data)) for s in sources), sheet.strip())
    seen = previews.get(signature)
    try:
        preview = preview_import(store_access.store_path(), sources, sheet=sheet.strip() or None)
    except KomaeKpiError as exc:
        _show_error(exc)
        return
    previews.clear()
    previews[signature] = preview
    st.html("".join(html_blocks.paragraph(line, meta=True) for line in file_lines(preview)))
    if not preview.ok:
        st.error(
            f"問題が{len(preview.problems)}件あるため、取り込めません（何も書き込んでいません）。"
            "ファイルを直してから、もう一度選んでください。"
        )
        st.html(_problems_html(preview.problems))
        return
    include_unchanged = st.toggle(
        f"変更なしの記録も表示（{preview.count('unchanged')}件）",
        key=f"upload-unchanged-{generation}",
        disabled=not preview.count("unchanged"),
    )
    table = entry_views.preview_table(snapshot.plan, preview, include_unchanged=include_unchanged)
    st.html(
        html_blocks.paragraph(preview_summary(preview))
        + (html_blocks.table(table, label="取込のプレビュー") if len(table) else "")
    )
    if not preview.to_write:
        st.info("ストアの内容と同じため、取り込む変更はありません。", icon=":material/info:")
        return
    if st.button(f"{len(preview.to_write)}件を取り込む", type="primary", key="import-apply"):
        try:
            result = apply_import(
                store_access.store_path(),
                sources,
                user=store_access.user_name(),
                sheet=sheet.strip() or None,
                expected=seen or preview,
                wait_seconds=WAIT_SECONDS,
            )
        except KomaeKpiError as exc:
            _show_error(exc)
            return
        st.session_state["updates_upload_generation"] = generation + 1
        _flash(
            f"{result.written}件を取り込みました（{'、'.join(f.name for f in preview.files)}）。"
            f"取り込む前のバックアップ: {result.backup}"
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
    if year not in entry_views.status_years():
        st.info("照会は計画期間の年度について作成します。上の年度リンクで年度を選んでください。")
        return
    department = st.selectbox(
        "推進部署", entry_views.entry_departments(plan), key="updates_workbook_department"
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
    if not snapshot.changes:
        st.html(html_blocks.paragraph("変更履歴はまだありません。", meta=True))
        return
    latest = snapshot.changes[:200]
    st.html(
        html_blocks.paragraph(
            f"新しい順に{len(latest)}件（全{len(snapshot.changes)}件）。"
            "コマンド `python -m komae_kpi history` でも表示できます。",
            meta=True,
        )
        + html_blocks.table(
            entry_views.history_table(snapshot.plan, latest),
            label="変更履歴",
            nowrap=("日時", "年度"),
        )
    )


TAB_KEY = "updates_tab"
TABS: dict[str, Callable[[Snapshot, int], None]] = {
    "指標の実績値": _actual_form,
    "取組項目の進捗状況": _status_form,
    "ファイルの取込": lambda snapshot, year: _import(snapshot),
    "照会様式（Excel）": _workbook,
    "変更履歴": lambda snapshot, year: _history(snapshot),
}


def show() -> None:
    snapshot = store_access.snapshot()
    year = frame.page_header("実績入力", snapshot)
    _flash()
    # Only the open tab is drawn (Streamlit reruns when another is chosen): drawing all five
    # forms, the uploader and the history on every run made this the slowest page (bench/).
    tabs = st.tabs(list(TABS), key=TAB_KEY, on_change="rerun")
    for tab, draw in zip(tabs, TABS.values(), strict=True):
        if tab.open:
            with tab:
                draw(snapshot, year)
    st.session_state.pop("updates_flash", None)  # shown in this completed run


if app.guard():
    show()
