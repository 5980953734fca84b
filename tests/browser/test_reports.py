"""/reports in headless Chromium: every download is produced on click and opens as its type."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pptx import Presentation
from pypdf import PdfReader

from komae_kpi.common.clock import TODAY_ENV
from komae_kpi.judgement.meeting_changes import record_meeting
from komae_kpi.outputs.deck.slides import CHANGES_TITLE
from komae_kpi.store.connection import init_store
from komae_kpi.store.entries import save_indicator_value, save_item_status
from tests.browser.conftest import streamlit_server

pytestmark = pytest.mark.browser


def download(page: Any, button: str, tmp_path: Path) -> tuple[str, bytes]:
    make = button.replace("をダウンロード", "を作成")
    if page.get_by_role("link", name=make).count():
        # A link drawn as a button: the page loads with ?make=…, makes the file in its run and
        # offers it, with ?make= taken out of the address so that a reload does not ask again.
        page.get_by_role("link", name=make).click()
        page.get_by_role("button", name=button).wait_for(timeout=120_000)
        assert "make=" not in page.url
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name=button).click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    return info.value.suggested_filename, target.read_bytes()


def test_every_output_downloads_from_the_reports_page(
    tmp_path: Path, open_page: Callable[[str, str], Any]
) -> None:
    db = tmp_path / "kpi.duckdb"
    init_store(db)
    save_indicator_value(db, 3, 2025, 91.0, source="決算（テスト）")
    save_item_status(db, 24, 2025, "遅れ", achievements="<script>window.__xss=1</script>督促")
    with streamlit_server(db) as url:
        page = open_page(f"{url}/reports?fy=2025", "reports")
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator("h1").first.inner_text() == "公表・会議資料"

        name, pdf = download(page, "PDFをダウンロード", tmp_path)
        assert name == "進捗状況報告_令和7年度.pdf" and pdf.startswith(b"%PDF")
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
        assert "経常収支比率" in text and "督促" in text

        name, html = download(page, "HTMLをダウンロード", tmp_path)
        assert name.endswith(".html") and "<h1>" in html.decode("utf-8")

        name, deck = download(page, "会議資料をダウンロード", tmp_path)
        assert name == "推進本部会議資料_令和7年度.pptx"
        assert len(Presentation(io.BytesIO(deck)).slides) >= 4

        name, archive = download(page, "ZIPをダウンロード", tmp_path)
        members = zipfile.ZipFile(io.BytesIO(archive)).namelist()
        assert any(m.endswith("indicator_values.csv") for m in members)

        name, book = download(page, "Excelをダウンロード", tmp_path)
        sheets = openpyxl.load_workbook(io.BytesIO(book)).sheetnames
        assert "指標の実績値" in sheets

        assert page.evaluate("() => window.__xss") is None
        assert page.locator('[data-testid="stException"]').count() == 0


def test_reports_list_the_recorded_meetings_and_the_deck_opens_with_the_changes(
    tmp_path: Path, open_page: Callable[[str, str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TODAY_ENV, "2026-11-30")
    db = tmp_path / "kpi.duckdb"
    init_store(db)
    save_item_status(db, 8, 2025, "順調")
    record_meeting(db, name="令和8年度第1回推進本部", held_on=dt.date(2026, 7, 15))
    save_item_status(db, 8, 2025, "遅れ")
    with streamlit_server(db, env={TODAY_ENV: "2026-11-30"}) as url:
        page = open_page(f"{url}/reports?fy=2025", "reports-meetings")
        assert page.locator('[data-testid="stException"]').count() == 0
        table = page.get_by_role("table", name="推進本部会議の記録")
        assert "令和8年度第1回推進本部" in table.inner_text()
        assert "2026-07-15" in table.inner_text()
        # The record form is drawn once its expander is opened (no one is registered: anyone may).
        assert page.get_by_label("会議名").count() == 0
        page.get_by_text("会議を記録・削除する").click()
        page.get_by_label("会議名").wait_for(timeout=30_000)

        _, deck = download(page, "会議資料をダウンロード", tmp_path)
        second = list(Presentation(io.BytesIO(deck)).slides)[1]
        assert second.shapes.title is not None
        assert second.shapes.title.text_frame.text == CHANGES_TITLE
        assert page.locator('[data-testid="stException"]').count() == 0
