"""The reform HQ's meeting deck (推進本部の会議資料) as a PowerPoint file, built from one Snapshot.

Exceptions first, so that the meeting spends its time on what needs a decision. Slides, 16:9: a
title slide; when given what changed since the last meeting (judgement/meeting_changes.py), one or
two slides of it (「前回会議からの変化」); the eight indicators with their status; one slide per
indicator that is 遅れ or 注意 (its chart, the gap to the plan line, the required versus the observed
annual change); when the store has a 財政見通し, one slide of it (the balances' charts and every
verdict); item statuses per 施策 with the change from the year before; the items that are behind
(遅れ・やや遅れ, the vocabulary's "behind" category); then ONE slide of the items not reported
(未報告), counted by department. They are there at all because the plan has the HQ check every item
every year (「推進計画に掲げた取組項目を全て点検し」): an unreported item has not been checked.

The full deck (full=True, `deck --full`) adds, at the end, every item under 見直し or not reported,
item by item: long tables that the progress report and the 部署別 page also carry.

The layout (text boxes, tables, pagination, fonts, colours) is layout.py's; this module decides
what the slides say.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.presentation import Presentation as PresentationObject
from pptx.util import Emu, Inches, Pt

from komae_kpi.common import clock, formatting
from komae_kpi.common import fiscal_year as fy
from komae_kpi.common.errors import KomaeKpiError
from komae_kpi.common.files import atomic_write_bytes
from komae_kpi.common.stages import PROVISIONAL_STAGE
from komae_kpi.judgement import department_progress, item_progress
from komae_kpi.judgement.indicator_status import (
    PROVISIONAL_NOTE,
    STATUS_ICONS,
    STATUS_LABELS,
    Assessment,
    StatusCode,
)
from komae_kpi.judgement.item_progress import NOT_REPORTED, ItemRow
from komae_kpi.judgement.meeting_changes import (
    CHANGE_KIND_LABELS,
    IndicatorChange,
    ItemChange,
    MeetingChanges,
)
from komae_kpi.judgement.progress import Snapshot, assess_all
from komae_kpi.outputs.chart_images import ChartRenderer
from komae_kpi.outputs.deck.layout import (
    BAND,
    BODY_BOTTOM,
    BODY_TOP,
    CELL_MARGIN_X,
    CONTENT_WIDTH,
    FOOTER_TOP,
    HIGHLIGHT,
    INK,
    MARGIN,
    MUTED,
    NAVY,
    SLIDE_WIDTH,
    TEXTBOX_MARGIN_Y,
    TITLE_LAYOUT,
    Cell,
    Look,
    Paragraph,
    Span,
    add_table,
    line_count,
    new_presentation,
    new_slide,
    paginate,
    paragraphs_height,
    picture,
    presentation_bytes,
    rectangle,
    rgb,
    row_height,
    shorten,
    slide_titles,
    textbox,
    tint,
    write_text,
)
from komae_kpi.plan import facts
from komae_kpi.plan.model import Indicator, Plan
from komae_kpi.views import charts, finance_outlook
from komae_kpi.views.indicator_views import summary
from komae_kpi.views.overview import gap_warnings
from komae_kpi.views.status_style import (
    STATUS_HEX,
    indicator_status_text,
    item_status_text,
)

MEETING = "行財政改革推進本部 会議資料"
DEMO_MARK = "デモデータ（架空の値）"
DEMO_COLOR = rgb("B33C00")  # darker than Okabe-Ito vermilion, readable as text

# Slide titles, also what the tests look slides up by.
OVERVIEW_TITLE = "指標の状況"
ITEM_SUMMARY_TITLE = "取組項目の進捗状況（施策別）"
BEHIND_TITLE = "進捗が遅れている取組項目（遅れ・やや遅れ）"
ATTENTION_TITLE = "見直し・未報告の取組項目"
UNREPORTED_TITLE = "未報告の取組項目（部署別）"
CHANGES_TITLE = "前回会議からの変化"
OUTLOOK_TITLE = finance_outlook.SECTION_TITLE
REVISED = "見直し"

# The chart on an indicator slide, in inches on the slide and pixels for the image (100 px/in).
CHART_WIDTH_IN = 7.7
CHART_HEIGHT_IN = 5.25
PIXELS_PER_INCH = 100

# The 財政見通し slide: the two balance charts side by side, the verdicts under them.
OUTLOOK_CHART_WIDTH_IN = (CONTENT_WIDTH - 0.2) / 2
OUTLOOK_CHART_HEIGHT_IN = 3.6

# Commentary longer than this is shortened, visibly, so that one item cannot fill a slide.
COMMENT_LIMIT = 100

# Item statuses take the tone of the indicator status they resemble; the icon and word carry the
# meaning (status_style.ITEM_STATUS_ICONS), the tint only helps the eye.
ITEM_STATUS_TONE: dict[str, StatusCode] = {
    "完了": "achieved",
    "順調": "on_track",
    "やや遅れ": "at_risk",
    "遅れ": "off_track",
}


@dataclass(frozen=True, kw_only=True)
class DeckSummary:
    path: Path
    fiscal_year: int
    slide_titles: tuple[str, ...]
    indicator_slides: tuple[int, ...]  # indicator numbers with a slide of their own
    behind_items: int
    charts: int
    is_demo: bool

    @property
    def slide_count(self) -> int:
        return len(self.slide_titles)


def _title_slide(prs: PresentationObject, snapshot: Snapshot, fiscal_year: int) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_LAYOUT])
    rectangle(slide, Emu(0), Emu(0), SLIDE_WIDTH, Inches(0.35), NAVY)
    title = slide.shapes.title
    assert title is not None
    title.left, title.top = Inches(0.9), Inches(1.55)
    title.width, title.height = Inches(11.5), Inches(2.2)
    frame = title.text_frame
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    frame.vertical_anchor = MSO_ANCHOR.BOTTOM
    write_text(
        frame,
        [facts.TITLE, f"{fy.label(fiscal_year)} 進捗状況"],
        Look(size=36, bold=True, color=NAVY, space_after=6),
    )
    subtitle = slide.placeholders[1]
    subtitle.left, subtitle.top = Inches(0.9), Inches(4.0)
    subtitle.width, subtitle.height = Inches(11.5), Inches(1.2)
    sub_frame = subtitle.text_frame
    sub_frame.word_wrap = True
    sub_frame.vertical_anchor = MSO_ANCHOR.TOP
    made = fy.wareki_date_with_year(clock.today())  # as on the progress report's cover
    write_text(
        sub_frame, [MEETING, f"{made}　{facts.PUBLISHER}"], Look(size=22, color=INK, space_after=4)
    )
    if snapshot.is_demo:
        box = textbox(
            slide,
            0.9,
            5.35,
            11.5,
            1.0,
            [
                [Span(text=DEMO_MARK, bold=True, size=22)],
                "この資料の数値と進捗状況は説明用に生成したもので、"
                f"{facts.PUBLISHER}の実績ではありません。",
            ],
            Look(size=16, color=DEMO_COLOR),
            anchor=MSO_ANCHOR.MIDDLE,
        )
        box.line.color.rgb = DEMO_COLOR
        box.line.width = Pt(2)


def _status_cell(a: Assessment) -> Cell:
    """'○ 順調', or '○ 順調' over '（暫定）' for a judgement resting on a 見込 value: the narrow
    column's line breaks between the word and its mark, never inside either (「注意（暫/定）」)."""
    word = indicator_status_text(a.status)
    return Cell(
        paragraphs=(word, a.provisional_mark) if a.provisional else (word,),
        fill=tint(STATUS_HEX[a.status]),
        bold=True,
    )


OVERVIEW_WIDTHS = (0.45, 3.05, 1.1, 3.1, 1.2, 1.85, 1.68)
OVERVIEW_TABLE_TOP = BODY_TOP + 0.1
OVERVIEW_NOTES_GAP = 0.12


def _overview_rows(
    snapshot: Snapshot, fiscal_year: int, assessments: Sequence[Assessment], size: float
) -> list[list[str | Cell]]:
    plan = snapshot.plan
    rows: list[list[str | Cell]] = []
    for a in assessments:
        x = plan.indicator(a.indicator_no)
        unit = x.unit
        if a.status == "no_data":
            assert a.latest_fiscal_year is not None  # the baseline year at the latest
            # One line, so that a year with no actuals yet still fits the slide.
            latest = Cell(
                paragraphs=(
                    [
                        Span(text="未入力"),
                        Span(
                            text=f"（直近{a.latest_official_text}"
                            f"・{fy.wareki(a.latest_fiscal_year)}）",
                            size=size - 2,
                            color=MUTED,
                        ),
                    ],
                ),
                align=PP_ALIGN.RIGHT,
            )
        else:
            latest = Cell.of(a.latest_official_text, align=PP_ALIGN.RIGHT)
        rows.append(
            [
                Cell.of(str(x.indicator_no), align=PP_ALIGN.CENTER),
                x.name,
                _status_cell(a),
                latest,
                Cell.of(
                    formatting.with_unit(x.path_value(fiscal_year), unit, official=True),
                    align=PP_ALIGN.RIGHT,
                ),
                Cell.of("－" if a.status == "no_data" else a.gap_text, align=PP_ALIGN.RIGHT),
                Cell.of(x.target_text(official=True), align=PP_ALIGN.RIGHT),
            ]
        )
    return rows


def _overview_slide(prs: PresentationObject, snapshot: Snapshot, fiscal_year: int) -> None:
    slide = new_slide(prs, f"{OVERVIEW_TITLE}（{fy.label(fiscal_year)}）")
    plan = snapshot.plan
    assessments = assess_all(snapshot, fiscal_year)
    widths = OVERVIEW_WIDTHS
    header = [
        "No.",
        "指標",
        "状況",
        f"実績値（{fy.wareki(fiscal_year)}）",
        f"計画線（{fy.wareki(fiscal_year)}）",
        "計画線との差",
        f"目標値（{fy.wareki(facts.target_fiscal_year(plan))}末）",
    ]
    counts = {s: sum(a.status == s for a in assessments) for s in STATUS_LABELS}
    # 現状値 is counted only where it occurs (the baseline year), not as 「現状値 0」 on every deck.
    tally = "　".join(
        f"{STATUS_ICONS[s]} {STATUS_LABELS[s]} {n}"
        for s, n in counts.items()
        if n or s != "baseline"
    )
    baseline = fy.wareki(facts.baseline_fiscal_year(plan))
    guardrails = "と".join(x.name for x in plan.indicators if x.kind == "guardrail")
    notes: list[Paragraph] = [
        [Span(text="指標の数　", bold=True), Span(text=tally, bold=True)],
        f"計画線：現状値（{baseline}末）から目標値まで毎年同じ幅で進む線です。すでに目標を満たしている"
        f"{guardrails}は、上限・下限そのものを計画線とします。",
        "状況：達成＝目標値を満たす／順調＝計画線に沿う／注意＝計画線より遅れているが傾向では届く見込み、"
        "または上限・下限に近い／遅れ＝届かない見込み、または目標を外れた／未入力＝この年度の実績値がない",
    ]
    if any(a.stage == PROVISIONAL_STAGE for a in assessments):
        notes.append(PROVISIONAL_NOTE)
    # The largest text with which the table and the notes fit above the footer: the plan's eight
    # indicators take 13 pt with notes at 10.5 pt; the smaller sizes are a safety net for names
    # that wrap more.
    text_width = CONTENT_WIDTH - 0.1
    for size, notes_size in ((13, 11), (13, 10.5), (12, 10.5), (11, 10)):
        rows = _overview_rows(snapshot, fiscal_year, assessments, size)
        header_size = min(size, 12)
        table_height = row_height(header, widths, header_size) + sum(
            row_height(r, widths, size) for r in rows
        )
        notes_height = paragraphs_height(notes, text_width, notes_size) + 2 * TEXTBOX_MARGIN_Y
        if OVERVIEW_TABLE_TOP + table_height + OVERVIEW_NOTES_GAP + notes_height <= BODY_BOTTOM:
            break
    bottom = add_table(
        slide,
        MARGIN,
        OVERVIEW_TABLE_TOP,
        widths,
        header,
        rows,
        size=size,
        header_size=header_size,
    )
    textbox(
        slide,
        MARGIN,
        bottom + OVERVIEW_NOTES_GAP,
        CONTENT_WIDTH,
        BODY_BOTTOM - bottom - OVERVIEW_NOTES_GAP,
        notes,
        Look(size=notes_size),
    )


def _figure_rows(x: Indicator, a: Assessment) -> list[tuple[str, str, bool]]:
    """(label, value, emphasised) for the key figures of an indicator slide, official style."""
    unit = x.unit
    rows = [
        ("実績値", a.latest_official_text, False),
        (x.path_label, formatting.with_unit(a.path_value, unit, official=True), False),
        (x.gap_label, a.gap_text, False),
    ]
    rows += [
        (
            x.required_change_label,
            formatting.signed_difference(a.required_annual_change, unit, official=True),
            True,
        ),
        (
            "実績の年変化（傾向）",
            formatting.signed_difference(a.observed_annual_change, unit, official=True),
            True,
        ),
        (
            f"{fy.label(x.target_fiscal_year)}の見込み",
            formatting.with_unit(a.projected_value, unit, official=True),
            False,
        ),
    ]
    return rows


def _indicator_slide(
    prs: PresentationObject,
    snapshot: Snapshot,
    fiscal_year: int,
    indicator_no: int,
    title: str,
    renderer: ChartRenderer,
) -> None:
    info = summary(snapshot, indicator_no, fiscal_year)
    x, a = info.indicator, info.assessment
    slide = new_slide(prs, title)
    textbox(
        slide,
        MARGIN,
        BODY_TOP,
        CONTENT_WIDTH,
        0.4,
        [[Span(text=f"{fy.label(fiscal_year)}の状況　", bold=True), Span(text=info.target_text)]],
        Look(size=13, color=MUTED),
    )
    figure = charts.indicator_figure(
        x, snapshot.actuals(indicator_no), a, stages=snapshot.stages(indicator_no)
    )
    # The slide's title already names the indicator and its status; the chart gives that room to
    # the plot. Slightly larger text than on screen: the image is shown at about 7.7 in wide.
    # The right margin stays as wide as the chart made it (the 目標 label may be drawn there).
    figure.update_layout(
        title={"text": ""},
        margin={"t": 24, "l": 70, "r": max(figure.layout.margin.r or 0, 24), "b": 110},
        font={"size": 17},
        legend={"y": -0.2},
    )
    top = BODY_TOP + 0.45
    png = renderer.image(
        figure,
        width=round(CHART_WIDTH_IN * PIXELS_PER_INCH),
        height=round(CHART_HEIGHT_IN * PIXELS_PER_INCH),
        fmt="png",
    )
    picture(
        slide,
        png,
        MARGIN,
        top,
        CHART_WIDTH_IN,
        CHART_HEIGHT_IN,
        alt=f"指標{x.indicator_no} {x.name}のグラフ：実績値、計画線、目標（{info.target_text}）と"
        f"{fy.label(x.target_fiscal_year)}までの見込み。状況は{info.status_text}。",
    )

    panel_left = MARGIN + CHART_WIDTH_IN + 0.25
    panel_width = MARGIN + CONTENT_WIDTH - panel_left
    widths = [2.55, panel_width - 2.55]
    rows: list[list[str | Cell]] = [
        [
            Cell.of(label, bold=strong, fill=HIGHLIGHT if strong else None),
            Cell.of(value, bold=True, align=PP_ALIGN.RIGHT, fill=HIGHLIGHT if strong else None),
        ]
        for label, value, strong in _figure_rows(x, a)
    ]
    bottom = add_table(
        slide,
        panel_left,
        top,
        widths,
        ["項目", f"{fy.wareki(fiscal_year)}"],
        rows,
        size=13,
        header_size=12,
    )
    reason_lines: list[str | list[Span]] = [[Span(text="判定の理由", bold=True)], a.reason]
    if info.finding:  # the approver's comment, beside the warning it explains
        reason_lines += [[Span(text="所見（承認者）", bold=True)], info.finding]
    if info.outlook:  # the 財政見通し's verdicts, beside the warning they speak to
        reason_lines += [[Span(text=finance_outlook.SECTION_TITLE, bold=True)], *info.outlook]
    height = BODY_BOTTOM - bottom - 0.15
    # 12 pt, smaller when a finding or verdicts would not fit under the figures.
    size = next(
        (
            s
            for s in (12, 11, 10)
            if paragraphs_height(reason_lines, panel_width - 0.1, s, 3) + 2 * TEXTBOX_MARGIN_Y
            <= height
        ),
        9,
    )
    textbox(
        slide,
        panel_left,
        bottom + 0.15,
        panel_width,
        height,
        reason_lines,
        Look(size=size, space_after=3),
    )


def _outlook_verdicts(section: finance_outlook.OutlookSection) -> list[Paragraph]:
    """Each scenario's name, then its verdict for each indicator it touches (and what meeting
    the target takes, where it is missed)."""
    lines: list[Paragraph] = []
    for scenario in section.chosen:
        lines.append(
            [Span(text=f"財政見通し「{finance_outlook.shown_name(scenario)}」", bold=True)]
        )
        for panel in section.panels:
            for p in panel.scenarios:
                if p.scenario.name == scenario.name:
                    sentence, requirement = finance_outlook.verdict_lines(p.verdict)
                    missed = p.verdict.meets_target is not True
                    lines.append(f"・{sentence}{requirement if missed else ''}")
    return lines


def _outlook_slide(
    prs: PresentationObject, snapshot: Snapshot, fiscal_year: int, renderer: ChartRenderer
) -> None:
    """One 財政見通し slide when the store has a scenario (every one is shown); the charts drawn."""
    if not snapshot.scenarios:
        return
    section = finance_outlook.outlook_section(
        snapshot, fiscal_year, [s.name for s in snapshot.scenarios]
    )
    slide = new_slide(prs, f"{OUTLOOK_TITLE}（{fy.label(fiscal_year)}までの実績から）")
    lead: list[Paragraph] = [finance_outlook.paths_help(snapshot.plan)]
    if section.demo_note:
        lead.insert(0, [Span(text=section.demo_note, bold=True, color=DEMO_COLOR)])
    lead_height = paragraphs_height(lead, CONTENT_WIDTH - 0.1, 11) + 2 * TEXTBOX_MARGIN_Y
    textbox(slide, MARGIN, BODY_TOP, CONTENT_WIDTH, lead_height, lead, Look(size=11, color=MUTED))
    top = BODY_TOP + lead_height + 0.05
    stocks = [p for p in section.panels if snapshot.plan.is_stock(p.indicator.indicator_no)][:2]
    for n, panel in enumerate(stocks):
        figure = panel.figure(height=round(OUTLOOK_CHART_HEIGHT_IN * PIXELS_PER_INCH))
        figure.update_layout(
            title={"text": panel.heading, "font": {"size": 17}},
            margin={"t": 44, "l": 64, "r": 16},
            font={"size": 14},
        )
        png = renderer.image(
            figure,
            width=round(OUTLOOK_CHART_WIDTH_IN * PIXELS_PER_INCH),
            height=round(OUTLOOK_CHART_HEIGHT_IN * PIXELS_PER_INCH),
            fmt="png",
        )
        names = "・".join(f"「{p.scenario.label}」" for p in panel.scenarios) or "なし"
        picture(
            slide,
            png,
            MARGIN + n * (OUTLOOK_CHART_WIDTH_IN + 0.2),
            top,
            OUTLOOK_CHART_WIDTH_IN,
            OUTLOOK_CHART_HEIGHT_IN,
            alt=f"{panel.heading}のグラフ：実績値、目標の線と、財政見通し{names}の"
            "見通しどおりの線（破線）と最新の実績からの線（実線）。",
        )
    below = top + OUTLOOK_CHART_HEIGHT_IN + 0.1
    lines = _outlook_verdicts(section)
    width = CONTENT_WIDTH - 0.1
    available = BODY_BOTTOM - below - 2 * TEXTBOX_MARGIN_Y

    def fits(paragraphs: Sequence[Paragraph], size: float) -> bool:
        return paragraphs_height(paragraphs, width, size, 2) <= available

    # The largest text with which every verdict fits; at the smallest, the verdicts that do not
    # fit are left to /finance, and the slide says how many.
    size = next((s for s in (13, 12, 11) if fits(lines, s)), 10)
    kept, dropped = list(lines), 0
    while len(kept) > 1 and not fits([*kept, *([_left_out(dropped)] if dropped else [])], size):
        dropped += isinstance(kept.pop(), str)
    if dropped:
        while len(kept) > 1 and not isinstance(kept[-1], str):
            kept.pop()  # a scenario's name whose verdicts were all left out
        kept.append(_left_out(dropped))
    textbox(
        slide,
        MARGIN,
        below,
        CONTENT_WIDTH,
        BODY_BOTTOM - below,
        kept,
        Look(size=size, space_after=2),
    )


def _left_out(count: int) -> str:
    return f"ほか{count}件の判定は、画面「財政指標」の「財政見通し」に掲載しています。"


SUMMARY_HEADER_SIZE = 14


def _status_lines(text: str, width: float, size: float) -> tuple[str, ...]:
    """A status label on one line where it fits the column, else its icon over its word
    ('△' / 'やや遅れ'): a break between them, never inside the word (「やや遅/れ」)."""
    if line_count(text, width - 2 * CELL_MARGIN_X, size) == 1:
        return (text,)
    return tuple(text.split(" ", 1))


def _item_summary_slide(prs: PresentationObject, snapshot: Snapshot, fiscal_year: int) -> None:
    plan = snapshot.plan
    slide = new_slide(prs, f"{ITEM_SUMMARY_TITLE}（{fy.label(fiscal_year)}）")
    groups = item_progress.status_counts(
        plan,
        item_progress.status_index(snapshot.statuses),
        fiscal_year,
        first_reported_year=facts.FIRST_FISCAL_YEAR,
    )
    statuses = [c.status for c in groups[0].counts]
    label_width = 3.0
    total_width = 0.8
    status_width = (CONTENT_WIDTH - label_width - total_width) / len(statuses)
    widths = [label_width] + [status_width] * len(statuses) + [total_width]
    header: list[str | Cell] = [
        Cell.of("区分"),
        *[
            Cell(
                paragraphs=_status_lines(item_status_text(s), status_width, SUMMARY_HEADER_SIZE),
                align=PP_ALIGN.CENTER,
                fill=tint(STATUS_HEX[ITEM_STATUS_TONE[s]], 0.35) if s in ITEM_STATUS_TONE else None,
                color=INK if s in ITEM_STATUS_TONE else None,
            )
            for s in statuses
        ],
        Cell.of("計", align=PP_ALIGN.CENTER),
    ]
    rows: list[list[str | Cell]] = []
    for g in groups:
        overall = g.label == groups[0].label
        fill = BAND if overall else None
        row: list[str | Cell] = [Cell.of(g.label, bold=overall, fill=fill)]
        for c in g.counts:
            paragraphs: list[Paragraph] = [[Span(text=str(c.count), bold=True, size=24)]]
            if c.change is not None:
                change = formatting.signed_difference(c.change, "", 0, official=True)
                paragraphs.append([Span(text=f"（{change}）", size=14, color=MUTED)])
            row.append(Cell(paragraphs=tuple(paragraphs), align=PP_ALIGN.CENTER, fill=fill))
        row.append(Cell.of(str(g.total), bold=True, align=PP_ALIGN.CENTER, fill=fill, size=24))
        rows.append(row)
    bottom = add_table(
        slide,
        MARGIN,
        BODY_TOP + 0.2,
        widths,
        header,
        rows,
        size=16,
        header_size=SUMMARY_HEADER_SIZE,
        min_row_height=0.95,
    )
    notes: list[Paragraph] = []
    if groups[0].counts[0].change is not None:
        notes.append(f"（　）内は前年度（{fy.label(fiscal_year - 1)}）からの増減です。")
    elif fiscal_year == facts.FIRST_FISCAL_YEAR:
        notes.append(f"{fy.label(fiscal_year)}は計画の初年度のため、前年度からの増減はありません。")
    for item in plan.items:
        if item.repost_of is not None:
            notes.append(
                f"取組項目{item.item_no}は取組項目{item.repost_of}の再掲のため、"
                f"取組項目{item.repost_of}として1回だけ数えています（計{groups[0].total}項目）。"
            )
    notes.append(
        f"{NOT_REPORTED}：{fy.label(fiscal_year)}の進捗状況がまだ報告されていない取組項目です。"
    )
    textbox(
        slide, MARGIN, bottom + 0.2, CONTENT_WIDTH, BODY_BOTTOM - bottom - 0.2, notes, Look(size=13)
    )


def _departments(row: ItemRow) -> str:
    return "、".join(row.item.departments)


def _item_list_slides(
    prs: PresentationObject,
    title: str,
    lead: str,
    rows: Sequence[ItemRow],
    note_header: str,
    note_of: Callable[[ItemRow], str],
    empty_text: str,
) -> None:
    """A table of items over as many slides as it needs, with 'n/N' in the title when split."""
    widths = [0.55, 3.2, 2.35, 1.2, CONTENT_WIDTH - 7.3]
    header = ["No.", "取組項目", "推進部署", "進捗状況", note_header]
    table_rows: list[list[str | Cell]] = []
    shortened = False
    for r in rows:
        note, cut = shorten(note_of(r), COMMENT_LIMIT)
        shortened = shortened or cut
        tone = ITEM_STATUS_TONE.get(r.status)
        table_rows.append(
            [
                Cell.of(str(r.item.item_no), align=PP_ALIGN.CENTER),
                r.item.display_name,
                _departments(r),
                Cell.of(
                    item_status_text(r.status),
                    bold=True,
                    fill=tint(STATUS_HEX[tone]) if tone else None,
                ),
                note,
            ]
        )
    size = 12
    table_top = BODY_TOP + 0.45  # just below the lead line
    footnote_height = 0.3  # one line at 11 pt
    available = BODY_BOTTOM - footnote_height - table_top - row_height(header, widths, size)
    pages = paginate([row_height(r, widths, size) for r in table_rows], available) or [range(0)]
    for n, page in enumerate(pages, start=1):
        page_title = title if len(pages) == 1 else f"{title}（{n}/{len(pages)}）"
        slide = new_slide(prs, page_title)
        textbox(slide, MARGIN, BODY_TOP, CONTENT_WIDTH, 0.4, [lead], Look(size=13, color=MUTED))
        if not table_rows:
            textbox(slide, MARGIN, table_top, CONTENT_WIDTH, 1.0, [empty_text], Look(size=18))
            continue
        add_table(
            slide, MARGIN, table_top, widths, header, [table_rows[i] for i in page], size=size
        )
        notes = []
        if len(pages) > 1:
            notes.append(
                f"{len(table_rows)}項目のうち{page.start + 1}〜{page.stop}項目目を掲載しています。"
            )
        if shortened:
            notes.append(
                f"{note_header}は{COMMENT_LIMIT}字を超える場合、途中までを掲載しています"
                "（全文は進捗状況報告に掲載）。"
            )
        if notes:
            textbox(
                slide,
                MARGIN,
                BODY_BOTTOM - footnote_height,
                CONTENT_WIDTH,
                footnote_height,
                ["　".join(notes)],
                Look(size=11, color=MUTED),
                anchor=MSO_ANCHOR.BOTTOM,
            )


def behind_statuses(plan: Plan) -> list[str]:
    """The vocabulary's 'behind' terms, the more serious first: ['遅れ', 'やや遅れ']."""
    terms = [s for s in plan.statuses if s.category == "behind"]
    return [s.status for s in sorted(terms, key=lambda s: -s.sort_order)]


def _rows_with(rows: Sequence[ItemRow], statuses: Sequence[str]) -> list[ItemRow]:
    """Rows with one of the statuses, in the statuses' order, then by item number; reposts once."""
    rank = {s: i for i, s in enumerate(statuses)}
    chosen = [r for r in rows if r.status in rank and r.item.repost_of is None]
    return sorted(chosen, key=lambda r: (rank[r.status], r.item.item_no))


def _behind_slides(
    prs: PresentationObject, snapshot: Snapshot, fiscal_year: int, rows: Sequence[ItemRow]
) -> int:
    """The items reported with a 'behind' term of the vocabulary (遅れ・やや遅れ), with their
    issues, over as many slides as they need; returns how many items."""
    plan = snapshot.plan
    label = fy.label(fiscal_year)
    behind = behind_statuses(plan)
    late = _rows_with(rows, behind)
    counts = "・".join(f"{s} {sum(r.status == s for r in late)}" for s in behind)
    _item_list_slides(
        prs,
        BEHIND_TITLE,
        f"{label}　計{len(late)}項目（{counts}）",
        late,
        "課題",
        lambda r: r.issues or "－（記載なし）",
        f"{label}に「{'」「'.join(behind)}」と報告された取組項目はありません。",
    )
    return len(late)


def _attention_slides(
    prs: PresentationObject, snapshot: Snapshot, fiscal_year: int, rows: Sequence[ItemRow]
) -> None:
    """The appendix of the full deck: every item under 見直し or not reported, item by item."""
    plan = snapshot.plan
    label = fy.label(fiscal_year)
    attention = _rows_with(rows, [REVISED, NOT_REPORTED])
    if not attention:
        return
    revised = sum(r.status == REVISED for r in attention)
    originals = sum(item.repost_of is None for item in plan.items)
    # A year nobody has reported on yet: one line says so, not every item over many slides.
    nothing_reported = len(attention) == originals and not revised
    _item_list_slides(
        prs,
        ATTENTION_TITLE,
        f"{label}　{REVISED} {revised}項目・{NOT_REPORTED} {len(attention) - revised}項目"
        "（推進計画の取組項目は毎年度すべて点検します）",
        [] if nothing_reported else attention,
        "課題・今後の方向性",
        lambda r: (
            "進捗状況の報告がありません"
            if r.status == NOT_REPORTED
            else "／".join(t for t in (r.issues, r.next_steps) if t) or "－（記載なし）"
        ),
        f"{fy.wareki(fiscal_year)}の進捗状況はまだ報告されていません（全{originals}項目）。",
    )


def unreported_by_department(plan: Plan, rows: Sequence[ItemRow]) -> list[tuple[str, int]]:
    """(department, unreported items) for every department with at least one, the most first;
    the catch-alls (関係各課 …) after the departments. An item with several departments counts
    for each of them; a repost is not counted again."""
    counted = [
        (s.department, len(s.missing))
        for s in department_progress.department_summaries(plan, list(rows))
        if s.missing
    ]
    ordered = sorted(counted, key=lambda dn: (dn[0].is_catch_all, -dn[1]))  # stable: plan order
    return [(d.name, n) for d, n in ordered]


UNREPORTED_GAP = 0.3  # in, between the side-by-side tables of the 未報告 slide


def _unreported_slide(
    prs: PresentationObject, snapshot: Snapshot, fiscal_year: int, rows: Sequence[ItemRow]
) -> None:
    """One slide: how many items each department has not reported, not the items themselves
    (they are listed in the progress report, on 部署別, and in the full deck). The plan has the
    HQ check every item every year, so the slide is there even when all have reported."""
    plan = snapshot.plan
    label = fy.label(fiscal_year)
    originals = [r for r in rows if r.item.repost_of is None]
    missing = [r for r in originals if not r.reported]
    slide = new_slide(prs, UNREPORTED_TITLE)
    textbox(
        slide,
        MARGIN,
        BODY_TOP,
        CONTENT_WIDTH,
        0.4,
        [
            f"{label}　{NOT_REPORTED} {len(missing)}項目／全{len(originals)}項目"
            "（推進計画の取組項目は毎年度すべて点検します）"
        ],
        Look(size=13, color=MUTED),
    )
    top = BODY_TOP + 0.55
    notes: list[Paragraph] = []
    revised = _rows_with(rows, [REVISED])
    if revised:
        numbers = "、".join(str(r.item.item_no) for r in revised)
        notes.append(
            f"このほか「{REVISED}」の取組項目が{len(revised)}項目あります（取組項目{numbers}）。"
        )
    if not missing or len(missing) == len(originals):
        line = (
            f"{label}の進捗状況は、すべての取組項目で報告されています。"
            if not missing
            else f"{fy.wareki(fiscal_year)}の進捗状況はまだ報告されていません"
            f"（全{len(originals)}項目）。"
        )
        textbox(slide, MARGIN, top, CONTENT_WIDTH, 1.0, [line], Look(size=18))
        if notes:
            textbox(slide, MARGIN, top + 1.1, CONTENT_WIDTH, 1.0, notes, Look(size=13))
        return
    notes = [
        "複数の部署が推進する取組項目は、それぞれの部署に数えています。"
        "項目ごとの一覧は、進捗状況報告と画面「部署別」に掲載しています。",
        *notes,
    ]
    notes_size = 12
    notes_height = paragraphs_height(notes, CONTENT_WIDTH - 0.1, notes_size) + 2 * TEXTBOX_MARGIN_Y
    available = BODY_BOTTOM - notes_height - 0.15 - top
    counts = unreported_by_department(plan, rows)
    header = ["部署", f"{NOT_REPORTED}の項目数"]
    body: list[list[str | Cell]] = [
        [d, Cell.of(f"{n}項目", align=PP_ALIGN.RIGHT, bold=True)] for d, n in counts
    ]
    # The largest text, and the fewest side-by-side tables, with which every department fits.
    for size, columns in ((14, 1), (14, 2), (13, 2), (12, 2), (12, 3), (10.5, 3)):
        width = min(6.0, (CONTENT_WIDTH - UNREPORTED_GAP * (columns - 1)) / columns)
        widths = (round(width * 0.66, 2), round(width * 0.34, 2))
        heights = [row_height(r, widths, size) for r in body]
        pages = paginate(heights, available - row_height(header, widths, size))
        if len(pages) <= columns:
            break
    bottom = top
    for n, page in enumerate(pages):
        left = MARGIN + n * (width + UNREPORTED_GAP)
        table_rows = [body[i] for i in page]
        bottom = max(bottom, add_table(slide, left, top, widths, header, table_rows, size=size))
    textbox(
        slide,
        MARGIN,
        bottom + 0.15,
        CONTENT_WIDTH,
        BODY_BOTTOM - bottom - 0.15,
        notes,
        Look(size=notes_size),
    )


# --- 前回会議からの変化 ----------------------------------------------------------------------------

CHANGES_MAX_SLIDES = 2
CHANGES_ITEMS_PER_LINE = 8  # a 施策's items are listed in paragraphs of at most this many
CHANGES_NAME_LIMIT = 18  # an item's name is shortened to this many characters in the lists
CHANGES_SPACE_AFTER = 4.0  # points after each paragraph
# Indicator statuses by their code as a plain str (the changes carry codes as `status --json` does).
_STATUS_WORDS: dict[str, tuple[str, str]] = {
    code: (STATUS_ICONS[code], words) for code, words in STATUS_LABELS.items()
}


@dataclass(frozen=True, kw_only=True)
class _Line:
    """A paragraph of the changes slides and how many changes it lists (0 for a heading)."""

    paragraph: Paragraph
    changes: int = 0


def _indicator_status(code: str | None, words: str | None) -> str:
    """'△ 注意' for at_risk; the words of the change (which may say 暫定) before the code's."""
    icon, label = _STATUS_WORDS.get(code or "", ("", code or "－"))
    text = words or label
    return f"{icon} {text}" if icon else text


def _indicator_line(change: IndicatorChange, fiscal_year: int) -> _Line:
    """「指標2 …　判定・状況の変化：△ 注意 → × 遅れ」, 「指標1 …　新しい実績：88.1%（見込）」."""
    kind = CHANGE_KIND_LABELS[change.kind]
    if change.fiscal_year != fiscal_year:
        kind += f"（{fy.wareki(change.fiscal_year)}）"
    if change.kind == "status_changed":
        before = _indicator_status(change.before, change.before_label)
        after = _indicator_status(change.after, change.after_label)
        what = f"{before} → {after}"
    elif change.kind == "new_value" or change.before_label is None:
        what = change.after_label or "－"
    else:
        what = f"{change.before_label} → {change.after_label or '－'}"
    return _Line(
        paragraph=[
            Span(text=f"・指標{change.no} {change.name}　", bold=True),
            Span(text=f"{kind}：{what}"),
        ],
        changes=1,
    )


def _item_entry(change: ItemChange) -> str:
    """「12 事業の集約化…（順調 → 遅れ）」; a newly reported item only with what it reported."""
    name, _ = shorten(change.name, CHANGES_NAME_LIMIT)
    after = change.after or NOT_REPORTED
    if change.kind == "newly_reported":
        return f"{change.no} {name}（{after}）"
    return f"{change.no} {name}（{change.before or NOT_REPORTED} → {after}）"


def _item_lines(changes: Sequence[ItemChange]) -> list[_Line]:
    """Per kind, a heading with the count, then the items by 施策, compactly, several to a line;
    the items still unreported only as a count (the 未報告 slide has them by department)."""
    lines: list[_Line] = []
    for kind, kind_label in CHANGE_KIND_LABELS.items():
        mine = sorted((c for c in changes if c.kind == kind), key=lambda c: (c.policy_no, c.no))
        if not mine:
            continue
        heading = f"{kind_label}　{len(mine)}項目"
        if kind == "still_unreported":
            lines.append(
                _Line(
                    paragraph=[
                        Span(text=heading, bold=True),
                        Span(text=f"（部署別の内訳は「{UNREPORTED_TITLE}」に掲載）"),
                    ],
                    changes=len(mine),
                )
            )
            continue
        lines.append(_Line(paragraph=[Span(text=heading, bold=True)]))
        for policy_no in sorted({c.policy_no for c in mine}):
            policy = [c for c in mine if c.policy_no == policy_no]
            for start in range(0, len(policy), CHANGES_ITEMS_PER_LINE):
                chunk = policy[start : start + CHANGES_ITEMS_PER_LINE]
                lines.append(
                    _Line(
                        paragraph=[
                            Span(text=f"・施策{policy_no}　", bold=True),
                            Span(text="、".join(_item_entry(c) for c in chunk)),
                        ],
                        changes=len(chunk),
                    )
                )
    return lines


def _changes_tally(changes: MeetingChanges) -> str:
    """「指標：判定・状況の変化 1・新しい実績 2／取組項目：新たに報告 3・未報告のまま 6」."""
    parts = []
    for what, found in (("指標", changes.indicators), ("取組項目", changes.items)):
        counts = Counter(c.kind for c in found)
        if counts:
            kinds = "・".join(
                f"{label} {counts[k]}" for k, label in CHANGE_KIND_LABELS.items() if counts[k]
            )
            parts.append(f"{what}：{kinds}")
    return "／".join(parts)


def _changes_slides(prs: PresentationObject, fiscal_year: int, changes: MeetingChanges) -> None:
    """What changed since the last meeting, on one slide, or two when the lists are long: the
    indicators one by one with before → after, the items counted and listed compactly by 施策.
    Smaller text before a third slide; past two at the smallest, the rest is counted, not shown."""
    held = dt.date.fromisoformat(changes.meeting_date)
    head: list[Paragraph] = [
        f"前回会議：{changes.meeting_name}（{fy.wareki_date_with_year(held)}）"
        f"　比べた年度：{fy.label(changes.fiscal_year)}",
    ]
    tally = _changes_tally(changes)
    head.append([Span(text=tally or "前回会議から変わったことはありません。", bold=True)])
    lines: list[_Line] = []
    if changes.indicators:
        lines.append(_Line(paragraph=[Span(text="指標", bold=True, color=NAVY)]))
        lines += [_indicator_line(c, fiscal_year) for c in changes.indicators]
    if changes.items:
        lines.append(_Line(paragraph=[Span(text="取組項目", bold=True, color=NAVY)]))
        lines += _item_lines(changes.items)
    head_height = paragraphs_height(head, CONTENT_WIDTH - 0.1, 13, 2) + 2 * TEXTBOX_MARGIN_Y
    top = BODY_TOP + head_height + 0.1
    width = CONTENT_WIDTH - 0.1
    available = BODY_BOTTOM - top - 2 * TEXTBOX_MARGIN_Y
    space = CHANGES_SPACE_AFTER / 72

    def heights(size: float) -> list[float]:
        return [paragraphs_height([line.paragraph], width, size) + space for line in lines]

    for size in (14, 13, 12, 11, 10):
        # The last paragraph of a page has no space after it: the page may take that much more.
        pages = paginate(heights(size), available + space) or [range(0)]
        if len(pages) <= CHANGES_MAX_SLIDES:
            break
    left_out = 0
    if len(pages) > CHANGES_MAX_SLIDES:
        # Even the smallest text needs a third slide: fill two, leaving room on the second for
        # the line that counts what is not shown.
        sizes = heights(size)
        note = paragraphs_height([_changes_left_out(999)], width, size) + space
        pages, start = [], 0
        for n in range(CHANGES_MAX_SLIDES):
            budget = available + space - (note if n == CHANGES_MAX_SLIDES - 1 else 0)
            stop, used = start, 0.0
            while stop < len(lines) and (stop == start or used + sizes[stop] <= budget):
                used += sizes[stop]
                stop += 1
            pages.append(range(start, stop))
            start = stop
        last = pages[-1]
        while last.stop - 1 > last.start and lines[last.stop - 1].changes == 0:
            last = range(last.start, last.stop - 1)  # a heading whose entries are all left out
        pages[-1] = last
        left_out = sum(line.changes for line in lines[last.stop :])
    for n, page in enumerate(pages, start=1):
        title = CHANGES_TITLE if len(pages) == 1 else f"{CHANGES_TITLE}（{n}/{len(pages)}）"
        slide = new_slide(prs, title)
        textbox(
            slide, MARGIN, BODY_TOP, CONTENT_WIDTH, head_height, head, Look(size=13, space_after=2)
        )
        body = [lines[i].paragraph for i in page]
        if n == len(pages) and left_out:
            body.append(_changes_left_out(left_out))
        if body:
            textbox(
                slide,
                MARGIN,
                top,
                CONTENT_WIDTH,
                BODY_BOTTOM - top,
                body,
                Look(size=size, space_after=CHANGES_SPACE_AFTER),
            )


def _changes_left_out(count: int) -> Paragraph:
    return [
        Span(
            text=f"ほか{count}件の変化は、画面「全体概況」の「前回会議からの変化」に掲載しています。",
            color=MUTED,
        )
    ]


def _footers(prs: PresentationObject, snapshot: Snapshot, fiscal_year: int) -> None:
    """Plan name and year, page number, and on a demo store the demo mark, on every slide."""
    total = len(prs.slides)
    for n, slide in enumerate(prs.slides, start=1):
        footer = [
            (
                MARGIN,
                6.0,
                f"{facts.TITLE}　{fy.label(fiscal_year)} 進捗状況",
                Look(size=10, color=MUTED),
            )
        ]
        if snapshot.is_demo:
            demo = f"【{DEMO_MARK}】{facts.PUBLISHER}の実績ではありません"
            footer.append((6.6, 4.9, demo, Look(size=11, bold=True, color=DEMO_COLOR)))
        page = Look(size=10, color=MUTED, align=PP_ALIGN.RIGHT)
        footer.append((11.6, MARGIN + CONTENT_WIDTH - 11.6, f"{n} / {total}", page))
        for left, width, text, look in footer:
            textbox(slide, left, FOOTER_TOP, width, 0.35, [text], look, anchor=MSO_ANCHOR.MIDDLE)


def _build(
    snapshot: Snapshot,
    fiscal_year: int,
    renderer: ChartRenderer,
    *,
    changes: MeetingChanges | None,
    full: bool,
) -> tuple[bytes, DeckSummary]:
    problem = facts.made_for_period_problem(fiscal_year, "会議資料")
    if problem:
        raise KomaeKpiError(problem)
    if changes is not None and changes.fiscal_year != fiscal_year:
        raise KomaeKpiError(
            f"前回会議からの変化は{fy.label(changes.fiscal_year)}について求めたもので、"
            f"会議資料の年度（{fy.label(fiscal_year)}）と異なります。"
        )
    title = f"{facts.TITLE} {fy.label(fiscal_year)} 進捗状況（{MEETING}）"
    prs = new_presentation(
        title=("【デモデータ】" if snapshot.is_demo else "") + title, author=facts.PUBLISHER
    )

    _title_slide(prs, snapshot, fiscal_year)
    if changes is not None:
        _changes_slides(prs, fiscal_year, changes)
    _overview_slide(prs, snapshot, fiscal_year)
    warnings = gap_warnings(snapshot, fiscal_year)
    before = renderer.rendered
    for w in warnings:
        _indicator_slide(prs, snapshot, fiscal_year, w.indicator_no, w.title, renderer)
    _outlook_slide(prs, snapshot, fiscal_year, renderer)
    _item_summary_slide(prs, snapshot, fiscal_year)
    rows = item_progress.item_rows(
        snapshot.plan, item_progress.status_index(snapshot.statuses), fiscal_year
    )
    behind = _behind_slides(prs, snapshot, fiscal_year, rows)
    _unreported_slide(prs, snapshot, fiscal_year, rows)
    if full:
        _attention_slides(prs, snapshot, fiscal_year, rows)
    _footers(prs, snapshot, fiscal_year)

    return presentation_bytes(prs), DeckSummary(
        path=Path(),
        fiscal_year=fiscal_year,
        slide_titles=slide_titles(prs),
        indicator_slides=tuple(w.indicator_no for w in warnings),
        behind_items=behind,
        charts=renderer.rendered - before,
        is_demo=snapshot.is_demo,
    )


def build_meeting_deck(
    snapshot: Snapshot,
    fiscal_year: int,
    renderer: ChartRenderer,
    *,
    changes: MeetingChanges | None = None,
    full: bool = False,
) -> bytes:
    """The HQ meeting deck for a fiscal year as .pptx bytes; charts go through renderer.

    changes: what changed since the last meeting (judgement/meeting_changes.py), shown right
    after the title; full: the items under 見直し and not reported listed one by one at the end.
    """
    data, _ = _build(snapshot, fiscal_year, renderer, changes=changes, full=full)
    return data


def write_meeting_deck(
    snapshot: Snapshot,
    fiscal_year: int,
    out: Path,
    renderer: ChartRenderer,
    *,
    changes: MeetingChanges | None = None,
    full: bool = False,
) -> DeckSummary:
    """Write the deck to out (written whole, then moved into place) and say what is in it;
    changes and full as for build_meeting_deck."""
    data, deck = _build(snapshot, fiscal_year, renderer, changes=changes, full=full)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, data)
    return replace(deck, path=out)
