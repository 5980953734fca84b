"""The formula guard on every spreadsheet-bound output (CSV, the finance XLSX, the 照会 workbook),
shown with a real spreadsheet program: LibreOffice opens each exported file and no cell of ours
becomes a formula, while the same texts unguarded do."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from komae_kpi.common.spreadsheet_text import needs_formula_guard, spreadsheet_safe
from komae_kpi.imports.import_cells import cell_text
from komae_kpi.imports.importer import ImportSource, preview_import
from komae_kpi.judgement.progress import load_snapshot
from komae_kpi.outputs.export import export_open_data
from komae_kpi.outputs.inquiry_workbook import department_items, write_inquiry_workbook
from komae_kpi.outputs.publication_files import write_finance_workbook
from komae_kpi.store.entries import save_item_status

HOSTILE = ("=1+1", " =1+1", "＝1+1", "\n=1+1", "@SUM(A1)", "+1", "-1+2", "\t=1+1", "　＠A1")
HARMLESS = ("1-2", "会議を開催した", "'引用", "a=1")
YEAR = 2025


def test_the_guard_covers_blanks_full_width_and_line_breaks() -> None:
    for text in HOSTILE:
        assert needs_formula_guard(text), repr(text)
        assert spreadsheet_safe(text) == "'" + text
        assert cell_text("'" + text) == text  # the importer removes exactly the guard
    for text in HARMLESS:
        assert not needs_formula_guard(text), repr(text)
        assert spreadsheet_safe(text) == text
    assert spreadsheet_safe(-1.5) == -1.5 and spreadsheet_safe(-3) == -3  # numbers stay numbers


@pytest.fixture
def hostile_store(store: Path) -> tuple[Path, str]:
    """A store whose item statuses hold every hostile text, all within one department's items."""
    plan = load_snapshot(store).plan
    department = next(
        d.name
        for d in plan.departments
        if not d.is_catch_all and len(department_items(plan, d.name)) >= 3
    )
    items = department_items(plan, department)
    texts = iter(HOSTILE)
    for item in items[:3]:
        save_item_status(
            store,
            item.item_no,
            YEAR,
            "順調",
            achievements=next(texts),
            issues=next(texts),
            next_steps=next(texts),
        )
    return store, department


def _exports(store: Path, department: str, out: Path) -> dict[str, Path]:
    snapshot = load_snapshot(store)
    export_open_data(snapshot, out / "csv")
    inquiry = write_inquiry_workbook(snapshot, department, YEAR, out / "inquiry.xlsx")
    assert inquiry.data
    return {
        "csv": out / "csv" / "item_statuses.csv",
        "finance": write_finance_workbook(snapshot, out / "finance.xlsx"),
        "inquiry": out / "inquiry.xlsx",
    }


def test_every_output_guards_every_hostile_text(
    hostile_store: tuple[Path, str], tmp_path: Path
) -> None:
    files = _exports(*hostile_store, tmp_path)
    with files["csv"].open(encoding="utf-8-sig", newline="") as f:
        cells = {c for row in csv.reader(f) for c in row}
    assert {"'" + t for t in HOSTILE} <= cells
    for name in ("finance", "inquiry"):
        book = load_workbook(io.BytesIO(files[name].read_bytes()))
        found = {
            c.value: c
            for ws in book.worksheets
            for row in ws.iter_rows()
            for c in row
            if c.value in HOSTILE
        }
        assert set(found) == set(HOSTILE), name
        assert all(c.data_type == "s" and c.quotePrefix for c in found.values()), name


# --- through LibreOffice -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def soffice() -> str:
    found = shutil.which("soffice")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("soffice is missing: .ci/run must install Debian's libreoffice-calc-nogui")
        pytest.skip(
            "LibreOffice is not installed (apt-get install -y --no-install-recommends "
            "libreoffice-calc-nogui)"
        )
    return found


def _as_flat_ods(soffice: str, files: list[Path], out: Path, *, csv_input: bool) -> list[str]:
    """Each file as LibreOffice reads it, saved as flat XML (.fods), where a formula is a
    table:formula attribute. CSV is read as UTF-8 with formulas evaluated, as a person opening
    it would."""
    profile = out / "profile"
    command = [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        *(["--infilter=CSV:44,34,76,1"] if csv_input else []),
        "--convert-to",
        "fods",
        "--outdir",
        str(out),
        *map(str, files),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=180)
    converted = [out / f"{f.stem}.fods" for f in files]
    missing = [p.name for p in converted if not p.exists()]
    assert not missing, f"LibreOffice did not convert {missing}"
    return [p.read_text(encoding="utf-8") for p in converted]


_FORMULA = re.compile(r'table:formula="([^"]*)"')


def test_libreoffice_opens_no_exported_cell_as_a_formula(
    soffice: str, hostile_store: tuple[Path, str], tmp_path: Path
) -> None:
    files = _exports(*hostile_store, tmp_path / "exports")
    # The control: the same texts in a CSV without the guard do become formulas, so the check
    # below would see one.
    unguarded = tmp_path / "exports" / "unguarded.csv"
    with unguarded.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([["text"], *([t] for t in HOSTILE)])
    work = tmp_path / "converted"
    work.mkdir()
    exported_csv, control = _as_flat_ods(soffice, [files["csv"], unguarded], work, csv_input=True)
    assert _FORMULA.search(control), "LibreOffice read no formula from the unguarded CSV"
    assert not _FORMULA.findall(exported_csv)
    assert "&apos;=1+1" in exported_csv  # the guarded text is there, as text

    workbooks = [files["finance"], files["inquiry"]]
    for name, flat in zip(
        ("finance", "inquiry"), _as_flat_ods(soffice, workbooks, work, csv_input=False), strict=True
    ):
        assert not _FORMULA.findall(flat), name
        assert "@SUM(A1)" in flat and "＝1+1" in flat, name


def test_control_characters_an_older_version_stored_do_not_break_our_own_export(
    store: Path, tmp_path: Path
) -> None:
    save_item_status(store, 21, YEAR, "順調", achievements="行1")
    con = duckdb.connect(str(store))
    try:  # as the form of an older version let it in
        con.execute("UPDATE item_statuses SET achievements = ?", ["\x1b[2J行1\x0b行2\x00"])
    finally:
        con.close()
    export_open_data(load_snapshot(store), tmp_path / "out")
    data = (tmp_path / "out" / "item_statuses.csv").read_bytes()
    assert b"\x1b" not in data and b"\x00" not in data
    preview = preview_import(store, [ImportSource(name="item_statuses.csv", data=data)])
    assert preview.ok, preview.problems
    [changed] = [c for c in preview.changes if c.action == "changed"]
    assert changed.after is not None and changed.after.achievements == "[2J行1\n行2"  # type: ignore[union-attr]
