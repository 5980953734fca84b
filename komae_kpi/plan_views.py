"""Tables of the plan shaped for display: the pages show these as they are, with no reshaping."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from komae_kpi import formatting
from komae_kpi.indicator_status import KIND_LABELS, criteria_text
from komae_kpi.model import Item, Plan, Program


def indicator_table(plan: Plan) -> pd.DataFrame:
    """The plan's 「6 指標」 table: baseline and target with unit and direction, in Japanese columns."""
    rows = []
    for x in plan.indicators:
        rows.append(
            {
                "No.": x.indicator_no,
                "指標": x.name,
                "単位": x.unit,
                "現状値（令和5年度末）": formatting.with_unit(x.baseline_value, x.unit),
                "目標値（令和11年度末）": f"{formatting.with_unit(x.target_value, x.unit)}{x.comparator_word}",
                "目標の種類": KIND_LABELS[x.kind],
                "説明": x.description or "",
            }
        )
    return pd.DataFrame(rows)


def criteria_table(plan: Plan) -> pd.DataFrame:
    """The 判定基準 of every indicator, in plain Japanese, from the rules kept as data."""
    return pd.DataFrame(
        [
            {
                "No.": x.indicator_no,
                "指標": x.name,
                "判定基準": criteria_text(x, plan.rule(x.indicator_no)),
            }
            for x in plan.indicators
        ]
    )


@dataclass(frozen=True)
class ProgramView:
    program: Program
    items: tuple[Item, ...]


@dataclass(frozen=True)
class DirectionView:
    code: str
    name: str
    lead: str
    programs: tuple[ProgramView, ...]


@dataclass(frozen=True)
class PolicyView:
    policy_no: int
    name: str
    directions: tuple[DirectionView, ...]


def plan_tree(plan: Plan) -> list[PolicyView]:
    """施策 → 方向性 → 基本事業 → 取組項目, in the plan's order."""
    tree = []
    for p in plan.policies:
        directions = []
        for d in (d for d in plan.directions if d.policy_no == p.policy_no):
            programs = tuple(
                ProgramView(
                    g,
                    tuple(
                        i
                        for i in plan.items
                        if (i.policy_no, i.direction_no, i.program_no)
                        == (g.policy_no, g.direction_no, g.program_no)
                    ),
                )
                for g in plan.programs
                if (g.policy_no, g.direction_no) == (d.policy_no, d.direction_no)
            )
            directions.append(DirectionView(d.code, d.name, d.lead, programs))
        tree.append(PolicyView(p.policy_no, p.name, tuple(directions)))
    return tree


def item_count_text(plan: Plan) -> str:
    """'62項目（うち再掲1）': reposts are one activity shown in two places."""
    reposts = sum(1 for i in plan.items if i.repost_of is not None)
    return f"{len(plan.items)}項目（うち再掲{reposts}）" if reposts else f"{len(plan.items)}項目"


def item_departments_text(item: Item, plan: Plan) -> str:
    """'政策室・情報政策課・会計課・関係各課（総称）': catch-alls marked as not being departments."""
    catch_alls = {d.name for d in plan.departments if d.is_catch_all}
    return "・".join(f"{d}（総称）" if d in catch_alls else d for d in item.departments)
