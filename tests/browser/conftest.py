"""A real Streamlit server and Debian's headless Chromium (Playwright cannot download its own here)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from komae_kpi.common.paths import DB_ENV_VAR, PROJECT_ROOT

if TYPE_CHECKING:  # imported where used: only the browser tests need Playwright
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
PAGES = {
    "/": "全体概況",
    "/indicators": "指標",
    "/finance": "財政指標",
    "/items": "取組項目",
    "/departments": "部署別",
    "/updates": "実績入力",
    "/reports": "公表・会議資料",
}
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def streamlit_server(db: Path, script: Path | None = None) -> Iterator[str]:
    """Serve the dashboard (or another script, e.g. a benchmark floor) on a free local port."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != DB_ENV_VAR} | {DB_ENV_VAR: str(db)}
    log = (db.parent / f"streamlit-{port}.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script or PROJECT_ROOT / "dashboard.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start: {(db.parent / log.name).read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def settle(page: Any) -> None:
    """Wait until the page's script run has ended and its last deltas are painted."""
    page.wait_for_selector(APP_IDLE, timeout=60_000)
    page.wait_for_timeout(300)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium is missing: .ci/run must install Debian's chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[[str, str], Page]]:
    """open_page(url, screenshot_name) -> the loaded Playwright page, screenshot saved."""
    pages: list[Page] = []

    def _open(url: str, name: str) -> Page:
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        pages.append(page)
        page.goto(url)
        settle(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        # What a projector shows (1920x1080), then the whole page: Streamlit scrolls inside its
        # main container, so "full_page" alone stops at the window; grow the window instead.
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
        height = page.evaluate(
            "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight"
        )
        page.set_viewport_size({"width": 1920, "height": min(max(int(height), 1080), 12000)})
        page.wait_for_timeout(300)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-full.png"))
        page.set_viewport_size({"width": 1920, "height": 1080})
        return page

    yield _open
    for page in pages:
        page.close()
