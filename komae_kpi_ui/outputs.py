"""The /reports downloads, generated when the button is clicked (Streamlit runs the callable on a
thread of its own) and kept per store version, so a second click costs nothing.

One lock for all of them: the chart renderer (kaleido) is one browser per process, started and
stopped around each document, and two sessions must not start it at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import assert_never

from komae_kpi.judgement.meeting_changes import MeetingChanges, load_changes
from komae_kpi.judgement.progress import load_snapshot
from komae_kpi.outputs.chart_images import chart_renderer
from komae_kpi.outputs.deck import build_meeting_deck
from komae_kpi.outputs.publication_files import finance_workbook, open_data_zip
from komae_kpi.outputs.report import build_pdf_report, build_report
from komae_kpi.outputs.report_views import OutputKind
from komae_kpi_ui import store_access

_LOCK = threading.Lock()
_MADE: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
_KEEP = 12
Maker = Callable[[], bytes]


def _made(key: tuple[object, ...], build: Callable[[], bytes]) -> bytes:
    with _LOCK:
        if key in _MADE:
            _MADE.move_to_end(key)
            return _MADE[key]
        data = build()
        _MADE[key] = data
        while len(_MADE) > _KEEP:
            _MADE.popitem(last=False)
        return data


def _key(path: Path, kind: str, year: int | None, since: str | None = None) -> tuple[object, ...]:
    # The store's version: a new import or save makes a new file, never a stale one.
    return (str(path), store_access.version_token(path), kind, year, since)


def _changes(path: Path, since: str | None, year: int) -> MeetingChanges | None:
    """What changed since the meeting so named (None: no section); before Chromium starts, so
    that a meeting removed meanwhile is refused at once."""
    return load_changes(path, since, year) if since is not None else None


def report_pdf(path: Path, year: int, since: str | None = None) -> Callable[[], bytes]:
    """since: the name of a recorded meeting, for the section 「前回会議からの変化」."""

    def build() -> bytes:
        changes = _changes(path, since, year)
        with chart_renderer() as renderer:
            return build_pdf_report(load_snapshot(path), year, renderer, changes=changes).pdf

    return lambda: _made(_key(path, "pdf", year, since), build)


def report_html(path: Path, year: int, since: str | None = None) -> Callable[[], bytes]:
    def build() -> bytes:
        changes = _changes(path, since, year)
        with chart_renderer() as renderer:
            document = build_report(load_snapshot(path), year, renderer.image, changes=changes)
        return document.html.encode("utf-8")

    return lambda: _made(_key(path, "html", year, since), build)


def meeting_deck(path: Path, year: int, since: str | None = None) -> Callable[[], bytes]:
    def build() -> bytes:
        changes = _changes(path, since, year)
        with chart_renderer() as renderer:
            return build_meeting_deck(load_snapshot(path), year, renderer, changes=changes)

    return lambda: _made(_key(path, "pptx", year, since), build)


def open_data(path: Path) -> Callable[[], bytes]:
    return lambda: _made(_key(path, "zip", None), lambda: open_data_zip(load_snapshot(path)))


def workbook(path: Path) -> Callable[[], bytes]:
    return lambda: _made(_key(path, "xlsx", None), lambda: finance_workbook(load_snapshot(path)))


def maker(kind: OutputKind, path: Path, year: int, since: str | None = None) -> Maker:
    """What makes the /reports output of this kind (report_views.outputs() lists them) for the
    year; the data files cover every year. since: the recorded meeting whose changes the report
    and the deck open with (None: none)."""
    match kind:
        case "pdf":
            return report_pdf(path, year, since)
        case "html":
            return report_html(path, year, since)
        case "pptx":
            return meeting_deck(path, year, since)
        case "zip":
            return open_data(path)
        case "xlsx":
            return workbook(path)
        case _:
            assert_never(kind)
