"""The fiscal outlook: where a 財政見通し takes each indicator it touches by FY2029. Pure functions
over the plan, a scenario and the actuals in force; load_outlooks reads them from the store.

A balance indicator (a stock: 市債残高, 財政調整基金残高; plan.stock_flows names its flows) is not a
trend: next year's balance is this year's plus the flows that add to it less those that take from
it (残高 = 前年度末残高 + 市債発行額 − 元金償還額; 積立額 − 取崩額 for the fund). Two paths per year,
from the plan's baseline year (FY2023) to the target year (FY2029):
- as planned: from the plan's baseline, each year adding that year's flows;
- re-based: the actual for a year that has one; after it, the previous year's re-based value plus
  the year's flows. A new actual re-bases the path on itself.
A year a path needs flows for and the scenario gives none stops that path from there (None), and
the basis says why. A scenario may also forecast a value directly (any indicator): that value is
both paths' for its year (the re-based one yields to an actual), and a balance's path goes on
from it.

For each indicator, the verdict: the re-based FY2029 value against the target; the first year the
bound is breached (a guardrail's target holds in every year; an improvement target's bound is the
plan line with its tolerance, as indicator_status.plan_line_bound defines it); and what it takes to
meet the target: the excess spread evenly over the years the path adds flows, as a yearly change of
the flows that move the balance the wrong way. Numbers are rounded only when they are written.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common import formatting
from komae_kpi.common.stages import DEFAULT_STAGE, PROVISIONAL_STAGE, Stage, label
from komae_kpi.judgement.indicator_status import (
    PROVISIONAL_MARK,
    comparable,
    headroom,
    plan_line_bound,
)
from komae_kpi.judgement.progress import Snapshot, load_snapshot
from komae_kpi.plan.model import Indicator, JudgementRule, Plan, StockFlow, meets
from komae_kpi.store.scenarios import Scenario, list_scenarios, scenario_years

BASIS_ACTUAL = "実績"
BASIS_FORECAST = "財政見通しの見込値"
# What the two paths are called on every screen and output.
AS_PLANNED_LABEL = "見通しどおり（現状値から）"
REBASED_LABEL = "最新の実績から"
# Four decimals in JSON, as `status --json`: every published figure, free of float noise.
_JSON_DECIMALS = 4


def baseline_basis(indicator: Indicator) -> str:
    """「計画値（令和5年度現状値）」."""
    return f"計画値（{fy.wareki(indicator.baseline_fiscal_year)}現状値）"


def flows_basis(flows: Sequence[StockFlow]) -> str:
    """「前年度末残高＋市債発行額−元金償還額」."""
    return "前年度末残高" + "".join(f"{'＋' if f.sign > 0 else '−'}{f.name}" for f in flows)


def gap_basis(fiscal_year: int, flows: Sequence[StockFlow]) -> str:
    """「令和8年度の増減（市債発行額・元金償還額）がないため推計できません」."""
    names = "・".join(f.name for f in flows)
    return f"{fy.wareki(fiscal_year)}の増減（{names}）がないため推計できません"


def missing_basis(fiscal_year: int) -> str:
    """「令和8年度の見込値がありません」: a year a direct forecast leaves out."""
    return f"財政見通しに{fy.wareki(fiscal_year)}の見込値がありません"


def _json_number(value: float | None) -> float | None:
    return None if value is None else round(value, _JSON_DECIMALS)


def _as_shown(value: float) -> float:
    """The value as the outputs write it (to the decimals shown)."""
    return float(f"{value:.{formatting.DEFAULT_DECIMALS}f}")


def _round_up(value: float) -> float:
    """Up to the decimals shown, so that doing what the text says does meet the target."""
    scale = 10**formatting.DEFAULT_DECIMALS
    return float(math.ceil(comparable(value * scale)) / scale)


@dataclass(frozen=True, kw_only=True)
class OutlookRow:
    """One indicator in one fiscal year: both paths in the indicator's unit (None where a path
    cannot be computed) and the basis of the re-based value in a short phrase."""

    indicator_no: int
    fiscal_year: int
    as_planned: float | None
    rebased: float | None
    basis: str
    rebased_stage: Stage | None = None  # the stage of the actual the re-based value is, if any

    def as_json(self) -> dict[str, Any]:
        """The object `scenario show --json` prints."""
        return {
            "indicator_no": self.indicator_no,
            "fiscal_year": self.fiscal_year,
            "as_planned": _json_number(self.as_planned),
            "rebased": _json_number(self.rebased),
            "basis": self.basis,
            "stage": label(self.rebased_stage) if self.rebased_stage else None,
        }


@dataclass(frozen=True, kw_only=True)
class FlowLine:
    """One flow's planned amounts, one per year of Outlook.years (None: not planned)."""

    flow: StockFlow
    amounts: tuple[float | None, ...]


@dataclass(frozen=True, kw_only=True)
class OutlookVerdict:
    """Where the scenario takes one indicator by the target year, and what meeting it takes.

    final_value: the re-based value of the target year (None: the path stopped, at stopped_year).
    margin: the distance to the target on the allowed side (negative: the target is missed).
    breach_year: the first year past the bound (see the module docstring), or None.
    flow_years: the years whose flows make the final value (after the last actual or forecast).
    per_year: what each of those years' flows must change by to meet the target (rounded up to
    the decimals shown); None when the target is met or no flows make the final value.
    """

    scenario_label: str
    indicator: Indicator
    final_value: float | None
    margin: float | None
    breach_year: int | None
    stopped_year: int | None
    flows: tuple[StockFlow, ...]
    flow_years: int
    per_year: float | None
    # The final value rests on a 見込 actual (re-based on it, no later forecast): the verdict is 暫定.
    provisional: bool = False

    @property
    def target_year(self) -> int:
        return self.indicator.target_fiscal_year

    @property
    def meets_target(self) -> bool | None:
        """Whether the final value meets the target; None when there is no final value."""
        if self.margin is None:
            return None
        return comparable(self.margin) >= 0

    @property
    def held_flows(self) -> tuple[StockFlow, ...]:
        """The flows that move the balance the wrong way: to be held down (抑える)."""
        wrong = 1 if self.indicator.comparator == "<=" else -1
        return tuple(f for f in self.flows if f.sign == wrong)

    @property
    def raised_flows(self) -> tuple[StockFlow, ...]:
        """The flows that could be raised instead: only inflows (積立額). An outflow that would
        help (元金償還額 under a ceiling) follows the bonds' schedules and is not the remedy."""
        wrong = 1 if self.indicator.comparator == "<=" else -1
        return tuple(f for f in self.flows if f.sign != wrong and f.sign > 0)

    def _value(self, value: float) -> str:
        return formatting.with_unit(value, self.indicator.unit)

    @property
    def _missed_word(self) -> str:
        return "下回る" if self.indicator.higher_is_better else "超える"

    @property
    def _breach_words(self) -> str:
        """How a breach of the year's bound is said: a guardrail's target, else the plan line."""
        if self.indicator.kind == "guardrail":
            return f"{self._missed_word}見込み"
        return "計画線より遅れる見込み"

    @property
    def sentence(self) -> str:
        """The verdict for the warnings: 「財政見通し『A』では令和11年度に158.2億円（目標160.0億円以下を
        満たす）」 / 「…に165.0億円で、目標160.0億円以下を超える見込み（令和9年度から）」; followed by
        （暫定） when it rests on a 見込 actual."""
        return self._sentence + (PROVISIONAL_MARK if self.provisional else "")

    @property
    def _sentence(self) -> str:
        x = self.indicator
        head = f"財政見通し『{self.scenario_label}』では{fy.wareki(self.target_year)}"
        if self.final_value is None:
            assert self.stopped_year is not None
            return f"{head}の値を推計できません（{fy.wareki(self.stopped_year)}の増減がありません）"
        value = self._value(self.final_value)
        if self.meets_target:
            if self.breach_year is None:
                return f"{head}に{value}（目標{x.target_text()}を満たす）"
            return (
                f"{head}に{value}（目標{x.target_text()}を満たすが、"
                f"{fy.wareki(self.breach_year)}に{self._breach_words}）"
            )
        since = ""
        if self.breach_year is not None and self.breach_year < self.target_year:
            line = "" if x.kind == "guardrail" else "計画線より遅れ"
            since = f"（{fy.wareki(self.breach_year)}から{line}）"
        return f"{head}に{value}で、目標{x.target_text()}を{self._missed_word}見込み{since}"

    @property
    def requirement(self) -> str:
        """What meeting the target takes, worded by its direction: 「令和11年度に160.0億円以下と
        するには、市債発行額を毎年度あと0.8億円抑える必要があります。」, for the fund 「…取崩額を毎年度
        あと0.5億円抑える（または積立額を増やす）必要があります。」, or 「この見通しで目標を満たします
        （余裕 5.0億円）。」."""
        x = self.indicator
        if self.final_value is None or self.margin is None:
            assert self.stopped_year is not None
            return (
                f"{fy.wareki(self.stopped_year)}の増減がないため、{fy.wareki(self.target_year)}の"
                "値を推計できません。"
            )
        if self.meets_target:
            return f"この見通しで目標を満たします（余裕 {x.amount_text(self.margin)}）。"
        goal = f"{fy.wareki(self.target_year)}に{x.target_text()}とするには、"
        if self.per_year is not None and self.held_flows:
            held = "・".join(f.name for f in self.held_flows)
            amount = formatting.with_unit(self.per_year, formatting.difference_unit(x.unit))
            raised = "・".join(f.name for f in self.raised_flows)
            instead = f"（または{raised}を増やす）" if raised else ""
            return f"{goal}{held}を毎年度あと{amount}抑える{instead}必要があります。"
        way = "上げる" if x.higher_is_better else "下げる"
        amount = x.amount_text(_round_up(-self.margin))
        return f"{goal}見込値をあと{amount}{way}必要があります。"

    def as_json(self) -> dict[str, Any]:
        """The verdict as `status --json` lists it under its indicator (`outlook`)."""
        return {
            "final_value": _json_number(self.final_value),
            "meets": self.meets_target,
            "breach_year": self.breach_year,
            "provisional": self.provisional,
            "sentence": self.sentence,
            "requirement": self.requirement,
        }


@dataclass(frozen=True, kw_only=True)
class IndicatorOutlook:
    """One indicator under one scenario: its rows from the baseline year to the target year, its
    flows (a stock's; () otherwise) and the verdict."""

    indicator: Indicator
    rows: tuple[OutlookRow, ...]
    flow_lines: tuple[FlowLine, ...]
    verdict: OutlookVerdict

    @property
    def is_stock(self) -> bool:
        return bool(self.flow_lines)


@dataclass(frozen=True, kw_only=True)
class Outlook:
    """A scenario projected: per indicator it touches, the rows, the flows and the verdict."""

    scenario: Scenario
    years: tuple[int, ...]  # the years a scenario plans (FY2024–FY2029): FlowLine.amounts
    indicators: tuple[IndicatorOutlook, ...]

    @property
    def rows(self) -> tuple[OutlookRow, ...]:
        return tuple(r for x in self.indicators for r in x.rows)

    @property
    def flow_lines(self) -> tuple[FlowLine, ...]:
        return tuple(f for x in self.indicators for f in x.flow_lines)

    @property
    def verdicts(self) -> tuple[OutlookVerdict, ...]:
        return tuple(x.verdict for x in self.indicators)

    def of(self, indicator_no: int) -> IndicatorOutlook | None:
        return next((x for x in self.indicators if x.indicator.indicator_no == indicator_no), None)

    def records(self) -> list[dict[str, Any]]:
        """`scenario show --json`: one object per indicator and fiscal year."""
        return [r.as_json() for r in self.rows]


def _net_flow(scenario: Scenario, flows: Sequence[StockFlow], fiscal_year: int) -> float | None:
    """The signed sum of the year's flows; None when the scenario gives none of them for the year.
    A flow the scenario never gives counts as 0 (store/scenarios.missing_flows refuses a year that
    leaves out a flow given in other years)."""
    amounts = [(f.sign, scenario.flow_amount(f.flow_code, fiscal_year)) for f in flows]
    given = [(sign, a) for sign, a in amounts if a is not None]
    if not given:
        return None
    return sum(sign * a for sign, a in given)


def project(
    plan: Plan,
    scenario: Scenario,
    indicator_no: int,
    actuals: Mapping[int, float],
    stages: Mapping[int, Stage] | None = None,
) -> IndicatorOutlook:
    """Both paths of one indicator under the scenario, given its actuals (fiscal year → value)
    and their stages (fiscal year → stage; 決算 where not given). A 見込 actual is marked in its
    basis, and a verdict resting on it is 暫定."""
    stages = stages or {}
    x = plan.indicator(indicator_no)
    flows = plan.flows_of(indicator_no)
    rows: list[OutlookRow] = []
    planned: float | None = None
    rebased: float | None = None
    stopped: int | None = None  # the year the re-based path stopped for want of flows
    flow_years = 0  # years since the last actual or forecast whose flows the path added
    on_estimate = False  # the re-based path goes on from a 見込 actual
    for year in range(x.baseline_fiscal_year, x.target_fiscal_year + 1):
        forecast = scenario.forecast(indicator_no, year)
        net = _net_flow(scenario, flows, year) if flows else None
        if year == x.baseline_fiscal_year:
            planned = x.baseline_value
        elif forecast is not None:
            planned = forecast
        else:
            planned = planned + net if planned is not None and net is not None else None
        actual = actuals.get(year)
        if actual is not None:
            rebased, stopped, flow_years = actual, None, 0
            on_estimate = stages.get(year) == PROVISIONAL_STAGE
            same = comparable(actual) == comparable(x.baseline_value)
            basis = baseline_basis(x) if year == x.baseline_fiscal_year and same else BASIS_ACTUAL
            basis += formatting.stage_mark(stages.get(year))  # 「実績（見込）」 for a 見込
        elif year == x.baseline_fiscal_year:
            rebased, basis = x.baseline_value, baseline_basis(x)
        elif forecast is not None:
            rebased, stopped, flow_years, basis = forecast, None, 0, BASIS_FORECAST
            on_estimate = False
        elif not flows:
            rebased, basis = None, missing_basis(year)
        elif rebased is not None and net is not None:
            rebased, basis = rebased + net, flows_basis(flows)
            flow_years += 1
        else:
            if stopped is None:
                stopped = year
            rebased, basis = None, gap_basis(stopped, flows)
        stage = stages.get(year, DEFAULT_STAGE) if actual is not None else None
        rows.append(
            OutlookRow(
                indicator_no=indicator_no,
                fiscal_year=year,
                as_planned=planned,
                rebased=rebased,
                basis=basis,
                rebased_stage=stage,
            )
        )
    years = scenario_years(plan)
    lines = tuple(
        FlowLine(flow=f, amounts=tuple(scenario.flow_amount(f.flow_code, y) for y in years))
        for f in flows
    )
    return IndicatorOutlook(
        indicator=x,
        rows=tuple(rows),
        flow_lines=lines,
        verdict=_verdict(plan, scenario, x, rows, stopped, flow_years, on_estimate),
    )


def _bound(x: Indicator, rule: JudgementRule, row: OutlookRow) -> float:
    """What the year's value must meet: the target in the target year, else plan_line_bound."""
    bound = plan_line_bound(x, rule, row.fiscal_year)
    assert bound is not None  # rows start at the baseline year
    return x.target_value if row.fiscal_year == x.target_fiscal_year else bound


def _verdict(
    plan: Plan,
    scenario: Scenario,
    x: Indicator,
    rows: Sequence[OutlookRow],
    stopped: int | None,
    flow_years: int,
    on_estimate: bool,
) -> OutlookVerdict:
    rule = plan.rule(x.indicator_no)
    final = rows[-1].rebased
    # Judged as shown: 160.04 is written 160.0億円, which meets 160億円以下 (saying it exceeds
    # the target beside the figure that equals it would contradict itself).
    margin = headroom(x, _as_shown(final)) if final is not None else None
    breach = next(
        (
            row.fiscal_year
            for row in rows[1:]
            if row.rebased is not None
            and not meets(_as_shown(row.rebased), x.comparator, comparable(_bound(x, rule, row)))
        ),
        None,
    )
    per_year = None
    if margin is not None and comparable(margin) < 0 and flow_years:
        per_year = _round_up(-margin / flow_years)
    return OutlookVerdict(
        scenario_label=scenario.label,
        indicator=x,
        final_value=final,
        margin=margin,
        breach_year=breach,
        stopped_year=stopped if final is None else None,
        flows=plan.flows_of(x.indicator_no),
        flow_years=flow_years,
        per_year=per_year,
        provisional=on_estimate and final is not None,
    )


def build_outlook(
    plan: Plan,
    scenario: Scenario,
    actuals: Mapping[int, Mapping[int, float]],
    stages: Mapping[int, Mapping[int, Stage]] | None = None,
) -> Outlook:
    """The scenario projected for every indicator it touches; actuals: indicator → year → value;
    stages: indicator → year → the actual's stage."""
    return Outlook(
        scenario=scenario,
        years=tuple(scenario_years(plan)),
        indicators=tuple(
            project(plan, scenario, no, actuals.get(no, {}), (stages or {}).get(no))
            for no in scenario.indicator_nos(plan)
        ),
    )


def actual_stages(snapshot: Snapshot) -> dict[int, dict[int, Stage]]:
    """Each indicator's actuals' stages (fiscal year → stage), as build_outlook takes them."""
    return {x.indicator_no: snapshot.stages(x.indicator_no) for x in snapshot.plan.indicators}


def outlooks_of(snapshot: Snapshot, scenarios: Sequence[Scenario]) -> list[Outlook]:
    """The scenarios projected from the snapshot's actuals (what is in force)."""
    actuals = {x.indicator_no: snapshot.actuals(x.indicator_no) for x in snapshot.plan.indicators}
    stages = actual_stages(snapshot)
    return [build_outlook(snapshot.plan, s, actuals, stages) for s in scenarios]


def load_outlooks(path: Path, names: Sequence[str] | None = None) -> list[Outlook]:
    """Every scenario in the store (or those named; names not found are left out), projected from
    the approved actuals, in the order of their names."""
    scenarios = list_scenarios(path, names)
    return outlooks_of(load_snapshot(path), scenarios)
