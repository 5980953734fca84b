"""Every status branch of both target kinds, with expected figures worked out by hand."""

from __future__ import annotations

import pytest

from komae_kpi.judgement.indicator_status import (
    STATUS_ICONS,
    STATUS_LABELS,
    assess,
    criteria_text,
    least_squares,
)
from komae_kpi.plan.model import Indicator, JudgementRule
from tests.model_helpers import make_indicator as indicator

RULE = JudgementRule(indicator_no=1, path_tolerance=0.5, headroom_margin=1.0, basis="テスト")

# Improvement, higher is better: 70 -> 82 over six years, a path of +2 a year (74 in FY2025).
UP = indicator(70.0, 82.0, ">=")
# Improvement, lower is better: 170 -> 158, a path of -2 a year (166 in FY2025).
DOWN = indicator(170.0, 158.0, "<=")
# Guardrails: a ceiling already kept (経常収支比率-like) and a floor already kept (基金-like).
CEILING = indicator(87.3, 90.0, "<=")
FLOOR = indicator(22.3, 20.0, ">=")


def status(ind: Indicator, actuals: dict[int, float], year: int = 2025) -> str:
    return assess(ind, RULE, actuals, year).status


def test_kinds_follow_from_baseline_and_target() -> None:
    assert (UP.kind, DOWN.kind, CEILING.kind, FLOOR.kind) == (
        "improvement",
        "improvement",
        "guardrail",
        "guardrail",
    )


def test_improvement_path_is_the_straight_line_from_baseline_to_target() -> None:
    assert UP.path_value(2023) == 70.0
    assert UP.path_value(2025) == pytest.approx(74.0)
    assert UP.path_value(2029) == 82.0
    assert UP.path_value(2031) == 82.0
    assert UP.path_value(2022) is None
    assert DOWN.path_value(2026) == pytest.approx(164.0)


def test_guardrail_path_is_the_bound_itself() -> None:
    assert [CEILING.path_value(y) for y in (2023, 2025, 2029)] == [90.0, 90.0, 90.0]


def test_least_squares_line() -> None:
    trend = least_squares({2023: 70.0, 2024: 78.0, 2025: 79.0, 2026: 75.0})
    assert trend is not None
    assert trend.slope == pytest.approx(1.6)
    assert trend.at(2029) == pytest.approx(82.7)
    assert least_squares({2023: 1.0}) is None


# --- improvement, higher is better ---------------------------------------------------------------


def test_improvement_achieved_when_the_latest_actual_meets_the_target() -> None:
    assert status(UP, {2025: 82.5}) == "achieved"
    assert status(UP, {2025: 82.0}) == "achieved"  # 以上 includes the target itself


def test_improvement_on_track_at_or_ahead_of_the_path() -> None:
    assert status(UP, {2025: 74.0}) == "on_track"
    assert status(UP, {2025: 78.0}) == "on_track"


def test_improvement_on_track_within_the_tolerance_behind_the_path() -> None:
    assert status(UP, {2025: 73.5}) == "on_track"  # exactly the tolerance
    assert status(UP, {2025: 73.4}) == "off_track"


def test_improvement_at_risk_when_behind_but_the_trend_still_reaches_the_target() -> None:
    actuals = {2024: 78.0, 2025: 79.0, 2026: 75.0}  # path 76 in FY2026; trend reaches 82.7
    result = assess(UP, RULE, actuals, 2026)
    assert result.status == "at_risk"
    assert result.projected_value == pytest.approx(82.7)
    assert result.gap == pytest.approx(-1.0)


def test_improvement_off_track_when_behind_and_the_trend_falls_short() -> None:
    result = assess(UP, RULE, {2025: 71.0}, 2025)
    assert result.status == "off_track"
    assert result.projected_value == pytest.approx(73.0)  # +0.5 a year from 71 in FY2025
    assert "届きません" in result.reason


# --- improvement, lower is better ----------------------------------------------------------------


def test_lower_is_better_improvement_branches() -> None:
    assert status(DOWN, {2025: 157.0}) == "achieved"
    assert status(DOWN, {2025: 166.4}) == "on_track"
    assert status(DOWN, {2025: 168.0}) == "off_track"
    assert status(DOWN, {2024: 162.0, 2025: 161.0, 2026: 165.0}, 2026) == "at_risk"


# --- guardrail, a ceiling ------------------------------------------------------------------------


def test_ceiling_on_track_inside_with_headroom_and_a_safe_trend() -> None:
    result = assess(CEILING, RULE, {2025: 88.0}, 2025)
    assert result.status == "on_track"
    assert result.headroom == pytest.approx(2.0)
    assert result.projected_value == pytest.approx(89.4)


def test_ceiling_headroom_exactly_the_margin_is_still_on_track() -> None:
    flat_ceiling = indicator(89.0, 90.0, "<=")
    flat_floor = indicator(21.0, 20.0, ">=")
    assert status(flat_ceiling, {2025: 89.0}) == "on_track"  # exactly the 1.0 margin left
    assert status(flat_floor, {2025: 21.0}) == "on_track"
    assert status(flat_ceiling, {2025: 89.1}) == "at_risk"  # 0.9 left
    assert status(flat_floor, {2025: 20.9}) == "at_risk"


def test_ceiling_at_risk_when_the_headroom_is_below_the_margin() -> None:
    assert status(CEILING, {2025: 89.5}) == "at_risk"
    assert status(CEILING, {2025: 90.0}) == "at_risk"  # on the bound is still inside (以下)


def test_ceiling_at_risk_when_the_trend_crosses_the_bound_before_the_target_year() -> None:
    result = assess(CEILING, RULE, {2024: 87.5, 2025: 88.9}, 2025)
    assert result.headroom == pytest.approx(1.1)  # headroom alone would be fine
    assert result.projected_value == pytest.approx(91.9)
    assert result.status == "at_risk"
    assert "外れる見込み" in result.reason


def test_ceiling_off_track_once_breached() -> None:
    result = assess(CEILING, RULE, {2025: 90.4}, 2025)
    assert result.status == "off_track"
    assert result.headroom == pytest.approx(-0.4)


def test_guardrail_at_the_baseline_year_with_no_trend_yet() -> None:
    result = assess(CEILING, RULE, {}, 2023)
    assert result.status == "baseline"  # the 現状値, not 順調 (see test_baseline_status.py)
    assert result.projected_value is None
    assert result.observed_annual_change is None


# --- guardrail, a floor --------------------------------------------------------------------------


def test_floor_branches() -> None:
    assert status(FLOOR, {2025: 22.5}) == "on_track"
    assert status(FLOOR, {2025: 20.8}) == "at_risk"  # headroom 0.8 < 1.0
    assert status(FLOOR, {2024: 21.8, 2025: 21.3}) == "at_risk"  # trend reaches 19.3 by FY2029
    assert status(FLOOR, {2025: 19.9}) == "off_track"


# --- no data and the measures --------------------------------------------------------------------


def test_no_data_when_the_year_has_no_actual_but_the_latest_is_still_reported() -> None:
    for ind in (UP, CEILING):
        result = assess(ind, RULE, {2024: ind.baseline_value}, 2025)
        assert result.status == "no_data"
        assert result.latest_fiscal_year == 2024
        assert result.latest_value == ind.baseline_value


def test_measures_for_a_year() -> None:
    result = assess(UP, RULE, {2024: 71.0, 2025: 73.0}, 2025)
    assert result.latest_fiscal_year == 2025
    assert result.latest_value == 73.0
    assert result.path_value == pytest.approx(74.0)
    assert result.gap == pytest.approx(-1.0)
    assert result.observed_annual_change == pytest.approx(1.5)  # (73 - 70) / 2 over three years
    assert result.required_annual_change == pytest.approx(9.0 / 4)  # 82 - 73 over four years left
    assert result.projected_value == pytest.approx((70 + 71 + 73) / 3 + 1.5 * 5)  # mean at FY2024


def test_the_trend_ignores_history_before_the_baseline() -> None:
    with_history = {2005: 100.2, 2010: 91.1, 2020: 89.7, 2024: 87.5, 2025: 88.9}
    only_since = {2024: 87.5, 2025: 88.9}
    a = assess(CEILING, RULE, with_history, 2025)
    b = assess(CEILING, RULE, only_since, 2025)
    assert a.projected_value == pytest.approx(b.projected_value)
    assert a.observed_annual_change == pytest.approx(b.observed_annual_change)


def test_an_entered_baseline_year_value_replaces_the_plans_baseline() -> None:
    result = assess(UP, RULE, {2023: 71.0}, 2023)
    assert result.latest_value == 71.0


def test_years_before_the_baseline_are_refused() -> None:
    with pytest.raises(ValueError):
        assess(UP, RULE, {}, 2022)


def test_tolerance_and_margin_are_data_not_code() -> None:
    strict = JudgementRule(indicator_no=1, path_tolerance=0.0, headroom_margin=3.0, basis="厳しめ")
    assert assess(UP, strict, {2025: 73.5}, 2025).status == "off_track"
    assert assess(CEILING, strict, {2025: 88.0}, 2025).status == "at_risk"


def test_every_status_has_a_label_and_a_distinct_icon() -> None:
    assert STATUS_LABELS == {
        "achieved": "達成",
        "on_track": "順調",
        "at_risk": "注意",
        "off_track": "遅れ",
        "no_data": "未入力",
        "baseline": "現状値",
    }
    assert len(set(STATUS_ICONS.values())) == len(STATUS_ICONS)


def test_criteria_are_explained_in_japanese_with_the_rule_values() -> None:
    text = criteria_text(UP, RULE)
    assert "計画線" in text and "0.5ポイント" in text
    text = criteria_text(CEILING, RULE)
    assert "90.0%以下" in text and "1.0ポイント" in text
