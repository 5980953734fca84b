"""Reading a spreadsheet-like file (CSV or XLSX) into rows numbered as a spreadsheet shows them.

CSV comes from Excel in Japan as Shift_JIS (CP932), as UTF-8 with a BOM, or as plain UTF-8; the
encoding is detected, not asked for. XLSX is read from its first sheet unless one is named.
Problems are returned as Japanese messages naming the file, never raised half-way.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

# openpyxl's read-only mode streams rows; data_only gives the values Excel last calculated.
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

MAX_FILE_BYTES = 20 * 1024 * 1024  # far above a year's reports; guards against a wrong file


@dataclass(frozen=True)
class SheetRow:
    number: int  # the row number a spreadsheet shows (1 = first line)
    cells: tuple[Any, ...]


@dataclass(frozen=True)
class TableFile:
    name: str
    sha256: str
    format_label: str  # e.g. "CSV（Shift_JIS）", "Excel（シート「照会」）"
    rows: tuple[SheetRow, ...] = ()
    problems: tuple[str, ...] = field(default=())


def column_letter(index: int) -> str:
    """'A' for the first column (index 0), as a spreadsheet labels it."""
    return str(get_column_letter(index + 1))


def read_table(name: str, data: bytes, *, sheet: str | None = None) -> TableFile:
    sha = hashlib.sha256(data).hexdigest()
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if len(data) > MAX_FILE_BYTES:
        return TableFile(name, sha, "", problems=(f"{name}: ファイルが大きすぎます（20MBまで）。",))
    if suffix in ("xlsx", "xlsm"):
        return _read_xlsx(name, sha, data, sheet)
    if suffix == "xls":
        return TableFile(
            name,
            sha,
            "",
            problems=(
                f"{name}: 古いExcel形式（.xls）には対応していません。"
                "Excelで「Excel ブック（.xlsx）」として保存し直してください。",
            ),
        )
    if suffix in ("csv", "txt", "tsv"):
        if sheet is not None:
            return TableFile(
                name, sha, "", problems=(f"{name}: CSVファイルにはシートがありません。",)
            )
        return _read_csv(name, sha, data)
    return TableFile(
        name,
        sha,
        "",
        problems=(f"{name}: 取り込めるのはCSV（.csv）とExcel（.xlsx）のファイルです。",),
    )


def _decode(data: bytes) -> tuple[str, str] | None:
    """(text, encoding label), trying the encodings Japanese spreadsheets write, strictest first."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's 「Unicode テキスト」 is UTF-16 with a BOM (and tab separated).
        return data.decode("utf-16"), "UTF-16"
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


def _read_csv(name: str, sha: str, data: bytes) -> TableFile:
    decoded = _decode(data)
    if decoded is None:
        return TableFile(
            name,
            sha,
            "CSV",
            problems=(
                f"{name}: 文字コードを判別できません。UTF-8またはShift_JISのCSVとして保存してください。",
            ),
        )
    text, encoding = decoded
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        # A spreadsheet shows each record as one row, even when a quoted cell holds line breaks,
        # so the row number is the record's position, not the line's.
        for number, cells in enumerate(reader, start=1):
            rows.append(SheetRow(number, tuple(cells)))
    except csv.Error as exc:
        return TableFile(
            name,
            sha,
            f"CSV（{encoding}）",
            problems=(f"{name}: {len(rows) + 1}行目をCSVとして読めません（{exc}）。",),
        )
    return TableFile(name, sha, f"CSV（{encoding}）", tuple(rows))


def _read_xlsx(name: str, sha: str, data: bytes, sheet: str | None) -> TableFile:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        return TableFile(
            name,
            sha,
            "Excel",
            problems=(f"{name}: Excelファイル（.xlsx）として開けません（{type(exc).__name__}）。",),
        )
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            names = "」「".join(workbook.sheetnames)
            return TableFile(
                name,
                sha,
                "Excel",
                problems=(f"{name}: シート「{sheet}」がありません（あるのは「{names}」）。",),
            )
        rows = []
        for cells in worksheet.iter_rows():
            values = tuple(c.value for c in cells)
            number = next((c.row for c in cells if getattr(c, "row", None)), None)
            if number is None or all(v is None for v in values):
                continue
            rows.append(SheetRow(number, values))
        return TableFile(name, sha, f"Excel（シート「{worksheet.title}」）", tuple(rows))
    finally:
        workbook.close()
