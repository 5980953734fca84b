"""Status labels in narrow columns stay on one line (「○順/調」, 「未報/告」 broke inside before)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from komae_kpi.store.demo import write_demo_store
from tests.browser.conftest import settle, streamlit_server

pytestmark = pytest.mark.browser

# The lines each status label's text is drawn on (its text's line boxes: a cell is as tall as
# its row, so its own height says nothing).
LINES = """() => [...document.querySelectorAll('.kpi-status')].map(e => {
  const range = document.createRange();
  range.selectNodeContents(e);
  const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
  return [e.innerText, tops.size];
})"""


def test_status_labels_never_break_in_a_narrow_window(tmp_path: Path, browser: Any) -> None:
    db = tmp_path / "demo.duckdb"
    write_demo_store(db)
    with streamlit_server(db) as url:
        page = browser.new_page(viewport={"width": 420, "height": 900})
        try:
            for path in ("/", "/items"):  # the tiles' badges, the items' status column
                page.goto(url + path)
                settle(page)
                labels = page.evaluate(LINES)
                assert labels, path
                broken = [text for text, lines in labels if lines != 1]
                assert broken == [], path
        finally:
            page.close()
