"""Fiscal years (年度, April to March) and their Japanese-era (和暦) names.

A fiscal year is named by the calendar year in which it starts: FY2025 runs from 2025-04-01 to
2026-03-31 and is 令和7年度. FY2019 started on 2019-04-01, still in 平成31年, but the era changed
within it; by the usual convention it is written 令和元年度, and 平成31年度 is read as the same year.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from komae_kpi.common.errors import KomaeKpiError


class FiscalYearError(KomaeKpiError):
    """A text that cannot be read as a fiscal year."""


@dataclass(frozen=True, kw_only=True)
class Era:
    name: str
    abbreviations: tuple[str, ...]
    first_year: int  # calendar year that is the era's 元年
    first_fiscal_year: int  # first fiscal year written in this era by convention
    last_fiscal_year: int | None  # last fiscal year written in this era (None: current era)


# Ordered newest first: formatting picks the first era whose range holds the year.
ERAS: tuple[Era, ...] = (
    Era(
        name="令和",
        abbreviations=("R", "令"),
        first_year=2019,
        first_fiscal_year=2019,
        last_fiscal_year=None,
    ),
    Era(
        name="平成",
        abbreviations=("H", "平"),
        first_year=1989,
        first_fiscal_year=1989,
        last_fiscal_year=2018,
    ),
    Era(
        name="昭和",
        abbreviations=("S", "昭"),
        first_year=1926,
        first_fiscal_year=1926,
        last_fiscal_year=1988,
    ),
)

# Years written as text are accepted inside this window; anything else is a typo, not a year.
MIN_FISCAL_YEAR = 1926
MAX_FISCAL_YEAR = 2200


def fiscal_year_of(day: dt.date) -> int:
    """The fiscal year a calendar date falls in (April to March)."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_start(fiscal_year: int) -> dt.date:
    return dt.date(fiscal_year, 4, 1)


def fiscal_year_end(fiscal_year: int) -> dt.date:
    return dt.date(fiscal_year + 1, 3, 31)


def _era_for(fiscal_year: int) -> Era:
    for era in ERAS:
        if fiscal_year >= era.first_fiscal_year:
            return era
    raise FiscalYearError(f"{fiscal_year}年度は和暦で表せません（昭和以降に対応）。")


def era_year(fiscal_year: int) -> tuple[str, int]:
    """('令和', 7) for FY2025."""
    era = _era_for(fiscal_year)
    return era.name, fiscal_year - era.first_year + 1


def _era_number(n: int) -> str:
    return "元" if n == 1 else str(n)


def wareki(fiscal_year: int) -> str:
    """'令和7年度' for FY2025, '令和元年度' for FY2019."""
    name, n = era_year(fiscal_year)
    return f"{name}{_era_number(n)}年度"


def wareki_years(fiscal_years: Sequence[int]) -> str:
    """'令和6・7年度' for FY2024 and FY2025: years of one era share its name and 年度
    ('平成30年度・令和元・2年度' across eras)."""
    parts = [
        f"{name}{'・'.join(_era_number(era_year(y)[1]) for y in years)}年度"
        for name, years in itertools.groupby(fiscal_years, key=lambda y: era_year(y)[0])
    ]
    return "・".join(parts)


def wareki_short(fiscal_year: int) -> str:
    """'R7' for FY2025, 'H30' for FY2018: the plan's table headings use this form."""
    name, n = era_year(fiscal_year)
    era = next(e for e in ERAS if e.name == name)
    return f"{era.abbreviations[0]}{n}"


# The days each era began (a calendar date's era; fiscal years follow the convention above).
_ERA_START_DATES: tuple[tuple[str, dt.date], ...] = (
    ("令和", dt.date(2019, 5, 1)),
    ("平成", dt.date(1989, 1, 8)),
    ("昭和", dt.date(1926, 12, 25)),
)


def wareki_date(day: dt.date) -> str:
    """'令和8年11月29日' for 2026-11-29; '平成31年4月30日' for 2019-04-30."""
    for name, start in _ERA_START_DATES:
        if day >= start:
            n = day.year - start.year + 1
            return f"{name}{_era_number(n)}年{day.month}月{day.day}日"
    raise FiscalYearError(f"{day.isoformat()}は和暦で表せません（昭和以降に対応）。")


def wareki_date_with_year(day: dt.date) -> str:
    """'令和8年11月29日（2026年）': the date a report or a deck is made on, as their covers print it."""
    return f"{wareki_date(day)}（{day.year}年）"


def label(fiscal_year: int) -> str:
    """The form used everywhere in the UI: '令和7年度 (2025)'."""
    return f"{wareki(fiscal_year)} ({fiscal_year})"


_ERA_BY_TOKEN: dict[str, Era] = {}
for _era in ERAS:
    _ERA_BY_TOKEN[_era.name] = _era
    for _abbr in _era.abbreviations:
        _ERA_BY_TOKEN[_abbr] = _era

_ERA_PATTERN = re.compile(
    r"^(?P<era>令和|平成|昭和|令|平|昭|R|H|S)\.?\s*(?P<n>元|\d{1,2})\s*(年度|年)?$",
    re.IGNORECASE,
)
_WESTERN_PATTERN = re.compile(r"^(?P<y>\d{4})\s*(年度|年|FY)?$|^FY\s*(?P<fy>\d{4})$", re.IGNORECASE)


def parse(text: str | int) -> int:
    """Read a fiscal year written in any of the forms staff use.

    Accepts 2025, '2025', '2025年度', 'FY2025', '令和7年度', '令和７年度' (full-width digits),
    '令和元年度', 'R7', 'r7', '令7', 'H30', '平成30年度', 'R7年度'. Returns the Western fiscal year.
    """
    if isinstance(text, bool):
        raise FiscalYearError(f"「{text}」は年度として読めません。")
    if isinstance(text, int):
        year = text
    else:
        normalized = unicodedata.normalize("NFKC", str(text)).strip()
        normalized = re.sub(r"\s+", "", normalized)
        if normalized.endswith(".0") and normalized[:-2].isdigit():
            # Spreadsheets hand over whole numbers as floats: 2025.0.
            normalized = normalized[:-2]
        match = _ERA_PATTERN.match(normalized)
        if match:
            era = _ERA_BY_TOKEN[match.group("era").upper()]
            n = 1 if match.group("n") == "元" else int(match.group("n"))
            if n < 1:
                raise FiscalYearError(
                    f"「{text}」は年度として読めません（{era.name}0年はありません）。"
                )
            year = era.first_year + n - 1
            if era.last_fiscal_year is not None and year > era.last_fiscal_year + 1:
                # 平成31年度 is the last 平成 year anyone writes (= 令和元年度); 平成32年度 is a typo.
                raise FiscalYearError(
                    f"「{text}」は年度として読めません（{era.name}は{era.last_fiscal_year + 1 - era.first_year + 1}年までです）。"
                )
        else:
            match = _WESTERN_PATTERN.match(normalized)
            if not match:
                raise FiscalYearError(f"「{text}」は年度として読めません。")
            year = int(match.group("y") or match.group("fy"))
    if not MIN_FISCAL_YEAR <= year <= MAX_FISCAL_YEAR:
        raise FiscalYearError(
            f"「{text}」は年度として読めません（{MIN_FISCAL_YEAR}〜{MAX_FISCAL_YEAR}年度の範囲外）。"
        )
    return year
