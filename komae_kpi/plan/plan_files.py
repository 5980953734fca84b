"""Reading the plan (data/plan/*.csv) and the shipped history (data/history/*.csv).

These files are the reviewed source of truth: the plan as published, and the real history we ship.
Every problem in them is collected and reported at once, with file, row (as a spreadsheet counts:
the header is row 1) and column.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common.errors import PlanDataError
from komae_kpi.common.paths import HISTORY_DIR, PLAN_DIR
from komae_kpi.plan import facts
from komae_kpi.plan.model import (
    IndicatorValue,
    Plan,
    ReferenceSeries,
    ReferenceValue,
    TableRecord,
    column_of,
    columns,
    key_names,
    plan_parts,
)

DEPARTMENT_SEPARATOR = "・"

T = TypeVar("T")
R = TypeVar("R", bound=TableRecord)


@dataclass(kw_only=True)
class _Reader:
    """Reads one CSV file row by row, collecting problems instead of stopping at the first."""

    path: Path
    problems: list[str] = field(default_factory=list)

    def rows(self, required: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
        if not self.path.exists():
            self.problems.append(f"{self.path.name}: ファイルがありません。")
            return
        with self.path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                self.problems.append(f"{self.path.name}: 列 {', '.join(missing)} がありません。")
                return
            for index, row in enumerate(reader, start=2):
                yield index, {k: (v or "").strip() for k, v in row.items() if k is not None}

    def _fail(self, row: int, column: str, value: str, why: str) -> None:
        self.problems.append(f"{self.path.name} {row}行目 列「{column}」: 「{value}」{why}")

    def integer(self, row: int, data: dict[str, str], column: str) -> int:
        value = data[column]
        try:
            return int(value)
        except ValueError:
            self._fail(row, column, value, "は整数ではありません。")
            return 0

    def optional_integer(self, row: int, data: dict[str, str], column: str) -> int | None:
        return self.integer(row, data, column) if data[column] else None

    def number(self, row: int, data: dict[str, str], column: str) -> float:
        value = data[column]
        try:
            number = float(value)
        except ValueError:
            self._fail(row, column, value, "は数値ではありません。")
            return 0.0
        if not math.isfinite(number):
            self._fail(row, column, value, "は有限の数値ではありません。")
        return number

    def optional_number(self, row: int, data: dict[str, str], column: str) -> float | None:
        return self.number(row, data, column) if data[column] else None

    def text(self, row: int, data: dict[str, str], column: str) -> str:
        value = data[column]
        if not value:
            self._fail(row, column, value, "空欄です。")
        return value

    def optional_text(self, row: int, data: dict[str, str], column: str) -> str | None:
        return data[column] or None

    def blank_text(self, row: int, data: dict[str, str], column: str) -> str:
        return data[column]

    def names(self, row: int, data: dict[str, str], column: str) -> tuple[str, ...]:
        """A list in one cell, as the plan writes departments: 「政策室・情報政策課」."""
        return tuple(x for x in self.text(row, data, column).split(DEPARTMENT_SEPARATOR) if x)

    def choice(self, row: int, data: dict[str, str], column: str, allowed: tuple[str, ...]) -> str:
        value = data[column]
        if value not in allowed:
            self._fail(row, column, value, f"は {' / '.join(allowed)} のいずれでもありません。")
        return value


_CellReader = Callable[[_Reader, int, dict[str, str], str], object]
_BY_TYPE: dict[object, _CellReader] = {
    int: _Reader.integer,
    int | None: _Reader.optional_integer,
    float: _Reader.number,
    float | None: _Reader.optional_number,
    str: _Reader.text,
    str | None: _Reader.optional_text,
    tuple[str, ...]: _Reader.names,
}


def _cell_reader(hint: Any, *, blank: bool, filled: bool) -> _CellReader:
    """How a field of this type is read from its cell. A Literal type lists the allowed values."""
    if get_origin(hint) is Literal:
        allowed = get_args(hint)
        return lambda r, row, data, column: r.choice(row, data, column, allowed)
    if blank:
        return _Reader.blank_text
    if filled:
        return _Reader.text
    return _BY_TYPE[hint]


def _load(
    directory: Path, record_type: type[R], problems: list[str], *, filled: tuple[str, ...] = ()
) -> list[R]:
    """The records of `<TABLE>.csv`, one per row, each field read from its column (see ColumnSpec).

    filled: text fields that this file must fill in although the record allows None.
    """
    hints = get_type_hints(record_type)
    cells = [
        (
            f.name,
            column_of(f).csv or f.name,
            _cell_reader(hints[f.name], blank=column_of(f).blank, filled=f.name in filled),
        )
        for f in fields(record_type)
    ]
    reader = _Reader(path=directory / f"{record_type.TABLE}.csv")
    out = [
        record_type(**{name: read(reader, row, data, column) for name, column, read in cells})
        for row, data in reader.rows([column for _, column, _ in cells])
    ]
    problems.extend(reader.problems)
    return out


def load_plan(plan_dir: Path = PLAN_DIR) -> Plan:
    """The plan from its CSV files, checked for consistency. Raises PlanDataError listing all problems."""
    problems: list[str] = []
    parts: dict[str, Any] = {
        name: tuple(_load(plan_dir, part, problems)) for name, part in plan_parts()
    }
    plan = Plan(**parts)
    if not problems:
        problems.extend(check_plan(plan))
    if problems:
        raise PlanDataError(problems)
    return plan


def _duplicates(keys: list[T]) -> list[T]:
    seen: set[T] = set()
    return [k for k in keys if k in seen or seen.add(k)]  # type: ignore[func-returns-value]


def _duplicate_keys(plan: Plan) -> list[str]:
    """Each record's key (its key fields, plan.model) stands once in its file:
    'items.csv item_no: 3 が重複しています。', 'directions.csv: (1, 2) が重複しています。'."""
    problems: list[str] = []
    for name, part in plan_parts():
        keys = key_names(part)
        header = {n: c.csv or n for n, c in columns(part)}
        where = f"{part.TABLE}.csv" + (f" {header[keys[0]]}" if len(keys) == 1 else "")
        found = [
            getattr(r, keys[0]) if len(keys) == 1 else tuple(getattr(r, k) for k in keys)
            for r in getattr(plan, name)
        ]
        problems += [f"{where}: {dup} が重複しています。" for dup in _duplicates(found)]
    return problems


def _period_problems(plan: Plan) -> list[str]:
    """The indicators' years fit the plan period of plan.facts: each baseline before the period,
    each target inside it, and the last target its last year. facts.LAST_FISCAL_YEAR and
    facts.target_fiscal_year(plan) both name the period's end; this keeps the two the same."""
    problems: list[str] = []
    first, last = facts.FIRST_FISCAL_YEAR, facts.LAST_FISCAL_YEAR
    for x in plan.indicators:
        if x.baseline_fiscal_year >= first:
            problems.append(
                f"indicators.csv: 指標{x.indicator_no} の現状値の年度（{fy.label(x.baseline_fiscal_year)}）が"
                f"計画期間の初年度（{fy.label(first)}）より前ではありません。"
            )
        if not facts.in_plan_period(x.target_fiscal_year):
            problems.append(
                f"indicators.csv: 指標{x.indicator_no} の目標年度（{fy.label(x.target_fiscal_year)}）が"
                f"{facts.PERIOD_TEXT}の外です。"
            )
    targets = [x.target_fiscal_year for x in plan.indicators]
    if targets and all(facts.in_plan_period(t) for t in targets) and max(targets) != last:
        problems.append(
            f"indicators.csv: 目標年度が計画期間の最終年度（{fy.label(last)}）の指標がありません。"
            "計画期間（plan/facts.py）と指標の目標年度を合わせてください。"
        )
    return problems


def check_plan(plan: Plan) -> list[str]:
    """Cross-file consistency: every reference resolves, numbers are unique, rules fit kinds."""
    problems = _duplicate_keys(plan) + _period_problems(plan)
    policy_nos = {p.policy_no for p in plan.policies}
    direction_keys = {(d.policy_no, d.direction_no) for d in plan.directions}
    program_keys = {(g.policy_no, g.direction_no, g.program_no) for g in plan.programs}
    department_names = {d.name for d in plan.departments}
    item_nos = {i.item_no for i in plan.items}
    indicator_nos = {x.indicator_no for x in plan.indicators}
    for d in plan.directions:
        if d.policy_no not in policy_nos:
            problems.append(f"directions.csv: 方向性{d.code} の施策{d.policy_no}がありません。")
    for g in plan.programs:
        if (g.policy_no, g.direction_no) not in direction_keys:
            problems.append(f"programs.csv: 基本事業{g.code} の方向性がありません。")
    for item in plan.items:
        if (item.policy_no, item.direction_no, item.program_no) not in program_keys:
            problems.append(
                f"items.csv: 取組項目{item.item_no} の基本事業{item.program_code}がありません。"
            )
        for dept in item.departments:
            if dept not in department_names:
                problems.append(
                    f"items.csv: 取組項目{item.item_no} の推進部署「{dept}」が departments.csv にありません。"
                )
        if not item.departments:
            problems.append(f"items.csv: 取組項目{item.item_no} に推進部署がありません。")
        if item.repost_of is not None and (
            item.repost_of not in item_nos or item.repost_of == item.item_no
        ):
            problems.append(
                f"items.csv: 取組項目{item.item_no} の再掲元 {item.repost_of} がありません。"
            )
        elif item.repost_of is not None:
            original = next(i for i in plan.items if i.item_no == item.repost_of)
            if (item.name, item.text, item.departments) != (
                original.name,
                original.text,
                original.departments,
            ):
                problems.append(
                    f"items.csv: 取組項目{item.item_no} は取組項目{item.repost_of}の再掲ですが、"
                    "名称・取組内容・推進部署が再掲元と一致しません。"
                )
    rules = {r.indicator_no: r for r in plan.rules}
    for indicator in plan.indicators:
        rule = rules.get(indicator.indicator_no)
        if rule is None:
            problems.append(
                f"indicator_rules.csv: 指標{indicator.indicator_no} の判定基準がありません。"
            )
            continue
        if indicator.target_fiscal_year <= indicator.baseline_fiscal_year:
            problems.append(
                f"indicators.csv: 指標{indicator.indicator_no} の目標年度が現状値の年度以前です。"
            )
        if indicator.kind == "improvement" and (
            rule.path_tolerance is None or rule.path_tolerance < 0
        ):
            problems.append(
                f"indicator_rules.csv: 指標{indicator.indicator_no} は改善型の目標のため、"
                "path_tolerance（0以上）が必要です。"
            )
        if indicator.kind == "guardrail" and (
            rule.headroom_margin is None or rule.headroom_margin < 0
        ):
            problems.append(
                f"indicator_rules.csv: 指標{indicator.indicator_no} は維持型（上限・下限）の目標のため、"
                "headroom_margin（0以上）が必要です。"
            )
    for rule in plan.rules:
        if rule.indicator_no not in indicator_nos:
            problems.append(
                f"indicator_rules.csv: 指標{rule.indicator_no} は indicators.csv にありません。"
            )
    for link in plan.indicator_policies:
        if link.indicator_no not in indicator_nos or link.policy_no not in policy_nos:
            problems.append(
                f"indicator_policies.csv: 指標{link.indicator_no}・施策{link.policy_no} の組合せが計画にありません。"
            )
    return problems + _indicator_department_problems(plan) + _stock_flow_problems(plan)


def _indicator_department_problems(plan: Plan) -> list[str]:
    """Each row names an indicator of the plan and one of the plan's own departments (a catch-all
    such as 関係各課 names no one). An indicator without a row is allowed: no department answers
    for it (a plan revision may add an indicator before anyone decides who enters it)."""
    problems: list[str] = []
    where = "indicator_departments.csv"
    indicator_nos = {x.indicator_no for x in plan.indicators}
    departments = {d.name: d for d in plan.departments}
    for link in plan.indicator_departments:
        if link.indicator_no not in indicator_nos:
            problems.append(f"{where}: 指標{link.indicator_no} は indicators.csv にありません。")
        found = departments.get(link.department)
        if found is None:
            problems.append(
                f"{where}: 指標{link.indicator_no} の部署「{link.department}」が departments.csv にありません。"
            )
        elif found.is_catch_all:
            problems.append(
                f"{where}: 指標{link.indicator_no} の部署「{link.department}」は特定の部署ではありません（総称）。"
            )
    return problems


def _stock_flow_problems(plan: Plan) -> list[str]:
    """Each flow moves an indicator of the plan, one way (sign 1 adds to the balance, -1 takes
    from it); a flow's code and name stand once in the file, since a 財政見通し names a flow by
    either alone. A stock is money: its flows are amounts in its unit."""
    problems: list[str] = []
    where = "stock_flows.csv"
    indicators = {x.indicator_no: x for x in plan.indicators}
    for flow in plan.stock_flows:
        label = f"{where}: 増減「{flow.flow_code}」"
        indicator = indicators.get(flow.indicator_no)
        if indicator is None:
            problems.append(f"{label}の指標{flow.indicator_no} は indicators.csv にありません。")
        elif indicator.unit != "億円":
            problems.append(
                f"{label}の指標{flow.indicator_no}（{indicator.name}）は金額（億円）の指標ではありません。"
            )
        if flow.sign not in (1, -1):
            problems.append(
                f"{label}の sign「{flow.sign}」は 1（残高に加える）か -1（残高から引く）です。"
            )
    # A row repeated whole is already reported by _duplicate_keys.
    distinct = {(f.indicator_no, f.flow_code): f for f in plan.stock_flows}.values()
    problems += [
        f"{where}: flow_code {code} が重複しています。"
        for code in _duplicates([f.flow_code for f in distinct])
    ]
    problems += [
        f"{where}: name {name} が重複しています。"
        for name in _duplicates([f.name for f in distinct])
    ]
    return problems


@dataclass(frozen=True, kw_only=True)
class ShippedHistory:
    """Real values shipped with the product (never the city's new entries)."""

    indicator_values: tuple[IndicatorValue, ...]
    reference_series: tuple[ReferenceSeries, ...]
    reference_values: tuple[ReferenceValue, ...]


def load_history(plan: Plan, history_dir: Path = HISTORY_DIR) -> ShippedHistory:
    """The shipped actuals: the published history files plus each indicator's plan baseline, all
    settled figures (決算).

    A baseline is a value observed at the end of FY2023 and so an actual of that year. Where the
    history files already hold that year (経常収支比率), the published figure with its source wins;
    a test checks that the two agree.
    """
    problems: list[str] = []
    values = _load(history_dir, IndicatorValue, problems, filled=("source",))
    series = _load(history_dir, ReferenceSeries, problems)
    ref_values = _load(history_dir, ReferenceValue, problems, filled=("source",))
    indicator_nos = {x.indicator_no for x in plan.indicators}
    series_codes = {s.series_code for s in series}
    for v in values:
        if v.indicator_no not in indicator_nos:
            problems.append(f"indicator_values.csv: 指標{v.indicator_no} は計画にありません。")
    for rv in ref_values:
        if rv.series_code not in series_codes:
            problems.append(
                f"reference_values.csv: 系列 {rv.series_code} は reference_series.csv にありません。"
            )
    for dup in _duplicates([(v.indicator_no, v.fiscal_year) for v in values]):
        problems.append(f"indicator_values.csv: 指標{dup[0]} の{dup[1]}年度が重複しています。")
    for code, year in _duplicates([(v.series_code, v.fiscal_year) for v in ref_values]):
        problems.append(f"reference_values.csv: {code} の{year}年度が重複しています。")
    if problems:
        raise PlanDataError(problems)
    have = {(v.indicator_no, v.fiscal_year) for v in values}
    baselines = [
        facts.baseline_actual(x)
        for x in plan.indicators
        if (x.indicator_no, x.baseline_fiscal_year) not in have
    ]
    all_values = sorted([*values, *baselines], key=lambda v: (v.indicator_no, v.fiscal_year))
    return ShippedHistory(
        indicator_values=tuple(all_values),
        reference_series=tuple(series),
        reference_values=tuple(ref_values),
    )
