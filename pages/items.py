"""取組項目: the tree 施策 → 方向性 → 基本事業 → 取組項目 with each item's status, filters and details."""

from __future__ import annotations

import streamlit as st

from komae_kpi import fiscal_year as fy
from komae_kpi import item_progress, item_views, plan_views
from komae_kpi.entries import PLAN_FIRST_FISCAL_YEAR, PLAN_LAST_FISCAL_YEAR
from komae_kpi.status_style import item_status_text
from komae_kpi_ui import app, frame, store_access, tables, url_state

ALL = "すべて"


def show() -> None:
    snapshot = store_access.snapshot()
    plan = snapshot.plan
    year = frame.selected_fiscal_year()
    frame.page_header("取組項目", year)
    if not PLAN_FIRST_FISCAL_YEAR <= year <= PLAN_LAST_FISCAL_YEAR:
        st.info(
            f"進捗状況は計画期間（{fy.label(PLAN_FIRST_FISCAL_YEAR)}〜{fy.label(PLAN_LAST_FISCAL_YEAR)}）"
            "の年度について報告されます。この年度はすべて「未報告」と表示します。",
            icon=":material/info:",
        )

    policy_names = {p.policy_no: f"施策{p.policy_no} {p.name}" for p in plan.policies}
    direction_names = {d.code: f"方向性{d.code} {d.name}" for d in plan.directions}
    departments = [d.name for d in plan.departments]
    statuses = item_progress.status_order(plan)
    c1, c2, c3, c4, c5 = st.columns([2, 3, 2, 2, 3])
    policy = url_state.select(
        "施策",
        [ALL, *policy_names],
        param="policy",
        default=ALL,
        to_text=str,
        format_func=lambda v: policy_names.get(v, ALL),
        container=c1,
    )
    direction_options = [
        code for code in direction_names if policy == ALL or code.startswith(f"{policy}-")
    ]
    direction = url_state.select(
        "方向性",
        [ALL, *direction_options],
        param="direction",
        default=ALL,
        to_text=str,
        format_func=lambda v: direction_names.get(v, ALL),
        container=c2,
    )
    department = url_state.select(
        "部署",
        [ALL, *departments],
        param="department",
        default=ALL,
        to_text=str,
        format_func=str,
        container=c3,
    )
    status = url_state.select(
        "進捗状況",
        [ALL, *statuses],
        param="status",
        default=ALL,
        to_text=str,
        format_func=lambda v: v if v == ALL else item_status_text(v),
        container=c4,
    )
    text = url_state.text(
        "キーワード", param="q", container=c5, placeholder="名称・内容・実績で検索"
    )

    direction_policy, direction_no = (
        (None, None) if direction == ALL else map(int, direction.split("-"))
    )
    item_filter = item_progress.ItemFilter(
        policy_no=direction_policy
        if direction_policy is not None
        else (None if policy == ALL else policy),
        direction_no=direction_no,
        department=None if department == ALL else department,
        status=None if status == ALL else status,
        text=text,
    )
    index = item_progress.status_index(snapshot.statuses)
    rows = item_progress.filter_rows(item_progress.item_rows(plan, index, year), item_filter)
    st.caption(f"{len(rows)}項目を表示（全{plan_views.item_count_text(plan)}）")
    if not rows:
        st.info(
            "条件に合う取組項目はありません。条件を変えてください。", icon=":material/search_off:"
        )
        return

    shown_policy = shown_direction = None
    for section in item_views.tree_sections(plan, rows):
        if section.policy_heading != shown_policy:
            st.header(section.policy_heading)
            shown_policy = section.policy_heading
        if section.direction_heading != shown_direction:
            st.subheader(section.direction_heading)
            shown_direction = section.direction_heading
        st.markdown(f"**{section.program_heading}**")
        tables.show(section.table)

    st.header("取組項目の詳細")
    choices = {r.item.item_no: item_views.item_choice_label(r.item) for r in rows}
    item_no = url_state.select(
        "取組項目を選ぶ",
        list(choices),
        param="item",
        default=next(iter(choices)),
        to_text=str,
        format_func=choices.__getitem__,
    )
    detail = item_views.item_detail(plan, index, item_no, year)
    st.subheader(detail.title)
    st.caption(detail.place)
    if detail.repost_note:
        st.info(detail.repost_note, icon=":material/repeat:")
    st.markdown(f"**推進部署**　{detail.departments}")
    st.markdown("**取組内容（計画）**")
    st.text(detail.text)
    st.markdown(f"**{fy.label(year)}の進捗状況**　{detail.status_text}")
    st.markdown("**進捗状況と取組実績の推移**")
    if detail.history.empty:
        st.info("まだ進捗状況の報告がありません。", icon=":material/info:")
    else:
        tables.show(detail.history)


if app.guard():
    show()
