"""What screens and outputs show of a 財政見通し: its title, the paths by year and the flows by
year as rows of text, every number formatted by common.formatting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common import formatting
from komae_kpi.judgement.outlook import (
    AS_PLANNED_LABEL,
    REBASED_LABEL,
    IndicatorOutlook,
    Outlook,
)
from komae_kpi.plan.model import Plan
from komae_kpi.store.scenarios import Scenario

NET_LABEL = "増減の計"


@dataclass(frozen=True, kw_only=True)
class TextTable:
    """A table as text: a header and rows of cells, ready for a terminal, a page or a slide."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def lines(self) -> list[str]:
        """Tab-separated lines, the header first."""
        return ["\t".join(cells) for cells in (self.header, *self.rows)]


def scenario_title(scenario: Scenario) -> str:
    """「財政見通し「中期財政ビジョン」（令和7年2月1日、令和7年2月版）」, with （デモデータ） for a
    made-up one."""
    details = [fy.wareki_date(scenario.scenario_date)] if scenario.scenario_date else []
    details += [scenario.note] if scenario.note else []
    extra = f"（{'、'.join(details)}）" if details else ""
    return f"財政見通し「{scenario.label}」{extra}"


def indicator_heading(x: IndicatorOutlook) -> str:
    """「指標5 市債残高（目標 160.0億円以下）」."""
    i = x.indicator
    return f"指標{i.indicator_no} {i.name}（目標 {i.target_text()}）"


def path_table(x: IndicatorOutlook) -> TextTable:
    """年度 × the two paths and the basis of the re-based one."""
    unit = x.indicator.unit
    return TextTable(
        header=("年度", AS_PLANNED_LABEL, REBASED_LABEL, "根拠"),
        rows=tuple(
            (
                fy.label(r.fiscal_year),
                formatting.with_unit(r.as_planned, unit),
                formatting.with_stage(r.rebased, unit, r.rebased_stage),
                r.basis,
            )
            for r in x.rows
        ),
    )


def flow_table(outlook: Outlook, x: IndicatorOutlook) -> TextTable | None:
    """A balance's flows by year (a row per flow and their signed sum); None for an indicator
    that is not a balance."""
    if not x.flow_lines:
        return None
    unit = x.indicator.unit
    rows = [
        (line.flow.name, *(formatting.with_unit(a, unit) for a in line.amounts))
        for line in x.flow_lines
    ]
    nets: list[float | None] = []
    for i in range(len(outlook.years)):
        given = [(line.flow.sign, line.amounts[i]) for line in x.flow_lines]
        amounts = [sign * a for sign, a in given if a is not None]
        nets.append(sum(amounts) if amounts else None)
    rows.append((NET_LABEL, *(formatting.signed_difference(n, unit) for n in nets)))
    return TextTable(header=("増減", *(fy.wareki(y) for y in outlook.years)), rows=tuple(rows))


def scenario_record(scenario: Scenario, plan: Plan) -> dict[str, Any]:
    """One scenario as `scenario list --json` prints it."""
    return {
        "name": scenario.name,
        "scenario_date": scenario.scenario_date.isoformat() if scenario.scenario_date else None,
        "note": scenario.note,
        "is_demo": scenario.is_demo,
        "indicator_nos": list(scenario.indicator_nos(plan)),
        "fiscal_years": list(scenario.fiscal_years),
        "summary": scenario.summary(plan),
        "created_at": scenario.created_at.isoformat(timespec="seconds")
        if scenario.created_at
        else None,
        "created_by": scenario.created_by,
        "file_name": scenario.file_name,
        "file_sha256": scenario.file_sha256,
    }
