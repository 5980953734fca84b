"""全体概況: the HQ meeting's page — indicator tiles, gap warnings, item status counts, freshness."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from komae_kpi import fiscal_year as fy
from komae_kpi import item_progress, item_views, overview, plan_views
from komae_kpi.entries import PLAN_FIRST_FISCAL_YEAR, PLAN_LAST_FISCAL_YEAR
from komae_kpi.status_style import item_status_text
from komae_kpi_ui import app, frame, store_access, tables

TILES_PER_ROW = 4


def show() -> None:
    snapshot = store_access.snapshot()
    year = frame.selected_fiscal_year()
    frame.page_header("全体概況", year)

    for note in overview.freshness_notes(snapshot, year, dt.date.today()):
        st.info(note, icon=":material/info:")

    st.header("指標の状況")
    warnings = overview.gap_warnings(snapshot, year)
    if not warnings:
        st.success(
            "計画線・目標から遅れている指標（遅れ・注意）はありません。",
            icon=":material/check_circle:",
        )
    for w in warnings:
        show_box = st.error if w.level == "error" else st.warning
        show_box(
            w.body,
            title=w.title,
            icon=":material/error:" if w.level == "error" else ":material/warning:",
        )

    tiles = overview.tiles(snapshot, year)
    for start in range(0, len(tiles), TILES_PER_ROW):
        for column, tile in zip(
            st.columns(TILES_PER_ROW), tiles[start : start + TILES_PER_ROW], strict=False
        ):
            with column.container(border=True):
                st.badge(tile.status_text, color=tile.badge_color)  # type: ignore[arg-type]
                st.markdown(f"**指標{tile.indicator_no}　{tile.name}**")
                st.metric(
                    f"指標{tile.indicator_no}の最新の実績値",
                    tile.value_text,
                    delta=tile.change_text,
                    delta_color=tile.delta_color,  # type: ignore[arg-type]
                    help=tile.help_text,
                    # One point is not a trend: a flat line would mislead.
                    chart_data=list(tile.sparkline) if len(tile.sparkline) > 1 else None,
                    chart_type="line",
                    label_visibility="collapsed",
                )
                st.caption(f"{tile.year_text}　{tile.target_text}")

    plan = snapshot.plan
    st.header(f"取組項目の進捗状況（{plan_views.item_count_text(plan)}）")
    if not PLAN_FIRST_FISCAL_YEAR <= year <= PLAN_LAST_FISCAL_YEAR:
        st.info(
            f"取組項目の進捗状況は計画期間（{fy.label(PLAN_FIRST_FISCAL_YEAR)}〜"
            f"{fy.label(PLAN_LAST_FISCAL_YEAR)}）の年度について報告されます。",
            icon=":material/info:",
        )
        return
    counts = item_progress.status_counts(
        plan,
        item_progress.status_index(snapshot.statuses),
        year,
        first_reported_year=PLAN_FIRST_FISCAL_YEAR,
    )
    overall = counts[0]
    for column, count in zip(st.columns(len(overall.counts)), overall.counts, strict=True):
        column.metric(
            item_status_text(count.status),
            f"{count.count}項目",
            delta=None if count.change is None else f"{count.change:+d}（前年度比）",
            delta_color="off",
        )
    st.caption(
        f"再掲の取組項目は元の取組項目として1回だけ数えています（{overall.total}項目）。"
        "括弧内は前年度からの増減です。"
    )
    tables.show(item_views.counts_table(counts))


if app.guard():
    show()
