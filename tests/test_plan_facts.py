"""The plan's facts: its identity as the plan prints it, one period check, texts from the data."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from komae_kpi.outputs.report import report_year_problem
from komae_kpi.plan import facts
from komae_kpi.plan.plan_files import load_plan
from komae_kpi.store.entries import status_year_problem
from tests.conftest import PLAN_TEXT, shared_file

PLAN = load_plan()
PERIOD = "計画期間（令和7年度 (2025)〜令和11年度 (2029)）"


def test_the_identity_is_the_plans_own_words() -> None:
    text = shared_file(PLAN_TEXT).read_text(encoding="utf-8")
    assert facts.TITLE == "狛江市第7次行財政改革推進計画" and facts.TITLE in text
    assert f"{facts.PUBLISHED}発行" in text and f"発 行\t{facts.PUBLISHER}" in text
    assert "推進計画の計画期間は、令和7年度から令和11年度までの5年間とします。" in text
    assert (facts.FIRST_FISCAL_YEAR, facts.LAST_FISCAL_YEAR) == (2025, 2029)


def test_texts_made_from_the_identity() -> None:
    assert facts.PERIOD_LABEL == "令和7年度～令和11年度"
    assert facts.TITLE_WITH_PERIOD == "狛江市第7次行財政改革推進計画（令和7年度～令和11年度）"
    assert facts.BASELINE_SOURCE == "狛江市第7次行財政改革推進計画（令和7年12月） 現状値"
    assert facts.PLAN_NAME == "第7次行財政改革推進計画"
    assert facts.PERIOD_TEXT == PERIOD


def test_the_period_ends_in_the_year_the_indicators_target() -> None:
    assert facts.target_fiscal_year(PLAN) == facts.LAST_FISCAL_YEAR
    assert facts.baseline_fiscal_year(PLAN) == 2023


@pytest.mark.parametrize(
    ("year", "inside"), [(2024, False), (2025, True), (2027, True), (2029, True), (2030, False)]
)
def test_one_check_of_the_plan_period(year: int, inside: bool) -> None:
    assert facts.in_plan_period(year) is inside
    assert (year in facts.plan_years()) is inside
    assert (facts.period_problem(year) is None) is inside
    assert (facts.made_for_period_problem(year, "会議資料") is None) is inside


def test_period_messages_in_each_callers_words() -> None:
    assert facts.plan_years() == [2025, 2026, 2027, 2028, 2029]
    assert facts.period_problem(2030) == f"年度「2030」は{PERIOD}の外です。"
    assert status_year_problem(2030) == facts.period_problem(2030)
    assert facts.made_for_period_problem(2024, "会議資料") == (
        f"会議資料は{PERIOD}の年度について作成します（指定: 令和6年度 (2024)）。"
    )
    assert report_year_problem(2030) == facts.made_for_period_problem(
        2030, "進捗状況報告と会議資料"
    )
    assert facts.reported_in_period_note() == f"進捗状況は{PERIOD}の年度について報告されます。"
    assert facts.reported_in_period_note("取組項目の進捗状況").startswith(
        "取組項目の進捗状況は計画期間（"
    )


def test_counts_follow_the_plan_data() -> None:
    assert facts.indicator_count_text(PLAN) == "8つの指標"
    fewer = replace(PLAN, indicators=PLAN.indicators[:3])
    assert facts.indicator_count_text(fewer) == "3つの指標"
    assert facts.item_count_text(PLAN) == "62項目（うち再掲1）"
    no_reposts = replace(PLAN, items=tuple(i for i in PLAN.items if i.repost_of is None))
    assert facts.item_count_text(no_reposts) == "61項目"


def test_the_values_the_column_descriptions_name() -> None:
    assert facts.description_values(PLAN) == {
        "item_nos": "1〜62",
        "policy_nos": "1〜3",
        "indicator_nos": "1〜8",
        "first_fiscal_year": "2025",
        "first_wareki": "令和7年度",
        "baseline_fiscal_year": "2023",
        "baseline_wareki": "令和5年度",
        "target_fiscal_year": "2029",
        "target_wareki": "令和11年度",
        "baseline_april_first": "（※の指標は令和6年4月1日時点）",
        "target_april_first": "（※の指標は令和12年4月1日時点）",
        "units": "%、億円、日",
        "status_words": "完了・順調・やや遅れ・遅れ・未着手・見直し",
    }


def test_the_april_first_indicators_come_from_the_data() -> None:
    found = facts.april_first_indicators(PLAN)
    assert [x.indicator_no for x in found] == [2, 7]
    assert facts.indicator_numbers_text(found) == "指標2・7"
    assert facts.april_first_note(PLAN) == (
        "指標2・7は各年4月1日時点の値です（現状値は令和6年4月1日、目標値は令和12年4月1日）"
    )
    only_seven = replace(PLAN, indicators=tuple(x for x in PLAN.indicators if x.indicator_no != 2))
    assert facts.indicator_numbers_text(facts.april_first_indicators(only_seven)) == "指標7"
    none = replace(PLAN, indicators=tuple(x for x in PLAN.indicators if x not in found))
    assert facts.april_first_indicators(none) == () and facts.april_first_note(none) is None


def test_an_actual_can_be_entered_from_the_day_after_the_year_or_its_april_count() -> None:
    plan = load_plan()
    ratio = next(x for x in plan.indicators if x.measured_at == "fiscal_year_end")
    counted = next(x for x in plan.indicators if x.measured_at == "next_april_1")
    assert ratio.actual_enterable_from(2025) == dt.date(2026, 4, 1)
    assert counted.actual_enterable_from(2025) == dt.date(2026, 4, 1)
    assert counted.as_of(2025) == dt.date(2026, 4, 1)


def test_the_due_year_is_the_latest_finished_one_within_the_plan() -> None:
    plan = load_plan()
    assert facts.due_fiscal_year(plan, dt.date(2026, 11, 30)) == 2025
    assert facts.due_fiscal_year(plan, dt.date(2026, 3, 31)) == 2024
    assert facts.due_fiscal_year(plan, dt.date(2026, 4, 1)) == 2025
    assert facts.due_fiscal_year(plan, dt.date(2020, 1, 1)) == 2023  # before: the baseline
    assert facts.due_fiscal_year(plan, dt.date(2040, 1, 1)) == 2029  # after: the target year
