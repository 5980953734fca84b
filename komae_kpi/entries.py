"""Saving what staff enter: indicator actuals and item statuses, validated, one transaction each."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from komae_kpi import fiscal_year as fy
from komae_kpi import formatting
from komae_kpi.errors import ValidationError
from komae_kpi.model import Indicator, JudgementRule, Plan
from komae_kpi.queries import read_plan
from komae_kpi.store import connect, current_user, require_current_schema, transaction

# The plan period, 令和7年度 to 令和11年度: the years items are reported for.
PLAN_FIRST_FISCAL_YEAR = 2025
PLAN_LAST_FISCAL_YEAR = 2029
# Actuals may go back to the start of the published history we ship (FY2005).
FIRST_ACTUAL_FISCAL_YEAR = 2005


def actual_year_range(plan: Plan) -> tuple[int, int]:
    return FIRST_ACTUAL_FISCAL_YEAR, max(x.target_fiscal_year for x in plan.indicators)


def value_problems(indicator: Indicator, rule: JudgementRule, value: float) -> list[str]:
    """Why a value is impossible for its indicator (empty when it is possible).

    The bounds are data (indicator_rules.csv): 0–100 for shares of people, no upper bound for
    経常収支比率 (it can pass 100%), never negative for balances and day counts.
    """
    label = f"指標{indicator.indicator_no}（{indicator.name}）"
    if not math.isfinite(value):
        return [f"{label}の値「{value}」は数値ではありません。"]
    low, high = rule.min_value, rule.max_value
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            allowed = (
                f"{formatting.number(low, 0)}〜{formatting.number(high, 0)}{indicator.unit}の範囲"
            )
        elif low is not None:
            allowed = (
                f"{formatting.number(low, 0)}{indicator.unit}以上"
                if low
                else "0以上（負の値は不可）"
            )
        else:
            allowed = f"{formatting.number(high or 0.0, 0)}{indicator.unit}以下"
        return [f"{label}の値「{value:g}」はありえない値です（{allowed}で入力してください）。"]
    return []


def _save(path: Path, check: Callable[[Plan], list[str]], sql: str, params: list[Any]) -> None:
    """Validate against the store's plan, then write in one transaction; nothing on a problem."""
    with connect(path, read_only=False) as con:
        require_current_schema(con, path)
        problems = check(read_plan(con))
        if problems:
            raise ValidationError(problems)
        with transaction(con):
            con.execute(sql, params)


def indicator_value_problems(
    plan: Plan, indicator_no: int, fiscal_year: int, value: float
) -> list[str]:
    problems: list[str] = []
    indicator = next((x for x in plan.indicators if x.indicator_no == indicator_no), None)
    if indicator is None:
        problems.append(f"指標{indicator_no}は計画にありません。")
    else:
        problems.extend(value_problems(indicator, plan.rule(indicator_no), value))
    first, last = actual_year_range(plan)
    if not first <= fiscal_year <= last:
        problems.append(
            f"年度「{fiscal_year}」は受け付けられる範囲（{fy.label(first)}〜{fy.label(last)}）の外です。"
        )
    return problems


def item_status_problems(plan: Plan, item_no: int, fiscal_year: int, status: str) -> list[str]:
    problems: list[str] = []
    item = next((i for i in plan.items if i.item_no == item_no), None)
    if item is None:
        problems.append(f"取組項目{item_no}は計画にありません。")
    elif item.repost_of is not None:
        # One activity in two places: its status lives with the original only.
        problems.append(
            f"取組項目{item_no}は取組項目{item.repost_of}の再掲です。"
            f"進捗状況は取組項目{item.repost_of}として入力してください。"
        )
    vocabulary = [s.status for s in plan.statuses]
    if status not in vocabulary:
        problems.append(f"進捗状況「{status}」は区分（{'・'.join(vocabulary)}）にありません。")
    if not PLAN_FIRST_FISCAL_YEAR <= fiscal_year <= PLAN_LAST_FISCAL_YEAR:
        problems.append(
            f"年度「{fiscal_year}」は計画期間（{fy.label(PLAN_FIRST_FISCAL_YEAR)}〜"
            f"{fy.label(PLAN_LAST_FISCAL_YEAR)}）の外です。"
        )
    return problems


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
    _save(
        path,
        lambda plan: indicator_value_problems(plan, indicator_no, fiscal_year, value),
        "INSERT OR REPLACE INTO indicator_values (indicator_no, fiscal_year, value, source, note,"
        " origin, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, 'user', ?, ?)",
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
    _save(
        path,
        lambda plan: item_status_problems(plan, item_no, fiscal_year, status),
        "INSERT OR REPLACE INTO item_statuses (item_no, fiscal_year, status, achievements, issues,"
        " next_steps, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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
