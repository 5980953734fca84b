"""Property-based tests (hypothesis): random and mutated files into the importer, random text into
the form. Whatever comes in, the only exceptions are the product's own typed errors
(common/errors.py), nothing is written on a refusal, and export -> import -> export is stable.

Bounded for the suite (FUZZ_EXAMPLES examples per test, a fifth of that for the round trip; well
under a minute in all); for a longer hunt: KOMAE_KPI_FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from komae_kpi.common.errors import KomaeKpiError, ValidationError
from komae_kpi.common.user_text import RECORD_TEXT_RULES, text_problem
from komae_kpi.imports.import_cells import HEADERS
from komae_kpi.imports.importer import ImportSource, apply_import, preview_import
from komae_kpi.judgement.progress import load_snapshot
from komae_kpi.outputs.export import export_open_data
from komae_kpi.plan.plan_files import load_plan
from komae_kpi.store.connection import init_store
from komae_kpi.store.entries import save_indicator_value, save_item_status
from tests.store_helpers import dump

FUZZ_EXAMPLES = int(os.environ.get("KOMAE_KPI_FUZZ_EXAMPLES", "50"))
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,  # nothing written into the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# A round trip writes two stores and two full exports (about a second): fewer of them.
ROUND_TRIPS = settings(FUZZ, max_examples=max(5, FUZZ_EXAMPLES // 5))

PLAN = load_plan()
STATUSES = [s.status for s in PLAN.statuses]
ITEMS = [i.item_no for i in PLAN.items if i.repost_of is None]
HEADER_WORDS = [h for words in HEADERS.values() for h in words] + ["", "メモ", "実績値（千円）"]
# Control characters a terminal acts on: never in a message we print.
_RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz") / "base.duckdb"
    init_store(path)
    return path


@pytest.fixture(scope="module")
def untouched(base: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What every fresh copy holds: a refused write must leave exactly this."""
    return dump(base)


@pytest.fixture(scope="module")
def stores(base: Path) -> Iterator[Path]:
    """A fresh copy of one initialised store per example (init takes half a second; a copy not)."""

    def copies() -> Iterator[Path]:
        for n in itertools.count():
            copy = base.parent / f"s{n}" / "kpi.duckdb"
            copy.parent.mkdir()
            shutil.copy(base, copy)
            yield copy

    return copies()


# --- strategies ----------------------------------------------------------------------------------

cell_words = st.sampled_from(
    [
        *map(str, [1, 3, 5, 8, 9, 21, 60, 62, 63, 2005, 2025, 2029, 2030]),
        *STATUSES,
        *["R7", "令和7年度", "89", "△0.5", "1,234.5", "22.3億円", "2,230,000千円", "87.3%"],
        *["見込", "決算", "確定", "=1+1", "'=1+1", " =1+1", "＝1+1", "@SUM(A1)", "-1+2", ""],
    ]
)
cell_texts = st.one_of(
    cell_words,
    st.integers(-10, 3000).map(str),
    st.floats().map(repr),
    st.text(max_size=20),  # any character, control characters included
)


@st.composite
def tables(draw: st.DrawFn, cells: st.SearchStrategy[Any]) -> list[list[Any]]:
    """A header row of import headers (some junk) and a few rows of plausible and random cells."""
    width = draw(st.integers(1, 6))
    header = draw(st.lists(st.sampled_from(HEADER_WORDS), min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=width + 1), max_size=6))
    title = draw(st.lists(st.lists(cells, max_size=2), max_size=2))  # a title above, perhaps
    return [*title, header, *rows]


def _csv_text(rows: list[list[Any]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    text = _csv_text(draw(tables(cell_texts)))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp932", "utf-16"]))
    return text.encode(encoding, errors="replace")


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        # openpyxl itself refuses these characters; a file from Excel cannot hold them either.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


xlsx_cells = st.one_of(
    cell_texts,
    st.integers(-(10**12), 10**12),
    st.floats(),
    st.none(),
    st.booleans(),
    st.datetimes(),
)
VALID_CSV = "指標,年度,実績値,出典\n3,2025,89,市調べ\n".encode()
VALID_XLSX = _xlsx([["項目番号", "年度", "進捗状況", "取組実績"], [21, "R7", STATUSES[0], "会議"]])


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """The file with a few bytes changed, cut short, or with bytes put in."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        if not out:
            break
        at = draw(st.integers(0, len(out) - 1))
        how = draw(st.sampled_from(["change", "cut", "insert"]))
        if how == "change":
            out[at] = draw(st.integers(0, 255))
        elif how == "cut":
            del out[at:]
        else:
            out[at:at] = draw(st.binary(min_size=1, max_size=16))
    return bytes(out)


def _import_or_refuse(path: Path, source: ImportSource, untouched: Any) -> None:
    """Preview and apply: typed errors only, every message printable, nothing written on refusal.
    path is a fresh copy of the store whose dump is untouched."""
    try:
        preview = preview_import(path, [source])
    except KomaeKpiError as exc:
        assert not _RAW_CONTROL.search(str(exc))
        return
    for problem in preview.problems:
        assert not _RAW_CONTROL.search(problem), problem
    if preview.ok:
        apply_import(path, [source])
        return
    with pytest.raises(KomaeKpiError):
        apply_import(path, [source])
    assert dump(path) == untouched


# --- the importer --------------------------------------------------------------------------------


@FUZZ
@given(data=st.one_of(csv_files(), mutated(VALID_CSV), st.binary(max_size=300)))
def test_random_csv_files(stores: Iterator[Path], untouched: Any, data: bytes) -> None:
    _import_or_refuse(next(stores), ImportSource(name="fuzz.csv", data=data), untouched)


@FUZZ
@given(data=st.one_of(tables(xlsx_cells).map(_xlsx), mutated(VALID_XLSX)))
def test_random_and_mutated_xlsx_files(stores: Iterator[Path], untouched: Any, data: bytes) -> None:
    _import_or_refuse(next(stores), ImportSource(name="fuzz.xlsx", data=data), untouched)


# --- the form ------------------------------------------------------------------------------------

form_texts = st.one_of(
    st.text(max_size=40),
    st.text(min_size=1, max_size=3).map(lambda s: s * 700),  # over the limits, sometimes
    st.sampled_from(["=1+1", "\n=1+1", "a\r\nb", "\t表", "出典\x1b[2J", "", "  "]),
)


@FUZZ
@given(
    field=st.sampled_from(["achievements", "issues", "next_steps"]),
    text=form_texts,
    item_no=st.sampled_from(ITEMS),
)
def test_random_text_into_the_status_form(
    stores: Iterator[Path], untouched: Any, field: str, text: str, item_no: int
) -> None:
    path = next(stores)
    problem = text_problem(text, RECORD_TEXT_RULES[field])
    if problem:
        with pytest.raises(ValidationError) as refused:
            save_item_status(path, item_no, 2025, STATUSES[0], **{field: text})  # type: ignore[arg-type]
        assert problem in refused.value.problems
        assert dump(path) == untouched
        return
    save_item_status(path, item_no, 2025, STATUSES[0], **{field: text})  # type: ignore[arg-type]
    stored = load_snapshot(path).item_status(item_no, 2025)
    assert stored is not None
    assert getattr(stored, field) == (text if text.strip() else None)


@FUZZ
@given(field=st.sampled_from(["source", "note"]), text=form_texts)
def test_random_text_into_the_actuals_form(
    stores: Iterator[Path], untouched: Any, field: str, text: str
) -> None:
    path = next(stores)
    try:
        save_indicator_value(path, 3, 2025, 89.0, **{field: text})  # type: ignore[arg-type]
    except ValidationError as refused:
        assert refused.problems == [text_problem(text, RECORD_TEXT_RULES[field])]
        assert dump(path) == untouched
    else:
        assert text_problem(text, RECORD_TEXT_RULES[field]) is None


# --- export -> import -> export ------------------------------------------------------------------

storable_texts = st.one_of(
    st.text(
        st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=30
    ).filter(lambda t: text_problem(t, RECORD_TEXT_RULES["achievements"]) is None),
    st.sampled_from(["=1+1", " =1+1", "＝1+1", "\n=1+1", "'=x", "''@", "-1+2", "a\r\nb", "\t=1"]),
)


def _export(path: Path, out: Path) -> dict[str, bytes]:
    export_open_data(load_snapshot(path), out)
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@ROUND_TRIPS
@given(
    entries=st.lists(
        st.tuples(st.sampled_from(ITEMS[:20]), storable_texts, storable_texts),
        min_size=1,
        max_size=4,
        unique_by=lambda e: e[0],
    ),
    note=storable_texts,
)
def test_export_import_export_is_stable(
    stores: Iterator[Path], entries: list[tuple[int, str, str]], note: str
) -> None:
    first_store, second_store = next(stores), next(stores)
    for item_no, achievements, issues in entries:
        save_item_status(
            first_store, item_no, 2025, STATUSES[0], achievements=achievements, issues=issues
        )
    save_indicator_value(first_store, 3, 2025, 89.0, note=note)
    first = _export(first_store, first_store.parent / "first")
    files = [
        ImportSource(name=name, data=first[name])
        for name in ("indicator_values.csv", "item_statuses.csv")
    ]
    preview = preview_import(second_store, files)
    assert preview.ok, preview.problems
    apply_import(second_store, files)
    assert _export(second_store, second_store.parent / "second") == first
