"""The yearly 照会 workbook: one department's items, filled in by the department, imported back."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from komae_kpi.cli import main
from komae_kpi.common.errors import KomaeKpiError, ValidationError
from komae_kpi.common.paths import PLAN_DIR, PROJECT_ROOT
from komae_kpi.imports.importer import ImportSource, apply_import, preview_import
from komae_kpi.judgement.progress import load_snapshot
from komae_kpi.outputs.inquiry_workbook import build_inquiry_workbook, write_inquiry_workbook
from komae_kpi.plan.model import ItemStatus
from komae_kpi.plan.plan_files import load_plan
from komae_kpi.store.connection import connect, init_store
from komae_kpi.store.entries import save_item_status
from komae_kpi.store.record_changes import RecordKey, load_history, read_records
from tests.store_helpers import dump

PLAN = load_plan()
FORMULA_LIKE = "=SUM(A1:A9) ではなく文字として: 中期財政ビジョンを公表"


def _vocabulary() -> list[str]:
    with (PLAN_DIR / "status_vocabulary.csv").open(encoding="utf-8") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: int(r["sort_order"]))
    return [r["status"] for r in rows]


def _plan_items(department: str) -> list[int]:
    """Straight from data/plan/items.csv: items naming the department, reposts left out."""
    with (PLAN_DIR / "items.csv").open(encoding="utf-8") as f:
        return [
            int(r["item_no"])
            for r in csv.DictReader(f)
            if department in r["departments"].split("・") and not r["repost_of"]
        ]


def _sheet(data: bytes) -> Worksheet:
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames[0] == "照会"
    sheet = book["照会"]
    assert isinstance(sheet, Worksheet)
    return sheet


def _header(sheet: Worksheet) -> dict[str, int]:
    """Header text → column number, from the row that starts with 項目番号."""
    for row in sheet.iter_rows(max_row=20):
        if row[0].value == "項目番号":
            return {str(c.value): c.column for c in row if c.value is not None}
    raise AssertionError("no header row")


def _rows(sheet: Worksheet) -> dict[int, dict[str, object]]:
    """Item number → {header: value} for every item row."""
    header = _header(sheet)
    header_row = next(r for r in sheet.iter_rows(max_row=20) if r[0].value == "項目番号")[0].row
    assert header_row is not None
    found: dict[int, dict[str, object]] = {}
    for row in sheet.iter_rows(min_row=header_row + 1):
        if row[0].value is None:
            continue
        found[int(str(row[0].value))] = {h: row[c - 1].value for h, c in header.items()}
    return found


def _fill(data: bytes, entries: dict[int, dict[str, str]]) -> bytes:
    """What a department does: type into this year's columns and save."""
    book = load_workbook(io.BytesIO(data))
    sheet = book["照会"]
    assert isinstance(sheet, Worksheet)
    header = _header(sheet)
    for row in sheet.iter_rows(min_row=1):
        if isinstance(row[0].value, int) and row[0].value in entries:
            for name, text in entries[row[0].value].items():
                cell = row[header[name] - 1]
                cell.value = text
                # What Excel stores for a text typed as '=…: a string, not a formula.
                cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


FILLED = {
    21: {"進捗状況": "順調", "取組実績": FORMULA_LIKE, "課題": "歳入の減少\n物価高騰"},
    22: {"進捗状況": "やや遅れ", "今後の方向性": "+ 次年度に再検討"},
    36: {"進捗状況": "完了"},
}


# --- the workbook ------------------------------------------------------------------------------


def test_the_workbook_lists_exactly_the_departments_items(store: Path) -> None:
    workbook = build_inquiry_workbook(load_snapshot(store), "財政課", 2025)
    expected = _plan_items("財政課")
    assert 21 in expected and len(expected) > 5
    assert list(workbook.items) == expected
    sheet = _sheet(workbook.data)
    rows = _rows(sheet)
    assert list(rows) == expected
    for item_no, row in rows.items():
        item = next(i for i in PLAN.items if i.item_no == item_no)
        assert row["取組項目名"] == item.name
        assert "財政課" in str(row["推進部署"]).split("・")
        assert row["年度"] == "令和7年度"
        # Nothing entered yet: this year's and last year's columns are empty.
        for column in ("進捗状況", "取組実績", "課題", "今後の方向性", "前年度の進捗状況"):
            assert row[column] is None
    assert workbook.file_name == "照会_財政課_令和7年度.xlsx"
    assert "令和7年度" in str(sheet["A1"].value) and "デモ" not in str(sheet["A1"].value)
    assert "財政課" in str(sheet["A2"].value)


def test_reposts_are_listed_under_their_original(store: Path) -> None:
    workbook = build_inquiry_workbook(load_snapshot(store), "職員課", 2025)
    assert 8 in workbook.items and 60 not in workbook.items
    assert list(workbook.items) == _plan_items("職員課")
    assert 8 in _rows(_sheet(workbook.data)) and 60 not in _rows(_sheet(workbook.data))
    book = load_workbook(io.BytesIO(workbook.data))
    instructions = " ".join(
        str(c.value) for row in book["記入方法"].iter_rows() for c in row if c.value
    )
    assert "取組項目60" in instructions and "取組項目8の行に記入" in instructions


def test_the_status_column_has_a_dropdown_of_the_vocabulary(store: Path) -> None:
    workbook = build_inquiry_workbook(load_snapshot(store), "財政課", 2025)
    sheet = _sheet(workbook.data)
    header = _header(sheet)
    validations = sheet.data_validations.dataValidation
    assert len(validations) == 1
    validation = validations[0]
    assert validation.type == "list"
    assert validation.formula1 == '"' + ",".join(_vocabulary()) + '"'
    assert validation.showErrorMessage  # anything else typed is refused by Excel
    letter = get_column_letter(header["進捗状況"])
    first = min(_row_numbers(sheet))
    last = max(_row_numbers(sheet))
    assert str(validation.sqref) == f"{letter}{first}:{letter}{last}"
    assert last - first + 1 == len(workbook.items)


def _row_numbers(sheet: Worksheet) -> list[int]:
    return [r[0].row for r in sheet.iter_rows(min_row=1) if isinstance(r[0].value, int)]


def test_the_instructions_sheet_explains_the_vocabulary(store: Path) -> None:
    workbook = build_inquiry_workbook(load_snapshot(store), "財政課", 2025)
    book = load_workbook(io.BytesIO(workbook.data))
    assert book.sheetnames == ["照会", "記入方法"]
    text = [[c.value for c in row] for row in book["記入方法"].iter_rows()]
    assert text[0][0] == "記入方法"
    for status in PLAN.statuses:
        assert [status.status, status.description] in text


@pytest.mark.parametrize(
    ("department", "message"),
    [
        ("関係各課", "総称"),
        ("各施設所管課", "総称"),
        ("財務課", "推進部署「財務課」は計画にありません"),
        ("", "計画にありません"),
    ],
)
def test_a_catch_all_or_unknown_department_is_refused(
    store: Path, department: str, message: str
) -> None:
    with pytest.raises(KomaeKpiError, match=message) as info:
        build_inquiry_workbook(load_snapshot(store), department, 2025)
    if "計画にありません" in message:
        assert "財政課" in str(info.value) and "関係各課" not in str(info.value)


def test_the_department_name_is_matched_loosely(store: Path) -> None:
    # Full-width space and stray spaces, as names are often typed.
    workbook = build_inquiry_workbook(load_snapshot(store), "　財政課 ", 2025)
    assert workbook.department == "財政課"


@pytest.mark.parametrize("year", [2024, 2030])
def test_a_year_outside_the_plan_is_refused(store: Path, year: int) -> None:
    with pytest.raises(KomaeKpiError, match="計画期間"):
        build_inquiry_workbook(load_snapshot(store), "財政課", year)


def test_a_demo_stores_workbook_says_so(tmp_path: Path) -> None:
    demo = tmp_path / "demo.duckdb"
    init_store(demo, kind="demo")
    workbook = build_inquiry_workbook(load_snapshot(demo), "財政課", 2025)
    assert str(_sheet(workbook.data)["A1"].value).startswith("【デモデータ】")


# --- the round trip -----------------------------------------------------------------------------


def _statuses(store: Path) -> dict[tuple[int, int], ItemStatus]:
    with connect(store, read_only=True) as con:
        return {
            (k.subject_no, k.fiscal_year): r
            for k, r in read_records(con).items()
            if isinstance(r, ItemStatus)
        }


def test_an_untouched_workbook_imports_nothing(store: Path) -> None:
    workbook = build_inquiry_workbook(load_snapshot(store), "財政課", 2025)
    source = ImportSource(name=workbook.file_name, data=workbook.data)
    preview = preview_import(store, [source])
    assert (preview.count("new"), preview.count("changed")) == (0, 0)
    assert preview.changes == ()
    assert preview.files[0].unreported_rows  # every row skipped as not filled in
    before = dump(store)
    with pytest.raises(ValidationError, match="取り込む記録がありません"):
        apply_import(store, [source], user="財政課")
    assert dump(store) == before


def test_a_filled_workbook_imports_back_as_it_is(store: Path) -> None:
    workbook = build_inquiry_workbook(load_snapshot(store), "財政課", 2025)
    filled = _fill(workbook.data, FILLED)
    source = ImportSource(name=workbook.file_name, data=filled)
    preview = preview_import(store, [source])
    assert preview.ok, preview.problems
    assert (preview.count("new"), preview.count("changed")) == (3, 0)
    # The other rows were not filled in: skipped, not imported as blanks.
    assert len(preview.files[0].unreported_rows) == len(workbook.items) - 3
    result = apply_import(store, [source], user="財政課 山田", expected=preview)
    assert result.written == 3
    statuses = _statuses(store)
    assert statuses == {
        (21, 2025): ItemStatus(
            item_no=21,
            fiscal_year=2025,
            status="順調",
            achievements=FORMULA_LIKE,
            issues="歳入の減少\n物価高騰",
            next_steps=None,
        ),
        (22, 2025): ItemStatus(
            item_no=22,
            fiscal_year=2025,
            status="やや遅れ",
            achievements=None,
            issues=None,
            next_steps="+ 次年度に再検討",
        ),
        (36, 2025): ItemStatus(
            item_no=36,
            fiscal_year=2025,
            status="完了",
            achievements=None,
            issues=None,
            next_steps=None,
        ),
    }
    history = load_history(store)
    assert {e.file_name for e in history} == {"照会_財政課_令和7年度.xlsx"}
    assert {(e.method, e.changed_by) for e in history} == {("import", "財政課 山田")}


def test_a_workbook_made_after_the_import_is_prefilled_and_imports_as_unchanged(
    store: Path,
) -> None:
    first = build_inquiry_workbook(load_snapshot(store), "財政課", 2025)
    apply_import(
        store, [ImportSource(name=first.file_name, data=_fill(first.data, FILLED))], user="A"
    )
    again = build_inquiry_workbook(load_snapshot(store), "財政課", 2025)
    sheet = _sheet(again.data)
    rows = _rows(sheet)
    assert rows[21]["進捗状況"] == "順調"
    assert rows[21]["取組実績"] == FORMULA_LIKE
    assert rows[21]["課題"] == "歳入の減少\n物価高騰"
    assert rows[22]["今後の方向性"] == "+ 次年度に再検討"
    assert rows[36]["進捗状況"] == "完了" and rows[36]["取組実績"] is None
    assert rows[23]["進捗状況"] is None
    # A text starting with "=" is stored as text, so Excel never runs it as a formula.
    header = _header(sheet)
    text_cell = sheet.cell(row=_row_of(sheet, 21), column=header["取組実績"])
    assert text_cell.data_type == "s"
    assert b"<f>" not in _sheet_xml(again.data)

    source = ImportSource(name=again.file_name, data=again.data)
    preview = preview_import(store, [source])
    assert preview.ok, preview.problems
    assert (preview.count("new"), preview.count("changed"), preview.count("unchanged")) == (0, 0, 3)
    before = dump(store)
    result = apply_import(store, [source], user="A")
    assert result.written == 0 and result.backup is None
    assert dump(store) == before

    # Changing one cell in the prefilled workbook changes exactly that.
    edited = _fill(again.data, {36: {"課題": "なし"}})
    preview = preview_import(store, [ImportSource(name=again.file_name, data=edited)])
    assert (preview.count("new"), preview.count("changed"), preview.count("unchanged")) == (0, 1, 2)
    changed = next(c for c in preview.changes if c.action == "changed")
    assert changed.key == RecordKey(kind="item_status", subject_no=36, fiscal_year=2025)
    assert changed.changed_fields() == [("issues", None, "なし")]


def test_control_characters_in_stored_text_do_not_break_the_workbook(store: Path) -> None:
    # Text pasted from Word can carry a vertical tab (its line break) or a stray control
    # character; openpyxl refuses them in a cell. The form refuses them now (common/user_text.py),
    # but an older version stored them: written here as it did.
    save_item_status(store, 21, 2025, "順調", achievements="行1", user="A")
    with connect(store, read_only=False) as con:
        con.execute("UPDATE item_statuses SET achievements = ?", ["行1\x0b行2\x07"])
    workbook = build_inquiry_workbook(load_snapshot(store), "財政課", 2025)
    assert _rows(_sheet(workbook.data))[21]["取組実績"] == "行1\n行2"


def _row_of(sheet: Worksheet, item_no: int) -> int:
    return next(r[0].row for r in sheet.iter_rows(min_row=1) if r[0].value == item_no)


def _sheet_xml(data: bytes) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


def test_next_years_workbook_shows_this_years_report_as_last_years(store: Path) -> None:
    first = build_inquiry_workbook(load_snapshot(store), "財政課", 2025)
    apply_import(
        store, [ImportSource(name=first.file_name, data=_fill(first.data, FILLED))], user="A"
    )
    following = build_inquiry_workbook(load_snapshot(store), "財政課", 2026)
    assert following.file_name == "照会_財政課_令和8年度.xlsx"
    rows = _rows(_sheet(following.data))
    assert rows[21]["年度"] == "令和8年度"
    assert rows[21]["前年度の進捗状況"] == "順調"
    assert rows[21]["前年度の取組実績"] == FORMULA_LIKE
    assert rows[21]["前年度の課題"] == "歳入の減少\n物価高騰"
    assert rows[22]["前年度の今後の方向性"] == "+ 次年度に再検討"
    assert rows[36]["前年度の進捗状況"] == "完了"
    # This year's columns are empty: nothing was reported for FY2026 yet.
    assert all(row["進捗状況"] is None and row["取組実績"] is None for row in rows.values())
    # Last year's columns are not read: the untouched FY2026 workbook imports nothing.
    preview = preview_import(store, [ImportSource(name=following.file_name, data=following.data)])
    assert preview.changes == ()
    # Filled in, it adds FY2026 records and leaves FY2025's alone.
    before_2025 = {k: v for k, v in _statuses(store).items() if k[1] == 2025}
    filled = _fill(following.data, {21: {"進捗状況": "完了", "取組実績": "計画どおり"}})
    apply_import(store, [ImportSource(name=following.file_name, data=filled)], user="A")
    statuses = _statuses(store)
    assert statuses[(21, 2026)] == ItemStatus(
        item_no=21,
        fiscal_year=2026,
        status="完了",
        achievements="計画どおり",
        issues=None,
        next_steps=None,
    )
    assert {k: v for k, v in statuses.items() if k[1] == 2025} == before_2025


def test_a_status_typed_past_the_dropdown_is_refused_naming_the_cell(store: Path) -> None:
    workbook = build_inquiry_workbook(load_snapshot(store), "財政課", 2025)
    filled = _fill(workbook.data, {21: {"進捗状況": "おおむね順調"}, 22: {"進捗状況": "順調"}})
    before = dump(store)
    with pytest.raises(ValidationError) as info:
        apply_import(store, [ImportSource(name=workbook.file_name, data=filled)], user="A")
    assert len(info.value.problems) == 1
    problem = info.value.problems[0]
    assert "照会_財政課_令和7年度.xlsx" in problem and "I列「進捗状況」" in problem
    assert "おおむね順調" in problem
    assert dump(store) == before  # item 22's good row was not written either


# --- the command --------------------------------------------------------------------------------


def test_the_template_command_writes_the_workbook(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / "照会.xlsx"
    args = ["template", "--db", str(store), "--department", "財政課", "--fiscal-year", "R7"]
    assert main([*args, "--out", str(out)]) == 0
    message = capsys.readouterr().out
    assert str(out) in message and "財政課" in message
    assert f"取組項目 {len(_plan_items('財政課'))}件" in message
    assert out.read_bytes()[:2] == b"PK"
    assert list(_rows(_sheet(out.read_bytes()))) == _plan_items("財政課")


def test_write_inquiry_workbook_returns_what_it_wrote(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "a" / "b.xlsx"
    workbook = write_inquiry_workbook(load_snapshot(store), "職員課", 2027, out)
    assert out.read_bytes() == workbook.data
    assert _rows(_sheet(workbook.data))[8]["年度"] == "令和9年度"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--department", "関係各課", "--out", "x.xlsx"], "総称"),
        (["--department", "財務課", "--out", "x.xlsx"], "推進部署「財務課」は計画にありません"),
        (["--department", "財政課", "--out", "x.csv"], ".xlsx にしてください"),
    ],
)
def test_the_template_command_refuses_with_a_message(
    store: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    out_name = extra[-1]
    extra = [*extra[:-1], str(tmp_path / out_name)]
    assert main(["template", "--db", str(store), "--fiscal-year", "2025", *extra]) == 1
    err = capsys.readouterr().err
    assert err.startswith("エラー: ") and message in err
    assert not (tmp_path / out_name).exists()


def _template(
    store: Path, department: str, year: str, out: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "komae_kpi",
            "template",
            "--db",
            str(store),
            "--department",
            department,
            "--fiscal-year",
            year,
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=False,
    )


def test_the_template_command_exits_1_without_a_traceback(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    result = _template(store, "財務課", "2025", out)
    assert result.returncode == 1
    assert "計画にありません" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
    year = _template(store, "財政課", "2030", out)
    assert year.returncode == 1 and "計画期間" in year.stderr and not out.exists()
    made = _template(store, "職員課", "令和7年度", out)
    assert made.returncode == 0, made.stderr
    assert list(_rows(_sheet(out.read_bytes()))) == _plan_items("職員課")


@pytest.mark.parametrize("department", [d.name for d in PLAN.departments if not d.is_catch_all])
def test_every_departments_workbook_imports_every_row(store: Path, department: str) -> None:
    workbook = build_inquiry_workbook(load_snapshot(store), department, 2025)
    assert list(workbook.items) == _plan_items(department)
    assert workbook.items, f"{department} has no items"
    filled = _fill(workbook.data, {no: {"進捗状況": "順調"} for no in workbook.items})
    preview = preview_import(store, [ImportSource(name=workbook.file_name, data=filled)])
    assert preview.ok, preview.problems
    assert sorted(c.key.subject_no for c in preview.changes) == sorted(workbook.items)
    assert preview.count("new") == len(workbook.items)
