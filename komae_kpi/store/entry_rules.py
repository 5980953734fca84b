"""The rules every write of an actual keeps, whatever brings it (a form, an import, an approval):

- Published figures are facts. The plan's baselines (現状値, data/plan/indicators.csv) and the
  history we ship (data/history/indicator_values.csv), each with its source, are what the city and
  the ministry published; nobody changes them from the form or by import. A correction is a change
  to those files, reviewed like code. An entry carrying the same value as the published figure
  changes nothing (it is "unchanged", not an error); any other value is refused, naming the
  figure, its value and its source.
- Only finished years are actual results. A 決算 or 確定 value for a fiscal year can be entered
  from the day its indicator's count exists (Indicator.actual_enterable_from: the day after the
  fiscal year, or its 1 April count day); a 見込 from the day the fiscal year starts. Today is
  clock.today(), so that tests and rehearsals can set it.

EntryRules holds what the rules are checked against (the published figures, today) and is read
once per write connection; record_changes.stage_refusal is the third rule of the same writes.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb

from komae_kpi.common import clock, formatting, stages
from komae_kpi.common import fiscal_year as fy
from komae_kpi.common.stages import PROVISIONAL_STAGE
from komae_kpi.plan import facts
from komae_kpi.plan.model import IndicatorValue, Plan
from komae_kpi.store.queries import select_records
from komae_kpi.store.record_changes import Record, RecordKey, key_of

# Where a published figure is corrected: the plan's baselines in the plan, the rest in the history.
PLAN_CORRECTION = "data/plan/indicators.csv"
HISTORY_CORRECTION = "data/history/"


def same_value(a: float, b: float) -> bool:
    """Whether two actuals are the same figure: 87.3 typed, 87.30 in a file, 8,730,000千円 → 億円
    converted, all compare equal although their binary floats may differ in the last bit."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def published_values(plan: Plan, shipped: list[IndicatorValue]) -> dict[RecordKey, IndicatorValue]:
    """The published figures: each indicator's plan baseline, and the shipped history (which wins
    where both hold a year, as init writes them)."""
    found = {key_of(facts.baseline_actual(x)): facts.baseline_actual(x) for x in plan.indicators}
    found.update((key_of(v), v) for v in shipped)
    return found


def read_published(con: duckdb.DuckDBPyConnection, plan: Plan) -> dict[RecordKey, IndicatorValue]:
    """The published figures of a store: its shipped rows (origin 'shipped', written by init from
    data/history/ and the plan) and the plan's baselines, even where a previous version let a
    user's row replace one (init puts those back: connection.init_store)."""
    return published_values(plan, select_records(con, IndicatorValue, {"origin": "shipped"}))


def published_text(plan: Plan, published: IndicatorValue) -> str:
    """'指標3 令和5年度の値 87.3% は公表値です（出典: 総務省 主要財政指標一覧 R5）。'."""
    unit = plan.indicator(published.indicator_no).unit
    return (
        f"指標{published.indicator_no} {fy.wareki(published.fiscal_year)}の値 "
        f"{formatting.with_unit(published.value, unit)} は公表値です（出典: {published.source}）。"
    )


def correction_text(published: IndicatorValue) -> str:
    """Where a published figure is corrected: the plan's file for a baseline, else the history."""
    where = PLAN_CORRECTION if published.source == facts.BASELINE_SOURCE else HISTORY_CORRECTION
    return f"公表値の訂正は {where} の修正として行ってください。"


def published_refusal(plan: Plan, published: IndicatorValue, new: IndicatorValue) -> str | None:
    """Why `new` may not replace the published figure (None when it carries the same value):
    '指標3 令和5年度の値 87.3% は公表値です（出典: …）。変更できません（入力: 50.0%）。公表値の訂正は
    data/history/ の修正として行ってください。'."""
    if same_value(new.value, published.value):
        return None
    typed = formatting.with_unit(new.value, plan.indicator(published.indicator_no).unit)
    return f"{published_text(plan, published)}変更できません（入力: {typed}）。" + correction_text(
        published
    )


def date_refusal(plan: Plan, record: IndicatorValue, today: dt.date) -> str | None:
    """Why an actual cannot be entered yet on `today` (None when it can): a 決算・確定 before its
    indicator's actual_enterable_from, a 見込 before its fiscal year starts."""
    year = record.fiscal_year
    subject = f"指標{record.indicator_no} {fy.wareki(year)}"
    start = fy.fiscal_year_start(year)
    if record.stage == PROVISIONAL_STAGE:
        if today >= start:
            return None
        return (
            f"{subject}の{stages.label(record.stage)}は{fy.wareki_date(start)}から入力できます"
            "（年度が始まる前の見込は入力できません）。"
        )
    try:
        enterable = plan.indicator(record.indicator_no).actual_enterable_from(year)
    except KeyError:
        return None  # an indicator not in the plan is refused on its own (entries.py)
    if today >= enterable:
        return None
    meanwhile = (
        f"それまでは区分「{stages.label(PROVISIONAL_STAGE)}」で入力できます。"
        if today >= start
        else ""
    )
    return f"{subject}の実績は{fy.wareki_date(enterable)}から入力できます。{meanwhile}"


@dataclass(frozen=True, kw_only=True)
class EntryRules:
    """What an entered actual is checked against: the published figures and today."""

    plan: Plan
    published: Mapping[RecordKey, IndicatorValue]
    today: dt.date

    @classmethod
    def of_plan(cls, plan: Plan, today: dt.date | None = None) -> EntryRules:
        """The rules with only the plan's baselines as published figures (no store at hand)."""
        return cls(plan=plan, published=published_values(plan, []), today=today or clock.today())

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection, plan: Plan) -> EntryRules:
        return cls(plan=plan, published=read_published(con, plan), today=clock.today())

    def published_figure(self, record: Record | None) -> IndicatorValue | None:
        """The published figure a record is for (None: not an actual of a published year)."""
        if not isinstance(record, IndicatorValue):
            return None
        return self.published.get(key_of(record))

    def as_entered(self, record: Record) -> Record:
        """The record as it is to be written: an actual carrying a published figure's value is the
        published figure itself (with its stage, source and note), so that it changes nothing."""
        published = self.published_figure(record)
        if (
            isinstance(record, IndicatorValue)
            and published is not None
            and same_value(record.value, published.value)
        ):
            return published
        return record

    def refusals(self, record: Record | None) -> list[str]:
        """Why this record may not be entered on this day (empty when it may)."""
        if not isinstance(record, IndicatorValue):
            return []
        published = self.published_figure(record)
        found = [
            published_refusal(self.plan, published, record) if published is not None else None,
            date_refusal(self.plan, record, self.today),
        ]
        return [r for r in found if r]
