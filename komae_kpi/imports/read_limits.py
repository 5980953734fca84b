"""How much of a file the importers read, and how many of its problems they list.

A year's files are small: the 照会 workbook, a year's actuals or a fiscal outlook hold a few
hundred rows and their XML parts a few hundred kilobytes; the 全市町村 peer workbook, the largest,
holds about 1,800 rows and a few megabytes. Each limit below is far above that, and low enough
that a file claiming more (a zip bomb, a million-row export, a cell holding a book) is refused in
about a second and a couple of hundred megabytes, before anything large is built in memory.
Every message that refuses a file names the limit it hit; the README's import section lists them.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

# The file as uploaded (compressed, for an .xlsx): far above a year's reports; guards against a
# wrong file being picked.
MAX_FILE_BYTES = 20 * 1024 * 1024
# Each part of an .xlsx once decompressed (a sheet's XML, the shared strings): a deflated XML part
# can expand a thousandfold, so 20 MB on disk could hold 20 GB. 50 MB of XML is ~100 times the
# largest real part, and still parsed in well under a second.
MAX_PART_BYTES = 50 * 1024 * 1024
# All parts of an .xlsx together: a workbook of many parts each just under the limit is one bomb.
MAX_WORKBOOK_BYTES = 100 * 1024 * 1024
# Characters in one cell: the longest real cells are a few hundred characters of 取組実績; 10,000
# is a dozen printed pages, and keeps one cell from filling the store, the page or the report.
MAX_CELL_CHARS = 10_000
# Rows of one sheet or CSV file: 50 times the peer workbook's; a million-row file is refused while
# it is read, not after it has been held in memory and checked row by row.
MAX_ROWS = 100_000
# Cells in one row of a sheet: Excel's own limit (column XFD). A reader builds a whole row at
# once, so a longer one is refused from the part's tags before any reader sees it.
MAX_COLUMNS = 16_384
# Cells (fields) in one sheet or CSV file: about 40 times the peer workbook's (1,800 rows of some
# 25 columns), 10 per row at the row limit; openpyxl reads a million cells in a few seconds.
MAX_CELLS = 1_000_000
# A title and notes may sit above the header row (the 照会 workbook has): the header is looked for
# in this many rows, and a file without one is refused without reading the rest.
HEADER_SEARCH_ROWS = 20
# Problems listed one by one; the rest are counted by kind (a page of 100 lines is still read).
MAX_LISTED_PROBLEMS = 100

_READ_CHUNK = 1024 * 1024
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")  # a zip entry's local file header (APPNOTE 4.3.7)


def megabytes(size: int) -> str:
    """'50MB' for 50 MiB, as the messages state a limit."""
    return f"{size // (1024 * 1024)}MB"


class Problem(str):
    """A problem's message that also carries its kind, the reason without the place and the
    value (「年度として読めません」), by which the problems beyond the listed ones are counted.

    A str, so that every list of problems, and everything that prints or compares them, takes it
    as it takes a plain message.
    """

    kind: str

    def __new__(cls, text: str, *, kind: str | None = None) -> Problem:
        # kind is optional for pickle and copy, which call __new__ with the text alone and then
        # restore the attribute.
        made = super().__new__(cls, text)
        made.kind = problem_kind(text) if kind is None else kind
        return made


def problem_kind(problem: str) -> str:
    """The kind of a problem: its own, or the reason after the place, up to its first stop.

    >>> problem_kind("a.csv 3行目 B列「年度」の「x」: 年度として読めません（例: 2025）。")
    '年度として読めません'
    """
    if isinstance(problem, Problem):
        return problem.kind
    reason = problem.split("」: ", 1)[-1] if "」: " in problem else problem.split(": ", 1)[-1]
    return reason_kind(reason)


def reason_kind(reason: str) -> str:
    """A reason's kind: its first sentence without the example or detail in brackets."""
    return re.split(r"[（。(]", reason.strip(), maxsplit=1)[0].strip() or reason.strip()


def listed_problems(problems: Sequence[str], *, limit: int = MAX_LISTED_PROBLEMS) -> list[str]:
    """The problems to show: the first `limit`, then one line 「ほか N 件」 counting the rest by kind.

    Every importer's list goes through here, on the command line and on the page alike, so that
    a file with every row wrong gives a page to read, not megabytes.
    """
    if len(problems) <= limit:
        return list(problems)
    rest = problems[limit:]
    counts = Counter(problem_kind(p) for p in rest).most_common()
    shown_kinds = counts[:10]
    by_kind = "、".join(f"{kind} {n:,}件" for kind, n in shown_kinds)
    if len(counts) > len(shown_kinds):
        others = sum(n for _, n in counts[len(shown_kinds) :])
        by_kind += f"、その他 {others:,}件"
    return [*problems[:limit], f"ほか {len(rest):,} 件（{by_kind}）"]


def too_many_rows(name: str) -> str:
    return (
        f"{name}: 行が多すぎます（{MAX_ROWS:,}行まで）。1年度分の表だけのファイルにしてください。"
    )


def too_many_cells(name: str) -> str:
    return f"{name}: セルが多すぎます（1つの表に{MAX_CELLS:,}セルまで）。1年度分の表だけのファイルにしてください。"


def xlsx_size_problem(name: str, data: bytes) -> str | None:
    """Why this .xlsx is too large once decompressed, or None. Holds no more than a chunk of
    any part in memory.

    The zip's central directory states each part's size; it is checked first. A zip can state a
    smaller size than its data holds, so each part is then decompressed in chunks and measured,
    stopping at a limit: what a reader (openpyxl, calamine) would build is never built. Rows and
    cells are counted by their tags on the way, since a reader builds a whole row before anyone
    can look at it (one row of a million cells is a gigabyte in openpyxl).
    A damaged zip is left for the reader to report as such.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    with archive:
        infos = archive.infolist()
        total = 0
        for info in infos:
            if info.file_size > MAX_PART_BYTES:
                return _part_too_large(name, info.filename)
            total += info.file_size
        if total > MAX_WORKBOOK_BYTES:
            return _workbook_too_large(name)
        total = 0
        for info in infos:
            scan = _PartScan(cap=MAX_PART_BYTES)
            try:
                scan.read(_part_chunks(data, archive, info))
            except (zipfile.BadZipFile, zlib.error, OSError, ValueError, NotImplementedError):
                return None  # damaged: the reader says so
            total += scan.size
            if scan.size > MAX_PART_BYTES:
                return _part_too_large(name, info.filename)
            if total > MAX_WORKBOOK_BYTES:
                return _workbook_too_large(name)
            if scan.rows > MAX_ROWS:
                return too_many_rows(name)
            if scan.widest > MAX_COLUMNS:
                return (
                    f"{name}: 列が多すぎる行があります（1行に{MAX_COLUMNS:,}列まで）。"
                    "1年度分の表だけのファイルにしてください。"
                )
            if scan.cells > MAX_CELLS:
                return too_many_cells(name)
    return None


# A sheet's row and cell tags (<row r="1">, <c r="A1" t="s">, <c/>); <cols>, <cfRule> and a
# chart's <c:chart> are not cells.
_CELL_TAGS = (b"<c ", b"<c>", b"<c/")


@dataclass(kw_only=True)
class _PartScan:
    """A part's real size, and its rows, cells and widest row by their tags, read chunk by chunk
    and stopped as soon as any limit is passed."""

    cap: int
    size: int = 0
    rows: int = 0
    cells: int = 0
    widest: int = 0
    _row_cells: int = 0
    _carry: bytes = b""

    def read(self, chunks: Iterator[bytes]) -> None:
        for chunk in chunks:
            self.size += len(chunk)
            # A tag is at most 4 bytes: cut before the last "<" near the end, so none is split.
            buffer = self._carry + chunk
            cut = buffer.rfind(b"<", max(0, len(buffer) - 8))
            cut = len(buffer) if cut < 0 else cut
            buffer, self._carry = buffer[:cut], buffer[cut:]
            self._count(buffer)
            if self._passed():
                return
        self._count(self._carry)

    def _count(self, buffer: bytes) -> None:
        for index, segment in enumerate(buffer.split(b"<row")):
            if index:
                self.rows += 1
                self._row_cells = 0
            found = sum(segment.count(tag) for tag in _CELL_TAGS)
            self.cells += found
            self._row_cells += found
            self.widest = max(self.widest, self._row_cells)

    def _passed(self) -> bool:
        return (
            self.size > self.cap
            or self.rows > MAX_ROWS
            or self.widest > MAX_COLUMNS
            or self.cells > MAX_CELLS
        )


def _part_too_large(name: str, part: str) -> str:
    return (
        f"{name}: Excelファイルの中身（{part}）が大きすぎます。展開すると"
        f"{megabytes(MAX_PART_BYTES)}を超えます（1つの部分につき{megabytes(MAX_PART_BYTES)}まで）。"
    )


def _workbook_too_large(name: str) -> str:
    return (
        f"{name}: Excelファイルの中身が大きすぎます。展開すると"
        f"{megabytes(MAX_WORKBOOK_BYTES)}を超えます（ファイル全体で{megabytes(MAX_WORKBOOK_BYTES)}まで）。"
    )


def _part_chunks(data: bytes, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A part's content as it really is, a chunk at a time.

    Not through ZipFile.open for deflate: it stops at the size the directory states, which is the
    number that may lie. Deflate, the method of every .xlsx, is inflated here from the raw data.
    """
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        # Another method (bzip2, lzma: never written by Excel): what ZipFile gives.
        with archive.open(info) as part:
            yield from iter(lambda: part.read(_READ_CHUNK), b"")
        return
    start = info.header_offset
    header = data[start : start + _LOCAL_HEADER.size]
    if len(header) < _LOCAL_HEADER.size:
        raise zipfile.BadZipFile("truncated local header")
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != b"PK\x03\x04":
        raise zipfile.BadZipFile("no local header")
    begin = start + _LOCAL_HEADER.size + fields[9] + fields[10]
    raw = memoryview(data)[begin : begin + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        for offset in range(0, len(raw), _READ_CHUNK):
            yield bytes(raw[offset : offset + _READ_CHUNK])
        return
    decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
    for offset in range(0, len(raw), _READ_CHUNK):
        pending = bytes(raw[offset : offset + _READ_CHUNK])
        while pending and not decompressor.eof:
            yield decompressor.decompress(pending, _READ_CHUNK)
            pending = decompressor.unconsumed_tail
        if decompressor.eof:
            return
