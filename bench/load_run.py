"""Load run: 8 browser sessions over every reading page while imports run, beside the floors.

    .venv/bin/python bench/load_run.py [--sessions 8] [--rounds 3] [--write bench/LOAD.md]

One dashboard serves a demo store while a second process imports into that same store, one
`python -m komae_kpi import` after another (two files of actuals that alternate, so that every
import writes), from before the sessions start until the last one ends. Meanwhile each of the 8
browser sessions (contexts of one headless Chromium, run concurrently) loads every reading page and
the framework's floor pages (bench/floors/), in its own shuffled order each round, so the floors
carry the same load as the pages. Each load is timed as in bench/page_load.py: from navigation
start to the end of the page's last script run.

Reported: p50 and p95 per page and per floor, each page's p95 against the p95 of its floor (the
Plotly floor for pages that draw a Plotly chart, the bare one otherwise, served at the same kind
of path; goal: at most 1.5x), the errors (an exception box, a page that never settled, a Japanese
store error on the page), and the imports done and failed. This reports; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.page_load import IDLE, IDLE_WATCH, floor_for  # noqa: E402
from komae_kpi.store.demo import write_demo_store  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PAGES, streamlit_server  # noqa: E402

GOAL = 1.5
READING_PAGES = ("/", "/indicators", "/finance", "/items", "/departments", "/reports")
# Two files of actuals for the latest finished year that alternate, so each import changes values.
IMPORT_FILES = (
    "指標,年度,実績値\n1,2025,72.9\n3,2025,88.9\n",
    "指標,年度,実績値\n1,2025,73.1\n3,2025,89.1\n",
)
STORE_ERROR_TEXT = "データベースを"  # the page's Japanese message when the store could not be read


@dataclass
class Imports:
    done: int = 0
    failed: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def run_imports(store: Path, folder: Path, stop: threading.Event, imports: Imports) -> None:
    """Import the two files in turn, one process after another, until told to stop."""
    files = []
    for i, text in enumerate(IMPORT_FILES):
        path = folder / f"actuals-{i}.csv"
        path.write_text(text, encoding="utf-8")
        files.append(path)
    n = 0
    while not stop.is_set():
        start = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "komae_kpi", "--db", str(store), "import", str(files[n % 2])],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        imports.seconds.append(time.monotonic() - start)
        if done.returncode == 0:
            imports.done += 1
        else:
            imports.failed.append((done.stderr or done.stdout).strip()[-300:])
        n += 1


async def load_once(context: Any, url: str) -> tuple[float | None, str | None, bool]:
    """(milliseconds to the last script run's end or None, the error if any, draws Plotly)."""
    page = await context.new_page()
    try:
        await page.goto(url)
        await page.wait_for_selector(IDLE, timeout=60_000)
        last = -1
        while True:  # quiet: no new script run started for a while
            await page.wait_for_timeout(700)
            runs = await page.evaluate("() => window.__idle.length")
            if await page.locator(IDLE).count() == 1 and runs == last:
                break
            last = runs
        elapsed = float(await page.evaluate("() => window.__idle[window.__idle.length - 1]"))
        plotly = await page.locator(".js-plotly-plot").count() > 0
        if await page.locator('[data-testid="stException"]').count():
            return elapsed, "例外の表示", plotly
        if STORE_ERROR_TEXT in await page.locator('[data-testid="stAlert"]').all_inner_texts():
            return elapsed, "ストアのエラー表示", plotly
        return elapsed, None, plotly
    except Exception as exc:  # a timeout or a crashed page: counted, the run goes on
        return None, type(exc).__name__, False
    finally:
        await page.close()


async def sessions(targets: dict[str, str], n_sessions: int, rounds: int) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    times: dict[str, list[float]] = {name: [] for name in targets}
    errors: list[tuple[str, str]] = []
    plotly: dict[str, bool] = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        contexts = []
        for _ in range(n_sessions):
            context = await browser.new_context(viewport={"width": 1920, "height": 1080})
            await context.add_init_script(IDLE_WATCH)
            contexts.append(context)
        for name, url in targets.items():  # warm the cache and the servers, one session
            _, _, plotly[name] = await load_once(contexts[0], url)

        async def session(context: Any, seed: int) -> None:
            order = list(targets)
            rng = random.Random(seed)
            for _ in range(rounds):
                rng.shuffle(order)
                for name in order:
                    elapsed, error, _ = await load_once(context, targets[name])
                    if error is not None:
                        errors.append((name, error))
                    if elapsed is not None:
                        times[name].append(elapsed)

        start = time.monotonic()
        await asyncio.gather(*(session(c, i) for i, c in enumerate(contexts)))
        wall = time.monotonic() - start
        await browser.close()
    return {"times": times, "errors": errors, "plotly": plotly, "wall": wall}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write", type=Path, help="also write the results as Markdown here")
    args = parser.parse_args()
    imports = Imports()
    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp) / "demo.duckdb"
        write_demo_store(demo)
        stop = threading.Event()
        with (
            streamlit_server(demo, script=ROOT / "bench" / "floors" / "bare.py") as bare,
            streamlit_server(demo, script=ROOT / "bench" / "floors" / "plotly_chart.py") as chart,
            streamlit_server(demo) as app,
        ):
            targets = {
                "floor: bare page at /": bare + "/",
                "floor: bare page at /page": bare + "/page",
                "floor: one Plotly chart at /": chart + "/",
                "floor: one Plotly chart at /page": chart + "/page",
            }
            targets |= {f"{path} {PAGES[path]}": f"{app}{path}?fy=2025" for path in READING_PAGES}
            # /finance draws one part at a time: its default above, and its heaviest part.
            targets[f"/finance {PAGES['/finance']} (?view=outlook)"] = (
                f"{app}/finance?fy=2025&view=outlook"
            )
            importer = threading.Thread(
                target=run_imports, args=(demo, Path(tmp), stop, imports), daemon=True
            )
            importer.start()
            try:
                result = asyncio.run(sessions(targets, args.sessions, args.rounds))
            finally:
                stop.set()
                importer.join()

    times, errors, plotly = result["times"], result["errors"], result["plotly"]
    p50 = {name: percentile(v, 0.5) for name, v in times.items()}
    p95 = {name: percentile(v, 0.95) for name, v in times.items()}
    lines = [
        f"Measured {dt.datetime.now():%Y-%m-%d %H:%M} on {platform.node()} ({platform.machine()}, "
        f"Python {platform.python_version()}): {args.sessions} browser sessions at once, "
        f"{args.rounds} rounds each over the reading pages and the floors in shuffled order "
        f"({result['wall']:.0f} s), while imports ran into the same store.",
        "",
        f"| target | loads | p50 ms | p95 ms | compared with | p50 ratio | p95 ratio | goal p95 ≤ {GOAL} |",
        "|---|---:|---:|---:|---|---:|---:|---|",
    ]
    for name in targets:
        floor = None if name.startswith("floor") else floor_for(name, plotly[name])
        r50 = p50[name] / p50[floor] if floor else None
        r95 = p95[name] / p95[floor] if floor else None
        verdict = "" if r95 is None else ("met" if r95 <= GOAL else "NOT met")
        lines.append(
            f"| {name} | {len(times[name])} | {p50[name]:.0f} | {p95[name]:.0f} | {floor or '–'} | "
            f"{'' if r50 is None else f'{r50:.2f}'} | {'' if r95 is None else f'{r95:.2f}'} "
            f"| {verdict} |"
        )
    lines += [
        "",
        f"Errors: {len(errors)}"
        + ("" if not errors else " — " + "; ".join(f"{n}: {e}" for n, e in errors[:20])),
        "",
        f"Imports: {imports.done} done, {len(imports.failed)} failed"
        + (f", {statistics.median(imports.seconds):.1f} s each (median)" if imports.seconds else "")
        + ("" if not imports.failed else " — " + " / ".join(imports.failed[:5])),
    ]
    report = "\n".join(lines)
    print(report)
    if args.write:
        args.write.write_text(
            "# Load run\n\nCommand: `bash scripts/bench.sh` (which runs `.venv/bin/python "
            f"bench/load_run.py --sessions {args.sessions} --rounds {args.rounds} --write "
            f"bench/LOAD.md`)\n\n{report}\n\n"
            "Each figure is milliseconds from navigation start to the end of the page's last "
            "script run, timed inside the page, as in RESULTS.md. What these figures led to: "
            "bench/README.md.\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
