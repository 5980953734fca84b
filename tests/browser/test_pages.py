"""Every page in headless Chromium on (a) a fresh clone with no store, (b) a demo store and (c) a
store with actuals written by the test: no exception box, and what a meeting relies on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from komae_kpi.judgement.progress import load_snapshot, status_records
from komae_kpi.store.connection import init_store
from komae_kpi.store.demo import write_demo_store
from komae_kpi.store.entries import save_indicator_value, save_item_status
from komae_kpi.views.finance_outlook import status_outlook
from tests.browser.conftest import PAGES, settle, streamlit_server

pytestmark = pytest.mark.browser

XSS = "<script>window.__xss = 1</script><b>督促</b>を実施"


def make_store(kind: str, tmp_path: Path) -> Path:
    db = tmp_path / f"{kind}.duckdb"
    if kind == "demo":
        write_demo_store(db)
    elif kind == "entered":
        init_store(db)
        save_indicator_value(db, 3, 2024, 88.4, source="決算（テスト）")
        save_indicator_value(db, 3, 2025, 89.6, source="決算（テスト）")
        save_indicator_value(db, 5, 2025, 168.0, source="決算（テスト）")
        save_indicator_value(db, 1, 2025, 72.9, source="市民意識調査（テスト）")
        save_item_status(db, 24, 2025, "遅れ", achievements=XSS, issues="**人員不足**")
        save_item_status(db, 8, 2025, "順調")
    return db  # "fresh": no file at all, as on a fresh clone


@pytest.fixture(scope="module")
def entered_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server on the "entered" store for the tests below that only read it: starting a server
    per test costs seconds each."""
    with streamlit_server(make_store("entered", tmp_path_factory.mktemp("entered"))) as url:
        yield url


def alert_titles(page: Any, kind: str) -> list[str]:
    titles = page.locator(f'[data-testid="stAlertContent{kind}"] [data-testid="stAlertTitle"]')
    return [t.split("：", 1)[1] for t in titles.all_inner_texts()]


@pytest.mark.parametrize("kind", ["fresh", "demo", "entered"])
def test_every_page_loads_without_an_exception(
    kind: str, tmp_path: Path, open_page: Callable[[str, str], Any]
) -> None:
    db = make_store(kind, tmp_path)
    with streamlit_server(db) as url:
        for path, title in PAGES.items():
            page = open_page(url + path, f"{kind}-{path.strip('/') or 'overview'}")
            assert page.locator('[data-testid="stException"]').count() == 0, path
            assert page.locator("h1").first.inner_text() == title, path
            banner = page.get_by_text("デモデータ：この画面の数値は").count()
            assert banner == (1 if kind == "demo" else 0), path
            assert "fy=" in page.url  # the year is in the URL, ready to share
    assert db.exists()


@pytest.mark.parametrize("kind", ["demo", "entered"])
def test_overview_warning_boxes_name_exactly_the_off_track_and_at_risk_indicators(
    kind: str, tmp_path: Path, open_page: Callable[[str, str], Any]
) -> None:
    db = make_store(kind, tmp_path)
    snapshot = load_snapshot(db)
    records = status_records(snapshot, 2025)
    expected_errors = [
        f"指標{r['indicator_no']} {r['name']}" for r in records if r["status"] == "off_track"
    ]
    expected_warnings = [
        f"指標{r['indicator_no']} {r['name']}" for r in records if r["status"] == "at_risk"
    ] + [  # then those whose 財政見通し misses the target though their trend does not warn
        f"指標{r['indicator_no']} {r['name']}"
        for r in records
        if r["status"] not in ("off_track", "at_risk")
        and any(o["meets"] is False for o in status_outlook(snapshot, r["indicator_no"], 2025))
    ]
    assert expected_errors and expected_warnings
    with streamlit_server(db) as url:
        page = open_page(f"{url}/?fy=2025", f"{kind}-overview-warnings")
        assert alert_titles(page, "Error") == expected_errors
        assert alert_titles(page, "Warning") == expected_warnings


TREE = 'table[aria-label="取組項目の一覧（施策・方向性・基本事業ごと）"]'


def table_numbers(page: Any) -> list[int]:
    cells = page.locator(f"{TREE} tbody tr td:first-child").all_inner_texts()
    return [int(c) for c in cells if c.strip().isdigit()]


def test_the_department_filter_in_the_url_survives_a_reload(
    entered_url: str, open_page: Callable[[str, str], Any]
) -> None:
    url = entered_url
    page = open_page(f"{url}/items?fy=2025&department={quote('納税課')}", "items-department")
    assert table_numbers(page) == [24, 25, 26]  # exactly the items naming 納税課
    assert "department=" in page.url and "fy=2025" in page.url
    page.reload()
    settle(page)
    assert table_numbers(page) == [24, 25, 26]
    other = open_page(
        f"{url}/departments?fy=2025&department={quote('財政課')}", "department-finance"
    )
    assert other.locator("h2").first.inner_text() == "財政課"


def test_the_search_form_filters_with_the_browsers_own_controls(
    entered_url: str, open_page: Callable[[str, str], Any]
) -> None:
    page = open_page(f"{entered_url}/items?fy=2025", "items-form")
    assert len(table_numbers(page)) == 62
    form = page.locator('form[role="search"]')
    form.locator('select[name="department"]').select_option("納税課")
    form.get_by_role("button", name="絞り込む").click()
    page.wait_for_url("**department=**")
    settle(page)
    assert table_numbers(page) == [24, 25, 26]
    assert "fy=2025" in page.url  # the year travels in the form
    page.locator('form[role="search"] input[name="q"]').fill("督促")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=**")
    settle(page)
    assert table_numbers(page) == [24]
    assert page.locator('select[name="department"]').input_value() == "納税課"
    page.locator('form[role="search"] a.clear').click()
    page.wait_for_url(lambda u: "department" not in u)
    settle(page)
    assert len(table_numbers(page)) == 62 and "fy=2025" in page.url
    assert page.locator('[data-testid="stException"]').count() == 0


def test_the_year_stays_when_moving_between_pages(
    entered_url: str, open_page: Callable[[str, str], Any]
) -> None:
    url = entered_url
    page = open_page(f"{url}/?fy=2024", "overview-2024")
    assert page.locator(".kpi-meta").first.inner_text().startswith("令和6年度 (2024)")
    page.locator('[data-testid="stTopNavLink"]', has_text="財政指標").click()
    page.wait_for_url("**/finance**")
    settle(page)
    assert "fy=2024" in page.url
    assert page.locator("h1").first.inner_text() == "財政指標"
    assert page.locator(".kpi-meta").first.inner_text().startswith("令和6年度 (2024)")


def test_user_text_is_shown_as_text_never_run(
    entered_url: str, open_page: Callable[[str, str], Any]
) -> None:
    url = entered_url
    page = open_page(f"{url}/items?fy=2025&department={quote('納税課')}&item=24", "items-detail")
    assert page.evaluate("() => window.__xss") is None
    assert page.get_by_text("<b>督促</b>を実施", exact=False).count() >= 1
    assert page.get_by_text("**人員不足**", exact=False).count() >= 1


@pytest.mark.parametrize("path", ["/finance", "/items"])
def test_a_deep_link_as_the_servers_first_request_opens_that_page(
    path: str, tmp_path: Path, open_page: Callable[[str, str], Any]
) -> None:
    """A link shared in a meeting may be the first thing a freshly started server is asked for."""
    db = make_store("entered", tmp_path)
    with streamlit_server(db) as url:
        page = open_page(f"{url}{path}?fy=2024", f"first-request{path.replace('/', '-')}")
        assert page.locator("h1").first.inner_text() == PAGES[path]
        assert page.get_by_text("Page not found").count() == 0
        nav = page.locator('[data-testid="stTopNavLink"]').all_inner_texts()
        assert [t.split()[-1] for t in nav] == list(PAGES.values())  # the router drew the menu
        assert "fy=2024" in page.url


def test_choosing_a_year_and_an_item_by_their_links(
    entered_url: str, open_page: Callable[[str, str], Any]
) -> None:
    url = entered_url
    page = open_page(f"{url}/items?fy=2025&department={quote('納税課')}", "items-links")
    page.locator('nav[aria-label="年度"] a', has_text="令和6年度 (2024)").click()
    page.wait_for_url("**fy=2024**")
    settle(page)
    assert "department=" in page.url  # the filter stays when the year changes
    assert page.locator(".kpi-meta").first.inner_text().startswith("令和6年度 (2024)")
    page.locator(f"{TREE} a", has_text="市税等徴収率の維持").click()
    page.wait_for_url("**item=24**")
    settle(page)
    detail = page.locator('section[aria-label="取組項目の詳細"]')
    assert "取組項目24 市税等徴収率の維持" in detail.inner_text()
    assert "令和6年度 (2024)の進捗状況" in detail.inner_text()
