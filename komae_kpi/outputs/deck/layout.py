"""A small layout kit for 16:9 PowerPoint slides on python-pptx: text boxes, tables that estimate
their own height, pagination, colours and the Japanese font. It knows nothing about the plan;
slides.py builds the meeting deck with it.

Sizes and positions are in inches (floats) unless a name says otherwise; text sizes in points.

python-pptx quirks worked around here:
- `font.name` sets only <a:latin>; PowerPoint draws Japanese with the East Asian font <a:ea>, so
  every run gets both, and the theme's fonts are set too, for text typed into the deck later.
- A table row grows with its text when the deck is drawn, not in the file. Long lists are split
  over slides by an estimate of each row's height, so no row runs off a slide unseen.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

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
from pptx.util import Emu, Inches, Length, Pt

FONT = "Noto Sans CJK JP"

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

# Layouts of python-pptx's default template.
TITLE_LAYOUT = 0
TITLE_ONLY_LAYOUT = 5


def rgb(hex_digits: str) -> RGBColor:
    # python-pptx 1.0.2 leaves RGBColor's methods unannotated; mypy --strict flags calls into them.
    return RGBColor.from_string(hex_digits)  # type: ignore[no-untyped-call, no-any-return]


INK = rgb("222222")
MUTED = rgb("555555")
NAVY = rgb("1F3A5F")
WHITE = rgb("FFFFFF")
BAND = rgb("F2F4F7")
HIGHLIGHT = rgb("FDF3E1")

# Noto Sans CJK's line height is about 1.45 times the font size (its ascent and descent are large).
LINE_HEIGHT = 1.45
CELL_MARGIN_X = 0.06  # in
CELL_MARGIN_Y = 0.04  # in
TEXTBOX_MARGIN_Y = 0.03  # in, top and bottom


def tint(hex_color: str, share: float = 0.22) -> RGBColor:
    """The colour ('#RRGGBB') mixed with white: a light fill behind black text."""
    channels = [int(hex_color[i : i + 2], 16) for i in (1, 3, 5)]
    r, g, b = (round(255 - (255 - c) * share) for c in channels)
    return rgb(f"{r:02X}{g:02X}{b:02X}")


# --- text ---------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Span:
    """A run of text with its own look inside a paragraph."""

    text: str
    bold: bool = False
    color: RGBColor | None = None
    size: float | None = None


Paragraph = str | Sequence[Span]


@dataclass(frozen=True, kw_only=True)
class Look:
    """How the text of a box or cell looks; a Span may override size, weight and colour."""

    size: float
    bold: bool = False
    color: RGBColor = INK
    align: PP_ALIGN = PP_ALIGN.LEFT
    space_after: float = 0  # points after each paragraph


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


def write_text(frame: TextFrame, paragraphs: Sequence[Paragraph], look: Look) -> None:
    """Replace the frame's text with paragraphs; a paragraph is a string or a list of Spans."""
    frame.clear()  # type: ignore[no-untyped-call]
    for i, paragraph in enumerate(paragraphs):
        p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()  # type: ignore[no-untyped-call]
        p.alignment = look.align
        if look.space_after:
            p.space_after = Pt(look.space_after)
        spans = [Span(text=paragraph)] if isinstance(paragraph, str) else list(paragraph)
        for span in spans:
            run = p.add_run()
            run.text = span.text
            style_run(
                run,
                span.size or look.size,
                bold=span.bold or look.bold,
                color=span.color or look.color,
            )


def textbox(
    slide: Slide,
    left: float,
    top: float,
    width: float,
    height: float,
    paragraphs: Sequence[Paragraph],
    look: Look,
    *,
    anchor: MSO_ANCHOR = MSO_ANCHOR.TOP,
) -> Shape:
    """A text box of a fixed size whose text wraps (it never grows or shrinks the text)."""
    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    frame = box.text_frame
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    frame.vertical_anchor = anchor
    frame.margin_left = frame.margin_right = Inches(0.05)
    frame.margin_top = frame.margin_bottom = Inches(TEXTBOX_MARGIN_Y)
    write_text(frame, paragraphs, look)
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


def shorten(text: str, limit: int) -> tuple[str, bool]:
    """The text on one line, cut with '…' to at most limit characters; and whether it was cut."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat, False
    return flat[: limit - 1] + "…", True


# --- tables -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Cell:
    """A table cell; what is None takes the table's own look."""

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
        return Cell(
            paragraphs=tuple(text.split("\n")),
            fill=fill,
            bold=bold,
            align=align,
            size=size,
            color=color,
        )

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


def _fill_cell(cell: _Cell, content: Cell, *, fill: RGBColor, look: Look) -> None:
    cell.margin_left = cell.margin_right = Inches(CELL_MARGIN_X)
    cell.margin_top = cell.margin_bottom = Inches(CELL_MARGIN_Y)
    cell.vertical_anchor = MSO_ANCHOR.MIDDLE
    cell.fill.solid()  # type: ignore[no-untyped-call]
    cell.fill.fore_color.rgb = content.fill or fill
    write_text(
        cell.text_frame,
        content.paragraphs,
        Look(
            size=content.size or look.size,
            bold=content.bold or look.bold,
            color=content.color or look.color,
            align=content.align,
        ),
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
    header_look = Look(size=header_size, bold=True, color=WHITE)
    for j, value in enumerate(header):
        _fill_cell(table.cell(0, j), _as_cell(value), fill=NAVY, look=header_look)
    body_look = Look(size=size)
    for i, row in enumerate(rows, start=1):
        fill = BAND if i % 2 == 0 else WHITE
        for j, value in enumerate(row):
            _fill_cell(table.cell(i, j), _as_cell(value), fill=fill, look=body_look)
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


# --- slides and shapes --------------------------------------------------------------------------


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


def new_presentation(*, title: str, author: str) -> PresentationObject:
    """An empty 16:9 deck in Japanese, its theme fonts set to FONT."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    _set_theme_fonts(prs)
    prs.core_properties.title = title
    prs.core_properties.author = author
    prs.core_properties.language = "ja-JP"
    return prs


def presentation_bytes(prs: PresentationObject) -> bytes:
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def slide_titles(prs: PresentationObject) -> tuple[str, ...]:
    """Each slide's title on one line ('' for a slide without one)."""
    return tuple(
        s.shapes.title.text_frame.text.replace("\n", " ") if s.shapes.title is not None else ""
        for s in prs.slides
    )


def rectangle(
    slide: Slide, left: Length, top: Length, width: Length, height: Length, color: RGBColor
) -> Shape:
    """A filled rectangle without an outline (a rule or a band)."""
    shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, left, top, width, height)
    shape.fill.solid()
    shape.fill.fore_color.rgb = color
    shape.line.fill.background()
    return shape


def new_slide(prs: PresentationObject, title: str) -> Slide:
    """A 'Title Only' slide with its title placed for 16:9 (the default template is 4:3), a
    smaller size when the title would wrap, and a rule under it."""
    slide: Slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
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
    write_text(frame, [title], Look(size=size, bold=True, color=NAVY))
    rectangle(
        slide,
        Inches(MARGIN),
        Inches(TITLE_TOP + TITLE_HEIGHT + 0.02),
        Inches(CONTENT_WIDTH),
        Inches(0.04),
        NAVY,
    )
    return slide


def picture(
    slide: Slide, png: bytes, left: float, top: float, width: float, height: float, *, alt: str
) -> None:
    """A PNG image with its alt text."""
    shape = slide.shapes.add_picture(
        io.BytesIO(png), Inches(left), Inches(top), Inches(width), Inches(height)
    )
    shape._element._nvXxPr.cNvPr.set("descr", alt)  # python-pptx has no API for alt text
