"""Rounding once, half up on the decimal digits: every output's numbers come from here."""

from __future__ import annotations

from decimal import Decimal

import pytest

from komae_kpi.common import formatting


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (0.95, 1, "1.0"),  # binary 0.9499999…: f"{0.95:.1f}" is '0.9'
        (0.05, 1, "0.1"),  # round(0.05, 1) is 0.1 only by luck of the float; half up by rule
        (2.675, 1, "2.7"),
        (2.675, 2, "2.68"),  # round(2.675, 2) is 2.67
        (0.125, 2, "0.13"),  # round(0.125, 2) is 0.12 (half to even)
        (87.25, 1, "87.3"),
        (-0.05, 1, "-0.1"),  # half away from zero
        (-0.04, 1, "0.0"),  # never -0.0
        (91.1 - 90.95, 1, "0.2"),  # 0.1499999999999915 in floats: a half, once the noise is gone
        (0.1 + 0.2, 1, "0.3"),
        (1234.5, 0, "1235"),
    ],
)
def test_rounded_is_half_up_on_decimals(value: float, decimals: int, expected: str) -> None:
    assert formatting.rounded(value, decimals) == Decimal(expected)
    assert str(formatting.rounded(value, decimals)) == expected


def test_texts_round_once_half_up() -> None:
    assert formatting.number(0.95) == "1.0"
    assert formatting.number(0.05) == "0.1"
    assert formatting.number(2.675, 2) == "2.68"
    assert formatting.number(87.25) == "87.3"
    assert formatting.number(-0.05) == "-0.1"
    assert formatting.number(-0.05, official=True) == "△0.1"
    assert formatting.number(-0.04, official=True) == "0.0"
    assert formatting.number(1234567.25) == "1,234,567.3"
    assert formatting.with_unit(87.25, "%") == "87.3%"
    assert formatting.with_unit(-1.25, "億円", official=True) == "△1.3億円"
    assert formatting.signed_difference(0.95, "%") == "+1.0ポイント"
    assert formatting.signed_difference(-0.05, "%") == "-0.1ポイント"
    assert formatting.signed_difference(-0.05, "億円", official=True) == "△0.1億円"
    assert formatting.signed_difference(0.04, "%") == "±0.0ポイント"
    assert formatting.signed_difference(-0.04, "日") == "±0.0日"


def test_an_entered_value_keeps_its_digits_and_never_drops_the_decimal() -> None:
    # 「75%」 in the preview beside 「75.0%」 elsewhere was two spellings of one number.
    assert formatting.entered(75.0, "%") == "75.0%"
    assert formatting.entered(87.25, "%") == "87.25%"  # a change in the 2nd decimal stays visible
    assert formatting.entered(0.1 + 0.2, "%") == "0.3%"
    assert formatting.entered(1234.5, "億円") == "1,234.5億円"
    assert formatting.entered(-3.0) == "-3.0"


def test_not_a_number_is_written_as_such() -> None:
    assert formatting.number(float("nan")) == "nan"
    assert formatting.number(float("inf")) == "inf"
