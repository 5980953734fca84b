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

    def __new__(cls, text: str, *, kind: str) -> Problem:
        made = super().__new__(cls, text)
        made.kind = kind
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


def xlsx_size_problem(name: str, data: bytes) -> str | None:
    """Why this .xlsx is too large once decompressed, or None. Reads nothing into memory beyond
    a chunk at a time.

    The zip's central directory states each part's size; it is checked first. A zip can state a
    smaller size than its data holds, so each part is then decompressed in chunks and counted,
    stopping at the limit: what a reader (openpyxl, calamine) would get is never built.
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
            size = _decompressed_size(data, archive, info, MAX_PART_BYTES + 1)
            if size is None:
                return None  # damaged: the reader says so
            if size > MAX_PART_BYTES:
                return _part_too_large(name, info.filename)
            total += size
            if total > MAX_WORKBOOK_BYTES:
                return _workbook_too_large(name)
    return None


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


def _decompressed_size(
    data: bytes, archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int
) -> int | None:
    """The bytes a part's data really decompresses to, counted up to cap; None if damaged.

    Not through ZipFile.open: it stops at the size the directory states, which is the number that
    may lie. Deflate, the method of every .xlsx, is decompressed here from the raw data.
    """
    if info.compress_type == zipfile.ZIP_STORED:
        return info.compress_size
    if info.compress_type != zipfile.ZIP_DEFLATED:
        # Another method (bzip2, lzma: never written by Excel): count what ZipFile gives.
        try:
            with archive.open(info) as part:
                return _counted(iter(lambda: part.read(_READ_CHUNK), b""), cap)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
            return None
    start = info.header_offset
    header = data[start : start + _LOCAL_HEADER.size]
    if len(header) < _LOCAL_HEADER.size:
        return None
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != b"PK\x03\x04":
        return None
    begin = start + _LOCAL_HEADER.size + fields[9] + fields[10]
    raw = memoryview(data)[begin : begin + info.compress_size]
    try:
        return _inflated_size(raw, cap)
    except zlib.error:
        return None


def _inflated_size(raw: memoryview, cap: int) -> int:
    """The size of raw deflate data once inflated, counted a chunk at a time up to cap."""
    decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
    total = 0
    for offset in range(0, len(raw), _READ_CHUNK):
        pending = bytes(raw[offset : offset + _READ_CHUNK])
        while pending and not decompressor.eof:
            total += len(decompressor.decompress(pending, _READ_CHUNK))
            if total >= cap:
                return total
            pending = decompressor.unconsumed_tail
        if decompressor.eof:
            break
    return total


def _counted(chunks: Iterator[bytes], cap: int) -> int:
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total >= cap:
            return total
    return total
