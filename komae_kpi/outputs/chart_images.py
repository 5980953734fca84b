"""Chart figures as images (PNG, SVG) for the report and the meeting deck, with kaleido.

kaleido drives a headless Chromium. Starting it costs seconds (STYLE.md: about 2 s an image when
each call starts its own), so a ChartRenderer starts one browser for a whole run and renders every
chart through it. Nothing is fetched from the internet: plotly.js is plotly.py's own copy and
MathJax, which kaleido would otherwise load from a CDN, is switched off.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import kaleido  # type: ignore[import-untyped]
import plotly
import plotly.graph_objects as go

from komae_kpi.common.errors import KomaeKpiError

ImageFormat = Literal["png", "svg"]
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
NO_NETWORK_PROXY = "127.0.0.1:9"  # the discard port: nothing listens there
# choreographer (kaleido's browser driver) logs its own English warnings ("Wait expired, Browser is
# being closed by watchdog.") to the terminal; what went wrong is said by BROWSER_STOPPED instead.
logging.getLogger("choreographer").setLevel(logging.CRITICAL)
logging.getLogger("kaleido").setLevel(logging.CRITICAL)
BROWSER_STOPPED = (
    "グラフを画像にするブラウザ（Chromium）が起動しないか、途中で終了しました。"
    "もう一度実行しても同じときは、Chromium が動くか（chromium --headless --version）を確かめてください。"
)
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")


def chromium_path() -> str | None:
    """The browser kaleido and the PDF printer use: $BROWSER_PATH, else Debian's chromium."""
    explicit = os.environ.get("BROWSER_PATH")
    if explicit:
        return explicit
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def require_chromium() -> str:
    path = chromium_path()
    if path is None:
        raise KomaeKpiError(
            "グラフの画像化とPDFの作成にはChromiumが必要です（Debian: apt-get install chromium "
            "fonts-noto-cjk）。"
        )
    return path


def page_generator() -> kaleido.PageGenerator:
    """kaleido's page with local scripts only (no CDN)."""
    return kaleido.PageGenerator(plotly=str(PLOTLY_JS), mathjax=False)


class ChartRenderer:
    """Renders figures to image bytes through one running kaleido browser."""

    def __init__(self) -> None:
        self.rendered = 0
        self.started = False

    def image(
        self,
        figure: go.Figure,
        *,
        width: int,
        height: int,
        fmt: ImageFormat = "png",
        scale: float = 2,
    ) -> bytes:
        if not self.started:
            _start_browser()
            self.started = True
        opts: dict[str, Any] = {"format": fmt, "width": width, "height": height, "scale": scale}
        data = while_browser_runs(lambda: kaleido.calc_fig_sync(figure, opts=opts))
        self.rendered += 1
        return bytes(data)


def _browser_thread() -> threading.Thread | None:
    """kaleido's server thread, which owns the browser (None when it was never started)."""
    from kaleido._sync_server import GlobalKaleidoServer  # type: ignore[import-untyped]

    thread: threading.Thread | None = getattr(GlobalKaleidoServer(), "_thread", None)
    return thread


def while_browser_runs(call: Callable[[], Any]) -> Any:
    """call() (a request to kaleido's browser), given up when the browser's thread has ended.

    kaleido hands each request to its server thread and waits for the answer without a limit; when
    the browser would not start (or died), that thread had ended with the error, and `report` or
    `deck` waited for ever without a word. The request runs in a thread of its own here, and this
    one watches both.
    """
    server = _browser_thread()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed over to the caller's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True, name="komae-kpi-chart")
    worker.start()
    while worker.is_alive():
        worker.join(0.05)
        if worker.is_alive() and (server is None or not server.is_alive()):
            raise KomaeKpiError(BROWSER_STOPPED)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@contextmanager
def chart_renderer() -> Iterator[ChartRenderer]:
    """One browser for any number of charts, started by the first chart (a deck or report with
    none starts none), stopped at the end."""
    browser = require_chromium()
    os.environ.setdefault("BROWSER_PATH", browser)  # choreographer (kaleido's driver) reads it
    renderer = ChartRenderer()
    try:
        yield renderer
    finally:
        if renderer.started:
            kaleido.stop_sync_server(silence_warnings=True)


def _start_browser() -> None:
    try:
        kaleido.start_sync_server(
            page_generator=page_generator(),
            silence_warnings=True,
            # Passed on to choreographer's Chromium: no extensions (Debian's chromium loads some
            # by default) and a proxy that leads nowhere, so the browser reaches no host.
            enable_extensions=False,
            proxy_server=NO_NETWORK_PROXY,
        )
    except Exception as exc:  # choreographer raises its own errors when Chromium will not start
        raise KomaeKpiError(f"グラフを画像にするブラウザを起動できません（{exc}）。") from exc
