"""The progress report as PDF: the report's HTML (document.py) printed by headless Chromium.

Chromium embeds the (subset) Noto CJK fonts, keeps the text extractable, writes the headings as
the PDF's outline (bookmarks) and tags the document, so search and screen readers work. Page
numbers come from the stylesheet's @page margin boxes. The table of contents gets its page
numbers in a second pass: the first print's outline says on which page each heading landed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import io
import logging
import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import unicodedata
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from komae_kpi.common.errors import KomaeKpiError
from komae_kpi.common.files import atomic_write_bytes, atomic_write_text
from komae_kpi.judgement.meeting_changes import MeetingChanges
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.outputs.chart_images import ChartRenderer, chart_renderer, require_chromium
from komae_kpi.outputs.report.content import report_year_problem
from komae_kpi.outputs.report.document import ReportDocument, build_report, fill_contents

PRINT_TIMEOUT_SECONDS = 120
NO_PROXY = "127.0.0.1:9"  # the discard port: nothing listens, so nothing is sent
# pypdf warns about harmless quirks of Chromium's output (an object count beyond the trailer's).
logging.getLogger("pypdf").setLevel(logging.ERROR)
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    # Without these Chromium contacts Google's services at start (accounts, updates, extension
    # updates; seen with strace even with --disable-background-networking). The report is a
    # local file and needs no network at all: every host name resolves to nothing, and anything
    # that still tries goes to a closed local port.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    f"--proxy-server={NO_PROXY}",
    "--disable-background-networking",
    "--disable-default-apps",
    "--disable-component-extensions-with-background-pages",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--no-pdf-header-footer",  # the stylesheet draws the page numbers
    "--generate-pdf-document-outline",
)


def print_pdf(html: str, *, started: list[subprocess.Popen[bytes]] | None = None) -> bytes:
    """HTML → PDF bytes with Chromium's own printing (one browser start per call).

    started: the browser's process is added to it, so that a caller printing in another thread
    can end it (end_prints) instead of waiting for it.
    """
    browser = require_chromium()
    folder = Path(tempfile.mkdtemp(prefix="komae-kpi-report-"))
    try:
        page = folder / "report.html"
        out = folder / "report.pdf"
        page.write_text(html, encoding="utf-8")
        # Its own process group: Chromium's helpers (zygote, renderers) are ended with it, and a
        # Ctrl-C reaches this process first, which ends the browser itself (not halfway through
        # its own shutdown while the profile folder is being removed).
        process = subprocess.Popen(
            [
                browser,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={folder / 'profile'}",
                f"--print-to-pdf={out}",
                page.as_uri(),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        if started is not None:
            started.append(process)
        try:
            process.wait(timeout=PRINT_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired as exc:
            raise KomaeKpiError("PDFの作成が時間内に終わりませんでした。") from exc
        finally:
            end_prints([process])
        if not out.exists() or out.stat().st_size == 0:
            raise KomaeKpiError("ChromiumでPDFを作成できませんでした。")
        return out.read_bytes()
    finally:
        _remove_folder(folder)


def end_prints(processes: list[subprocess.Popen[bytes]]) -> None:
    """End each print's browser with every process it started, and wait for the browser."""
    for process in processes:
        if hasattr(os, "killpg"):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        else:  # Windows: no process groups; the browser ends its helpers itself
            process.kill()
        process.wait()


def _remove_folder(folder: Path) -> None:
    """Remove a print's folder; the browser's helpers may still be going for a moment after it."""
    for _ in range(40):
        try:
            shutil.rmtree(folder)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.05)
    shutil.rmtree(folder)  # still failing after 2 s: a real problem, said as such


# Noto CJK draws 目 and the Kangxi radical ⽬ (U+2F6C) with one glyph (民 and ⺠, ・ and ‧ too),
# and Chromium's PDF writer maps such a glyph back to the look-alike: the text would read 「⽬次」
# and a search for 目次 would fail. A mapping to a character the report does not contain is
# rewritten to the look-alike's standard character when the report contains that one. Kangxi
# radicals have NFKC forms; the CJK Radicals Supplement and the punctuation need this table.
LOOK_ALIKES: dict[str, str] = {
    "‧": "・", "⺠": "民", "⻑": "長", "⻄": "西", "⻘": "青", "⻝": "食", "⺟": "母", "⻤": "鬼",
    "⻨": "麦", "⻩": "黄", "⻫": "斉", "⻭": "歯", "⻯": "竜", "⻲": "亀", "⻆": "角", "⻁": "虎",
    "⻌": "辶", "⻖": "阝", "⻏": "阝", "⺾": "艹", "⺼": "月", "⺝": "月", "⻣": "骨", "⻗": "雨",
    "⺩": "王", "⺬": "示", "⺮": "竹", "⺶": "羊", "⻊": "足", "⺌": "小", "⺗": "心", "⺓": "幺",
    "⺢": "水", "⺫": "罒", "⺲": "罒", "⺳": "网", "⻂": "衤", "⻃": "覀", "⺅": "亻", "⺉": "刂",
    "⺡": "氵", "⺣": "灬", "⺦": "丬", "⺨": "犭", "⺹": "耂", "⺁": "厂", "⻍": "辶", "⺀": "冫",
}  # fmt: skip
_CMAP_HEX = re.compile(r"<([0-9A-Fa-f]+)>")


def _standard(char: str) -> str:
    return LOOK_ALIKES.get(char) or unicodedata.normalize("NFKC", char)


def _utf16(hex_text: str) -> str:
    return bytes.fromhex(hex_text).decode("utf-16-be", errors="replace")


def _hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


def _cmap_mappings(cmap: str) -> dict[int, str] | None:
    """code → text from a ToUnicode CMap's bfchar and bfrange sections (None if unreadable)."""
    mappings: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        pairs = _CMAP_HEX.findall(block)
        for code, text in zip(pairs[::2], pairs[1::2], strict=False):
            mappings[int(code, 16)] = _utf16(text)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for line in block.strip().splitlines():
            if "[" in line:
                return None  # the array form: not written by Chromium; leave the map alone
            parts = _CMAP_HEX.findall(line)
            if len(parts) != 3:
                continue
            low, high, start = int(parts[0], 16), int(parts[1], 16), _utf16(parts[2])
            for offset in range(high - low + 1):
                mappings[low + offset] = start[:-1] + chr(ord(start[-1]) + offset)
    return mappings


def _corrected(text: str, document_chars: set[str]) -> str:
    if len(text) != 1 or text in document_chars:
        return text
    standard = _standard(text)
    return standard if standard != text and standard in document_chars else text


def _rewritten_cmap(cmap: str, document_chars: set[str]) -> str | None:
    mappings = _cmap_mappings(cmap)
    if not mappings:
        return None
    fixed = {code: _corrected(t, document_chars) for code, t in sorted(mappings.items())}
    if fixed == mappings:
        return None
    space = _CMAP_HEX.search(cmap.split("begincodespacerange", 1)[-1])
    width = len(space.group(1)) if space else 4
    entries = [f"<{code:0{width}X}> <{_hex(text)}>" for code, text in fixed.items()]
    chunks = [entries[i : i + 100] for i in range(0, len(entries), 100)]
    body = "".join(f"{len(c)} beginbfchar\n" + "\n".join(c) + "\nendbfchar\n" for c in chunks)
    head = cmap.split("endcodespacerange", 1)[0] + "endcodespacerange\n"
    return head + body + "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"


def fix_look_alike_text(pdf: bytes, document_text: str) -> bytes:
    """The PDF with its ToUnicode maps pointing at the characters the document was written with."""
    document_chars = set(document_text)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    done: set[int] = set()
    changed = False
    for page in writer.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            candidates = [font, *[d.get_object() for d in font.get("/DescendantFonts", [])]]
            for f in candidates:
                stream_ref = f.get("/ToUnicode")
                if stream_ref is None:
                    continue
                stream = stream_ref.get_object()
                if id(stream) in done:
                    continue
                done.add(id(stream))
                fixed = _rewritten_cmap(stream.get_data().decode("latin-1"), document_chars)
                if fixed is not None:
                    stream.set_data(fixed.encode("latin-1"))
                    changed = True
    if not changed:
        return pdf
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def outline_pages(pdf: bytes) -> dict[str, int]:
    """Heading text → 1-based page, from the PDF's outline (Chromium writes one per heading)."""
    reader = PdfReader(io.BytesIO(pdf))
    pages: dict[str, int] = {}

    def walk(entries: list[object]) -> None:
        for entry in entries:
            if isinstance(entry, list):
                walk(entry)
                continue
            title = str(getattr(entry, "title", "") or "")
            try:
                index = reader.get_destination_page_number(entry)  # type: ignore[arg-type]
            except Exception:  # an entry without a page (should not happen)
                continue
            if index is not None:
                pages.setdefault(" ".join(title.split()), index + 1)

    walk(list(reader.outline))
    return pages


@dataclass(frozen=True, kw_only=True)
class PdfReport:
    document: ReportDocument
    pdf: bytes
    pages: int


def blank_png(width: int, height: int) -> bytes:
    """A white PNG of the given size: stands in for a chart where only the layout matters."""
    row = b"\x00" + b"\xff" * (width * 3)
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def build_pdf_report(
    snapshot: Snapshot,
    year: int,
    renderer: ChartRenderer,
    *,
    today: dt.date | None = None,
    changes: MeetingChanges | None = None,
) -> PdfReport:
    """Two prints: the first only lays the pages out, to learn on which page each heading lands
    (the contents list them); the second is the report. Charts have a fixed size, so the first
    print uses blank images of that size and runs while the real charts are being rendered."""
    layout = build_report(
        snapshot,
        year,
        lambda figure, width, height: blank_png(width // 10, height // 10),
        today=today,
        page_numbers={},
        changes=changes,
    )
    started: list[subprocess.Popen[bytes]] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        first_print = pool.submit(print_pdf, layout.html, started=started)
        try:
            final_charts = build_report(
                snapshot,
                year,
                renderer.image,
                today=today,
                page_numbers={},
                changes=changes,
            )
            by_title = outline_pages(first_print.result())
        except BaseException:
            # Ctrl-C, or a chart that failed: leaving the block waits for the first print, which
            # would otherwise run to its end (or its timeout) first.
            end_prints(started)
            raise
    numbers = {
        entry.anchor: by_title[" ".join(entry.text.split())]
        for entry in layout.toc
        if " ".join(entry.text.split()) in by_title
    }
    final = fill_contents(final_charts, numbers)
    pdf = fix_look_alike_text(print_pdf(final.html), html.unescape(final.html))
    return PdfReport(document=final, pdf=pdf, pages=len(PdfReader(io.BytesIO(pdf)).pages))


def write_report(
    snapshot: Snapshot,
    year: int,
    out: Path,
    *,
    renderer: ChartRenderer | None = None,
    changes: MeetingChanges | None = None,
) -> ReportDocument:
    """report --out FILE: .html (self-contained) or .pdf; with changes, the section
    「前回会議からの変化」 (report --since)."""
    suffix = out.suffix.lower()
    if suffix not in (".html", ".htm", ".pdf"):
        raise KomaeKpiError(f"報告書の保存先は .html か .pdf にしてください（指定: {out.name}）。")
    problem = report_year_problem(year)
    if problem:  # before a browser is started for nothing
        raise KomaeKpiError(problem)
    if renderer is None:
        with chart_renderer() as own:
            return write_report(snapshot, year, out, renderer=own, changes=changes)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".pdf":
        report = build_pdf_report(snapshot, year, renderer, changes=changes)
        atomic_write_bytes(out, report.pdf)
        return report.document

    document = build_report(snapshot, year, renderer.image, changes=changes)
    atomic_write_text(out, document.html)
    return document
