"""The 財政見通し as the screens and outputs show it: the /finance section (a chart per indicator
with the actuals, the bound and each scenario's two paths; the flows under it; the verdicts), and
the verdicts that the warnings of 遅れ/注意 indicators add, from one place for every output
(overview, /indicators, /finance, the report, the deck, `status`).

The projection is judgement/outlook.py's; the scenarios come with the Snapshot. Every path is
projected from the actuals up to the year the page or output is about, so a page for 令和6年度
shows the outlook as it stood with that year's actuals. Figures are pure functions, like
views/charts.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common import formatting
from komae_kpi.common.stages import Stage
from komae_kpi.judgement.indicator_status import Assessment, StatusCode
from komae_kpi.judgement.outlook import (
    AS_PLANNED_LABEL,
    REBASED_LABEL,
    IndicatorOutlook,
    Outlook,
    OutlookVerdict,
    actual_stages,
    build_outlook,
)
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.plan import facts
from komae_kpi.plan.model import Indicator, Plan
from komae_kpi.store.scenarios import Scenario, ScenarioLogEntry, unknown_problem
from komae_kpi.views import html_blocks
from komae_kpi.views.charts import (
    HOVER,
    TARGET_COLOR,
    TEMPLATE,
    _year_axis,
    actuals_trace,
    hover_data,
    target_bound,
)
from komae_kpi.views.outlook_views import NET_LABEL, TextTable

SECTION_TITLE = "財政見通し"
# Beside a made-up scenario wherever one is named (the demo store's).
DEMO_SCENARIO_MARK = "デモデータ（架空の財政見通し）"
NO_SCENARIO_TEXT = (
    "財政見通しはまだありません。「実績入力」の「財政見通し」、またはコマンド "
    "python -m komae_kpi scenario import ファイル で取り込むと、市債残高・財政調整基金残高の"
    "見通しをここに表示します。"
)
NONE_CHOSEN_TEXT = "表示する財政見通しを選んでください。"
# The statuses whose warnings add the outlook's verdicts: 遅れ and 注意.
WARNING_STATUSES: tuple[StatusCode, ...] = ("off_track", "at_risk")
# Years of actuals before the baseline drawn for context.
HISTORY_YEARS = 5
# Each scenario's colour and marker (both: a path never rests on colour alone); not the actuals'
# navy nor the target's green.
SCENARIO_COLORS = ("#0072B2", "#E69F00", "#D55E00", "#CC79A7", "#000000")
SCENARIO_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x")
# The chart's foot in pixels: the year ticks, then a row per line of the legend.
LEGEND_FOOT = 64
LEGEND_ROW = 24


# --- names ----------------------------------------------------------------------------------------


def shown_name(scenario: Scenario) -> str:
    """The scenario's name as headings and choices show it: 「A」, or for a made-up one
    「デモ用財政見通し（架空）【デモデータ（架空の財政見通し）】」."""
    return f"{scenario.name}【{DEMO_SCENARIO_MARK}】" if scenario.is_demo else scenario.name


def demo_note(scenarios: Sequence[Scenario]) -> str | None:
    """A line saying which of the scenarios are made up (None: none is)."""
    made_up = [s for s in scenarios if s.is_demo]
    if not made_up:
        return None
    names = "」「".join(s.name for s in made_up)
    return (
        f"{DEMO_SCENARIO_MARK}：「{names}」は説明用に作った架空の財政見通しで、"
        "市の見通しではありません。"
    )


def paths_help(plan: Plan) -> str:
    """What the two paths of each scenario are."""
    baseline = fy.wareki(facts.baseline_fiscal_year(plan))
    return (
        f"「{AS_PLANNED_LABEL}」（破線）は{baseline}の現状値に財政見通しの増減を積み上げた線、"
        f"「{REBASED_LABEL}」（実線）は最新の実績値から増減を積み上げ直した線です。"
    )


def verdict_lines(verdict: OutlookVerdict) -> tuple[str, str]:
    """The verdict and what meeting the target takes, each a sentence."""
    return f"{verdict.sentence}。", verdict.requirement


# --- the outlooks of a year -----------------------------------------------------------------------


def outlooks_for(
    snapshot: Snapshot, fiscal_year: int, scenarios: Sequence[Scenario] | None = None
) -> list[Outlook]:
    """The scenarios (default: every one in the snapshot) projected from the actuals up to
    fiscal_year."""
    plan = snapshot.plan
    actuals = {x.indicator_no: _actuals(snapshot, x, fiscal_year) for x in plan.indicators}
    chosen = snapshot.scenarios if scenarios is None else scenarios
    stages = actual_stages(snapshot)
    return [build_outlook(plan, s, actuals, stages) for s in chosen]


def _actuals(snapshot: Snapshot, x: Indicator, fiscal_year: int) -> dict[int, float]:
    return {y: v for y, v in snapshot.actuals(x.indicator_no).items() if y <= fiscal_year}


def indicator_verdicts(
    snapshot: Snapshot, indicator_no: int, fiscal_year: int
) -> list[tuple[Scenario, OutlookVerdict]]:
    """Each scenario touching the indicator, with its verdict, in the scenarios' order."""
    if not snapshot.scenarios:  # the usual case on every page: nothing to project
        return []
    found = []
    for outlook in outlooks_for(snapshot, fiscal_year):
        x = outlook.of(indicator_no)
        if x is not None:
            found.append((outlook.scenario, x.verdict))
    return found


def warning_verdicts(snapshot: Snapshot, a: Assessment) -> tuple[str, ...]:
    """What an indicator's warning adds: for a 遅れ/注意 indicator each scenario's verdict, for any
    other only the verdicts that miss the target (the status keeps its rule, the trend of the
    actuals, but a meeting must hear that the planned flows miss it); with what meeting the target
    takes wherever it is missed. () with no scenario touching the indicator."""
    warned = a.status in WARNING_STATUSES
    lines = []
    for _, verdict in indicator_verdicts(snapshot, a.indicator_no, a.fiscal_year):
        sentence, requirement = verdict_lines(verdict)
        if verdict.meets_target is False:
            lines.append(f"{sentence}{requirement}")
        elif warned:
            lines.append(sentence)
    return tuple(lines)


def warning_outlook_text(snapshot: Snapshot, a: Assessment) -> str:
    """warning_verdicts as a run of text to follow a warning's body, or ''."""
    return "".join(f"　{line}" for line in warning_verdicts(snapshot, a))


def status_outlook(snapshot: Snapshot, indicator_no: int, fiscal_year: int) -> list[dict[str, Any]]:
    """`status --json`'s `outlook` of an indicator: one object per scenario touching it."""
    return [
        {"scenario": s.name, "is_demo": s.is_demo, **verdict.as_json()}
        for s, verdict in indicator_verdicts(snapshot, indicator_no, fiscal_year)
    ]


# --- the /finance section -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ScenarioPanel:
    """One scenario under one indicator: its paths, its flows (a balance's) and its verdict."""

    scenario: Scenario
    outlook: IndicatorOutlook
    years: tuple[int, ...]  # the years the flows are planned for

    @property
    def heading(self) -> str:
        return f"財政見通し「{shown_name(self.scenario)}」"

    @property
    def flows(self) -> pd.DataFrame | None:
        return flows_frame(self.years, self.outlook)

    @property
    def verdict(self) -> OutlookVerdict:
        return self.outlook.verdict


@dataclass(frozen=True, kw_only=True)
class IndicatorPanel:
    """One indicator of the section: its chart's data and each chosen scenario touching it."""

    indicator: Indicator
    fiscal_year: int
    actuals: Mapping[int, float]
    stages: Mapping[int, Stage]
    scenarios: tuple[ScenarioPanel, ...]

    @property
    def heading(self) -> str:
        """「指標5 市債残高（目標 160.0億円以下）」."""
        x = self.indicator
        return f"指標{x.indicator_no} {x.name}（目標 {x.target_text()}）"

    @property
    def untouched_text(self) -> str | None:
        """Why a balance's chart has no path: no chosen scenario plans its flows."""
        if self.scenarios:
            return None
        return f"選んだ財政見通しには、{self.indicator.name}の増減・見込値がありません。"

    def notes_html(self) -> str:
        """What stands under the chart: per scenario its flows table and its verdict."""
        blocks = (
            [html_blocks.paragraph(self.untouched_text, meta=True)] if self.untouched_text else []
        )
        for p in self.scenarios:
            sentence, requirement = verdict_lines(p.verdict)
            flows = p.flows
            blocks.append(
                html_blocks.heading(p.heading, 4)
                + (
                    html_blocks.table(flows, label=f"{p.heading}の{self.indicator.name}の増減")
                    if flows is not None
                    else ""
                )
                + html_blocks.paragraph(sentence)
                + html_blocks.paragraph(requirement)
            )
        return "".join(blocks)

    def figure(self, *, height: int = 520) -> go.Figure:
        return outlook_figure(
            self.indicator,
            self.actuals,
            [(p.scenario.label, p.outlook) for p in self.scenarios],
            fiscal_year=self.fiscal_year,
            stages=self.stages,
            height=height,
        )


@dataclass(frozen=True, kw_only=True)
class OutlookSection:
    """What /finance shows of the 財政見通し for the chosen scenarios."""

    scenarios: tuple[Scenario, ...]  # every scenario in the store
    chosen: tuple[Scenario, ...]
    unknown: tuple[str, ...]  # names asked for (a shared link) that no scenario has
    panels: tuple[IndicatorPanel, ...]

    @property
    def notices(self) -> tuple[str, ...]:
        """What the section says instead of (or before) its charts."""
        known = [s.name for s in self.scenarios]
        notes = [f"リンクの指定: {unknown_problem(name, known)}" for name in self.unknown]
        if not self.scenarios:
            notes.append(NO_SCENARIO_TEXT)
        elif not self.chosen:
            notes.append(NONE_CHOSEN_TEXT)
        return tuple(notes)

    @property
    def demo_note(self) -> str | None:
        return demo_note(self.chosen)


def shown_indicators(plan: Plan, scenarios: Sequence[Scenario]) -> list[Indicator]:
    """The balance indicators (always), then the other indicators the scenarios forecast."""
    stocks = sorted({f.indicator_no for f in plan.stock_flows})
    touched = sorted({n for s in scenarios for n in s.indicator_nos(plan)} - set(stocks))
    return [plan.indicator(n) for n in [*stocks, *touched]]


def outlook_section(
    snapshot: Snapshot,
    fiscal_year: int,
    chosen: Sequence[str],
    *,
    unknown: Sequence[str] = (),
) -> OutlookSection:
    """The section for the scenarios named in chosen (in the store's order), as of fiscal_year."""
    scenarios = [s for s in snapshot.scenarios if s.name in chosen]
    outlooks = outlooks_for(snapshot, fiscal_year, scenarios)
    panels = []
    if scenarios:
        for x in shown_indicators(snapshot.plan, scenarios):
            found = [(o, o.of(x.indicator_no)) for o in outlooks]
            panels.append(
                IndicatorPanel(
                    indicator=x,
                    fiscal_year=fiscal_year,
                    actuals=_actuals(snapshot, x, fiscal_year),
                    stages=snapshot.stages(x.indicator_no),
                    scenarios=tuple(
                        ScenarioPanel(scenario=o.scenario, outlook=io, years=o.years)
                        for o, io in found
                        if io is not None
                    ),
                )
            )
    return OutlookSection(
        scenarios=snapshot.scenarios,
        chosen=tuple(scenarios),
        unknown=tuple(unknown),
        panels=tuple(panels),
    )


def flows_frame(years: Sequence[int], x: IndicatorOutlook) -> pd.DataFrame | None:
    """A balance's flows: a row per flow and their signed sum, a column per year (R6–R11), in the
    indicator's unit with one decimal; None for an indicator that is not a balance."""
    if not x.flow_lines:
        return None
    unit = x.indicator.unit
    columns = [f"増減（{unit}）", *(fy.wareki_short(y) for y in years)]
    rows: list[list[str]] = [
        [line.flow.name, *(_amount(a) for a in line.amounts)] for line in x.flow_lines
    ]
    nets = []
    for i in range(len(years)):
        given = [line.flow.sign * a for line in x.flow_lines if (a := line.amounts[i]) is not None]
        nets.append(formatting.signed_difference(sum(given), "") if given else "－")
    rows.append([NET_LABEL, *nets])
    return pd.DataFrame(rows, columns=columns)


def _amount(value: float | None) -> str:
    return "－" if value is None else formatting.number(value)


# --- the chart ------------------------------------------------------------------------------------


def outlook_figure(
    indicator: Indicator,
    actuals: Mapping[int, float],
    paths: Sequence[tuple[str, IndicatorOutlook]],
    *,
    fiscal_year: int,
    stages: Mapping[int, Stage] | None = None,
    height: int = 520,
) -> go.Figure:
    """An indicator's actuals, its target as a labelled bound and each scenario's paths: as
    planned from the baseline (dashed) and re-based on the latest actual (solid, from that
    actual on). paths: (the scenario's label, its projection of this indicator); stages: each
    actual's stage, a 見込 drawn as the indicator chart draws it.
    """
    x = indicator
    unit = x.unit
    earliest = x.baseline_fiscal_year - HISTORY_YEARS
    last = x.target_fiscal_year
    shown = {y: v for y, v in sorted(actuals.items()) if earliest <= y <= fiscal_year}
    first = min([x.baseline_fiscal_year, *shown])
    fig = go.Figure()
    values = [*shown.values(), x.baseline_value]
    for _, path in paths:
        values += [v for r in path.rows for v in (r.as_planned, r.rebased) if v is not None]
    y_low, y_high = target_bound(fig, x, values, first=first, last=last)
    target_label = f"目標 {x.target_text()}（{x.bound_word}）"
    fig.add_annotation(
        x=first - 0.4,
        y=x.target_value,
        text=target_label,
        showarrow=False,
        xanchor="left",
        yanchor="top" if x.comparator == "<=" else "bottom",
        font={"color": TARGET_COLOR, "size": 14},
    )
    fig.add_trace(actuals_trace(shown, stages, unit))
    since_actual = [y for y in shown if x.baseline_fiscal_year <= y <= last]
    rebase_year = max(since_actual, default=x.baseline_fiscal_year)
    for n, (label, path) in enumerate(paths):
        color = SCENARIO_COLORS[n % len(SCENARIO_COLORS)]
        symbol = SCENARIO_SYMBOLS[n % len(SCENARIO_SYMBOLS)]
        planned = [r for r in path.rows if r.as_planned is not None]
        rebased = [r for r in path.rows if r.rebased is not None and r.fiscal_year >= rebase_year]
        for name, rows, ys, dash in (
            (AS_PLANNED_LABEL, planned, [r.as_planned for r in planned], "dash"),
            (REBASED_LABEL, rebased, [r.rebased for r in rebased], "solid"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=[r.fiscal_year for r in rows],
                    y=ys,
                    mode="lines+markers",
                    name=name,
                    # The scenario's name heads its two paths in the legend (and the hover box).
                    legendgroup=f"scenario-{n}",
                    legendgrouptitle={"text": label},
                    line={"color": color, "width": 2 if dash == "dash" else 3, "dash": dash},
                    marker={"size": 7, "symbol": symbol, "color": color},
                    customdata=hover_data([r.fiscal_year for r in rows], ys, unit),
                    hovertemplate=f"{label}<br>" + HOVER,
                )
            )
    fig.update_layout(
        template=TEMPLATE,
        height=height,
        title={
            "text": f"指標{x.indicator_no} {x.name}の財政見通し<br>"
            f"<span style='font-size:0.8em'>実績は{fy.label(fiscal_year)}まで</span>",
            "x": 0,
            "xanchor": "left",
        },
        xaxis=_year_axis(first, last),
        yaxis={"title": {"text": unit}, "range": [y_low, y_high], "tickformat": ",.1f"},
        # At the figure's foot, below the two-line year ticks however tall the plot: a scenario's
        # paths take three legend rows (its name heading its two lines).
        legend={"yref": "container", "y": 0, "yanchor": "bottom"},
        margin={"b": LEGEND_FOOT + LEGEND_ROW * (1 + (3 if paths else 0))},
    )
    return fig


# --- /updates: the scenarios kept and their log ---------------------------------------------------


def import_help(plan: Plan) -> str:
    """What a scenario file holds and how it is read, for the import on /updates."""
    target = fy.wareki(facts.target_fiscal_year(plan))
    stocks = sorted({f.indicator_no for f in plan.stock_flows})
    flows = "、".join(
        f"{plan.indicator(n).name}は{'・'.join(f.name for f in plan.flows_of(n))}" for n in stocks
    )
    return (
        f"財政見通し（中期財政ビジョン・予算など）の CSV または Excel を選ぶと、書き込む前に内容と"
        f"{target}の見通しを表示します。{flows}を年度ごとに（年度は行・列のどちらでも）、"
        "ほかの指標は見込値を書きます。和暦・西暦、全角、△、億円・百万円・千円・円を読みます。"
        "1件でも問題があれば何も書き込みません。財政見通しは承認を経ずに、取り込んだ時点で反映"
        "されます（取込・置き換え・削除は変更履歴に残ります）。"
        "コマンド python -m komae_kpi scenario import でも取り込めます。"
    )


def scenario_caption(scenario: Scenario, plan: Plan) -> str:
    """What a scenario holds and where it came from, in one line: 「増減 24件（…）、令和6〜11年度
    （取込: 2025-10-01 09:30 zaisei@…、見通し.xlsx）」."""
    when = f"{scenario.created_at:%Y-%m-%d %H:%M}" if scenario.created_at else "－"
    source = [when, *[t for t in (scenario.created_by, scenario.file_name) if t]]
    return f"{scenario.summary(plan)}（取込: {'、'.join(source)}）"


def text_frame(table: TextTable) -> pd.DataFrame:
    """A text table (outlook_views) as a frame for html_blocks.table."""
    return pd.DataFrame(list(table.rows), columns=list(table.header))


def log_frame(entries: Sequence[ScenarioLogEntry]) -> pd.DataFrame:
    """The scenarios' log, newest first: 日時 / 操作 / 財政見通し / 利用者 / ファイル / 内容."""
    return pd.DataFrame(
        [
            {
                "日時": f"{e.logged_at:%Y-%m-%d %H:%M}",
                "操作": e.action_label,
                "財政見通し": e.name,
                "利用者": e.logged_by,
                "ファイル": e.file_name or "",
                "内容": e.summary,
            }
            for e in entries
        ],
        columns=["日時", "操作", "財政見通し", "利用者", "ファイル", "内容"],
    )
