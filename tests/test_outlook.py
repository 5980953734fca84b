"""The fiscal outlook (judgement/outlook.py): balances from planned flows, re-based on actuals, the
breach year and what meeting the target takes. Every expected number is computed by hand in the
comment beside it, from the plan's baselines (市債残高 167.7億円 → 160億円以下 with a plan line and
a tolerance of 0.5; 財政調整基金残高 22.3億円 → 20.0億円以上, a guardrail; 経常収支比率 90.0%以下)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from komae_kpi.judgement.outlook import IndicatorOutlook, build_outlook, project
from komae_kpi.plan.plan_files import load_plan
from komae_kpi.store.scenarios import Scenario, ScenarioFlow, ScenarioForecast

PLAN = load_plan()
YEARS = range(2024, 2030)
DEBT, FUND, RATIO = 5, 4, 3


def flows(
    amounts: Mapping[str, float | Mapping[int, float]], years: range = YEARS
) -> tuple[ScenarioFlow, ...]:
    """Flows by code: one amount for every year, or an amount per year."""
    out = []
    for code, amount in amounts.items():
        for year in years:
            value = amount if isinstance(amount, float) else amount.get(year)
            if value is not None:
                out.append(ScenarioFlow(fiscal_year=year, flow_code=code, amount=value))
    return tuple(out)


def scenario(
    *,
    flows: tuple[ScenarioFlow, ...] = (),
    forecasts: Mapping[tuple[int, int], float] | None = None,
) -> Scenario:
    return Scenario(
        name="試算",
        flows=flows,
        forecasts=tuple(
            ScenarioForecast(indicator_no=no, fiscal_year=year, value=value)
            for (no, year), value in (forecasts or {}).items()
        ),
    )


def rebased(outlook: IndicatorOutlook) -> dict[int, float | None]:
    return {r.fiscal_year: None if r.rebased is None else round(r.rebased, 6) for r in outlook.rows}


def planned(outlook: IndicatorOutlook) -> dict[int, float | None]:
    return {
        r.fiscal_year: None if r.as_planned is None else round(r.as_planned, 6)
        for r in outlook.rows
    }


def test_a_debt_path_as_planned_from_the_baseline() -> None:
    s = scenario(flows=flows({"issuance": 10.0, "repayment": 11.5}))
    debt = project(PLAN, s, DEBT, {2023: 167.7})
    # 167.7 + 10.0 − 11.5 = 166.2, then −1.5 a year: 164.7, 163.2, 161.7, 160.2, 158.7.
    expected = {
        2023: 167.7,
        2024: 166.2,
        2025: 164.7,
        2026: 163.2,
        2027: 161.7,
        2028: 160.2,
        2029: 158.7,
    }
    assert planned(debt) == expected
    assert rebased(debt) == expected  # no actual after the baseline: the same path
    assert [r.basis for r in debt.rows] == [
        "計画値（令和5年度現状値）",
        *["前年度末残高＋市債発行額−元金償還額"] * 6,
    ]
    v = debt.verdict
    assert v.meets_target and v.breach_year is None
    assert v.sentence == "財政見通し『試算』では令和11年度に158.7億円（目標160.0億円以下を満たす）"
    # 160.0 − 158.7 = 1.3 to spare.
    assert v.requirement == "この見通しで目標を満たします（余裕 1.3億円）。"


def test_a_new_actual_rebases_the_path_and_the_plan_path_stays() -> None:
    s = scenario(flows=flows({"issuance": 10.0, "repayment": 11.5}))
    debt = project(PLAN, s, DEBT, {2023: 167.7, 2024: 166.0, 2025: 165.0})
    # As planned as before; re-based: the actuals, then 165.0 − 1.5 a year: 163.5, 162.0, 160.5, 159.0.
    assert planned(debt)[2029] == 158.7
    assert rebased(debt) == {
        2023: 167.7,
        2024: 166.0,
        2025: 165.0,
        2026: 163.5,
        2027: 162.0,
        2028: 160.5,
        2029: 159.0,
    }
    assert [r.basis for r in debt.rows][1:4] == [
        "実績",
        "実績",
        "前年度末残高＋市債発行額−元金償還額",
    ]
    assert debt.verdict.final_value == pytest.approx(159.0)
    assert debt.verdict.flow_years == 4  # FY2026–FY2029 add flows


def test_a_year_without_flows_stops_the_path_until_an_actual_rebases_it() -> None:
    gap = flows({"issuance": 10.0, "repayment": 11.5}, years=range(2024, 2027))
    later = flows({"issuance": 10.0, "repayment": 11.5}, years=range(2028, 2030))
    s = scenario(flows=gap + later)  # nothing for FY2027
    debt = project(PLAN, s, DEBT, {2023: 167.7})
    # 166.2, 164.7, 163.2, then no flows for 令和9年度: both paths stop there.
    assert rebased(debt) == {
        2023: 167.7,
        2024: 166.2,
        2025: 164.7,
        2026: 163.2,
        2027: None,
        2028: None,
        2029: None,
    }
    assert planned(debt)[2027] is None and planned(debt)[2029] is None
    stopped = "令和9年度の増減（市債発行額・元金償還額）がないため推計できません"
    assert [r.basis for r in debt.rows][4:] == [stopped] * 3
    v = debt.verdict
    assert v.final_value is None and v.meets_target is None and v.stopped_year == 2027
    assert (
        v.sentence
        == "財政見通し『試算』では令和11年度の値を推計できません（令和9年度の増減がありません）"
    )
    assert v.requirement == "令和9年度の増減がないため、令和11年度の値を推計できません。"
    # An actual for the gap year re-bases the path: 162.0 − 1.5 − 1.5 = 159.0.
    rebased_on_actual = project(PLAN, s, DEBT, {2023: 167.7, 2027: 162.0})
    assert rebased(rebased_on_actual)[2029] == 159.0
    assert planned(rebased_on_actual)[2029] is None  # the plan path still lacks FY2027


def test_the_fund_breaches_its_floor_and_what_it_takes_to_meet_it() -> None:
    s = scenario(flows=flows({"deposit": 1.0, "withdrawal": 1.6}))
    fund = project(PLAN, s, FUND, {2023: 22.3})
    # 22.3 − 0.6 a year: 21.7, 21.1, 20.5, 19.9 (below 20.0 in 令和9年度), 19.3, 18.7.
    assert rebased(fund) == {
        2023: 22.3,
        2024: 21.7,
        2025: 21.1,
        2026: 20.5,
        2027: 19.9,
        2028: 19.3,
        2029: 18.7,
    }
    v = fund.verdict
    assert v.breach_year == 2027 and not v.meets_target
    assert v.sentence == (
        "財政見通し『試算』では令和11年度に18.7億円で、目標20.0億円以上を下回る見込み（令和9年度から）"
    )
    # 20.0 − 18.7 = 1.3 short over 6 years = 0.2166… a year, rounded up so that it suffices: 0.3.
    assert v.per_year == pytest.approx(0.3)
    assert v.requirement == (
        "令和11年度に20.0億円以上とするには、取崩額を毎年度あと0.3億円抑える"
        "（または積立額を増やす）必要があります。"
    )


def test_a_path_resting_on_a_estimate_says_so_and_its_verdict_is_provisional() -> None:
    s = scenario(flows=flows({"deposit": 1.0, "withdrawal": 1.6}))
    # FY2025's 21.5 is a 決算見込: 21.5 − 0.6 × 4 = 19.1 in FY2029, below the floor.
    fund = project(PLAN, s, FUND, {2023: 22.3, 2024: 22.1, 2025: 21.5}, {2025: "estimate"})
    row = {r.fiscal_year: r for r in fund.rows}
    assert (row[2025].basis, row[2025].as_json()["stage"]) == ("実績（見込）", "見込")
    assert (row[2024].basis, row[2024].as_json()["stage"]) == ("実績", "決算")
    assert row[2026].as_json()["stage"] is None  # a projection, not an actual
    v = fund.verdict
    assert v.provisional and v.as_json()["provisional"] is True
    assert v.sentence == (
        "財政見通し『試算』では令和11年度に19.1億円で、目標20.0億円以上を下回る見込み"
        "（令和10年度から）（暫定）"
    )
    # The 決算 arrives: the same path, no longer provisional.
    settled = project(PLAN, s, FUND, {2023: 22.3, 2024: 22.1, 2025: 21.5}, {2025: "settled"})
    assert not settled.verdict.provisional and not settled.verdict.sentence.endswith("（暫定）")
    # A later actual that is settled carries the path on: not provisional either.
    later = project(
        PLAN, s, FUND, {2023: 22.3, 2025: 21.5, 2026: 21.0}, {2025: "estimate", 2026: "final"}
    )
    assert not later.verdict.provisional
    assert {r.fiscal_year: r.as_json()["stage"] for r in later.rows}[2026] == "確定"


def test_the_debt_over_its_ceiling_asks_to_hold_issuance_down() -> None:
    s = scenario(flows=flows({"issuance": 10.0, "repayment": 10.2}, years=range(2026, 2030)))
    debt = project(PLAN, s, DEBT, {2023: 167.7, 2024: 165.5, 2025: 164.0})
    # 164.0 − 0.2 a year: 163.8, 163.6, 163.4, 163.2; 3.2 too much over 4 years = 0.8 a year.
    assert [rebased(debt)[y] for y in range(2026, 2030)] == [163.8, 163.6, 163.4, 163.2]
    # No flows for FY2024: the path as planned from the baseline stops at once.
    assert planned(debt)[2024] is None
    v = debt.verdict
    # The plan line with its tolerance: 167.7 − 7.7 × 4/6 + 0.5 = 163.0666… in 令和9年度, and 163.6 is above it
    # (令和8年度: 163.85 + 0.5 = 164.35 ≥ 163.8, still on the line).
    assert v.breach_year == 2027
    assert v.sentence == (
        "財政見通し『試算』では令和11年度に163.2億円で、目標160.0億円以下を超える見込み"
        "（令和9年度から計画線より遅れ）"
    )
    assert v.requirement == (
        "令和11年度に160.0億円以下とするには、市債発行額を毎年度あと0.8億円抑える必要があります。"
    )


def test_a_value_that_rounds_to_the_target_meets_it_as_it_is_written() -> None:
    # 167.7 + 0 − 1.27 × 6 = 160.08, written 160.1億円: over the ceiling; with 1.28 a year it is
    # 160.02, written 160.0億円: the target met, never 「160.0億円で、目標160.0億円以下を超える」.
    over = project(PLAN, scenario(flows=flows({"issuance": 0.0, "repayment": 1.27})), DEBT, {})
    assert over.verdict.meets_target is False and "160.1億円で" in over.verdict.sentence
    met = project(PLAN, scenario(flows=flows({"issuance": 0.0, "repayment": 1.28})), DEBT, {})
    assert met.verdict.final_value == pytest.approx(160.02)
    assert met.verdict.meets_target and met.verdict.sentence == (
        "財政見通し『試算』では令和11年度に160.0億円（目標160.0億円以下を満たす）"
    )


def test_a_fund_that_meets_its_floor_with_room_to_spare() -> None:
    s = scenario(flows=flows({"deposit": 1.5, "withdrawal": 1.0}))
    fund = project(PLAN, s, FUND, {2023: 22.3})
    # 22.3 + 0.5 × 6 = 25.3: 5.3 above 20.0.
    assert fund.verdict.final_value == pytest.approx(25.3)
    assert (
        fund.verdict.sentence
        == "財政見通し『試算』では令和11年度に25.3億円（目標20.0億円以上を満たす）"
    )
    assert fund.verdict.requirement == "この見通しで目標を満たします（余裕 5.3億円）。"


def test_a_dip_below_the_floor_is_named_even_when_the_last_year_recovers() -> None:
    down = {2024: 1.0, 2025: 1.0, 2026: 1.0, 2027: 0.0, 2028: 0.0, 2029: 0.0}
    up = {2024: 0.0, 2025: 0.0, 2026: 0.0, 2027: 1.0, 2028: 1.0, 2029: 1.0}
    s = scenario(flows=flows({"deposit": up, "withdrawal": down}))
    fund = project(PLAN, s, FUND, {2023: 22.3})
    # 21.3, 20.3, 19.3 (令和8年度, below 20.0), then 20.3, 21.3, 22.3.
    assert rebased(fund)[2026] == 19.3 and rebased(fund)[2029] == 22.3
    assert fund.verdict.sentence == (
        "財政見通し『試算』では令和11年度に22.3億円（目標20.0億円以上を満たすが、令和8年度に下回る見込み）"
    )


def test_a_direct_forecast_and_its_verdict() -> None:
    values = {2024: 88.0, 2025: 88.5, 2026: 89.0, 2027: 89.5, 2028: 90.0, 2029: 90.5}
    s = scenario(forecasts={(RATIO, y): v for y, v in values.items()})
    ratio = project(PLAN, s, RATIO, {2023: 87.3, 2024: 88.4})
    # The forecast is the plan path; the actual of FY2024 replaces it in the re-based one.
    assert planned(ratio) == {2023: 87.3, **values}
    assert rebased(ratio) == {
        2023: 87.3,
        2024: 88.4,
        **{y: v for y, v in values.items() if y > 2024},
    }
    assert [r.basis for r in ratio.rows][:3] == [
        "計画値（令和5年度現状値）",
        "実績",
        "財政見通しの見込値",
    ]
    v = ratio.verdict
    # 90.0 in 令和10年度 still meets 90.0%以下; 90.5 in 令和11年度 is over by 0.5 ポイント.
    assert v.breach_year == 2029
    assert v.sentence == "財政見通し『試算』では令和11年度に90.5%で、目標90.0%以下を超える見込み"
    assert (
        v.requirement
        == "令和11年度に90.0%以下とするには、見込値をあと0.5ポイント下げる必要があります。"
    )
    assert ratio.flow_lines == ()


def test_a_forecast_balance_is_where_the_flows_go_on_from() -> None:
    s = scenario(
        flows=flows({"issuance": 10.0, "repayment": 11.0}, years=range(2028, 2030)),
        forecasts={(DEBT, 2027): 150.0},
    )
    debt = project(PLAN, s, DEBT, {2023: 167.7, 2024: 166.0})
    # FY2025 and FY2026 have neither flows nor a forecast; 令和9年度 is given as 150.0, then −1.0 a year.
    assert rebased(debt) == {
        2023: 167.7,
        2024: 166.0,
        2025: None,
        2026: None,
        2027: 150.0,
        2028: 149.0,
        2029: 148.0,
    }
    assert [r.basis for r in debt.rows][2:5] == [
        "令和7年度の増減（市債発行額・元金償還額）がないため推計できません",
        "令和7年度の増減（市債発行額・元金償還額）がないため推計できません",
        "財政見通しの見込値",
    ]
    assert planned(debt)[2029] == 148.0  # the plan path goes on from the forecast too
    assert debt.verdict.flow_years == 2


def test_a_missing_flow_of_a_year_counts_as_none_of_it() -> None:
    s = scenario(
        flows=flows({"deposit": {2024: 2.0}, "withdrawal": {2025: 1.0}}, years=range(2024, 2026))
    )
    fund = project(PLAN, s, FUND, {2023: 22.3})
    # 22.3 + 2.0 = 24.3 (no 取崩額 given for FY2024: none), then 24.3 − 1.0 = 23.3.
    assert rebased(fund)[2024] == 24.3 and rebased(fund)[2025] == 23.3
    assert rebased(fund)[2026] is None


def test_the_outlook_of_a_scenario_lists_its_indicators_flows_and_json_rows() -> None:
    s = scenario(
        flows=flows({"issuance": 10.0, "repayment": 11.5, "deposit": 1.0, "withdrawal": 1.6}),
        forecasts={(RATIO, 2029): 89.1},
    )
    outlook = build_outlook(PLAN, s, {DEBT: {2023: 167.7}, FUND: {2023: 22.3}, RATIO: {2023: 87.3}})
    assert [x.indicator.indicator_no for x in outlook.indicators] == [RATIO, FUND, DEBT]
    assert outlook.years == tuple(YEARS)
    assert [(line.flow.flow_code, line.amounts) for line in outlook.of(DEBT).flow_lines] == [  # type: ignore[union-attr]
        ("issuance", (10.0,) * 6),
        ("repayment", (11.5,) * 6),
    ]
    records = outlook.records()
    assert len(records) == 3 * 7  # three indicators, FY2023–FY2029
    assert list(records[0]) == [
        "indicator_no",
        "fiscal_year",
        "as_planned",
        "rebased",
        "basis",
        "stage",
    ]
    # 経常収支比率 has only a FY2029 forecast: no value in between, and no float noise anywhere.
    assert records[1] == {
        "indicator_no": RATIO,
        "fiscal_year": 2024,
        "as_planned": None,
        "rebased": None,
        "basis": "財政見通しに令和6年度の見込値がありません",
        "stage": None,
    }
    fund_2027 = next(r for r in records if r["indicator_no"] == FUND and r["fiscal_year"] == 2027)
    assert fund_2027["rebased"] == 19.9  # 22.3 − 0.6 × 4, rounded to four decimals in JSON
    assert [v.indicator.indicator_no for v in outlook.verdicts] == [RATIO, FUND, DEBT]
