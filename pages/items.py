"""取組項目: the tree 施策 → 方向性 → 基本事業 → 取組項目 with each item's status, filters and details."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from komae_kpi.judgement import item_progress
from komae_kpi.plan import facts
from komae_kpi.views import entry_views, html_blocks, item_views
from komae_kpi.views.status_style import item_status_text
from komae_kpi_ui import app, frame, store_access, url_state

ALL = "すべて"


def _filter(
    label: str,
    values: list[str],
    param: str,
    container: DeltaGenerator,
    value_text: Callable[[str], str],
) -> str | None:
    """A filter kept in the URL as ?param=…, with 「すべて」 first; None when that is chosen."""
    chosen = url_state.select(
        label,
        [ALL, *values],
        param=param,
        default=ALL,
        to_text=str,
        format_func=lambda v: v if v == ALL else value_text(v),
        container=container,
    )
    return None if chosen == ALL else chosen


def show() -> None:
    snapshot = store_access.snapshot()
    plan = snapshot.plan
    year = frame.page_header("取組項目", snapshot)
    if not facts.in_plan_period(year):
        st.info(
            facts.reported_in_period_note() + "この年度はすべて「未報告」と表示します。",
            icon=":material/info:",
        )

    scopes = item_views.scope_choices(plan)
    catch_alls = {d.name for d in plan.departments if d.is_catch_all}
    c1, c2, c3, c4 = st.columns([4, 2, 2, 3])
    scope = _filter("施策・方向性", list(scopes), "scope", c1, scopes.__getitem__)
    department = _filter(
        "部署",
        [d.name for d in plan.departments],
        "department",
        c2,
        lambda v: f"{v}（総称）" if v in catch_alls else v,
    )
    status = _filter("進捗状況", item_progress.status_order(plan), "status", c3, item_status_text)
    text = url_state.text(
        "キーワード", param="q", container=c4, placeholder="名称・内容・実績で検索"
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
