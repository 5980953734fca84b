"""Reading the cells of an import file: headers, indicator and item references, numbers with units.

Every reader returns either a value or a Japanese reason; the caller adds file, row and column.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from komae_kpi.common import fiscal_year, stages
from komae_kpi.common.errors import KomaeKpiError
from komae_kpi.common.spreadsheet_text import needs_formula_guard
from komae_kpi.common.stages import DEFAULT_STAGE, Stage
from komae_kpi.common.user_text import RECORD_TEXT_RULES, one_line, text_problem
from komae_kpi.plan.model import Indicator, JudgementRule, Plan
from komae_kpi.store.entries import value_problems

Field = Literal[
    "indicator",
    "item",
    "fiscal_year",
    "value",
    "stage",
    "unit",
    "status",
    "achievements",
    "issues",
    "next_steps",
    "note",
    "source",
]

# Header texts per field, compared after normalize_header(). The English names are the export's
# column names, so the open data files import back as they are.
HEADERS: dict[Field, tuple[str, ...]] = {
    "indicator": ("指標", "指標名", "指標番号", "indicator_no", "indicator", "indicator_name"),
    "item": (
        "取組項目",
        "取組項目名",
        "項目番号",
        "取組項目番号",
        "項目名",
        "item_no",
        "item",
        "item_name",
    ),
    "fiscal_year": ("年度", "fiscal_year"),
    "value": ("実績値", "値", "value"),
    "stage": ("区分", "段階", "stage"),
    "unit": ("単位", "unit"),
    "status": ("進捗状況", "status"),
    "achievements": ("取組実績", "achievements"),
    "issues": ("課題", "issues"),
    "next_steps": ("今後の方向性", "next_steps"),
    "note": ("備考", "note"),
    "source": ("出典", "source"),
}
# Fields that may appear in several columns (by number and by name); they must agree.
REFERENCE_FIELDS: frozenset[Field] = frozenset({"indicator", "item"})


def normalize_header(text: Any) -> str:
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text))
    return re.sub(r"\s+", "", folded).lower()


_FIELD_BY_HEADER: dict[str, Field] = {
    normalize_header(h): f for f, headers in HEADERS.items() for h in headers
}


def header_field(text: Any) -> Field | None:
    return header_field_and_unit(text)[0]


KNOWN_UNITS = ("%", "億円", "百万円", "千円", "円", "日")
_HEADER_WITH_UNIT = re.compile(r"^(?P<name>.+?)\((?:単位[:：]?)?(?P<unit>[^()]+)\)$")


def header_field_and_unit(text: Any) -> tuple[Field | None, str | None]:
    """('value', '千円') for 「実績値（千円）」 or 「実績値(単位:%)」; (field, None) for a plain header."""
    key = normalize_header(text)
    if key in _FIELD_BY_HEADER:
        return _FIELD_BY_HEADER[key], None
    name, unit = header_name_and_unit(text)
    if unit is not None and _FIELD_BY_HEADER.get(name) == "value":
        return "value", unit
    return None, None


def header_name_and_unit(text: Any) -> tuple[str, str | None]:
    """A header as compared (normalize_header) and the unit it names: ('市債発行額', '千円') for
    「市債発行額（千円）」 or 「市債発行額(単位:千円)」; (the header, None) without a known unit."""
    key = normalize_header(text)
    match = _HEADER_WITH_UNIT.match(key)
    if match:
        unit = normalize_unit(match.group("unit"))
        if unit in KNOWN_UNITS:
            return match.group("name"), unit
    return key, None


_UNIT_CELL = re.compile(r"^\(?(?:単位:?)?(?P<unit>[^()]+?)\)?$")


def unit_cell(value: Any) -> str | None:
    """The unit a cell states and nothing else: 「（％）」「(千円)」「単位：千円」「%」 (the line under
    a two-row header); None for any other cell."""
    if not isinstance(value, str):
        return None
    match = _UNIT_CELL.match(name_key(value))
    unit = normalize_unit(match.group("unit")) if match else None
    return unit if unit in KNOWN_UNITS else None


def units_line(cells: tuple[Any, ...]) -> dict[int, str]:
    """The unit of each column of a line that states units and nothing else (the second line of
    a two-row header: 「（百万円）」 under each year); empty for any other line."""
    written = {i: unit_cell(c) for i, c in enumerate(cells) if not is_blank(c)}
    return {i: u for i, u in written.items() if u is not None and None not in written.values()}


_TABLE_UNIT = re.compile(r"単位[:：]\s*(%|億円|百万円|千円|円|日)")


def table_unit(cells: tuple[Any, ...]) -> str | None:
    """「（単位：千円）」 written in a row above the table, as finance sheets do."""
    for cell in cells:
        if isinstance(cell, str):
            match = _TABLE_UNIT.search(name_key(cell))
            if match:
                return normalize_unit(match.group(1))
    return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # C0, DEL and C1 (\x9b is CSI)


def text_cell_problem(field: Field, label: str, value: Any) -> str | None:
    """Why a cell's text cannot be stored (common/user_text.py, the form's rule): a text field by
    its own rule, any other column as one line (a number or a name has no line breaks)."""
    if not isinstance(value, str):
        return None
    rule = RECORD_TEXT_RULES.get(field) or one_line(label)
    return text_problem(cell_text(value), rule)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def shown(value: Any) -> str:
    """A cell as a person would recognise it in a message."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    text = _CONTROL.sub("�", str(value))  # never send a terminal escape sequence to the screen
    return text if len(text) <= 40 else text[:40] + "…"


def cell_text(value: Any) -> str | None:
    """A text cell as stored: blank is None; the export's guard apostrophe is removed.

    Our CSV export writes '=… for a text starting with a formula character so a spreadsheet does
    not run it; reading it back removes exactly that apostrophe, so export → import is lossless.
    """
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    if text.startswith("'") and needs_formula_guard(text[1:]):
        return text[1:]
    return text


class CellError(KomaeKpiError):
    """A cell that cannot be read; the message says why."""


class YearMismatchError(CellError):
    """A year written both ways (和暦 and 西暦) that names two different years: a year, but which
    one is for the person to say."""


# --- fiscal years --------------------------------------------------------------------------------


# One year written both ways, as the plan writes its dates (令和6(2024)年4月1日) and the dashboard
# labels a year (令和7年度 (2025)): 「令和7(2025)年度」「2025（令和7）年度」「令和7年度（2025年度）」.
_GLOSSED_YEAR = re.compile(r"^(?P<head>[^()]+)\((?P<gloss>[^()]+)\)(?P<tail>年度|年)?$")
# A date as a spreadsheet writes it to a CSV file: 2025/4/1, 2025-04-01, 2025年4月1日, 令和7年4月1日,
# R7.4.1 (the year in any form fiscal_year.parse reads).
_DATE = re.compile(
    r"^(?P<year>[^/.\-年]+)(?:年|[/.\-])(?P<month>\d{1,2})(?:月|[/.\-])(?P<day>\d{1,2})日?$"
)
_NOT_A_YEAR = "年度として読めません（例: 2025、令和7年度、R7）。"


def read_fiscal_year(value: Any) -> int:
    if isinstance(value, dt.date):
        # A date in a 年度 column (Excel turns some entries into dates): the fiscal year it falls in.
        return fiscal_year.fiscal_year_of(value.date() if isinstance(value, dt.datetime) else value)
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError("年度として読めません。")
        value = int(value)
    if isinstance(value, str):
        text = name_key(value)
        glossed = _GLOSSED_YEAR.match(text)
        if glossed:
            return _glossed_year(glossed["head"] + (glossed["tail"] or ""), glossed["gloss"])
        date = _DATE.match(text)
        if date:
            # The same date as a date cell of a workbook, once the sheet was saved as CSV.
            return fiscal_year.fiscal_year_of(_date(date))
    return _plain_year(value)


def _plain_year(value: Any) -> int:
    try:
        return fiscal_year.parse(value if isinstance(value, int) else str(value))
    except KomaeKpiError as exc:
        raise CellError(_NOT_A_YEAR) from exc


def _glossed_year(outer: str, inner: str) -> int:
    """The year written as outer and again in brackets as inner, when both say the same one."""
    year, again = _plain_year(outer), _plain_year(inner)
    if year != again:
        # Name the 和暦 form's year: which of the two was meant is for the person to say.
        era_year = again if outer[:1].isdigit() else year
        raise YearMismatchError(
            f"和暦と西暦が合いません（{fiscal_year.wareki(era_year)}は{era_year}年度です）。"
        )
    return year


# Words that may follow a year in a table's header: 「令和7年度（見込）」, 「R6決算見込」,
# 「2025年度（当初予算）」. A bracket holding a year is not a note: it is the year written again.
_YEAR_NOTE = re.compile(
    r"(?:\((?P<bracketed>[^()]*)\)|決算見込|見込み|見込|決算|予算|当初|計画|推計)$"
)


def read_year_header(value: Any) -> int:
    """The fiscal year a column header names: read as a 年度 cell is (read_fiscal_year), after the
    notes that follow it. 「令和7年度（見込）」 is 2025; 「令和7年度(2026)」 is refused as a 年度 cell
    is (和暦と西暦が合いません), whatever notes follow it."""
    try:
        return read_fiscal_year(value)
    except YearMismatchError:
        raise
    except CellError:
        if not isinstance(value, str):
            raise
        text = name_key(value)
        bare = _without_notes(text)
        if bare == text:
            raise
    return read_fiscal_year(bare)


def _without_notes(text: str) -> str:
    while (note := _YEAR_NOTE.search(text)) is not None and note.start() > 0:
        if note["bracketed"] is not None:
            inner = _without_notes(note["bracketed"])
            if _names_a_year(inner):
                # 「令和7年度(2026)」「令和7年度(2026年度見込)」: the year again, to be compared.
                return f"{text[: note.start()]}({inner})"
        text = text[: note.start()]
    return text


def _names_a_year(text: str) -> bool:
    try:
        _plain_year(text)
    except CellError:
        return False
    return True


def _date(match: re.Match[str]) -> dt.date:
    try:
        return dt.date(_plain_year(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError as exc:  # 2月30日, 13月
        raise CellError(_NOT_A_YEAR) from exc


# --- stages -------------------------------------------------------------------------------------


def read_stage(value: Any) -> Stage:
    """The stage a 区分 cell names (common/stages.py): '決算見込' and '速報' are 見込; a blank cell is
    決算, as is a file without the column."""
    if is_blank(value):
        return DEFAULT_STAGE
    found = stages.parse(str(value))
    if found is None:
        raise CellError(
            f"区分は{stages.accepted_words()}のいずれかで入力してください"
            "（決算見込・速報は見込として読みます）。"
        )
    return found


# --- references ---------------------------------------------------------------------------------


def name_key(text: str) -> str:
    """A name as compared: NFKC (全角 → 半角 where it folds) and no whitespace."""
    folded = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", folded)


_NUMBER_REFERENCE = re.compile(r"^(?:指標|取組項目|項目|No\.?|№)?(\d{1,3})(?:\.0)?$", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class References:
    """Looks up indicators and items by number, name or alias."""

    indicator_nos: frozenset[int]
    indicator_names: dict[str, int]
    item_nos: frozenset[int]
    item_names: dict[str, int]

    @classmethod
    def of(cls, plan: Plan) -> References:
        indicator_names = {name_key(x.name): x.indicator_no for x in plan.indicators}
        item_names: dict[str, int] = {}
        # Reposts first, so that an original's name (item 60 repeats item 8's) means the original.
        for item in sorted(plan.items, key=lambda i: (i.repost_of is None, -i.item_no)):
            for name in (item.name, item.alias, item.display_name):
                if name:
                    item_names[name_key(name)] = item.item_no
        return cls(
            indicator_nos=frozenset(x.indicator_no for x in plan.indicators),
            indicator_names=indicator_names,
            item_nos=frozenset(i.item_no for i in plan.items),
            item_names=item_names,
        )

    def indicator(self, value: Any) -> int:
        return self._find(value, self.indicator_nos, self.indicator_names, "指標")

    def item(self, value: Any) -> int:
        return self._find(value, self.item_nos, self.item_names, "取組項目")

    @staticmethod
    def _find(value: Any, numbers: frozenset[int], names: dict[str, int], what: str) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            if value in numbers:
                return value
            raise CellError(f"計画にない{what}番号です（{min(numbers)}〜{max(numbers)}）。")
        key = name_key(str(value))
        match = _NUMBER_REFERENCE.match(key)
        if match:
            number = int(match.group(1))
            if number in numbers:
                return number
            raise CellError(f"計画にない{what}番号です（{min(numbers)}〜{max(numbers)}）。")
        if key in names:
            return names[key]
        raise CellError(f"計画にない{what}です（番号、または計画に記載の名称で指定してください）。")


# --- numbers and units --------------------------------------------------------------------------

# Units a value may carry, with the factor to the indicator's unit. Money is kept in 億円.
UNIT_FACTORS: dict[str, dict[str, float]] = {
    "%": {"%": 1.0},
    "億円": {"億円": 1.0, "百万円": 1e-2, "千円": 1e-5, "円": 1e-8},
    "日": {"日": 1.0},
}
_NUMBER = re.compile(
    r"^(?P<sign>[-+△▲]?)(?P<digits>\d{1,3}(?:,\d{3})+|\d+)(?P<fraction>\.\d+)?"
    r"(?P<exponent>[eE][-+]?\d{1,3})?"
    r"(?P<unit>%|億円|百万円|千円|円|日)?$"
)


def unit_problem(indicator: Indicator, unit: str) -> str | None:
    allowed = UNIT_FACTORS.get(indicator.unit, {indicator.unit: 1.0})
    if unit in allowed:
        return None
    return (
        f"単位「{unit}」は指標{indicator.indicator_no}（{indicator.name}）の単位"
        f"「{indicator.unit}」に合いません（使える単位: {'・'.join(allowed)}）。"
    )


def normalize_unit(value: Any) -> str | None:
    if is_blank(value):
        return None
    text = name_key(str(value))
    return {"％": "%", "パーセント": "%"}.get(text, text)


def read_number(value: Any) -> tuple[float, str | None]:
    """(number, unit written in the cell or None). Accepts 1,234.5, full-width digits, △ and ▲."""
    if isinstance(value, bool):
        raise CellError("数値として読めません。")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise CellError("数値として読めません。")
        return float(value), None
    text = name_key(str(value)).replace("−", "-").replace("－", "-")
    match = _NUMBER.match(text)
    if not match:
        raise CellError("数値として読めません（例: 87.3、1,234.5、△0.5、22.3億円）。")
    # The exponent is how Python writes very small numbers (1e-05); the export may contain one.
    number = float(
        match.group("digits").replace(",", "")
        + (match.group("fraction") or "")
        + (match.group("exponent") or "")
    )
    if match.group("sign") in ("-", "△", "▲"):
        number = -number
    return number, match.group("unit")


def convert(number: float, unit: str | None, indicator: Indicator) -> float:
    """The number in the indicator's own unit. unit None means it is already in that unit."""
    if unit is None:
        return number
    factor = UNIT_FACTORS.get(indicator.unit, {indicator.unit: 1.0})[unit]
    # Rounded so that 2,230,000千円 is exactly 22.3 and not 22.300000000000001.
    return round(number * factor, 10) if factor != 1.0 else number


def value_in_unit(
    indicator: Indicator, rule: JudgementRule, number: float, unit: str | None
) -> float:
    """A number written in unit (None: the indicator's own) as a possible value of the indicator.

    The one rule for files and forms alike: the unit must fit, money is converted to 億円, and
    the value must be possible for the indicator (entries.value_problems).
    """
    if unit is not None:
        problem = unit_problem(indicator, unit)
        if problem:
            raise CellError(problem)
    value = convert(number, unit, indicator)
    impossible = value_problems(indicator, rule, value)
    if impossible:
        raise CellError(impossible[0])
    return value
