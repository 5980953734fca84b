"""Small visual things: status labels never break inside their words; the 目標 label is not
crossed by any line of the chart."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from komae_kpi.judgement.progress import Snapshot, load_snapshot
from komae_kpi.outputs.report import build_report
from komae_kpi.store.demo import write_demo_store
from komae_kpi.store.entries import save_indicator_value
from komae_kpi.views import html_blocks
from komae_kpi.views.charts import Side, clear_place, indicator_figure
from komae_kpi.views.indicator_views import assessment_for
from komae_kpi.views.status_style import STATUS_LABEL_CLASS, is_status_text

ROOT = Path(__file__).resolve().parent.parent
NOWRAP = re.compile(r"\.kpi-status\s*\{[^}]*white-space:\s*nowrap")


# --- status labels ------------------------------------------------------------------------------


def test_status_texts_are_told_from_figures() -> None:
    for text in ("○ 順調", "－ 未報告", "△ 注意（暫定）", "◇ 見直し", "□ 未着手", "× 遅れ"):
        assert is_status_text(text), text
    others: tuple[object, ...] = ("△1.2", "－", "△0.4ポイント", "91.2%", "", "○", None, 3.0)
    for other in others:
        assert not is_status_text(other), other


def test_the_stylesheets_keep_status_labels_on_one_line() -> None:
    for css in ("komae_kpi_ui/style.css", "komae_kpi/outputs/report/report.css"):
        assert NOWRAP.search((ROOT / css).read_text("utf-8")), css


def test_status_cells_and_badges_carry_the_class() -> None:
    frame = pd.DataFrame({"取組項目": ["1 窓口改善"], "進捗状況": ["－ 未報告"], "実績値": ["1.0"]})
    table = html_blocks.table(frame)
    assert f'<td class="{STATUS_LABEL_CLASS}">－ 未報告</td>' in table
    assert f'<td class="{STATUS_LABEL_CLASS}">1 窓口改善' not in table
    assert STATUS_LABEL_CLASS in html_blocks.badge("○ 順調", "green").split(">")[0]


def test_the_reports_status_cells_carry_the_class(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    write_demo_store(db)
    page = build_report(load_snapshot(db), 2025, lambda f, width, height: b"").html
    cells = re.findall(r"<t[dh][^>]*>([◎○△×□◇－] [^<]+)</t[dh]>", page)
    assert cells, "the report has status cells"
    for cell in re.finditer(r"<t([dh])([^>]*)>([◎○△×□◇－] [^<]+)</t[dh]>", page):
        assert f'class="{STATUS_LABEL_CLASS}"' in cell.group(2), cell.group(0)


# --- the 目標 label ------------------------------------------------------------------------------

# The label's extent, estimated as a reader would see it: 14 px characters on a plot about
# 600 px wide (the deck's, the narrowest) and (height - 160) px high.
PLOT_WIDTH_PX = 600
FONT_PX = 14


def _label_box(fig: go.Figure) -> tuple[float, float, float, float, str] | None:
    """The label's box in data units; None when it is in the right margin, beyond every line."""
    label = next(a for a in fig.layout.annotations if a.text.startswith("目標 "))
    if label.xref == "paper":
        assert label.x >= 1 and label.xanchor == "left"
        assert fig.layout.margin.r >= len(label.text) * FONT_PX  # the margin holds it
        return None
    x_low, x_high = fig.layout.xaxis.range
    y_low, y_high = fig.layout.yaxis.range
    width = len(label.text) * FONT_PX / PLOT_WIDTH_PX * (x_high - x_low)
    height = (FONT_PX + 8) / (fig.layout.height - 160) * (y_high - y_low)
    assert label.xanchor == "left" and label.yanchor in ("bottom", "top")
    if label.yanchor == "bottom":
        return label.x, label.x + width, label.y, label.y + height, label.text
    return label.x, label.x + width, label.y - height, label.y, label.text


def _lines_through(fig: go.Figure, box: tuple[float, float, float, float, str] | None) -> list[str]:
    if box is None:
        return []
    x0, x1, y0, y1, _ = box
    margin = (y1 - y0) * 0.1  # the line the label names touches its edge, by design
    crossing = []
    for t in fig.data:
        if "lines" not in (t.mode or "") or t.name.startswith("目標 "):
            continue
        xs, ys = np.array(t.x, dtype=float), np.array(t.y, dtype=float)
        for at in np.linspace(x0, x1, 25):
            if xs.min() <= at <= xs.max():
                y = float(np.interp(at, xs, ys))
                if y0 + margin < y < y1 - margin:
                    crossing.append(f"{t.name} at x={at:.2f}: y={y:.2f}")
    return crossing


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    db = tmp_path_factory.mktemp("labels") / "demo.duckdb"
    write_demo_store(db)
    return load_snapshot(db)


@pytest.mark.parametrize("no", range(1, 9))
def test_no_line_crosses_the_target_label(demo: Snapshot, no: int) -> None:
    for compact in (False, True):
        fig = indicator_figure(
            demo.plan.indicator(no),
            demo.actuals(no),
            assessment_for(demo, no, 2025),
            stages=demo.stages(no),
            compact=compact,
            height=360 if compact else 460,
        )
        box = _label_box(fig)
        assert _lines_through(fig, box) == [], box


def test_the_projection_no_longer_crosses_the_label(store: Path) -> None:
    # 経常収支比率 (at most 90.0%) rising toward the bound: the projection reaches 90% in FY2029,
    # where the label used to sit (left of the target's star, below the line).
    save_indicator_value(store, 3, 2024, 88.0)
    save_indicator_value(store, 3, 2025, 88.6)
    snapshot = load_snapshot(store)
    fig = indicator_figure(
        snapshot.plan.indicator(3), snapshot.actuals(3), assessment_for(snapshot, 3, 2025)
    )
    box = _label_box(fig)
    assert _lines_through(fig, box) == []
    assert not any(t.text for t in fig.data if t.name == "目標値")  # the star carries no text


def test_the_label_takes_the_first_place_no_line_crosses() -> None:
    def place(
        lines: Sequence[Sequence[tuple[float, float]]], preferred: Side
    ) -> tuple[float, Side] | None:
        return clear_place(lines, x_from=0, x_to=10, width=3, y=10, height=1, preferred=preferred)

    assert place([], "above") == (0, "above")
    just_above = ((0.0, 10.5), (4.0, 10.5))  # a line just above y = 10, from x = 0 to 4
    assert place([just_above], "above") == (4.25, "above")  # right of it, on the preferred side
    everywhere_above = ((0.0, 10.5), (10.0, 10.5))
    assert place([everywhere_above], "above") == (0, "below")
    far = ((0.0, 5.0), (10.0, 5.0))
    assert place([far], "below") == (0, "below")
    # A line falling through the label's place crosses it between its points: the label starts
    # where the line has gone below it.
    falling = ((0.0, 12.0), (3.0, 8.0))
    found = place([falling], "above")
    assert found is not None and found[1] == "above" and 1.25 < found[0] <= 1.5
    both = [everywhere_above, ((0.0, 9.5), (10.0, 9.5))]
    assert place(both, "below") is None  # nowhere clear
