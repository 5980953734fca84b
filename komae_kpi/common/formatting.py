"""Every number and year the product shows is formatted here, so screens, exports and reports agree.

Conventions (STYLE.md): one decimal for percentages and 億円; △ for negatives in official-style
outputs; differences of percentages in ポイント; years as 令和7年度 (2025).

Rounding happens once, here: 四捨五入 (half up, away from zero) on the decimal digits a person
would write, never on the binary float (where 0.95 is 0.94999… and f"{0.95:.1f}" gives '0.9') and
never Python's round() (half to even: round(0.125, 2) is 0.12). A figure computed from others (a
difference, a trend) is computed from the unrounded values and rounded only when shown; use
rounded() where a shown number, not its text, is needed (e.g. "does it read as zero?").
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal

from komae_kpi.common import fiscal_year
from komae_kpi.common.stages import PROVISIONAL_STAGE, Stage

DEFAULT_DECIMALS = 1
PERCENT = "%"

# Arithmetic on floats leaves noise far below any published digit (91.1 - 90.95 is
# 0.15000000000000568 or 0.1499999999999915 depending on the operands); it is cleared at this many
# decimals before rounding, so a half is a half. Published figures have at most two decimals.
_NOISE_DECIMALS = 9
# Wide enough that quantizing a large figure to _NOISE_DECIMALS never overflows the precision.
_CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP)


def rounded(value: float, decimals: int = DEFAULT_DECIMALS) -> Decimal:
    """The number as shown: 四捨五入 to decimals on its decimal digits.

    0.95 -> 1.0, 0.05 -> 0.1, -0.05 -> -0.1, 87.25 -> 87.3, 2.675 -> 2.7 (2 decimals: 2.68);
    never -0.0 (a loss that is not there)."""
    exact = Decimal(repr(float(value)))
    if not exact.is_finite():
        return exact
    clean = exact.quantize(Decimal(1).scaleb(-_NOISE_DECIMALS), context=_CONTEXT)
    shown = clean.quantize(Decimal(1).scaleb(-decimals), context=_CONTEXT)
    return shown.copy_abs() if shown.is_zero() else shown


def number(value: float, decimals: int = DEFAULT_DECIMALS, *, official: bool = False) -> str:
    """'1,234.5'; with official=True a negative is written '△1,234.5' as in Japanese public documents."""
    if not math.isfinite(value):
        return str(value)
    shown = rounded(value, decimals)
    if official and shown < 0:
        return f"△{-shown:,.{decimals}f}"
    return f"{shown:,.{decimals}f}"


def entered(value: float, unit: str = "", decimals: int = DEFAULT_DECIMALS) -> str:
    """A value as entered, for previews and the change history, where a change in the second
    decimal must stay visible: the usual decimals, more only when the value has them.
    '75.0%', '87.25%', '1,234.5億円'."""
    if not math.isfinite(value):
        return f"{value}{unit}"
    exponent = rounded(value, _NOISE_DECIMALS).normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # a finite number's
    return f"{number(value, max(decimals, -exponent))}{unit}"


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
    shown = rounded(value, decimals)
    suffix = difference_unit(unit)
    if shown == 0:
        return f"±{number(0.0, decimals)}{suffix}"
    if shown < 0:
        return f"{'△' if official else '-'}{number(-value, decimals)}{suffix}"
    return f"+{number(value, decimals)}{suffix}"


def fiscal_year_label(year: int | None) -> str:
    """'令和7年度 (2025)'; '－' for none."""
    return "－" if year is None else fiscal_year.label(year)
