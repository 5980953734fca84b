"""部署別: each department's items, their status mix and what is still missing for the year."""

from __future__ import annotations

import streamlit as st

from komae_kpi import department_progress, item_progress, item_views
from komae_kpi import fiscal_year as fy
from komae_kpi_ui import app, frame, store_access, tables, url_state

ALL = "すべて"


def show() -> None:
    snapshot = store_access.snapshot()
    plan = snapshot.plan
    year = frame.selected_fiscal_year()
    frame.page_header("部署別", year)

    rows = item_progress.item_rows(plan, item_progress.status_index(snapshot.statuses), year)
    summaries = department_progress.department_summaries(plan, rows)
    names = [s.department.name for s in summaries]
    catch_alls = {s.department.name: s.department for s in summaries if s.department.is_catch_all}
    department = url_state.select(
        "部署を選ぶ",
        [ALL, *names],
        param="department",
        default=ALL,
        to_text=str,
        format_func=lambda v: f"{v}（総称）" if v in catch_alls else v,
    )
    st.caption(
        "「関係各課」「各施設所管課」は特定の部署ではなく、関係する課の総称です。"
        "部署の一覧では最後にまとめて表示します。"
    )

    if department == ALL:
        st.header("部署ごとの取組項目と進捗状況")
        tables.show(item_views.departments_table(plan, summaries))
        return

    summary = next(s for s in summaries if s.department.name == department)
    st.header(f"{department}（総称）" if department in catch_alls else department)
    if department in catch_alls and catch_alls[department].note:
        st.info(
            f"{department}：{catch_alls[department].note}。各課がそれぞれの立場で取り組む項目です。",
            icon=":material/info:",
        )
    st.markdown(f"**取組項目 {summary.activity_count}項目**（再掲は1回として数えます）")
    tables.show(item_views.status_mix_table(plan, summary))
    if summary.missing:
        st.warning(
            f"{fy.label(year)}の進捗状況が未報告の取組項目: {department_progress.missing_text(summary)}",
            icon=":material/edit_note:",
        )
    else:
        st.success(
            f"{fy.label(year)}の進捗状況はすべて報告済みです。", icon=":material/check_circle:"
        )
    st.subheader("取組項目")
    tables.show(item_views.rows_table(plan, list(summary.rows)))


if app.guard():
    show()
