"""Chart figures are pure functions: check what they draw, not how it looks."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go

from komae_kpi.judgement.progress import Snapshot, load_snapshot
from komae_kpi.store.entries import save_indicator_value
from komae_kpi.views.charts import FONT_FAMILY, indicator_figure, reference_figure
from komae_kpi.views.indicator_views import assessment_for


def figure_for(
    snapshot: Snapshot, no: int, year: int, *, since: int | None = None, compact: bool = False
) -> go.Figure:
    return indicator_figure(
        snapshot.plan.indicator(no),
        snapshot.actuals(no),
        assessment_for(snapshot, no, year),
        since=since,
        compact=compact,
    )


def trace(fig: go.Figure, name_start: str) -> go.Scatter:
    return next(t for t in fig.data if t.name and t.name.startswith(name_start))


def test_an_improvement_chart_has_actuals_path_target_and_projection(store: Path) -> None:
    save_indicator_value(store, 5, 2024, 166.5)
    save_indicator_value(store, 5, 2025, 165.0)
    fig = figure_for(load_snapshot(store), 5, 2025)
    actual = trace(fig, "実績値")
    assert list(actual.x) == [2023, 2024, 2025] and list(actual.y) == [167.7, 166.5, 165.0]
    path = trace(fig, "計画線")
    assert (
        path.line.dash == "dash" and list(path.x) == [2023, 2029] and list(path.y) == [167.7, 160.0]
    )
    projection = trace(fig, "見込み")
    assert projection.line.dash == "dot" and list(projection.x) == [2025, 2029]
    target = trace(fig, "目標 160.0億円以下")
    assert set(target.y) == {160.0}
    band = fig.layout.shapes[0]
    assert band.y1 == 160.0 and band.y0 < 160.0  # 以下: the band lies under the target
    assert fig.layout.xaxis.dtick == 1 and 2025 in fig.layout.xaxis.tickvals
    assert "R7" in "".join(fig.layout.xaxis.ticktext)
    assert "指標5 市債残高" in fig.layout.title.text and "令和7年度 (2025)" in fig.layout.title.text


def test_a_guardrail_chart_shows_the_bound_and_no_path(store: Path) -> None:
    fig = figure_for(load_snapshot(store), 4, 2023)
    names = [t.name for t in fig.data]
    assert not any(n.startswith("計画線") for n in names)
    assert any("（下限）" in n for n in names)
    band = fig.layout.shapes[0]
    assert band.y0 == 20.0 and band.y1 > 20.0  # 以上: the band lies over the floor


def test_with_no_actuals_yet_the_chart_still_shows_history_baseline_path_and_target(
    store: Path,
) -> None:
    fig = figure_for(load_snapshot(store), 1, 2025)
    assert list(trace(fig, "実績値").x) == [2023]
    assert trace(fig, "計画線") and trace(fig, "目標")
    assert any("令和6年度以降の実績は未入力です" in a.text for a in fig.layout.annotations)


def test_the_ratio_chart_carries_its_published_history(store: Path) -> None:
    fig = figure_for(load_snapshot(store), 3, 2023)
    actual = trace(fig, "実績値")
    assert actual.x[0] == 2005 and actual.y[0] == 100.2
    compact = figure_for(load_snapshot(store), 3, 2023, since=2019, compact=True)
    assert trace(compact, "実績値").x[0] == 2019
    assert compact.layout.showlegend is False


def test_one_template_with_a_japanese_font(store: Path) -> None:
    snapshot = load_snapshot(store)
    figs = [
        figure_for(snapshot, 3, 2023),
        reference_figure(snapshot.reference_series, snapshot.reference_values),
    ]
    for fig in figs:
        assert fig.layout.template.layout.font.family == FONT_FAMILY
        assert "Noto Sans CJK JP" in FONT_FAMILY


def test_reference_figure_has_a_panel_per_series(store: Path) -> None:
    snapshot = load_snapshot(store)
    fig = reference_figure(snapshot.reference_series, snapshot.reference_values)
    assert [t.name for t in fig.data] == [
        "財政力指数（3か年平均）",
        "実質公債費比率",
        "将来負担比率",
    ]
    assert list(fig.data[0].x)[:2] == [2005, 2006]
