"""/finance with the ministry's 主要財政指標一覧 imported (FY2015–FY2021), in headless Chromium: the
peer charts and the 多摩26市 table draw without an exception box."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from komae_kpi.imports.peer_import import apply_peer_import
from komae_kpi.store.connection import init_store
from tests.browser.conftest import streamlit_server
from tests.test_peers import sources, workbook_files

pytestmark = pytest.mark.browser


def test_finance_with_the_peers_imported(
    tmp_path: Path, open_page: Callable[[str, str], Any]
) -> None:
    db = tmp_path / "kpi.duckdb"
    init_store(db)
    apply_peer_import(db, sources(workbook_files()), user="test")
    with streamlit_server(db) as url:
        page = open_page(url + "/finance?fy=2025", "finance-peers")
        assert page.locator('[data-testid="stException"]').count() == 0
        text = page.locator('[data-testid="stMain"]').inner_text()
        assert "多摩26市・全国との比較" in text
        assert "◆ 狛江市" in text and "令和3年度 (2021)" in text
        # The fiscal indicators' own charts plus one per ratio the ministry publishes.
        assert page.locator(".js-plotly-plot").count() >= 2 + 5
