"""Chart figures as images (PNG, SVG) for the report and the meeting deck, with kaleido.

kaleido drives a headless Chromium. Starting it costs seconds (STYLE.md: about 2 s an image when
each call starts its own), so a ChartRenderer starts one browser for a whole run and renders every
chart through it. Nothing is fetched from the internet: plotly.js is plotly.py's own copy and
MathJax, which kaleido would otherwise load from a CDN, is switched off.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
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

    def image(
        self,
        figure: go.Figure,
        *,
        width: int,
        height: int,
        fmt: ImageFormat = "png",
        scale: float = 2,
    ) -> bytes:
        opts: dict[str, Any] = {"format": fmt, "width": width, "height": height, "scale": scale}
        data = kaleido.calc_fig_sync(figure, opts=opts)
        self.rendered += 1
        return bytes(data)


@contextmanager
def chart_renderer() -> Iterator[ChartRenderer]:
    """Start the browser once, render any number of charts, stop it."""
    browser = require_chromium()
    os.environ.setdefault("BROWSER_PATH", browser)  # choreographer (kaleido's driver) reads it
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
    try:
        yield ChartRenderer()
    finally:
        kaleido.stop_sync_server(silence_warnings=True)
