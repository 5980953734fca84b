"""Saving what staff enter: indicator actuals and item statuses, validated, one transaction each."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypedDict, TypeVar, Unpack

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common import formatting
from komae_kpi.common.errors import ConcurrentEditError, ValidationError
from komae_kpi.common.stages import DEFAULT_STAGE, Stage
from komae_kpi.common.user_text import RECORD_TEXT_RULES, text_problems, visible
from komae_kpi.plan import facts
from komae_kpi.plan.model import Indicator, IndicatorValue, ItemStatus, JudgementRule, Plan
from komae_kpi.store.connection import (
    LOCK_WAIT_SECONDS,
    connect,
    current_user,
    require_current_schema,
    transaction,
)
from komae_kpi.store.entry_rules import EntryRules
from komae_kpi.store.permissions import resolve_actor
from komae_kpi.store.queries import read_plan
from komae_kpi.store.record_changes import (
    Record,
    RecordChange,
    key_of,
    require_store_file,
)
from komae_kpi.store.review import record_to_edit, submit_changes

# A money actual above this multiple of its baseline and target is taken for a unit mistake.
MONEY_SCALE_LIMIT = 100
# Actuals may go back to the start of the published history we ship (FY2005).
FIRST_ACTUAL_FISCAL_YEAR = 2005


def actual_year_range(plan: Plan) -> tuple[int, int]:
    return FIRST_ACTUAL_FISCAL_YEAR, facts.target_fiscal_year(plan)


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
        return [
            f"{label}の値「{formatting.entered(value)}」はありえない値です（{allowed}で入力してください）。"
        ]
    scale = max(abs(indicator.baseline_value), abs(indicator.target_value))
    if indicator.unit == "億円" and abs(value) > MONEY_SCALE_LIMIT * scale:
        # A 千円 figure typed without its unit is 100,000 times too large as 億円: 2,230,000 for
        # 22.3. No balance of this city comes near 100 times its baseline or target.
        return [
            f"{label}の値「{value:,g}」億円は、現状値・目標値の{MONEY_SCALE_LIMIT}倍を超えます。"
            "千円・円の値ではありませんか（単位を付けて「2,230,000千円」のように入力してください）。"
        ]
    return []


class _Unchecked:
    """The caller did not read the record first (command line, tests): save without comparing."""


UNCHECKED = _Unchecked()

R = TypeVar("R", IndicatorValue, ItemStatus)


class SaveOptions(TypedDict, Generic[R], total=False):
    """What every save may say besides the record: who saves it (default: the OS user), the record
    as the form showed it (the store refuses the save if it now holds another; default: no check),
    and how long to wait for another process holding the store."""

    user: str | None
    expected: R | _Unchecked | None
    wait_seconds: float


def _save(
    path: Path,
    check: Callable[[Plan], list[str]],
    record: Record,
    *,
    expected: Record | _Unchecked | None = UNCHECKED,
    user: str | None = None,
    wait_seconds: float = LOCK_WAIT_SECONDS,
) -> bool:
    """Validate against the store's plan, then write in one transaction; nothing on a problem.

    user is the acting person (default: the OS user); their role and departments must allow the
    record (store/permissions.py). Once users are registered the record is submitted for review;
    otherwise it is in force at once (store/review.py).

    expected is the record as the form showed it (None: there was none): the one waiting for
    review if there is one, else the one in force. If the store holds something else now, someone
    saved meanwhile: ConcurrentEditError, nothing written. Returns whether anything changed
    (saving the same content again writes nothing and logs nothing).
    """
    require_store_file(path)
    with connect(path, read_only=False, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        plan = read_plan(con)
        problems = check(plan)
        if problems:
            raise ValidationError(problems)
        with transaction(con):
            actor = resolve_actor(con, user or current_user())
            key = key_of(record)
            before = record_to_edit(con, actor, key)
            if not isinstance(expected, _Unchecked) and before != expected:
                raise ConcurrentEditError(current=before, yours=record)
            # A published figure's own value changes nothing (submit_changes refuses any other).
            entered = EntryRules.read(con, plan).as_entered(record)
            change = RecordChange(key=key, before=before, after=entered)
            submit_changes(con, plan, actor, [change], method="form")
    return change.action != "unchanged"


def _text(value: str | None) -> str | None:
    """Blank means no text: '' and whitespace-only are stored as NULL."""
    return value if value is not None and value.strip() else None


def actual_year_problem(plan: Plan, fiscal_year: int) -> str | None:
    first, last = actual_year_range(plan)
    if first <= fiscal_year <= last:
        return None
    return f"年度「{fiscal_year}」は受け付けられる範囲（{fy.label(first)}〜{fy.label(last)}）の外です。"


def status_year_problem(fiscal_year: int) -> str | None:
    """Item statuses are reported for the plan period only."""
    return facts.period_problem(fiscal_year)


def repost_problem(plan: Plan, item_no: int) -> str | None:
    item = next((i for i in plan.items if i.item_no == item_no), None)
    if item is None or item.repost_of is None:
        return None
    # One activity in two places: its status lives with the original only.
    return (
        f"取組項目{item_no}は取組項目{item.repost_of}の再掲です。"
        f"進捗状況は取組項目{item.repost_of}として入力してください。"
    )


def status_problem(plan: Plan, status: str) -> str | None:
    vocabulary = [s.status for s in plan.statuses]
    if status in vocabulary:
        return None
    # visible: the status may come from a file cell holding control characters.
    return f"進捗状況「{visible(status)}」は区分（{'・'.join(vocabulary)}）にありません。"


def indicator_value_problems(
    plan: Plan, indicator_no: int, fiscal_year: int, value: float
) -> list[str]:
    problems: list[str] = []
    indicator = next((x for x in plan.indicators if x.indicator_no == indicator_no), None)
    if indicator is None:
        problems.append(f"指標{indicator_no}は計画にありません。")
    else:
        problems.extend(value_problems(indicator, plan.rule(indicator_no), value))
    year = actual_year_problem(plan, fiscal_year)
    return problems + ([year] if year else [])


def item_status_problems(plan: Plan, item_no: int, fiscal_year: int, status: str) -> list[str]:
    found = [
        None
        if any(i.item_no == item_no for i in plan.items)
        else f"取組項目{item_no}は計画にありません。",
        repost_problem(plan, item_no),
        status_problem(plan, status),
        status_year_problem(fiscal_year),
    ]
    return [p for p in found if p]


def save_indicator_value(
    path: Path,
    indicator_no: int,
    fiscal_year: int,
    value: float,
    *,
    stage: Stage = DEFAULT_STAGE,
    source: str | None = None,
    note: str | None = None,
    **options: Unpack[SaveOptions[IndicatorValue]],
) -> bool:
    """Save one actual (insert or replace) as entered by a user. True if anything changed.

    stage: 見込, 決算 (the default) or 確定; a value of an earlier stage than the one in force is
    refused (ValidationError, record_changes.stage_refusal) and nothing is written. So is a value
    other than a published figure's for its year, and an actual of a year not yet finished (a 見込
    from the year's start): store/entry_rules.py."""
    return _save(
        path,
        lambda plan: (
            indicator_value_problems(plan, indicator_no, fiscal_year, value)
            + text_problems({"source": source, "note": note}, RECORD_TEXT_RULES)
        ),
        IndicatorValue(
            indicator_no=indicator_no,
            fiscal_year=fiscal_year,
            value=float(value),
            stage=stage,
            source=_text(source),
            note=_text(note),
        ),
        **options,
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
    **options: Unpack[SaveOptions[ItemStatus]],
) -> bool:
    """Save one item's status and commentary for a fiscal year. True if anything changed."""
    return _save(
        path,
        lambda plan: (
            item_status_problems(plan, item_no, fiscal_year, status)
            + text_problems(
                {"achievements": achievements, "issues": issues, "next_steps": next_steps},
                RECORD_TEXT_RULES,
            )
        ),
        ItemStatus(
            item_no=item_no,
            fiscal_year=fiscal_year,
            status=status,
            achievements=_text(achievements),
            issues=_text(issues),
            next_steps=_text(next_steps),
        ),
        **options,
    )
