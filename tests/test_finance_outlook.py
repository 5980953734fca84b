"""The 財政見通し as screens and outputs show it (views/finance_outlook.py): the /finance chart and
flows, and the verdicts the warnings add, the same in the overview, the indicator summaries,
`status` and the report. Expected balances are computed by hand beside each assertion from the
plan's baselines (市債残高 167.7億円 → 160.0億円以下; 財政調整基金残高 22.3億円 → 20.0億円以上)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from komae_kpi.cli import main
from komae_kpi.judgement.outlook import AS_PLANNED_LABEL, REBASED_LABEL
from komae_kpi.judgement.progress import Snapshot, load_snapshot, status_records
from komae_kpi.outputs.report import build_report
from komae_kpi.store.demo import write_demo_store
from komae_kpi.store.entries import save_indicator_value
from komae_kpi.store.scenarios import Scenario, ScenarioFlow, ScenarioForecast, save_scenario
from komae_kpi.views import finance_outlook, finance_views
from komae_kpi.views.indicator_views import summary
from komae_kpi.views.overview import gap_warnings, outlook_warnings
from tests import html_text

DEBT, FUND, RATIO = 5, 4, 3
YEARS = range(2024, 2030)
VISION = "中期財政ビジョン"
BUDGET = "予算案"


def outlook_scenario(
    name: str,
    amounts: dict[str, float],
    forecasts: dict[int, dict[int, float]] | None = None,
) -> Scenario:
    """The same amount of each flow (by code) every year FY2024–FY2029, and direct forecasts."""
    return Scenario(
        name=name,
        flows=tuple(
            ScenarioFlow(fiscal_year=year, flow_code=code, amount=amount)
            for code, amount in amounts.items()
            for year in YEARS
        ),
        forecasts=tuple(
            ScenarioForecast(indicator_no=no, fiscal_year=year, value=value)
            for no, values in (forecasts or {}).items()
            for year, value in values.items()
        ),
    )


# Debt −1.5 a year, fund −0.6 a year.
VISION_FLOWS = {"issuance": 10.0, "repayment": 11.5, "deposit": 1.0, "withdrawal": 1.6}
# Debt −2.5 a year; the 経常収支比率 forecast directly.
BUDGET_FLOWS = {"issuance": 9.0, "repayment": 11.5}
BUDGET_RATIO = {RATIO: {2026: 89.5, 2027: 89.6, 2028: 89.7, 2029: 89.8}}


@pytest.fixture
def planned(store: Path) -> Path:
    return fill_planned(store)


def fill_planned(store: Path) -> Path:
    """A city store with FY2025 actuals for the debt (above its plan line: 遅れ) and the fund
    (順調), and two scenarios."""
    save_indicator_value(store, DEBT, 2025, 168.0, source="決算")
    save_indicator_value(store, FUND, 2025, 22.0, source="決算")
    save_scenario(store, outlook_scenario(VISION, VISION_FLOWS))
    save_scenario(store, outlook_scenario(BUDGET, BUDGET_FLOWS, BUDGET_RATIO))
    return store


def by_name(snapshot: Snapshot) -> dict[int, str]:
    return {r["indicator_no"]: r["status"] for r in status_records(snapshot, 2025)}


def test_the_chart_draws_the_actuals_the_bound_and_both_paths_of_each_scenario(
    planned: Path,
) -> None:
    snapshot = load_snapshot(planned)
    section = finance_outlook.outlook_section(snapshot, 2025, [VISION])
    fund = next(p for p in section.panels if p.indicator.indicator_no == FUND)
    figure = fund.figure()
    traces = {(t.legendgroup, t.name): t for t in figure.data}
    target = traces[(None, "目標 20.0億円以上（下限）")]
    assert set(target.y) == {20.0} and target.line.dash == "longdashdot"
    assert any(a.text == "目標 20.0億円以上（下限）" for a in figure.layout.annotations)
    actuals = traces[(None, "実績値")]
    assert list(actuals.x) == [2023, 2025] and list(actuals.y) == [22.3, 22.0]
    as_planned = traces[("scenario-0", AS_PLANNED_LABEL)]
    rebased = traces[("scenario-0", REBASED_LABEL)]
    assert as_planned.legendgrouptitle.text == VISION
    assert (as_planned.line.dash, rebased.line.dash) == ("dash", "solid")
    # As planned: 22.3 − 0.6 a year from FY2023.
    assert list(as_planned.x) == list(range(2023, 2030))
    assert [round(v, 6) for v in as_planned.y] == [22.3, 21.7, 21.1, 20.5, 19.9, 19.3, 18.7]
    # Re-based on the FY2025 actual 22.0: 22.0 − 0.6 a year.
    assert list(rebased.x) == list(range(2025, 2030))
    assert [round(v, 6) for v in rebased.y] == [22.0, 21.4, 20.8, 20.2, 19.6]
    assert figure.layout.xaxis.dtick == 1


def test_an_estimate_is_drawn_as_one_on_the_outlook_chart_too(planned: Path) -> None:
    save_indicator_value(planned, FUND, 2026, 21.5, source="決算見込", stage="estimate")
    section = finance_outlook.outlook_section(load_snapshot(planned), 2026, [VISION])
    fund = next(p for p in section.panels if p.indicator.indicator_no == FUND)
    actuals = next(t for t in fund.figure().data if t.name == "実績値")
    assert list(actuals.x) == [2023, 2025, 2026]
    assert list(actuals.marker.symbol) == ["circle", "circle", "circle-open"]
    assert [c[1] for c in actuals.customdata] == ["", "", "（見込）"]


def test_each_scenario_has_its_own_colour_and_marker(planned: Path) -> None:
    snapshot = load_snapshot(planned)
    section = finance_outlook.outlook_section(snapshot, 2025, [VISION, BUDGET])
    debt = next(p for p in section.panels if p.indicator.indicator_no == DEBT)
    rebased = [t for t in debt.figure().data if t.name == REBASED_LABEL]
    assert [t.legendgrouptitle.text for t in rebased] == [VISION, BUDGET]  # the store's order
    assert len({t.line.color for t in rebased}) == 2
    assert len({t.marker.symbol for t in rebased}) == 2


def test_the_flows_table_has_a_row_per_flow_and_a_column_per_year(planned: Path) -> None:
    snapshot = load_snapshot(planned)
    section = finance_outlook.outlook_section(snapshot, 2025, [VISION])
    debt = next(p for p in section.panels if p.indicator.indicator_no == DEBT)
    (vision,) = debt.scenarios
    flows = vision.flows
    assert flows is not None
    assert list(flows.columns) == ["増減（億円）", "R6", "R7", "R8", "R9", "R10", "R11"]
    rows = flows.values.tolist()
    assert rows[0] == ["市債発行額", *["10.0"] * 6]
    assert rows[1] == ["元金償還額", *["11.5"] * 6]
    assert rows[2] == ["増減の計", *["-1.5"] * 6]


def test_balances_first_then_what_a_scenario_forecasts_without_a_flows_table(
    planned: Path,
) -> None:
    snapshot = load_snapshot(planned)
    section = finance_outlook.outlook_section(snapshot, 2025, [BUDGET])
    assert [p.indicator.indicator_no for p in section.panels] == [FUND, DEBT, RATIO]
    fund, debt, ratio = section.panels
    # The budget plans no fund flows: the fund's chart is there, saying so.
    assert fund.scenarios == () and fund.untouched_text is not None
    assert "財政調整基金残高の増減・見込値がありません" in fund.untouched_text
    (forecast,) = ratio.scenarios
    assert forecast.flows is None
    names = [t.name for t in ratio.figure().data]
    assert AS_PLANNED_LABEL in names and REBASED_LABEL in names
    # 160.0 ⇐ 168.0 − 2.5 × 4 = 158.0.
    (budget,) = debt.scenarios
    assert budget.verdict.final_value == pytest.approx(158.0)


def test_the_outlook_stands_on_the_actuals_of_the_year_shown(planned: Path) -> None:
    snapshot = load_snapshot(planned)
    debt_2024 = finance_outlook.indicator_verdicts(snapshot, DEBT, 2024)
    debt_2025 = finance_outlook.indicator_verdicts(snapshot, DEBT, 2025)
    vision_2024 = dict((s.name, v) for s, v in debt_2024)[VISION]
    vision_2025 = dict((s.name, v) for s, v in debt_2025)[VISION]
    # Without the FY2025 actual: 167.7 − 1.5 × 6 = 158.7; with it: 168.0 − 1.5 × 4 = 162.0.
    assert vision_2024.final_value == pytest.approx(158.7)
    assert vision_2025.final_value == pytest.approx(162.0)


def test_the_section_names_unknown_scenarios_and_says_how_to_add_one(
    planned: Path, tmp_path: Path
) -> None:
    snapshot = load_snapshot(planned)
    section = finance_outlook.outlook_section(snapshot, 2025, [VISION], unknown=["旧計画"])
    assert section.notices == (
        f"リンクの指定: 財政見通し「旧計画」はありません（あるのは「{VISION}」「{BUDGET}」）。",
    )
    none_chosen = finance_outlook.outlook_section(snapshot, 2025, [])
    assert none_chosen.panels == () and none_chosen.notices == (finance_outlook.NONE_CHOSEN_TEXT,)
    fresh = tmp_path / "fresh.duckdb"
    from komae_kpi.store.connection import init_store

    init_store(fresh)
    empty = finance_outlook.outlook_section(load_snapshot(fresh), 2025, [])
    (text,) = empty.notices
    assert "「実績入力」の「財政見通し」、" in text and "scenario import" in text


def test_a_made_up_scenario_is_marked(tmp_path: Path) -> None:
    demo = tmp_path / "demo.duckdb"
    write_demo_store(demo)
    snapshot = load_snapshot(demo)
    (scenario,) = snapshot.scenarios
    section = finance_outlook.outlook_section(snapshot, 2025, [scenario.name])
    assert section.demo_note is not None
    assert section.demo_note.startswith("デモデータ（架空の財政見通し）：")
    assert finance_outlook.shown_name(scenario).endswith("【デモデータ（架空の財政見通し）】")
    assert all(
        "デモデータ（架空の財政見通し）" in s.heading for p in section.panels for s in p.scenarios
    )


def test_a_warning_adds_the_verdict_of_each_scenario_touching_its_indicator(
    planned: Path,
) -> None:
    snapshot = load_snapshot(planned)
    statuses = by_name(snapshot)
    assert statuses[DEBT] == "off_track" and statuses[FUND] == "on_track"
    vision = (
        "財政見通し『中期財政ビジョン』では令和11年度に162.0億円で、目標160.0億円以下を超える見込み"
    )
    # 2.0 over, spread over the four years after the FY2025 actual.
    held = (
        "令和11年度に160.0億円以下とするには、市債発行額を毎年度あと0.5億円抑える必要があります。"
    )
    # The budget meets the target, though the FY2025 actual is behind the plan line.
    budget = (
        "財政見通し『予算案』では令和11年度に158.0億円（目標160.0億円以下を満たすが、"
        "令和7年度に計画線より遅れる見込み）。"
    )
    (debt,) = [w for w in gap_warnings(snapshot, 2025) if w.indicator_no == DEBT]
    assert vision in debt.body and held in debt.body and budget in debt.body
    # The requirement only where the target is missed.
    assert "余裕" not in debt.body
    # The same lines on the indicator's summary (/indicators, /finance's card, the deck).
    info = summary(snapshot, DEBT, 2025)
    assert len(info.outlook) == 2 and info.outlook[1] == budget
    assert vision in info.outlook[0] and held in info.outlook[0]
    card = html_text.text(finance_views.card_html(info, 2025))
    assert vision in card and budget in card
    # The fund's status keeps its rule (順調 by its trend: no gap warning), but its summary says
    # what the outlook shows, as the overview does below.
    fund_miss = (
        "財政見通し『中期財政ビジョン』では令和11年度に19.6億円で、目標20.0億円以上を下回る見込み。"
        "令和11年度に20.0億円以上とするには、取崩額を毎年度あと0.1億円抑える"
        "（または積立額を増やす）必要があります。"
    )
    assert summary(snapshot, FUND, 2025).outlook == (fund_miss,)
    assert all(w.indicator_no != FUND for w in gap_warnings(snapshot, 2025))
    # But the overview says what the outlook shows for it: 22.0 − 0.6 × 4 = 19.6 in FY2029, 0.4
    # short, so 0.1 a year less drawn down over the four years after the actual.
    (fund,) = outlook_warnings(snapshot, 2025)
    assert (fund.indicator_no, fund.level, fund.title) == (
        FUND,
        "warning",
        "財政見通し：指標4 財政調整基金残高",
    )
    assert fund.body == (
        "実績の傾向による判定は「順調」です。"
        "財政見通し『中期財政ビジョン』では令和11年度に19.6億円で、目標20.0億円以上を下回る見込み。"
        "令和11年度に20.0億円以上とするには、取崩額を毎年度あと0.1億円抑える"
        "（または積立額を増やす）必要があります。"
    )


def test_status_text_and_json_carry_the_outlook(
    planned: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--db", str(planned), "--fiscal-year", "R7", "--json"]) == 0
    records = {r["indicator_no"]: r for r in json.loads(capsys.readouterr().out)}
    assert records[1]["outlook"] == []
    vision, budget = records[DEBT]["outlook"]
    assert (budget["scenario"], vision["scenario"]) == (BUDGET, VISION)
    assert vision["final_value"] == 162.0 and vision["meets"] is False
    assert vision["sentence"].startswith(
        "財政見通し『中期財政ビジョン』では令和11年度に162.0億円で"
    )
    assert budget["final_value"] == 158.0 and budget["meets"] is True
    assert budget["breach_year"] == 2025 and budget["is_demo"] is False
    (fund,) = records[FUND]["outlook"]  # every indicator a scenario touches, warned or not
    assert fund["final_value"] == 19.6 and fund["breach_year"] == 2029  # 22.0 − 0.6 × 4
    assert set(vision) == {
        "scenario",
        "is_demo",
        "final_value",
        "meets",
        "breach_year",
        "provisional",
        "sentence",
        "requirement",
    }
    assert main(["status", "--db", str(planned), "--fiscal-year", "R7"]) == 0
    text = capsys.readouterr().out
    debt = text.split("5. 市債残高")[1].split("\n6. ")[0]
    assert "財政見通し『中期財政ビジョン』では令和11年度に162.0億円" in debt
    fund_text = text.split("4. 財政調整基金残高")[1].split("\n5. ")[0]
    # 順調 by its trend, but the planned flows miss the target: the status text says so too.
    assert "令和11年度に19.6億円で、目標20.0億円以上を下回る見込み" in fund_text


def _no_image(figure: object, *, width: int, height: int) -> bytes:
    return b""


def test_the_report_adds_the_verdict_to_the_warning_and_an_outlook_section(
    planned: Path, store: Path
) -> None:
    page = build_report(load_snapshot(planned), 2025, _no_image).html
    vision = (
        "財政見通し『中期財政ビジョン』では令和11年度に162.0億円で、目標160.0億円以下を超える見込み"
    )
    debt = html_text.text(page.split('id="indicator-5"')[1].split("</section>")[0])
    assert vision in debt  # beside the debt's chart, after the reason
    assert '<section class="outlook" id="outlook"><h3>2.9 財政見通し</h3>' in page
    assert '<a href="#outlook">2.9 財政見通し</a>' in page
    markup = page.split('id="outlook"')[1].split("</section>")[0]
    # The budget's ratio and debt, the vision's fund and debt: a table of both paths each.
    assert markup.count("<table") == 4
    section = html_text.text(markup)
    assert f"財政見通し「{VISION}」" in section and f"財政見通し「{BUDGET}」" in section
    # The vision's debt in FY2029: as planned 167.7 − 1.5 × 6, re-based 168.0 − 1.5 × 4.
    assert "令和11年度 (2029) 158.7億円 162.0億円" in section
    assert vision in section and "市債発行額を毎年度あと0.5億円抑える必要があります。" in section


def test_no_scenario_no_outlook_in_the_report(store: Path) -> None:
    page = build_report(load_snapshot(store), 2025, _no_image).html
    assert "財政見通し" not in page
