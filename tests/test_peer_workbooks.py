"""Reading the ministry's 主要財政指標一覧 workbooks: the seven real years, and older layouts built here."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from openpyxl import Workbook

from komae_kpi.common.errors import ValidationError
from komae_kpi.imports.import_cells import CellError
from komae_kpi.imports.peer_workbooks import (
    AVERAGE_NAME,
    NATIONAL,
    PeerRow,
    PeerWorkbook,
    check_digit,
    fiscal_year_of,
    header_key,
    read_code,
    read_peer_workbook,
    read_value,
)
from komae_kpi.store.peers import PEER_INDICATORS
from tests.conftest import SHARED_DIR, shared_file

PEERS_DIR = SHARED_DIR / "data" / "soumu-shuyo-zaisei-shihyo"
YEARS = {"H27": 2015, "H28": 2016, "H29": 2017, "H30": 2018, "R1": 2019, "R2": 2020, "R3": 2021}
SUFFIX = {"H27": ".xls"}
FIVE = ("財政力指数", "経常収支比率", "実質公債費比率", "将来負担比率", "ラスパイレス指数")


def shared_workbook(folder: str, era: str) -> tuple[str, bytes]:
    path = shared_file(PEERS_DIR / folder / f"{era}{SUFFIX.get(era, '.xlsx')}")
    return path.name, path.read_bytes()


def by_entity(workbook: PeerWorkbook) -> dict[tuple[str, str], PeerRow]:
    return {(r.prefecture, r.name): r for r in workbook.rows}


def values(*numbers: float | None) -> dict[str, float | None]:
    return dict(zip(FIVE, numbers, strict=True))


# Read by hand from the files (row 669 狛江市, 655 武蔵野市, 1743 与那国町, the 全国市町村平均 at the
# bottom of each city workbook, and row 15 東京都 of each prefecture workbook). A dash is None.
HAND_READ: dict[str, dict[str, dict[str, float | None]]] = {
    "H27": {
        "狛江市": values(0.86, 88.8, 3.9, 28.4, 101.4),
        "武蔵野市": values(1.44, 80.8, -0.8, None, 104.0),
        "与那国町": values(0.13, 81.7, 6.4, None, 82.2),
        "東京都": values(0.74, 88.1, -1.4, None, None),
        "全国": values(0.5, 90.0, 7.4, 38.9, None),
    },
    "H28": {
        "狛江市": values(0.88, 90.1, 3.0, 23.5, 101.8),
        "武蔵野市": values(1.49, 80.8, -1.0, None, 103.6),
        "与那国町": values(0.13, 74.9, 5.4, None, 82.6),
        "東京都": values(0.76, 91.1, -1.7, None, None),
        "全国": values(0.5, 92.5, 6.9, 34.5, None),
    },
    "H29": {
        "狛江市": values(0.89, 91.2, 2.5, 17.9, 102.4),
        "武蔵野市": values(1.51, 82.1, -0.7, None, 103.2),
        "与那国町": values(0.14, 76.9, 4.7, None, 84.6),
        "東京都": values(0.77, 90.8, -2.0, None, None),
        "全国": values(0.51, 92.8, 6.4, 33.7, None),
    },
    "H30": {
        "狛江市": values(0.89, 91.3, 2.0, 14.3, 101.2),
        "武蔵野市": values(1.52, 84.2, -0.4, None, 102.0),
        "与那国町": values(0.14, 84.9, 5.4, None, 82.3),
        "東京都": values(0.76, 91.8, -2.2, None, None),
        "全国": values(0.51, 93.0, 6.1, 28.9, None),
    },
    "R1": {
        "狛江市": values(0.88, 92.7, 1.9, 10.1, 100.4),
        "武蔵野市": values(1.52, 84.3, -0.4, None, 101.1),
        "与那国町": values(0.15, 85.0, 6.3, None, 84.5),
        "東京都": values(0.76, 92.0, -2.3, None, None),
        "全国": values(0.51, 93.6, 5.829, 27.4, None),
    },
    "R2": {
        "狛江市": values(0.88, 89.7, 1.7, 6.3, 99.5),
        "武蔵野市": values(1.52, 84.2, -0.7, None, 101.0),
        "与那国町": values(0.15, 85.3, 6.6, None, 83.4),
        "東京都": values(0.76, 90.5, -2.2, None, None),
        "全国": values(0.51, 93.1, 5.7, 24.9, None),
    },
    "R3": {
        "狛江市": values(0.86, 87.7, 1.4, None, 99.0),
        "武蔵野市": values(1.48, 84.2, -1.1, None, 100.8),
        "与那国町": values(0.15, 86.5, 7.1, None, 84.5),
        "東京都": values(0.74, 87.6, -2.1, None, None),
        "全国": values(0.5, 88.9, 5.5, 15.4, None),
    },
}


@pytest.mark.parametrize("era", list(YEARS))
def test_the_city_workbooks_read_every_municipality(era: str) -> None:
    name, data = shared_workbook("city", era)
    workbook = read_peer_workbook(name, data)
    assert workbook.kind == "city"
    assert workbook.fiscal_year == YEARS[era]
    assert workbook.file_name == name
    assert workbook.sheet.strip() == "全市町村の主要財政指標"
    assert workbook.indicators == FIVE
    municipalities = [r for r in workbook.rows if r.name != AVERAGE_NAME]
    assert len(municipalities) == 1741
    assert len(workbook.rows) == 1742  # and the 全国市町村平均 at the bottom
    assert all(r.code is not None and len(r.code) == 6 and r.code.isdigit() for r in municipalities)
    assert len({r.code for r in municipalities}) == 1741
    assert workbook.rows[0].code == "011002"  # text in the file: its leading 0 is kept
    assert workbook.rows[0].row_number == 3

    rows = by_entity(workbook)
    hand = HAND_READ[era]
    komae = rows[("東京都", "狛江市")]
    assert (komae.code, komae.row_number) == ("132195", 669)
    assert komae.values == hand["狛江市"]
    assert rows[("東京都", "武蔵野市")].code == "132039"
    assert rows[("東京都", "武蔵野市")].values == hand["武蔵野市"]
    assert rows[("沖縄県", "与那国町")].code == "473821"
    assert rows[("沖縄県", "与那国町")].values == hand["与那国町"]
    national = workbook.rows[-1]
    assert (national.prefecture, national.name, national.code) == (NATIONAL, AVERAGE_NAME, None)
    assert national.row_number == 1744
    assert national.values == hand["全国"]


@pytest.mark.parametrize("era", list(YEARS))
def test_the_prefecture_workbooks_read_47_averages_and_the_national_one(era: str) -> None:
    name, data = shared_workbook("prefecturemean", era)
    workbook = read_peer_workbook(name, data)
    assert workbook.kind == "prefecture_average"
    assert workbook.fiscal_year == YEARS[era]
    assert workbook.indicators == FIVE
    assert len(workbook.rows) == 48
    assert all(r.name == AVERAGE_NAME and r.code is None for r in workbook.rows)
    prefectures = [r.prefecture for r in workbook.rows]
    assert prefectures[0] == "北海道"
    assert prefectures[-1] == NATIONAL
    assert len(set(prefectures)) == 48
    tokyo = by_entity(workbook)[("東京都", AVERAGE_NAME)]
    assert tokyo.row_number == 15
    assert tokyo.values == HAND_READ[era]["東京都"]  # a negative 実質公債費比率 and two dashes
    assert workbook.rows[-1].values == HAND_READ[era]["全国"]


def test_the_national_average_of_r1_keeps_its_three_decimals() -> None:
    for folder in ("city", "prefecturemean"):
        workbook = read_peer_workbook(*shared_workbook(folder, "R1"))
        assert by_entity(workbook)[(NATIONAL, AVERAGE_NAME)].values["実質公債費比率"] == 5.829


def test_the_year_comes_from_the_title_when_the_file_name_has_none() -> None:
    _, r3 = shared_workbook("city", "R3")  # 「全市町村の主要財政指標（令和３年度）」
    assert read_peer_workbook("download.xlsx", r3).fiscal_year == 2021
    _, h30 = shared_workbook("prefecturemean", "H30")  # 「…（平成30年度決算）」
    assert read_peer_workbook("000624107.xlsx", h30).fiscal_year == 2018
    _, r1 = shared_workbook("prefecturemean", "R1")  # 「…（令和元年度決算）」
    assert read_peer_workbook("mean.xlsx", r1).fiscal_year == 2019


def test_a_title_and_a_file_name_that_disagree_are_refused() -> None:
    _, r3 = shared_workbook("city", "R3")
    with pytest.raises(ValidationError) as caught:
        read_peer_workbook("R2.xlsx", r3)
    assert caught.value.problems == [
        "R2.xlsx: 見出しの年度（令和3年度 (2021)）とファイル名の年度（令和2年度 (2020)）が"
        "一致しません。正しい年度のファイルか確かめてください。"
    ]
    with pytest.raises(ValidationError, match=r"指定された年度（令和2年度 \(2020\)）"):
        read_peer_workbook("download.xlsx", r3, fiscal_year=2020)


def test_a_workbook_without_a_year_needs_the_one_given() -> None:
    _, h27 = shared_workbook("city", "H27")  # the title names no year
    with pytest.raises(ValidationError, match="--fiscal-year で年度を指定してください"):
        read_peer_workbook("download.xls", h27)
    assert read_peer_workbook("download.xls", h27, fiscal_year=2015).fiscal_year == 2015


# --- fiscal years --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("全市町村の主要財政指標（令和３年度）", 2021),
        ("市町村主要財政指標の都道府県別平均（平成30年度決算）", 2018),
        ("市町村主要財政指標の都道府県別平均（令和元年度決算）", 2019),
        ("全市町村の主要財政指標\n（平成１７年度）", 2005),
        ("主要財政指標一覧（2008年度）", 2008),
        # ラスパイレス指数 is of 1 April of the next year: a date, not the fiscal year.
        ("全市町村の主要財政指標（平成18年度決算）ラスパイレス指数は平成19年4月1日現在", 2006),
        # One year written both ways, as the city's own documents write years.
        ("全市町村の主要財政指標（令和3(2021)年度決算）", 2021),
        ("全市町村の主要財政指標 2021（令和３）年度", 2021),
    ],
)
def test_the_title_names_the_year(title: str, expected: int) -> None:
    assert fiscal_year_of(title, "download.xlsx", None) == expected


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        ("H17_shihyo.xlsx", 2005),
        ("R3.xlsx", 2021),
        ("r01_city.xlsx", 2019),
        ("city_H27.xls", 2015),
        ("平成17年度_全市町村.xls", 2005),
        ("令和3年度主要財政指標.xlsx", 2021),
        ("令和元年度.xlsx", 2019),
        ("2005.xls", 2005),
        ("2005_city.xls", 2005),
        ("shihyo-2010.xlsx", 2010),
        ("data/peers/H20.xls", 2008),
    ],
)
def test_the_file_name_names_the_year(file_name: str, expected: int) -> None:
    assert fiscal_year_of("全市町村の主要財政指標", file_name, None) == expected
    assert fiscal_year_of(None, file_name, expected) == expected


@pytest.mark.parametrize(
    "file_name", ["000678231.xls", "shihyo.xlsx", "city20051.xlsx", "CH17.xls"]
)
def test_numbers_that_are_not_years_are_not_read_as_years(file_name: str) -> None:
    assert fiscal_year_of(None, file_name, 2012) == 2012
    with pytest.raises(ValidationError, match="年度が分かりません"):
        fiscal_year_of(None, file_name, None)


def test_a_title_whose_two_forms_of_the_year_disagree_is_refused() -> None:
    with pytest.raises(ValidationError, match="複数の年度"):
        fiscal_year_of("全市町村の主要財政指標（令和3(2020)年度決算）", "download.xlsx", None)


def test_years_that_disagree_are_refused_naming_both() -> None:
    with pytest.raises(
        ValidationError, match=r"ファイル名の年度（平成17年度 \(2005\)）と指定された年度"
    ):
        fiscal_year_of(None, "H17.xls", 2006)
    with pytest.raises(ValidationError, match="ファイル名に複数の年度"):
        fiscal_year_of(None, "H17_2006.xls", None)
    assert fiscal_year_of("（平成17年度）", "H17_2005.xls", 2005) == 2005


# --- cells ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (91.6, 91.6),
        (100, 100.0),
        ("91.6", 91.6),
        ("９１．６", 91.6),
        ("1,234.5", 1234.5),
        ("△1.2", -1.2),
        ("▲1.2", -1.2),
        ("-0.3", -0.3),
        ("－0.3", -0.3),
        ("−0.3", -0.3),
        (" 88.8 ", 88.8),
        ("88.8%", 88.8),
        (-2.3, -2.3),
        (0, 0.0),
        ("0.0", 0.0),
        ("-", None),
        ("－", None),
        ("―", None),
        ("‐", None),
        ("ー", None),
        ("…", None),
        ("***", None),
        ("", None),
        ("　", None),
        (None, None),
    ],
)
def test_values_are_numbers_or_not_computed(cell: object, expected: float | None) -> None:
    assert read_value(cell) == expected


@pytest.mark.parametrize("cell", ["abc", "12..3", "1.2.3", "△", "91.6億円", True])
def test_other_cells_are_not_values(cell: object) -> None:
    with pytest.raises(CellError, match="数値として読めません"):
        read_value(cell)


@pytest.mark.parametrize(
    ("cell", "prefecture", "expected"),
    [
        ("132195", "東京都", "132195"),
        (132195.0, "東京都", "132195"),
        (132195, None, "132195"),
        ("１３２１９５", "東京都", "132195"),
        (11002.0, "北海道", "011002"),  # Excel dropped the leading 0
        (11002, None, "011002"),
        ("13219", "東京都", "132195"),  # a 5-digit code without its check digit
        (13219, None, "132195"),
        (1100, "北海道", "011002"),
        (
            "11002",
            "埼玉県",
            "110027",
        ),  # 埼玉県 is 11: the same digits as a code without check digit
    ],
)
def test_codes_are_six_digit_text(cell: object, prefecture: str | None, expected: str) -> None:
    assert read_code(cell, prefecture) == expected


@pytest.mark.parametrize(("cell", "prefecture"), [("13-2195", None), ("123", None), (1.5, None)])
def test_a_code_that_is_not_one_is_a_problem(cell: object, prefecture: str | None) -> None:
    with pytest.raises(CellError, match="団体コードとして読めません"):
        read_code(cell, prefecture)


def test_the_check_digit_is_jis_x_0402s() -> None:
    assert check_digit("13219") == 5
    assert check_digit("01100") == 2
    assert check_digit("47382") == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("経常収支\n比率", "経常収支比率"),
        ("財政力　指数", "財政力指数"),
        ("ラスパイレス指数（参考値）", "ラスパイレス指数参考値"),
        ("経常収支比率(％)", "経常収支比率"),
        ("実質公債費比率※1", "実質公債費比率"),
        ("団 体 名", "団体名"),
    ],
)
def test_header_cells_are_compared_without_spaces_brackets_and_units(
    header: str, expected: str
) -> None:
    assert header_key(header) == expected


# --- older and different layouts, built here -----------------------------------------------------


def xlsx(
    rows: Sequence[Sequence[object]],
    *,
    sheet: str = "Sheet1",
    merges: Sequence[str] = (),
    sheets_before: Sequence[Sequence[Sequence[object]]] = (),
) -> bytes:
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    for number, other in enumerate(sheets_before, start=1):
        notes = workbook.create_sheet(f"注意{number}")
        for row in other:
            notes.append(list(row))
    worksheet = workbook.create_sheet(sheet)
    for row in rows:
        worksheet.append(list(row))
    for cells in merges:
        worksheet.merge_cells(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# FY2005-style: no 団体コード, 起債制限比率, ラスパイレス指数 over 参考値 in a two-row header, columns in
# another order, text numbers, names padded with 全角 spaces, blank rows and footnotes.
OLD_CITY: list[list[object]] = [
    ["全市町村の主要財政指標"],
    [],
    [
        "都道府県名",
        "団体名",
        "経常収支\n比率",
        "財政力　指数",
        "起債制限比率",
        "実質公債費\n比率",
        "ラスパイレス指数",
        None,
    ],
    [None, None, None, None, None, None, None, "参考値"],
    ["北　海　道", "札　幌　市", "９１．６", 0.69, "12.3", "15.1", 100.2, "99.8"],
    ["北海道", "夕張市", "125.6", "0.19", "22.4", "△1.2", "―", None],
    [],
    ["東京都", "狛江市", 88.8, 0.85, "5.0", "－0.3", 101.4, "…"],
    ["東京都", "武蔵野市", "80.8", "1.50", "-", "-2.5", "104", "***"],
    ["沖縄県", "与那国町", "81.7", 0.13, "－", "6.4", "82.2", "－"],
    ["全国市町村平均", None, "90.0", "0.5", "11.2", "12.1", "－", None],
    [],
    ["注1　起債制限比率は、平成17年度の数値である。"],
    ["（注２）ラスパイレス指数の参考値は、…"],
    ["※ 数値は速報値である。", None, None, None, "12.0"],
    ["出典：総務省"],
    [None, "２　東京都特別区を除く。"],
]


def old_city_expected() -> list[tuple[int, str, str, dict[str, float | None]]]:
    def v(
        kei: float | None, zai: float | None, ki: float | None, jitsu: float | None,
        ras: float | None, ref: float | None,
    ) -> dict[str, float | None]:  # fmt: skip
        return {
            "財政力指数": zai,
            "経常収支比率": kei,
            "実質公債費比率": jitsu,
            "起債制限比率": ki,
            "ラスパイレス指数": ras,
            "ラスパイレス指数参考値": ref,
        }

    return [
        (5, "北海道", "札幌市", v(91.6, 0.69, 12.3, 15.1, 100.2, 99.8)),
        (6, "北海道", "夕張市", v(125.6, 0.19, 22.4, -1.2, None, None)),
        (8, "東京都", "狛江市", v(88.8, 0.85, 5.0, -0.3, 101.4, None)),
        (9, "東京都", "武蔵野市", v(80.8, 1.5, None, -2.5, 104.0, None)),
        (10, "沖縄県", "与那国町", v(81.7, 0.13, None, 6.4, 82.2, None)),
        (11, NATIONAL, AVERAGE_NAME, v(90.0, 0.5, 11.2, 12.1, None, None)),
    ]


def summary(workbook: PeerWorkbook) -> list[tuple[int, str, str, dict[str, float | None]]]:
    return [(r.row_number, r.prefecture, r.name, dict(r.values)) for r in workbook.rows]


@pytest.mark.parametrize("merged", [True, False])
def test_an_old_city_layout_is_read_by_its_header_names(merged: bool) -> None:
    merges = ["G3:H3", "A3:A4", "B3:B4"] if merged else []
    workbook = read_peer_workbook("H17_shihyo.xlsx", xlsx(OLD_CITY, merges=merges))
    assert workbook.fiscal_year == 2005  # from the file name: the title names none
    assert workbook.kind == "city"  # the title says 全市町村
    assert workbook.indicators == (
        "財政力指数",
        "経常収支比率",
        "実質公債費比率",
        "起債制限比率",
        "ラスパイレス指数",
        "ラスパイレス指数参考値",
    )
    assert summary(workbook) == old_city_expected()
    assert all(r.code is None for r in workbook.rows)  # no 団体コード column: never made up


def test_a_title_alone_can_name_the_year() -> None:
    rows: list[list[object]] = [["全市町村の主要財政指標（平成１８年度決算）"], *OLD_CITY[1:]]
    workbook = read_peer_workbook("shihyo.xlsx", xlsx(rows, merges=["G3:H3"]))
    assert workbook.fiscal_year == 2006


def test_a_header_in_one_row_with_the_reference_value_beside_the_index() -> None:
    rows: list[list[object]] = [
        ["全国の市町村の財政指標（平成19年度）"],
        [
            "財政力指数",
            "団体名",
            "将来負担比率",
            "ラスパイレス指数",
            "参考値",
            "団体コード",
            "都道府県名",
        ],
        [0.85, "狛江市", "28.4", "101.4", "100.9", 132195, "東京都"],
        [0.69, "札幌市", "61.8", "100.2", "-", "11002", "北海道"],
        [0.5, "全国平均", 38.9, "-", "-", None, None],
    ]
    workbook = read_peer_workbook("peers.xlsx", xlsx(rows))
    assert workbook.fiscal_year == 2007
    assert workbook.kind == "city"  # a 団体名 column with municipalities
    assert workbook.indicators == (
        "財政力指数",
        "将来負担比率",
        "ラスパイレス指数",
        "ラスパイレス指数参考値",
    )
    assert [(r.code, r.prefecture, r.name) for r in workbook.rows] == [
        ("132195", "東京都", "狛江市"),
        ("011002", "北海道", "札幌市"),
        (None, NATIONAL, AVERAGE_NAME),
    ]
    assert workbook.rows[0].values["ラスパイレス指数参考値"] == 100.9


def test_a_group_label_above_the_indicator_names() -> None:
    rows: list[list[object]] = [
        ["団体コード", "都道府県名", "団体名", "財政指標", None, None],
        [None, None, None, "財政力指数", "経常収支比率", "起債制限比率"],
        ["132195", "東京都", "狛江市", 0.85, 88.8, 9.8],
    ]
    workbook = read_peer_workbook("H16.xlsx", xlsx(rows, merges=["D1:F1", "A1:A2"]))
    assert workbook.indicators == ("財政力指数", "経常収支比率", "起債制限比率")
    assert summary(workbook) == [
        (3, "東京都", "狛江市", {"財政力指数": 0.85, "経常収支比率": 88.8, "起債制限比率": 9.8})
    ]


def test_a_prefecture_written_once_above_its_municipalities() -> None:
    rows: list[list[object]] = [
        ["都道府県名", "団体名", "経常収支比率"],
        ["東京都", "武蔵野市", 80.8],
        [None, "狛江市", 88.8],
        ["神奈川県", "横浜市", 97.0],
        [None, "川崎市", 99.0],
    ]
    workbook = read_peer_workbook("H18.xlsx", xlsx(rows, merges=["A2:A3"]))
    assert [(r.prefecture, r.name) for r in workbook.rows] == [
        ("東京都", "武蔵野市"),
        ("東京都", "狛江市"),
        ("神奈川県", "横浜市"),
        ("神奈川県", "川崎市"),
    ]


OLD_PREFECTURES: list[list[object]] = [
    ["市町村主要財政指標の都道府県別平均"],
    ["（平成１７年度）"],
    [
        "都道府県名",
        None,
        "財政力指数",
        "経常収支比率",
        "起債制限比率",
        "実質公債費比率",
        "ラスパイレス指数",
    ],
    ["北海道", "（市町村平均）", "0.25", "87.9", "14.1", "8.4", "－"],
    ["東 京 都", "（市町村平均）", 0.74, 88.1, "5.6", "△1.4", "－"],
    [],
    ["全国市町村平均", None, 0.5, 90.0, "11.2", "12.1", "－"],
    ["（注）東京都の平均は特別区を除く。"],
]


def test_an_old_prefecture_layout() -> None:
    workbook = read_peer_workbook("pref.xlsx", xlsx(OLD_PREFECTURES, merges=["A3:B3"]))
    assert workbook.kind == "prefecture_average"
    assert workbook.fiscal_year == 2005
    assert workbook.indicators == (
        "財政力指数",
        "経常収支比率",
        "実質公債費比率",
        "起債制限比率",
        "ラスパイレス指数",
    )
    assert [(r.row_number, r.code, r.prefecture, r.name) for r in workbook.rows] == [
        (4, None, "北海道", AVERAGE_NAME),
        (5, None, "東京都", AVERAGE_NAME),
        (7, None, NATIONAL, AVERAGE_NAME),
    ]
    assert workbook.rows[1].values == {
        "財政力指数": 0.74,
        "経常収支比率": 88.1,
        "実質公債費比率": -1.4,
        "起債制限比率": 5.6,
        "ラスパイレス指数": None,
    }


def test_a_prefecture_layout_is_known_by_its_rows_without_a_title() -> None:
    rows: list[list[object]] = [
        ["都道府県名", "団体名", "経常収支比率"],
        ["北海道", "（市町村平均）", 87.9],
        ["全国", "（市町村平均）", 90.0],
    ]
    workbook = read_peer_workbook("H17.xlsx", xlsx(rows))
    assert workbook.kind == "prefecture_average"
    assert [(r.prefecture, r.name) for r in workbook.rows] == [
        ("北海道", AVERAGE_NAME),
        (NATIONAL, AVERAGE_NAME),
    ]


def test_the_sheet_with_the_table_is_read() -> None:
    notes = [["利用上の注意"], ["この表は総務省の公表資料です。"]]
    data = xlsx(OLD_CITY, sheet="H17全市町村", sheets_before=[notes])
    workbook = read_peer_workbook("H17.xlsx", data)
    assert workbook.sheet == "H17全市町村"
    assert len(workbook.rows) == 6


def test_a_hidden_sheet_is_read_only_when_no_sheet_shown_holds_the_table() -> None:
    # The previous year's table kept on a hidden sheet before this year's: the table read is the
    # one the person sees (the file name names no year that would tell them apart).
    data = sheets(
        {
            title: [
                [f"全市町村の主要財政指標（{year}決算）"],
                ["都道府県名", "団体名", "経常収支比率"],
                ["東京都", "狛江市", ratio],
            ]
            for title, year, ratio in (("前年度", "令和2年度", 91.0), ("今年度", "令和3年度", 88.0))
        },
        hidden=["前年度"],
    )
    read = read_peer_workbook("shihyo.xlsx", data)
    assert (read.sheet, read.fiscal_year) == ("今年度", 2021)
    assert read.rows[0].values == {"経常収支比率": 88.0}


def sheets(
    tables: Mapping[str, Sequence[Sequence[object]]], *, hidden: Sequence[str] = ()
) -> bytes:
    """A workbook of one sheet per entry, in order; the sheets named in hidden hidden."""
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    for title, rows in tables.items():
        worksheet = workbook.create_sheet(title)
        for row in rows:
            worksheet.append(list(row))
        if title in hidden:
            worksheet.sheet_state = "hidden"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


CITIES: list[list[object]] = [
    ["全市町村の主要財政指標（令和３年度）"],
    ["団体コード", "都道府県名", "団体名", "財政力指数", "経常収支比率"],
    ["132012", "東京都", "八王子市", 0.93, 85.7],
    ["132195", "東京都", "狛江市", 0.86, 87.7],
]
# The towns and villages: the header further down, its columns in another order, no title.
TOWNS: list[list[object]] = [
    [],
    [],
    [None, "経常収支比率", "団体名", "都道府県名", "団体コード", "財政力指数"],
    [None, 81.2, "瑞穂町", "東京都", "133035", 0.88],
    [None, 86.5, "与那国町", "沖縄県", "473821", 0.15],
]
LEGEND: list[list[object]] = [["凡例"], ["「-」は算定なし"], ["団体名", "経常収支比率の意味"]]


def test_a_table_split_over_several_sheets_is_read_from_all_of_them() -> None:
    data = sheets({"目次": [["目次"], ["市", "町村"]], "市": CITIES, "凡例": LEGEND, "町村": TOWNS})
    workbook = read_peer_workbook("shihyo.xlsx", data)
    assert (workbook.kind, workbook.fiscal_year) == ("city", 2021)
    assert workbook.sheet == "市、町村"
    assert workbook.indicators == ("財政力指数", "経常収支比率")
    assert [(r.sheet, r.row_number, r.code, r.name) for r in workbook.rows] == [
        ("市", 3, "132012", "八王子市"),
        ("市", 4, "132195", "狛江市"),
        ("町村", 4, "133035", "瑞穂町"),
        ("町村", 5, "473821", "与那国町"),
    ]
    assert workbook.rows[2].values == {"経常収支比率": 81.2, "財政力指数": 0.88}


def test_the_national_average_on_a_sheet_of_its_own_joins_the_table() -> None:
    national: list[list[object]] = [
        ["都道府県名", "団体名", "経常収支比率"],
        ["全国", "市町村平均", 88.9],
    ]
    workbook = read_peer_workbook("R3.xlsx", sheets({"市町村": CITIES, "全国": national}))
    assert workbook.kind == "city"
    assert workbook.indicators == ("財政力指数", "経常収支比率")
    assert [(r.prefecture, r.name, r.values) for r in workbook.rows][-1] == (
        NATIONAL,
        AVERAGE_NAME,
        {"経常収支比率": 88.9},  # no 財政力指数 column on its sheet: not 「not computed」
    )


def test_a_municipality_on_two_sheets_is_read_once_when_its_values_agree() -> None:
    again: list[list[object]] = [CITIES[1], CITIES[3], ["133035", "東京都", "瑞穂町", 0.88, 81.2]]
    workbook = read_peer_workbook("R3.xlsx", sheets({"東京都1": CITIES, "東京都2": again}))
    assert [(r.sheet, r.name) for r in workbook.rows] == [
        ("東京都1", "八王子市"),
        ("東京都1", "狛江市"),
        ("東京都2", "瑞穂町"),
    ]


def test_a_municipality_on_two_sheets_with_other_values_is_a_problem() -> None:
    # Found by its 団体コード even where the name is written otherwise.
    again: list[list[object]] = [CITIES[1], ["132195", "東京都", "狛江 市", 0.86, 88.0]]
    named: list[list[object]] = [
        ["都道府県名", "団体名", "経常収支比率"],
        ["東京都", "八王子市", 80.0],
    ]
    data = sheets({"市": CITIES, "再掲": again, "抜粋": named})
    with pytest.raises(ValidationError) as caught:
        read_peer_workbook("R3.xlsx", data)
    assert caught.value.problems == [
        "R3.xlsx シート「再掲」 2行目: 東京都の狛江市の経常収支比率「88.0」が、シート「市」4行目の"
        "「87.7」と異なります（同じ団体の値は1つです）。",
        "R3.xlsx シート「抜粋」 2行目: 東京都の八王子市の経常収支比率「80.0」が、シート「市」3行目の"
        "「85.7」と異なります（同じ団体の値は1つです）。",
    ]


def test_sheets_whose_titles_name_different_years_are_refused_naming_them() -> None:
    last_year: list[list[object]] = [["全市町村の主要財政指標（令和２年度）"], *TOWNS[2:]]
    with pytest.raises(ValidationError) as caught:
        read_peer_workbook("shihyo.xlsx", sheets({"市": CITIES, "町村": last_year}))
    assert caught.value.problems == [
        "shihyo.xlsx: シートの見出しの年度が一致しません（シート「市」は令和3年度 (2021)、"
        "シート「町村」は令和2年度 (2020)）。1つの年度の表だけのファイルにしてください。"
    ]


def test_a_table_of_another_kind_or_of_the_prefectures_beside_it_is_not_read() -> None:
    means: list[list[object]] = [
        ["市町村主要財政指標の都道府県別平均（令和３年度）"],
        ["都道府県名", "団体名", "経常収支比率"],
        ["東京都", "（市町村平均）", 87.6],
    ]
    prefectures: list[list[object]] = [
        ["都道府県名", "団体名", "経常収支比率"],
        ["東京都", "東京都", 80.0],
    ]
    data = sheets({"都道府県": prefectures, "市町村": CITIES, "平均": means})
    workbook = read_peer_workbook("R3.xlsx", data)
    assert (workbook.kind, workbook.sheet) == ("city", "市町村")


def test_a_legend_naming_the_columns_does_not_hide_the_table_on_a_hidden_sheet() -> None:
    read = read_peer_workbook(
        "R3.xlsx", sheets({"凡例": LEGEND, "データ": CITIES}, hidden=["データ"])
    )
    assert (read.sheet, [r.name for r in read.rows]) == ("データ", ["八王子市", "狛江市"])


def test_a_header_repeated_on_each_printed_page_is_skipped() -> None:
    rows = [*OLD_CITY[:6], OLD_CITY[2], OLD_CITY[3], *OLD_CITY[7:]]
    workbook = read_peer_workbook("H17.xlsx", xlsx(rows))
    assert [r.name for r in workbook.rows] == [n for _, _, n, _ in old_city_expected()]


# --- refusals ------------------------------------------------------------------------------------

NOT_THE_FORMAT = "は総務省「地方公共団体の主要財政指標一覧」の様式ではありません"


def test_an_actuals_csv_is_refused() -> None:
    data = "指標,年度,実績値\n経常収支比率,令和6年度,90.1\n".encode("cp932")
    with pytest.raises(ValidationError) as caught:
        read_peer_workbook("実績.csv", data)
    assert caught.value.problems == [
        f"実績.csv{NOT_THE_FORMAT}（Excelファイル（.xls・.xlsx）ではありません。"
        "CSVなどのテキストは取り込めません）。"
    ]


def test_an_actuals_workbook_is_refused() -> None:
    data = xlsx([["指標", "年度", "実績値"], ["経常収支比率", 2024, 90.1]])
    with pytest.raises(ValidationError) as caught:
        read_peer_workbook("R6実績.xlsx", data)
    assert caught.value.problems == [
        f"R6実績.xlsx{NOT_THE_FORMAT}（見出し「都道府県名」「団体名」と指標の列が見つかりません）。"
    ]


@pytest.mark.parametrize("data", [b"", xlsx([]), b"PK\x03\x04 not a zip"])
def test_an_empty_or_damaged_workbook_is_refused(data: bytes) -> None:
    with pytest.raises(ValidationError, match=NOT_THE_FORMAT):
        read_peer_workbook("R3.xlsx", data)


def test_every_bad_cell_is_listed_with_its_place_and_value() -> None:
    rows: list[list[object]] = [
        ["全市町村の主要財政指標（令和３年度）"],
        ["団体コード", "都道府県名", "団体名", "財政力指数", "経常収支比率"],
        ["132195", "東京都", "狛江市", "abc", 87.7],
        ["132039", "東京都", "武蔵野市", 1.48, "84,2,1"],
        ["13-2063", "東京都", "府中市", 1.1, 90.0],
        [None, None, None, 0.9, 80.0],
        ["132195", "東京都", "狛江市", 0.86, 87.7],
    ]
    with pytest.raises(ValidationError) as caught:
        read_peer_workbook("R3.xlsx", xlsx(rows, sheet="全市町村"))
    place = "R3.xlsx シート「全市町村」"
    assert caught.value.problems == [
        f"{place} 3行目 D列「財政力指数」: 「abc」は数値として読めません"
        "（数値、または算出なしを表す「-」を書いてください）。",
        f"{place} 4行目 E列「経常収支比率」: 「84,2,1」は数値として読めません"
        "（数値、または算出なしを表す「-」を書いてください）。",
        f"{place} 5行目 A列「団体コード」: 「13-2063」は団体コードとして読めません（6桁の数字）。",
        f"{place} 6行目: 値があるのに団体名がありません。",
        f"{place} 7行目: 東京都の狛江市の行が3行目にもあります。1つにしてください。",
    ]


def test_the_same_code_twice_is_a_problem() -> None:
    rows: list[list[object]] = [
        ["団体コード", "都道府県名", "団体名", "経常収支比率"],
        ["132195", "東京都", "狛江市", 87.7],
        ["132195", "東京都", "狛江町", 87.7],
    ]
    with pytest.raises(ValidationError, match="3行目: 団体コード132195の行が2行目にもあります"):
        read_peer_workbook("R3.xlsx", xlsx(rows))


def test_two_columns_of_one_indicator_are_a_problem() -> None:
    rows: list[list[object]] = [
        ["都道府県名", "団体名", "経常収支比率", "経常収支\n比率"],
        ["東京都", "狛江市", 87.7, 87.7],
    ]
    with pytest.raises(ValidationError, match=r"「経常収支比率」の列が複数あります（C列、D列）"):
        read_peer_workbook("R3.xlsx", xlsx(rows))


def test_year_and_cell_problems_are_listed_together() -> None:
    rows: list[list[object]] = [["都道府県名", "団体名", "経常収支比率"], ["東京都", "狛江市", "x"]]
    with pytest.raises(ValidationError) as caught:
        read_peer_workbook("shihyo.xlsx", xlsx(rows))
    assert len(caught.value.problems) == 2
    assert "年度が分かりません" in caught.value.problems[0]
    assert (
        "3行目" not in caught.value.problems[1]
        and "2行目 C列「経常収支比率」" in caught.value.problems[1]
    )


def test_the_indicators_are_the_ministrys_names() -> None:
    # The JSON keys of `peers show` are these names, exactly as the ministry's headers write them.
    names = "財政力指数 経常収支比率 実質公債費比率 将来負担比率 起債制限比率 ラスパイレス指数"
    expected = (*names.split(), "ラスパイレス指数参考値")
    assert expected == PEER_INDICATORS


def test_a_path_is_reduced_to_the_file_name() -> None:
    workbook = read_peer_workbook(str(Path("imports") / "H17.xlsx"), xlsx(OLD_CITY))
    assert workbook.file_name == "H17.xlsx"


def test_prefectures_as_headings_above_their_municipalities() -> None:
    rows: list[list[object]] = [
        ["団体名", "財政力指数", "経常収支比率"],
        ["東京都", None, None],
        ["狛江市", 0.86, 88.8],
        ["神奈川県", None, None],
        ["川崎市", 1.0, 99.0],
    ]
    workbook = read_peer_workbook("H17.xlsx", xlsx(rows))
    assert [(r.row_number, r.prefecture, r.name) for r in workbook.rows] == [
        (3, "東京都", "狛江市"),
        (5, "神奈川県", "川崎市"),
    ]


def test_codes_name_the_prefecture_when_no_column_does() -> None:
    rows: list[list[object]] = [
        ["団体コード", "団体名", "経常収支比率"],
        [11002, "札幌市", 91.6],  # stored as a number: Excel dropped the leading 0
        [22012, "青森市", 90.0],
        [132195, "狛江市", 88.8],
    ]
    workbook = read_peer_workbook("H17.xlsx", xlsx(rows))
    assert [(r.code, r.prefecture, r.name) for r in workbook.rows] == [
        ("011002", "北海道", "札幌市"),
        ("022012", "青森県", "青森市"),
        ("132195", "東京都", "狛江市"),
    ]


def test_a_workbook_of_the_prefectures_themselves_is_refused() -> None:
    rows: list[list[object]] = [
        ["都道府県の主要財政指標（令和３年度）"],
        ["団体コード", "団体名", "財政力指数"],
        ["010006", "北海道", 0.45],
        ["130001", "東京都", 1.08],
    ]
    with pytest.raises(ValidationError, match="都道府県そのものの指標の表です"):
        read_peer_workbook("R3.xlsx", xlsx(rows))


def test_without_prefectures_or_codes_the_rows_cannot_be_placed() -> None:
    rows: list[list[object]] = [["団体名", "経常収支比率"], ["狛江市", 88.8]]
    with pytest.raises(ValidationError, match="どの都道府県の団体か分かりません"):
        read_peer_workbook("H17.xlsx", xlsx(rows))


def test_a_mark_before_a_municipality_does_not_make_its_row_a_note() -> None:
    rows: list[list[object]] = [
        [None, "団体コード", "都道府県名", "団体名", "経常収支比率"],
        ["※", "132195", "東京都", "狛江市", 88.8],
        [None, "132039", "東京都", "武蔵野市", 80.8],
        [None, None, None, "全国市町村平均", 90.0],
        ["※ 合併した団体である。"],
    ]
    workbook = read_peer_workbook("H20.xlsx", xlsx(rows))
    assert [(r.code, r.prefecture, r.name) for r in workbook.rows] == [
        ("132195", "東京都", "狛江市"),
        ("132039", "東京都", "武蔵野市"),
        (None, NATIONAL, AVERAGE_NAME),
    ]


def test_a_municipality_in_the_prefecture_averages_is_a_problem() -> None:
    rows: list[list[object]] = [
        ["市町村主要財政指標の都道府県別平均（平成17年度）"],
        ["都道府県名", "団体名", "経常収支比率"],
        ["東京都", "（市町村平均）", 88.1],
        ["東京都", "狛江市", 88.8],
    ]
    with pytest.raises(ValidationError) as caught:
        read_peer_workbook("pref.xlsx", xlsx(rows, sheet="都道府県別平均"))
    assert caught.value.problems == [
        "pref.xlsx シート「都道府県別平均」 4行目 B列「団体名」: 「狛江市」は都道府県別平均の行として"
        "読めません（都道府県ごとに「（市町村平均）」の行を置いてください）。"
    ]


def test_the_ratio_is_read_beside_its_variant_that_excludes_some_revenue() -> None:
    # Older lists give 経常収支比率 twice: the ratio itself and the one without 減収補塡債特例分 and
    # 臨時財政対策債 in the revenue (higher). The plan's 経常収支比率 is the first, in either order.
    for including, excluding in [(2, 3), (3, 2)]:
        header: list[object] = ["都道府県名", "団体名", "", ""]
        row: list[object] = ["東京都", "狛江市", None, None]
        header[including] = "経常収支比率\n（減収補塡債特例分及び臨時財政対策債を含む）"
        header[excluding] = "経常収支比率（減収補塡債特例分及び臨時財政対策債を除く）"
        row[including], row[excluding] = 87.7, 95.1
        workbook = read_peer_workbook("R3.xlsx", xlsx([header, row]))
        (komae,) = workbook.rows
        assert komae.values["経常収支比率"] == 87.7


def test_two_variants_that_each_exclude_something_are_a_problem() -> None:
    rows: list[list[object]] = [
        [
            "都道府県名",
            "団体名",
            "経常収支比率（臨時財政対策債を除く）",
            "経常収支比率（減収補塡債を除く）",
        ],
        ["東京都", "狛江市", 95.1, 90.2],
    ]
    with pytest.raises(ValidationError, match=r"「経常収支比率」の列が複数あります（C列、D列）"):
        read_peer_workbook("R3.xlsx", xlsx(rows))
