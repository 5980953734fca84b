"""Reading a spreadsheet-like file (CSV or XLSX) into rows numbered as a spreadsheet shows them.

CSV comes from Excel in Japan as Shift_JIS (CP932), as UTF-8 with a BOM, or as plain UTF-8; the
encoding is detected, not asked for. XLSX is read from its first visible sheet unless one is
named.
Problems are returned as Japanese messages naming the file, never raised half-way.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from komae_kpi.imports import read_limits
from komae_kpi.imports.import_cells import shown
from komae_kpi.imports.read_limits import (
    HEADER_SEARCH_ROWS,
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    megabytes,
    too_many_cells,
    too_many_rows,
    xlsx_size_problem,
)

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


# Whether a row is the table's header row, as the importer reading the file recognises it.
HeaderTest = Callable[[SheetRow], bool]


def column_letter(index: int) -> str:
    """'A' for the first column (index 0), as a spreadsheet labels it (not openpyxl's, which
    would load openpyxl for a CSV file or a refused one).

    >>> [column_letter(i) for i in (0, 25, 26, 16_383)]
    ['A', 'Z', 'AA', 'XFD']
    """
    letters = ""
    number = index + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def read_table(
    name: str, data: bytes, *, sheet: str | None = None, is_header: HeaderTest | None = None
) -> TableFile:
    """The file's rows, or its problems, within the limits of read_limits.

    is_header: when given, the header is looked for in the first HEADER_SEARCH_ROWS rows, and a
    file without one is not read further (the caller then reports the missing header).
    """
    sha = hashlib.sha256(data).hexdigest()
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if len(data) > MAX_FILE_BYTES:
        return TableFile(
            name=name,
            sha256=sha,
            format_label="",
            problems=(
                f"{name}: ファイルが大きすぎます（{megabytes(read_limits.MAX_FILE_BYTES)}まで）。",
            ),
        )
    if suffix in ("xlsx", "xlsm", "xls"):
        # A workbook is known by its first bytes: an .xlsx renamed .xls (which Excel opens after
        # a warning) is read as one, and an Excel 97-2003 file renamed .xlsx is named as such.
        if data.startswith(_OLE2) and _ENCRYPTED in data:
            return TableFile(
                name=name,
                sha256=sha,
                format_label="Excel",
                problems=(
                    f"{name}: パスワードで保護されたExcelファイルは読めません。Excelの「ファイル」→"
                    "「情報」→「ブックの保護」→「パスワードを使用して暗号化」でパスワードを消し、"
                    "保存し直してください。",
                ),
            )
        if data.startswith(_OLE2) or (suffix == "xls" and not data.startswith(_ZIP)):
            return TableFile(
                name=name,
                sha256=sha,
                format_label="",
                problems=(
                    f"{name}: 古いExcel形式（.xls）には対応していません。"
                    "Excelで「Excel ブック（.xlsx）」として保存し直してください。",
                ),
            )
        too_large = xlsx_size_problem(name, data)
        if too_large is not None:
            return TableFile(name=name, sha256=sha, format_label="Excel", problems=(too_large,))
        return _read_xlsx(name, sha, data, sheet, is_header)
    if suffix in ("csv", "txt", "tsv"):
        if sheet is not None:
            return TableFile(
                name=name,
                sha256=sha,
                format_label="",
                problems=(f"{name}: CSVファイルにはシートがありません。",),
            )
        return _read_csv(name, sha, data, is_header)
    return TableFile(
        name=name,
        sha256=sha,
        format_label="",
        problems=(f"{name}: 取り込めるのはCSV（.csv）とExcel（.xlsx）のファイルです。",),
    )


# The first bytes of an .xlsx (a zip archive) and of an .xls (an OLE2 compound file).
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A workbook saved with a password to open is an OLE2 file holding the encrypted .xlsx in a
# stream of this name (MS-OFFCRYPTO 2.3.4), as its directory writes it (UTF-16).
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")

_UNKNOWN_ENCODING = "文字コードを判別できません。UTF-8またはShift_JISのCSVとして保存してください。"


def _decode(data: bytes) -> tuple[str, str] | str:
    """(text, encoding label), trying the encodings Japanese spreadsheets write, strictest first;
    or why the bytes are not wholly one encoding.

    A file whose lines were pasted together from two sources can hold UTF-8 lines and Shift_JIS
    lines. CP932 accepts nearly any byte pair, so decoding such a file as Shift_JIS "works" and
    stores the UTF-8 lines as mojibake (会議 → 莨夊ｭｰ): such a file is refused, naming the line.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's 「Unicode テキスト」 is UTF-16 with a BOM (and tab separated).
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:  # an odd number of bytes, or a lone surrogate
            return _UNKNOWN_ENCODING
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    try:
        return body.decode("utf-8"), "UTF-8（BOM付き）" if bom else "UTF-8"
    except UnicodeDecodeError:
        pass
    # Shift_JIS never uses the byte of a line feed, so the file splits into lines either way.
    lines = body.split(b"\n")
    first_utf8 = next((i for i, line in enumerate(lines) if _is_utf8_beyond_ascii(line)), None)
    not_utf8 = next(i for i, line in enumerate(lines) if not _is_utf8(line))
    # A BOM says UTF-8 too, when some line after it is readable as such.
    if first_utf8 is not None or (bom and not_utf8 > 0):
        if first_utf8 is None or first_utf8 < not_utf8:
            return _mixed(lines, not_utf8, "UTF-8", "Shift_JISなど別の文字コード")
        return _mixed(lines, first_utf8, "Shift_JIS", "UTF-8")
    if bom:
        return _UNKNOWN_ENCODING
    # CP932 is what Windows and Excel mean by Shift_JIS (it adds ①, ㈱, 髙 and more).
    sjis, euc = _strictly(body, "cp932"), _strictly(body, "euc_jp")
    if sjis is not None and (euc is None or not _EUC_AS_SJIS.search(sjis)):
        return sjis, "Shift_JIS"
    if euc is None:
        return _UNKNOWN_ENCODING
    if sjis is None or _PRIVATE_USE.search(sjis):
        return euc, "EUC-JP"
    return _either(sjis, euc)


# EUC-JP read as Shift_JIS: its two-byte characters mostly fall on half-width katakana (0xA1-0xDF
# are single bytes in Shift_JIS), the others often on bytes Shift_JIS does not use, which CP932
# maps to private-use characters. Real Shift_JIS text never holds those.
_EUC_AS_SJIS = re.compile("[\uff61-\uff9f\ue000-\uf8ff]")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def _strictly(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _either(sjis: str, euc: str) -> str:
    """Why bytes that read as Shift_JIS (in half-width katakana) and as EUC-JP alike are refused,
    showing the first line that differs both ways: which one is meant is for the person to say."""
    # 0x0A is never part of a two-byte character in either: the lines are the same lines; and the
    # line holding the half-width katakana reads otherwise in EUC-JP, so one line differs.
    lines = sjis.split("\n")
    index, (as_sjis, as_euc) = next(
        (i, pair)
        for i, pair in enumerate(zip(lines, euc.split("\n"), strict=True))
        if pair[0] != pair[1]
    )
    return (
        f"文字コードがShift_JISかEUC-JPか判別できません（{_row_after(lines[:index])}行目が"
        f"Shift_JISでは「{shown(as_sjis.strip())}」、EUC-JPでは「{shown(as_euc.strip())}」）。"
        "UTF-8またはShift_JISのCSVとして保存し直してください。"
    )


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_utf8_beyond_ascii(line: bytes) -> bool:
    return not line.isascii() and _is_utf8(line)


def _mixed(lines: list[bytes], breaking: int, encoding: str, other: str) -> str:
    """Why a file mixing encodings is refused, naming the first line not in the file's encoding
    by its row number as a spreadsheet shows it (a quoted line break keeps one row)."""
    codec = "utf-8" if encoding == "UTF-8" else "cp932"
    before = [b.decode(codec, errors="replace") for b in lines[:breaking]]
    return (
        f"{_row_after(before)}行目が{encoding}ではありません。文字コードが混ざっています（{encoding}のファイルに"
        f"{other}の行があります）。このまま読むと文字化けするため、取り込みません。"
        "ファイル全体を1つの文字コード（UTF-8またはShift_JIS）で保存し直してください。"
    )


def _row_after(lines: list[str]) -> int:
    """The row number, as a spreadsheet shows it, of the line after these (a quoted line break
    keeps one row)."""
    before = "\n".join(lines)
    return 1 + (sum(1 for _ in csv.reader(io.StringIO(before + "\n", newline=""))) if lines else 0)


def _delimiter(text: str) -> str:
    """Tab or comma, by which of them more of the first lines hold.

    Not the first line alone: a title line above the header may hold neither (or a comma in its
    text), while every line of the table holds its separator.
    """
    # Line by line: splitlines() would split all of a file of millions of empty lines.
    lines = list(itertools.islice(io.StringIO(text, newline=None), DELIMITER_SAMPLE_LINES))
    tabbed = sum(1 for line in lines if "\t" in line)
    commas = sum(1 for line in lines if "," in line)
    return "\t" if tabbed > commas else ","


def _read_csv(name: str, sha: str, data: bytes, is_header: HeaderTest | None) -> TableFile:
    decoded = _decode(data)
    if isinstance(decoded, str):
        return TableFile(
            name=name, sha256=sha, format_label="CSV", problems=(f"{name}: {decoded}",)
        )
    text, encoding = decoded
    delimiter = _delimiter(text)
    if text.count(delimiter) > MAX_CELLS:
        # The csv module builds a whole record before it can be looked at: count fields first.
        return TableFile(
            name=name,
            sha256=sha,
            format_label=f"CSV（{encoding}）",
            problems=(too_many_cells(name),),
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    label = f"CSV（{encoding}）"
    # A spreadsheet shows each record as one row, even when a quoted cell holds line breaks,
    # so the row number is the record's position, not the line's.
    records = (
        SheetRow(number=number, cells=tuple(cells)) for number, cells in enumerate(reader, start=1)
    )
    read = _Rows(name=name, is_header=is_header)
    try:
        read.collect(records)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            # the csv module's own cap (128 KiB) is above ours: name ours
            problem = read.too_long(read.next_number, None)
        else:
            problem = f"{name}: {read.next_number}行目をCSVとして読めません（{exc}）。"
        return TableFile(name=name, sha256=sha, format_label=label, problems=(problem,))
    if read.problem is not None:
        return TableFile(name=name, sha256=sha, format_label=label, problems=(read.problem,))
    return TableFile(name=name, sha256=sha, format_label=label, rows=tuple(read.rows))


@dataclass(kw_only=True)
class _Rows:
    """The rows of a file as they are read, within the limits on rows and on characters per cell,
    and no further than the header search when the header is not found."""

    name: str
    is_header: HeaderTest | None
    skip_blank: bool = False  # a workbook's empty rows are not rows of its table
    rows: list[SheetRow] = field(default_factory=list)
    problem: str | None = None
    next_number: int = 1

    def collect(self, rows: Iterable[SheetRow]) -> None:
        header_found = self.is_header is None
        for row in rows:
            self.next_number = row.number + 1
            if row.number > MAX_ROWS:
                self.problem = too_many_rows(self.name)
                return
            for index, cell in enumerate(row.cells):
                if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
                    self.problem = self.too_long(row.number, index, len(cell))
                    return
            if self.skip_blank and all(v is None for v in row.cells):
                continue
            self.rows.append(row)
            if not header_found:
                assert self.is_header is not None
                header_found = self.is_header(row)
                if not header_found and len(self.rows) >= HEADER_SEARCH_ROWS:
                    return  # no header where one is looked for: the rest is not read

    def too_long(self, number: int, index: int | None, length: int | None = None) -> str:
        where = f"{self.name} {number}行目" + (
            f" {column_letter(index)}列" if index is not None else ""
        )
        count = f"{length:,}文字あります。" if length is not None else ""
        return f"{where}: 文字が多すぎます（{count}1つのセルに{MAX_CELL_CHARS:,}文字まで）。"


@dataclass(frozen=True, kw_only=True)
class UncalculatedFormula:
    """A formula cell whose result the file does not hold (written by a program, never opened
    and saved in Excel): its value is unknown, so it must not be read as blank."""

    formula: str

    def __str__(self) -> str:
        return self.formula


def _uncalculated_formula_cells(
    data: bytes, title: str, last_row: int
) -> dict[tuple[int, int], str]:
    """(row, column) → formula text of every formula cell in the sheet, up to last_row (the rows
    that were read)."""
    from openpyxl import load_workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        found = {}
        worksheet = workbook[title]
        assert isinstance(worksheet, ReadOnlyWorksheet)
        worksheet.reset_dimensions()
        for cells in worksheet.iter_rows(max_row=last_row):
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
        problems=(
            f"{name}: Excelファイル（.xlsx）として開けません（ファイルが壊れているか、"
            f"別の形式のファイルです。詳細: {type(exc).__name__}）。",
        ),
    )


def _read_xlsx(
    name: str, sha: str, data: bytes, sheet: str | None, is_header: HeaderTest | None
) -> TableFile:
    # openpyxl (about 0.2 s and 25 MB to load) is imported only here, when a workbook is read: a
    # CSV, or a file refused by its size, never needs it. Its read-only mode streams rows;
    # data_only gives the values Excel last calculated.
    from openpyxl import load_workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        # A damaged file fails wherever openpyxl's zip and XML parsers notice it (BadZipFile,
        # KeyError, ElementTree.ParseError, ValueError, ...): each means "not a workbook".
        return _unreadable_xlsx(name, sha, exc)
    try:
        if sheet is None:
            # The first sheet a person sees: a hidden one (the lists behind 入力規則, a lookup
            # table) comes first in many office workbooks, and is never the one filled in.
            shown_sheets = [w for w in workbook.worksheets if w.sheet_state == "visible"]
            worksheet = (shown_sheets or workbook.worksheets)[0]
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
                name=name,
                sha256=sha,
                format_label="Excel",
                problems=(f"{name}: シート「{worksheet.title}」は表のシートではありません。",),
            )
        # Read-only mode trusts the size the file declares (<dimension>), and files written by
        # other programs may declare too small a one: openpyxl would silently cut rows and columns.
        worksheet.reset_dimensions()
        label = f"Excel（シート「{worksheet.title}」）"
        read = _Rows(name=name, is_header=is_header, skip_blank=True)
        read.collect(_sheet_rows(worksheet))
        if read.problem is not None:
            return TableFile(name=name, sha256=sha, format_label=label, problems=(read.problem,))
        rows = read.rows
        if any(v is None for row in rows for v in row.cells):
            # A blank may be a formula never calculated: look for formulas in the rows read only.
            formulas = _uncalculated_formula_cells(data, worksheet.title, read.next_number - 1)
            rows = [_with_formulas(row, formulas) for row in rows]
        return TableFile(
            name=name,
            sha256=sha,
            format_label=label,
            rows=tuple(rows),
            sheet_names=tuple(workbook.sheetnames),
        )
    except Exception as exc:
        # Read-only mode parses a sheet's XML only while its rows are read.
        return _unreadable_xlsx(name, sha, exc)
    finally:
        workbook.close()


def _sheet_rows(worksheet: Any) -> Iterator[SheetRow]:
    """Every row of the sheet as it is parsed, empty ones included (numbered as shown).

    worksheet: a ReadOnlyWorksheet (typed Any: openpyxl's stubs give it Worksheet's iter_rows).
    """
    for number, cells in enumerate(worksheet.iter_rows(), start=1):
        # iter_rows starts at row 1 and yields an empty tuple for each row the file skips.
        yield SheetRow(number=number, cells=tuple(_cell_value(c) for c in cells))


def _with_formulas(row: SheetRow, formulas: dict[tuple[int, int], str]) -> SheetRow:
    """The row with each blank that is an uncalculated formula shown as one."""
    cells = tuple(
        UncalculatedFormula(formula=formulas[(row.number, i + 1)])
        if v is None and (row.number, i + 1) in formulas
        else v
        for i, v in enumerate(row.cells)
    )
    return SheetRow(number=row.number, cells=cells)


def _cell_value(cell: Any) -> Any:
    """A cell's value as the spreadsheet shows it.

    A number formatted as a percentage holds the fraction (72.9% is 0.729); it is handed over as
    the text the sheet shows, "72.9%", so that it reads as 72.9 with the unit %, not as 0.729.
    A date formatted to show its year alone is that year (2025 for 2025-01-01 shown as 「2025」).
    """
    value = cell.value
    number_format = getattr(cell, "number_format", None) or ""
    if _is_number(value) and _is_era_date_format(number_format):
        # openpyxl knows a date by y, m or d in its format, not by 和暦's era codes (ggge年m月d日,
        # ge.m.d): such a date comes as its serial number (45748).
        value = _from_serial(cell, value)
    if isinstance(value, dt.datetime) and _shows_year_alone(number_format):
        # A date shown as 2025 or 令和7年 (a 年度 column of dates): the year shown, which is the
        # date's calendar year in either era, not the fiscal year its January-March would be.
        return value.year
    if _is_number(value) and _scales_to_percent(number_format):
        # Decimal of the shortest repr: 0.729 × 100 is exactly 72.9, not 72.89999999999999.
        percent = (Decimal(repr(value)) * 100).normalize()
        return f"{percent:f}%"
    if _is_number(value):
        unit = _literal_unit(number_format)
        scale = _thousands_shown(number_format)
        if unit is not None or scale:
            # #,##0"千円" shows 2,230,000千円: the unit is part of what the sheet shows; #,##0,
            # shows 2,230,000,000 as 2,230,000 (a sheet in yen shown in 千円).
            shown = (Decimal(repr(value)) / 1000**scale).normalize()
            return f"{shown:f}{unit or ''}"
    return value


_SCALING_COMMAS = re.compile(r"[0#?](,+)[^0#?]*$")


def _thousands_shown(number_format: str) -> int:
    """How many times the format divides by 1,000: one for each comma after its last digit
    (#,##0, shows thousands, #,##0,, millions); a comma between digits only groups them."""
    codes = re.sub(r"_.|\*.", "", _format_codes(number_format))  # _) and *x pad, show nothing
    match = _SCALING_COMMAS.search(codes)
    return len(match.group(1)) if match else 0


# Parts of a number format that are shown as written: "quoted text", \x (one escaped character),
# and [brackets] (colour, condition, locale).
_LITERAL_PARTS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


_LITERAL_UNIT = re.compile(r'"(億円|百万円|千円|円|日)"|\\(円|日)')


def _literal_unit(number_format: str) -> str | None:
    """A unit the format appends as literal text: #,##0"千円" → 千円 (first section only)."""
    first = number_format.split(";", 1)[0]
    match = _LITERAL_UNIT.search(first)
    return (match.group(1) or match.group(2)) if match else None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _format_codes(number_format: str) -> str:
    """The codes of a format's first section, without its literal parts: 'ggge' for ggge"年".

    The general format is no code: General, or G/標準 as Japanese Excel writes it (its g is not
    an era's).
    """
    codes = _LITERAL_PARTS.sub("", number_format.split(";", 1)[0]).lower()
    return codes.replace("general", "").replace("g/標準", "")


def _is_era_date_format(number_format: str) -> bool:
    """A date format of 和暦: the era's name (g) or year (e), and no digit of a number (0 # ?;
    1.2E+03 is a number's exponent)."""
    codes = _format_codes(number_format)
    return any(c in codes for c in "ge") and not any(c in codes for c in "0#?")


def _from_serial(cell: Any, serial: float) -> Any:
    """The date of a serial number, by the workbook's date system (1900, or Mac's 1904)."""
    from openpyxl.utils.datetime import from_excel

    workbook = getattr(getattr(cell, "parent", None), "parent", None)
    epoch = getattr(workbook, "epoch", None)
    try:
        return from_excel(serial, epoch) if epoch is not None else from_excel(serial)
    except (ValueError, OverflowError):
        return serial  # not a day a date can be: the number as it is


def _shows_year_alone(number_format: str) -> bool:
    """Whether a date format shows the year and nothing else: yyyy, ggge"年" (e: the era's year)."""
    codes = _format_codes(number_format)
    return any(c in codes for c in "ye") and not any(c in codes for c in "mdhs")


def _scales_to_percent(number_format: str) -> bool:
    """Whether the format multiplies by 100: a % outside quotes. 0.0"%" only appends a sign."""
    return "%" in _LITERAL_PARTS.sub("", number_format)
