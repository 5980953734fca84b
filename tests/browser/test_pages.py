"""Every page in headless Chromium on (a) a fresh clone with no store, (b) a demo store and (c) a
store with actuals written by the test: no exception box, Japanese text as expected."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from komae_kpi.entries import save_indicator_value, save_item_status
from komae_kpi.store import init_store
from tests.browser.conftest import streamlit_server

pytestmark = pytest.mark.browser

PATHS = ["/"]


def _store(kind: str, tmp_path: Path) -> Path:
    db = tmp_path / f"{kind}.duckdb"
    if kind == "demo":
        init_store(db, kind="demo")
    elif kind == "entered":
        init_store(db)
        save_indicator_value(db, 3, 2025, 88.1, source="決算（テスト）")
        save_item_status(db, 8, 2025, "順調", achievements="<script>alert(1)</script>")
    return db  # "fresh": no file at all, as on a fresh clone


@pytest.mark.parametrize("kind", ["fresh", "demo", "entered"])
def test_every_page_loads_without_an_exception(
    kind: str, tmp_path: Path, open_page: Callable[[str, str], Any]
) -> None:
    db = _store(kind, tmp_path)
    with streamlit_server(db) as url:
        for path in PATHS:
            page = open_page(url + path, f"{kind}-{path.strip('/') or 'root'}")
            assert page.locator('[data-testid="stException"]').count() == 0
            assert page.locator("h1").first.inner_text() == "計画の体系"
            banner = page.get_by_text("デモデータ：").count()
            assert banner == (1 if kind == "demo" else 0)
    assert db.exists()
