"""Page-load benchmark: every dashboard page beside two floors, in one run, in headless Chromium.

    .venv/bin/python bench/page_load.py [--rounds 7] [--write bench/RESULTS.md]

Each load is timed inside the page: from navigation start (performance.now() == 0) to the end of
the last script run (the moment stApp's data-test-script-state last turns "notRunning"). The floors
are served the same way in the same run: a bare one-line page, and a bare page with one Plotly
chart, each at "/" and at a sub-path, since Streamlit serves any page at a sub-path about 60 ms
slower than at "/"; the overview ("/") is compared with the floors at "/", the other pages with
those at "/page". The browser cache is warm (every URL is loaded once before measuring) and the rounds are
interleaved, so drift on the machine hits every target alike. Pages are compared with the Plotly
floor when they draw a Plotly chart, with the bare floor otherwise; the goal is at most 1.2x.

The pages are measured twice in the same rounds: as today, without sign-in, and on a second
server with sign-in configured ([auth] pointing at an OpenID Connect provider on loopback, the
one the browser tests use), in a browser context signed in as an admin through the provider's
real authorization form. Both are compared with the same floors, so their ratios sit side by side.
This reports; it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.peer_data import import_shared, import_synthetic  # noqa: E402
from komae_kpi.store.demo import write_demo_store  # noqa: E402
from komae_kpi.store.user_admin import save_user  # noqa: E402
from tests.browser.conftest import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGES,
    oidc_provider_server,
    settle,
    sign_in_through,
    streamlit_server,
)

GOAL = 1.2
OUTLOOK = " (?view=outlook: 財政見通し)"
PEERS_7 = " (?view=peers, peers: 7 shared years)"
PEERS_30 = " (?view=peers, peers: 30 synthetic years)"
IDLE_WATCH = """
window.__idle = [];
window.__drawnAt = null;
const seen = (el) => el && el.getAttribute && el.getAttribute('data-testid') === 'stApp'
  && el.getAttribute('data-test-script-state') === 'notRunning';
new MutationObserver((mutations) => {
  for (const m of mutations) {
    if (seen(m.target)) window.__idle.push(performance.now());
    for (const n of m.addedNodes || []) {
      if (seen(n)) window.__idle.push(performance.now());
    }
  }
}).observe(document, {subtree: true, attributes: true, childList: true,
                      attributeFilter: ['data-test-script-state']});
// Every animation frame: have all Plotly charts been drawn (an svg.main-svg in each)?
(function watchCharts() {
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  const drawn = plots.length > 0 && plots.every((p) => p.querySelector('svg.main-svg'));
  if (!drawn) window.__drawnAt = null;
  else if (window.__drawnAt === null) window.__drawnAt = performance.now();
  requestAnimationFrame(watchCharts);
})();
"""
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
ADMIN = "kanri@city.komae.lg.jp"
SIGNED_IN = " (signed in)"


def floor_for(name: str, draws_plotly: bool) -> str:
    """The floor a page is compared with: the Plotly one when it draws a Plotly chart, the bare
    one otherwise, served at "/" for the overview and at "/page" for the others."""
    kind = "one Plotly chart" if draws_plotly else "bare page"
    where = "/" if name.startswith("/ ") else "/page"
    return f"floor: {kind} at {where}"


def load_once(context: Any, url: str, *, must_show: str | None = None) -> tuple[float, float, bool]:
    """Milliseconds from navigation start to the last script run's end, and to the moment the
    page was also fully drawn (Plotly charts included); whether it draws Plotly charts.
    must_show: a selector the page must contain (that it is signed in, not the sign-in screen)."""
    page = context.new_page()
    try:
        page.goto(url)
        page.wait_for_selector(IDLE, timeout=60_000)
        # Quiet for a while: no new script run started (reruns after query-param writes count).
        last = -1
        while True:
            page.wait_for_timeout(700)
            runs = page.evaluate("() => window.__idle.length")
            idle = page.locator(IDLE).count() == 1
            if idle and runs == last:
                break
            last = runs
        elapsed = float(page.evaluate("() => window.__idle[window.__idle.length - 1]"))
        drawn = float(page.evaluate("() => window.__drawnAt || 0"))
        plotly = page.locator(".js-plotly-plot").count() > 0
        if page.locator('[data-testid="stException"]').count():
            raise RuntimeError(f"exception box on {url}")
        if must_show is not None and page.locator(must_show).count() == 0:
            raise RuntimeError(f"{must_show} missing on {url}")
        return elapsed, max(elapsed, drawn), plotly
    finally:
        page.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--write", type=Path, help="also write the results as Markdown here")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="TEXT",
        help="measure only the targets whose name contains TEXT (again for more), beside the "
        "floors, to look into a few rows quickly; the summary tables need a whole run",
    )
    args = parser.parse_args()
    if args.only and args.write:
        parser.error("--write needs a whole run (no --only)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp) / "demo.duckdb"
        write_demo_store(demo)
        demo_signed = Path(tmp) / "signed" / "demo.duckdb"
        demo_signed.parent.mkdir()
        write_demo_store(demo_signed)
        save_user(demo_signed, email=ADMIN, role="admin", name="管理 花子")
        # /finance with the ministry's 主要財政指標一覧: the seven shared years, and 30 synthetic
        # years of every municipality.
        peers7 = Path(tmp) / "peers7" / "demo.duckdb"
        peers7.parent.mkdir()
        write_demo_store(peers7)
        import_shared(peers7)
        peers30 = Path(tmp) / "peers30" / "demo.duckdb"
        peers30.parent.mkdir()
        write_demo_store(peers30)
        import_synthetic(peers30)
        with (
            streamlit_server(demo, script=ROOT / "bench" / "floors" / "bare.py") as bare,
            streamlit_server(
                demo, script=ROOT / "bench" / "floors" / "plotly_chart.py"
            ) as plotly_url,
            streamlit_server(demo) as app,
            oidc_provider_server() as provider,
            streamlit_server(demo_signed, oidc=provider) as signed_app,
            streamlit_server(peers7) as peers7_app,
            streamlit_server(peers30) as peers30_app,
            sync_playwright() as p,
        ):
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1920, "height": 1080})
            context.add_init_script(IDLE_WATCH)
            signed = browser.new_context(viewport={"width": 1920, "height": 1080})
            signed.add_init_script(IDLE_WATCH)
            page = signed.new_page()
            page.goto(signed_app)
            settle(page)
            sign_in_through(provider, page, ADMIN)  # the cookie stays in this context
            page.close()
            targets = {
                "floor: bare page at /": bare + "/",
                "floor: bare page at /page": bare + "/page",
                "floor: one Plotly chart at /": plotly_url + "/",
                "floor: one Plotly chart at /page": plotly_url + "/page",
            }
            targets |= {f"{path} {title}": f"{app}{path}?fy=2025" for path, title in PAGES.items()}
            targets |= {
                f"{path} {title}{SIGNED_IN}": f"{signed_app}{path}?fy=2025"
                for path, title in PAGES.items()
            }
            # /finance draws one part at a time (?view=…): the default one is in PAGES above.
            targets |= {
                f"/finance 財政指標{OUTLOOK}": f"{app}/finance?fy=2025&view=outlook",
                f"/finance 財政指標{PEERS_7}": f"{peers7_app}/finance?fy=2025&view=peers",
                f"/finance 財政指標{PEERS_30}": f"{peers30_app}/finance?fy=2025&view=peers",
            }

            if args.only:
                targets = {
                    name: url
                    for name, url in targets.items()
                    if name.startswith("floor") or any(text in name for text in args.only)
                }

            def load(name: str) -> tuple[float, float, bool]:
                if name.endswith(SIGNED_IN):
                    return load_once(signed, targets[name], must_show=".kpi-account")
                return load_once(context, targets[name])

            draws_plotly = {}
            for name in targets:  # warm the cache, and the server's
                _, _, draws_plotly[name] = load(name)
            times: dict[str, list[float]] = {name: [] for name in targets}
            drawn: dict[str, list[float]] = {name: [] for name in targets}
            for _ in range(args.rounds):
                for name in targets:
                    elapsed, settled, _ = load(name)
                    times[name].append(elapsed)
                    drawn[name].append(settled)
            browser.close()

    median = {name: statistics.median(values) for name, values in times.items()}
    median_drawn = {name: statistics.median(values) for name, values in drawn.items()}
    rows = []
    for name in targets:
        floor_name = None if name.startswith("floor") else floor_for(name, draws_plotly[name])
        ratio = median[name] / median[floor_name] if floor_name else None
        drawn_ratio = median_drawn[name] / median_drawn[floor_name] if floor_name else None
        rows.append(
            (
                name,
                median[name],
                min(times[name]),
                max(times[name]),
                floor_name,
                ratio,
                median_drawn[name],
                drawn_ratio,
            )
        )
    lines = [
        f"Measured {dt.datetime.now():%Y-%m-%d %H:%M} on {platform.node()} ({platform.machine()}, "
        f"Python {platform.python_version()}), {args.rounds} interleaved rounds, warm cache, demo store.",
        "",
        f"| target | median ms | min | max | compared with | ratio | goal ≤ {GOAL} "
        "| drawn, median ms | drawn ratio |",
        "|---|---:|---:|---:|---|---:|---|---:|---:|",
    ]
    for name, med, low, high, floor_name, ratio, med_drawn, drawn_ratio in rows:
        verdict = "" if ratio is None else ("met" if ratio <= GOAL else "NOT met")
        lines.append(
            f"| {name} | {med:.0f} | {low:.0f} | {high:.0f} | {floor_name or '–'} | "
            f"{'' if ratio is None else f'{ratio:.2f}'} | {verdict} | {med_drawn:.0f} | "
            f"{'' if drawn_ratio is None else f'{drawn_ratio:.2f}'} |"
        )
    ratios = {name: ratio for name, _, _, _, _, ratio, _, _ in rows}
    if args.only:
        print("\n".join(lines))
        return 0
    lines += [
        "",
        "With sign-in beside without (same rounds, same floors):",
        "",
        "| page | median ms without | ratio without | median ms signed in (admin) "
        "| ratio signed in | difference ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for path, title in PAGES.items():
        plain, signed_in = f"{path} {title}", f"{path} {title}{SIGNED_IN}"
        lines.append(
            f"| {plain} | {median[plain]:.0f} | {ratios[plain]:.2f} | {median[signed_in]:.0f} "
            f"| {ratios[signed_in]:.2f} | {median[signed_in] - median[plain]:+.0f} |"
        )
    plain = "/finance 財政指標"
    lines += [
        "",
        "/finance's other parts (?view=…; the peers with the ministry's 主要財政指標一覧 imported), "
        "beside its default part (same rounds, same floor):",
        "",
        "| part | median ms | ratio | difference ms |",
        "|---|---:|---:|---:|",
    ]
    for name in (plain, plain + OUTLOOK, plain + PEERS_7, plain + PEERS_30):
        lines.append(
            f"| {name} | {median[name]:.0f} | {ratios[name]:.2f} | {median[name] - median[plain]:+.0f} |"
        )
    report = "\n".join(lines)
    print(report)
    if args.write:
        args.write.write_text(
            "# Page-load benchmark\n\nCommand: `bash scripts/bench.sh` (which runs `.venv/bin/python bench/page_load.py "
            f"--rounds {args.rounds} --write bench/RESULTS.md`)\n\n{report}\n\n"
            "Each figure is milliseconds from navigation start to the end of the page's last script "
            "run, timed inside the page (the goal's measure). Pages are compared with the Plotly "
            "floor when they draw a Plotly chart and with the bare floor otherwise, served at the "
            "same kind of path: Streamlit serves any page at a sub-path about 60 ms slower than at "
            '"/", so the overview is compared with the floors at "/" and the other pages with '
            'the floors at "/page". The *drawn* '
            "columns add the time until every Plotly chart has been drawn (the script can end "
            "before Plotly's bundle has loaded), for information. *(signed in)* rows are the same "
            "pages on a server with sign-in configured, loaded in a browser signed in as an admin "
            "through an OpenID Connect provider on loopback (the browser tests' oidc-provider-mock). "
            "What these figures led to: bench/README.md.\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    start = time.monotonic()
    code = main()
    print(f"\n({time.monotonic() - start:.0f} s)")
    sys.exit(code)
