"""取組項目: the tree 施策 → 方向性 → 基本事業 → 取組項目 with each item's status, filters and details."""

from __future__ import annotations

import streamlit as st

from komae_kpi.common import fiscal_year as fy
from komae_kpi.judgement import item_progress
from komae_kpi.store.entries import PLAN_FIRST_FISCAL_YEAR, PLAN_LAST_FISCAL_YEAR
from komae_kpi.views import entry_views, html_blocks, item_views, plan_views
from komae_kpi.views.status_style import item_status_text
from komae_kpi_ui import app, frame, store_access, url_state

ALL = "すべて"


def show() -> None:
    snapshot = store_access.snapshot()
    plan = snapshot.plan
    year = frame.page_header("取組項目", snapshot)
    if not PLAN_FIRST_FISCAL_YEAR <= year <= PLAN_LAST_FISCAL_YEAR:
        st.info(
            f"進捗状況は計画期間（{fy.label(PLAN_FIRST_FISCAL_YEAR)}〜{fy.label(PLAN_LAST_FISCAL_YEAR)}）"
            "の年度について報告されます。この年度はすべて「未報告」と表示します。",
            icon=":material/info:",
        )

    scopes = item_views.scope_choices(plan)
    statuses = item_progress.status_order(plan)
    c1, c2, c3, c4 = st.columns([4, 2, 2, 3])
    scope = url_state.select(
        "施策・方向性",
        [ALL, *scopes],
        param="scope",
        default=ALL,
        to_text=str,
        format_func=lambda v: scopes.get(v, ALL),
        container=c1,
    )
    catch_alls = {d.name for d in plan.departments if d.is_catch_all}
    department = url_state.select(
        "部署",
        [ALL, *(d.name for d in plan.departments)],
        param="department",
        default=ALL,
        to_text=str,
        format_func=lambda v: f"{v}（総称）" if v in catch_alls else v,
        container=c2,
    )
    status = url_state.select(
        "進捗状況",
        [ALL, *statuses],
        param="status",
        default=ALL,
        to_text=str,
        format_func=lambda v: v if v == ALL else item_status_text(v),
        container=c3,
    )
    text = url_state.text(
        "キーワード", param="q", container=c4, placeholder="名称・内容・実績で検索"
    )

    item_filter = item_progress.filter_from_scope(
        None if scope == ALL else scope,
        department=None if department == ALL else department,
        status=None if status == ALL else status,
        text=text,
    )
    index = item_progress.status_index(snapshot.statuses)
    all_rows = item_progress.item_rows(plan, index, year)
    rows = item_progress.filter_rows(all_rows, item_filter)

    chosen = url_state.choose(
        [None, *(r.item.item_no for r in all_rows)], param="item", default=None, to_text=str
    )
    if chosen is not None:
        detail = item_views.item_detail(plan, index, chosen, year)
        st.html(
            item_views.detail_html(detail, year, close_href=url_state.href(item=None))
            + html_blocks.heading("変更履歴", 3)
            + entry_views.history_html(snapshot, "item_status", chosen)
        )

    shown = html_blocks.paragraph(
        f"{len(rows)}項目を表示（全{plan_views.item_count_text(plan)}）。"
        "取組項目名を選ぶと、計画の取組内容と進捗状況の推移を表示します。",
        meta=True,
    )
    if not rows:
        st.html(shown)
        st.info(
            "条件に合う取組項目はありません。条件を変えてください。", icon=":material/search_off:"
        )
        return
    sections = item_views.tree_sections(plan, rows, lambda n: url_state.href(item=str(n)))
    st.html(
        shown
        + html_blocks.grouped_table(
            item_views.ITEM_COLUMNS,
            item_views.tree_groups(sections),
            label="取組項目の一覧（施策・方向性・基本事業ごと）",
        )
    )


if app.guard():
    show()
