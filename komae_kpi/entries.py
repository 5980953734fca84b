"""Saving what staff enter: indicator actuals and item statuses, validated, one transaction each."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from komae_kpi import fiscal_year as fy
from komae_kpi.errors import ValidationError
from komae_kpi.model import Indicator, Plan
from komae_kpi.queries import read_plan
from komae_kpi.store import connect, current_user, require_current_schema, transaction

# The plan period, 令和7年度 to 令和11年度: the years items are reported for.
PLAN_FIRST_FISCAL_YEAR = 2025
PLAN_LAST_FISCAL_YEAR = 2029
# Actuals may go back to the start of the published history we ship (FY2005).
FIRST_ACTUAL_FISCAL_YEAR = 2005


def actual_year_range(plan: Plan) -> tuple[int, int]:
    return FIRST_ACTUAL_FISCAL_YEAR, max(x.target_fiscal_year for x in plan.indicators)


def value_problems(indicator: Indicator, value: float) -> list[str]:
    """Why a value is impossible for its indicator (empty when it is possible)."""
    if not math.isfinite(value):
        return [f"指標{indicator.indicator_no}の値「{value}」は数値ではありません。"]
    if indicator.unit == "%" and not 0 <= value <= 100:
        return [
            f"指標{indicator.indicator_no}（{indicator.name}）は割合のため0〜100%の範囲で入力してください（「{value}」）。"
        ]
    if indicator.unit in ("億円", "日") and value < 0:
        return [
            f"指標{indicator.indicator_no}（{indicator.name}）に負の値「{value}」は入力できません。"
        ]
    return []


def save_indicator_value(
    path: Path,
    indicator_no: int,
    fiscal_year: int,
    value: float,
    *,
    source: str | None = None,
    note: str | None = None,
    user: str | None = None,
) -> None:
    """Save one actual (insert or replace) as entered by a user."""
    with connect(path, read_only=False) as con:
        require_current_schema(con, path)
        plan = read_plan(con)
        problems: list[str] = []
        indicator = next((x for x in plan.indicators if x.indicator_no == indicator_no), None)
        if indicator is None:
            problems.append(f"指標{indicator_no}は計画にありません。")
        else:
            problems.extend(value_problems(indicator, value))
        first, last = actual_year_range(plan)
        if not first <= fiscal_year <= last:
            problems.append(
                f"年度「{fiscal_year}」は受け付けられる範囲（{fy.label(first)}〜{fy.label(last)}）の外です。"
            )
        if problems:
            raise ValidationError(problems)
        with transaction(con):
            con.execute(
                "INSERT OR REPLACE INTO indicator_values VALUES (?, ?, ?, ?, ?, 'user', ?, ?)",
                [
                    indicator_no,
                    fiscal_year,
                    value,
                    source or None,
                    note or None,
                    dt.datetime.now(),
                    user or current_user(),
                ],
            )


def save_item_status(
    path: Path,
    item_no: int,
    fiscal_year: int,
    status: str,
    *,
    achievements: str | None = None,
    issues: str | None = None,
    next_steps: str | None = None,
    user: str | None = None,
) -> None:
    """Save one item's status and commentary for a fiscal year (insert or replace)."""
    with connect(path, read_only=False) as con:
        require_current_schema(con, path)
        plan = read_plan(con)
        problems: list[str] = []
        if item_no not in {i.item_no for i in plan.items}:
            problems.append(f"取組項目{item_no}は計画にありません。")
        vocabulary = [s.status for s in plan.statuses]
        if status not in vocabulary:
            problems.append(f"進捗状況「{status}」は区分（{'・'.join(vocabulary)}）にありません。")
        if not PLAN_FIRST_FISCAL_YEAR <= fiscal_year <= PLAN_LAST_FISCAL_YEAR:
            problems.append(
                f"年度「{fiscal_year}」は計画期間（{fy.label(PLAN_FIRST_FISCAL_YEAR)}〜"
                f"{fy.label(PLAN_LAST_FISCAL_YEAR)}）の外です。"
            )
        if problems:
            raise ValidationError(problems)
        with transaction(con):
            con.execute(
                "INSERT OR REPLACE INTO item_statuses VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    item_no,
                    fiscal_year,
                    status,
                    achievements or None,
                    issues or None,
                    next_steps or None,
                    dt.datetime.now(),
                    user or current_user(),
                ],
            )
