"""財政指標: for the finance section — the fiscal targets side by side, then one part at a time
(?view=…): the full history and the reference series, the values by year, the 財政見通し, the peers."""

from __future__ import annotations

import streamlit as st

from komae_kpi.judgement import peer_context
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.plan.model import Indicator
from komae_kpi.views import finance_outlook, finance_views, html_blocks, indicator_views, peer_views
from komae_kpi.views.indicator_views import IndicatorSummary
from komae_kpi_ui import app, frame, store_access, url_state

FULL_HISTORY_INDICATOR = 3  # 経常収支比率: published since FY2005
CHART_CONFIG = {"displaylogo": False}
SCENARIO_PARAM = "scenario"
VIEW_PARAM = "view"
PEER_PARAM = "ratio"  # the peers part's chart: ?ratio=財政力指数


def show() -> None:
    snapshot = store_access.snapshot()
    year = frame.page_header("財政指標", snapshot)

    summaries = [
        indicator_views.summary(snapshot, x.indicator_no, year)
        for x in finance_views.fiscal_indicators(snapshot)
    ]
    # One part at a time, chosen with links kept in the URL (bench/README.md: drawn whole, the
    # page's Plotly charts and tables kept it above 1.2x its floor).
    views = finance_views.views(store_access.peer_group().name)
    view, view_links = url_state.choice_bar(
        views, param=VIEW_PARAM, default=finance_views.DEFAULT_VIEW, label=finance_views.VIEW_LABEL
    )
    st.html(html_blocks.columns([finance_views.card_html(s, year) for s in summaries]) + view_links)
    if view == finance_views.OUTLOOK_VIEW:
        _outlook(snapshot, year)
    elif view == finance_views.PEERS_VIEW:
        _peers(store_access.peer_context(), snapshot.plan.indicators)
    elif view == finance_views.VALUES_VIEW:
        _values(snapshot, year, summaries)
    else:
        _history(year)


def _history(year: int) -> None:
    """経常収支比率 since FY2005 and the reference series."""
    st.html(html_blocks.heading("経常収支比率の推移（平成17年度以降）"))
    st.plotly_chart(
        store_access.indicator_figure(FULL_HISTORY_INDICATOR, year),
        theme=None,
        config=CHART_CONFIG,
        key="ratio-history",
    )
    st.plotly_chart(
        store_access.reference_figure(), theme=None, config=CHART_CONFIG, key="reference"
    )


def _values(snapshot: Snapshot, year: int, summaries: list[IndicatorSummary]) -> None:
    """Every fiscal indicator's values by year with their sources, and the reference series."""
    st.html(
        html_blocks.heading(finance_views.VALUES_TITLE)
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


def _outlook(snapshot: Snapshot, year: int) -> None:
    """The 財政見通し: a chart per indicator with the chosen scenarios' paths, the flows, the
    verdicts. The choice lives in the URL (?scenario=A&scenario=B), so a shared link shows the same.
    The HTML between two charts travels as one element (each element costs the browser a render)."""
    html = [html_blocks.heading(finance_outlook.SECTION_TITLE)]
    by_name = {s.name: s for s in snapshot.scenarios}
    # Links, not a multiselect: a widget costs every load of the page (bench/README.md).
    chosen, unknown = url_state.chosen_many(list(by_name), param=SCENARIO_PARAM)
    if by_name:
        html.append(
            html_blocks.link_bar(
                url_state.toggle_links(
                    list(by_name),
                    chosen,
                    param=SCENARIO_PARAM,
                    text=lambda name: finance_outlook.shown_name(by_name[name]),
                ),
                label="表示する財政見通し",
            )
            + html_blocks.paragraph(
                "選ぶと表示・非表示が切り替わります。" + finance_outlook.paths_help(snapshot.plan),
                meta=True,
            )
        )
    section, figures = store_access.outlook(year, chosen, unknown)
    if section.notices:
        st.html("".join(html))
        html = []
        for notice in section.notices:
            st.info(notice, icon=":material/info:")
    if section.demo_note:
        html.append(html_blocks.paragraph(section.demo_note, meta=True))
    for panel, figure in zip(section.panels, figures, strict=True):
        st.html("".join([*html, html_blocks.heading(panel.heading, 3)]))
        st.plotly_chart(
            figure,
            theme=None,
            config=CHART_CONFIG,
            key=f"outlook-{panel.indicator.indicator_no}",
        )
        html = [panel.notes_html()]
    rest = "".join(html)
    if rest:
        st.html(rest)


def _peers(context: peer_context.PeerContext, plan_indicators: tuple[Indicator, ...]) -> None:
    """The city among the 多摩26市 and the municipal averages (総務省「主要財政指標一覧」): the
    ranks, one ratio's chart chosen with links (?ratio=…), and the group's table."""
    st.html(html_blocks.heading(finance_views.peers_title(context.group.name)))
    default = peer_views.default_indicator(context.indicators, plan_indicators)
    if context.is_empty or default is None:
        st.info(peer_views.IMPORT_HINT, icon=":material/upload_file:")
        return
    # One chart at a time, like the parts themselves (bench/README.md: the five drawn together
    # kept this part above 1.2x its floor); the ranks and the table show every ratio.
    indicator, chart_links = url_state.choice_bar(
        {name: name for name in context.indicators},
        param=PEER_PARAM,
        default=default,
        label=peer_views.CHART_LINKS_LABEL,
    )
    st.html(
        html_blocks.bullets(peer_views.rank_lines(context), css_class="kpi-list")
        + html_blocks.paragraph(peer_context.SOURCE, meta=True)
        + chart_links
    )
    st.plotly_chart(
        store_access.peer_figure(indicator),
        theme=None,
        config=CHART_CONFIG,
        key="peer-chart",
    )
    st.html(
        html_blocks.heading(peer_views.table_heading(context), 3)
        + html_blocks.table(
            peer_views.group_table(context), label=peer_views.table_heading(context)
        )
        + html_blocks.paragraph(peer_views.table_caption(context), meta=True)
    )


if app.guard():
    show()
