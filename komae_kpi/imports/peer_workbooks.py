"""Reading the ministry's 地方公共団体の主要財政指標一覧 workbooks (総務省, CC BY 4.0).

The ministry publishes two workbooks a year: 全市町村の主要財政指標 (kind "city": one row per
municipality, often ending with the 全国市町村平均) and 市町村主要財政指標の都道府県別平均 (kind
"prefecture_average": one row per prefecture's 市町村平均, and the 全国市町村平均). Their layout has
changed since FY2005 (.xls or .xlsx, with or without 団体コード, 起債制限比率 before 将来負担比率, a
ラスパイレス指数 参考値 column, title rows, one- or two-row headers, footnotes under the table), so
nothing here depends on a position: the header row is found by the names it holds, every column is
read by its header, and the rows of the table are told apart by what they hold.

- A value is a number, or a number written as text (「９１．６」「1,234.5」「△1.2」「－0.3」); a dash,
  「…」「***」 or a blank cell means 「not computed」 and is None, never 0.
- An average row is named 「市町村平均」, under its prefecture or under 「全国」 for the national one.
- 団体コード is the 6-digit code as text. Excel drops the leading 0 of Hokkaido's codes stored as
  numbers (011002 → 11002), and older lists write the 5-digit code without its check digit
  (13219 for 132195); a code of 4 or 5 digits is read as whichever of the two the row's prefecture
  (its JIS number, the code's first two digits) confirms, else by the check digit.
- The fiscal year comes from the title, else the file name, else the year given; sources that name
  different years are refused.

Every problem of a file is reported at once, naming the file, the sheet, the row and the column.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final, Literal

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common import formatting
from komae_kpi.common.errors import ValidationError
from komae_kpi.imports.import_cells import CellError, is_blank, read_number, shown
from komae_kpi.imports.read_limits import (
    MAX_CELL_CHARS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    Problem,
    megabytes,
    reason_kind,
    xlsx_size_problem,
)
from komae_kpi.imports.table_files import column_letter
from komae_kpi.store.peers import PEER_INDICATORS

if TYPE_CHECKING:
    from python_calamine import CalamineWorkbook

WorkbookKind = Literal["city", "prefecture_average"]
NATIONAL: Final = "全国"
AVERAGE_NAME: Final = "市町村平均"

SOURCE_NAME: Final = "総務省「地方公共団体の主要財政指標一覧」"

# The prefectures in the order of their JIS X 0401 numbers (北海道 = 01 … 沖縄県 = 47): the first
# two digits of every 団体コード.
PREFECTURES: tuple[str, ...] = (
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
)

HEADER_SEARCH_ROWS = (
    50  # title rows above the header are a handful; a header further down is not one
)


@dataclass(frozen=True, kw_only=True)
class PeerRow:
    row_number: int  # the row number as a spreadsheet shows it
    code: str | None  # 6-digit 団体コード; None without a code column, and for averages
    prefecture: str  # 都道府県名; 「全国」 for the national average
    name: str  # 団体名; 「市町村平均」 for an average (a prefecture's or the national one)
    values: Mapping[str, float | None]  # one entry per indicator column of its sheet
    sheet: str = ""  # the sheet the row is on; blank: the workbook's one sheet

    @property
    def is_average(self) -> bool:
        return self.name == AVERAGE_NAME


@dataclass(frozen=True, kw_only=True)
class PeerWorkbook:
    file_name: str
    sha256: str
    sheet: str  # the sheet read; 「市、町村」 for a table on several sheets
    kind: WorkbookKind
    fiscal_year: int
    indicators: tuple[str, ...]  # the indicator columns of any sheet, in PEER_INDICATORS order
    rows: tuple[PeerRow, ...]


# --- header names ---------------------------------------------------------------------------------

Role = str  # "code", "prefecture", "name" (a label column), or an indicator's name
_LABELS: dict[str, Literal["code", "prefecture", "name"]] = {
    "団体コード": "code",
    "コード": "code",
    "市町村コード": "code",
    "市区町村コード": "code",
    "地方公共団体コード": "code",
    "全国地方公共団体コード": "code",
    "都道府県名": "prefecture",
    "都道府県": "prefecture",
    "団体名": "name",
    "市町村名": "name",
    "市区町村名": "name",
    "地方公共団体名": "name",
}
_LABEL_NAMES = {"code": "団体コード", "prefecture": "都道府県名", "name": "団体名"}
# Longest first, so that 「ラスパイレス指数参考値」 is not read as 「ラスパイレス指数」 plus a remark.
_BY_LENGTH = sorted(PEER_INDICATORS, key=len, reverse=True)
_BRACKETS = re.compile(r"[()\[\]「」『』【】〔〕<>〈〉《》]")
_FOOTNOTE_MARK = re.compile(r"(?:※|\*|注)\d*")
_UNIT_SUFFIX = re.compile(r"(?:単位:?)?(?:%|倍)$")
_REFERENCE = "参考"


def _fold(value: Any) -> str:
    """A cell as compared: NFKC (全角 → 半角), no whitespace (line breaks and 全角 spaces included)."""
    if value is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


def header_key(value: Any) -> str:
    """A header cell as compared: 「経常収支\\n比率（％）※1」 → 「経常収支比率」."""
    key = _FOOTNOTE_MARK.sub("", _BRACKETS.sub("", _fold(value)))
    return _UNIT_SUFFIX.sub("", key)


def _role(key: str) -> tuple[Role, bool] | None:
    """(label or indicator, whether the header is exactly its name) for a header key."""
    if key in _LABELS:
        return _LABELS[key], True
    if key in PEER_INDICATORS:
        return key, True
    for name in _BY_LENGTH:
        # 「ラスパイレス指数(平成18年4月1日現在)」: a remark after the name.
        if key.startswith(name):
            if name == "ラスパイレス指数" and _REFERENCE in key[len(name) :]:
                return "ラスパイレス指数参考値", False
            return name, False
    return None


def _is_header_word(value: Any) -> bool:
    """A cell a header row may hold: a known name, a remark such as 参考値, a unit, or nothing."""
    key = header_key(value)
    return not key or key.startswith(_REFERENCE) or _role(key) is not None


@dataclass(frozen=True, kw_only=True)
class _Column:
    index: int
    role: Role
    exact: bool
    # Its remark leaves something out: 「経常収支比率（減収補塡債特例分及び臨時財政対策債を除く）」,
    # the variant that the ministry's cards show beside the ratio itself.
    excluding: bool = False

    @property
    def letter(self) -> str:
        return column_letter(self.index)

    @property
    def header(self) -> str:
        return _LABEL_NAMES.get(self.role, self.role)

    @property
    def label(self) -> str:
        return f"{self.letter}列「{self.header}」"


@dataclass(frozen=True, kw_only=True)
class _Header:
    first: int  # index of its first row in the sheet
    last: int  # index of its last row (first + 1 for a header over two rows)
    columns: tuple[_Column, ...]

    def labels(self) -> set[Role]:
        return {c.role for c in self.columns}

    def is_valid(self) -> bool:
        roles = self.labels()
        has_label = "prefecture" in roles or "name" in roles
        return has_label and any(r in PEER_INDICATORS for r in roles)


Merges = Sequence[tuple[tuple[int, int], tuple[int, int]]]  # calamine's ((row, col), (row, col))


def _merged_texts(row: Sequence[Any], index: int, merges: Merges) -> tuple[list[str], set[int]]:
    """The row's cells as text, a cell merged across columns repeated over each of them, and the
    columns that got their text that way.

    A cell merged down from the row above stays blank here: its text belongs to that row.
    """
    texts = ["" if is_blank(c) else str(c) for c in row]
    spread: set[int] = set()
    for (top, left), (_bottom, right) in merges:
        if top == index and left < len(texts) and texts[left]:
            for c in range(left + 1, min(right + 1, len(texts))):
                if not texts[c]:
                    texts[c] = texts[left]
                    spread.add(c)
    return texts, spread


def _best_role(candidates: Sequence[str]) -> tuple[str, tuple[Role, bool] | None]:
    """The first candidate text that is exactly a known name, else the first that starts with one."""
    found = [(text, _role(header_key(text))) for text in candidates]
    for exact in (True, False):
        for text, role in found:
            if role is not None and role[1] == exact:
                return text, role
    return candidates[0], None


def _header_at(
    rows: Sequence[Sequence[Any]], first: int, rows_used: int, merges: Merges
) -> _Header:
    """The columns named by rows first .. first+rows_used-1.

    A two-row header reads each column as top + bottom (「ラスパイレス指数」 over 「参考値」), else as
    the bottom (under a group label such as 「財政指標」), else as the top (merged down).
    """
    lines = [_merged_texts(rows[first + k], first + k, merges) for k in range(rows_used)]
    width = max(len(texts) for texts, _ in lines)
    chosen: list[str] = []
    columns: list[_Column] = []
    for index in range(width):
        parts = [texts[index] if index < len(texts) else "" for texts, _ in lines]
        candidates = ["".join(parts), *reversed(parts)] if rows_used > 1 else parts
        text, found = _best_role(candidates)
        if header_key(text).startswith(_REFERENCE):
            # 「参考値」 alone names a variant of the column to its left (ラスパイレス指数).
            left = next((t for t in reversed(chosen) if header_key(t)), "")
            text = left + text
            found = _role(header_key(text))
        chosen.append(text)
        spread = all(index in filled or not parts[k] for k, (_, filled) in enumerate(lines))
        if found is None or (spread and columns and columns[-1].role == found[0]):
            continue  # no name, or one name merged over two columns: the first one holds the data
        remark = header_key(text)[len(found[0]) :] if not found[1] else ""
        columns.append(
            _Column(index=index, role=found[0], exact=found[1], excluding=_EXCLUDING in remark)
        )
    return _Header(first=first, last=first + rows_used - 1, columns=tuple(columns))


def _names_a_column(row: Sequence[Any]) -> bool:
    """Whether a cell of the row is exactly a column name (a title merely mentioning one is not)."""
    return any(
        not is_blank(c) and (found := _role(header_key(c))) is not None and found[1] for c in row
    )


def _find_header(rows: Sequence[Sequence[Any]], merges: Merges) -> _Header | None:
    for first in range(min(len(rows), HEADER_SEARCH_ROWS)):
        if not _names_a_column(rows[first]):
            continue  # a title or a blank line
        single = _header_at(rows, first, 1, merges)
        below = rows[first + 1] if first + 1 < len(rows) else ()
        if any(not is_blank(c) for c in below) and all(_is_header_word(c) for c in below):
            double = _header_at(rows, first, 2, merges)
            if double.is_valid():
                return double
        if single.is_valid():
            return single
    return None


# --- cells ----------------------------------------------------------------------------------------

_DASHES = "‐‑‒–—―−－ーｰ─━"
_DASH = re.compile(f"[{_DASHES}]")
# What the ministry writes for 「not computed」: dashes, an ellipsis, asterisks, or nothing.
_NOT_COMPUTED = re.compile(r"^(?:-+|\.{2,}|…+|‥+|\*+)?$")


def read_value(value: Any) -> float | None:
    """A ratio or index: 91.6, 「９１．６」, 「1,234.5」, 「△1.2」 = -1.2; 「-」「－」「…」 and blank = None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise CellError(
            "は数値として読めません（数値、または算出なしを表す「-」を書いてください）。"
        )
    if isinstance(value, str):
        text = _DASH.sub("-", _fold(value))
        if _NOT_COMPUTED.match(text):
            return None
        value = text
    try:
        number, unit = read_number(value)
    except CellError:
        raise CellError(
            "は数値として読めません（数値、または算出なしを表す「-」を書いてください）。"
        ) from None
    if unit not in (None, "%"):
        raise CellError(f"は数値として読めません（単位「{unit}」は使えません）。")
    return number


def check_digit(five: str) -> int:
    """The check digit of a 5-digit 団体コード (JIS X 0402): 13219 → 5 (132195)."""
    total = sum(int(d) * w for d, w in zip(five, (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10


def _prefecture_number(prefecture: str | None) -> str | None:
    if prefecture in PREFECTURES:
        return f"{PREFECTURES.index(prefecture) + 1:02d}"
    return None


def read_code(value: Any, prefecture: str | None) -> str:
    """The 6-digit 団体コード of a cell: '132195', 132195, 11002 (→ '011002'), '13219' (→ '132195')."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    digits = str(value) if isinstance(value, int) and not isinstance(value, bool) else _fold(value)
    if not digits.isascii() or not digits.isdigit() or not 4 <= len(digits) <= 6:
        raise CellError("は団体コードとして読めません（6桁の数字）。")
    if len(digits) == 6:
        return digits
    padded = digits.zfill(6)  # a 6-digit code whose leading 0 Excel dropped
    five = digits.zfill(5)
    completed = five + str(check_digit(five))  # a 5-digit code without its check digit
    number = _prefecture_number(prefecture)
    if number is not None:
        for code in (padded, completed):
            if code.startswith(number):
                return code
        raise CellError(f"は{prefecture}の団体コード（{number}で始まる6桁）として読めません。")
    if len(digits) == 5 and check_digit(padded[:5]) == int(padded[5]):
        return padded
    return completed


def _text(value: Any) -> str:
    """A name cell as kept: 「狛 江 市」 → 「狛江市」 (the ministry pads names to align them)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if is_blank(value) else _fold(value)


def _average_of(text: str) -> str | None:
    """「北海道」 for 「北海道（市町村平均）」 or 「北海道平均」, None when the text names no average."""
    key = _BRACKETS.sub("", text)
    for mark in ("市町村平均", "市区町村平均", "平均"):
        if key.endswith(mark):
            return key[: -len(mark)]
    return None


_FOOTNOTE_STARTS = ("注", "※", "出典", "備考", "資料", "*")


def _is_footnote(cells: Sequence[Any], name_index: int | None) -> bool:
    """A line under the table: 「注1 …」「（注）…」「※ …」「出典：…」「【備考】…」.

    Not a row that names a municipality after such a mark (「※」 in a column of its own marks a
    municipality, it does not make its row a note).
    """
    first = next((i for i, c in enumerate(cells) if not is_blank(c)), None)
    if first is None or not isinstance(cells[first], str):
        return False
    if (
        name_index is not None
        and first < name_index < len(cells)
        and not is_blank(cells[name_index])
    ):
        return False
    return _BRACKETS.sub("", _fold(cells[first])).startswith(_FOOTNOTE_STARTS)


# --- fiscal years ---------------------------------------------------------------------------------

# A year may be written both ways, the other in brackets: 令和3(2021)年度, 2021（令和3）年度.
_TITLE_YEAR = re.compile(
    r"(?:(?P<era>令和|平成)(?P<n>元|\d{1,2})(?:\((?P<western>\d{4})\))?"
    r"|(?<!\d)(?P<y>\d{4})(?:\((?P<era_again>令和|平成)(?P<n_again>元|\d{1,2})\))?)"
    r"年度(?P<closed>決算)?"
)
_NAME_ERA = re.compile(r"(?P<era>令和|平成)(?P<n>元|\d{1,2})(?!\d)")
_NAME_ABBREVIATION = re.compile(r"(?<![A-Za-z0-9])(?P<era>[HhRr])(?P<n>\d{1,2})(?!\d)")
_NAME_WESTERN = re.compile(r"(?<![A-Za-z0-9])(?:FY|fy)?(?P<y>20\d{2})(?!\d)")


def _year(match: re.Match[str]) -> int | None:
    groups = match.groupdict()
    return _parsed_year(groups.get("y") or f"{groups['era']}{groups['n']}")


def _title_years(title: str) -> list[int]:
    """The fiscal years a title names; those said to be 決算 first (「平成27年度決算（平成29年3月公表）」).

    A year written both ways counts as each: when the two disagree, the title names two years.
    """
    matches = list(_TITLE_YEAR.finditer(_fold(title)))
    closed = [m for m in matches if m.group("closed")] or matches
    written = [
        text
        for m in closed
        for text in (
            m.group("y") or f"{m.group('era')}{m.group('n')}",
            m.group("western"),
            m.group("era_again") and f"{m.group('era_again')}{m.group('n_again')}",
        )
        if text
    ]
    return list(dict.fromkeys(y for text in written if (y := _parsed_year(text)) is not None))


def _parsed_year(text: str) -> int | None:
    try:
        return fy.parse(text)
    except fy.FiscalYearError:
        return None


def _file_name_years(file_name: str) -> list[int]:
    stem = _fold(_base_name(file_name)).rsplit(".", 1)[0]
    found: list[int] = []
    for pattern in (_NAME_ERA, _NAME_ABBREVIATION, _NAME_WESTERN):
        found.extend(y for m in pattern.finditer(stem) if (y := _year(m)) is not None)
    return list(dict.fromkeys(found))


def _years(years: Sequence[int]) -> str:
    return "・".join(fy.label(y) for y in years)


def fiscal_year_of(title: str | None, file_name: str, given: int | None) -> int:
    """The fiscal year of a workbook: from its title, else its file name, else the year given.

    Raises ValidationError when none names a year, or when two of them name different years.
    """
    name = _base_name(file_name)
    from_title = _title_years(title or "")
    from_name = _file_name_years(file_name)
    problems = []
    if len(from_title) > 1 and given not in from_title:
        problems.append(
            f"{name}: 見出しに複数の年度（{_years(from_title)}）があり、どれの表か分かりません。"
            "--fiscal-year で年度を指定してください。"
        )
    if len(from_name) > 1:
        problems.append(
            f"{name}: ファイル名に複数の年度（{_years(from_name)}）があります。"
            "ファイル名を年度が1つだけのものにしてください。"
        )
    if problems:
        raise ValidationError(problems)
    sources: list[tuple[str, int | None]] = [
        ("見出しの年度", given if len(from_title) > 1 else next(iter(from_title), None)),
        ("ファイル名の年度", next(iter(from_name), None)),
        ("指定された年度", given),
    ]
    named = [(source, year) for source, year in sources if year is not None]
    if not named:
        raise ValidationError(
            [
                f"{name}: 年度が分かりません（見出しにもファイル名にも年度がありません）。"
                "--fiscal-year で年度を指定してください。"
            ]
        )
    first_source, first_year = named[0]
    for source, year in named[1:]:
        if year != first_year:
            raise ValidationError(
                [
                    f"{name}: {first_source}（{fy.label(first_year)}）と{source}"
                    f"（{fy.label(year)}）が一致しません。正しい年度のファイルか確かめてください。"
                ]
            )
    return first_year


def _base_name(file_name: str) -> str:
    return file_name.replace("\\", "/").rsplit("/", 1)[-1]


# --- the workbook ---------------------------------------------------------------------------------


def _not_this_format(name: str, reason: str) -> ValidationError:
    return ValidationError([f"{name}は{SOURCE_NAME}の様式ではありません（{reason}）。"])


# .xlsx is a zip archive; .xls an OLE2 compound file.
_WORKBOOK_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


def _is_number(cell: Any) -> bool:
    try:
        return read_value(cell) is not None
    except CellError:
        return False


@dataclass(frozen=True, kw_only=True)
class _Sheet:
    name: str
    rows: list[list[Any]]
    header: _Header

    @property
    def holds_values(self) -> bool:
        """Whether a number stands under an indicator's header: a legend or a list of contents
        may name the columns too, but holds none of their values."""
        indexes = [c.index for c in self.header.columns if c.role in PEER_INDICATORS]
        rows = self.rows[self.header.last + 1 :]
        return any(_is_number(r[c]) for r in rows for c in indexes if c < len(r))


def _worksheets(
    name: str, workbook: CalamineWorkbook
) -> Iterator[tuple[str, list[list[Any]], Merges, bool]]:
    """Each worksheet's name, rows, merged ranges and whether it is shown, read one at a time, the
    visible ones first."""
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    # The sheets a person sees first: a hidden one (last year's table, a lookup) is read only when
    # none of them holds the table.
    shown_first = sorted(
        workbook.sheets_metadata, key=lambda m: m.visible != SheetVisibleEnum.Visible
    )
    for metadata in shown_first:
        if metadata.typ != SheetTypeEnum.WorkSheet:
            continue  # a chart sheet has no cells
        try:
            sheet = workbook.get_sheet_by_name(metadata.name)
            # total_height counts from row 1, as the row numbers below do.
            too_many = sheet.total_height > MAX_ROWS
            # skip_empty_area=False keeps blank rows and columns above and left of the data,
            # so that positions are the row numbers and column letters a spreadsheet shows.
            rows = [] if too_many else sheet.to_python(skip_empty_area=False)
            merges = sheet.merged_cell_ranges or []
        except Exception as exc:  # a sheet's XML is parsed only now
            raise _not_this_format(
                name, f"シート「{metadata.name}」を読めません: {type(exc).__name__}"
            ) from exc
        where = f"{name} シート「{metadata.name}」"
        if too_many:
            raise ValidationError([f"{where}: 行が多すぎます（{MAX_ROWS:,}行まで）。"])
        for number, cells in enumerate(rows, start=1):
            for index, cell in enumerate(cells):
                if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
                    raise ValidationError(
                        [
                            f"{where} {number}行目 {column_letter(index)}列: 文字が多すぎます"
                            f"（{len(cell):,}文字あります。1つのセルに{MAX_CELL_CHARS:,}文字まで）。"
                        ]
                    )
        yield metadata.name, rows, merges, metadata.visible == SheetVisibleEnum.Visible


def _open_sheets(name: str, data: bytes) -> list[_Sheet]:
    """The sheets that hold the table: every visible one with its header (a table split into 市 and
    町村, or into groups of prefectures), else the first hidden one."""
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(
            [f"{name}: ファイルが大きすぎます（{megabytes(MAX_FILE_BYTES)}まで）。"]
        )
    too_large = xlsx_size_problem(name, data)  # before calamine builds the sheets in memory
    if too_large is not None:
        raise ValidationError([too_large])
    if not data:
        raise _not_this_format(name, "ファイルが空です")
    if not data.startswith(_WORKBOOK_SIGNATURES):
        raise _not_this_format(
            name, "Excelファイル（.xls・.xlsx）ではありません。CSVなどのテキストは取り込めません"
        )
    # Loaded only for a file that passed the checks above: a refused one never needs calamine.
    from python_calamine import CalamineWorkbook

    try:
        # python-calamine reads .xls (BIFF) and .xlsx alike and tells them apart by content.
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises CalamineError, and others on a damaged file
        raise _not_this_format(
            name, f"Excelファイル（.xls・.xlsx）として開けません: {type(exc).__name__}"
        ) from exc
    found: list[_Sheet] = []
    with workbook:
        for sheet_name, rows, merges, visible in _worksheets(name, workbook):
            if not visible and any(s.holds_values for s in found):
                break  # a hidden sheet is read only when no visible one holds the table
            header = _find_header(rows, merges)
            if header is None:
                continue
            found.append(_Sheet(name=sheet_name, rows=rows, header=header))
            if not visible and found[-1].holds_values:
                break  # the first hidden table, as the one meant
    if not found:
        raise _not_this_format(name, "見出し「都道府県名」「団体名」と指標の列が見つかりません")
    return found


_EXCLUDING = "除く"


def _candidates(header: _Header) -> dict[Role, list[_Column]]:
    """The columns each role may be read from: those named exactly; else those named with a
    remark, leaving out the variants that exclude something (…を除く) when another column is the
    figure itself (…を含む, or a remark that excludes nothing)."""
    by_role: dict[Role, list[_Column]] = {}
    for column in header.columns:
        by_role.setdefault(column.role, []).append(column)
    chosen = {}
    for role, columns in by_role.items():
        exact = [c for c in columns if c.exact]
        whole = [c for c in columns if not c.excluding]
        chosen[role] = exact or whole or columns
    return chosen


def _header_problems(where: str, header: _Header) -> list[str]:
    problems = []
    for columns in _candidates(header).values():
        if len(columns) > 1:
            letters = "、".join(f"{c.letter}列" for c in columns)
            problems.append(
                f"{where}（見出し）: 「{columns[0].header}」の列が複数あります（{letters}）。"
                "どれを読むか分からないため、1列にしてください。"
            )
    return problems


def _columns(header: _Header) -> dict[Role, _Column]:
    """One column per role: the one named exactly, else the one named with a remark (see
    _candidates)."""
    return {role: columns[0] for role, columns in _candidates(header).items()}


def _title(sheet: _Sheet) -> str:
    """The sheet's name and the text above its header: where the ministry writes the year."""
    above = [[c] for row in sheet.rows[: sheet.header.first] for c in row if not is_blank(c)]
    # A note above the table (「※将来負担比率は平成19年度決算から」) is not the title.
    return "\n".join([sheet.name, *(str(c[0]) for c in above if not _is_footnote(c, None))])


def _kind(title: str, has_name_column: bool, names: Sequence[str]) -> WorkbookKind | None:
    """What the title says (都道府県別平均 / 全市町村), else what the rows are: a 団体名 column
    naming municipalities is the city workbook; None for rows of averages alone, which either
    workbook may hold (the 全国市町村平均 on a sheet of its own)."""
    folded = _fold(title)
    if "都道府県別" in folded:
        return "prefecture_average"
    if "全市町村" in folded or (has_name_column and any(_average_of(n) is None for n in names)):
        return "city"
    return None


@dataclass(frozen=True, kw_only=True)
class _Table:
    """A sheet's table as found: its columns, its title, the names in its 団体名 column, and the
    kind of workbook they say it is."""

    where: str  # the file, the sheet and the header's row
    sheet: _Sheet
    columns: dict[Role, _Column]
    title: str
    names: list[str]
    kind: WorkbookKind | None

    @property
    def body(self) -> range:
        return range(self.sheet.header.last + 1, len(self.sheet.rows))

    @property
    def is_of_prefectures(self) -> bool:
        """A table of the prefectures themselves, not of their municipalities."""
        return (
            self.kind == "city" and bool(self.names) and all(n in PREFECTURES for n in self.names)
        )


def _table(file_name: str, sheet: _Sheet) -> _Table:
    columns = _columns(sheet.header)
    title = _title(sheet)
    name_column = columns.get("name")
    names = [
        _text(sheet.rows[i][name_column.index])
        for i in range(sheet.header.last + 1, len(sheet.rows))
        if name_column is not None and name_column.index < len(sheet.rows[i])
    ]
    names = [n for n in names if n]
    return _Table(
        where=f"{file_name} シート「{sheet.name}」 {sheet.header.first + 1}行目",
        sheet=sheet,
        columns=columns,
        title=title,
        names=names,
        kind=_kind(title, name_column is not None, names),
    )


def _table_problems(table: _Table) -> list[str]:
    """What is wrong with a table's header: every row would repeat it."""
    where, columns = table.where, table.columns
    problems = _header_problems(where, table.sheet.header)
    if table.kind == "city" and "name" not in columns:
        problems.append(f"{where}（見出し）: 全市町村の表なのに「団体名」の列がありません。")
    headings = any(n in PREFECTURES for n in table.names)  # 「北海道」 above its municipalities
    if "prefecture" not in columns and "code" not in columns and not headings:
        problems.append(
            f"{where}（見出し）: 「都道府県名」の列も「団体コード」の列もないため、"
            "どの都道府県の団体か分かりません。"
        )
    return problems


def _workbook_year(file_name: str, tables: Sequence[_Table], given: int | None) -> int:
    """The year of the titles that name one (every sheet's must agree), else of the file name, else
    the year given."""
    titled = [t for t in tables if _title_years(t.title)] or list(tables[:1])
    years: dict[int, _Table] = {}
    problems: list[str] = []
    for table in titled:
        try:
            years.setdefault(fiscal_year_of(table.title, file_name, given), table)
        except ValidationError as exc:
            problems.extend(p for p in exc.problems if p not in problems)
    if len(years) > 1:
        named = "、".join(f"シート「{t.sheet.name}」は{fy.label(y)}" for y, t in years.items())
        problems.append(
            f"{file_name}: シートの見出しの年度が一致しません（{named}）。"
            "1つの年度の表だけのファイルにしてください。"
        )
    if problems:
        raise ValidationError(problems)
    return next(iter(years))


def value_text(value: float | None) -> str:
    """A value as a message shows it: 「88.9」, 「－（算定なし）」."""
    return "－（算定なし）" if value is None else formatting.entered(value)


_NATIONAL_LABELS = frozenset({"全国", "全国平均", "全国市町村平均", "全国市区町村平均"})


@dataclass(kw_only=True)
class _RowReader:
    file_name: str
    sheet: _Sheet
    kind: WorkbookKind
    columns: dict[Role, _Column]
    problems: list[str]
    last_prefecture: str = ""  # for a prefecture written once above its municipalities

    def where(self, number: int, column: _Column | None = None) -> str:
        place = f"{self.file_name} シート「{self.sheet.name}」 {number}行目"
        return f"{place} {column.label}" if column else place

    def cell(self, cells: Sequence[Any], role: Role) -> Any:
        column = self.columns.get(role)
        if column is None or column.index >= len(cells):
            return None
        return cells[column.index]

    def values(self, number: int, cells: Sequence[Any]) -> dict[str, float | None]:
        read: dict[str, float | None] = {}
        for indicator in PEER_INDICATORS:
            if indicator not in self.columns:
                continue
            value = self.cell(cells, indicator)
            try:
                read[indicator] = read_value(value)
            except CellError as exc:
                column = self.columns[indicator]
                self.problems.append(
                    Problem(
                        f"{self.where(number, column)}: 「{shown(value)}」{exc}",
                        kind=reason_kind(str(exc)),
                    )
                )
                read[indicator] = None
        return read

    def row(self, index: int) -> PeerRow | None:
        """The row's entity and values; None for a line that is not a row of the table."""
        cells = self.sheet.rows[index]
        number = index + 1
        name_column = self.columns.get("name")
        if _is_footnote(cells, name_column.index if name_column else None):
            return None
        if all(_is_header_word(c) for c in cells):
            return None  # a blank line, or the header repeated on every printed page
        indicator_indexes = {c.index for r, c in self.columns.items() if r in PEER_INDICATORS}
        labels = [
            _BRACKETS.sub("", _text(c))
            for i, c in enumerate(cells)
            if i not in indicator_indexes and not is_blank(c)
        ]
        has_values = any(not is_blank(cells[i]) for i in indicator_indexes if i < len(cells))
        if any(x in _NATIONAL_LABELS or (has_values and x.startswith(NATIONAL)) for x in labels):
            return self._entity(number, cells, NATIONAL, AVERAGE_NAME, None)
        prefecture_cell = _text(self.cell(cells, "prefecture"))
        name_cell = _text(self.cell(cells, "name"))
        code_cell = self.cell(cells, "code")
        if prefecture_cell in PREFECTURES or (has_values and prefecture_cell):
            # A heading row names the prefecture of the rows under it too.
            self.last_prefecture = _average_of(prefecture_cell) or prefecture_cell
        elif "prefecture" not in self.columns and name_cell in PREFECTURES and not has_values:
            self.last_prefecture = name_cell  # a heading in the 団体名 column
            return None
        if not has_values and not (name_cell and (prefecture_cell or not is_blank(code_cell))):
            return None  # a heading or a remark: text without values
        of_prefecture = _average_of(prefecture_cell)  # 「東京都（市町村平均）」 in one cell
        of_name = _average_of(name_cell)  # 「（市町村平均）」, or 「東京都市町村平均」
        if (
            of_prefecture is not None
            or of_name is not None
            or (self.kind == "prefecture_average" and not name_cell)
        ):
            prefecture = of_prefecture or prefecture_cell or of_name or ""
            if not prefecture:
                self.problems.append(f"{self.where(number)}: 平均の行に都道府県名がありません。")
                return None
            return self._entity(number, cells, prefecture, AVERAGE_NAME, None)
        if self.kind == "prefecture_average":
            self.problems.append(
                f"{self.where(number, self.columns['name'])}: 「{name_cell}」は都道府県別平均の"
                "行として読めません（都道府県ごとに「（市町村平均）」の行を置いてください）。"
            )
            return None
        return self._municipality(number, cells, prefecture_cell, name_cell, code_cell)

    def _entity(
        self, number: int, cells: Sequence[Any], prefecture: str, name: str, code: str | None
    ) -> PeerRow:
        values = self.values(number, cells)
        return PeerRow(
            sheet=self.sheet.name,
            row_number=number,
            code=code,
            prefecture=prefecture,
            name=name,
            values=values,
        )

    def _municipality(
        self, number: int, cells: Sequence[Any], prefecture: str, name: str, code_cell: Any
    ) -> PeerRow | None:
        if not name:
            self.problems.append(f"{self.where(number)}: 値があるのに団体名がありません。")
            return None
        if name in PREFECTURES:
            self.problems.append(
                f"{self.where(number, self.columns['name'])}: 「{name}」は市町村ではありません"
                "（都道府県そのものの指標は取り込めません）。"
            )
            return None
        # A prefecture written once above its municipalities (a merged cell, a heading row, or
        # left blank as ditto) is carried down; a code's first two digits name it too.
        carried = prefecture or self.last_prefecture
        code: str | None = None
        code_column = self.columns.get("code")
        if code_column is not None and not is_blank(code_cell):
            try:
                code = read_code(code_cell, carried or None)
            except CellError as exc:
                where = self.where(number, code_column)
                self.problems.append(f"{where}: 「{shown(code_cell)}」{exc}")
        if not prefecture and code is not None and 1 <= int(code[:2]) <= len(PREFECTURES):
            prefecture = PREFECTURES[int(code[:2]) - 1]
        prefecture = prefecture or carried
        if not prefecture:
            self.problems.append(f"{self.where(number)}: {name}の都道府県名がありません。")
            return None
        return self._entity(number, cells, prefecture, name, code)


def same_value(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) < 1e-9


def _disagreements(where: str, earlier: PeerRow, row: PeerRow) -> list[str]:
    """How a row differs from the same municipality's row on another sheet."""
    place = f"シート「{earlier.sheet}」{earlier.row_number}行目"
    entity = f"{row.prefecture}の{row.name}"
    problems = []
    if earlier.code is not None and row.code is not None and earlier.code != row.code:
        problems.append(
            f"{where}: {entity}の団体コード{row.code}が、{place}の{earlier.code}と異なります。"
        )
    for indicator, value in row.values.items():
        if indicator in earlier.values and not same_value(earlier.values[indicator], value):
            problems.append(
                f"{where}: {entity}の{indicator}「{value_text(value)}」が、{place}の"
                f"「{value_text(earlier.values[indicator])}」と異なります（同じ団体の値は1つです）。"
            )
    return problems


def read_peer_workbook(name: str, data: bytes, *, fiscal_year: int | None = None) -> PeerWorkbook:
    """Read one of the ministry's workbooks; raises ValidationError listing every problem.

    name is the file's name (a path is reduced to its last part); fiscal_year is used when
    neither the title nor the file name names the year, and must agree with them when they do.

    A table split over several visible sheets (市 and 町村, groups of prefectures, the 全国市町村平均
    on its own) is read from all of them: a municipality on two sheets is read once when its
    values agree, and is a problem naming both sheets when they do not.
    """
    file_name = _base_name(name)
    tables = [_table(file_name, s) for s in _open_sheets(file_name, data)]
    # Sheets whose header has no values under it (a legend, a list of contents) hold no part of
    # the table; when none has values, the first is read and its emptiness reported.
    tables = [t for t in tables if t.sheet.holds_values] or tables[:1]
    # A table of the prefectures themselves is another table: skipped beside this one, refused
    # alone.
    tables = [t for t in tables if not t.is_of_prefectures]
    if not tables:
        raise _not_this_format(file_name, "市町村ではなく都道府県そのものの指標の表です")
    kind: WorkbookKind = next((t.kind for t in tables if t.kind is not None), "prefecture_average")
    # A sheet of the other kind holds the other workbook's table, not a part of this one.
    tables = [t for t in tables if t.kind in (None, kind)]
    problems = [p for t in tables for p in _table_problems(t)]
    header_is_wrong = bool(problems)
    try:
        year = _workbook_year(file_name, tables, fiscal_year)
    except ValidationError as exc:
        problems.extend(exc.problems)
        year = 0
    if header_is_wrong:
        raise ValidationError(problems)  # every row would repeat the header's problem
    rows: list[PeerRow] = []
    seen_entities: dict[tuple[str, str], PeerRow] = {}
    seen_codes: dict[str, PeerRow] = {}
    for table in tables:
        reader = _RowReader(
            file_name=file_name,
            sheet=table.sheet,
            kind=kind,
            columns=table.columns,
            problems=problems,
        )
        for index in table.body:
            row = reader.row(index)
            if row is None:
                continue
            where = reader.where(row.row_number)
            entity = (row.prefecture, row.name)
            by_entity = seen_entities.get(entity)
            by_code = seen_codes.get(row.code) if row.code is not None else None
            if by_entity is not None and by_entity.sheet == row.sheet:
                problems.append(
                    f"{where}: {row.prefecture}の{row.name}の行が"
                    f"{by_entity.row_number}行目にもあります。1つにしてください。"
                )
                continue
            if by_code is not None and by_code.sheet == row.sheet:
                problems.append(
                    f"{where}: 団体コード{row.code}の行が"
                    f"{by_code.row_number}行目にもあります。1つにしてください。"
                )
                continue
            earlier = by_code or by_entity
            if earlier is not None:
                disagreements = _disagreements(where, earlier, row)
                problems.extend(disagreements)
                extra = {k: v for k, v in row.values.items() if k not in earlier.values}
                if extra and not disagreements:
                    rows.append(replace(row, values=extra))  # what the earlier sheet lacks
                continue  # the same values twice count once
            seen_entities[entity] = row
            if row.code is not None:
                seen_codes[row.code] = row
            rows.append(row)
    if not rows:
        problems.append(f"{tables[0].where}: 見出しの下に団体の行がありません。")
    if problems:
        raise ValidationError(problems)
    return PeerWorkbook(
        file_name=file_name,
        sha256=hashlib.sha256(data).hexdigest(),
        sheet="、".join(t.sheet.name for t in tables),
        kind=kind,
        fiscal_year=year,
        indicators=tuple(i for i in PEER_INDICATORS if any(i in t.columns for t in tables)),
        rows=tuple(rows),
    )
