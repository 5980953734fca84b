"""An empty store's overview in headless Chromium: it opens on the year whose actuals are due,
says nothing is reported (no all-clear, no 順調) and links to 実績入力 on that year."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from komae_kpi.common.clock import TODAY_ENV
from komae_kpi.store.connection import init_store
from tests.browser.conftest import settle, streamlit_server

pytestmark = pytest.mark.browser


def test_the_empty_overview_says_nothing_is_reported_and_links_to_entry(
    tmp_path: Path, open_page: Callable[[str, str], Any]
) -> None:
    db = tmp_path / "empty.duckdb"
    init_store(db)
    with streamlit_server(db, env={TODAY_ENV: "2026-11-30"}) as url:
        page = open_page(url + "/", "empty-overview")
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "fy=2025" in page.url  # the due year, not the baseline year 2023
        main = page.locator('[data-testid="stMain"]')
        text = main.inner_text()
        assert "令和7年度 (2025)の実績はまだ報告されていません。" in text
        assert "計画線・目標から遅れている指標（遅れ・注意）はありません。" not in text
        assert "○ 順調" not in text
        assert page.locator('[data-testid="stAlertContentSuccess"]').count() == 0
        link = main.get_by_role("link", name="実績入力（令和7年度 (2025)）").first
        assert link.get_attribute("href") == "./updates?fy=2025"
        link.click()
        page.wait_for_url("**/updates?fy=2025*")
        settle(page)
        assert page.locator("h1").first.inner_text() == "実績入力"
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_text("令和7年度 (2025)の実績値").count() >= 1
