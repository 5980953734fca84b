"""Every number and year the product shows is formatted here, so screens, exports and reports agree.

Conventions (STYLE.md): one decimal for percentages and 億円; △ for negatives in official-style
outputs; differences of percentages in ポイント; years as 令和7年度 (2025).
"""

from __future__ import annotations

from komae_kpi.common import fiscal_year
from komae_kpi.common.stages import PROVISIONAL_STAGE, Stage

DEFAULT_DECIMALS = 1
PERCENT = "%"


def number(value: float, decimals: int = DEFAULT_DECIMALS, *, official: bool = False) -> str:
    """'1,234.5'; with official=True a negative is written '△1,234.5' as in Japanese public documents."""
    text = f"{abs(value) if official else value:,.{decimals}f}"
    if official and round(value, decimals) < 0:
        return f"△{text}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        return text[1:]  # "-0.0" reads as a loss that is not there
    return text


def with_unit(
    value: float | None, unit: str, decimals: int = DEFAULT_DECIMALS, *, official: bool = False
) -> str:
    """'87.3%', '22.3億円', '14.1日'; '－' when there is no value."""
    if value is None:
        return "－"
    return f"{number(value, decimals, official=official)}{unit}"


def stage_mark(stage: Stage | None) -> str:
    """'（見込）' for an estimate, '' for a settled or final value (those read as plain figures)."""
    return "（見込）" if stage == PROVISIONAL_STAGE else ""


def with_stage(
    value: float | None,
    unit: str,
    stage: Stage | None,
    decimals: int = DEFAULT_DECIMALS,
    *,
    official: bool = False,
) -> str:
    """An actual as shown wherever it appears: '91.2%（見込）' for an estimate, '91.0%' for a
    settled or final value, '－' when there is no value."""
    if value is None:
        return "－"
    return with_unit(value, unit, decimals, official=official) + stage_mark(stage)


def difference_unit(unit: str) -> str:
    """Differences of percentages are ポイント, not %."""
    return "ポイント" if unit == PERCENT else unit


def signed_difference(
    value: float | None, unit: str, decimals: int = DEFAULT_DECIMALS, *, official: bool = False
) -> str:
    """'+0.5ポイント', '-1.2億円' (official: '△1.2億円'), '±0.0日' for no change, '－' for none."""
    if value is None:
        return "－"
    rounded = round(value, decimals)
    suffix = difference_unit(unit)
    if rounded == 0:
        return f"±{number(0.0, decimals)}{suffix}"
    if rounded < 0:
        return f"{'△' if official else '-'}{number(-value, decimals)}{suffix}"
    return f"+{number(value, decimals)}{suffix}"


def fiscal_year_label(year: int | None) -> str:
    """'令和7年度 (2025)'; '－' for none."""
    return "－" if year is None else fiscal_year.label(year)
