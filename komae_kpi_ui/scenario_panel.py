"""/updates' 財政見通し part (?part=outlook): import a scenario file (preview, then all or nothing), and the
scenarios kept, each with a confirmed remove. For those who may enter the finance figures
(access.may_enter_scenarios; the core checks the same on every write and logs each change).
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path

import streamlit as st

from komae_kpi.common.errors import KomaeKpiError
from komae_kpi.imports.importer import ImportSource
from komae_kpi.imports.scenario_import import (
    ScenarioPreview,
    ScenarioRequest,
    apply_scenario_import,
    preview_scenario_import,
)
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.store.scenarios import remove_scenario, scenario_log
from komae_kpi.views import entry_views, finance_outlook, html_blocks
from komae_kpi.views.outlook_views import indicator_heading, path_table, scenario_title
from komae_kpi_ui import edit_session, store_access

TAB = "財政見通し"
LOG_LIMIT = 50
_APPLY_KEY = "scenario-apply"


def _remove_keys(name: str) -> tuple[str, str]:
    """The confirm checkbox's and the button's keys: by name, so that a list changed meanwhile
    (someone removed another scenario) can never point a confirmation at a different one."""
    return f"scenario-remove-confirm:{name}", f"scenario-remove:{name}"


def show() -> None:
    """The part: what scenarios are kept (with remove), the import, and the log."""
    # Scenarios are in force once imported (not reviewed): the approved state is what they
    # project from.
    snapshot = store_access.approved_snapshot()
    _import(snapshot)
    _kept(snapshot)
    _log()


def _import(snapshot: Snapshot) -> None:
    st.html(
        html_blocks.heading("財政見通しの取込", 3)
        + html_blocks.paragraph(finance_outlook.import_help(snapshot.plan), meta=True)
    )
    file = st.file_uploader(
        "財政見通しのファイル",
        type=["csv", "xlsx"],
        key=edit_session.upload_key("scenario-upload"),
    )
    if file is None:
        return
    source = ImportSource(name=file.name, data=file.getvalue())
    # Keyed by the file, so that another file starts with its own name.
    c1, c2 = st.columns([2, 1])
    name = c1.text_input(
        "財政見通しの名前",
        value=Path(file.name).stem,
        key=edit_session.upload_key(f"scenario-name:{file.name}"),
    )
    day = c2.date_input(
        "日付（作成日・公表日）", value=None, key=edit_session.upload_key("scenario-date")
    )
    note = st.text_input("備考", key=edit_session.upload_key("scenario-note"))
    sheet = st.text_input(
        "Excelのシート名（空欄なら先頭のシート）", key=edit_session.upload_key("scenario-sheet")
    )
    replace = st.checkbox(
        "同じ名前の財政見通しがあれば置き換える", key=edit_session.upload_key("scenario-replace")
    )
    request = ScenarioRequest(
        source=source,
        name=name.strip(),
        scenario_date=day if isinstance(day, dt.date) else None,
        note=note.strip() or None,
        sheet=sheet.strip() or None,
        replace_existing=replace,
    )
    try:
        preview = preview_scenario_import(
            store_access.store_path(), request, user=store_access.user_name()
        )
    except KomaeKpiError as exc:
        edit_session.show_error(exc, action="取込")
        return
    st.html(html_blocks.paragraph(preview.reading.line, meta=True))
    if preview.reading.ignored_line:
        st.info(preview.reading.ignored_line, icon=":material/info:")
    if not preview.ok:
        st.error(
            f"問題が{len(preview.problems)}件あるため、取り込めません（何も書き込んでいません）。"
            "ファイルや名前を直してから、もう一度選んでください。"
        )
        st.html(entry_views.problems_html(list(preview.problems)))
        return
    _preview(snapshot, preview)
    scenario = preview.scenario
    assert scenario is not None
    verb = "置き換える" if preview.replaces else "取り込む"
    if st.button(f"財政見通し「{scenario.name}」を{verb}", type="primary", key=_APPLY_KEY):
        try:
            entry = apply_scenario_import(
                store_access.store_path(),
                request,
                user=store_access.user_name(),
                wait_seconds=edit_session.WAIT_SECONDS,
            )
        except KomaeKpiError as exc:
            edit_session.show_error(exc, action="取込")
            return
        edit_session.renew_uploads()
        done = "置き換えました" if entry.action == "replace" else "取り込みました"
        edit_session.leave_message(
            f"財政見通し「{entry.name}」を{done}（{entry.summary}）。「財政指標」の画面の「財政見通し」で見られます。"
        )
        st.rerun()


def _preview(snapshot: Snapshot, preview: ScenarioPreview) -> None:
    """What the file holds, and where it takes each indicator (from the latest actuals)."""
    scenario = preview.scenario
    assert scenario is not None
    (outlook,) = finance_outlook.outlooks_for(snapshot, snapshot.latest_fiscal_year(), [scenario])
    replacing = "（同じ名前の財政見通しを置き換えます）" if preview.replaces else ""
    blocks = [
        html_blocks.paragraph(f"{scenario_title(scenario)}{replacing}")
        + html_blocks.paragraph(scenario.summary(snapshot.plan), meta=True)
    ]
    for x in outlook.indicators:
        heading = indicator_heading(x)
        flows = finance_outlook.flows_frame(outlook.years, x)
        blocks.append(
            html_blocks.heading(heading, 4)
            + (html_blocks.table(flows, label=f"{heading}の増減") if flows is not None else "")
            + html_blocks.table(
                finance_outlook.text_frame(path_table(x)), label=f"{heading}の見通し"
            )
            + "".join(html_blocks.paragraph(t) for t in finance_outlook.verdict_lines(x.verdict))
        )
    st.html("".join(blocks))


def _kept(snapshot: Snapshot) -> None:
    st.html(html_blocks.heading("取り込んだ財政見通し", 3))
    if not snapshot.scenarios:
        st.html(html_blocks.paragraph("財政見通しはまだありません。", meta=True))
        return
    for scenario in snapshot.scenarios:
        with st.container(border=True):
            st.html(
                html_blocks.paragraph(
                    scenario_title(scenario)
                    + (f"【{finance_outlook.DEMO_SCENARIO_MARK}】" if scenario.is_demo else "")
                )
                + html_blocks.paragraph(
                    finance_outlook.scenario_caption(scenario, snapshot.plan), meta=True
                )
            )
            edit_session.confirmed_removal(
                f"「{scenario.name}」",
                f"財政見通し「{scenario.name}」を削除します。元に戻すには、ファイルをもう一度"
                "取り込みます（削除は変更履歴に残ります）。",
                keys=_remove_keys(scenario.name),
                remove=partial(_remove, scenario.name),
            )


def _remove(name: str) -> str:
    entry = remove_scenario(
        store_access.store_path(),
        name,
        user=store_access.user_name(),
        wait_seconds=edit_session.WAIT_SECONDS,
    )
    return f"財政見通し「{entry.name}」を削除しました（{entry.summary}）。"


def _log() -> None:
    entries = scenario_log(store_access.store_path())[:LOG_LIMIT]
    if not entries:
        return
    st.html(
        html_blocks.heading("財政見通しの変更履歴", 3)
        + html_blocks.table(
            finance_outlook.log_frame(entries), label="財政見通しの変更履歴", nowrap=("日時",)
        )
    )
