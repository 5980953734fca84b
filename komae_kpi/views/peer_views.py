"""/finance's peer context: each ratio of the ministry's 主要財政指標一覧 for the city against the
多摩26市 (median and range) and the municipal averages, the city's rank, and the 26 cities'
table for the latest year. Figures are pure functions, like views/charts.py."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common import formatting
from komae_kpi.judgement.peer_context import (
    BETTER,
    BETTER_WORDS,
    SOURCE,
    PeerContext,
    PeerSeries,
    rank,
    unit_of,
)
from komae_kpi.plan import facts
from komae_kpi.plan.model import Indicator
from komae_kpi.views.charts import (
    ACTUAL_COLOR,
    HOVER,
    OKABE_ITO,
    TARGET_COLOR,
    TEMPLATE,
    _year_axis,
    hover_data,
)

IMPORT_HINT = (
    "類似団体との比較には、総務省「地方公共団体の主要財政指標一覧」の取込が必要です: "
    "python -m komae_kpi peers import 全市町村の主要財政指標.xlsx 都道府県別平均.xlsx"
)
CHART_LINKS_LABEL = "グラフの指標"  # the links choosing the peers part's chart
RANGE_COLOR = "rgba(86, 180, 233, 0.25)"  # the group's range: a light band of sky blue


def _decimals(indicator: str) -> int:
    return 2 if indicator == "財政力指数" else 1


def value_text(value: float | None, indicator: str) -> str:
    """A peer figure as every output writes it: '87.7%', '0.92'; '－' without one."""
    if value is None:
        return "－"
    return formatting.with_unit(value, unit_of(indicator), _decimals(indicator))


def peer_figure(
    s: PeerSeries, *, group_name: str, target: Indicator | None = None, height: int = 460
) -> go.Figure:
    """The city against its group and the averages for one indicator; the plan's target as a
    line when the indicator is one of the plan's (経常収支比率 90.0%以下)."""
    unit = unit_of(s.indicator)
    years = list(s.years)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=years,
            y=list(s.high),
            mode="lines",
            line={"width": 0},
            showlegend=False,
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=years,
            y=list(s.low),
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=RANGE_COLOR,
            name=f"{group_name}の範囲（最小〜最大）",
            hoverinfo="skip",
        )
    )
    lines = (
        (f"{group_name}の中央値", s.median, {"color": OKABE_ITO[4], "width": 2}),
        ("東京都市町村平均", s.tokyo, {"color": OKABE_ITO[1], "width": 2, "dash": "dash"}),
        ("全国市町村平均", s.national, {"color": "#777777", "width": 2, "dash": "dot"}),
        (facts.PUBLISHER, s.home, {"color": ACTUAL_COLOR, "width": 4}),
    )
    for name, values, line in lines:
        fig.add_trace(
            go.Scatter(
                x=years,
                y=list(values),
                mode="lines+markers",
                name=name,
                line=line,
                customdata=hover_data(years, list(values), unit, _decimals(s.indicator)),
                hovertemplate=HOVER,
            )
        )
    if target is not None and years:
        fig.add_hline(
            y=target.target_value,
            line={"color": TARGET_COLOR, "width": 2, "dash": "dashdot"},
            annotation_text=f"計画の目標 {target.target_text()}",
            annotation_position="bottom right",
        )
    fig.update_layout(
        template=TEMPLATE,
        height=height,
        # The source under the title: every chart names it, clear of the legend below.
        title={
            "text": f"{s.indicator}<br><span style='font-size:12px;color:#555555'>{SOURCE}</span>",
            "x": 0,
            "xanchor": "left",
        },
        margin={"t": 80, "l": 60, "r": 20, "b": 140},
        legend={"y": -0.32},
    )
    if years:
        fig.update_xaxes(_year_axis(min(years), max(years), max_ticks=8))
    fig.update_yaxes(title_text=unit or None)
    return fig


def plan_indicator_for(
    context_indicator: str, plan_indicators: tuple[Indicator, ...]
) -> Indicator | None:
    """The plan's indicator of the same name (経常収支比率), whose target goes on the chart."""
    return next((x for x in plan_indicators if x.name == context_indicator), None)


def default_indicator(
    context_indicators: Sequence[str], plan_indicators: tuple[Indicator, ...]
) -> str | None:
    """The ratio whose chart opens the peers part: the first that is also one of the plan's
    indicators (経常収支比率, drawn with its target), else the first; None without any."""
    for name in context_indicators:
        if plan_indicator_for(name, plan_indicators) is not None:
            return name
    return context_indicators[0] if context_indicators else None


def rank_lines(context: PeerContext) -> list[str]:
    """「経常収支比率: 多摩26市中 12位（低いほど良い）、令和3年度 (2021)」 for the latest year."""
    year = context.latest_year
    if year is None:
        return []
    lines = []
    for indicator in context.indicators:
        found = rank(context, indicator, year)
        if found is None:
            continue
        mine = value_text(context.value(context.home, year, indicator), indicator)
        lines.append(
            f"{indicator} {mine}: {context.group.name}中 {found.rank}位"
            f"（{found.count}市のうち、{BETTER_WORDS[found.better] if found.better else '低い順'}）"
        )
    return lines


def group_table(context: PeerContext) -> pd.DataFrame:
    """The group's cities for the latest year, the city marked ◆; one column per indicator."""
    year = context.latest_year
    columns = ["団体コード", "団体名", *context.indicators]
    if year is None:
        return pd.DataFrame(columns=columns)
    rows = []
    for member in context.members:
        mark = (
            "◆ " if context.home is not None and member.entity_id == context.home.entity_id else ""
        )
        row: dict[str, object] = {"団体コード": member.code, "団体名": f"{mark}{member.name}"}
        for indicator in context.indicators:
            row[indicator] = value_text(context.value(member, year, indicator), indicator)
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def table_heading(context: PeerContext) -> str:
    year = context.latest_year
    return (
        f"{context.group.name}の一覧（{fy.label(year)}）" if year else f"{context.group.name}の一覧"
    )


def table_caption(context: PeerContext) -> str:
    year = context.latest_year
    when = fy.label(year) if year else ""
    better = "、".join(
        f"{i}は{BETTER_WORDS[b]}" for i, b in BETTER.items() if i in context.indicators
    )
    return f"{context.group.name}の{when}の値（◆ {facts.PUBLISHER}）。{better}。{SOURCE}"
