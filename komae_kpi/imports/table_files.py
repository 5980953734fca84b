"""Reading a spreadsheet-like file (CSV or XLSX) into rows numbered as a spreadsheet shows them.

CSV comes from Excel in Japan as Shift_JIS (CP932), as UTF-8 with a BOM, or as plain UTF-8; the
encoding is detected, not asked for. XLSX is read from its first sheet unless one is named.
Problems are returned as Japanese messages naming the file, never raised half-way.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# openpyxl's read-only mode streams rows; data_only gives the values Excel last calculated.
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

MAX_FILE_BYTES = 20 * 1024 * 1024  # far above a year's reports; guards against a wrong file
DELIMITER_SAMPLE_LINES = 20  # as many lines as the importer searches for the header row


@dataclass(frozen=True, kw_only=True)
class SheetRow:
    number: int  # the row number a spreadsheet shows (1 = first line)
    cells: tuple[Any, ...]


@dataclass(frozen=True, kw_only=True)
class TableFile:
    name: str
    sha256: str
    format_label: str  # e.g. "CSV（Shift_JIS）", "Excel（シート「照会」）"
    rows: tuple[SheetRow, ...] = ()
    problems: tuple[str, ...] = field(default=())
    sheet_names: tuple[str, ...] = ()  # every sheet of a workbook; empty for CSV


def column_letter(index: int) -> str:
    """'A' for the first column (index 0), as a spreadsheet labels it."""
    return str(get_column_letter(index + 1))


def read_table(name: str, data: bytes, *, sheet: str | None = None) -> TableFile:
    sha = hashlib.sha256(data).hexdigest()
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if len(data) > MAX_FILE_BYTES:
        return TableFile(
            name=name,
            sha256=sha,
            format_label="",
            problems=(f"{name}: ファイルが大きすぎます（20MBまで）。",),
        )
    if suffix in ("xlsx", "xlsm"):
        return _read_xlsx(name, sha, data, sheet)
    if suffix == "xls":
        return TableFile(
            name=name,
            sha256=sha,
            format_label="",
            problems=(
                f"{name}: 古いExcel形式（.xls）には対応していません。"
                "Excelで「Excel ブック（.xlsx）」として保存し直してください。",
            ),
        )
    if suffix in ("csv", "txt", "tsv"):
        if sheet is not None:
            return TableFile(
                name=name,
                sha256=sha,
                format_label="",
                problems=(f"{name}: CSVファイルにはシートがありません。",),
            )
        return _read_csv(name, sha, data)
    return TableFile(
        name=name,
        sha256=sha,
        format_label="",
        problems=(f"{name}: 取り込めるのはCSV（.csv）とExcel（.xlsx）のファイルです。",),
    )


def _decode(data: bytes) -> tuple[str, str] | None:
    """(text, encoding label), trying the encodings Japanese spreadsheets write, strictest first."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's 「Unicode テキスト」 is UTF-16 with a BOM (and tab separated).
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:  # an odd number of bytes, or a lone surrogate
            return None
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "UTF-8（BOM付き）"
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        # CP932 is what Windows and Excel mean by Shift_JIS (it adds ①, ㈱, 髙 and more).
        return data.decode("cp932"), "Shift_JIS"
    except UnicodeDecodeError:
        return None


def _delimiter(text: str) -> str:
    """Tab or comma, by which of them more of the first lines hold.

    Not the first line alone: a title line above the header may hold neither (or a comma in its
    text), while every line of the table holds its separator.
    """
    lines = text.splitlines()[:DELIMITER_SAMPLE_LINES]
    tabbed = sum(1 for line in lines if "\t" in line)
    commas = sum(1 for line in lines if "," in line)
    return "\t" if tabbed > commas else ","


def _read_csv(name: str, sha: str, data: bytes) -> TableFile:
    decoded = _decode(data)
    if decoded is None:
        return TableFile(
            name=name,
            sha256=sha,
            format_label="CSV",
            problems=(
                f"{name}: 文字コードを判別できません。UTF-8またはShift_JISのCSVとして保存してください。",
            ),
        )
    text, encoding = decoded
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        # A spreadsheet shows each record as one row, even when a quoted cell holds line breaks,
        # so the row number is the record's position, not the line's.
        for number, cells in enumerate(reader, start=1):
            rows.append(SheetRow(number=number, cells=tuple(cells)))
    except csv.Error as exc:
        return TableFile(
            name=name,
            sha256=sha,
            format_label=f"CSV（{encoding}）",
            problems=(f"{name}: {len(rows) + 1}行目をCSVとして読めません（{exc}）。",),
        )
    return TableFile(name=name, sha256=sha, format_label=f"CSV（{encoding}）", rows=tuple(rows))


@dataclass(frozen=True, kw_only=True)
class UncalculatedFormula:
    """A formula cell whose result the file does not hold (written by a program, never opened
    and saved in Excel): its value is unknown, so it must not be read as blank."""

    formula: str

    def __str__(self) -> str:
        return self.formula


def _position(cell: Any) -> tuple[int, int]:
    """(row, column); (0, 0) for the placeholder cells read-only mode gives empty positions."""
    return (getattr(cell, "row", None) or 0, getattr(cell, "column", None) or 0)


def _uncalculated_formula_cells(data: bytes, title: str) -> dict[tuple[int, int], str]:
    """(row, column) → formula text of every formula cell in the sheet."""
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        found = {}
        for cells in workbook[title].iter_rows():
            for c in cells:
                if isinstance(c.value, str) and c.value.startswith("=") and getattr(c, "row", None):
                    found[(c.row, c.column)] = c.value
        return found
    finally:
        workbook.close()


def _unreadable_xlsx(name: str, sha: str, exc: Exception) -> TableFile:
    return TableFile(
        name=name,
        sha256=sha,
        format_label="Excel",
        problems=(f"{name}: Excelファイル（.xlsx）として開けません（{type(exc).__name__}）。",),
    )


def _read_xlsx(name: str, sha: str, data: bytes, sheet: str | None) -> TableFile:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        # A damaged file fails wherever openpyxl's zip and XML parsers notice it (BadZipFile,
        # KeyError, ElementTree.ParseError, ValueError, ...): each means "not a workbook".
        return _unreadable_xlsx(name, sha, exc)
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            names = "」「".join(workbook.sheetnames)
            return TableFile(
                name=name,
                sha256=sha,
                format_label="Excel",
                problems=(f"{name}: シート「{sheet}」がありません（あるのは「{names}」）。",),
            )
        if not isinstance(worksheet, ReadOnlyWorksheet):  # a chart sheet has no cells
            return TableFile(
                name,
                sha,
                "Excel",
                problems=(f"{name}: シート「{worksheet.title}」は表のシートではありません。",),
            )
        # Read-only mode trusts the size the file declares (<dimension>), and files written by
        # other programs may declare too small a one: openpyxl would silently cut rows and columns.
        worksheet.reset_dimensions()
        formulas = _uncalculated_formula_cells(data, worksheet.title)
        rows = []
        for cells in worksheet.iter_rows():
            values = tuple(
                UncalculatedFormula(formula=formulas[_position(c)])
                if c.value is None and _position(c) in formulas
                else _cell_value(c)
                for c in cells
            )
            number = next((c.row for c in cells if getattr(c, "row", None)), None)
            if number is None or all(v is None for v in values):
                continue
            rows.append(SheetRow(number=number, cells=values))
        return TableFile(
            name=name,
            sha256=sha,
            format_label=f"Excel（シート「{worksheet.title}」）",
            rows=tuple(rows),
            sheet_names=tuple(workbook.sheetnames),
        )
    except Exception as exc:
        # Read-only mode parses a sheet's XML only while its rows are read.
        return _unreadable_xlsx(name, sha, exc)
    finally:
        workbook.close()


def _cell_value(cell: Any) -> Any:
    """A cell's value as the spreadsheet shows it.

    A number formatted as a percentage holds the fraction (72.9% is 0.729); it is handed over as
    the text the sheet shows, "72.9%", so that it reads as 72.9 with the unit %, not as 0.729.
    """
    value = cell.value
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and _scales_to_percent(getattr(cell, "number_format", None) or "")
    ):
        # Decimal of the shortest repr: 0.729 × 100 is exactly 72.9, not 72.89999999999999.
        percent = (Decimal(repr(value)) * 100).normalize()
        return f"{percent:f}%"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        unit = _literal_unit(getattr(cell, "number_format", None) or "")
        if unit is not None:
            # #,##0"千円" shows 2,230,000千円: the unit is part of what the sheet shows.
            return f"{Decimal(repr(value)).normalize():f}{unit}"
    return value


# Parts of a number format that are shown as written: "quoted text", \x (one escaped character),
# and [brackets] (colour, condition, locale).
_LITERAL_PARTS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


_LITERAL_UNIT = re.compile(r'"(億円|百万円|千円|円|日)"|\\(円|日)')


def _literal_unit(number_format: str) -> str | None:
    """A unit the format appends as literal text: #,##0"千円" → 千円 (first section only)."""
    first = number_format.split(";", 1)[0]
    match = _LITERAL_UNIT.search(first)
    return (match.group(1) or match.group(2)) if match else None


def _scales_to_percent(number_format: str) -> bool:
    """Whether the format multiplies by 100: a % outside quotes. 0.0"%" only appends a sign."""
    return "%" in _LITERAL_PARTS.sub("", number_format)
