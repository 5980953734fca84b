"""The output commands: report (HTML, PDF), deck, opendata (ZIP, Excel)."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import openpyxl
import pytest
from pptx import Presentation
from pypdf import PdfReader

from komae_kpi.cli import main
from komae_kpi.outputs.chart_images import chromium_path
from komae_kpi.store.entries import save_indicator_value


@pytest.fixture(autouse=True)
def _chromium() -> None:
    if chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run must install Debian's chromium")
        pytest.skip("Chromium is not installed")


def test_report_deck_and_open_data_from_the_command_line(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save_indicator_value(store, 5, 2025, 165.0, source="決算")
    pdf, html, deck = tmp_path / "r.pdf", tmp_path / "r.html", tmp_path / "d.pptx"
    assert (
        main(["report", "--db", str(store), "--fiscal-year", "令和7年度", "--out", str(pdf)]) == 0
    )
    assert "グラフ 8点" in capsys.readouterr().out
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "市債残高" in text and "165.0億円" in text
    assert main(["report", "--db", str(store), "--fiscal-year", "R7", "--out", str(html)]) == 0
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main(["deck", "--db", str(store), "--fiscal-year", "2025", "--out", str(deck)]) == 0
    assert len(Presentation(str(deck)).slides) >= 4
    titles = [s.shapes.title.text_frame.text for s in Presentation(str(deck)).slides]
    assert "未報告の取組項目（部署別）" in titles and "見直し・未報告の取組項目" not in titles
    # --full keeps the item-by-item appendix at the end.
    full = tmp_path / "full.pptx"
    args = ["deck", "--db", str(store), "--fiscal-year", "2025", "--out", str(full), "--full"]
    assert main(args) == 0
    full_titles = [s.shapes.title.text_frame.text for s in Presentation(str(full)).slides]
    assert full_titles == [*titles, "見直し・未報告の取組項目"]
    archive, book = tmp_path / "o.zip", tmp_path / "o.xlsx"
    assert main(["opendata", "--db", str(store), "--out", str(archive)]) == 0
    assert any(n.endswith("indicators.csv") for n in zipfile.ZipFile(archive).namelist())
    assert main(["opendata", "--db", str(store), "--out", str(book)]) == 0
    assert "指標" in openpyxl.load_workbook(book).sheetnames


@pytest.mark.parametrize(
    ("command", "out", "message"),
    [
        ("report", "r.docx", "報告書の保存先は .html か .pdf にしてください"),
        ("deck", "d.ppt", "会議資料の保存先は .pptx にしてください"),
    ],
)
def test_a_wrong_file_type_is_refused_in_japanese(
    store: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    out: str,
    message: str,
) -> None:
    args = [command, "--db", str(store), "--fiscal-year", "2025", "--out", str(tmp_path / out)]
    assert main(args) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / out).exists()


def test_opendata_refuses_other_types(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["opendata", "--db", str(store), "--out", str(tmp_path / "x.csv")]) == 1
    assert "保存先は .zip か .xlsx にしてください" in capsys.readouterr().err


def test_a_report_outside_the_plan_period_is_refused_before_any_browser_starts(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import komae_kpi.outputs.report.pdf as report_pdf

    def no_browser() -> None:
        raise AssertionError("a browser was started for a year that cannot be reported")

    monkeypatch.setattr(report_pdf, "chart_renderer", no_browser)
    out = tmp_path / "r.pdf"
    assert main(["report", "--db", str(store), "--fiscal-year", "2023", "--out", str(out)]) == 1
    assert "計画期間" in capsys.readouterr().err and not out.exists()
