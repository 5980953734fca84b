"""The reform HQ's meeting deck (推進本部の会議資料) as a PowerPoint file, built from one Snapshot.

Slides, 16:9: a title slide; the eight indicators with their status; one slide per indicator that
is 遅れ or 注意 (its chart, the gap to the plan line, the required versus the observed annual change);
item statuses per 施策 with the change from the year before; the items that are behind (遅れ・やや遅れ,
the vocabulary's "behind" category); then the items under 見直し and those not reported (未報告).
Those last two are not "behind", so they are listed apart; they are listed at all because the plan
has the HQ check every item every year (「推進計画に掲げた取組項目を全て点検し」): an unreported item
has not been checked, and a 見直し is a decision for the HQ.

python-pptx quirks worked around here:
- `font.name` sets only <a:latin>; PowerPoint draws Japanese with the East Asian font <a:ea>, so
  every run gets both, and the theme's fonts are set too, for text typed into the deck later.
- A table row grows with its text when the deck is drawn, not in the file. Long lists are split
  over slides by an estimate of each row's height, so no row runs off a slide unseen.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from lxml import etree  # type: ignore[import-untyped]
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement
from pptx.presentation import Presentation as PresentationObject
from pptx.shapes.autoshape import Shape
from pptx.slide import Slide
from pptx.table import _Cell
from pptx.text.text import TextFrame, _Run
from pptx.util import Emu, Inches, Pt

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common import formatting
from komae_kpi.common.errors import KomaeKpiError
from komae_kpi.common.files import atomic_write_bytes
from komae_kpi.judgement.indicator_status import STATUS_ICONS, STATUS_LABELS, Assessment, StatusCode
from komae_kpi.judgement.item_progress import (
    NOT_REPORTED,
    ItemRow,
    item_rows,
    status_counts,
    status_index,
)
from komae_kpi.judgement.progress import Snapshot, assess_all
from komae_kpi.outputs.chart_images import ChartRenderer
from komae_kpi.plan.model import Indicator, Plan
from komae_kpi.store.entries import PLAN_FIRST_FISCAL_YEAR, PLAN_LAST_FISCAL_YEAR
from komae_kpi.views import charts
from komae_kpi.views.indicator_views import change_label, summary
from komae_kpi.views.overview import gap_warnings
from komae_kpi.views.status_style import STATUS_HEX, indicator_status_text, item_status_text

PLAN_TITLE = "狛江市第7次行財政改革推進計画"
MEETING = "行財政改革推進本部 会議資料"
PUBLISHER = "狛江市"
DEMO_MARK = "デモデータ（架空の値）"
FONT = "Noto Sans CJK JP"

# Slide titles, also what the tests look slides up by.
OVERVIEW_TITLE = "指標の状況"
ITEM_SUMMARY_TITLE = "取組項目の進捗状況（施策別）"
BEHIND_TITLE = "進捗が遅れている取組項目（遅れ・やや遅れ）"
ATTENTION_TITLE = "見直し・未報告の取組項目"
REVISED = "見直し"

# 16:9 at PowerPoint's own widescreen size (13.333 x 7.5 in).
SLIDE_WIDTH = Emu(12192000)
SLIDE_HEIGHT = Emu(6858000)
MARGIN = 0.45  # in
CONTENT_WIDTH = 13.333 - 2 * MARGIN
TITLE_TOP = 0.25
TITLE_HEIGHT = 0.75
BODY_TOP = 1.15
BODY_BOTTOM = 6.85
FOOTER_TOP = 7.02

# The chart on an indicator slide, in inches on the slide and pixels for the image (100 px/in).
CHART_WIDTH_IN = 7.7
CHART_HEIGHT_IN = 5.25
PIXELS_PER_INCH = 100

# Commentary longer than this is shortened, visibly, so that one item cannot fill a slide.
COMMENT_LIMIT = 100


def _rgb(hex_digits: str) -> RGBColor:
    # python-pptx 1.0.2 leaves RGBColor's methods unannotated; mypy --strict flags calls into them.
    return RGBColor.from_string(hex_digits)  # type: ignore[no-untyped-call, no-any-return]


INK = _rgb("222222")
MUTED = _rgb("555555")
NAVY = _rgb("1F3A5F")
WHITE = _rgb("FFFFFF")
BAND = _rgb("F2F4F7")
HIGHLIGHT = _rgb("FDF3E1")
DEMO_COLOR = _rgb("B33C00")  # darker than Okabe-Ito vermilion, readable as text

# Item statuses take the tone of the indicator status they resemble; the icon and word carry the
# meaning (status_style.ITEM_STATUS_ICONS), the tint only helps the eye.
ITEM_STATUS_TONE: dict[str, StatusCode] = {
    "完了": "achieved",
    "順調": "on_track",
    "やや遅れ": "at_risk",
    "遅れ": "off_track",
}

# Noto Sans CJK's line height is about 1.45 times the font size (its ascent and descent are large).
LINE_HEIGHT = 1.45
CELL_MARGIN_X = 0.06  # in
CELL_MARGIN_Y = 0.04  # in
TEXTBOX_MARGIN_Y = 0.03  # in, top and bottom


@dataclass(frozen=True)
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


# --- text ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A run of text with its own look inside a paragraph."""

    text: str
    bold: bool = False
    color: RGBColor | None = None
    size: float | None = None


Paragraph = str | Sequence[Span]


def _tint(hex_color: str, share: float = 0.22) -> RGBColor:
    """The colour mixed with white: a light fill behind black text."""
    rgb = [int(hex_color[i : i + 2], 16) for i in (1, 3, 5)]
    r, g, b = (round(255 - (255 - c) * share) for c in rgb)
    return _rgb(f"{r:02X}{g:02X}{b:02X}")


def style_run(run: _Run, size: float, *, bold: bool = False, color: RGBColor = INK) -> None:
    """Size, weight, colour, and the Latin and East Asian fonts of one run."""
    font = run.font
    font.size = Pt(size)
    font.bold = bold
    font.color.rgb = color
    font.name = FONT  # <a:latin> only
    r_pr = run._r.get_or_add_rPr()
    r_pr.set("lang", "ja-JP")
    r_pr.set("altLang", "en-US")
    ea = r_pr.find(qn("a:ea"))
    if ea is None:
        ea = OxmlElement("a:ea")
        latin = r_pr.find(qn("a:latin"))
        assert latin is not None
        latin.addnext(ea)  # the schema's order: latin, ea, cs
    ea.set("typeface", FONT)


def write_text(
    frame: TextFrame,
    paragraphs: Sequence[Paragraph],
    *,
    size: float,
    bold: bool = False,
    color: RGBColor = INK,
    align: PP_ALIGN = PP_ALIGN.LEFT,
    space_after: float = 0,
) -> None:
    """Replace the frame's text with paragraphs; a paragraph is a string or a list of Spans."""
    frame.clear()  # type: ignore[no-untyped-call]
    for i, paragraph in enumerate(paragraphs):
        p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()  # type: ignore[no-untyped-call]
        p.alignment = align
        if space_after:
            p.space_after = Pt(space_after)
        spans = [Span(paragraph)] if isinstance(paragraph, str) else list(paragraph)
        for span in spans:
            run = p.add_run()
            run.text = span.text
            style_run(
                run,
                span.size or size,
                bold=span.bold or bold,
                color=span.color or color,
            )


def _textbox(
    slide: Slide,
    left: float,
    top: float,
    width: float,
    height: float,
    paragraphs: Sequence[Paragraph],
    *,
    size: float,
    bold: bool = False,
    color: RGBColor = INK,
    align: PP_ALIGN = PP_ALIGN.LEFT,
    anchor: MSO_ANCHOR = MSO_ANCHOR.TOP,
    space_after: float = 0,
) -> Shape:
    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    frame = box.text_frame
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    frame.vertical_anchor = anchor
    frame.margin_left = frame.margin_right = Inches(0.05)
    frame.margin_top = frame.margin_bottom = Inches(TEXTBOX_MARGIN_Y)
    write_text(
        frame, paragraphs, size=size, bold=bold, color=color, align=align, space_after=space_after
    )
    return box


def _char_width(ch: str, size: float) -> float:
    """An estimate in points: full width for Japanese, a little over half for Latin."""
    return size if unicodedata.east_asian_width(ch) in ("W", "F", "A") else size * 0.62


Piece = tuple[str, float]  # text and its size in points


def _pieces(paragraph: Paragraph, size: float) -> list[Piece]:
    if isinstance(paragraph, str):
        return [(paragraph, size)]
    return [(span.text, span.size or size) for span in paragraph]


def wrapped_lines(pieces: Sequence[Piece], width_in: float) -> int:
    """How many lines one paragraph wraps to in a box width_in wide (greedy, by character)."""
    available = width_in * 72 * 0.95  # a little slack for kerning and line-break rules
    lines, used = 1, 0.0
    for text, size in pieces:
        for ch in text:
            w = _char_width(ch, size)
            if used + w > available:
                lines += 1
                used = w
            else:
                used += w
    return lines


def line_count(text: str, width_in: float, size: float) -> int:
    """How many lines text wraps to in a box width_in wide."""
    return sum(wrapped_lines([(part, size)], width_in) for part in text.split("\n"))


def text_height(
    paragraphs: Sequence[Sequence[Piece]], width_in: float, space_after: float = 0
) -> float:
    """The estimated height in inches of wrapped paragraphs (no box margins); each line is as
    tall as the largest text in its paragraph."""
    points = 0.0
    for i, pieces in enumerate(paragraphs):
        size = max((s for _, s in pieces), default=0.0)
        points += wrapped_lines(pieces, width_in) * size * LINE_HEIGHT
        if i < len(paragraphs) - 1:
            points += space_after
    return points / 72


def paragraphs_height(
    paragraphs: Sequence[Paragraph], width_in: float, size: float, space_after: float = 0
) -> float:
    """text_height for paragraphs as write_text takes them."""
    return text_height([_pieces(p, size) for p in paragraphs], width_in, space_after)


def _shorten(text: str, limit: int = COMMENT_LIMIT) -> tuple[str, bool]:
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat, False
    return flat[: limit - 1] + "…", True


# --- tables -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    paragraphs: tuple[Paragraph, ...]
    fill: RGBColor | None = None
    bold: bool = False
    align: PP_ALIGN = PP_ALIGN.LEFT
    size: float | None = None
    color: RGBColor | None = None

    @staticmethod
    def of(
        text: str,
        *,
        fill: RGBColor | None = None,
        bold: bool = False,
        align: PP_ALIGN = PP_ALIGN.LEFT,
        size: float | None = None,
        color: RGBColor | None = None,
    ) -> Cell:
        return Cell(tuple(text.split("\n")), fill, bold, align, size, color)

    @property
    def text(self) -> str:
        return "\n".join(
            p if isinstance(p, str) else "".join(s.text for s in p) for p in self.paragraphs
        )


def _as_cell(value: str | Cell) -> Cell:
    return value if isinstance(value, Cell) else Cell.of(value)


def row_height(cells: Sequence[str | Cell], widths: Sequence[float], size: float) -> float:
    """The estimated height of a table row in inches once its text has wrapped.

    Checked against LibreOffice's rendering of Noto Sans CJK JP: a row is its lines at 1.45 times
    their size plus the cell margins, with nothing more to add.
    """
    return (
        max(
            paragraphs_height(
                _as_cell(c).paragraphs, w - 2 * CELL_MARGIN_X, _as_cell(c).size or size
            )
            for c, w in zip(cells, widths, strict=True)
        )
        + 2 * CELL_MARGIN_Y
    )


def _fill_cell(
    cell: _Cell,
    content: Cell,
    *,
    size: float,
    fill: RGBColor,
    color: RGBColor = INK,
    bold: bool = False,
) -> None:
    cell.margin_left = cell.margin_right = Inches(CELL_MARGIN_X)
    cell.margin_top = cell.margin_bottom = Inches(CELL_MARGIN_Y)
    cell.vertical_anchor = MSO_ANCHOR.MIDDLE
    cell.fill.solid()  # type: ignore[no-untyped-call]
    cell.fill.fore_color.rgb = content.fill or fill
    write_text(
        cell.text_frame,
        content.paragraphs,
        size=content.size or size,
        bold=content.bold or bold,
        color=content.color or color,
        align=content.align,
    )


def add_table(
    slide: Slide,
    left: float,
    top: float,
    widths: Sequence[float],
    header: Sequence[str | Cell],
    rows: Sequence[Sequence[str | Cell]],
    *,
    size: float = 12,
    header_size: float | None = None,
    min_row_height: float = 0.0,
) -> float:
    """A table with a navy header row and banded body rows; returns its estimated bottom (in).

    The file holds each row's minimum height (one line, or min_row_height); PowerPoint grows a row
    to its text when drawing, so rows stay as tall as their text needs and no taller.
    """
    header_size = header_size or size
    heights = [row_height(header, widths, header_size)] + [
        max(row_height(r, widths, size), min_row_height) for r in rows
    ]
    minimum = [header_size] + [size] * len(rows)
    shape = slide.shapes.add_table(
        len(rows) + 1, len(widths), Inches(left), Inches(top), Inches(sum(widths)), Inches(1)
    )
    table = shape.table
    table.horz_banding = False
    for i, w in enumerate(widths):
        table.columns[i].width = Inches(w)
    for i, pt in enumerate(minimum):
        one_line = pt * 1.25 / 72 + 2 * CELL_MARGIN_Y
        table.rows[i].height = Inches(max(one_line, min_row_height if i else 0.0))
    for j, value in enumerate(header):
        _fill_cell(
            table.cell(0, j),
            _as_cell(value),
            size=header_size,
            fill=NAVY,
            color=WHITE,
            bold=True,
        )
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            _fill_cell(
                table.cell(i, j), _as_cell(value), size=size, fill=BAND if i % 2 == 0 else WHITE
            )
    return top + sum(heights)


def _fill_pages(heights: Sequence[float], available: float) -> list[range]:
    pages: list[range] = []
    start, used = 0, 0.0
    for i, h in enumerate(heights):
        if i > start and used + h > available:
            pages.append(range(start, i))
            start, used = i, 0.0
        used += h
    if start < len(heights):
        pages.append(range(start, len(heights)))
    return pages


def paginate(heights: Sequence[float], available: float) -> list[range]:
    """Split rows (by estimated height) into as few pages as fit, filled evenly rather than
    leaving one row alone on the last page; a page always takes at least one row."""
    pages = _fill_pages(heights, available)
    if len(pages) <= 1:
        return pages
    # The smallest page height that still needs no more pages, found by bisection.
    low, high = max(heights), available
    for _ in range(40):
        middle = (low + high) / 2
        if len(_fill_pages(heights, middle)) <= len(pages):
            high = middle
        else:
            low = middle
    return _fill_pages(heights, high)


# --- slides -------------------------------------------------------------------------------------


def _new_slide(prs: PresentationObject, title: str) -> Slide:
    """A 'Title Only' slide with its title placed for 16:9 (the default template is 4:3)."""
    slide: Slide = prs.slides.add_slide(prs.slide_layouts[5])
    shape = slide.shapes.title
    assert shape is not None
    shape.left, shape.top = Inches(MARGIN), Inches(TITLE_TOP)
    shape.width, shape.height = Inches(CONTENT_WIDTH), Inches(TITLE_HEIGHT)
    frame = shape.text_frame
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    frame.margin_left = Inches(0.05)
    size = 26 if line_count(title, CONTENT_WIDTH - 0.1, 26) == 1 else 22
    write_text(frame, [title], size=size, bold=True, color=NAVY)
    rule = slide.shapes.add_shape(
        MSO_SHAPE.RECTANGLE,
        Inches(MARGIN),
        Inches(TITLE_TOP + TITLE_HEIGHT + 0.02),
        Inches(CONTENT_WIDTH),
        Inches(0.04),
    )
    rule.fill.solid()
    rule.fill.fore_color.rgb = NAVY
    rule.line.fill.background()
    return slide


def _title_slide(prs: PresentationObject, snapshot: Snapshot, fiscal_year: int) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    band = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, SLIDE_WIDTH, Inches(0.35))
    band.fill.solid()
    band.fill.fore_color.rgb = NAVY
    band.line.fill.background()
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
        [PLAN_TITLE, f"{fy.label(fiscal_year)} 進捗状況"],
        size=36,
        bold=True,
        color=NAVY,
        space_after=6,
    )
    subtitle = slide.placeholders[1]
    subtitle.left, subtitle.top = Inches(0.9), Inches(4.0)
    subtitle.width, subtitle.height = Inches(11.5), Inches(1.2)
    sub_frame = subtitle.text_frame
    sub_frame.word_wrap = True
    sub_frame.vertical_anchor = MSO_ANCHOR.TOP
    today = dt.date.today()
    made = f"{fy.wareki_date(today)}（{today.year}年）"  # as on the progress report's cover
    write_text(sub_frame, [MEETING, f"{made}　{PUBLISHER}"], size=22, color=INK, space_after=4)
    if snapshot.is_demo:
        box = _textbox(
            slide,
            0.9,
            5.35,
            11.5,
            1.0,
            [
                [Span(DEMO_MARK, bold=True, size=22)],
                "この資料の数値と進捗状況は説明用に生成したもので、狛江市の実績ではありません。",
            ],
            size=16,
            color=DEMO_COLOR,
            anchor=MSO_ANCHOR.MIDDLE,
        )
        box.line.color.rgb = DEMO_COLOR
        box.line.width = Pt(2)


def _status_cell(status: StatusCode) -> Cell:
    return Cell.of(indicator_status_text(status), fill=_tint(STATUS_HEX[status]), bold=True)


def gap_text(x: Indicator, a: Assessment) -> str:
    """The gap to the plan line in words that say which way is good, as overview's warnings word
    it: '6.2ポイント遅れ' / '0.4ポイント先行' for an improvement target; for a guardrail, whose
    plan line is its bound, '余裕0.8ポイント' inside it and '0.5ポイント超過' / '1.0億円不足' outside.
    A bare signed difference cannot: △ is good under a ceiling and bad behind a rising target."""
    if a.gap is None:
        return "－"
    unit = formatting.difference_unit(x.unit)
    amount = formatting.with_unit(abs(a.gap), unit)
    if x.kind == "guardrail":
        assert a.headroom is not None
        if round(a.headroom, formatting.DEFAULT_DECIMALS) >= 0:
            return f"余裕{formatting.with_unit(abs(a.headroom), unit)}"
        return f"{amount}{'超過' if x.comparator == '<=' else '不足'}"
    if round(a.gap, formatting.DEFAULT_DECIMALS) == 0:
        return "計画線どおり"
    behind = (a.gap < 0) == (x.comparator == ">=")
    return f"{amount}{'遅れ' if behind else '先行'}"


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
                (
                    [
                        Span("未入力"),
                        Span(
                            f"（直近{formatting.with_unit(a.latest_value, unit, official=True)}"
                            f"・{fy.wareki(a.latest_fiscal_year)}）",
                            size=size - 2,
                            color=MUTED,
                        ),
                    ],
                ),
                align=PP_ALIGN.RIGHT,
            )
        else:
            latest = Cell.of(
                formatting.with_unit(a.latest_value, unit, official=True), align=PP_ALIGN.RIGHT
            )
        rows.append(
            [
                Cell.of(str(x.indicator_no), align=PP_ALIGN.CENTER),
                x.name,
                _status_cell(a.status),
                latest,
                Cell.of(
                    formatting.with_unit(x.path_value(fiscal_year), unit, official=True),
                    align=PP_ALIGN.RIGHT,
                ),
                Cell.of("－" if a.status == "no_data" else gap_text(x, a), align=PP_ALIGN.RIGHT),
                Cell.of(
                    f"{formatting.with_unit(x.target_value, unit, official=True)}{x.comparator_word}",
                    align=PP_ALIGN.RIGHT,
                ),
            ]
        )
    return rows


def _overview_slide(prs: PresentationObject, snapshot: Snapshot, fiscal_year: int) -> None:
    slide = _new_slide(prs, f"{OVERVIEW_TITLE}（{fy.label(fiscal_year)}）")
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
        f"目標値（{fy.wareki(plan.indicators[0].target_fiscal_year)}末）",
    ]
    tally = "　".join(
        f"{STATUS_ICONS[s]} {STATUS_LABELS[s]} {sum(a.status == s for a in assessments)}"
        for s in STATUS_LABELS
    )
    notes: list[Paragraph] = [
        [Span("指標の数　", bold=True), Span(tally, bold=True)],
        "計画線：現状値（令和5年度末）から目標値まで毎年同じ幅で進む線です。すでに目標を満たしている"
        "経常収支比率と財政調整基金残高は、上限・下限そのものを計画線とします。",
        "状況：達成＝目標値を満たす／順調＝計画線に沿う／注意＝計画線より遅れているが傾向では届く見込み、"
        "または上限・下限に近い／遅れ＝届かない見込み、または目標を外れた／未入力＝この年度の実績値がない",
    ]
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
    _textbox(
        slide,
        MARGIN,
        bottom + OVERVIEW_NOTES_GAP,
        CONTENT_WIDTH,
        BODY_BOTTOM - bottom - OVERVIEW_NOTES_GAP,
        notes,
        size=notes_size,
    )


def _figure_rows(x: Indicator, a: Assessment) -> list[tuple[str, str, bool]]:
    """(label, value, emphasised) for the key figures of an indicator slide, official style."""
    unit = x.unit
    path_label = (
        "計画線" if x.kind == "improvement" else ("上限" if x.comparator == "<=" else "下限")
    )
    rows = [
        ("実績値", formatting.with_unit(a.latest_value, unit, official=True), False),
        (path_label, formatting.with_unit(a.path_value, unit, official=True), False),
        (
            "計画線との差" if x.kind == "improvement" else "目標までの余裕",
            gap_text(x, a),
            False,
        ),
    ]
    rows += [
        (
            change_label(x),
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
    slide = _new_slide(prs, title)
    _textbox(
        slide,
        MARGIN,
        BODY_TOP,
        CONTENT_WIDTH,
        0.4,
        [[Span(f"{fy.label(fiscal_year)}の状況　", bold=True), Span(info.target_text)]],
        size=13,
        color=MUTED,
    )
    figure = charts.indicator_figure(x, snapshot.actuals(indicator_no), a)
    # The slide's title already names the indicator and its status; the chart gives that room to
    # the plot. Slightly larger text than on screen: the image is shown at about 7.7 in wide.
    figure.update_layout(
        title={"text": ""},
        margin={"t": 24, "l": 70, "r": 24, "b": 110},
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
    picture = slide.shapes.add_picture(
        io.BytesIO(png),
        Inches(MARGIN),
        Inches(top),
        Inches(CHART_WIDTH_IN),
        Inches(CHART_HEIGHT_IN),
    )
    picture._element._nvXxPr.cNvPr.set(  # alt text; python-pptx has no API for it
        "descr",
        f"指標{x.indicator_no} {x.name}のグラフ：実績値、計画線、目標（{info.target_text}）と"
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
    _textbox(
        slide,
        panel_left,
        bottom + 0.15,
        panel_width,
        BODY_BOTTOM - bottom - 0.15,
        [[Span("判定の理由", bold=True)], a.reason],
        size=12,
        space_after=3,
    )


def _item_summary_slide(prs: PresentationObject, snapshot: Snapshot, fiscal_year: int) -> None:
    plan = snapshot.plan
    slide = _new_slide(prs, f"{ITEM_SUMMARY_TITLE}（{fy.label(fiscal_year)}）")
    groups = status_counts(
        plan,
        status_index(snapshot.statuses),
        fiscal_year,
        first_reported_year=PLAN_FIRST_FISCAL_YEAR,
    )
    statuses = [c.status for c in groups[0].counts]
    label_width = 3.0
    total_width = 0.8
    status_width = (CONTENT_WIDTH - label_width - total_width) / len(statuses)
    widths = [label_width] + [status_width] * len(statuses) + [total_width]
    header: list[str | Cell] = [
        Cell.of("区分"),
        *[
            Cell.of(
                item_status_text(s),
                align=PP_ALIGN.CENTER,
                fill=_tint(STATUS_HEX[ITEM_STATUS_TONE[s]], 0.35)
                if s in ITEM_STATUS_TONE
                else None,
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
            paragraphs: list[Paragraph] = [[Span(str(c.count), bold=True, size=24)]]
            if c.change is not None:
                change = formatting.signed_difference(c.change, "", 0, official=True)
                paragraphs.append([Span(f"（{change}）", size=14, color=MUTED)])
            row.append(Cell(tuple(paragraphs), align=PP_ALIGN.CENTER, fill=fill))
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
        header_size=14,
        min_row_height=0.95,
    )
    notes: list[Paragraph] = []
    if groups[0].counts[0].change is not None:
        notes.append(f"（　）内は前年度（{fy.label(fiscal_year - 1)}）からの増減です。")
    elif fiscal_year == PLAN_FIRST_FISCAL_YEAR:
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
    _textbox(slide, MARGIN, bottom + 0.2, CONTENT_WIDTH, BODY_BOTTOM - bottom - 0.2, notes, size=13)


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
        note, cut = _shorten(note_of(r))
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
                    fill=_tint(STATUS_HEX[tone]) if tone else None,
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
        slide = _new_slide(prs, page_title)
        _textbox(slide, MARGIN, BODY_TOP, CONTENT_WIDTH, 0.4, [lead], size=13, color=MUTED)
        if not table_rows:
            _textbox(slide, MARGIN, table_top, CONTENT_WIDTH, 1.0, [empty_text], size=18)
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
            _textbox(
                slide,
                MARGIN,
                BODY_BOTTOM - footnote_height,
                CONTENT_WIDTH,
                footnote_height,
                ["　".join(notes)],
                size=11,
                color=MUTED,
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


def _item_slides(prs: PresentationObject, snapshot: Snapshot, fiscal_year: int) -> int:
    plan = snapshot.plan
    rows = item_rows(plan, status_index(snapshot.statuses), fiscal_year)
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
    attention = _rows_with(rows, [REVISED, NOT_REPORTED])
    if attention:
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
    return len(late)


def _footers(prs: PresentationObject, snapshot: Snapshot, fiscal_year: int) -> None:
    """Plan name and year, page number, and on a demo store the demo mark, on every slide."""
    total = len(prs.slides)
    for n, slide in enumerate(prs.slides, start=1):
        _textbox(
            slide,
            MARGIN,
            FOOTER_TOP,
            6.0,
            0.35,
            [f"{PLAN_TITLE}　{fy.label(fiscal_year)} 進捗状況"],
            size=10,
            color=MUTED,
            anchor=MSO_ANCHOR.MIDDLE,
        )
        if snapshot.is_demo:
            _textbox(
                slide,
                6.6,
                FOOTER_TOP,
                4.9,
                0.35,
                [f"【{DEMO_MARK}】狛江市の実績ではありません"],
                size=11,
                bold=True,
                color=DEMO_COLOR,
                anchor=MSO_ANCHOR.MIDDLE,
            )
        _textbox(
            slide,
            11.6,
            FOOTER_TOP,
            MARGIN + CONTENT_WIDTH - 11.6,
            0.35,
            [f"{n} / {total}"],
            size=10,
            color=MUTED,
            align=PP_ALIGN.RIGHT,
            anchor=MSO_ANCHOR.MIDDLE,
        )


def _set_theme_fonts(prs: PresentationObject) -> None:
    """The theme's heading and body fonts, so text typed into the deck later shows Japanese too.

    python-pptx loads the theme as an opaque part (no object model), so its XML is edited as bytes.
    """
    theme = prs.slide_master.part.part_related_by(RT.THEME)
    root = etree.fromstring(theme.blob)
    for tag in ("a:majorFont", "a:minorFont"):
        for font in root.iter(qn(tag)):
            for script in ("a:latin", "a:ea"):
                element = font.find(qn(script))
                if element is not None:
                    element.set("typeface", FONT)
    theme.blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _check_year(fiscal_year: int) -> None:
    if not PLAN_FIRST_FISCAL_YEAR <= fiscal_year <= PLAN_LAST_FISCAL_YEAR:
        raise KomaeKpiError(
            f"会議資料は計画期間（{fy.label(PLAN_FIRST_FISCAL_YEAR)}〜"
            f"{fy.label(PLAN_LAST_FISCAL_YEAR)}）の年度について作成します"
            f"（指定: {fy.label(fiscal_year)}）。"
        )


def _build(
    snapshot: Snapshot, fiscal_year: int, renderer: ChartRenderer
) -> tuple[bytes, DeckSummary]:
    _check_year(fiscal_year)
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    _set_theme_fonts(prs)
    title = f"{PLAN_TITLE} {fy.label(fiscal_year)} 進捗状況（{MEETING}）"
    prs.core_properties.title = ("【デモデータ】" if snapshot.is_demo else "") + title
    prs.core_properties.author = PUBLISHER
    prs.core_properties.language = "ja-JP"

    _title_slide(prs, snapshot, fiscal_year)
    _overview_slide(prs, snapshot, fiscal_year)
    warnings = gap_warnings(snapshot, fiscal_year)
    before = renderer.rendered
    for w in warnings:
        _indicator_slide(prs, snapshot, fiscal_year, w.indicator_no, w.title, renderer)
    _item_summary_slide(prs, snapshot, fiscal_year)
    behind = _item_slides(prs, snapshot, fiscal_year)
    _footers(prs, snapshot, fiscal_year)

    out = io.BytesIO()
    prs.save(out)
    titles = tuple(
        s.shapes.title.text_frame.text.replace("\n", " ") if s.shapes.title is not None else ""
        for s in prs.slides
    )
    return out.getvalue(), DeckSummary(
        path=Path(),
        fiscal_year=fiscal_year,
        slide_titles=titles,
        indicator_slides=tuple(w.indicator_no for w in warnings),
        behind_items=behind,
        charts=renderer.rendered - before,
        is_demo=snapshot.is_demo,
    )


def build_meeting_deck(snapshot: Snapshot, fiscal_year: int, renderer: ChartRenderer) -> bytes:
    """The HQ meeting deck for a fiscal year as .pptx bytes; charts go through renderer."""
    data, _ = _build(snapshot, fiscal_year, renderer)
    return data


def write_meeting_deck(
    snapshot: Snapshot, fiscal_year: int, out: Path, renderer: ChartRenderer
) -> DeckSummary:
    """Write the deck to out (written whole, then moved into place) and say what is in it."""
    data, deck = _build(snapshot, fiscal_year, renderer)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, data)
    return replace(deck, path=out)
