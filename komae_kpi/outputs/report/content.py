"""What the progress report says, as plain values for report.html.j2: tables of text, headings,
the charts as images with their alt text, the items in the plan's tree.

Numbers follow the official style: 億円 to one decimal, △ for negatives, years as
令和7年度 (2025). Every item is listed for every year; one without a report is 未報告, never dropped.
Nothing here is HTML: the template writes the markup and escapes every value.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common import formatting
from komae_kpi.common.errors import KomaeKpiError
from komae_kpi.judgement import item_progress
from komae_kpi.judgement.indicator_status import (
    KIND_LABELS,
    PROVISIONAL_NOTE,
    Assessment,
    criteria_text,
)
from komae_kpi.judgement.item_progress import NOT_REPORTED, ItemRow
from komae_kpi.judgement.meeting_changes import MeetingChanges
from komae_kpi.judgement.progress import Snapshot, assess_all
from komae_kpi.plan import facts
from komae_kpi.plan.model import Indicator, Plan
from komae_kpi.views import charts, finance_outlook, meeting_views
from komae_kpi.views.outlook_views import indicator_heading, path_table
from komae_kpi.views.overview import warning_notes
from komae_kpi.views.status_style import (
    assessment_status_text,
    item_status_text,
)

REPORT_TITLE = "進捗状況報告"
CHART_WIDTH = 900
CHART_HEIGHT = 480
# Renders a figure to PNG bytes; the caller owns the browser (chart_images.chart_renderer).
ImageRenderer = Callable[..., bytes]


@dataclass(frozen=True, kw_only=True)
class TocEntry:
    """A heading that the table of contents lists (and links to by anchor)."""

    anchor: str
    text: str
    level: int  # 1 = chapter, 2 = section


CHANGES = TocEntry(anchor="changes", text=meeting_views.SECTION_TITLE, level=1)
SUMMARY = TocEntry(anchor="summary", text="1 概要", level=1)
SUMMARY_INDICATORS = TocEntry(anchor="summary-indicators", text="1.1 指標の状況", level=2)
SUMMARY_ITEMS = TocEntry(anchor="summary-items", text="1.2 取組項目の進捗状況", level=2)
INDICATORS = TocEntry(anchor="indicators", text="2 指標の推移", level=1)
ITEMS = TocEntry(anchor="items", text="3 取組項目の進捗状況", level=1)
METHOD = TocEntry(anchor="method", text="4 進捗状況の判定方法", level=1)


@dataclass(frozen=True, kw_only=True)
class Table:
    """A table whose first column heads its rows; numbers marks the columns of figures (cells
    that start with a digit or a sign are right-aligned)."""

    caption: str
    header: tuple[str, ...]  # () for a table without a header row
    rows: tuple[tuple[str, ...], ...]
    css_class: str = ""
    numbers: bool = True


@dataclass(frozen=True, kw_only=True)
class ChartSection:
    heading: TocEntry
    status: str
    png_base64: str
    alt: str
    caption: str
    reason: str
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT


@dataclass(frozen=True, kw_only=True)
class ScenarioBlock:
    """One 財政見通し in the report: its title, a table of both paths per indicator it touches,
    and its verdicts."""

    title: str
    tables: tuple[Table, ...]
    verdicts: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class OutlookSection:
    """The last section of chapter 2: every 財政見通し in the store, projected from the actuals up
    to the report's year."""

    heading: TocEntry
    notes: tuple[str, ...]
    scenarios: tuple[ScenarioBlock, ...]


@dataclass(frozen=True, kw_only=True)
class ChangesSection:
    """「前回会議からの変化」 (report --since), before chapter 1: the indicators' changes, the items'
    by 施策 and department, and the items still unreported counted by department."""

    heading: TocEntry
    lead: str
    indicators: Table | None  # None: no indicator changed
    item_groups: tuple[Table, ...]
    unreported: Table | None  # None: every item unreported then is reported now
    notes: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class PlanHeading:
    """A heading of the plan's tree in chapter 3, and the item tables right under it (only a
    基本事業 has items). Policies are h3 and in the table of contents; directions h4, programs h5."""

    level: int
    text: str
    anchor: str = ""
    items: tuple[Table, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ReportContent:
    """Everything report.html.j2 shows for one fiscal year."""

    fiscal_year: int
    is_demo: bool
    made_on: dt.date
    indicators: Table
    nothing_entered: bool  # no actual and no item status for the year yet
    item_counts: Table
    policy_counts: Table
    charts: tuple[ChartSection, ...]
    outlook: OutlookSection | None  # None: no 財政見通し in the store
    plan_tree: tuple[PlanHeading, ...]
    criteria: Table
    statuses: Table
    target_era: str  # the year the targets are for: 令和11年度
    april_first_note: str | None  # the ※ indicators counted on 1 April; None: there are none
    # What （見込） and （暫定） mean, where the summary table shows either; None: it shows neither.
    stage_note: str | None = None
    # anchor → page, filled when printing; {} keeps a blank page column, None has none.
    page_numbers: Mapping[str, int] | None = None
    # What changed since a meeting (report --since), first; None: not asked for.
    changes: ChangesSection | None = None

    # The same in every report (class attributes, not fields), here so that the template finds
    # every value it shows in one place.
    plan_title_with_period = facts.TITLE_WITH_PERIOD
    report_title = REPORT_TITLE
    publisher = facts.PUBLISHER
    summary = SUMMARY
    summary_indicators = SUMMARY_INDICATORS
    summary_items = SUMMARY_ITEMS
    indicators_chapter = INDICATORS
    items_chapter = ITEMS
    method = METHOD

    @property
    def era(self) -> str:
        return fy.wareki(self.fiscal_year)

    @property
    def year_label(self) -> str:
        return fy.label(self.fiscal_year)

    @property
    def date_text(self) -> str:
        return fy.wareki_date_with_year(self.made_on)

    @property
    def first_year(self) -> bool:
        return self.fiscal_year == facts.FIRST_FISCAL_YEAR

    @property
    def title(self) -> str:
        title = f"{facts.TITLE} {self.era} {REPORT_TITLE}"
        return ("【デモデータ】" if self.is_demo else "") + title

    @property
    def toc(self) -> tuple[TocEntry, ...]:
        return (
            *([self.changes.heading] if self.changes else []),
            SUMMARY,
            SUMMARY_INDICATORS,
            SUMMARY_ITEMS,
            INDICATORS,
            *(c.heading for c in self.charts),
            *([self.outlook.heading] if self.outlook else []),
            ITEMS,
            *(TocEntry(anchor=h.anchor, text=h.text, level=2) for h in self.plan_tree if h.anchor),
            METHOD,
        )

    @property
    def contents(self) -> list[tuple[TocEntry, str]]:
        """Each entry of the table of contents with its page ('' or a blank while unknown)."""
        blank = "" if self.page_numbers is None else "\u3000"
        pages = self.page_numbers or {}
        return [(e, str(pages[e.anchor]) if e.anchor in pages else blank) for e in self.toc]


def report_year_problem(year: int) -> str | None:
    """Reports are made for the plan period only (the years items are reported for)."""
    return facts.made_for_period_problem(year, "進捗状況報告と会議資料")


# --- the pieces ---------------------------------------------------------------------------------


def _official(value: float | None, unit: str) -> str:
    return formatting.with_unit(value, unit, official=True)


def _indicator_table(snapshot: Snapshot, year: int, assessments: Sequence[Assessment]) -> Table:
    plan = snapshot.plan
    rows = []
    for a in assessments:
        x = plan.indicator(a.indicator_no)
        actual = snapshot.indicator_value(x.indicator_no, year)
        rows.append(
            (
                f"{x.indicator_no} {x.name}",
                _official(x.baseline_value, x.unit),
                formatting.with_stage(actual.value, x.unit, actual.stage, official=True)
                if actual is not None
                else "未入力",
                x.target_text(official=True),
                assessment_status_text(a),
            )
        )
    return Table(
        caption=f"{facts.indicator_count_text(plan)}の状況（{fy.label(year)}）",
        header=(
            "指標",
            f"現状値（{fy.wareki(facts.baseline_fiscal_year(plan))}）",
            f"{fy.wareki(year)}の実績値",
            f"目標値（{fy.wareki(facts.target_fiscal_year(plan))}）",
            "状況",
        ),
        rows=tuple(rows),
        css_class="indicators",
    )


def _count_change(change: int | None) -> str:
    if change is None:
        return "－"
    if change == 0:
        return "±0"
    return f"+{change}" if change > 0 else f"△{-change}"


def _count_tables(snapshot: Snapshot, year: int) -> tuple[Table, Table]:
    """The item statuses counted for the whole plan (with the change from the year before), and
    per policy."""
    index = item_progress.status_index(snapshot.statuses)
    counts = item_progress.status_counts(
        snapshot.plan, index, year, first_reported_year=facts.FIRST_FISCAL_YEAR
    )
    overall = counts[0]
    whole = Table(
        caption=f"取組項目の進捗状況の件数（{fy.label(year)}、全{overall.total}項目。再掲の取組項目は"
        "元の取組項目として1回数えています）",
        header=("進捗状況", "件数", f"前年度（{fy.wareki(year - 1)}）からの増減"),
        rows=tuple(
            (item_status_text(c.status), f"{c.count}件", _count_change(c.change))
            for c in overall.counts
        ),
    )
    by_policy = Table(
        caption="施策ごとの件数",
        header=("施策", *[c.status for c in overall.counts]),
        rows=tuple((g.label, *[f"{c.count}" for c in g.counts]) for g in counts[1:]),
    )
    return whole, by_policy


def _chart_alt(snapshot: Snapshot, year: int, x: Indicator, assessment: Assessment) -> str:
    """What the chart draws, in words: improvement targets have a plan line, guardrails only the
    bound."""
    actuals = snapshot.actuals(x.indicator_no)
    stages = snapshot.stages(x.indicator_no)
    shown = {y: v for y, v in sorted(actuals.items()) if x.baseline_fiscal_year <= y <= year}
    series = "、".join(
        f"{fy.wareki(y)} {formatting.with_stage(v, x.unit, stages.get(y), official=True)}"
        for y, v in shown.items()
    )
    earlier = [y for y in actuals if y < x.baseline_fiscal_year]
    history = f"{fy.wareki(min(earlier))}からの過去の実績値と、" if earlier else ""
    target = x.target_text(official=True)
    line = (
        f"現状値（{fy.wareki(x.baseline_fiscal_year)}）{_official(x.baseline_value, x.unit)}から"
        f"目標値（{fy.wareki(x.target_fiscal_year)}）{target}への計画線"
        if x.kind == "improvement"
        else f"目標（{target}）の線と現状値（{fy.wareki(x.baseline_fiscal_year)}）"
        f"{_official(x.baseline_value, x.unit)}"
    )
    projection = (
        f"、実績の傾向から見た{fy.wareki(x.target_fiscal_year)}の見込み"
        f"{_official(assessment.projected_value, x.unit)}"
        if assessment.projected_value is not None
        else ""
    )
    return (
        f"指標{x.indicator_no}「{x.name}」のグラフ。{history}{line}、"
        f"実績値（{series or '未入力'}）{projection}。"
        f"状況: {assessment_status_text(assessment)}。"
    )


def _chart_section(
    snapshot: Snapshot, year: int, assessment: Assessment, render: ImageRenderer, number: str
) -> ChartSection:
    x = snapshot.plan.indicator(assessment.indicator_no)
    figure = charts.indicator_figure(
        x,
        snapshot.actuals(x.indicator_no),
        assessment,
        stages=snapshot.stages(x.indicator_no),
        height=CHART_HEIGHT,
    )
    png = render(figure, width=CHART_WIDTH, height=CHART_HEIGHT)
    return ChartSection(
        heading=TocEntry(
            anchor=f"indicator-{x.indicator_no}",
            text=f"{number} 指標{x.indicator_no} {x.name}",
            level=2,
        ),
        status=f"{assessment_status_text(assessment)}　{KIND_LABELS[x.kind]}",
        png_base64=base64.b64encode(png).decode("ascii"),
        alt=_chart_alt(snapshot, year, x, assessment),
        caption=f"図 指標{x.indicator_no} {x.name}（{fy.label(year)}時点）",
        reason=assessment.reason + warning_notes(snapshot, assessment),
    )


def _outlook_section(snapshot: Snapshot, year: int, number: str) -> OutlookSection | None:
    """Each scenario: both paths by year for every indicator it touches, then its verdicts."""
    if not snapshot.scenarios:
        return None
    blocks = []
    for outlook in finance_outlook.outlooks_for(snapshot, year):
        tables = []
        verdicts = []
        for x in outlook.indicators:
            paths = path_table(x)
            tables.append(Table(caption=indicator_heading(x), header=paths.header, rows=paths.rows))
            verdicts.append("".join(finance_outlook.verdict_lines(x.verdict)))
        blocks.append(
            ScenarioBlock(
                title=f"財政見通し「{finance_outlook.shown_name(outlook.scenario)}」",
                tables=tuple(tables),
                verdicts=tuple(verdicts),
            )
        )
    made_up = finance_outlook.demo_note(snapshot.scenarios)
    notes = [finance_outlook.paths_help(snapshot.plan), *([made_up] if made_up else [])]
    return OutlookSection(
        heading=TocEntry(
            anchor="outlook", text=f"{number} {finance_outlook.SECTION_TITLE}", level=2
        ),
        notes=tuple(notes),
        scenarios=tuple(blocks),
    )


def _changes_section(plan: Plan, changes: MeetingChanges) -> ChangesSection:
    """The tables of what changed since the meeting, as `changes` lists them."""
    indicators = (
        Table(
            caption="指標の変化",
            header=meeting_views.INDICATOR_HEADER,
            rows=tuple(meeting_views.indicator_row(c) for c in changes.indicators),
            numbers=False,
        )
        if changes.indicators
        else None
    )
    groups = tuple(
        Table(
            caption=f"取組項目の変化　{group.title}",
            header=meeting_views.ITEM_HEADER,
            rows=group.rows,
            numbers=False,
        )
        for group in meeting_views.item_groups(plan, changes)
    )
    unreported_rows = meeting_views.unreported_rows(changes)
    unreported = (
        Table(
            caption=f"未報告のままの取組項目（{meeting_views.unreported_count(changes)}項目、"
            "推進部署ごと。複数の部署が推進する取組項目は部署ごとに数えています）",
            header=meeting_views.UNREPORTED_HEADER,
            rows=tuple(unreported_rows),
            css_class="unreported",
            numbers=False,
        )
        if unreported_rows
        else None
    )
    notes = []
    if indicators is None:
        notes.append("判定・実績値が変わった指標はありません。")
    if not groups:
        notes.append("状況が変わった取組項目・新たに報告された取組項目はありません。")
    return ChangesSection(
        heading=CHANGES,
        lead=meeting_views.heading(changes),
        indicators=indicators,
        item_groups=groups,
        unreported=unreported,
        notes=tuple(notes),
    )


def _item_table(row: ItemRow) -> Table:
    item = row.item
    status = row.status
    repost = f"（取組項目{item.repost_of}の再掲）" if item.repost_of is not None else ""
    return Table(
        caption=f"取組項目{item.item_no} {item.display_name}{repost}",
        header=(),
        rows=(
            ("進捗状況", item_status_text(status)),
            ("推進部署", "・".join(item.departments)),
            ("取組実績", row.achievements or ("（未報告）" if status == NOT_REPORTED else "－")),
            ("課題", row.issues or "－"),
            ("今後の方向性", row.next_steps or "－"),
        ),
        css_class="item",
        numbers=False,
    )


def _plan_tree(plan: Plan, rows: Sequence[ItemRow]) -> tuple[PlanHeading, ...]:
    """Every item's table under its policy, direction and program, in the plan's order."""
    tables: dict[tuple[int, int, int], list[Table]] = {}
    for row in rows:
        i = row.item
        tables.setdefault((i.policy_no, i.direction_no, i.program_no), []).append(_item_table(row))
    tree: list[PlanHeading] = []
    for policy in plan.policies:
        number = f"3.{policy.policy_no}"
        text = f"{number} 施策{policy.policy_no} {policy.name}"
        tree.append(PlanHeading(level=3, text=text, anchor=f"policy-{policy.policy_no}"))
        for direction in [d for d in plan.directions if d.policy_no == policy.policy_no]:
            code = f"{direction.policy_no}-{direction.direction_no}"
            tree.append(PlanHeading(level=4, text=f"方向性{code} {direction.name}"))
            for program in plan.programs:
                if (program.policy_no, program.direction_no) == (
                    direction.policy_no,
                    direction.direction_no,
                ):
                    key = (program.policy_no, program.direction_no, program.program_no)
                    items = tuple(tables.get(key, []))
                    tree.append(
                        PlanHeading(
                            level=5, text=f"基本事業{program.code} {program.name}", items=items
                        )
                    )
    return tuple(tree)


def _method_tables(plan: Plan) -> tuple[Table, Table]:
    criteria = Table(
        caption="指標ごとの判定基準",
        header=("指標", "判定基準"),
        rows=tuple(
            (f"{x.indicator_no} {x.name}", criteria_text(x, plan.rule(x.indicator_no)))
            for x in plan.indicators
        ),
    )
    terms = [(item_status_text(s.status), s.description) for s in plan.statuses]
    terms.append((item_status_text(NOT_REPORTED), "その年度の報告がまだない"))
    statuses = Table(caption="取組項目の進捗状況の区分", header=("区分", "意味"), rows=tuple(terms))
    return criteria, statuses


def report_content(
    snapshot: Snapshot,
    year: int,
    render: ImageRenderer,
    *,
    today: dt.date | None = None,
    changes: MeetingChanges | None = None,
) -> ReportContent:
    """The report's values for a fiscal year of the plan period; charts drawn through render;
    with changes, first the section 「前回会議からの変化」."""
    problem = report_year_problem(year)
    if problem:
        raise KomaeKpiError(problem)
    plan = snapshot.plan
    assessments = assess_all(snapshot, year)
    item_counts, policy_counts = _count_tables(snapshot, year)
    criteria, statuses = _method_tables(plan)
    rows = item_progress.item_rows(plan, item_progress.status_index(snapshot.statuses), year)
    charts_shown = tuple(
        _chart_section(snapshot, year, a, render, f"2.{n}")
        for n, a in enumerate(assessments, start=1)
    )
    return ReportContent(
        fiscal_year=year,
        is_demo=snapshot.is_demo,
        made_on=today or dt.date.today(),
        indicators=_indicator_table(snapshot, year, assessments),
        nothing_entered=not any(v.fiscal_year == year for v in snapshot.values)
        and not any(s.fiscal_year == year for s in snapshot.statuses),
        item_counts=item_counts,
        policy_counts=policy_counts,
        charts=charts_shown,
        outlook=_outlook_section(snapshot, year, f"2.{len(charts_shown) + 1}"),
        plan_tree=_plan_tree(plan, rows),
        criteria=criteria,
        statuses=statuses,
        target_era=fy.wareki(facts.target_fiscal_year(plan)),
        april_first_note=facts.april_first_note(plan),
        stage_note=PROVISIONAL_NOTE
        if any(a.provisional for a in assessments)
        or any(v.provisional for v in snapshot.values if v.fiscal_year == year)
        else None,
        changes=_changes_section(plan, changes) if changes is not None else None,
    )
