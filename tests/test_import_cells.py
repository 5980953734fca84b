"""The cell readers of the importer: headers, fiscal years, references, numbers with units."""

from __future__ import annotations

from typing import Any

import pytest

from komae_kpi.common.spreadsheet_text import spreadsheet_safe
from komae_kpi.imports.import_cells import (
    HEADERS,
    CellError,
    References,
    cell_text,
    convert,
    header_field,
    normalize_unit,
    read_fiscal_year,
    read_number,
    unit_problem,
)
from komae_kpi.plan.model import Plan
from komae_kpi.plan.plan_files import load_plan


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan()


@pytest.fixture(scope="module")
def refs(plan: Plan) -> References:
    return References.of(plan)


# --- headers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("指標", "indicator"),
        ("指標名", "indicator"),
        ("指標番号", "indicator"),
        ("indicator_no", "indicator"),
        ("取組項目", "item"),
        ("項目番号", "item"),
        ("item_no", "item"),
        ("年度", "fiscal_year"),
        ("fiscal_year", "fiscal_year"),
        ("実績値", "value"),
        ("値", "value"),
        ("value", "value"),
        ("進捗状況", "status"),
        ("status", "status"),
        ("取組実績", "achievements"),
        ("achievements", "achievements"),
        ("課題", "issues"),
        ("issues", "issues"),
        ("今後の方向性", "next_steps"),
        ("next_steps", "next_steps"),
        ("備考", "note"),
        ("note", "note"),
        ("出典", "source"),
        ("source", "source"),
        # Spaces (also full-width) and letter case do not matter; full-width letters are folded.
        ("　年　度　", "fiscal_year"),
        ("Fiscal_Year", "fiscal_year"),
        ("ｉｔｅｍ＿ｎｏ", "item"),
    ],
)
def test_headers_in_japanese_and_english(header: str, field: str) -> None:
    assert header_field(header) == field


@pytest.mark.parametrize("header", [None, "", "メモ", "前年度の進捗状況", "推進部署", 2025])
def test_other_headers_are_not_read(header: Any) -> None:
    assert header_field(header) is None


def test_every_listed_header_maps_to_its_own_field() -> None:
    for field, headers in HEADERS.items():
        for header in headers:
            assert header_field(header) == field, header


# --- fiscal years --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "year"),
    [
        (2025, 2025),
        (2025.0, 2025),  # a spreadsheet's whole number
        ("2025", 2025),
        ("2025.0", 2025),
        ("2025年度", 2025),
        ("２０２５年度", 2025),
        ("令和7年度", 2025),
        ("令和７年度", 2025),
        ("R7", 2025),
        ("r7", 2025),
        ("令7", 2025),
        ("令和元年度", 2019),
        ("平成31年度", 2019),
        ("平成30年度", 2018),
        ("H17", 2005),
    ],
)
def test_fiscal_years_in_the_forms_staff_write(cell: Any, year: int) -> None:
    assert read_fiscal_year(cell) == year


@pytest.mark.parametrize("cell", ["令和", "来年度", "2025/26", 2025.5, "平成32年度", "令和0年度"])
def test_unreadable_fiscal_years(cell: Any) -> None:
    with pytest.raises(CellError, match="年度として読めません"):
        read_fiscal_year(cell)


@pytest.mark.parametrize(
    "cell",
    [
        # One year written both ways, as the plan writes its dates (令和6(2024)年4月1日) and as
        # the dashboard labels a year (令和7年度 (2025)).
        "令和7(2025)年度",
        "令和７（２０２５）年度",
        "2025（令和7）年度",
        "令和7年度 (2025)",
        "令和7年度（2025年度）",
        "R7(2025)",
        # A date, as Excel turns an entry into one and writes it to a CSV file as it shows it:
        # the fiscal year it falls in, as for a date cell of a workbook.
        "2025/4/1",
        "2026/3/31",
        "2025-04-01",
        "2025年4月1日",
        "令和7年4月1日",
        "R8.3.31",
    ],
)
def test_a_year_written_both_ways_or_as_a_date(cell: str) -> None:
    assert read_fiscal_year(cell) == 2025


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("令和7(2024)年度", "令和7年度は2025年度です"),
        ("2025（令和6）年度", "令和6年度は2024年度です"),
        ("令和7年度（見込）", "年度として読めません"),
        ("2025/2/30", "年度として読めません"),
        ("2025/13/1", "年度として読めません"),
    ],
)
def test_a_year_whose_two_forms_disagree_or_a_date_that_is_none(cell: str, message: str) -> None:
    with pytest.raises(CellError, match=message):
        read_fiscal_year(cell)


# --- references ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "no"),
    [
        (1, 1),
        (8.0, 8),
        ("8", 8),
        ("８", 8),
        ("指標8", 8),
        ("経常収支比率", 3),
        ("財政調整基金残高", 4),
        ("年次休暇の職員一人当たりの平均取得日数", 8),
        (" 市債残高 ", 5),
    ],
)
def test_indicators_by_number_or_name(refs: References, cell: Any, no: int) -> None:
    assert refs.indicator(cell) == no


@pytest.mark.parametrize("cell", [0, 9, "9", "指標9", "経常収支", "財政力指数"])
def test_unknown_indicators(refs: References, cell: Any) -> None:
    with pytest.raises(CellError, match="計画にない指標"):
        refs.indicator(cell)


def test_items_by_number_name_and_alias(plan: Plan, refs: References) -> None:
    for item in plan.items:
        assert refs.item(item.item_no) == item.item_no
        assert refs.item(str(item.item_no)) == item.item_no
        if item.repost_of is None:
            assert refs.item(item.name) == item.item_no, item.name
        if item.alias:
            assert refs.item(item.alias) == item.item_no, item.alias
    # data/plan/items.csv: item 19's list entry reads 新たな官民連携手法の研究.
    assert refs.item("新たな官民連携手法の研究") == 19
    assert refs.item("官民連携手法の導入検討") == 19


def test_the_name_item_60_shares_with_item_8_means_item_8(plan: Plan, refs: References) -> None:
    item_8 = next(i for i in plan.items if i.item_no == 8)
    item_60 = next(i for i in plan.items if i.item_no == 60)
    assert item_60.repost_of == 8 and item_60.name == item_8.name
    assert refs.item(item_8.name) == 8
    # Written as the plan prints the repost, it means the repost (which the importer then refuses).
    assert refs.item(f"{item_8.name}(再掲)") == 60
    assert refs.item(f"{item_8.name}（再掲）") == 60
    assert refs.item(60) == 60


@pytest.mark.parametrize("cell", [0, 63, "63", "項目63", "存在しない取組"])
def test_unknown_items(refs: References, cell: Any) -> None:
    with pytest.raises(CellError, match="計画にない取組項目"):
        refs.item(cell)


# --- numbers and units ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "number", "unit"),
    [
        (72.9, 72.9, None),
        (16, 16.0, None),
        ("72.9", 72.9, None),
        ("７２．９", 72.9, None),
        ("72.9%", 72.9, "%"),
        ("７２．９％", 72.9, "%"),
        ("1,234.5", 1234.5, None),
        ("１，２３４．５", 1234.5, None),
        ("16,550,000千円", 16550000.0, "千円"),
        ("2,230百万円", 2230.0, "百万円"),
        ("22.3億円", 22.3, "億円"),
        ("2,230,000,000円", 2230000000.0, "円"),
        ("14.5日", 14.5, "日"),
        ("△0.5", -0.5, None),
        ("▲1,200千円", -1200.0, "千円"),
        ("-3", -3.0, None),
        ("−3", -3.0, None),  # U+2212 MINUS SIGN
        ("－3", -3.0, None),  # full-width hyphen-minus
        (" 1 ", 1.0, None),
    ],
)
def test_numbers_with_units_and_signs(cell: Any, number: float, unit: str | None) -> None:
    found, found_unit = read_number(cell)
    assert found == pytest.approx(number) and found_unit == unit


@pytest.mark.parametrize(
    "cell",
    [
        "abc",
        "",
        "1,23",
        "1,2345",
        "12.3.4",
        "72.9ドル",
        "約70",
        "70～80",
        True,
        float("nan"),
    ],
)
def test_unreadable_numbers(cell: Any) -> None:
    with pytest.raises(CellError, match="数値として読めません"):
        read_number(cell)


def test_money_is_converted_to_oku_yen(plan: Plan) -> None:
    fund = plan.indicator(4)
    assert fund.unit == "億円"
    # 1 億円 = 100,000 千円 = 100 百万円 = 100,000,000 円 (GLOSSARY.md).
    assert convert(16_550_000, "千円", fund) == 165.5
    assert convert(2_230_000, "千円", fund) == 22.3  # exactly, not 22.300000000000001
    assert convert(2_230, "百万円", fund) == 22.3
    assert convert(2_230_000_000, "円", fund) == 22.3
    assert convert(22.3, "億円", fund) == 22.3
    assert convert(22.3, None, fund) == 22.3
    assert convert(87.3, "%", plan.indicator(3)) == 87.3


def test_a_unit_must_fit_the_indicator(plan: Plan) -> None:
    assert unit_problem(plan.indicator(1), "%") is None
    assert unit_problem(plan.indicator(8), "日") is None
    for unit in ("億円", "百万円", "千円", "円"):
        assert unit_problem(plan.indicator(5), unit) is None
    problem = unit_problem(plan.indicator(1), "億円")
    assert problem is not None
    assert "単位「億円」" in problem and "指標1" in problem and "「%」" in problem
    assert unit_problem(plan.indicator(4), "%") is not None
    assert unit_problem(plan.indicator(8), "%") is not None
    assert unit_problem(plan.indicator(6), "日") is not None


def test_unit_cells_are_normalised() -> None:
    assert normalize_unit("％") == "%"
    assert normalize_unit(" 千円 ") == "千円"
    assert normalize_unit("パーセント") == "%"
    assert normalize_unit("") is None and normalize_unit(None) is None


# --- text ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "=SUM(A1)",
        "+81 3",
        "-行頭のハイフン",
        "@mention",
        "\t字下げ",
        "\r改行",
        "普通の文",
        "'引用符で始まる文",
    ],
)
def test_the_exports_formula_guard_is_removed_and_nothing_else(text: str) -> None:
    assert cell_text(spreadsheet_safe(text)) == text


def test_a_text_starting_with_an_apostrophe_and_a_formula_character_survives() -> None:
    for stored in ("'=x", "''+1", "'hello", "'", "=SUM(A1)", "-", "@x", "\tx"):
        assert cell_text(spreadsheet_safe(stored)) == stored


def test_text_cells() -> None:
    assert cell_text(None) is None
    assert cell_text("") is None
    assert cell_text(" \u3000 ") is None  # blank means no text, as a form stores it
    assert cell_text(5.0) == "5"
    assert cell_text("'plain") == "'plain"  # only the guard before a formula character is removed
    assert cell_text("改行を\n含む,カンマも") == "改行を\n含む,カンマも"


def test_numbers_written_with_an_exponent_as_python_exports_tiny_values() -> None:
    assert read_number("1e-05") == (1e-05, None)
    assert read_number("2.5E+3") == (2500.0, None)


def test_a_cell_in_a_message_never_carries_a_control_character() -> None:
    """C1 controls too: \\x9b is a one-byte CSI on terminals that honour C1."""
    from komae_kpi.imports.import_cells import shown

    for c in ("\x1b", "\x00", "\x7f", "\x80", "\x9b", "\x9f"):
        assert shown(f"a{c}[2Jb") == "a�[2Jb"
    assert shown("改行\nなし") == "改行\nなし"
