"""Japanese only, and this machine only, in headless Chromium: a mistyped address gets a Japanese
page with links to every page (also as a freshly started server's first request, and for a nested
address), the page files' English names are never drawn (not even while a freshly started server
loads its first page), and no request the browser makes leaves loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from komae_kpi.store.demo import write_demo_store
from tests.browser.conftest import PAGES, SCREENSHOTS, settle, streamlit_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

# The files in pages/: Streamlit's own page list would show these names.
ENGLISH_NAMES = [
    "overview",
    "indicators",
    "finance",
    "items",
    "departments",
    "updates",
    "review",
    "reports",
]
# Runs before the app's own scripts: records the text of every navigation element ever added or
# changed, so that a name drawn for a moment and replaced is caught too.
RECORD_NAVIGATION = """
window.__navTexts = [];
new MutationObserver(() => {
  const nav = document.querySelectorAll(
    '[data-testid*="Nav"], [data-testid*="Sidebar"], nav, [data-testid="stPageLink"]');
  for (const el of nav) { window.__navTexts.push(el.textContent || ""); }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""
# Runs before the app's own scripts: notes whether Streamlit's English 「Page not found」 box was
# ever in the page, even for a moment.
RECORD_ENGLISH_NOT_FOUND = """
window.__englishNotFound = false;
new MutationObserver(() => {
  if ((document.body && document.body.textContent || "").includes("Page not found")) {
    window.__englishNotFound = true;
  }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("japanese-only") / "demo.duckdb"
    write_demo_store(db)
    return db


@pytest.fixture(scope="module")
def demo_url(demo_store: Path) -> Iterator[str]:
    with streamlit_server(demo_store) as url:
        yield url


def english_names_in(texts: list[str]) -> set[str]:
    words = {w for text in texts for w in re.findall(r"[A-Za-z_]+", text)}
    return words & set(ENGLISH_NAMES)


@pytest.mark.parametrize("path", ["/dashboard", "/no-such-page?fy=2025"])
def test_a_mistyped_address_gets_a_japanese_page_with_links_to_every_page(
    path: str, demo_url: str, browser: Browser
) -> None:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        page.goto(demo_url)  # the server has routed once (see the fresh-server test below)
        settle(page)
        page.goto(demo_url + path)
        settle(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(SCREENSHOTS / f"not-found{path.split('?')[0].replace('/', '-')}.png")
        )
        assert page.locator("h1").first.inner_text() == "ページが見つかりません"
        requested = path.split("?")[0]
        assert page.get_by_text(f"「{requested}」というページはありません。").count() == 1
        assert page.get_by_text("Page not found").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
        links = page.locator('[data-testid="stPageLink"]').all_inner_texts()
        assert [t.split()[-1] for t in links] == list(PAGES.values())
        page.locator('[data-testid="stPageLink"]').get_by_text("財政指標").click()
        settle(page)
        assert page.locator("h1").first.inner_text() == "財政指標"
        assert urlsplit(page.url).path == "/finance"
    finally:
        page.close()


def test_a_mistyped_address_as_a_fresh_servers_first_request_is_answered_in_japanese(
    demo_store: Path, browser: Browser
) -> None:
    """Streamlit decides on its first session whether the app is an old-style one with a pages/
    folder; that first run showed its English box before the router answered
    (komae_kpi_ui/server_app.py). The server here has served nothing before this request."""
    with streamlit_server(demo_store) as url:
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        try:
            page.add_init_script(RECORD_ENGLISH_NOT_FOUND)
            page.goto(url + "/dashboard")
            settle(page)
            assert page.locator("h1").first.inner_text() == "ページが見つかりません"
            assert page.get_by_text("「/dashboard」というページはありません。").count() == 1
            assert page.evaluate("window.__englishNotFound") is False
            assert page.locator('[data-testid="stException"]').count() == 0
        finally:
            page.close()


@pytest.mark.parametrize("path", ["/a/b", "/finance/2025", "/no-such/page/?fy=2025"])
def test_a_nested_address_gets_a_japanese_page_with_links_and_404(
    path: str, demo_url: str, browser: Browser
) -> None:
    """Below a nested address the browser loaded the app's scripts from the wrong folder and showed
    a blank page; it is answered by the server itself (komae_kpi_ui/server_app.py)."""
    page = browser.new_page()
    try:
        response = page.goto(demo_url + path)
        assert response is not None and response.status == 404
        assert page.locator("h1").inner_text() == "ページが見つかりません"
        requested = path.split("?")[0].rstrip("/")
        assert page.get_by_text(f"「{requested}」というページはありません。").count() == 1
        assert page.locator("html").get_attribute("lang") == "ja"
        assert page.locator("li a").all_inner_texts() == list(PAGES.values())
        page.get_by_role("link", name="財政指標").click()
        settle(page)
        assert page.locator("h1").first.inner_text() == "財政指標"
        assert urlsplit(page.url).path == "/finance"
    finally:
        page.close()


def test_the_default_pages_file_name_opens_the_overview(demo_url: str, browser: Browser) -> None:
    page = browser.new_page()
    try:
        page.goto(demo_url)
        settle(page)
        page.goto(demo_url + "/overview")
        settle(page)
        assert page.locator("h1").first.inner_text() == "全体概況"
        assert page.get_by_text("Page not found").count() == 0
    finally:
        page.close()


@pytest.mark.parametrize("first", ["/dashboard", "/finance"])
def test_no_english_page_name_is_drawn_while_a_fresh_server_loads(
    first: str, demo_store: Path, browser: Browser
) -> None:
    """A freshly started server treats the app as an old-style multipage app for its first run
    (komae_kpi_ui/app.py): that run drew the pages/ files' names in a sidebar."""
    with streamlit_server(demo_store) as url:
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        try:
            page.add_init_script(RECORD_NAVIGATION)
            page.goto(url + first)
            settle(page)
            texts: list[str] = page.evaluate("window.__navTexts")  # each load records anew
            for path, title in PAGES.items():
                page.goto(url + path)
                settle(page)
                assert page.locator("h1").first.inner_text() == title, path
                texts += page.evaluate("window.__navTexts")
            assert any("財政指標" in t for t in texts)  # the observer saw the menu
            assert english_names_in(texts) == set()
            assert page.locator('[data-testid="stSidebarNav"]').count() == 0
        finally:
            page.close()


def test_every_request_of_every_page_stays_on_this_machine(demo_url: str, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    requested: list[str] = []

    def record(route: Any) -> None:
        requested.append(route.request.url)
        if urlsplit(route.request.url).hostname in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            route.abort()  # a test must not reach out either

    try:
        page.route("**/*", record)
        for path in [*PAGES, "/dashboard"]:
            page.goto(demo_url + path)
            settle(page)
            page.wait_for_timeout(500)  # the favicon and late icons
        assert requested  # the route saw the page's own requests
        hosts = {urlsplit(u).hostname for u in requested}
        elsewhere = sorted(u for u in requested if urlsplit(u).hostname != "127.0.0.1")
        assert hosts == {"127.0.0.1"}, elsewhere
    finally:
        page.close()


def test_the_menus_button_for_pages_that_do_not_fit_is_japanese(
    demo_url: str, browser: Browser
) -> None:
    """Streamlit labels it "N more"; it shows on a narrow window (a laptop, a projector at 150%)."""
    page = browser.new_page(viewport={"width": 860, "height": 700})
    try:
        page.goto(demo_url + "/finance")
        settle(page)
        rest = page.locator('[data-testid="stTopNav"] .rc-overflow-item-rest p')
        # Where the menu is cut depends on the fonts; below 768 px Streamlit draws a sidebar instead.
        for width in range(860, 768, -6):
            page.set_viewport_size({"width": width, "height": 700})
            page.wait_for_timeout(200)
            if rest.count():
                break
        assert rest.count() == 1, "no width between 860 and 770 px cut the menu"
        page.screenshot(path=str(SCREENSHOTS / "narrow-menu.png"))
        assert rest.inner_text().endswith(" more")  # what Streamlit writes, in the DOM only
        drawn = rest.evaluate(
            "p => [getComputedStyle(p).fontSize, getComputedStyle(p, '::after').content]"
        )
        assert drawn == ["0px", '"その他のページ"']  # the English text takes no room
        # Streamlit's ⋮ menu (theme, Print, Record screen) has only English words: not shown.
        assert page.locator('[data-testid="stMainMenu"]').count() == 0
    finally:
        page.close()
