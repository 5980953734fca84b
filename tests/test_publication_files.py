"""The open data ZIP holds exactly the export; the workbook holds the same rows, typed, and runs nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from komae_kpi.common.spreadsheet_text import spreadsheet_safe
from komae_kpi.judgement.progress import Snapshot, load_snapshot
from komae_kpi.outputs.export import TABLES, Column, export_open_data
from komae_kpi.outputs.publication_files import (
    EXPLANATION_SHEET,
    ZIP_TIMESTAMP,
    finance_workbook,
    finance_workbook_name,
    open_data_folder,
    open_data_zip,
    open_data_zip_name,
    write_finance_workbook,
    write_open_data_zip,
)
from komae_kpi.store.demo import write_demo_store
from komae_kpi.store.entries import save_indicator_value, save_item_status

FORMULA_TEXT = '=HYPERLINK("http://example.invalid","x")'
ZIP_UTF8_FLAG = 0x800


@pytest.fixture
def filled(store: Path) -> Path:
    """A city store with entries of this year, some of whose texts a spreadsheet would run."""
    save_indicator_value(store, 1, 2025, 72.5, source="市民意識調査", note="=1+1")
    save_indicator_value(store, 3, 2024, 88.0, source="決算カード")
    save_item_status(
        store,
        1,
        2025,
        "順調",
        achievements=FORMULA_TEXT,
        issues="-1件",
        next_steps="@SUM(A1)",
    )
    save_item_status(store, 62, 2025, "やや遅れ", achievements="改行を含む\n取組実績")
    return store


@pytest.fixture
def demo_store(tmp_path: Path) -> Path:
    path = tmp_path / "demo.duckdb"
    write_demo_store(path)
    return path


def read_csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


# --- the open data ZIP ---------------------------------------------------------------------------


def test_the_zip_holds_every_exported_file_byte_for_byte(filled: Path, tmp_path: Path) -> None:
    snapshot = load_snapshot(filled)
    exported = export_open_data(snapshot, tmp_path / "export")
    folder = open_data_folder(snapshot)
    with zipfile.ZipFile(io.BytesIO(open_data_zip(snapshot))) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == [f"{folder}/{p.name}" for p in exported]
        for path in exported:
            assert archive.read(f"{folder}/{path.name}") == path.read_bytes(), path.name
    assert {p.name for p in exported} >= {"data_dictionary.csv", "README.txt", "items.csv"}


def test_zip_names_are_plain_ascii_for_japanese_windows(filled: Path) -> None:
    snapshot = load_snapshot(filled)
    assert open_data_zip_name(snapshot) == "komae_kpi_opendata_2025.zip"
    with zipfile.ZipFile(io.BytesIO(open_data_zip(snapshot))) as archive:
        for info in archive.infolist():
            # Without the UTF-8 flag Explorer decodes names as cp932: only ASCII is safe both ways.
            assert info.filename.isascii() and not info.flag_bits & ZIP_UTF8_FLAG
            assert info.filename.startswith("komae_kpi_opendata_2025/")
            assert info.compress_type == zipfile.ZIP_DEFLATED


def test_the_same_store_gives_the_same_zip_bytes(filled: Path) -> None:
    first = open_data_zip(load_snapshot(filled))
    second = open_data_zip(load_snapshot(filled))
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {ZIP_TIMESTAMP}
    save_item_status(filled, 2, 2025, "完了")
    assert open_data_zip(load_snapshot(filled)) != first


def test_a_demo_stores_zip_says_it_is_demo_data(demo_store: Path, store: Path) -> None:
    demo = load_snapshot(demo_store)
    assert open_data_zip_name(demo).endswith("_demo.zip")
    with zipfile.ZipFile(io.BytesIO(open_data_zip(demo))) as archive:
        readme = archive.read(f"{open_data_folder(demo)}/README.txt").decode("utf-8-sig")
    assert readme.startswith("【デモデータ】")
    city = load_snapshot(store)
    with zipfile.ZipFile(io.BytesIO(open_data_zip(city))) as archive:
        readme = archive.read(f"{open_data_folder(city)}/README.txt").decode("utf-8-sig")
    assert "デモ" not in readme


def test_the_files_are_written_where_asked(filled: Path, tmp_path: Path) -> None:
    snapshot = load_snapshot(filled)
    zip_path = write_open_data_zip(snapshot, tmp_path / "out" / "open.zip")
    book_path = write_finance_workbook(snapshot, tmp_path / "out" / "book.xlsx")
    assert zip_path.read_bytes() == open_data_zip(snapshot)
    assert zipfile.is_zipfile(zip_path)
    assert openpyxl.load_workbook(book_path).sheetnames[0] == EXPLANATION_SHEET
    assert finance_workbook_name(snapshot) == "komae_kpi_data_2025.xlsx"


# --- the finance workbook ------------------------------------------------------------------------


def load_book(snapshot: Snapshot) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(finance_workbook(snapshot)))


def as_csv_text(value: object, column: Column) -> str:
    """The CSV export's text for a workbook cell, asserting the cell has the column's type."""
    if value is None:
        return ""
    if column.kind == "整数":
        assert type(value) is int, (column.name, value)
        return str(value)
    if column.kind == "数値":
        assert isinstance(value, int | float) and not isinstance(value, bool), (column.name, value)
        return repr(float(value))
    if column.kind == "日付":
        assert isinstance(value, dt.datetime), (column.name, value)
        return value.date().isoformat()
    assert isinstance(value, str), (column.name, value)
    return str(spreadsheet_safe(value))


def sheet(book: openpyxl.Workbook, title: str) -> Worksheet:
    found = book[title]
    assert isinstance(found, Worksheet)
    return found


def test_one_sheet_per_table_after_the_explanation(filled: Path) -> None:
    book = load_book(load_snapshot(filled))
    assert book.sheetnames == [EXPLANATION_SHEET, *(t.title for t in TABLES)]
    for name in book.sheetnames:
        assert len(name) <= 31 and not set(name) & set("[]:*?/\\"), name


def test_each_sheet_holds_the_csv_rows_with_numbers_as_numbers(
    filled: Path, tmp_path: Path
) -> None:
    snapshot = load_snapshot(filled)
    export_open_data(snapshot, tmp_path / "export")
    book = load_book(snapshot)
    for table in TABLES:
        ws = sheet(book, table.title)
        csv_rows = read_csv_rows(tmp_path / "export" / f"{table.file_stem}.csv")
        rows = list(ws.iter_rows(values_only=True))
        labels = [c.label for c in table.columns]
        assert list(rows[0]) == labels and len(set(labels)) == len(labels), table.title
        assert csv_rows[0] == [c.name for c in table.columns]
        assert len(rows) == len(csv_rows) > 1, table.title
        for got, want in zip(rows[1:], csv_rows[1:], strict=True):
            assert [as_csv_text(v, c) for v, c in zip(got, table.columns, strict=True)] == want


def test_numbers_have_formats_and_the_sheets_filter_and_freeze(filled: Path) -> None:
    book = load_book(load_snapshot(filled))
    values = sheet(book, "指標の実績値")
    header = [c.value for c in values[1]]
    row = values[2]
    year = row[header.index("年度")]
    assert type(year.value) is int and year.number_format == "0"  # 2025, not 2,025
    value = row[header.index("実績値")]
    assert isinstance(value.value, float) and value.number_format.startswith("0.0;")
    for title in (t.title for t in TABLES):
        ws = sheet(book, title)
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
    items = sheet(book, "取組項目")
    text = next(c for c in items[1] if c.value == "取組内容")
    assert (items.column_dimensions[text.column_letter].width or 0) >= 40
    assert items.cell(2, text.column).alignment.wrap_text  # long texts wrap, not overflow
    number = next(c for c in items[1] if c.value == "取組項目番号")
    assert 8 < (items.column_dimensions[number.column_letter].width or 0) < 20
    reference = sheet(book, "参考の財政指標")
    strength = next(r for r in reference.iter_rows(min_row=2) if r[0].value.startswith("fiscal"))
    assert strength[3].number_format.startswith("0.00;")  # 財政力指数 has two decimals


def test_a_text_starting_with_equals_is_text_not_a_formula(filled: Path) -> None:
    data = finance_workbook(load_snapshot(filled))
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = sheet(book, "取組項目の進捗状況")
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == 1)
    achievements = row[header.index("取組実績")]
    assert achievements.value == FORMULA_TEXT and achievements.data_type == "s"
    assert achievements.quotePrefix  # stays text even after someone edits it in Excel
    assert row[header.index("課題")].value == "-1件"
    assert row[header.index("今後の方向性")].value == "@SUM(A1)"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == len(TABLES) + 1
        for name in sheets:
            assert not re.search(r"<(\w+:)?f[ >]", archive.read(name).decode("utf-8")), name


def test_the_explanation_sheet_holds_the_data_dictionary(filled: Path) -> None:
    ws = sheet(load_book(load_snapshot(filled)), EXPLANATION_SHEET)
    cells = list(ws.iter_rows(values_only=True))
    header_at = next(
        i for i, r in enumerate(cells) if r[:4] == ("シート", "ファイル", "列名", "項目名")
    )
    described = {(r[0], r[2], r[3]) for r in cells[header_at + 1 :]}
    for table in TABLES:
        for column in table.columns:
            assert (table.title, column.name, column.label) in described
    assert all(r[5] for r in cells[header_at + 1 :])


def all_text(book: openpyxl.Workbook) -> str:
    return "\n".join(
        str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v
    )


def test_only_a_demo_stores_workbook_says_demo_data(demo_store: Path, filled: Path) -> None:
    demo = load_book(load_snapshot(demo_store))
    first = sheet(demo, EXPLANATION_SHEET)
    assert str(first["A1"].value).startswith("【デモデータ】")
    assert "狛江市の実績ではありません" in all_text(demo)
    assert first["A1"].font.bold
    city = load_book(load_snapshot(filled))
    assert "デモ" not in all_text(city)
    for ws in city.worksheets:
        header = ws.oddHeader
        assert header is not None and "デモ" not in (header.center.text or "")
