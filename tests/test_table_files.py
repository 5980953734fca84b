"""Reading CSV and XLSX files into rows numbered as a spreadsheet shows them."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from typing import Literal

import pytest
from openpyxl import Workbook

from komae_kpi.imports import table_files
from komae_kpi.imports.table_files import read_table

TEXT = "指標,年度,実績値,備考\r\n1,令和7年度,72.9,①速報値（髙橋）\r\n"


def cells(name: str, data: bytes, sheet: str | None = None) -> list[tuple[int, tuple[object, ...]]]:
    table = read_table(name, data, sheet=sheet)
    assert table.problems == ()
    return [(r.number, r.cells) for r in table.rows]


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (TEXT.encode("utf-8"), "CSV（UTF-8）"),
        (TEXT.encode("utf-8-sig"), "CSV（UTF-8（BOM付き））"),
        (TEXT.encode("cp932"), "CSV（Shift_JIS）"),
    ],
)
def test_csv_encodings_are_detected(data: bytes, label: str) -> None:
    table = read_table("実績.csv", data)
    assert table.problems == ()
    assert table.format_label == label
    assert table.sha256 == hashlib.sha256(data).hexdigest()
    assert [r.cells for r in table.rows] == [
        ("指標", "年度", "実績値", "備考"),  # no BOM left in the first header
        ("1", "令和7年度", "72.9", "①速報値（髙橋）"),  # CP932's own characters (① 髙) read too
    ]


def test_the_cp932_sample_is_not_utf8() -> None:
    # Guard for the test above: the CP932 bytes must really need the CP932 path.
    with pytest.raises(UnicodeDecodeError):
        TEXT.encode("cp932").decode("utf-8")


def test_excel_unicode_text_is_utf16_and_tab_separated() -> None:
    data = "指標\t年度\t実績値\r\n1\t2025\t1,234.5\r\n".encode("utf-16")
    table = read_table("実績.txt", data)
    assert table.format_label == "CSV（UTF-16）"
    assert [r.cells for r in table.rows] == [("指標", "年度", "実績値"), ("1", "2025", "1,234.5")]


def test_a_title_line_above_a_tab_separated_table_does_not_hide_the_tabs() -> None:
    # The title holds no tab (and a comma); the table below is tab separated all the same.
    data = "令和7年度 実績値（単位：%、億円）, 速報\n指標\t年度\t実績値\n1\t2025\t72.9\n"
    rows = cells("実績.tsv", data.encode("utf-16"))
    assert rows[1:] == [(2, ("指標", "年度", "実績値")), (3, ("1", "2025", "72.9"))]


def test_row_numbers_count_records_not_lines() -> None:
    # A quoted cell with line breaks is one row in a spreadsheet; blank lines are rows too.
    data = '取組項目,年度,進捗状況,取組実績\n1,2025,順調,"一行目\n二行目"\n\n2,2025,遅れ,x\n'
    rows = cells("s.csv", data.encode())
    assert [(n, c[:1]) for n, c in rows] == [(1, ("取組項目",)), (2, ("1",)), (3, ()), (4, ("2",))]
    assert rows[1][1][3] == "一行目\n二行目"


def test_an_unclosed_quote_at_the_end_is_read_to_the_end() -> None:
    # Python's csv reads an unclosed quote to the end of the file rather than failing.
    rows = cells("s.csv", b'a,b\n1,"x\n')
    assert rows[-1] == (2, ("1", "x\n"))


def test_undecodable_bytes_are_explained() -> None:
    for data in (b"\xff\xff\x81\x7f", b"\xef\xbb\xbf\xff\xfe\xfd", b"\xff\xfe\x41"):
        table = read_table("壊れた.csv", data)
        assert table.rows == ()
        assert table.problems == (
            "壊れた.csv: 文字コードを判別できません。UTF-8またはShift_JISのCSVとして保存してください。",
        ), data


def test_an_euc_jp_csv_is_not_read_as_shift_jis() -> None:
    # CP932 decodes these EUC-JP bytes without an error, as half-width katakana and private-use
    # characters (狛江市 → 「ｹ\uf8f1ｹｾｻﾔ」); no Shift_JIS text holds the latter.
    text = "団体名,年度,値\n狛江市,令和7年度,87.7\n"
    data = text.encode("euc_jp")
    assert "ｹ" in data.decode("cp932")  # the guard: the bytes do decode as Shift_JIS
    table = read_table("他市.csv", data)
    assert table.format_label == "CSV（EUC-JP）"
    assert table.rows[1].cells == ("狛江市", "令和7年度", "87.7")
    # Bytes Shift_JIS refuses outright (0xEF 0xB7) and EUC-JP reads.
    table = read_table("他市.csv", "経常収支比率\n87.7\n".encode("euc_jp"))
    assert (table.format_label, table.rows[0].cells) == ("CSV（EUC-JP）", ("経常収支比率",))


def test_bytes_that_read_as_either_shift_jis_or_euc_jp_are_refused_showing_both() -> None:
    # 「項目」 in EUC-JP is 「ｹ猯ﾜ」 in Shift_JIS, 「区分,年度,値」 is 「ｶ靆ｬ,ﾇｯﾅﾙ,ﾃﾍ」: no byte tells
    # them apart.
    data = "項目\n区分,年度,値\n".encode("euc_jp")
    table = read_table("見通し.csv", data)
    assert table.rows == ()
    assert table.problems == (
        "見通し.csv: 文字コードがShift_JISかEUC-JPか判別できません（1行目がShift_JISでは"
        "「ｹ猯ﾜ」、EUC-JPでは「項目」）。"
        "UTF-8またはShift_JISのCSVとして保存し直してください。",
    )


def test_shift_jis_in_half_width_katakana_that_is_not_euc_jp_stays_shift_jis() -> None:
    data = "ｹｲｼﾞｮｳｼｭｳｼﾋﾘﾂ,ﾈﾝﾄﾞ\n88.0,2025\n".encode("cp932")
    table = read_table("半角.csv", data)
    assert table.format_label == "CSV（Shift_JIS）"
    assert table.rows[0].cells == ("ｹｲｼﾞｮｳｼｭｳｼﾋﾘﾂ", "ﾈﾝﾄﾞ")


def xlsx(**sheets: list[list[object]]) -> bytes:
    book = Workbook()
    first = True
    for title, rows in sheets.items():
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        sheet.title = title
        for row in rows:
            sheet.append(row)
        first = False
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_first_sheet_or_a_named_one() -> None:
    data = xlsx(表紙=[["表紙"]], 照会=[["指標", "年度"], [1, 2025]])
    first = read_table("照会.xlsx", data)
    assert first.format_label == "Excel（シート「表紙」）"
    assert [(r.number, r.cells) for r in first.rows] == [(1, ("表紙",))]
    named = read_table("照会.xlsx", data, sheet="照会")
    assert named.format_label == "Excel（シート「照会」）"
    assert [(r.number, r.cells) for r in named.rows] == [(1, ("指標", "年度")), (2, (1, 2025))]


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_first_sheet_is_not_the_one_read(state: Literal["hidden", "veryHidden"]) -> None:
    # A hidden sheet holding the lists behind 入力規則 (順調・やや遅れ …), as many office workbooks
    # have first: the person sees, fills in and means the first sheet they can see.
    book = Workbook()
    lists = book.active
    assert lists is not None
    lists.title = "リスト"
    for status in ("順調", "やや遅れ", "遅れ"):
        lists.append([status])
    lists.sheet_state = state
    entry = book.create_sheet("入力")
    entry.append(["取組項目", "年度", "進捗状況"])
    entry.append([21, "R7", "順調"])
    buffer = io.BytesIO()
    book.save(buffer)
    table = read_table("照会.xlsx", buffer.getvalue())
    assert table.problems == ()
    assert table.format_label == "Excel（シート「入力」）"
    assert [r.cells for r in table.rows] == [("取組項目", "年度", "進捗状況"), (21, "R7", "順調")]
    # Named, a hidden sheet is still read.
    named = read_table("照会.xlsx", buffer.getvalue(), sheet="リスト")
    assert [r.cells for r in named.rows] == [("順調",), ("やや遅れ",), ("遅れ",)]


def test_xlsx_rows_keep_their_sheet_numbers_and_columns() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["B2"] = "タイトル"
    sheet["B5"] = "指標"
    sheet["C5"] = "年度"
    sheet["B6"] = 1
    sheet["C6"] = "R7"
    buffer = io.BytesIO()
    book.save(buffer)
    # Blank rows are left out; the numbers stay those of the sheet; column A stays column A (a row
    # may end early: the importer reads a missing cell as blank).
    rows = [(n, (*c, None, None, None)[:3]) for n, c in cells("x.xlsx", buffer.getvalue())]
    assert rows == [
        (2, (None, "タイトル", None)),
        (5, (None, "指標", "年度")),
        (6, (None, 1, "R7")),
    ]


def test_a_percentage_cell_reads_as_the_percentage_the_sheet_shows() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["指標", "年度", "実績値"])
    sheet.append([1, 2025, 0.729])
    sheet["C2"].number_format = "0.0%"
    sheet.append([3, 2025, 1.004])
    sheet["C3"].number_format = "0%"
    sheet.append([4, 2025, 22.3])  # not a percentage: the number as it is
    sheet.append([6, 2025, 87.5])
    sheet["C5"].number_format = '0.0"%"'  # shows 87.5% without multiplying: a quoted sign
    buffer = io.BytesIO()
    book.save(buffer)
    values = [r[1][2] for r in cells("x.xlsx", buffer.getvalue())[1:]]
    assert values == ["72.9%", "100.4%", 22.3, 87.5]


def shown_in(column: int, formatted: list[tuple[str, object]]) -> list[object]:
    """What the reader hands over for each value written in the column with its number format,
    one row each under a header."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["指標", "年度", "実績値"])
    for number_format, value in formatted:
        row: list[object] = [4, 2025, 72.9]
        row[column - 1] = value
        sheet.append(row)
        sheet.cell(sheet.max_row, column).number_format = number_format
    buffer = io.BytesIO()
    book.save(buffer)
    return [r[1][column - 1] for r in cells("x.xlsx", buffer.getvalue())[1:]]


def test_a_number_format_that_shows_thousands_reads_as_the_sheet_shows_it() -> None:
    # Finance sheets hold yen and show 千円 by the format's trailing comma (#,##0,): the number
    # read is the one shown, 2,230,000 under 「（単位：千円）」, not the 2,230,000,000 held.
    shown = shown_in(
        3,
        [
            ("#,##0,", 2_230_000_000),
            ('#,##0,,"百万円";[Red]\\-#,##0,,"百万円"', 16_550_000_000),
            ("#,##0,_);(#,##0,)", 1_234_500),
            ("#,##0", 2_230_000),  # a comma between digits only groups them
        ],
    )
    assert shown == ["2230000", "16550百万円", "1234.5", 2_230_000]


def test_a_date_formatted_to_show_its_year_alone_reads_as_that_year() -> None:
    # A 年度 column of dates shown as 2025 or 令和7年: the year the sheet shows (January 2025 is in
    # fiscal 2024, which nobody looking at 「2025」 means). A full date stays a date.
    years = shown_in(
        2,
        [
            ("yyyy", dt.datetime(2025, 1, 1)),
            ('[$-ja-JP]ggge"年"', dt.datetime(2025, 2, 1)),
            ('yyyy"年度"', dt.datetime(2025, 3, 31)),
            ("yyyy/m/d", dt.datetime(2026, 3, 31)),
            # 和暦 dates, which openpyxl hands over as serial numbers.
            ('[$-ja-JP]ggge"年"m"月"d"日"', dt.datetime(2026, 3, 31)),
            ("ge.m.d", dt.datetime(2026, 3, 31)),
            ('G/標準"年度"', 2025),  # a number in Japanese Excel's general format: no date
        ],
    )
    assert years == [2025, 2025, 2025, *[dt.datetime(2026, 3, 31)] * 3, 2025]


def test_a_too_small_declared_sheet_size_does_not_cut_rows() -> None:
    data = xlsx(実績=[["指標", "年度", "実績値"], [1, 2025, 72.9], [4, 2025, 22.3]])
    # Some programs write <dimension ref="A1"/> whatever the sheet holds.
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content, count = re.subn(
                    rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', content
                )
                assert count == 1
            target.writestr(info, content)
    rows = cells("x.xlsx", out.getvalue())
    assert rows == [(1, ("指標", "年度", "実績値")), (2, (1, 2025, 72.9)), (3, (4, 2025, 22.3))]


def _zip(**files: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, text in files.items():
            z.writestr(name.replace("__", "/"), text)
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"not a zip at all",
        b"PK\x03\x04truncated",
        _zip(readme_txt="x"),
        _zip(**{"[Content_Types].xml": "<unclosed"}),
    ],
)
def test_a_damaged_xlsx_is_explained_not_raised(data: bytes) -> None:
    table = read_table("壊れた.xlsx", data)
    assert table.rows == ()
    assert len(table.problems) == 1
    assert table.problems[0].startswith("壊れた.xlsx: Excelファイル（.xlsx）として開けません（")


def test_a_missing_sheet_names_the_sheets_there_are() -> None:
    table = read_table("照会.xlsx", xlsx(表紙=[["x"]], 照会=[["y"]]), sheet="実績")
    assert table.problems == (
        "照会.xlsx: シート「実績」がありません（あるのは「表紙」「照会」）。",
    )


def test_a_csv_has_no_sheets() -> None:
    table = read_table("a.csv", b"a,b\n", sheet="照会")
    assert table.problems == ("a.csv: CSVファイルにはシートがありません。",)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("実績.xls", "実績.xls: 古いExcel形式（.xls）には対応していません。"),
        ("実績.pdf", "実績.pdf: 取り込めるのはCSV（.csv）とExcel（.xlsx）のファイルです。"),
        ("実績", "実績: 取り込めるのはCSV（.csv）とExcel（.xlsx）のファイルです。"),
    ],
)
def test_unsupported_files(name: str, message: str) -> None:
    table = read_table(name, TEXT.encode())
    assert table.rows == ()
    assert len(table.problems) == 1 and table.problems[0].startswith(message)


def test_a_workbook_is_known_by_its_content_not_its_name() -> None:
    # An .xlsx renamed .xls (Excel opens it all the same, after a warning) is read as what it is;
    # an Excel 97-2003 workbook renamed .xlsx is named as the old format, not as a damaged file.
    renamed = read_table("実績.xls", xlsx(実績=[["指標", "年度"], [1, 2025]]))
    assert renamed.problems == ()
    assert renamed.format_label == "Excel（シート「実績」）"
    assert [r.cells for r in renamed.rows] == [("指標", "年度"), (1, 2025)]
    old = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)  # an OLE2 compound file's header
    [problem] = read_table("実績.xlsx", old).problems
    assert problem.startswith("実績.xlsx: 古いExcel形式（.xls）には対応していません。")
    # A workbook with a password to open is an OLE2 file too, holding the encrypted workbook.
    locked = old + "EncryptedPackage".encode("utf-16-le") + bytes(64)
    [problem] = read_table("実績.xlsx", locked).problems
    assert problem.startswith("実績.xlsx: パスワードで保護されたExcelファイルは読めません。")


def test_a_too_large_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table_files, "MAX_FILE_BYTES", 10)
    table = read_table("大きい.csv", TEXT.encode())
    assert table.problems == ("大きい.csv: ファイルが大きすぎます（20MBまで）。",)
