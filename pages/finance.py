"""財政指標: for the finance section — the fiscal targets side by side, full history, reference series."""

from __future__ import annotations

import streamlit as st

from komae_kpi import charts, finance_views, indicator_views
from komae_kpi_ui import app, frame, store_access, tables

FULL_HISTORY_INDICATOR = 3  # 経常収支比率: published since FY2005
COMPACT_SINCE = 2019  # the side-by-side charts start here; the full history has its own chart


def show() -> None:
    snapshot = store_access.snapshot()
    year = frame.selected_fiscal_year()
    frame.page_header("財政指標", year)

    indicators = finance_views.fiscal_indicators(snapshot)
    summaries = [indicator_views.summary(snapshot, x.indicator_no, year) for x in indicators]
    for column, summary in zip(st.columns(len(summaries)), summaries, strict=True):
        x = summary.indicator
        with column.container(border=True):
            st.subheader(f"指標{x.indicator_no} {x.name}")
            st.badge(summary.status_text, color=summary.badge_color)  # type: ignore[arg-type]
            st.caption(summary.target_text)
            st.plotly_chart(
                charts.indicator_figure(
                    x,
                    snapshot.actuals(x.indicator_no),
                    summary.assessment,
                    since=COMPACT_SINCE,
                    height=340,
                    compact=True,
                ),
                theme=None,
                config={"displaylogo": False},
                key=f"compact-{x.indicator_no}",
            )
            pairs = st.columns(2)
            for n, figure in enumerate(summary.figures):
                pairs[n % 2].metric(figure.label, figure.value, help=figure.help)
            st.markdown(summary.assessment.reason)

    st.header("経常収支比率の推移（平成17年度以降）")
    ratio = next(s for s in summaries if s.indicator.indicator_no == FULL_HISTORY_INDICATOR)
    st.plotly_chart(
        charts.indicator_figure(
            ratio.indicator, snapshot.actuals(FULL_HISTORY_INDICATOR), ratio.assessment
        ),
        theme=None,
        config={"displaylogo": False},
        key="ratio-history",
    )
    st.subheader("参考：財政力指数・実質公債費比率・将来負担比率")
    st.plotly_chart(
        charts.reference_figure(snapshot.reference_series, snapshot.reference_values),
        theme=None,
        config={"displaylogo": False},
        key="reference",
    )

    st.header("年度別の値と出典")
    tabs = st.tabs([f"{s.indicator.name}（{s.indicator.unit}）" for s in summaries] + ["参考系列"])
    for tab, summary in zip(tabs, summaries, strict=False):
        with tab:
            tables.show(
                indicator_views.values_table(snapshot, summary.indicator.indicator_no, up_to=year)
            )
    with tabs[-1]:
        tables.show(finance_views.reference_table(snapshot))


if app.guard():
    show()
