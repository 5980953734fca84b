"""Output benchmark: the progress report (PDF, HTML) and the meeting deck, beside their floors.

Measured side by side in one run, interleaved, on a demo store (8 charts, all 62 items):
- floor "print": Chromium printing a one-page HTML to PDF (the browser start and print alone);
- floor "chart": starting kaleido and rendering one chart;
- "charts, one renderer": the 8 indicator charts through one kaleido browser (what the outputs do);
- "charts, a renderer each": the same 8 charts, each through plotly's to_image with no server
  (kaleido starts a browser per call), to show what one renderer per run saves;
- the PDF report (two prints: the contents get their page numbers from the first), the HTML
  report and the deck, each generated from scratch as the command line does.
The issue's goal is under 10 s for the PDF. This reports; it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kaleido  # type: ignore[import-untyped]  # noqa: E402

from komae_kpi.judgement.progress import Snapshot, load_snapshot  # noqa: E402
from komae_kpi.outputs.chart_images import chart_renderer, page_generator  # noqa: E402
from komae_kpi.outputs.deck import build_meeting_deck  # noqa: E402
from komae_kpi.outputs.report import build_report  # noqa: E402
from komae_kpi.outputs.report.pdf import build_pdf_report, print_pdf  # noqa: E402
from komae_kpi.store.demo import write_demo_store  # noqa: E402
from komae_kpi.views import charts, indicator_views  # noqa: E402

GOAL_PDF_SECONDS = 10.0
YEAR = 2025


def _figures(snapshot: Snapshot) -> list[object]:
    return [
        charts.indicator_figure(
            snapshot.plan.indicator(n),
            snapshot.actuals(n),
            indicator_views.assessment_for(snapshot, n, YEAR),
            height=480,
        )
        for n in range(1, 9)
    ]


def targets(db: Path) -> dict[str, Callable[[], object]]:
    def floor_print() -> object:
        return print_pdf('<!DOCTYPE html><html lang="ja"><body><h1>進捗状況報告</h1></body></html>')

    def floor_chart() -> object:
        snapshot = load_snapshot(db)
        with chart_renderer() as r:
            return r.image(_figures(snapshot)[0], width=900, height=480)

    def charts_one_renderer() -> object:
        snapshot = load_snapshot(db)
        with chart_renderer() as r:
            return [r.image(f, width=900, height=480) for f in _figures(snapshot)]  # type: ignore[arg-type]

    def charts_each_own() -> object:
        # The same page and browser settings as the renderer, but a browser started per chart
        # (kaleido's one-shot mode): the cost the one-renderer design avoids.
        snapshot = load_snapshot(db)
        kopts = {"page_generator": page_generator(), "enable_extensions": False}
        opts = {"format": "png", "width": 900, "height": 480, "scale": 2}
        return [kaleido.calc_fig_sync(f, opts=opts, kopts=kopts) for f in _figures(snapshot)]

    def pdf_report() -> object:
        snapshot = load_snapshot(db)
        with chart_renderer() as r:
            return build_pdf_report(snapshot, YEAR, r).pdf

    def html_report() -> object:
        snapshot = load_snapshot(db)
        with chart_renderer() as r:
            return build_report(snapshot, YEAR, r.image).html

    def deck() -> object:
        snapshot = load_snapshot(db)
        with chart_renderer() as r:
            return build_meeting_deck(snapshot, YEAR, r)

    return {
        "floor: Chromium prints one page": floor_print,
        "floor: kaleido start + 1 chart": floor_chart,
        "8 charts, one renderer": charts_one_renderer,
        "8 charts, a renderer each": charts_each_own,
        "report PDF": pdf_report,
        "report HTML": html_report,
        "meeting deck": deck,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.duckdb"
        write_demo_store(db)
        runs = targets(db)
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.rounds):
            for name, run in runs.items():  # interleaved: drift hits every target alike
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(t) for name, t in times.items()}
    print_floor = median["floor: Chromium prints one page"]
    chart_floor = median["floor: kaleido start + 1 chart"]
    lines = [
        "# bench/: output generation",
        "",
        f"{dt.date.today().isoformat()}, {platform.machine()}, Python {platform.python_version()}, "
        f"{args.rounds} rounds, medians. Written by `bench/report_build.py`.",
        "",
        "| target | median (s) | runs (s) | × print floor | × chart floor |",
        "|---|---:|---|---:|---:|",
    ]
    for name, t in times.items():
        lines.append(
            f"| {name} | {median[name]:.2f} | {', '.join(f'{x:.2f}' for x in t)} | "
            f"{median[name] / print_floor:.2f} | {median[name] / chart_floor:.2f} |"
        )
    one, each = median["8 charts, one renderer"], median["8 charts, a renderer each"]
    pdf = median["report PDF"]
    lines += [
        "",
        f"- One renderer for the run: 8 charts in {one:.2f} s, against {each:.2f} s with a browser "
        f"per chart ({each / one:.1f}× as long).",
        f"- The PDF report takes {pdf:.2f} s (goal: under {GOAL_PDF_SECONDS:g} s): "
        f"{'met' if pdf < GOAL_PDF_SECONDS else 'NOT met'}. It is {pdf / print_floor:.1f}× one bare "
        "print; it prints twice (a first print on blank charts, for the contents' page numbers, "
        "runs while the charts render).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        args.write.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
