"""取組項目: the tree 施策 → 方向性 → 基本事業 → 取組項目 with each item's status, filters and details."""

from __future__ import annotations

import streamlit as st

from komae_kpi.judgement import item_progress
from komae_kpi.plan import facts
from komae_kpi.views import entry_views, html_blocks, item_views
from komae_kpi_ui import app, frame, store_access, url_state

FILTERS = ("scope", "department", "status", "q")  # the search form's fields


def _chosen(values: list[str], param: str) -> str | None:
    """A filter from ?param=… (kept in the URL; a value that matches nothing is named on the page
    by the year links' note); None for 「すべて」."""
    chosen = url_state.choose(
        [item_views.ALL, *values], param=param, default=item_views.ALL, to_text=str
    )
    return None if chosen == item_views.ALL else chosen


def show() -> None:
    snapshot = store_access.snapshot()
    plan = snapshot.plan
    year = frame.page_header("取組項目", snapshot)
    if not facts.in_plan_period(year):
        st.info(
            facts.reported_in_period_note() + "この年度はすべて「未報告」と表示します。",
            icon=":material/info:",
        )

    url_state.drop_empty(*FILTERS)
    scope = _chosen(list(item_views.scope_choices(plan)), "scope")
    department = _chosen([d.name for d in plan.departments], "department")
    status = _chosen(item_progress.status_order(plan), "status")
    text = url_state.keyword("q", max_length=item_views.KEYWORD_MAX)
    st.html(
        item_views.filter_form(
            plan,
            scope=scope,
            department=department,
            status=status,
            text=text,
            hidden=url_state.other_params(*FILTERS, "item"),
            clear_href=url_state.href(**dict.fromkeys((*FILTERS, "item"))),
        )
    )

    item_filter = item_progress.filter_from_scope(
        scope, department=department, status=status, text=text
    )
    index = item_progress.status_index(snapshot.statuses)
    all_rows = item_progress.item_rows(plan, index, year, snapshot.pending_items)
    rows = item_progress.filter_rows(all_rows, item_filter)

    chosen = url_state.choose(
        [None, *(r.item.item_no for r in all_rows)], param="item", default=None, to_text=str
    )
    if chosen is not None:
        detail = item_views.item_detail(plan, index, chosen, year, snapshot.pending_items)
        st.html(
            item_views.detail_html(detail, year, close_href=url_state.href(item=None))
            + html_blocks.heading("変更履歴", 3)
            + entry_views.history_html(snapshot, "item_status", chosen)
        )

    shown = html_blocks.paragraph(
        f"{len(rows)}項目を表示（全{facts.item_count_text(plan)}）。"
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
