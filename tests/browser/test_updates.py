"""/updates in headless Chromium, and imports while a dashboard server reads the same store."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from komae_kpi.common.paths import PROJECT_ROOT
from komae_kpi.judgement.progress import load_snapshot
from komae_kpi.store.connection import init_store
from komae_kpi.store.entries import save_indicator_value
from komae_kpi.views import entry_views
from tests.browser.conftest import settle, streamlit_server

pytestmark = pytest.mark.browser
PARTS = f'nav[aria-label="{entry_views.PARTS_LABEL}"]'  # the page's links to its parts

VALUES_TABLE = 'table[aria-label="財政調整基金残高の実績値と出典"]'


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "komae_kpi", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_an_import_while_the_dashboard_runs_shows_on_the_next_load(
    tmp_path: Path, open_page: Callable[[str, str], Any]
) -> None:
    db = tmp_path / "kpi.duckdb"
    init_store(db)
    save_indicator_value(db, 4, 2024, 22.0, source="決算（テスト）")
    actuals = tmp_path / "実績_令和7年度.csv"
    actuals.write_bytes(
        '指標,年度,実績値,出典\r\n財政調整基金残高,令和7年度,"2,150,000千円",決算見込\r\n'.encode(
            "cp932"
        )
    )
    with streamlit_server(db) as url:
        page = open_page(f"{url}/indicators?fy=2025&indicator=4", "indicators-before-import")
        assert "21.5億円" not in page.locator(VALUES_TABLE).inner_text()
        result = run_cli("import", str(actuals), "--db", str(db), "--user", "財政課 試験")
        assert result.returncode == 0, result.stderr
        assert "1件を取り込みました" in result.stdout
        page.reload()
        settle(page)
        table = page.locator(VALUES_TABLE).inner_text()
        assert "21.5億円" in table and "決算見込" in table
        history = page.locator('table[aria-label="変更履歴"]').first.inner_text()
        assert "財政課 試験" in history and "実績_令和7年度.csv" in history
        assert page.locator('[data-testid="stException"]').count() == 0


def test_a_busy_store_makes_the_import_wait_then_say_so(tmp_path: Path) -> None:
    db = tmp_path / "kpi.duckdb"
    init_store(db)
    actuals = tmp_path / "a.csv"
    actuals.write_text("指標,年度,実績値\n3,2025,89.0\n", encoding="utf-8")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; con = duckdb.connect({str(db)!r}); print('holding', flush=True);"
            " time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        result = run_cli("import", str(actuals), "--db", str(db), "--wait", "1")
        assert result.returncode == 1
        assert "使用中" in result.stderr and "1秒待ちました" in result.stderr
    finally:
        holder.kill()
        holder.wait()
    assert load_snapshot(db).indicator_value(3, 2025) is None
    result = run_cli("import", str(actuals), "--db", str(db))  # free again: it goes through
    assert result.returncode == 0, result.stderr
    found = load_snapshot(db).indicator_value(3, 2025)
    assert found is not None and found.value == 89.0


def test_uploading_a_file_in_the_browser_previews_and_imports(
    tmp_path: Path, open_page: Callable[[str, str], Any]
) -> None:
    db = tmp_path / "kpi.duckdb"
    init_store(db)
    statuses = tmp_path / "statuses.csv"
    statuses.write_text(
        '項目番号,年度,進捗状況,取組実績\n21,R7,順調,"<img src=x onerror=window.__xss=1>中期財政ビジョン"\n',
        encoding="utf-8-sig",
    )
    with streamlit_server(db) as url:
        page = open_page(f"{url}/updates?fy=2025", "updates-before-upload")
        page.locator(PARTS).get_by_role("link", name="ファイルの取込").click()
        page.wait_for_url("**part=import**")
        uploader = page.locator('input[type="file"]')
        uploader.wait_for(state="attached", timeout=30_000)  # the part is drawn when chosen
        uploader.set_input_files(str(statuses))
        page.get_by_text("新規 1件、変更 0件、変更なし 0件").wait_for(timeout=30_000)
        page.screenshot(
            path=str(PROJECT_ROOT / "test-artifacts" / "screenshots" / "updates-preview.png")
        )
        page.get_by_role("button", name="1件を取り込む").click()
        page.get_by_text("1件を取り込みました", exact=False).wait_for(timeout=30_000)
        settle(page)
        assert page.evaluate("() => window.__xss") is None
        assert page.locator('[data-testid="stException"]').count() == 0
    saved = load_snapshot(db).item_status(21, 2025)
    assert saved is not None and saved.status == "順調"


def test_saving_an_actual_in_the_browser(
    tmp_path: Path, open_page: Callable[[str, str], Any]
) -> None:
    db = tmp_path / "kpi.duckdb"
    init_store(db)
    with streamlit_server(db) as url:
        page = open_page(f"{url}/updates?fy=2025", "updates-form")
        page.get_by_role("textbox", name="令和7年度 (2025)の実績値（単位: %）").fill("７２．５")
        page.get_by_role("textbox", name="出典").fill("市民意識調査")
        page.get_by_role("button", name="保存する").first.click()
        page.get_by_text("保存しました。").wait_for(timeout=30_000)
        settle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
    found = load_snapshot(db).indicator_value(1, 2025)
    assert found is not None and (found.value, found.source) == (72.5, "市民意識調査")


def test_the_inquiry_workbook_downloads_from_the_page(
    tmp_path: Path, open_page: Callable[[str, str], Any]
) -> None:
    import io

    import openpyxl

    db = tmp_path / "kpi.duckdb"
    init_store(db)
    with streamlit_server(db) as url:
        page = open_page(f"{url}/updates?fy=2025", "updates-workbook")
        page.locator(PARTS).get_by_role("link", name="照会様式（Excel）").click()
        page.wait_for_url("**part=workbook**")
        button = page.get_by_role("button", name="の照会様式", exact=False).first
        button.wait_for(timeout=30_000)
        with page.expect_download(timeout=60_000) as info:
            button.click()
        assert info.value.suggested_filename.startswith("照会_") and "令和7年度" in (
            info.value.suggested_filename
        )
        target = tmp_path / "wb.xlsx"
        info.value.save_as(target)
        sheet = openpyxl.load_workbook(io.BytesIO(target.read_bytes())).worksheets[0]
        assert sheet.title == "照会" and sheet.max_row > 4
        assert page.locator('[data-testid="stException"]').count() == 0
