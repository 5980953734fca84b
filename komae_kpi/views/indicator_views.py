"""One indicator, shaped for display: its key figures in words and its values table with sources."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common import formatting, stages
from komae_kpi.judgement.indicator_status import KIND_LABELS, Assessment, criteria_text
from komae_kpi.judgement.progress import Snapshot, assess_all
from komae_kpi.plan import facts
from komae_kpi.plan.model import Indicator
from komae_kpi.views import finance_outlook
from komae_kpi.views.status_style import (
    STATUS_BADGE,
    assessment_status_text,
    pending_text,
)


@dataclass(frozen=True, kw_only=True)
class KeyFigure:
    """A labelled figure for a metric: '計画線' / '72.6%'."""

    label: str
    value: str
    help: str | None = None


@dataclass(frozen=True, kw_only=True)
class IndicatorSummary:
    assessment: Assessment
    figures: tuple[KeyFigure, ...]
    criteria: str
    pending: bool = False  # the latest actual waits for approval (shown with include_pending)
    finding: str | None = None  # the approver's comment on the latest actual
    outlook: tuple[str, ...] = ()  # for 遅れ/注意: the verdicts of the 財政見通し touching it

    @property
    def target_text(self) -> str:
        """'現状値 87.3%（令和5年度 (2023)）→ 目標値 90.0%以下（令和11年度 (2029)）'."""
        x = self.indicator
        baseline = formatting.with_unit(x.baseline_value, x.unit)
        return (
            f"現状値 {baseline}（{fy.label(x.baseline_fiscal_year)}）→ 目標値 {x.target_with_year}"
        )

    @property
    def indicator(self) -> Indicator:
        return self.assessment.indicator

    @property
    def status_text(self) -> str:
        return pending_text(assessment_status_text(self.assessment), self.pending)

    @property
    def badge_color(self) -> str:
        return STATUS_BADGE[self.assessment.status]

    @property
    def kind_text(self) -> str:
        return KIND_LABELS[self.indicator.kind]


def assessment_for(snapshot: Snapshot, indicator_no: int, fiscal_year: int) -> Assessment:
    return next(a for a in assess_all(snapshot, fiscal_year) if a.indicator_no == indicator_no)


def summary(snapshot: Snapshot, indicator_no: int, fiscal_year: int) -> IndicatorSummary:
    x = snapshot.plan.indicator(indicator_no)
    a = assessment_for(snapshot, indicator_no, fiscal_year)
    unit = x.unit
    diff = formatting.difference_unit(unit)
    figures = [
        KeyFigure(
            label="最新の実績値",
            value=a.latest_text,
            help=formatting.fiscal_year_label(a.latest_fiscal_year),
        ),
        KeyFigure(label=x.path_label, value=formatting.with_unit(a.path_value, unit)),
        KeyFigure(
            label=x.gap_label,
            value=formatting.signed_difference(a.gap, unit)
            if x.kind == "improvement"
            else formatting.with_unit(a.headroom, diff),
        ),
        KeyFigure(
            label=f"{fy.label(x.target_fiscal_year)}の見込み",
            value=formatting.with_unit(a.projected_value, unit),
            help="現状値以降の実績の傾向（最小二乗法）を延ばした値",
        ),
        KeyFigure(
            label=x.required_change_label,
            value=formatting.signed_difference(a.required_annual_change, unit),
        ),
        KeyFigure(
            label="実績の年変化（傾向）",
            value=formatting.signed_difference(a.observed_annual_change, unit),
        ),
    ]
    return IndicatorSummary(
        assessment=a,
        figures=tuple(figures),
        criteria=criteria_text(x, snapshot.plan.rule(indicator_no)),
        pending=snapshot.is_pending_actual(indicator_no, a.latest_fiscal_year),
        finding=snapshot.finding(indicator_no, a.latest_fiscal_year)
        if a.latest_fiscal_year is not None
        else None,
        outlook=finance_outlook.warning_verdicts(snapshot, a),
    )


def values_table(
    snapshot: Snapshot, indicator_no: int, *, up_to: int | None = None
) -> pd.DataFrame:
    """年度 / 実績値 / 区分 / 出典 / 備考, newest first, values with unit and one decimal (a 見込
    marked 「91.2%（見込）」), and each value's stage."""
    x = snapshot.plan.indicator(indicator_no)
    rows = [
        {
            "年度": fy.label(v.fiscal_year),
            "実績値": pending_text(
                formatting.with_stage(v.value, x.unit, v.stage),
                snapshot.is_pending_actual(indicator_no, v.fiscal_year),
            ),
            "区分": stages.label(v.stage),
            "出典": v.source or "",
            "備考": v.note or "",
        }
        for v in sorted(snapshot.values, key=lambda v: -v.fiscal_year)
        if v.indicator_no == indicator_no and (up_to is None or v.fiscal_year <= up_to)
    ]
    return pd.DataFrame(rows, columns=["年度", "実績値", "区分", "出典", "備考"])


def indicator_choices(snapshot: Snapshot) -> dict[int, str]:
    """indicator_no -> '指標3 経常収支比率', for selectors."""
    return {x.indicator_no: f"指標{x.indicator_no} {x.name}" for x in snapshot.plan.indicators}


def all_indicators_table(snapshot: Snapshot, fiscal_year: int) -> pd.DataFrame:
    """The plan's indicators at a glance for a year: status, latest value, baseline and target."""
    plan = snapshot.plan
    baseline = f"現状値（{fy.label(facts.baseline_fiscal_year(plan))}末）"
    target = f"目標値（{fy.label(facts.target_fiscal_year(plan))}末）"
    return pd.DataFrame(
        [
            {
                "No.": a.indicator_no,
                "指標": a.indicator.name,
                "状況": pending_text(
                    assessment_status_text(a),
                    snapshot.is_pending_actual(a.indicator_no, a.latest_fiscal_year),
                ),
                "最新の実績値": f"{a.latest_text}"
                f"（{fy.label(a.latest_fiscal_year or a.indicator.baseline_fiscal_year)}）",
                baseline: formatting.with_unit(a.indicator.baseline_value, a.indicator.unit),
                target: a.indicator.target_text(),
                "目標の種類": KIND_LABELS[a.kind],
            }
            for a in assess_all(snapshot, fiscal_year)
        ]
    )
