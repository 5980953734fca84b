"""Importing actuals and statuses from CSV/XLSX: accepted forms, every problem at once, nothing
written on a problem, history of what changed, and export → import → export without loss."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
from openpyxl import Workbook, load_workbook

from komae_kpi.cli import main
from komae_kpi.common.errors import StalePreviewError, StoreMissingError, ValidationError
from komae_kpi.common.paths import DB_ENV_VAR, PROJECT_ROOT
from komae_kpi.imports.importer import ImportPreview, ImportSource, apply_import, preview_import
from komae_kpi.judgement.progress import load_snapshot
from komae_kpi.outputs.export import export_open_data
from komae_kpi.outputs.inquiry_workbook import build_inquiry_workbook
from komae_kpi.plan.model import IndicatorValue, ItemStatus
from komae_kpi.store.backups import list_backups
from komae_kpi.store.connection import connect, init_store
from komae_kpi.store.entries import save_indicator_value, save_item_status
from komae_kpi.store.queries import read_indicator_values, read_item_statuses
from komae_kpi.store.record_changes import load_history
from tests.store_helpers import dump

# --- helpers -------------------------------------------------------------------------------------


def src(name: str, content: str | bytes, encoding: str = "utf-8") -> ImportSource:
    return ImportSource(
        name=name, data=content.encode(encoding) if isinstance(content, str) else content
    )


def xlsx(sheets: dict[str, list[list[Any]]]) -> bytes:
    """A workbook with the sheets in order, rows appended from row 1."""
    book = Workbook()
    for index, (title, rows) in enumerate(sheets.items()):
        sheet = book.active if index == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = title
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def values(store: Path) -> dict[tuple[int, int], IndicatorValue]:
    with connect(store, read_only=True) as con:
        return {(v.indicator_no, v.fiscal_year): v for v in read_indicator_values(con)}


def statuses(store: Path) -> dict[tuple[int, int], ItemStatus]:
    with connect(store, read_only=True) as con:
        return {(s.item_no, s.fiscal_year): s for s in read_item_statuses(con)}


def log_count(store: Path) -> int:
    return len(dump(store)["change_log"])


def at(file: str, row: int, column: str, header: str, value: str | None = None) -> str:
    """The start of a problem message: file, row as the sheet shows it, column, offending value."""
    place = f"{file} {row}行目 {column}列「{header}」"
    return f"{place}の「{value}」: " if value is not None else f"{place}: "


def one_problem_starting(preview: ImportPreview, start: str) -> str:
    found = [p for p in preview.problems if p.startswith(start)]
    assert len(found) == 1, (start, preview.problems)
    return found[0]


def refused(store: Path, sources: list[ImportSource], **kwargs: Any) -> ImportPreview:
    """The preview has problems, and applying the same files raises and writes nothing at all."""
    preview = preview_import(store, sources, **kwargs)
    assert preview.problems
    before = dump(store)
    with pytest.raises(ValidationError) as raised:
        apply_import(store, sources, user="取込 太郎", **kwargs)
    assert raised.value.problems == list(preview.problems)
    assert dump(store) == before
    assert list_backups(store) == []  # not even a backup is made for a refused import
    return preview


# --- formats -------------------------------------------------------------------------------------

ACTUALS_JA = (
    "指標,年度,実績値,出典,備考\r\n"
    "1,令和7年度,72.9,市民意識調査,①速報値（髙橋）\r\n"
    "財政調整基金残高,R7,22.3億円,決算書,\r\n"
)


@pytest.mark.parametrize(
    ("encoding", "label"),
    [
        ("utf-8", "CSV（UTF-8）"),
        ("utf-8-sig", "CSV（UTF-8（BOM付き））"),
        ("cp932", "CSV（Shift_JIS）"),
    ],
)
def test_actuals_csv_in_each_encoding(store: Path, encoding: str, label: str) -> None:
    data = ACTUALS_JA.encode(encoding)
    if encoding == "cp932":
        with pytest.raises(UnicodeDecodeError):  # the CP932 path is really taken
            data.decode("utf-8")
    preview = preview_import(store, [src("実績.csv", data)])
    assert preview.ok, preview.problems
    (summary,) = preview.files
    assert (summary.format_label, summary.kind, summary.records) == (label, "indicator_value", 2)
    assert [c.action for c in preview.changes] == ["new", "new"]
    result = apply_import(store, [src("実績.csv", data)], user="財政課 山田")
    assert result.written == 2
    stored = values(store)
    assert stored[(1, 2025)] == IndicatorValue(
        indicator_no=1, fiscal_year=2025, value=72.9, source="市民意識調査", note="①速報値（髙橋）"
    )
    assert stored[(4, 2025)] == IndicatorValue(
        indicator_no=4, fiscal_year=2025, value=22.3, source="決算書", note=None
    )


def test_statuses_csv_in_shift_jis(store: Path) -> None:
    text = (
        "取組項目,年度,進捗状況,取組実績,課題,今後の方向性\r\n"
        '21,令和７年度,順調,"中期財政ビジョンを公表\r\n説明会を2回開催",歳入減,継続\r\n'
        "デジタル人財の育成,2025,やや遅れ,研修を実施（①②）,,\r\n"
    )
    data = text.encode("cp932")
    result = apply_import(store, [src("進捗.csv", data)], user="職員課 佐藤")
    assert result.written == 2
    assert result.preview.files[0].format_label == "CSV（Shift_JIS）"
    assert statuses(store) == {
        (21, 2025): ItemStatus(
            item_no=21,
            fiscal_year=2025,
            status="順調",
            achievements="中期財政ビジョンを公表\r\n説明会を2回開催",
            issues="歳入減",
            next_steps="継続",
        ),
        (8, 2025): ItemStatus(
            item_no=8,
            fiscal_year=2025,
            status="やや遅れ",
            achievements="研修を実施（①②）",
            issues=None,
            next_steps=None,
        ),
    }


def test_xlsx_first_sheet_with_a_title_above_the_header(store: Path) -> None:
    data = xlsx(
        {
            "実績": [
                ["令和7年度 指標の実績値 報告"],
                ["財政課作成"],
                [],
                ["indicator_no", "fiscal_year", "value", "source"],
                [3, 2025, 88.1, "決算カード"],
                [5, "令和7年度", 165.2, None],
            ],
            "別シート": [["指標", "年度", "実績値"], [1, 2025, 10]],
        }
    )
    result = apply_import(store, [src("実績.xlsx", data)])
    assert result.written == 2
    assert result.preview.files[0].format_label == "Excel（シート「実績」）"
    stored = values(store)
    assert stored[(3, 2025)] == IndicatorValue(
        indicator_no=3, fiscal_year=2025, value=88.1, source="決算カード", note=None
    )
    assert stored[(5, 2025)].value == 165.2
    assert (1, 2025) not in stored  # the other sheet is not read


def test_xlsx_named_sheet(store: Path) -> None:
    data = xlsx(
        {
            "表紙": [["進捗状況の報告"], ["提出日", "2026-04-30"]],
            "進捗": [["項目番号", "年度", "進捗状況"], [1, "R7", "完了"], [2, "R7", "見直し"]],
        }
    )
    problem = preview_import(store, [src("報告.xlsx", data)])
    assert problem.problems == (
        "報告.xlsx: 見出し行が見つかりません。1行目（または表の上端）に、「指標・年度・実績値」"
        "または「取組項目・年度・進捗状況」の見出しを置いてください。"
        "Excel（シート「表紙」）を読みました。ほかのシート「進捗」を読むには、"
        "シート名（コマンドでは --sheet）を指定してください。",
    )
    result = apply_import(store, [src("報告.xlsx", data)], sheet="進捗")
    assert result.written == 2
    assert result.preview.files[0].format_label == "Excel（シート「進捗」）"
    assert {k: s.status for k, s in statuses(store).items()} == {
        (1, 2025): "完了",
        (2, 2025): "見直し",
    }


def test_xlsx_percentage_cells_and_problems_name_the_sheets_rows(store: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["B3"] = "指標"
    sheet["C3"] = "年度"
    sheet["D3"] = "実績値"
    sheet.append([None, 1, 2025, 0.729])
    sheet["D4"].number_format = "0.0%"  # typed as 72.9% in Excel, held as 0.729
    sheet.append([None, 4, 2025, 0.5])
    sheet["D5"].number_format = "0%"  # 50% is no amount of money
    buffer = io.BytesIO()
    book.save(buffer)
    preview = preview_import(store, [src("x.xlsx", buffer.getvalue())])
    assert preview.changes[0].after == IndicatorValue(
        indicator_no=1, fiscal_year=2025, value=72.9, source=None, note=None
    )
    assert preview.problems == (
        at("x.xlsx", 5, "D", "実績値", "50%")
        + "単位「%」は指標4（財政調整基金残高）の単位「億円」に合いません（使える単位: 億円・百万円・千円・円）。",
    )


def test_a_tab_separated_utf16_file(store: Path) -> None:
    data = "令和7年度 報告\n指標番号\t年度\t実績値\n8\tR7\t１４．５日\n".encode("utf-16")
    result = apply_import(store, [src("実績.txt", data)])
    assert result.preview.files[0].format_label == "CSV（UTF-16）"
    assert values(store)[(8, 2025)].value == 14.5


# --- headers and the kind of file -------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "year", "value"),
    [
        ("指標", "年度", "実績値"),
        ("指標名", "年度", "値"),
        ("指標番号", "fiscal_year", "value"),
        ("indicator_no", "fiscal_year", "value"),
        ("indicator_no", "年度", "実績値"),
    ],
)
def test_actual_headers_in_japanese_or_english(
    store: Path, subject: str, year: str, value: str
) -> None:
    data = f"{subject},{year},{value}\n6,2025,87.5\n経常収支比率,2025,88.0\n"
    preview = preview_import(store, [src("a.csv", data)])
    assert preview.ok, preview.problems
    assert preview.files[0].kind == "indicator_value"
    assert [c.after for c in preview.changes] == [
        IndicatorValue(indicator_no=6, fiscal_year=2025, value=87.5, source=None, note=None),
        IndicatorValue(indicator_no=3, fiscal_year=2025, value=88.0, source=None, note=None),
    ]


def test_status_headers_in_japanese_and_english(store: Path) -> None:
    english = "item_no,fiscal_year,status,achievements,issues,next_steps\n5,2026,遅れ,a,b,c\n"
    japanese = "項目番号,年度,進捗状況,取組実績,課題,今後の方向性\n6,2026,未着手,d,e,f\n"
    plain = "取組項目,年度,進捗状況\n7,2026,完了\n"
    preview = preview_import(
        store, [src("en.csv", english), src("ja.csv", japanese), src("p.csv", plain)]
    )
    assert preview.ok, preview.problems
    assert [f.kind for f in preview.files] == ["item_status"] * 3
    assert [c.after for c in preview.changes] == [
        ItemStatus(
            item_no=5, fiscal_year=2026, status="遅れ", achievements="a", issues="b", next_steps="c"
        ),
        ItemStatus(
            item_no=6,
            fiscal_year=2026,
            status="未着手",
            achievements="d",
            issues="e",
            next_steps="f",
        ),
        ItemStatus(
            item_no=7,
            fiscal_year=2026,
            status="完了",
            achievements=None,
            issues=None,
            next_steps=None,
        ),
    ]


def test_source_and_note_headers(store: Path) -> None:
    english = "indicator_no,fiscal_year,value,source,note\n1,2025,70,調査,速報\n"
    japanese = "指標,年度,実績値,出典,備考\n2,2025,70,計画,確定\n"
    preview = preview_import(store, [src("en.csv", english), src("ja.csv", japanese)])
    assert [c.after for c in preview.changes] == [
        IndicatorValue(indicator_no=1, fiscal_year=2025, value=70.0, source="調査", note="速報"),
        IndicatorValue(indicator_no=2, fiscal_year=2025, value=70.0, source="計画", note="確定"),
    ]


def test_columns_that_are_not_read_are_listed(store: Path) -> None:
    data = "指標,年度,実績値,担当者,取組実績\n1,2025,70,山田,x\n"
    preview = preview_import(store, [src("a.csv", data)])
    # 取組実績 marks a status file; with 実績値 too, the file is refused (see the bad files below).
    assert not preview.ok
    data = "指標,年度,実績値,担当者,進捗メモ\n1,2025,70,山田,x\n"
    preview = preview_import(store, [src("a.csv", data)])
    assert preview.ok
    assert preview.files[0].ignored_columns == ("D列「担当者」", "E列「進捗メモ」")
    status = "取組項目,年度,進捗状況,備考,出典\n1,2025,順調,x,y\n"
    preview = preview_import(store, [src("s.csv", status)])
    assert preview.ok and preview.files[0].ignored_columns == ("D列「備考」", "E列「出典」")


# --- references --------------------------------------------------------------------------------


def test_items_by_number_name_or_alias(store: Path) -> None:
    data = (
        "取組項目,年度,進捗状況\n"
        "新たな官民連携手法の研究,2025,順調\n"  # item 19's alias (data/plan/items.csv)
        "古文書・文化財保管・展示場所の検討・整備,2025,遅れ\n"  # item 17's name
        "項目56,2025,完了\n"
        "デジタル人財の育成,2025,やや遅れ\n"  # items 8 and 60 share the name: 8
    )
    apply_import(store, [src("s.csv", data)])
    assert {k: s.status for k, s in statuses(store).items()} == {
        (19, 2025): "順調",
        (17, 2025): "遅れ",
        (56, 2025): "完了",
        (8, 2025): "やや遅れ",
    }


def test_number_and_name_columns_must_agree(store: Path) -> None:
    good = "項目番号,取組項目名,年度,進捗状況\n8,デジタル人財の育成,2025,順調\n"
    assert preview_import(store, [src("s.csv", good)]).ok
    bad = "項目番号,取組項目名,年度,進捗状況\n9,デジタル人財の育成,2025,順調\n"
    preview = refused(store, [src("s.csv", bad)])
    assert preview.problems == (
        "s.csv 2行目: A列「項目番号」（取組項目9）とB列「取組項目名」（取組項目8）が別々の取組項目を指しています。",
    )


@pytest.mark.parametrize("cell", ["60", "デジタル人財の育成(再掲)", "デジタル人財の育成（再掲）"])
def test_a_status_for_the_repost_60_is_refused_pointing_to_8(store: Path, cell: str) -> None:
    preview = refused(store, [src("s.csv", f"取組項目,年度,進捗状況\n{cell},2025,順調\n")])
    assert preview.problems == (
        at("s.csv", 2, "A", "取組項目", cell)
        + "取組項目60は取組項目8の再掲です。進捗状況は取組項目8として入力してください。",
    )


# --- fiscal years ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "year"),
    [
        ("2025", 2025),
        ("2025年度", 2025),
        ("令和7年度", 2025),
        ("令和７年度", 2025),
        ("R7", 2025),
        ("令7", 2025),
        ("令和元年度", 2019),
        ("平成30年度", 2018),
        ("平成17年度", 2005),
        ("令和11年度", 2029),
    ],
)
def test_actual_fiscal_years(
    store: Path, cell: str, year: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOMAE_KPI_TODAY", "2030-04-01")  # every year above has ended
    apply_import(store, [src("a.csv", f"指標,年度,実績値\n4,{cell},21.5\n")])
    assert values(store)[(4, year)].value == 21.5


@pytest.mark.parametrize(("cell", "year"), [("令和7年度", 2025), ("R9", 2027), ("2029年度", 2029)])
def test_status_fiscal_years(store: Path, cell: str, year: int) -> None:
    apply_import(store, [src("s.csv", f"取組項目,年度,進捗状況\n1,{cell},順調\n")])
    assert statuses(store)[(1, year)].status == "順調"


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        (
            "2004",
            "年度「2004」は受け付けられる範囲（平成17年度 (2005)〜令和11年度 (2029)）の外です。",
        ),
        (
            "令和12年度",
            "年度「2030」は受け付けられる範囲（平成17年度 (2005)〜令和11年度 (2029)）の外です。",
        ),
    ],
)
def test_actual_years_out_of_range(store: Path, cell: str, reason: str) -> None:
    preview = refused(store, [src("a.csv", f"指標,年度,実績値\n4,{cell},21.5\n")])
    assert preview.problems == (at("a.csv", 2, "B", "年度", cell) + reason,)


@pytest.mark.parametrize(
    ("cell", "year"), [("令和6年度", 2024), ("2030", 2030), ("平成30年度", 2018)]
)
def test_status_years_outside_the_plan_period(store: Path, cell: str, year: int) -> None:
    preview = refused(store, [src("s.csv", f"取組項目,年度,進捗状況\n1,{cell},順調\n")])
    assert preview.problems == (
        at("s.csv", 2, "B", "年度", cell)
        + f"年度「{year}」は計画期間（令和7年度 (2025)〜令和11年度 (2029)）の外です。",
    )


# --- values and units --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("indicator", "cell", "unit", "stored"),
    [
        (1, "７２．９", "", 72.9),
        (1, "72.9%", "", 72.9),
        (1, "７２．９％", "", 72.9),
        (1, "72.9", "%", 72.9),
        (3, "101.2", "", 101.2),  # 経常収支比率 may pass 100% by design
        (5, '"1,234.5"', "", 1234.5),
        (5, '"16,550,000千円"', "", 165.5),
        (5, '"16,550,000"', "千円", 165.5),
        (4, '"2,230百万円"', "", 22.3),
        (4, '"2,230,000,000円"', "", 22.3),
        (4, "22.3億円", "", 22.3),
        (4, "22.3", "億円", 22.3),
        (4, '"２，２３０，０００千円"', "", 22.3),
        (8, "14.5日", "", 14.5),
        (8, "0", "日", 0.0),
    ],
)
def test_values_with_units(
    store: Path, indicator: int, cell: str, unit: str, stored: float
) -> None:
    data = f"指標,年度,実績値,単位\n{indicator},2025,{cell},{unit}\n"
    apply_import(store, [src("a.csv", data)])
    assert values(store)[(indicator, 2025)].value == stored


@pytest.mark.parametrize("sign", ["△", "▲", "-", "−"])
def test_negative_signs_are_read_as_negative(store: Path, sign: str) -> None:
    # No indicator may be negative, so a negative is read (not "unreadable") and then refused.
    preview = refused(store, [src("a.csv", f"指標,年度,実績値\n4,2025,{sign}0.5\n")])
    assert preview.problems == (
        at("a.csv", 2, "C", "実績値", f"{sign}0.5")
        + "指標4（財政調整基金残高）の値「-0.5」はありえない値です（0以上（負の値は不可）で入力してください）。",
    )


# --- every problem of a file, all at once, and nothing written -------------------------------

BAD_ACTUALS = """\
指標,年度,実績値,単位
99,2025,50,
行政の満足度,2025,50,
1,来年度,50,
1,2025,七十,
1,2030,50,
1,2004,50,
1,2025,5億円,
4,2025,5,%
1,2024,100.1,
1,2023,-0.1,
4,2024,△0.5,
8,2024,▲1日,
3,2024,120,
2,2024,,
,2024,50,
6,2024,80,
6,令和6年度,81,
99,来年度,abc,
5,2024,5千円,億円
"""


def test_every_problem_of_an_actuals_file_is_reported_together(store: Path) -> None:
    preview = refused(store, [src("bad.csv", BAD_ACTUALS)])
    f = "bad.csv"
    unknown = "計画にない指標番号です（1〜8）。"
    years = "（平成17年度 (2005)〜令和11年度 (2029)）の外です。"
    share = "指標1（質の高い行政運営が行われていると感じている市民の割合）"
    expected = [
        at(f, 2, "A", "指標", "99") + unknown,
        at(f, 3, "A", "指標", "行政の満足度")
        + "計画にない指標です（番号、または計画に記載の名称で指定してください）。",
        at(f, 4, "B", "年度", "来年度") + "年度として読めません（例: 2025、令和7年度、R7）。",
        at(f, 5, "C", "実績値", "七十")
        + "数値として読めません（例: 87.3、1,234.5、△0.5、22.3億円）。",
        at(f, 6, "B", "年度", "2030") + "年度「2030」は受け付けられる範囲" + years,
        at(f, 7, "B", "年度", "2004") + "年度「2004」は受け付けられる範囲" + years,
        at(f, 8, "C", "実績値", "5億円")
        + f"単位「億円」は{share}の単位「%」に合いません（使える単位: %）。",
        at(f, 9, "D", "単位", "%")
        + "単位「%」は指標4（財政調整基金残高）の単位「億円」に合いません（使える単位: 億円・百万円・千円・円）。",
        at(f, 10, "C", "実績値", "100.1")
        + f"{share}の値「100.1」はありえない値です（0〜100%の範囲で入力してください）。",
        at(f, 11, "C", "実績値", "-0.1")
        + f"{share}の値「-0.1」はありえない値です（0〜100%の範囲で入力してください）。",
        at(f, 12, "C", "実績値", "△0.5")
        + "指標4（財政調整基金残高）の値「-0.5」はありえない値です（0以上（負の値は不可）で入力してください）。",
        at(f, 13, "C", "実績値", "▲1日")
        + "指標8（年次休暇の職員一人当たりの平均取得日数）の値「-1.0」はありえない値です"
        "（0以上（負の値は不可）で入力してください）。",
        # row 14: 経常収支比率 120% is possible; row 15: nothing entered, skipped.
        at(f, 16, "A", "指標") + "空欄です。",
        # rows 17 and 18 are fine one by one, but the same record (see below).
        at(f, 19, "A", "指標", "99") + unknown,
        at(f, 19, "B", "年度", "来年度") + "年度として読めません（例: 2025、令和7年度、R7）。",
        at(f, 19, "C", "実績値", "abc")
        + "数値として読めません（例: 87.3、1,234.5、△0.5、22.3億円）。",
        at(f, 20, "C", "実績値", "5千円")
        + "値に書かれた単位「千円」とD列「単位」の「億円」が違います。",
        "bad.csv 18行目: 同じ記録（指標6（職員の対応に対する市民の満足度）の令和6年度）が"
        "bad.csv 17行目にもあります。1つにしてください。",
    ]
    assert list(preview.problems) == expected
    assert preview.files[0].unreported_rows == (15,)


BAD_STATUSES = """\
取組項目,年度,進捗状況,取組実績
63,2025,順調,
60,2025,順調,
1,2024,順調,
1,令和12年度,順調,
1,2025,良好,
1,2026,,実績だけ書いた
2,2025,順調,
2,R7,遅れ,
3,2025,,
存在しない取組,来年度,だめ,
"""


def test_every_problem_of_a_status_file_is_reported_together(store: Path) -> None:
    preview = refused(store, [src("bad.csv", BAD_STATUSES)])
    f = "bad.csv"
    vocabulary = "（完了・順調・やや遅れ・遅れ・未着手・見直し）にありません。"
    period = "は計画期間（令和7年度 (2025)〜令和11年度 (2029)）の外です。"
    assert list(preview.problems) == [
        at(f, 2, "A", "取組項目", "63") + "計画にない取組項目番号です（1〜62）。",
        at(f, 3, "A", "取組項目", "60")
        + "取組項目60は取組項目8の再掲です。進捗状況は取組項目8として入力してください。",
        at(f, 4, "B", "年度", "2024") + "年度「2024」" + period,
        at(f, 5, "B", "年度", "令和12年度") + "年度「2030」" + period,
        at(f, 6, "C", "進捗状況", "良好") + "進捗状況「良好」は区分" + vocabulary,
        at(f, 7, "C", "進捗状況") + "空欄です。",
        at(f, 11, "A", "取組項目", "存在しない取組")
        + "計画にない取組項目です（番号、または計画に記載の名称で指定してください）。",
        at(f, 11, "B", "年度", "来年度") + "年度として読めません（例: 2025、令和7年度、R7）。",
        at(f, 11, "C", "進捗状況", "だめ") + "進捗状況「だめ」は区分" + vocabulary,
        "bad.csv 9行目: 同じ記録（取組項目2の令和7年度）がbad.csv 8行目にもあります。1つにしてください。",
    ]
    assert preview.files[0].unreported_rows == (10,)


def test_the_same_record_in_two_files(store: Path) -> None:
    first = src("総務課.csv", "取組項目,年度,進捗状況\n1,2025,順調\n2,2025,順調\n")
    second = src(
        "企画課.xlsx", xlsx({"s": [["年度", "取組項目", "進捗状況"], ["令和7年度", 1, "遅れ"]]})
    )
    preview = refused(store, [first, second])
    assert preview.problems == (
        "企画課.xlsx 2行目: 同じ記録（取組項目1の令和7年度）が総務課.csv 2行目にもあります。1つにしてください。",
    )


def test_one_bad_file_stops_the_good_ones_too(store: Path) -> None:
    good = src("good.csv", "指標,年度,実績値\n1,2025,72.9\n")
    bad = src("bad.csv", "取組項目,年度,進捗状況\n1,2025,よい\n")
    preview = refused(store, [good, bad])
    assert len(preview.problems) == 1 and preview.problems[0].startswith("bad.csv 2行目 C列")
    assert (1, 2025) not in values(store)


def test_a_good_and_a_bad_row_write_nothing(store: Path) -> None:
    refused(store, [src("a.csv", "指標,年度,実績値\n1,2025,72.9\n1,2026,101\n")])
    assert (1, 2025) not in values(store)


# --- bad files ---------------------------------------------------------------------------------

HEADER_MISSING = (
    "見出し行が見つかりません。1行目（または表の上端）に、「指標・年度・実績値」または"
    "「取組項目・年度・進捗状況」の見出しを置いてください。"
)


@pytest.mark.parametrize(
    ("name", "content", "sheet", "problems"),
    [
        (
            "実績.pdf",
            b"%PDF-1.4",
            None,
            ["実績.pdf: 取り込めるのはCSV（.csv）とExcel（.xlsx）のファイルです。"],
        ),
        (
            "実績.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            None,
            [
                "実績.xls: 古いExcel形式（.xls）には対応していません。"
                "Excelで「Excel ブック（.xlsx）」として保存し直してください。"
            ],
        ),
        (
            "実績.csv",
            b"\x81\x7f\xff\xff",
            None,
            [
                "実績.csv: 文字コードを判別できません。UTF-8またはShift_JISのCSVとして保存してください。"
            ],
        ),
        (
            "実績.xlsx",
            b"PK\x03\x04 this is not a workbook",
            None,
            [
                "実績.xlsx: Excelファイル（.xlsx）として開けません（ファイルが壊れているか、"
                "別の形式のファイルです。詳細: BadZipFile）。"
            ],
        ),
        (
            "実績.xlsx",
            xlsx({"表紙": [["x"]], "実績": [["指標", "年度", "実績値"]]}),
            "照会",
            ["実績.xlsx: シート「照会」がありません（あるのは「表紙」「実績」）。"],
        ),
        ("実績.csv", "指標のみ\n1,2025,70\n", None, ["実績.csv: " + HEADER_MISSING]),
        ("実績.csv", "", None, ["実績.csv: " + HEADER_MISSING]),
        (
            "実績.csv",
            "指標,年度,実績値,進捗状況\n1,2025,70,順調\n",
            None,
            [
                "実績.csv 1行目（見出し）: 実績値の列と進捗状況の列が両方あります。"
                "指標の実績値と取組項目の進捗状況は別のファイルにしてください。"
            ],
        ),
        (
            "実績.csv",
            "指標,年度,備考\n1,2025,x\n",
            None,
            [
                "実績.csv 1行目（見出し）: 「実績値」（指標の実績値）または「進捗状況」（取組項目）の列がありません。"
            ],
        ),
        (
            "実績.csv",
            "タイトル\n指標,実績値\n1,70\n",
            None,
            ["実績.csv 2行目（見出し）: 年度の列がありません。"],
        ),
        (
            "進捗.csv",
            "年度,取組実績\n2025,x\n",
            None,
            [
                "進捗.csv 1行目（見出し）: 取組項目（項目番号・取組項目名）の列がありません。",
                "進捗.csv 1行目（見出し）: 進捗状況の列がありません。",
            ],
        ),
        (
            "実績.csv",
            "指標,年度,実績値,値\n1,2025,70,71\n",
            None,
            [
                "実績.csv 1行目（見出し）: C列「実績値」とD列「値」がどちらも実績値を表しています。1列にしてください。"
            ],
        ),
        (
            "実績.csv",
            "指標,年度,実績値\n1,2025,\n2,2025,\n",
            None,
            ["取り込む記録がありません（実績値または進捗状況が記入された行がありません）。"],
        ),
    ],
)
def test_bad_files_are_explained_and_write_nothing(
    store: Path, name: str, content: str | bytes, sheet: str | None, problems: list[str]
) -> None:
    preview = refused(store, [src(name, content)], sheet=sheet)
    assert list(preview.problems) == problems


def test_a_corrupt_xlsx_inside_is_explained(store: Path) -> None:
    good = xlsx({"実績": [["指標", "年度", "実績値"], [1, 2025, 70]]})
    broken = good.replace(b"sheet1.xml", b"sheetX.xml")  # the workbook names a missing part
    preview = refused(store, [src("実績.xlsx", broken)])
    (problem,) = preview.problems
    assert problem.startswith("実績.xlsx: Excelファイル（.xlsx）として開けません（")


def test_no_files(store: Path) -> None:
    assert preview_import(store, []).problems == ("取り込むファイルが指定されていません。",)


# --- unreported rows -----------------------------------------------------------------------------


def test_rows_with_a_subject_but_nothing_entered_are_skipped(store: Path) -> None:
    data = (
        "取組項目,年度,進捗状況,取組実績,課題\n"
        "1,2025,順調,,\n"
        "2,2025,,,\n"
        ",,,,\n"
        "3,2025,遅れ,x,\n"
        "4,2025,,\u3000,\n"  # a full-width space is nothing entered
    )
    result = apply_import(store, [src("s.csv", data)])
    assert result.written == 2
    assert result.preview.files[0].unreported_rows == (3, 6)
    assert result.preview.files[0].records == 2
    assert set(statuses(store)) == {(1, 2025), (3, 2025)}


def test_an_untouched_inquiry_workbook_reads_as_unreported_and_a_filled_one_imports(
    store: Path,
) -> None:
    workbook = build_inquiry_workbook(load_snapshot(store), "職員課", 2025)
    assert 8 in workbook.items and 60 not in workbook.items
    untouched = preview_import(store, [src(workbook.file_name, workbook.data)])
    assert len(untouched.files[0].unreported_rows) == len(workbook.items)
    assert untouched.problems == (
        "取り込む記録がありません（実績値または進捗状況が記入された行がありません）。",
    )
    book = load_workbook(io.BytesIO(workbook.data))
    sheet = book["照会"]
    row = next(r for r in range(5, 5 + len(workbook.items)) if sheet.cell(r, 1).value == 8)
    sheet.cell(row, 9).value = "順調"
    sheet.cell(row, 10).value = "=研修を3回実施"  # text, as a person typed it
    sheet.cell(row, 10).data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    result = apply_import(store, [src(workbook.file_name, buffer.getvalue())], user="職員課")
    assert result.written == 1
    assert statuses(store) == {
        (8, 2025): ItemStatus(
            item_no=8,
            fiscal_year=2025,
            status="順調",
            achievements="=研修を3回実施",
            issues=None,
            next_steps=None,
        )
    }
    summary = result.preview.files[0]
    assert "E列「前年度の進捗状況」" in summary.ignored_columns
    assert "C列「推進部署」" in summary.ignored_columns


# --- history, idempotence, replacing ------------------------------------------------------------


def test_the_same_file_again_changes_nothing(store: Path) -> None:
    data = "指標,年度,実績値,出典\n1,2025,72.9,調査\n4,2025,22.3,決算\n"
    status = "取組項目,年度,進捗状況,取組実績\n1,2025,順調,x\n"
    sources = [src("a.csv", data), src("s.csv", status)]
    first = apply_import(store, sources, user="山田")
    assert first.written == 3 and first.backup is not None and first.backup.exists()
    state = dump(store)
    again_preview = preview_import(store, sources)
    assert [c.action for c in again_preview.changes] == ["unchanged"] * 3
    again = apply_import(store, sources, user="佐藤")
    assert (again.written, again.backup) == (0, None)
    assert dump(store) == state  # no record touched, no change_log row, nothing


def test_a_changed_value_replaces_the_old_one_and_both_stay_in_the_history(store: Path) -> None:
    old = "指標,年度,実績値,出典\n1,2025,72.9,速報\n".encode()
    apply_import(store, [src("速報.csv", old)], user="財政課 山田")
    new = "指標,年度,実績値,出典\n1,2025,73.5,確定\n".encode("cp932")
    preview = preview_import(store, [src("確定.csv", new)])
    (change,) = preview.changes
    assert change.action == "changed"
    assert change.before == IndicatorValue(
        indicator_no=1, fiscal_year=2025, value=72.9, source="速報", note=None
    )
    assert change.after == IndicatorValue(
        indicator_no=1, fiscal_year=2025, value=73.5, source="確定", note=None
    )
    assert change.changed_fields() == [("value", 72.9, 73.5), ("source", "速報", "確定")]
    result = apply_import(store, [src("確定.csv", new)], user="財政課 佐藤", expected=preview)
    assert result.written == 1
    assert values(store)[(1, 2025)] == IndicatorValue(
        indicator_no=1, fiscal_year=2025, value=73.5, source="確定", note=None
    )
    history = load_history(store, kind="indicator_value", subject_no=1, fiscal_year=2025)
    latest = [(h.field, h.old_value, h.new_value, h.action) for h in history[:2]]
    assert latest == [("value", "72.9", "73.5", "update"), ("source", "速報", "確定", "update")]
    assert {(h.changed_by, h.method, h.file_name, h.file_sha256) for h in history[:2]} == {
        ("財政課 佐藤", "import", "確定.csv", hashlib.sha256(new).hexdigest())
    }
    first = [(h.field, h.old_value, h.new_value, h.action) for h in history[2:]]
    assert first == [("value", None, "72.9", "insert"), ("source", None, "速報", "insert")]
    assert {(h.changed_by, h.file_name, h.file_sha256) for h in history[2:]} == {
        ("財政課 山田", "速報.csv", hashlib.sha256(old).hexdigest())
    }
    with duckdb.connect(str(store), read_only=True) as con:
        origin = con.execute(
            "SELECT origin, updated_by FROM indicator_values WHERE indicator_no = 1 AND fiscal_year = 2025"
        ).fetchall()
    assert origin == [("user", "財政課 佐藤")]


def test_a_shipped_baseline_is_not_changed_by_an_import(store: Path) -> None:
    # Published figures are facts: test_published_figures has the whole rule.
    shipped = values(store)[(1, 2023)]
    preview = refused(store, [src("訂正.csv", "指標,年度,実績値\n1,令和5年度,71.5\n")])
    assert "は公表値です" in one_problem_starting(preview, at("訂正.csv", 2, "C", "実績値", "71.5"))
    assert values(store)[(1, 2023)] == shipped


# --- absent columns keep, blank columns clear --------------------------------------------------


def test_absent_commentary_columns_keep_the_stored_text(store: Path) -> None:
    save_item_status(
        store, 21, 2025, "順調", achievements="公表", issues="歳入減", next_steps="継続"
    )
    preview = preview_import(store, [src("s.csv", "取組項目,年度,進捗状況\n21,2025,遅れ\n")])
    (change,) = preview.changes
    assert change.changed_fields() == [("status", "順調", "遅れ")]
    apply_import(store, [src("s.csv", "取組項目,年度,進捗状況\n21,2025,遅れ\n")])
    assert statuses(store)[(21, 2025)] == ItemStatus(
        item_no=21,
        fiscal_year=2025,
        status="遅れ",
        achievements="公表",
        issues="歳入減",
        next_steps="継続",
    )


def test_a_present_but_blank_column_clears_the_text(store: Path) -> None:
    save_item_status(
        store, 21, 2025, "順調", achievements="公表", issues="歳入減", next_steps="継続"
    )
    data = "取組項目,年度,進捗状況,課題\n21,2025,順調,\n"
    preview = preview_import(store, [src("s.csv", data)])
    (change,) = preview.changes
    assert change.action == "changed"
    assert change.changed_fields() == [("issues", "歳入減", None)]
    apply_import(store, [src("s.csv", data)])
    assert statuses(store)[(21, 2025)] == ItemStatus(
        item_no=21,
        fiscal_year=2025,
        status="順調",
        achievements="公表",
        issues=None,
        next_steps="継続",
    )


def test_source_and_note_are_kept_or_cleared_the_same_way(store: Path) -> None:
    save_indicator_value(store, 4, 2025, 22.0, source="決算書", note="見込み")
    kept = preview_import(store, [src("a.csv", "指標,年度,実績値\n4,2025,22.5\n")])
    assert kept.changes[0].after == IndicatorValue(
        indicator_no=4, fiscal_year=2025, value=22.5, source="決算書", note="見込み"
    )
    cleared = preview_import(store, [src("a.csv", "指標,年度,実績値,備考\n4,2025,22.0,\n")])
    assert cleared.changes[0].changed_fields() == [("note", "見込み", None)]


# --- the preview the person saw ----------------------------------------------------------------


def test_a_preview_that_no_longer_matches_the_store_is_refused(store: Path) -> None:
    sources = [src("a.csv", "指標,年度,実績値\n1,2025,72.9\n")]
    preview = preview_import(store, sources)
    assert preview.changes[0].action == "new"
    save_indicator_value(store, 1, 2025, 70.0, user="別の人")  # someone saves meanwhile
    before = dump(store)
    with pytest.raises(StalePreviewError) as raised:
        apply_import(store, sources, expected=preview)
    assert "何も書き込んでいません" in str(raised.value)
    assert dump(store) == before
    assert list_backups(store) == []


def test_a_change_to_another_record_does_not_make_the_preview_stale(store: Path) -> None:
    sources = [src("a.csv", "指標,年度,実績値\n1,2025,72.9\n")]
    preview = preview_import(store, sources)
    save_indicator_value(store, 2, 2025, 70.0)
    assert apply_import(store, sources, expected=preview).written == 1


# --- export → import → export ------------------------------------------------------------------

TRICKY = [
    "=SUM(A1:A9)",
    "+81-3-3430-1111",
    "-前年度比で減少",
    "@市民課",
    "\t字下げ",
    "複数行の\n取組実績、カンマ,も\r\n含む",
    '"引用符"を含む',
]


def _fill(store: Path) -> None:
    save_indicator_value(store, 1, 2025, 72.9, source=TRICKY[0], note=TRICKY[5])
    save_indicator_value(store, 4, 2025, 21.47, source=TRICKY[1], note=TRICKY[3])
    save_indicator_value(store, 5, 2024, 166.123456789, source="決算", note=None)
    save_indicator_value(store, 8, 2025, 0.0)
    save_item_status(
        store, 21, 2025, "順調", achievements=TRICKY[2], issues=TRICKY[4], next_steps=TRICKY[6]
    )
    save_item_status(store, 8, 2025, "やや遅れ", achievements=TRICKY[5], next_steps=TRICKY[3])
    save_item_status(store, 62, 2029, "見直し")


def _export(store: Path, out: Path) -> dict[str, bytes]:
    export_open_data(load_snapshot(store), out)
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_export_import_export_is_identical(store: Path, tmp_path: Path) -> None:
    _fill(store)
    first = _export(store, tmp_path / "first")
    assert b"'=SUM" in first["indicator_values.csv"]  # the guard is really there to be removed
    files = [src(name, first[name]) for name in ("indicator_values.csv", "item_statuses.csv")]
    preview = preview_import(store, files)
    assert preview.ok, preview.problems
    assert (preview.count("new"), preview.count("changed")) == (0, 0)
    assert preview.count("unchanged") == len(values(store)) + len(statuses(store))
    assert apply_import(store, files).written == 0
    assert _export(store, tmp_path / "second") == first

    # Into a fresh store: what it then exports is what the first store exported.
    other = tmp_path / "other.duckdb"
    init_store(other)
    result = apply_import(other, files, user="移行")
    assert result.written == 7  # the entered records; the shipped values are unchanged
    assert statuses(other) == statuses(store)
    assert values(other) == values(store)
    assert _export(other, tmp_path / "third") == first


# --- the command line ---------------------------------------------------------------------------


def test_cli_import_writes_with_the_user_and_reports(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "実績.csv"
    file.write_bytes("指標,年度,実績値\n1,令和7年度,72.9\n".encode("cp932"))
    assert main(["import", str(file), "--db", str(store), "--user", "財政課 山田"]) == 0
    out = capsys.readouterr().out
    assert "実績.csv（CSV（Shift_JIS）、指標の実績値）: 1件を読みました。" in out
    assert "新規 1件、変更 0件、変更なし 0件" in out
    assert "1件を取り込みました" in out
    assert values(store)[(1, 2025)].value == 72.9
    (entry,) = load_history(store, kind="indicator_value", subject_no=1, fiscal_year=2025)
    assert (entry.changed_by, entry.method, entry.file_name) == (
        "財政課 山田",
        "import",
        "実績.csv",
    )
    assert main(["import", str(file), "--db", str(store)]) == 0
    assert "変更はありません" in capsys.readouterr().out


def test_cli_dry_run_writes_nothing(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "進捗.xlsx"
    file.write_bytes(
        xlsx({"表紙": [["x"]], "進捗": [["項目番号", "年度", "進捗状況"], [1, "R7", "完了"]]})
    )
    before = dump(store)
    assert main(["import", str(file), "--db", str(store), "--sheet", "進捗", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "新規 1件" in out and "書き込んでいません" in out
    assert dump(store) == before
    assert main(["import", str(file), "--db", str(store), "--sheet", "進捗"]) == 0
    assert statuses(store)[(1, 2025)].status == "完了"


def test_cli_refuses_a_bad_file_with_every_problem_and_exit_1(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.csv"
    good.write_text("指標,年度,実績値\n1,2025,72.9\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_STATUSES, encoding="utf-8")
    before = dump(store)
    assert main(["import", str(good), str(bad), "--db", str(store)]) == 1
    err = capsys.readouterr().err
    assert "問題が10件あるため、取り込みませんでした（ストアは変更していません）" in err
    assert at("bad.csv", 6, "C", "進捗状況", "良好") in err
    assert "bad.csv 9行目: 同じ記録" in err
    assert dump(store) == before


def test_cli_in_a_real_process_exits_1_without_a_traceback(store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_ACTUALS, encoding="utf-8")
    before = dump(store)
    env = {k: v for k, v in os.environ.items() if k != DB_ENV_VAR}
    result = subprocess.run(
        [sys.executable, "-m", "komae_kpi", "import", str(bad), "--db", str(store)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert at("bad.csv", 2, "A", "指標", "99") in result.stderr
    assert dump(store) == before


def test_cli_missing_file_is_explained(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = dump(store)
    assert main(["import", str(tmp_path / "ない.csv"), "--db", str(store)]) == 1
    assert "ない.csv" in capsys.readouterr().err
    assert dump(store) == before


def test_importing_into_a_missing_store_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.duckdb"
    source = ImportSource(name="a.csv", data="指標,年度,実績値\n3,2025,89\n".encode())
    with pytest.raises(StoreMissingError):
        apply_import(missing, [source])
    assert not missing.exists()


# --- units stated outside the cell ---------------------------------------------------------------


def test_a_unit_in_the_value_header_applies_to_its_column(store: Path) -> None:
    csv = '指標,年度,実績値（千円）\n財政調整基金残高,R7,"2,230,000"\n市債残高,R7,16550000\n'
    result = apply_import(store, [src("千円.csv", csv)])
    assert result.written == 2
    assert values(store)[(4, 2025)].value == 22.3
    assert values(store)[(5, 2025)].value == 165.5
    percent = "指標番号,年度,実績値(％)\n1,2025,72.9\n"
    assert apply_import(store, [src("率.csv", percent)]).written == 1
    assert values(store)[(1, 2025)].value == 72.9


def test_a_unit_line_above_the_table_applies_to_its_values(store: Path) -> None:
    title = "財政指標の実績,,\r\n（単位：千円）,,\r\n指標,年度,実績値\r\n"
    # A cell that names another unit than the table's is ambiguous: refused, not guessed.
    mixed = title + "市債残高,令和7年度,165.2億円\r\n"
    preview = refused(store, [src("財政課2.csv", mixed, "cp932")])
    assert preview.problems == (
        at("財政課2.csv", 4, "C", "実績値", "165.2億円")
        + "値に書かれた単位「億円」と表の上の「単位」の「千円」が違います。",
    )
    csv = title + '財政調整基金残高,令和7年度,"2,150,000"\r\n'
    assert apply_import(store, [src("財政課.csv", csv, "cp932")]).written == 1
    assert values(store)[(4, 2025)].value == 21.5


def test_a_line_of_units_under_the_header_is_part_of_it(store: Path) -> None:
    # A two-row header as finance sheets make it: the names merged down over two rows, the unit
    # of the values under 実績値.
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["指標", "年度", "実績値", "備考"])
    sheet.append([None, None, "（千円）", None])
    sheet.append(["財政調整基金残高", "R7", 2_230_000, "決算"])
    for column in "ABD":
        sheet.merge_cells(f"{column}1:{column}2")
    buffer = io.BytesIO()
    book.save(buffer)
    assert apply_import(store, [src("二段.xlsx", buffer.getvalue())]).written == 1
    assert values(store)[(4, 2025)].value == 22.3
    csv = "指標番号,年度,実績値\r\n,,(単位:％)\r\n1,2025,72.9\r\n"
    assert apply_import(store, [src("二段.csv", csv, "cp932")]).written == 1
    assert values(store)[(1, 2025)].value == 72.9


def test_a_unit_under_the_header_contradicting_the_headers_own_is_refused(store: Path) -> None:
    both = "指標,年度,実績値（千円）\r\n,,（百万円）\r\n財政調整基金残高,R7,2230\r\n"
    preview = refused(store, [src("二段2.csv", both, "cp932")])
    assert preview.problems == (
        "二段2.csv 2行目 C列「実績値（千円）」の「（百万円）」: "
        "見出しの単位「千円」と違います。単位は1か所に書いてください。",
    )


def test_a_written_unit_that_contradicts_the_header_is_refused(store: Path) -> None:
    csv = "指標,年度,実績値（千円）\n4,2025,22.3億円\n"
    preview = refused(store, [src("矛盾.csv", csv)])
    assert preview.problems == (
        at("矛盾.csv", 2, "C", "実績値（千円）", "22.3億円")
        + "値に書かれた単位「億円」とC列「実績値（千円）」の「千円」が違います。",
    )


def test_a_thousand_yen_figure_without_its_unit_is_refused_not_stored_as_oku(store: Path) -> None:
    csv = '指標,年度,実績値\n財政調整基金残高,令和7年度,"2,230,000"\n'
    preview = refused(store, [src("単位なし.csv", csv)])
    [problem] = preview.problems
    assert problem.startswith(at("単位なし.csv", 2, "C", "実績値", "2,230,000"))
    assert "100倍を超えます" in problem and "千円" in problem


@pytest.mark.parametrize(
    ("above", "indicator", "held", "number_format", "key", "expected"),
    [
        # The unit is part of what the sheet shows: 16,550,000千円.
        ([], "市債残高", 16_550_000, '#,##0"千円"', (5, 2025), 165.5),
        # The cell holds yen; #,##0, shows it in 千円, as the line above the table says.
        (["（単位：千円）"], "財政調整基金残高", 2_230_000_000, "#,##0,", (4, 2025), 22.3),
    ],
)
def test_an_xlsx_number_format_is_read_as_the_sheet_shows_it(
    store: Path,
    above: list[str],
    indicator: str,
    held: int,
    number_format: str,
    key: tuple[int, int],
    expected: float,
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if above:
        sheet.append(above)
    sheet.append(["指標", "年度", "実績値"])
    sheet.append([indicator, 2025, held])
    sheet.cell(sheet.max_row, 3).number_format = number_format
    buffer = io.BytesIO()
    book.save(buffer)
    assert apply_import(store, [src("書式.xlsx", buffer.getvalue())]).written == 1
    assert values(store)[key].value == expected


def test_a_date_in_the_year_column_means_its_fiscal_year(store: Path) -> None:
    import datetime as dt

    data = xlsx({"実績": [["指標", "年度", "実績値"], [3, dt.datetime(2026, 3, 31), 89.0]]})
    assert apply_import(store, [src("日付.xlsx", data)]).written == 1
    assert values(store)[(3, 2025)].value == 89.0  # 31 March 2026 is in 令和7年度


def test_control_characters_are_refused_and_never_echoed(store: Path) -> None:
    csv = '項目番号,年度,進捗状況,取組実績\n21,R7,順調,"\x1b[2J偽の表示"\n'
    preview = refused(store, [src("制御.csv", csv)])
    [problem] = preview.problems
    assert problem.startswith(at("制御.csv", 2, "D", "取組実績", "�[2J偽の表示"))
    assert "制御文字" in problem and "\x1b" not in problem


def test_a_formula_without_a_saved_result_is_named_not_read_as_blank(store: Path) -> None:
    # openpyxl writes formulas without results, as any program that never ran Excel would.
    data = xlsx({"実績": [["指標", "年度", "実績値", "備考"], [3, 2025, "=88+1", '="速報"']]})
    preview = refused(store, [src("数式.xlsx", data)])
    assert preview.problems == (
        "数式.xlsx 2行目 C列「実績値」の数式「=88+1」: 計算結果がファイルに保存されていません。"
        "Excelで開いて保存し直すか、値として貼り付けてください。",
        '数式.xlsx 2行目 D列「備考」の数式「="速報"」: 計算結果がファイルに保存されていません。'
        "Excelで開いて保存し直すか、値として貼り付けてください。",
    )
