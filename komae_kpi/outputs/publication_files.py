"""Downloadable publication files: the open data set as one ZIP, and the same tables as a workbook.

The ZIP holds exactly what export_open_data writes (CSV UTF-8 with BOM, JSON, data dictionary,
README), in one folder, with fixed timestamps so that the same store always gives the same bytes.
The workbook is for the finance section: one sheet per table with Japanese column labels, numbers
as numbers, and a first sheet 説明 with the data dictionary.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common.files import atomic_write_bytes
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.outputs.export import (
    DEMO_NOTICE,
    TABLES,
    Column,
    Table,
    data_dictionary,
    export_open_data,
    table_rows,
)
from komae_kpi.outputs.xlsx_text import set_text
from komae_kpi.plan import facts

# The DOS epoch, the earliest time a ZIP entry can carry: a constant instead of the time of writing,
# so that the same store gives the same ZIP bytes (as reproducible builds do).
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
_ZIP_FILE_MODE = 0o100644  # a regular file, rw-r--r--
_ZIP_COMPRESS_LEVEL = 9

EXPLANATION_SHEET = "説明"
WORKBOOK_TITLE = f"{facts.TITLE} 進捗データ"

_INTEGER_FORMAT = "0"  # years and numbers without a thousands separator: 2025, not 2,025
_DATE_FORMAT = "yyyy-mm-dd"
_DEFAULT_DECIMALS = 1
_TEXT_WIDTH_MAX = 60  # wider text columns wrap instead
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_DEMO_FILL = PatternFill("solid", fgColor="FFF2CC")
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")


def _name_stem(snapshot: Snapshot) -> str:
    # ASCII only: a ZIP without the UTF-8 flag is read in the system code page (cp932 on Japanese
    # Windows), where ASCII is the one safe subset.
    stem = f"komae_kpi_opendata_{snapshot.latest_fiscal_year()}"
    return stem + "_demo" if snapshot.is_demo else stem


def open_data_folder(snapshot: Snapshot) -> str:
    """The folder in the ZIP: extracting "here" gives one folder named like the ZIP, not loose files."""
    return _name_stem(snapshot)


def open_data_zip_name(snapshot: Snapshot) -> str:
    return _name_stem(snapshot) + ".zip"


def finance_workbook_name(snapshot: Snapshot) -> str:
    stem = f"komae_kpi_data_{snapshot.latest_fiscal_year()}"
    return (stem + "_demo" if snapshot.is_demo else stem) + ".xlsx"


def open_data_zip(snapshot: Snapshot) -> bytes:
    """The open data set of the export command as one ZIP, the same bytes for the same store."""
    folder = open_data_folder(snapshot)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="komae_kpi_opendata_") as tmp:
        files = export_open_data(snapshot, Path(tmp))
        with zipfile.ZipFile(buffer, "w") as archive:
            for path in files:
                name = f"{folder}/{path.name}"
                if not name.isascii():
                    raise ValueError(f"ZIP member names must be ASCII: {name!r}")
                info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
                info.compress_type = zipfile.ZIP_DEFLATED
                # ZipInfo records the platform it runs on; fixing it keeps the bytes the same
                # wherever the ZIP is built.
                info.create_system = 3
                info.external_attr = _ZIP_FILE_MODE << 16
                archive.writestr(info, path.read_bytes(), compresslevel=_ZIP_COMPRESS_LEVEL)
    return buffer.getvalue()


def write_open_data_zip(snapshot: Snapshot, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(out, open_data_zip(snapshot))


def write_finance_workbook(snapshot: Snapshot, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(out, finance_workbook(snapshot))


def _display_width(text: str) -> int:
    """Width in Excel's character units, roughly: a full-width character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _signed_format(decimals: int) -> str:
    # The finance section writes negatives with △; the cell stays a number (sort, sum, filter).
    digits = "0." + "0" * decimals if decimals > 0 else "0"
    return f'{digits};"△"{digits}'


def _set_value(cell: Cell, value: Any, column: Column, number_format: str) -> None:
    if value is None:
        return
    if column.kind == "日付":
        cell.value = dt.date.fromisoformat(value)
        cell.number_format = _DATE_FORMAT
    elif column.kind == "整数":
        cell.value = int(value)
        cell.number_format = _INTEGER_FORMAT
    elif column.kind == "数値":
        cell.value = float(value)
        cell.number_format = number_format
    else:
        set_text(cell, str(value))


def _write_header(sheet: Worksheet, row: int, labels: list[str]) -> None:
    for column, label in enumerate(labels, start=1):
        cell = sheet.cell(row=row, column=column)
        assert isinstance(cell, Cell)
        set_text(cell, label)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _fit_columns(sheet: Worksheet, widths: dict[int, int]) -> None:
    for column, width in widths.items():
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = min(width, _TEXT_WIDTH_MAX) + 2
        if width > _TEXT_WIDTH_MAX:
            for (cell,) in sheet.iter_rows(min_col=column, max_col=column, min_row=2):
                cell.alignment = _WRAP_TOP


def _print_setup(sheet: Worksheet, *, demo: bool) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    # openpyxl types these as optional, but a new worksheet always has them.
    setup, footer, header = sheet.sheet_properties.pageSetUpPr, sheet.oddFooter, sheet.oddHeader
    assert setup is not None and footer is not None and header is not None
    setup.fitToPage = True
    footer.center.text = "&P / &N"
    if demo:
        # A printed sheet travels without the 説明 sheet: mark every page.
        header.center.text = (
            f"【デモデータ】架空の値を含みます。{facts.PUBLISHER}の実績ではありません。"
        )


def _value_formats(snapshot: Snapshot, table: Table, rows: list[dict[str, Any]]) -> list[str]:
    """The number format of each row's value: a reference series declares its own decimals."""
    if table.file_stem != "reference_values":
        return [_signed_format(_DEFAULT_DECIMALS)] * len(rows)
    decimals = {s.series_code: s.decimals for s in snapshot.reference_series}
    return [_signed_format(decimals.get(r["series_code"], _DEFAULT_DECIMALS)) for r in rows]


def _table_sheet(
    book: Workbook, snapshot: Snapshot, table: Table, rows: list[dict[str, Any]]
) -> None:
    sheet = book.create_sheet(table.title)
    labels = [c.label for c in table.columns]
    _write_header(sheet, 1, labels)
    widths = {n: _display_width(label) for n, label in enumerate(labels, start=1)}
    for offset, (row, value_format) in enumerate(
        zip(rows, _value_formats(snapshot, table, rows), strict=True)
    ):
        for n, column in enumerate(table.columns, start=1):
            cell = sheet.cell(row=2 + offset, column=n)
            assert isinstance(cell, Cell)
            value = row[column.name]
            _set_value(cell, value, column, value_format)
            if value is not None:
                shown = max((_display_width(line) for line in str(value).splitlines()), default=0)
                widths[n] = max(widths[n], shown)
    _fit_columns(sheet, widths)
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(labels))
    sheet.auto_filter.ref = f"A1:{last}{max(1, len(rows) + 1)}"
    sheet.print_title_rows = "1:1"
    _print_setup(sheet, demo=snapshot.is_demo)


def _explanation_lines(snapshot: Snapshot) -> list[str]:
    first = facts.FIRST_FISCAL_YEAR  # an example: the plan's first year
    return [
        "各シートは、オープンデータ（CSV・JSON）の同名の表と同じ行を収録しています。",
        f"収録データの最新の年度: {fy.label(snapshot.latest_fiscal_year())}",
        f"年度は西暦の年度（4月〜翌年3月）で、{first}は{fy.wareki(first)}です。",
        "数値は数値として保存しています。負の数は △ で表示します（セルの値は負の数です）。",
        "文字列はすべて文字列として保存しており、= などで始まる文字列も数式として実行されません"
        "（CSVと異なり、先頭に ' は付けていません）。",
        "各列の意味は下の「データ項目定義」のとおりです。列名はCSV・JSONでの列の名前です。",
    ]


def _explanation_sheet(book: Workbook, snapshot: Snapshot) -> None:
    sheet = book.active
    assert sheet is not None
    sheet.title = EXPLANATION_SHEET
    row = 1

    def line(text: str, font: Font | None = None, fill: PatternFill | None = None) -> None:
        nonlocal row
        cell = sheet.cell(row=row, column=1)
        assert isinstance(cell, Cell)
        set_text(cell, text)
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
        row += 1

    line(("【デモデータ】" if snapshot.is_demo else "") + WORKBOOK_TITLE, Font(bold=True, size=14))
    if snapshot.is_demo:
        for notice in DEMO_NOTICE.strip().splitlines():
            line(notice, Font(bold=True, size=12, color="C00000"), _DEMO_FILL)
    row += 1
    for text in _explanation_lines(snapshot):
        line(text)
    row += 1
    line("データ項目定義", Font(bold=True, size=12))
    header = ["シート", "ファイル", "列名", "項目名", "型", "説明"]
    _write_header(sheet, row, header)
    header_row = row
    widths = {n: _display_width(h) for n, h in enumerate(header, start=1)}
    for table, column in data_dictionary(snapshot):
        row += 1
        values = [
            table.title,
            f"{table.file_stem}.csv / {table.file_stem}.json",
            column.name,
            column.label,
            column.kind,
            column.description,
        ]
        for n, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=n)
            assert isinstance(cell, Cell)
            set_text(cell, value)
            widths[n] = max(widths[n], _display_width(value))
    for n, width in widths.items():
        sheet.column_dimensions[get_column_letter(n)].width = min(width, _TEXT_WIDTH_MAX) + 2
        if width > _TEXT_WIDTH_MAX:
            for (cell,) in sheet.iter_rows(
                min_col=n, max_col=n, min_row=header_row + 1, max_row=row
            ):
                cell.alignment = _WRAP_TOP
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(header))}{row}"
    _print_setup(sheet, demo=snapshot.is_demo)


def finance_workbook(snapshot: Snapshot) -> bytes:
    """An Excel workbook: 説明 (with the data dictionary), then one sheet per open data table."""
    book = Workbook()
    _explanation_sheet(book, snapshot)
    rows = table_rows(snapshot)
    for table in TABLES:
        _table_sheet(book, snapshot, table, rows[table.file_stem])
    book.properties.title = WORKBOOK_TITLE
    book.properties.creator = facts.PUBLISHER
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
