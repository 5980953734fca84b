"""指標: each indicator from its history through the baseline to the target, with its 判定基準."""

from __future__ import annotations

import streamlit as st

from komae_kpi import charts, indicator_views
from komae_kpi_ui import app, frame, store_access, tables, url_state


def show() -> None:
    snapshot = store_access.snapshot()
    year = frame.selected_fiscal_year()
    frame.page_header("指標", year)

    choices = indicator_views.indicator_choices(snapshot)
    indicator_no = url_state.select(
        "指標を選ぶ",
        list(choices),
        param="indicator",
        default=next(iter(choices)),
        to_text=str,
        format_func=choices.__getitem__,
    )
    summary = indicator_views.summary(snapshot, indicator_no, year)
    x = summary.indicator

    st.header(choices[indicator_no])
    st.badge(summary.status_text, color=summary.badge_color)  # type: ignore[arg-type]
    st.markdown(summary.assessment.reason)
    st.caption(f"{summary.target_text}　{summary.kind_text}")

    for column, figure in zip(st.columns(len(summary.figures)), summary.figures, strict=True):
        column.metric(figure.label, figure.value, help=figure.help)

    fig = charts.indicator_figure(x, snapshot.actuals(indicator_no), summary.assessment)
    st.plotly_chart(fig, theme=None, config={"displaylogo": False}, key=f"chart-{indicator_no}")

    left, right = st.columns([3, 2])
    with left:
        st.subheader("実績値と出典")
        tables.show(indicator_views.values_table(snapshot, indicator_no, up_to=year))
    with right:
        st.subheader("判定基準")
        st.markdown(summary.criteria)
        if x.description:
            st.markdown(f"**指標の説明（計画）**　{x.description}")
        if x.note:
            st.caption(x.note)

    st.subheader("8つの指標の一覧")
    tables.show(indicator_views.all_indicators_table(snapshot, year))


if app.guard():
    show()
