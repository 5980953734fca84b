"""部署別: each department's items, their status mix and what is still missing for the year."""

from __future__ import annotations

import streamlit as st

from komae_kpi.common import fiscal_year as fy
from komae_kpi.judgement import department_progress, item_progress
from komae_kpi.plan import facts
from komae_kpi.views import html_blocks, item_views
from komae_kpi_ui import app, frame, store_access, url_state

ALL = "すべて"
CATCH_ALL_NOTE = (
    "「関係各課」「各施設所管課」は特定の部署ではなく、関係する課の総称です。"
    "部署の一覧では最後にまとめて表示します。"
)


def show() -> None:
    snapshot = store_access.snapshot()
    plan = snapshot.plan
    year = frame.page_header("部署別", snapshot)

    rows = item_progress.item_rows(
        plan, item_progress.status_index(snapshot.statuses), year, snapshot.pending_items
    )
    summaries = department_progress.department_summaries(plan, rows)
    catch_alls = {s.department.name: s.department for s in summaries if s.department.is_catch_all}
    names = [ALL, *(s.department.name for s in summaries)]
    department = url_state.choose(names, param="department", default=ALL, to_text=str)
    links = html_blocks.link_bar(
        [
            (
                f"{n}（総称）" if n in catch_alls else n,
                url_state.href(department=None if n == ALL else n),
                n == department,
            )
            for n in names
        ],
        label="部署",
    )
    in_plan_period = facts.in_plan_period(year)
    period_note = (
        ""
        if in_plan_period
        else html_blocks.paragraph(
            facts.reported_in_period_note() + "この年度は未報告として数えています。", meta=True
        )
    )
    if department == ALL:
        st.html(
            links
            + html_blocks.paragraph(CATCH_ALL_NOTE, meta=True)
            + period_note
            + html_blocks.heading("部署ごとの取組項目と進捗状況")
            + html_blocks.table(
                item_views.departments_table(plan, summaries), label="部署ごとの取組項目と進捗状況"
            )
        )
        return

    summary = next(s for s in summaries if s.department.name == department)
    st.html(links)
    if department in catch_alls and catch_alls[department].note:
        st.info(
            f"{department}：{catch_alls[department].note}。各課がそれぞれの立場で取り組む項目です。",
            icon=":material/info:",
        )
    if not in_plan_period:
        st.info(facts.reported_in_period_note(), icon=":material/info:")
    elif summary.missing:
        st.warning(
            f"{fy.label(year)}の進捗状況が未報告の取組項目: {department_progress.missing_text(summary)}",
            icon=":material/edit_note:",
        )
    else:
        st.success(
            f"{fy.label(year)}の進捗状況はすべて報告済みです。", icon=":material/check_circle:"
        )
    st.html(
        html_blocks.heading(f"{department}（総称）" if department in catch_alls else department)
        + html_blocks.table(
            item_views.status_mix_table(plan, summary),
            caption=f"取組項目 {summary.activity_count}項目の進捗状況（再掲は1回として数えます）",
        )
        + html_blocks.table(item_views.rows_table(plan, list(summary.rows)), caption="取組項目")
    )


if app.guard():
    show()
