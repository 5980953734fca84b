"""Fiscal outlook scenarios (財政見通し) in the store: planned flows and direct forecasts by year.

A scenario plans, per fiscal year, the flows that move a balance indicator (stock_flows.csv:
市債発行額 and 元金償還額 for 市債残高, 積立額 and 取崩額 for 財政調整基金残高), and may forecast any
indicator's value directly (the 中期財政ビジョン's 経常収支比率). Amounts and values are in the
indicator's unit (億円, %).

Scenarios are not reviewed: one is in force when it is imported, and every import, replacement and
removal is logged (scenario_log). Each write is one transaction that resolves the acting person
inside it: whoever may enter the actuals of every indicator a scenario touches may write it
(anyone, before users are registered). The projection is judgement/outlook.py's.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Literal

import duckdb

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common.errors import ValidationError
from komae_kpi.common.user_text import multi_line, one_line, text_problem
from komae_kpi.plan import facts
from komae_kpi.plan.model import Plan, StockFlow, column
from komae_kpi.plan.plan_files import DEPARTMENT_SEPARATOR
from komae_kpi.store.backups import make_backup
from komae_kpi.store.connection import (
    LOCK_WAIT_SECONDS,
    connect,
    current_user,
    fetch_all,
    next_id,
    require_current_schema,
    store_kind,
    transaction,
)
from komae_kpi.store.entries import value_problems
from komae_kpi.store.permissions import Actor, require_scenario_entry, resolve_actor
from komae_kpi.store.queries import read_plan, select_records
from komae_kpi.store.record_changes import require_store_file
from komae_kpi.store.tables import insert_sql, stored_names, stored_row

ScenarioAction = Literal["import", "replace", "remove"]
ACTION_LABELS: dict[ScenarioAction, str] = {
    "import": "取込",
    "replace": "置き換え",
    "remove": "削除",
}
DEMO_MARK = "デモデータ"
MAX_NAME_LENGTH = 100


@dataclass(frozen=True, kw_only=True)
class ScenarioFlow:
    """A planned flow of one fiscal year (kept under its scenario's name), in 億円."""

    TABLE: ClassVar[str] = "scenario_flows"

    fiscal_year: int = field(metadata=column(key=True))
    flow_code: str = field(metadata=column(key=True))
    amount: float


@dataclass(frozen=True, kw_only=True)
class ScenarioForecast:
    """A value the scenario forecasts for an indicator and fiscal year, in the indicator's unit."""

    TABLE: ClassVar[str] = "scenario_forecasts"

    indicator_no: int = field(metadata=column(key=True))
    fiscal_year: int = field(metadata=column(key=True))
    value: float


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """A 財政見通し: its name (the key), date and note, and what it plans.

    created_at and created_by are set by the store when it writes the scenario (None before).
    file_name and file_sha256 name the file it was imported from (None for the demo's).
    """

    TABLE: ClassVar[str] = "scenarios"

    name: str = field(metadata=column(key=True))
    scenario_date: dt.date | None = None
    note: str | None = None
    is_demo: bool = False
    created_at: dt.datetime | None = None
    created_by: str | None = None
    file_name: str | None = None
    file_sha256: str | None = None
    flows: tuple[ScenarioFlow, ...] = field(default=(), metadata=column(stored=False))
    forecasts: tuple[ScenarioForecast, ...] = field(default=(), metadata=column(stored=False))

    @property
    def label(self) -> str:
        """The name as every screen and output shows it: a made-up one says so,
        「デモ用財政見通し（架空）（デモデータ）」."""
        return f"{self.name}（{DEMO_MARK}）" if self.is_demo else self.name

    def indicator_nos(self, plan: Plan) -> tuple[int, ...]:
        """The indicators the scenario touches: the balances its flows move, those it forecasts."""
        moved = {plan.stock_flow(f.flow_code).indicator_no for f in self.flows}
        return tuple(sorted(moved | {f.indicator_no for f in self.forecasts}))

    @property
    def fiscal_years(self) -> tuple[int, ...]:
        years = {f.fiscal_year for f in self.flows} | {f.fiscal_year for f in self.forecasts}
        return tuple(sorted(years))

    def flow_amount(self, flow_code: str, fiscal_year: int) -> float | None:
        return next(
            (
                f.amount
                for f in self.flows
                if f.flow_code == flow_code and f.fiscal_year == fiscal_year
            ),
            None,
        )

    def forecast(self, indicator_no: int, fiscal_year: int) -> float | None:
        return next(
            (
                f.value
                for f in self.forecasts
                if f.indicator_no == indicator_no and f.fiscal_year == fiscal_year
            ),
            None,
        )

    def summary(self, plan: Plan) -> str:
        """What the scenario holds in one line, as the log keeps it:
        「増減 24件（市債発行額・元金償還額・積立額・取崩額）、見込値 6件（指標3）、令和6〜11年度」."""
        parts = []
        if self.flows:
            codes = {f.flow_code for f in self.flows}
            names = [f.name for f in plan.stock_flows if f.flow_code in codes]
            parts.append(f"増減 {len(self.flows)}件（{DEPARTMENT_SEPARATOR.join(names)}）")
        if self.forecasts:
            numbers = sorted({f.indicator_no for f in self.forecasts})
            parts.append(
                f"見込値 {len(self.forecasts)}件（指標{DEPARTMENT_SEPARATOR.join(map(str, numbers))}）"
            )
        years = self.fiscal_years
        if years:
            parts.append(_year_span(years[0], years[-1]))
        return "、".join(parts) or "値なし"


@dataclass(frozen=True, kw_only=True)
class ScenarioLogEntry:
    """One import, replacement or removal of a scenario."""

    TABLE: ClassVar[str] = "scenario_log"

    log_id: int = field(metadata=column(key=True))
    logged_at: dt.datetime
    logged_by: str
    action: ScenarioAction
    name: str
    file_name: str | None
    file_sha256: str | None
    summary: str

    @property
    def action_label(self) -> str:
        return ACTION_LABELS[self.action]


# --- what a scenario may hold ------------------------------------------------------------------


def _year_span(first: int, last: int) -> str:
    """「令和6〜11年度」: a span of fiscal years within one era, else both in full."""
    if first == last:
        return fy.wareki(first)
    if fy.era_year(first)[0] == fy.era_year(last)[0]:
        return f"{fy.wareki(first).removesuffix('年度')}〜{fy.era_year(last)[1]}年度"
    return f"{fy.wareki(first)}〜{fy.wareki(last)}"


def scenario_years(plan: Plan) -> range:
    """The years a scenario plans: after the baselines (FY2023) to the target year (FY2029)."""
    return range(facts.baseline_fiscal_year(plan) + 1, facts.target_fiscal_year(plan) + 1)


def year_problem(plan: Plan, fiscal_year: int) -> str | None:
    """None for FY2024–FY2029, else why the year cannot be planned."""
    years = scenario_years(plan)
    if fiscal_year in years:
        return None
    return (
        f"{fy.label(fiscal_year)}は財政見通しの年度（{fy.label(years[0])}〜"
        f"{fy.label(years[-1])}）の外です。"
    )


def indicator_label(plan: Plan, indicator_no: int) -> str:
    """「指標5（市債残高）」."""
    return f"指標{indicator_no}（{plan.indicator(indicator_no).name}）"


def stocks_text(plan: Plan) -> str:
    """The balance indicators by label: 「指標4（財政調整基金残高）・指標5（市債残高）」."""
    numbers = sorted({f.indicator_no for f in plan.stock_flows})
    return DEPARTMENT_SEPARATOR.join(indicator_label(plan, n) for n in numbers)


def flow_problem(plan: Plan, flow: StockFlow, amount: float) -> str | None:
    """Why an amount cannot be a planned flow: flows are amounts, each one way (never negative:
    what lowers a balance has its own flow), and not so large as to be a unit mistake."""
    if not math.isfinite(amount):
        return f"{flow.name}「{amount}」は数値ではありません。"
    if amount < 0:
        others = [f.name for f in plan.flows_of(flow.indicator_no) if f.sign != flow.sign]
        hint = f"（{'・'.join(others)}は別の欄に記入します）" if others else ""
        return f"{flow.name}が負の値です。増減はそれぞれ0以上の額で記入してください{hint}。"
    indicator = plan.indicator(flow.indicator_no)
    scale = value_problems(indicator, plan.rule(flow.indicator_no), amount)
    return f"{flow.name}: {scale[0]}" if scale else None


def not_a_stock_problem(plan: Plan, indicator_no: int, flow: StockFlow) -> str:
    """A flow tied to an indicator it does not move (指標3 has no 発行額)."""
    if plan.is_stock(indicator_no):
        return (
            f"{flow.name}は{indicator_label(plan, flow.indicator_no)}の増減です"
            f"（{indicator_label(plan, indicator_no)}の増減ではありません）。"
        )
    return (
        f"{indicator_label(plan, indicator_no)}は残高の指標ではないため、増減（{flow.name}）は"
        f"記入できません（増減を記入できるのは{stocks_text(plan)}）。"
    )


def both_problem(plan: Plan, indicator_no: int, fiscal_year: int, other: str = "") -> str:
    """A balance given both as a forecast and by flows for one year: which one holds?
    other: where the other one stands, 「増減は見通し.csv 6行目 C列「金額」」."""
    names = "・".join(f.name for f in plan.flows_of(indicator_no))
    return (
        f"{indicator_label(plan, indicator_no)}の{fy.wareki(fiscal_year)}に、見込値と増減（{names}）の"
        f"両方があります{f'（{other}）' if other else ''}。どちらか一方にしてください。"
    )


def name_problem(name: str) -> str | None:
    if not name.strip():
        return "財政見通しの名前が空です。"
    if len(name) > MAX_NAME_LENGTH:
        return f"財政見通しの名前は{MAX_NAME_LENGTH}文字までです（{len(name)}文字）。"
    return text_problem(name, one_line("財政見通しの名前"))


def missing_flows(
    plan: Plan, given: Iterable[tuple[str, int]]
) -> list[tuple[StockFlow, int, StockFlow]]:
    """(the flow left out, the fiscal year, a flow of the same balance given that year) for every
    year that leaves out a flow the scenario gives in other years while giving another flow of the
    same balance: a blank is not a zero (a debt with one year's repayment left blank would grow by
    that year's issuance), so it must be written. A flow the scenario never gives counts as none
    (a fund plan without deposits)."""
    keys = set(given)
    written = {code for code, _ in keys}
    out: list[tuple[StockFlow, int, StockFlow]] = []
    for code, year in sorted(keys, key=lambda k: (k[1], k[0])):
        present = plan.stock_flow(code)
        for flow in plan.flows_of(present.indicator_no):
            if (
                flow.flow_code in written
                and (flow.flow_code, year) not in keys
                and all(m[0] != flow or m[1] != year for m in out)
            ):
                out.append((flow, year, present))
    return out


def missing_flow_problem(flow: StockFlow, fiscal_year: int, present: StockFlow) -> str:
    return (
        f"{fy.wareki(fiscal_year)}の{flow.name}がありません（{present.name}はあります）。"
        f"空欄は0とみなさないため、増減のない年度は0と書いてください。"
    )


def scenario_problems(plan: Plan, scenario: Scenario) -> list[str]:
    """Every reason the scenario cannot be kept (empty when it can). A file's reader names the
    rows and cells of the same problems; this is the store's own check of whatever it is given."""
    problems = [
        p
        for p in [
            name_problem(scenario.name),
            text_problem(scenario.note, multi_line("財政見通しの備考")),
        ]
        if p
    ]
    if not scenario.flows and not scenario.forecasts:
        problems.append(f"財政見通し「{scenario.name}」に増減も見込値もありません。")
    codes = {f.flow_code: f for f in plan.stock_flows}
    flow_years: set[tuple[int, int]] = set()
    for flow in scenario.flows:
        stock_flow = codes.get(flow.flow_code)
        if stock_flow is None:
            problems.append(
                f"増減「{flow.flow_code}」は計画データ（stock_flows.csv）にありません。"
            )
            continue
        flow_years.add((stock_flow.indicator_no, flow.fiscal_year))
        wrong_year = year_problem(plan, flow.fiscal_year)
        if wrong_year:
            problems.append(f"{stock_flow.name}: {wrong_year}")
        wrong_amount = flow_problem(plan, stock_flow, flow.amount)
        if wrong_amount:
            problems.append(f"{fy.wareki(flow.fiscal_year)}の{wrong_amount}")
    indicators = {x.indicator_no: x for x in plan.indicators}
    for forecast in scenario.forecasts:
        x = indicators.get(forecast.indicator_no)
        if x is None:
            problems.append(f"指標{forecast.indicator_no}は計画にありません。")
            continue
        wrong_year = year_problem(plan, forecast.fiscal_year)
        if wrong_year:
            problems.append(f"{indicator_label(plan, x.indicator_no)}の見込値: {wrong_year}")
        problems += [
            f"{fy.wareki(forecast.fiscal_year)}の見込値: {p}"
            for p in value_problems(x, plan.rule(x.indicator_no), forecast.value)
        ]
        if (forecast.indicator_no, forecast.fiscal_year) in flow_years:
            problems.append(both_problem(plan, forecast.indicator_no, forecast.fiscal_year))
    problems += [
        missing_flow_problem(flow, year, present)
        for flow, year, present in missing_flows(
            plan,
            (
                (f.flow_code, f.fiscal_year)
                for f in scenario.flows
                if f.flow_code in codes and year_problem(plan, f.fiscal_year) is None
            ),
        )
    ]
    for what, keys in (
        ("増減", [(f.flow_code, f.fiscal_year) for f in scenario.flows]),
        ("見込値", [(f.indicator_no, f.fiscal_year) for f in scenario.forecasts]),
    ):
        if len(set(keys)) != len(keys):
            problems.append(f"同じ年度の{what}が重複しています。")
    return problems


# --- reading ------------------------------------------------------------------------------------


def read_scenarios(
    con: duckdb.DuckDBPyConnection, names: Sequence[str] | None = None
) -> list[Scenario]:
    """The scenarios (those named, when names is given) with their flows and forecasts, by name."""

    def contents(row: dict[str, Any]) -> dict[str, Any]:
        where = {"name": row["name"]}
        return {
            "flows": tuple(select_records(con, ScenarioFlow, where)),
            "forecasts": tuple(select_records(con, ScenarioForecast, where)),
        }

    found = select_records(con, Scenario, fill=contents)
    return found if names is None else [s for s in found if s.name in names]


def read_scenario_log(
    con: duckdb.DuckDBPyConnection, name: str | None = None
) -> list[ScenarioLogEntry]:
    """The log, newest first (one scenario's, when named)."""
    entries = select_records(con, ScenarioLogEntry, {"name": name} if name is not None else None)
    return entries[::-1]


def list_scenarios(
    path: Path, names: Sequence[str] | None = None, *, wait_seconds: float = LOCK_WAIT_SECONDS
) -> list[Scenario]:
    with connect(path, read_only=True, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        return read_scenarios(con, names)


def scenario_log(
    path: Path, name: str | None = None, *, wait_seconds: float = LOCK_WAIT_SECONDS
) -> list[ScenarioLogEntry]:
    with connect(path, read_only=True, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        return read_scenario_log(con, name)


# --- writing ------------------------------------------------------------------------------------


def exists_problem(name: str, known: Sequence[str]) -> str | None:
    """Why a new scenario may not take this name: one of that name is there already."""
    if name not in known:
        return None
    return (
        f"財政見通し「{name}」は既にあります。置き換えるには、置き換えを指定してください"
        "（コマンドでは --replace）。"
    )


def unknown_problem(name: str, known: Sequence[str]) -> str:
    there = f"（あるのは「{'」「'.join(known)}」）" if known else "（財政見通しはまだありません）"
    return f"財政見通し「{name}」はありません{there}。"


def _delete(con: duckdb.DuckDBPyConnection, name: str) -> None:
    for table in (ScenarioFlow.TABLE, ScenarioForecast.TABLE, Scenario.TABLE):
        con.execute(f"DELETE FROM {table} WHERE name = ?", [name])  # table names are ours


def _insert_under(
    con: duckdb.DuckDBPyConnection,
    name: str,
    records: Sequence[ScenarioFlow] | Sequence[ScenarioForecast],
) -> None:
    if not records:
        return
    names = stored_names(type(records[0]))
    con.executemany(
        insert_sql(records[0].TABLE, ["name", *names]),
        [[name, *stored_row(r).values()] for r in records],
    )


def _log(
    con: duckdb.DuckDBPyConnection,
    *,
    by: str,
    action: ScenarioAction,
    scenario: Scenario,
    summary: str,
) -> ScenarioLogEntry:
    log_id = next_id(con, "scenario_log", "log_id")
    entry = ScenarioLogEntry(
        log_id=log_id,
        logged_at=dt.datetime.now(),
        logged_by=by,
        action=action,
        name=scenario.name,
        file_name=scenario.file_name,
        file_sha256=scenario.file_sha256,
        summary=summary,
    )
    con.execute(
        insert_sql(ScenarioLogEntry.TABLE, stored_names(ScenarioLogEntry)),
        list(stored_row(entry).values()),
    )
    return entry


def write_scenario(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    scenario: Scenario,
    *,
    by: str,
    replace_existing: bool = False,
) -> ScenarioLogEntry:
    """Keep the scenario in the caller's transaction, logged as by's import or replacement.

    The caller has checked that `by` may (store.permissions.require_scenario_entry). Refused with
    ValidationError, nothing written: a scenario that scenario_problems finds wrong, a name that
    is taken (unless replace_existing), a made-up (is_demo) scenario in the city's store.
    """
    problems = scenario_problems(plan, scenario)
    known = [s for (s,) in fetch_all(con, "SELECT name FROM scenarios ORDER BY name")]
    taken = None if replace_existing else exists_problem(scenario.name, known)
    if taken:
        problems.append(taken)
    if scenario.is_demo and store_kind(con) != "demo":
        problems.append("市の実データ用のストアには、デモ用の財政見通しを書き込めません。")
    if problems:
        raise ValidationError(problems)
    kept = replace(scenario, created_at=dt.datetime.now(), created_by=by)
    action: ScenarioAction = "replace" if scenario.name in known else "import"
    _delete(con, scenario.name)
    con.execute(insert_sql(Scenario.TABLE, stored_names(Scenario)), list(stored_row(kept).values()))
    _insert_under(con, scenario.name, scenario.flows)
    _insert_under(con, scenario.name, scenario.forecasts)
    return _log(con, by=by, action=action, scenario=kept, summary=scenario.summary(plan))


def save_scenario(
    path: Path,
    scenario: Scenario,
    *,
    replace_existing: bool = False,
    user: str | None = None,
    wait_seconds: float = LOCK_WAIT_SECONDS,
) -> ScenarioLogEntry:
    """Keep a scenario in one transaction, as `user` (default: the OS user); see write_scenario."""
    require_store_file(path)
    with connect(path, read_only=False, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        with transaction(con):
            plan = read_plan(con)
            return write_checked(con, plan, scenario, user=user, replace_existing=replace_existing)


def write_checked(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    scenario: Scenario,
    *,
    user: str | None,
    replace_existing: bool,
) -> ScenarioLogEntry:
    """write_scenario after resolving the acting person in the caller's transaction and
    refusing (PermissionDeniedError) one who may not enter every indicator the scenario touches."""
    actor = resolve_actor(con, user or current_user())
    try:
        touched = scenario.indicator_nos(plan)
    except KeyError:
        touched = ()  # an unknown flow: scenario_problems names it
    require_scenario_entry(actor, plan, touched)
    return write_scenario(con, plan, scenario, by=actor.identity, replace_existing=replace_existing)


def backup_before_change(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> Path | None:
    """A snapshot of the store before the scenario so named is replaced or removed (the same
    automatic backups an import takes), so what it held can be read back; None when there is no
    such scenario (nothing would be lost). Called outside the write's transaction (a snapshot
    needs a checkpoint), after the checks that would refuse the change, so a refused request
    never rotates a useful backup out."""
    if not read_scenarios(con, [name]):
        return None
    return make_backup(con, path, reason="scenario")


def _removable(
    con: duckdb.DuckDBPyConnection, name: str, user: str | None
) -> tuple[Actor, Plan, Scenario]:
    """Who removes, the plan and the scenario so named; ValidationError when there is none,
    PermissionDeniedError for one who may not enter every indicator it touches."""
    actor = resolve_actor(con, user or current_user())
    plan = read_plan(con)
    everything = read_scenarios(con)
    found = next((s for s in everything if s.name == name), None)
    if found is None:
        raise ValidationError([unknown_problem(name, [s.name for s in everything])])
    require_scenario_entry(actor, plan, found.indicator_nos(plan))
    return actor, plan, found


def remove_scenario(
    path: Path, name: str, *, user: str | None = None, wait_seconds: float = LOCK_WAIT_SECONDS
) -> ScenarioLogEntry:
    """Remove a scenario in one transaction, logged, after a backup; ValidationError when there is
    none so named, PermissionDeniedError for one who may not enter every indicator it touches."""
    require_store_file(path)
    with connect(path, read_only=False, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        _removable(con, name, user)
        backup_before_change(con, path, name)
        with transaction(con):
            actor, plan, found = _removable(con, name, user)  # again: the store may have changed
            _delete(con, name)
            return _log(
                con,
                by=actor.identity,
                action="remove",
                scenario=found,
                summary=found.summary(plan),
            )
