"""/finance in headless Chromium on the demo store with the ministry's 主要財政指標一覧 imported
(FY2015–FY2021): each part of the page opens from its own link without an exception box — the
history and values, the demo 財政見通し, and the peer charts with the 多摩26市 table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from komae_kpi.imports.peer_import import apply_peer_import
from komae_kpi.judgement import peer_context
from komae_kpi.store.demo import write_demo_store
from komae_kpi.views import peer_views
from tests.browser.conftest import settle, streamlit_server
from tests.test_peers import sources, workbook_files

pytestmark = pytest.mark.browser
PARTS = 'nav[aria-label="表示"]'  # /finance's links to its parts
CHARTS = f'nav[aria-label="{peer_views.CHART_LINKS_LABEL}"]'  # the peers part's links to its charts


def test_each_part_of_finance_opens_from_its_link(
    tmp_path: Path, open_page: Callable[[str, str], Any]
) -> None:
    db = tmp_path / "kpi.duckdb"
    write_demo_store(db)
    apply_peer_import(db, sources(workbook_files()), user="test")
    with streamlit_server(db) as url:
        page = open_page(url + "/finance?fy=2025", "finance-history")
        main = page.locator('[data-testid="stMain"]')
        assert "経常収支比率の推移（平成17年度以降）" in main.inner_text()
        assert "◆ 狛江市" not in main.inner_text()  # one part at a time
        assert page.locator(".js-plotly-plot").count() == 2

        text = _open_part(page, "多摩26市・全国との比較", "**view=peers**", charts=None)
        assert "◆ 狛江市" in text and "令和3年度 (2021)" in text
        assert "経常収支比率の推移（平成17年度以降）" not in text
        assert "fy=2025" in page.url  # the year stays
        # One ratio's chart at a time, 経常収支比率 (the plan's own) first; a link per ratio.
        ratios = page.locator(CHARTS).get_by_role("link")
        assert ratios.count() >= 5  # one per ratio the ministry publishes
        assert page.locator(f"{CHARTS} a[aria-current]").inner_text() == "経常収支比率"
        assert _chart_titles(page) == ["経常収支比率"]
        link = page.locator(f"{CHARTS} a:not([aria-current])").first
        other = link.inner_text()
        link.click()
        page.wait_for_url("**ratio=**")
        settle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert _chart_titles(page) == [other] and other != "経常収支比率"
        assert "view=peers" in page.url and "fy=2025" in page.url
        assert "◆ 狛江市" in page.locator('[data-testid="stMain"]').inner_text()
        assert "デモ用財政見通し（架空）" in _open_part(
            page, "財政見通し", "**view=outlook**", charts=3
        )
        assert "参考系列" in _open_part(page, "年度別の値と出典", "**view=values**", charts=0)
        assert "経常収支比率の推移（平成17年度以降）" in _open_part(
            page, "推移", lambda u: "view=" not in u, charts=2
        )


def _open_part(page: Any, name: str, url: Any, *, charts: int | None) -> str:
    """Follow the link to one part of /finance; it opens marked as current, without an exception
    box and with that many Plotly charts (if given). Returns the page's text."""
    page.locator(PARTS).get_by_role("link", name=name, exact=True).click()
    page.wait_for_url(url)
    settle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator(f"{PARTS} a[aria-current]").inner_text() == name
    if charts is not None:
        assert page.locator(".js-plotly-plot").count() == charts
    text: str = page.locator('[data-testid="stMain"]').inner_text()
    return text


def _chart_titles(page: Any) -> list[str]:
    """The ratio each drawn Plotly chart shows: its title, up to the source line under it."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')]"
        ".every((p) => p.querySelector('.gtitle'))"
    )
    titles = page.locator(".js-plotly-plot .gtitle").all_text_contents()
    return [t.split(peer_context.SOURCE)[0] for t in titles]
