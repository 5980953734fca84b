"""A demo store: plausible synthetic actuals (FY2024–FY2025), item statuses and a 財政見通し, never
the city's.

The store is marked kind='demo' when it is created, so every page shows the デモデータ banner; the
city's store (kind='city') refuses demo data, and the default store path is refused outright.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common.errors import KomaeKpiError
from komae_kpi.common.paths import DEFAULT_DB_PATH, PLAN_DIR
from komae_kpi.plan.model import Indicator, IndicatorValue, ItemStatus, Plan
from komae_kpi.plan.plan_files import load_plan
from komae_kpi.store.connection import connect, init_store, store_kind, transaction
from komae_kpi.store.record_changes import write_entered
from komae_kpi.store.scenarios import (
    Scenario,
    ScenarioFlow,
    ScenarioForecast,
    scenario_years,
    write_scenario,
)

DEMO_YEARS = (2024, 2025)
DEMO_STATUS_YEAR = 2025
DEMO_USER = "デモデータ生成"
DEMO_SOURCE = "デモデータ（架空の値）"
SEED = 20251201

# How each indicator moves in the demo, chosen so that the demo shows every kind of status:
# improvement indicators advance at this share of the plan's pace; guardrails drift by this much a
# year (in the indicator's unit).
IMPROVEMENT_PACE = {1: 1.15, 2: 0.45, 5: 1.2, 6: 0.55, 7: 1.05, 8: 0.95}
GUARDRAIL_DRIFT = {3: 0.95, 4: -0.2}
# An indicator the tables above do not know (one a plan revision adds) keeps the plan's pace, or as
# a guardrail drifts this share of its headroom a year toward its bound (up under a ceiling, down
# above a floor), so that the demo works for any plan.
# The fiscal indicators whose latest demo value is a 決算見込 (見込), as shown at the summer 推進本部
# before the 決算 is settled: so that the demo shows 見込 values and 暫定 judgements.
ESTIMATED_INDICATORS = (3, 4)
DEFAULT_PACE = 1.0
DEFAULT_HEADROOM_SHARE = 0.1
# The demo's 財政見通し, made up so that the outlook shows both verdicts: the debt meets its ceiling
# (−1.5億円 a year), the fund falls below its floor in the last year (−0.6億円 a year from FY2026),
# and the 経常収支比率 is forecast to stay just under 90%. Amounts in 億円 by fiscal year.
DEMO_SCENARIO_NAME = "デモ用財政見通し（架空）"
DEMO_SCENARIO_NOTE = "デモ用に作った架空の財政見通し（市の計画・見通しではありません）"
DEMO_SCENARIO_DATE = dt.date(2025, 10, 1)
DEMO_SCENARIO_FLOWS: dict[str, tuple[float, ...]] = {  # FY2024–FY2029
    "issuance": (10.0, 10.0, 10.0, 10.0, 10.0, 10.0),
    "repayment": (11.5, 11.5, 11.5, 11.5, 11.5, 11.5),
    "deposit": (1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
    "withdrawal": (1.2, 1.2, 1.6, 1.6, 1.6, 1.6),
}
DEMO_SCENARIO_FORECASTS: dict[int, tuple[float, ...]] = {3: (88.2, 89.0, 89.4, 89.6, 89.8, 89.9)}
# Shares of the item vocabulary in the demo; the rest is left unreported (未報告).
STATUS_WEIGHTS = {"完了": 4, "順調": 52, "やや遅れ": 14, "遅れ": 6, "未着手": 8, "見直し": 2}
UNREPORTED_WEIGHT = 14


@dataclass(frozen=True, kw_only=True)
class DemoReport:
    path: Path
    values: int
    statuses: int
    scenarios: int = 0


def _demo_value(x: Indicator, year: int, rng: random.Random) -> float:
    years = year - x.baseline_fiscal_year
    if x.kind == "guardrail":
        headroom = x.target_value - x.baseline_value
        drift = GUARDRAIL_DRIFT.get(x.indicator_no, headroom * DEFAULT_HEADROOM_SHARE)
        value = x.baseline_value + drift * years
    else:
        on_path = x.path_value(year)
        assert on_path is not None
        pace = IMPROVEMENT_PACE.get(x.indicator_no, DEFAULT_PACE)
        value = x.baseline_value + (on_path - x.baseline_value) * pace
    value += rng.uniform(-0.05, 0.05) * max(abs(x.target_value - x.baseline_value) / 6, 0.1)
    if x.unit == "%":
        value = min(max(value, 0.0), 100.0)
    return round(value, 1)


def write_demo_store(path: Path, *, plan_dir: Path = PLAN_DIR) -> DemoReport:
    """Create (or refresh) a demo store at path for the plan in plan_dir. Refuses the city's store."""
    if path.resolve() == DEFAULT_DB_PATH.resolve():
        raise KomaeKpiError(
            f"{path} は市の実データ用の既定のストアです。デモデータは別のファイルに作成してください"
            "（例: --db data/demo.duckdb）。"
        )
    if path.exists():
        with connect(path, read_only=True) as con:
            if store_kind(con) != "demo":
                raise KomaeKpiError(
                    f"{path} は市の実データ用のストアです。デモデータは書き込めません。"
                    "別のファイルを指定してください。"
                )
    init_store(path, plan_dir=plan_dir, kind="demo")
    plan = load_plan(plan_dir)
    rng = random.Random(SEED)
    now = dt.datetime.now()
    values = [
        IndicatorValue(
            indicator_no=x.indicator_no,
            fiscal_year=year,
            value=_demo_value(x, year, rng),
            stage="estimate"
            if year == DEMO_YEARS[-1] and x.indicator_no in ESTIMATED_INDICATORS
            else "settled",
            source=DEMO_SOURCE,
            note=None,
        )
        for x in plan.indicators
        for year in DEMO_YEARS
    ]
    terms: list[str | None] = [*STATUS_WEIGHTS, None]
    weights = [*STATUS_WEIGHTS.values(), UNREPORTED_WEIGHT]
    statuses: list[ItemStatus] = []
    for item in plan.items:
        if item.repost_of is not None:
            continue  # one activity: reported once, under its original
        status = rng.choices(terms, weights)[0]
        if status is None:
            continue
        statuses.append(
            ItemStatus(
                item_no=item.item_no,
                fiscal_year=DEMO_STATUS_YEAR,
                status=status,
                achievements=(
                    f"（デモ）{item.name}について、{fy.wareki(DEMO_STATUS_YEAR)}の取組を進めました。"
                ),
                issues="（デモ）担当職員の確保が課題です。"
                if status in ("やや遅れ", "遅れ", "未着手")
                else None,
                next_steps="（デモ）引き続き取り組みます。",
            )
        )
    with connect(path, read_only=False) as con, transaction(con):
        con.execute("DELETE FROM indicator_values WHERE origin = 'user'")
        con.execute("DELETE FROM item_statuses")
        write_entered(con, [*values, *statuses], now=now, user=DEMO_USER)
        write_scenario(con, plan, demo_scenario(plan), by=DEMO_USER, replace_existing=True)
    return DemoReport(path=path, values=len(values), statuses=len(statuses), scenarios=1)


def demo_scenario(plan: Plan) -> Scenario:
    """The demo's made-up 財政見通し (is_demo: every screen showing it says デモデータ), for the
    flows and indicators this plan has."""
    years = scenario_years(plan)
    codes = {f.flow_code for f in plan.stock_flows}
    indicator_nos = {x.indicator_no for x in plan.indicators}
    return Scenario(
        name=DEMO_SCENARIO_NAME,
        scenario_date=DEMO_SCENARIO_DATE,
        note=DEMO_SCENARIO_NOTE,
        is_demo=True,
        flows=tuple(
            ScenarioFlow(fiscal_year=year, flow_code=code, amount=amount)
            for code, amounts in DEMO_SCENARIO_FLOWS.items()
            if code in codes
            for year, amount in zip(years, amounts, strict=False)
        ),
        forecasts=tuple(
            ScenarioForecast(indicator_no=no, fiscal_year=year, value=value)
            for no, values in DEMO_SCENARIO_FORECASTS.items()
            if no in indicator_nos
            for year, value in zip(years, values, strict=False)
        ),
    )
