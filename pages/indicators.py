"""指標: each indicator from its history through the baseline to the target, with its 判定基準."""

from __future__ import annotations

import streamlit as st

from komae_kpi.plan import facts
from komae_kpi.views import entry_views, html_blocks, indicator_views
from komae_kpi_ui import app, frame, store_access, url_state


def show() -> None:
    snapshot = store_access.snapshot()
    year = frame.page_header("指標", snapshot)

    choices = indicator_views.indicator_choices(snapshot)
    indicator_no = url_state.choose(
        list(choices), param="indicator", default=next(iter(choices)), to_text=str
    )
    summary = indicator_views.summary(snapshot, indicator_no, year)
    x = summary.indicator
    table_title = f"{facts.indicator_count_text(snapshot.plan)}の一覧"
    st.html(
        html_blocks.link_bar(
            [(f"指標{n}", url_state.href(indicator=str(n)), n == indicator_no) for n in choices],
            label="指標",
            titles=list(choices.values()),
        )
        + html_blocks.heading(choices[indicator_no])
        + html_blocks.badge(summary.status_text, summary.badge_color)
        + html_blocks.paragraph(summary.assessment.reason)
        + (html_blocks.paragraph(f"所見（承認者）: {summary.finding}") if summary.finding else "")
        + "".join(html_blocks.paragraph(line) for line in summary.outlook)
        + html_blocks.paragraph(f"{summary.target_text}　{summary.kind_text}", meta=True)
        + html_blocks.figures(summary.figures, columns=len(summary.figures))
    )
    st.plotly_chart(
        store_access.indicator_figure(indicator_no, year),
        theme=None,
        config={"displaylogo": False},
        key=f"chart-{indicator_no}",
    )

    criteria = [summary.criteria]
    if x.description:
        criteria.append(f"指標の説明（計画）: {x.description}")
    if x.note:
        criteria.append(x.note)
    # One block for everything under the chart: each element costs the browser a render.
    st.html(
        html_blocks.columns(
            [
                html_blocks.heading("実績値と出典", 3)
                + html_blocks.table(
                    indicator_views.values_table(snapshot, indicator_no, up_to=year),
                    label=f"{x.name}の実績値と出典",
                )
                + html_blocks.heading("変更履歴", 3)
                + entry_views.history_html(snapshot, "indicator_value", indicator_no),
                html_blocks.heading("判定基準", 3)
                + "".join(html_blocks.paragraph(c) for c in criteria),
            ]
        )
        + html_blocks.heading(table_title, 3)
        + html_blocks.table(indicator_views.all_indicators_table(snapshot, year), label=table_title)
    )


if app.guard():
    show()
