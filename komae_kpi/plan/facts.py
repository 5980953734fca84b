"""The plan's own facts in one place: who published it, its period, and the texts made from its data.

A revised plan or the 第8次 plan changes the identity and the period here and its data in
data/plan/*.csv; counts, years and lists of indicators are read from the Plan, never written down,
so that 「8つの指標」 or 「指標2・7」 follow the data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from komae_kpi.common import fiscal_year as fy
from komae_kpi.plan.model import Indicator, IndicatorValue, Plan

TITLE = "狛江市第7次行財政改革推進計画"
PUBLISHER = "狛江市"
# The city's 団体コード (総務省「全国地方公共団体コード」), how the ministry's tables name it.
MUNICIPALITY_CODE = "132195"
# The title without the publisher: '第7次行財政改革推進計画', as the 照会 workbook names the plan.
PLAN_NAME = TITLE.removeprefix(PUBLISHER)
PUBLISHED = "令和7年12月"  # as the plan's cover prints it
# The plan period: the years items are reported for, 令和7年度 to 令和11年度.
FIRST_FISCAL_YEAR = 2025
LAST_FISCAL_YEAR = 2029

# The two period texts join the years with different tildes because the outputs have always
# printed them so: the title line (PERIOD_LABEL) with the full-width tilde ～ (U+FF5E), as the plan's
# cover prints 「令和 7 年度～令和 11 年度」, and the messages (PERIOD_TEXT) with the wave dash 〜
# (U+301C), as every other range in the program's texts. They look alike, but a search or a test
# comparing the texts tells them apart: do not "fix" one to match the other.
PERIOD_LABEL = f"{fy.wareki(FIRST_FISCAL_YEAR)}～{fy.wareki(LAST_FISCAL_YEAR)}"
TITLE_WITH_PERIOD = f"{TITLE}（{PERIOD_LABEL}）"
# The source recorded with the baselines the plan publishes.
BASELINE_SOURCE = f"{TITLE}（{PUBLISHED}） 現状値"
# How messages name the period: '計画期間（令和7年度 (2025)〜令和11年度 (2029)）'.
PERIOD_TEXT = f"計画期間（{fy.label(FIRST_FISCAL_YEAR)}〜{fy.label(LAST_FISCAL_YEAR)}）"


def baseline_actual(indicator: Indicator) -> IndicatorValue:
    """The baseline the plan publishes for an indicator, as the settled actual of its year
    (FY2023: a value observed at the end of 令和5年度), with the plan as its source."""
    return IndicatorValue(
        indicator_no=indicator.indicator_no,
        fiscal_year=indicator.baseline_fiscal_year,
        value=indicator.baseline_value,
        stage="settled",  # the plan's baselines are settled figures of FY2023
        source=BASELINE_SOURCE,
        note=None,
    )


def in_plan_period(fiscal_year: int) -> bool:
    """The one check of the plan period: True for FY2025 to FY2029."""
    return FIRST_FISCAL_YEAR <= fiscal_year <= LAST_FISCAL_YEAR


def plan_years() -> list[int]:
    """[2025, 2026, 2027, 2028, 2029]."""
    return list(range(FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR + 1))


def period_problem(fiscal_year: int) -> str | None:
    """None inside the period, else '年度「2030」は計画期間（令和7年度 (2025)〜令和11年度 (2029)）の外です。'."""
    if in_plan_period(fiscal_year):
        return None
    return f"年度「{fiscal_year}」は{PERIOD_TEXT}の外です。"


def made_for_period_problem(fiscal_year: int, what: str) -> str | None:
    """None inside the period, else why `what` cannot be made for the year:
    '会議資料は計画期間（令和7年度 (2025)〜令和11年度 (2029)）の年度について作成します（指定: 令和12年度 (2030)）。'.
    """
    if in_plan_period(fiscal_year):
        return None
    return f"{what}は{PERIOD_TEXT}の年度について作成します（指定: {fy.label(fiscal_year)}）。"


def reported_in_period_note(subject: str = "進捗状況") -> str:
    """'進捗状況は計画期間（令和7年度 (2025)〜令和11年度 (2029)）の年度について報告されます。'."""
    return f"{subject}は{PERIOD_TEXT}の年度について報告されます。"


def baseline_fiscal_year(plan: Plan) -> int:
    """The earliest baseline year of the plan's indicators: 2023 (令和5年度)."""
    return min(x.baseline_fiscal_year for x in plan.indicators)


def target_fiscal_year(plan: Plan) -> int:
    """The latest target year of the plan's indicators: 2029 (令和11年度)."""
    return max(x.target_fiscal_year for x in plan.indicators)


def indicator_count_text(plan: Plan) -> str:
    """'8つの指標'."""
    return f"{len(plan.indicators)}つの指標"


def item_count_text(plan: Plan) -> str:
    """'62項目（うち再掲1）': reposts are one activity shown in two places."""
    reposts = sum(1 for i in plan.items if i.repost_of is not None)
    return f"{len(plan.items)}項目（うち再掲{reposts}）" if reposts else f"{len(plan.items)}項目"


def april_first_indicators(plan: Plan) -> tuple[Indicator, ...]:
    """The ※ indicators, counted on 1 April rather than at the fiscal year's end: 2 and 7."""
    return tuple(x for x in plan.indicators if x.measured_at == "next_april_1")


def due_fiscal_year(plan: Plan, today: dt.date) -> int:
    """The fiscal year a page opens on: the latest one whose actuals are due on this day (every
    indicator's actual_enterable_from has come), kept within the baseline and target years.
    On 2026-11-30 that is FY2025 (令和7年度), whether or not anything has been entered for it."""
    first, last = baseline_fiscal_year(plan), target_fiscal_year(plan)
    due = [
        year
        for year in range(first, last + 1)
        if all(x.actual_enterable_from(year) <= today for x in plan.indicators)
    ]
    return due[-1] if due else first


def indicator_numbers_text(indicators: tuple[Indicator, ...]) -> str:
    """'指標2・7'."""
    return "指標" + "・".join(str(x.indicator_no) for x in indicators)


def april_first_note(plan: Plan) -> str | None:
    """'指標2・7は各年4月1日時点の値です（現状値は令和6年4月1日、目標値は令和12年4月1日）';
    None when the plan has no ※ indicator. The dates are those of the first ※ indicator."""
    indicators = april_first_indicators(plan)
    if not indicators:
        return None
    first = indicators[0]
    baseline = fy.wareki_date(first.as_of(first.baseline_fiscal_year))
    target = fy.wareki_date(first.as_of(first.target_fiscal_year))
    return (
        f"{indicator_numbers_text(indicators)}は各年4月1日時点の値です"
        f"（現状値は{baseline}、目標値は{target}）"
    )


def _number_range(numbers: list[int]) -> str:
    return f"{min(numbers)}〜{max(numbers)}"


def description_values(plan: Plan) -> dict[str, str]:
    """What the model's column descriptions name in braces, from the plan: the ranges of its numbers
    ({item_nos} '1〜62', {policy_nos} '1〜3', {indicator_nos} '1〜8'), its years ({first_fiscal_year}
    '2025' = {first_wareki} '令和7年度', {baseline_fiscal_year} '2023' = {baseline_wareki}, and
    {target_fiscal_year} = {target_wareki}), the ※ indicators' dates ({baseline_april_first}
    '（※の指標は令和6年4月1日時点）', empty when the plan has none; {target_april_first}) and the
    status words ({status_words} '完了・順調・やや遅れ・遅れ・未着手・見直し') and the indicators'
    units ({units} '%、億円、日').

    The model cannot read these itself (this module reads the model), so whoever publishes a
    description fills it: `description.format_map(description_values(plan))`.
    """
    baseline, target = baseline_fiscal_year(plan), target_fiscal_year(plan)
    april_first = april_first_indicators(plan)

    def april_first_date(year_of: Callable[[Indicator], int]) -> str:
        if not april_first:
            return ""
        first = april_first[0]
        return f"（※の指標は{fy.wareki_date(first.as_of(year_of(first)))}時点）"

    return {
        "item_nos": _number_range([i.item_no for i in plan.items]),
        "policy_nos": _number_range([p.policy_no for p in plan.policies]),
        "indicator_nos": _number_range([x.indicator_no for x in plan.indicators]),
        "first_fiscal_year": str(FIRST_FISCAL_YEAR),
        "first_wareki": fy.wareki(FIRST_FISCAL_YEAR),
        "baseline_fiscal_year": str(baseline),
        "baseline_wareki": fy.wareki(baseline),
        "target_fiscal_year": str(target),
        "target_wareki": fy.wareki(target),
        "baseline_april_first": april_first_date(lambda x: x.baseline_fiscal_year),
        "target_april_first": april_first_date(lambda x: x.target_fiscal_year),
        "units": "、".join(dict.fromkeys(x.unit for x in plan.indicators)),
        "status_words": "・".join(
            s.status for s in sorted(plan.statuses, key=lambda s: s.sort_order)
        ),
    }
