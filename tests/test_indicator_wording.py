"""The judgement's words on the model: target text, bound, plan line, and which side of the gap is
behind, for both comparators, both kinds of target, and % as well as 億円."""

from __future__ import annotations

from dataclasses import replace

import pytest

from komae_kpi.judgement.indicator_status import Assessment, assess
from komae_kpi.plan.model import Indicator, JudgementRule
from tests.model_helpers import make_indicator as indicator

RULE = JudgementRule(indicator_no=1, path_tolerance=0.0, headroom_margin=0.0, basis="テスト")


# Improvement, higher is better (%): 70 -> 82, a path of 74 in FY2025.
UP = indicator(70.0, 82.0, ">=", "%")
# Improvement, lower is better (億円): 170 -> 158, a path of 166 in FY2025.
DOWN = indicator(170.0, 158.0, "<=", "億円")
# Guardrails: a ceiling kept (経常収支比率-like, %) and a floor kept (基金-like, 億円).
CEILING = indicator(87.3, 90.0, "<=", "%")
FLOOR = indicator(22.3, 20.0, ">=", "億円")


def assessed(x: Indicator, actual: float) -> Assessment:
    return assess(x, RULE, {2025: actual}, 2025)


@pytest.mark.parametrize(
    ("x", "kind", "target", "bound", "path", "change"),
    [
        (UP, "improvement", "82.0%以上", "下限", "計画線", "目標達成に必要な年変化"),
        (DOWN, "improvement", "158.0億円以下", "上限", "計画線", "目標達成に必要な年変化"),
        (CEILING, "guardrail", "90.0%以下", "上限", "上限", "目標内にとどまる年変化の上限"),
        (FLOOR, "guardrail", "20.0億円以上", "下限", "下限", "目標内にとどまる年変化の下限"),
    ],
)
def test_indicator_words(
    x: Indicator, kind: str, target: str, bound: str, path: str, change: str
) -> None:
    assert x.kind == kind
    assert x.target_text() == target
    assert x.target_with_year == f"{target}（令和11年度 (2029)）"
    assert x.bound_word == bound
    assert x.path_label == path
    assert x.required_change_label == change
    assert x.higher_is_better is (x.comparator == ">=")


@pytest.mark.parametrize(
    ("x", "label"),
    [
        (UP, "計画線との差"),
        (DOWN, "計画線との差"),
        (CEILING, "目標までの余裕"),  # a guardrail's plan line is its bound
        (FLOOR, "目標までの余裕"),
    ],
)
def test_the_gap_is_named_for_the_kind_of_target(x: Indicator, label: str) -> None:
    assert x.gap_label == label


def test_official_target_text_writes_a_negative_with_a_triangle() -> None:
    below_zero = replace(FLOOR, target_value=-1.5)
    assert below_zero.target_text() == "-1.5億円以上"
    assert below_zero.target_text(official=True) == "△1.5億円以上"
    assert FLOOR.target_text(official=True) == FLOOR.target_text()


def test_amounts_are_unsigned_in_the_unit_of_differences() -> None:
    assert UP.amount_text(-6.2) == "6.2ポイント"
    assert DOWN.amount_text(-1.2) == "1.2億円"
    assert CEILING.amount_text(0.5) == "0.5ポイント"


@pytest.mark.parametrize(
    ("x", "actual", "behind", "words"),
    [
        (UP, 72.0, True, "2.0ポイント遅れ"),  # below a rising path
        (UP, 75.0, False, "1.0ポイント先行"),
        (UP, 74.0, False, "計画線どおり"),
        (DOWN, 167.0, True, "1.0億円遅れ"),  # above a falling path
        (DOWN, 165.0, False, "1.0億円先行"),
        (CEILING, 89.5, False, "余裕0.5ポイント"),  # under its ceiling
        (CEILING, 90.8, True, "0.8ポイント超過"),  # over it
        (FLOOR, 21.0, False, "余裕1.0億円"),  # above its floor
        (FLOOR, 18.8, True, "1.2億円不足"),  # below it
    ],
)
def test_the_gap_says_which_way_is_good(
    x: Indicator, actual: float, behind: bool, words: str
) -> None:
    a = assessed(x, actual)
    assert (a.indicator, a.indicator_no, a.kind) == (x, 1, x.kind)
    assert a.is_behind is behind
    assert a.gap_text == words


def test_no_gap_is_neither_behind_nor_worded() -> None:
    a = replace(assessed(UP, 72.0), gap=None)
    assert a.is_behind is False and a.gap_text == "－"


@pytest.mark.parametrize(
    ("x", "actual", "outside"),
    [
        (CEILING, 89.5, False),  # under its ceiling
        (CEILING, 90.0, False),  # on it: no headroom left, but not past it
        (CEILING, 90.8, True),  # over it
        (FLOOR, 21.0, False),  # above its floor
        (FLOOR, 18.8, True),  # below it
        (UP, 60.0, False),  # an improvement target has no bound to cross, however far behind
        (DOWN, 180.0, False),
    ],
)
def test_only_a_guardrail_is_outside_its_bound(x: Indicator, actual: float, outside: bool) -> None:
    a = assessed(x, actual)
    assert a.is_outside_bound is outside
    if x.kind == "guardrail":  # its plan line is its bound: behind the line is outside the bound
        assert a.is_behind is outside


def test_no_actual_is_not_outside_the_bound() -> None:
    a = replace(assessed(CEILING, 90.8), headroom=None, gap=None)
    assert a.is_outside_bound is False
