"""財政指標: for the finance section — the fiscal targets side by side, full history, reference series."""

from __future__ import annotations

import streamlit as st

from komae_kpi.views import finance_views, html_blocks, indicator_views
from komae_kpi_ui import app, frame, store_access

FULL_HISTORY_INDICATOR = 3  # 経常収支比率: published since FY2005
CHART_CONFIG = {"displaylogo": False}


def show() -> None:
    snapshot = store_access.snapshot()
    year = frame.page_header("財政指標", snapshot)

    summaries = [
        indicator_views.summary(snapshot, x.indicator_no, year)
        for x in finance_views.fiscal_indicators(snapshot)
    ]
    st.html(
        html_blocks.columns([finance_views.card_html(s, year) for s in summaries])
        + html_blocks.heading("経常収支比率の推移（平成17年度以降）")
    )
    st.plotly_chart(
        store_access.indicator_figure(FULL_HISTORY_INDICATOR, year),
        theme=None,
        config=CHART_CONFIG,
        key="ratio-history",
    )
    st.plotly_chart(
        store_access.reference_figure(), theme=None, config=CHART_CONFIG, key="reference"
    )

    st.html(
        html_blocks.heading("年度別の値と出典")
        + html_blocks.columns(
            [
                html_blocks.heading(f"{s.indicator.name}（{s.indicator.unit}）", 3)
                + html_blocks.table(
                    indicator_views.values_table(snapshot, s.indicator.indicator_no, up_to=year),
                    label=f"{s.indicator.name}の年度別の値と出典",
                )
                for s in summaries
            ]
        )
        + html_blocks.heading("参考系列", 3)
        + html_blocks.table(
            finance_views.reference_table(snapshot), label="参考系列の年度別の値と出典"
        )
        + html_blocks.paragraph(finance_views.REFERENCE_NOTE, meta=True)
    )


if app.guard():
    show()
