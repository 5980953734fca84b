"""Chart figures as pure functions: data in, plotly Figure out; no I/O, no Streamlit.

Every figure uses TEMPLATE (Noto Sans CJK JP, colour-blind-safe colours), so the screen and the
exported images match; pages draw them with `st.plotly_chart(fig, theme=None)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common import formatting
from komae_kpi.common.stages import Stage
from komae_kpi.judgement.indicator_status import Assessment, trend_since_baseline
from komae_kpi.plan.model import Indicator, ReferenceSeries, ReferenceValue
from komae_kpi.views.status_style import STATUS_HEX, assessment_status_text

FONT_FAMILY = "Noto Sans CJK JP, Noto Sans JP, sans-serif"
ACTUAL_COLOR = "#1F3A5F"  # dark navy: the data itself
PATH_COLOR = "#56B4E9"  # sky blue (Okabe-Ito)
TARGET_COLOR = "#009E73"  # bluish green (Okabe-Ito)
PROJECTION_COLOR = "#CC79A7"  # reddish purple (Okabe-Ito)
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font={"family": FONT_FAMILY, "size": 16, "color": "#222222"},
        colorway=OKABE_ITO,
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 70, "r": 30, "t": 80, "b": 70},
        xaxis={"showgrid": False, "linecolor": "#888888", "ticks": "outside"},
        yaxis={"gridcolor": "#E5E5E5", "zeroline": False, "linecolor": "#888888"},
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0},
        hoverlabel={"font": {"family": FONT_FAMILY}},
    )
)


def _year_axis(first: int, last: int, max_ticks: int = 14) -> dict[str, object]:
    """Integer fiscal years, labelled with their short 和暦 ('2025<br>R7'); never 2,023.5."""
    years = list(range(first, last + 1))
    step = -(-len(years) // max_ticks)  # ceiling division
    shown = years[::-1][::step][::-1]  # keep the last year, the one that matters most
    return {
        "tickmode": "array",
        "tickvals": shown,
        "ticktext": [f"{y}<br>{fy.wareki_short(y)}" for y in shown],
        "range": [first - 0.5, last + 0.5],
        "dtick": 1,
    }


# Hover boxes show the text formatting.py writes (customdata), not a d3 format of y: d3 rounds the
# binary float (0.95 -> '0.9'), the pages and outputs round half up on decimals (0.95 -> '1.0').
HOVER = "%{customdata[0]}: %{customdata[1]}<extra>%{fullData.name}</extra>"
# With a mark after the value: customdata is [year, mark, value text]: '令和6年度 (2024): 91.2%（見込）'.
HOVER_MARKED = "%{customdata[0]}: %{customdata[2]}%{customdata[1]}<extra>%{fullData.name}</extra>"


def hover_data(
    years: Sequence[int], values: Sequence[float | None], unit: str, decimals: int = 1
) -> list[list[str]]:
    """customdata for HOVER: [['令和6年度 (2024)', '91.2%'], …]."""
    return [
        [fy.label(y), formatting.with_unit(v, unit, decimals)]
        for y, v in zip(years, values, strict=True)
    ]


# Where a label is drawn in the plot (data units): its x span and its y span.
@dataclass(frozen=True, kw_only=True)
class LabelBox:
    x0: float
    x1: float
    y0: float
    y1: float


def line_points(fig: go.Figure) -> list[tuple[tuple[float, float], ...]]:
    """The (x, y) points of every trace drawn as a line, in order (markers alone are not lines)."""
    out = []
    for t in fig.data:
        if "lines" in (t.mode or "") and t.x is not None and t.y is not None:
            out.append(tuple((float(x), float(y)) for x, y in zip(t.x, t.y, strict=True)))
    return out


def crosses(points: Sequence[tuple[float, float]], box: LabelBox) -> bool:
    """Whether a polyline passes through the box: each segment, cut to the box's x span, has a y
    range that overlaps the box's."""
    for (xa, ya), (xb, yb) in pairwise(points):
        lo, hi = max(min(xa, xb), box.x0), min(max(xa, xb), box.x1)
        if lo > hi:
            continue
        # The segment's y at the span's two ends (both ends of a vertical segment).
        ys = [ya, yb] if xa == xb else [ya + (yb - ya) * (at - xa) / (xb - xa) for at in (lo, hi)]
        if max(ys) >= box.y0 and min(ys) <= box.y1:
            return True
    return False


Side = Literal["above", "below"]


def label_box(x0: float, width: float, y: float, height: float, side: Side) -> LabelBox:
    """A label's box beside the line y = y, starting at x0: a hair off the line it names (which
    it may touch), on the side given."""
    gap = height * 0.05
    if side == "above":
        return LabelBox(x0=x0, x1=x0 + width, y0=y + gap, y1=y + height)
    return LabelBox(x0=x0, x1=x0 + width, y0=y - height, y1=y - gap)


def clear_place(
    lines: Sequence[Sequence[tuple[float, float]]],
    *,
    x_from: float,
    x_to: float,
    width: float,
    y: float,
    height: float,
    preferred: Side,
) -> tuple[float, Side] | None:
    """Where a label of this size beside the line y = y (from x_from to x_to) crosses no line:
    the leftmost start on the preferred side, else on the other; None when no place is clear."""
    other: Side = "below" if preferred == "above" else "above"
    steps = max(int((x_to - width - x_from) / 0.25), 0)
    starts = [x_from + 0.25 * k for k in range(steps + 1)]
    for side in (preferred, other):
        for x0 in starts:
            box = label_box(x0, width, y, height, side)
            if not any(crosses(line, box) for line in lines):
                return x0, side
    return None


# For placing labels before the output decides the chart's width: the narrowest plot area drawn
# (the deck's 7.7-inch chart less its margins, in px). A wider chart only leaves more room.
_ASSUMED_PLOT_WIDTH = 600
_LABEL_FONT = 14


def _target_label(
    fig: go.Figure,
    x: Indicator,
    *,
    line: tuple[float, float],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    height: int,
) -> None:
    """「目標 90.0%以下」 beside the target line (from line[0] to line[1]) where no other line
    crosses it: leftmost, and away from the data first (above a floor, below a ceiling). Where
    every place is crossed (a long history squeezes the plan period), in the right margin at the
    target's height, which no line reaches."""
    text = f"目標 {x.target_text()}"
    width = len(text) * _LABEL_FONT / _ASSUMED_PLOT_WIDTH * (x_range[1] - x_range[0])
    plot_height = max(height - 160, 100)
    label_height = (_LABEL_FONT + 10) / plot_height * (y_range[1] - y_range[0])
    place = clear_place(
        line_points(fig),
        x_from=line[0],
        x_to=line[1],
        width=width,
        y=x.target_value,
        height=label_height,
        preferred="above" if x.comparator == ">=" else "below",
    )
    look = {
        "showarrow": False,
        "text": text,
        "font": {"size": _LABEL_FONT, "color": TARGET_COLOR},
        "bgcolor": "rgba(255,255,255,0.85)",
        "name": "target-label",
    }
    if place is None:
        margin = TEMPLATE.layout.margin
        fig.add_annotation(
            xref="paper", x=1, xanchor="left", xshift=6, y=x.target_value, yanchor="middle", **look
        )
        fig.update_layout(margin={**margin.to_plotly_json(), "r": len(text) * _LABEL_FONT + 16})
        return
    start, side = place
    fig.add_annotation(
        x=start,
        y=x.target_value,
        xanchor="left",
        yanchor="bottom" if side == "above" else "top",
        yshift=2 if side == "above" else -2,
        **look,
    )


def target_bound(
    fig: go.Figure, x: Indicator, values: Sequence[float], *, first: int, last: int
) -> tuple[float, float]:
    """The target as a bound from first to last: a light band on the allowed side and the line
    「目標 160.0億円以下（上限）」. Returns the y range that shows the values and the target."""
    low, high = min([*values, x.target_value]), max([*values, x.target_value])
    pad = max((high - low) * 0.15, abs(x.target_value) * 0.02, 0.5)
    y_low, y_high = low - pad, high + pad
    band = (y_low, x.target_value) if x.comparator == "<=" else (x.target_value, y_high)
    fig.add_shape(
        type="rect",
        x0=first - 0.5,
        x1=last + 0.5,
        y0=band[0],
        y1=band[1],
        fillcolor=TARGET_COLOR,
        opacity=0.08,
        line_width=0,
        layer="below",
    )
    fig.add_trace(
        go.Scatter(
            x=[first - 0.5, last + 0.5],
            y=[x.target_value, x.target_value],
            mode="lines",
            name=f"目標 {x.target_text()}（{x.bound_word}）",
            line={"color": TARGET_COLOR, "width": 2, "dash": "longdashdot"},
            hoverinfo="skip",
        )
    )
    return y_low, y_high


def actuals_trace(
    shown: Mapping[int, float], stages: Mapping[int, Stage] | None, unit: str
) -> go.Scatter:
    """The actuals line of every chart of an indicator (fiscal year -> value): a 見込 is an open
    marker, and its hover text says so (never the marker alone)."""
    marks = [formatting.stage_mark((stages or {}).get(y)) for y in shown]
    return go.Scatter(
        x=list(shown),
        y=list(shown.values()),
        mode="lines+markers",
        name="実績値",
        line={"color": ACTUAL_COLOR, "width": 3},
        marker={
            "size": 9,
            "symbol": ["circle-open" if m else "circle" for m in marks],
            "line": {"width": 2, "color": ACTUAL_COLOR},
        },
        customdata=[
            [label, m, text]
            for (label, text), m in zip(
                hover_data(list(shown), list(shown.values()), unit), marks, strict=True
            )
        ],
        hovertemplate=HOVER_MARKED,
    )


def indicator_figure(
    indicator: Indicator,
    actuals: Mapping[int, float],
    assessment: Assessment,
    *,
    stages: Mapping[int, Stage] | None = None,
    since: int | None = None,
    height: int = 460,
    compact: bool = False,
) -> go.Figure:
    """An indicator from its history through the baseline to the target.

    Shows the actuals (up to the assessed year), the plan path (dashed), the target with its
    comparator as a bound and a shaded band on the allowed side, the projection (dotted) and the
    status. With no actual after the baseline it still shows history, baseline, path and target,
    with a note saying the actuals are not yet entered. stages: each actual's stage (fiscal year
    -> stage); a 見込 is drawn as an open marker and its hover text says （見込）.
    """
    x = indicator
    year = assessment.fiscal_year
    shown = {
        y: v for y, v in sorted(actuals.items()) if y <= year and (since is None or y >= since)
    }
    first = min([x.baseline_fiscal_year, *shown])
    last = x.target_fiscal_year
    unit = x.unit
    fig = go.Figure()

    # The allowed side of the target, across the plan's years, as a light band.
    points, trend = trend_since_baseline(x, actuals, year)
    values = [*shown.values(), x.baseline_value]
    if trend is not None:
        values.append(trend.at(last))
    y_low, y_high = target_bound(fig, x, values, first=x.baseline_fiscal_year, last=last)

    # The plan path: a straight line to the target (improvement) or the bound itself (guardrail).
    if x.kind == "improvement":
        fig.add_trace(
            go.Scatter(
                x=[x.baseline_fiscal_year, last],
                y=[x.baseline_value, x.target_value],
                mode="lines",
                name="計画線（現状値から目標値へ）",
                line={"color": PATH_COLOR, "width": 3, "dash": "dash"},
                customdata=hover_data(
                    [x.baseline_fiscal_year, last], [x.baseline_value, x.target_value], unit
                ),
                hovertemplate=HOVER,
            )
        )

    # Actuals: the published history and every entered year up to the one assessed.
    fig.add_trace(actuals_trace(shown, stages, unit))
    fig.add_trace(
        go.Scatter(
            x=[x.baseline_fiscal_year],
            y=[x.baseline_value],
            mode="markers+text",
            name="現状値（計画）",
            marker={
                "size": 14,
                "symbol": "diamond",
                "color": ACTUAL_COLOR,
                "line": {"color": "white", "width": 2},
            },
            text=["現状値"],
            textposition="top center",
            showlegend=False,
            customdata=hover_data([x.baseline_fiscal_year], [x.baseline_value], unit),
            hovertemplate=HOVER,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[last],
            y=[x.target_value],
            mode="markers",
            name="目標値",
            marker={"size": 16, "symbol": "star", "color": TARGET_COLOR},
            showlegend=False,
            customdata=hover_data([last], [x.target_value], unit),
            hovertemplate=HOVER,
        )
    )

    if trend is not None and assessment.latest_fiscal_year is not None:
        start = assessment.latest_fiscal_year
        fig.add_trace(
            go.Scatter(
                x=[start, last],
                y=[trend.at(start), trend.at(last)],
                mode="lines",
                name=f"見込み（{fy.wareki(x.baseline_fiscal_year)}以降の傾向）",
                line={"color": PROJECTION_COLOR, "width": 3, "dash": "dot"},
                customdata=hover_data([start, last], [trend.at(start), trend.at(last)], unit),
                hovertemplate=HOVER,
            )
        )
    if len(points) < 2:
        fig.add_annotation(
            x=(x.baseline_fiscal_year + last) / 2,
            y=(y_low + y_high) / 2,
            showarrow=False,
            text=f"{fy.wareki(x.baseline_fiscal_year + 1)}以降の実績は未入力です",
            font={"size": 18, "color": "#555555"},
            bgcolor="rgba(255,255,255,0.85)",
        )

    # The label last, once every line it must stay clear of is drawn.
    _target_label(
        fig,
        x,
        line=(x.baseline_fiscal_year - 0.5, last + 0.5),
        x_range=(first - 0.5, last + 0.5),
        y_range=(y_low, y_high),
        height=height,
    )

    status = assessment_status_text(assessment)
    title = f"指標{x.indicator_no} {x.name}"
    fig.update_layout(
        template=TEMPLATE,
        height=height,
        title={
            "text": f"{title}<br><span style='font-size:0.8em;color:{STATUS_HEX[assessment.status]}'>"
            f"{status}（{fy.label(year)}）</span>",
            "x": 0,
            "xanchor": "left",
        },
        xaxis=_year_axis(first, last),
        yaxis={"title": {"text": unit}, "range": [y_low, y_high], "tickformat": ",.1f"},
        showlegend=not compact,
    )
    return fig


def reference_figure(
    series: Sequence[ReferenceSeries], values: Sequence[ReferenceValue], *, height: int = 420
) -> go.Figure:
    """The finance section's reference series (財政力指数, 実質公債費比率, 将来負担比率), side by side."""
    fig = make_subplots(
        rows=1, cols=len(series), subplot_titles=[s.name for s in series], horizontal_spacing=0.08
    )
    years = [v.fiscal_year for v in values] or [2023]
    for col, s in enumerate(series, start=1):
        points = sorted((v.fiscal_year, v.value) for v in values if v.series_code == s.series_code)
        fig.add_trace(
            go.Scatter(
                x=[p[0] for p in points],
                y=[p[1] for p in points],
                mode="lines+markers",
                name=s.name,
                line={"color": OKABE_ITO[col - 1], "width": 3},
                customdata=hover_data(
                    [p[0] for p in points], [p[1] for p in points], s.unit, s.decimals
                ),
                hovertemplate=HOVER,
            ),
            row=1,
            col=col,
        )
        fig.update_xaxes(_year_axis(min(years), max(years), max_ticks=5), row=1, col=col)
        fig.update_yaxes(title_text=s.unit or None, tickformat=f",.{s.decimals}f", row=1, col=col)
    fig.update_layout(
        template=TEMPLATE,
        height=height,
        showlegend=False,
        title={
            "text": "参考：" + "・".join(s.name.split("（")[0] for s in series),
            "x": 0,
            "xanchor": "left",
        },
        margin={"t": 100, "l": 60, "r": 20, "b": 70},
    )
    return fig
