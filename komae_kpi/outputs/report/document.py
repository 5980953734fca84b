"""The yearly progress report (進捗状況報告) as one self-contained HTML document.

The same HTML is published as is and printed to PDF (pdf.py): A4 portrait, headings in order,
tables with header cells, every chart an image with alt text, page numbers from CSS page margin
boxes (report.css). content.py prepares the values; report.html.j2 writes the markup with Jinja2,
which escapes every value (autoescape), so staff text shows exactly as typed. The `lines` filter
keeps a text's line breaks, through html_blocks.esc, the escaper the pages use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from komae_kpi.common.spreadsheet_text import without_control_characters
from komae_kpi.judgement.meeting_changes import MeetingChanges
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.outputs.report.content import (
    ImageRenderer,
    ReportContent,
    TocEntry,
    report_content,
)
from komae_kpi.views import html_blocks
from komae_kpi.views.status_style import is_status_text

TEMPLATE = "report.html.j2"
# Cells that start like this are figures: 165.1億円, △0.4, +2, ±0, －.
NUMBER_START = "0123456789△+-±－"


def _lines(text: str) -> Markup:
    return Markup(html_blocks.esc(text))


def _printable(value: object) -> object:
    if isinstance(value, Markup):  # markup the code built (lines: escaped and cleaned already)
        return value
    return without_control_characters(value) if isinstance(value, str) else value


def _is_figure(text: str) -> bool:
    return text[:1] in NUMBER_START


def _environment() -> Environment:
    # The templates sit beside this module: no dependence on the current folder, nothing fetched.
    environment = Environment(
        loader=FileSystemLoader(Path(__file__).parent),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Every value printed without the control characters a store may hold from before the
        # text rule, as html_blocks.esc drops them (an ESC must not reach the published HTML).
        finalize=_printable,
    )
    environment.filters["lines"] = _lines
    environment.tests["figure"] = _is_figure
    environment.tests["status"] = is_status_text
    return environment


_TEMPLATES = _environment()


@dataclass(frozen=True, kw_only=True)
class ReportDocument:
    """The HTML of a report and the values it was written from (to write it again, numbered)."""

    content: ReportContent
    html: str

    @property
    def fiscal_year(self) -> int:
        return self.content.fiscal_year

    @property
    def toc(self) -> tuple[TocEntry, ...]:
        return self.content.toc

    @property
    def chart_count(self) -> int:
        return len(self.content.charts)


def _render(content: ReportContent) -> ReportDocument:
    return ReportDocument(content=content, html=_TEMPLATES.get_template(TEMPLATE).render(r=content))


def build_report(
    snapshot: Snapshot,
    year: int,
    render: ImageRenderer,
    *,
    today: dt.date | None = None,
    page_numbers: Mapping[str, int] | None = None,
    changes: MeetingChanges | None = None,
) -> ReportDocument:
    """The report for a fiscal year. page_numbers (anchor → page) fills the table of contents
    when printing (the second pass of pdf.py); without it the contents are links only."""
    content = report_content(snapshot, year, render, today=today, changes=changes)
    return _render(replace(content, page_numbers=page_numbers))


def fill_contents(document: ReportDocument, page_numbers: Mapping[str, int]) -> ReportDocument:
    """The same document with the page numbers in its table of contents."""
    return _render(replace(document.content, page_numbers=page_numbers))
