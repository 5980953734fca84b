"""Reading a 財政見通し from a file (imports/scenario_import.py): the three layouts, found by their
headers; years in 和暦, 西暦 and 全角; units in the header, above the table, in a column and in the
cell; every problem named at once and nothing written."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from komae_kpi.common.errors import PermissionDeniedError, ValidationError
from komae_kpi.imports.import_cells import CellError, read_fiscal_year
from komae_kpi.imports.importer import ImportSource
from komae_kpi.imports.scenario_import import (
    ScenarioRequest,
    apply_scenario_import,
    preview_scenario_import,
    read_scenario_file,
)
from komae_kpi.plan.plan_files import load_plan
from komae_kpi.store.backups import list_backups
from komae_kpi.store.scenarios import Scenario, list_scenarios, scenario_log
from komae_kpi.store.user_admin import save_user
from tests.store_helpers import dump

PLAN = load_plan()


def csv_source(name: str, text: str, encoding: str = "utf-8") -> ImportSource:
    return ImportSource(name=name, data=text.encode(encoding))


def xlsx_source(name: str, rows: list[list[Any]]) -> ImportSource:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "財政見通し"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return ImportSource(name=name, data=buffer.getvalue())


def read(source: ImportSource, **options: Any) -> Scenario:
    reading = read_scenario_file(PLAN, ScenarioRequest(source=source, **options))
    assert reading.problems == ()
    assert reading.scenario is not None
    return reading.scenario


def flow_table(s: Scenario) -> dict[tuple[int, str], float]:
    return {(f.fiscal_year, f.flow_code): round(f.amount, 6) for f in s.flows}


def forecast_table(s: Scenario) -> dict[tuple[int, int], float]:
    return {(f.indicator_no, f.fiscal_year): f.value for f in s.forecasts}


def problems(source: ImportSource) -> list[str]:
    reading = read_scenario_file(PLAN, ScenarioRequest(source=source))
    assert reading.scenario is None
    return list(reading.problems)


# --- the layouts ----------------------------------------------------------------------------------


def test_wide_rows_by_year_with_units_in_the_header_and_the_cell() -> None:
    source = csv_source(
        "中期財政ビジョン.csv",
        "年度,市債発行額（千円）,元金償還額（千円）,積立金,取崩し額,指標3,備考\n"
        '令和6年度,"1,000,000","1,150,000",1.0,1.2億円,88.0,当初\n'
        'R7,900000,1100000,0.8,"1,200,000千円",88.5,\n'
        "２０２６年度,800000,1050000,,,89.0,\n",
    )
    s = read(source)
    assert s.name == "中期財政ビジョン"  # the file's stem by default
    assert s.file_name == "中期財政ビジョン.csv" and s.file_sha256 and len(s.file_sha256) == 64
    # 1,000,000千円 = 10.0億円 (1億円 = 100,000千円); 1.2億円 as written; 1,200,000千円 = 12.0億円… in
    # a column whose header says nothing: the cell's unit holds.
    assert flow_table(s) == {
        (2024, "issuance"): 10.0,
        (2024, "repayment"): 11.5,
        (2024, "deposit"): 1.0,
        (2024, "withdrawal"): 1.2,
        (2025, "issuance"): 9.0,
        (2025, "repayment"): 11.0,
        (2025, "deposit"): 0.8,
        (2025, "withdrawal"): 12.0,
        (2026, "issuance"): 8.0,
        (2026, "repayment"): 10.5,
    }
    assert forecast_table(s) == {(3, 2024): 88.0, (3, 2025): 88.5, (3, 2026): 89.0}


def test_transposed_with_the_unit_above_the_table_and_years_as_headers() -> None:
    source = xlsx_source(
        "見通し.xlsx",
        [
            ["中期財政見通し（一般会計）"],
            [None, None, None, "（単位：百万円）"],
            [
                "区分",
                None,
                "令和6年度",
                "R7",
                "2026年度",
                "２０２７年度",
                2028,
                "令和11年度（見込）",
            ],
            ["歳出", None, None, None, None, None, None, None],
            ["市債", "発行額", 1000, 900, 800, 700, 600, 500],
            ["市債", "元金償還金", 1150, 1100, 1050, 1000, 950, 900],
            ["財政調整基金", "積立額", 100, "１５０", 100, 100, 100, 100],
            ["財政調整基金", "取り崩し額", 120, 130, 140, 150, 160, 170],
            ["経常収支比率（％）", None, 88.0, 88.5, 89.0, 89.3, 89.6, 89.9],
        ],
    )
    reading = read_scenario_file(PLAN, ScenarioRequest(source=source))
    assert reading.problems == ()
    assert reading.layout == "transposed"
    assert reading.line == "見通し.xlsx（Excel（シート「財政見通し」）、項目ごとの行（年度が列））"
    s = reading.scenario
    assert s is not None
    table = flow_table(s)
    # 1,000百万円 = 10.0億円 (1億円 = 100百万円); 「１５０」 (全角) = 1.5億円.
    assert [table[(y, "issuance")] for y in range(2024, 2030)] == [10.0, 9.0, 8.0, 7.0, 6.0, 5.0]
    assert [table[(y, "repayment")] for y in range(2024, 2030)] == [
        11.5,
        11.0,
        10.5,
        10.0,
        9.5,
        9.0,
    ]
    assert table[(2025, "deposit")] == 1.5 and table[(2029, "withdrawal")] == 1.7
    # The ratio's own unit (％) holds over the 百万円 above the table.
    assert forecast_table(s)[(3, 2029)] == 89.9


def test_transposed_with_years_written_both_ways_in_its_headers() -> None:
    # 「令和8(2026)年度」 as the plan writes its years, 「2027（令和9）年度」, and a line break in
    # the header cell (a CSV saved by Excel in Japan: CP932, CRLF, the break kept in quotes).
    source = ImportSource(
        name="財政見通し.csv",
        data=(
            ",,（単位：百万円）,,\r\n"
            '区分,,"令和7年度\n(2025)",令和8(2026)年度,2027（令和9）年度\r\n'
            "市債,発行額,1000,900,800\r\n"
            "市債,元金償還金,1150,1100,1050\r\n"
            "財政調整基金,積立額,100,150,100\r\n"
            "財政調整基金,取崩し額,120,130,140\r\n"
        ).encode("cp932"),
    )
    reading = read_scenario_file(PLAN, ScenarioRequest(source=source))
    assert reading.problems == ()
    assert reading.layout == "transposed"
    assert reading.scenario is not None
    table = flow_table(reading.scenario)
    assert [table[(y, "issuance")] for y in (2025, 2026, 2027)] == [10.0, 9.0, 8.0]
    assert [table[(y, "withdrawal")] for y in (2025, 2026, 2027)] == [1.2, 1.3, 1.4]


def four_years(headers: list[str]) -> ImportSource:
    """A transposed 財政見通し of the four flows over four years with these headers."""
    return xlsx_source(
        "見通し.xlsx",
        [
            ["区分", None, *headers],
            ["市債", "発行額", 1000, 900, 800, 700],
            ["市債", "元金償還金", 1150, 1100, 1050, 1000],
            ["財政調整基金", "積立額", 100, 150, 100, 100],
            ["財政調整基金", "取り崩し額", 120, 130, 140, 150],
        ],
    )


def test_a_year_header_whose_two_forms_disagree_is_refused_as_a_year_cell_is() -> None:
    # 「令和7年度(2026)」 was read as 2025 once its bracket was dropped as a note like （見込）.
    headers = [
        "令和7年度(2026)",
        "令和8(2026)年度（見込）",
        "令和9年度（2026年度見込）",
        "令和10年度",
    ]
    source = four_years(headers)
    with pytest.raises(CellError) as actuals:
        read_fiscal_year("令和7年度(2026)")  # what the actuals reader says of such a 年度 cell
    assert problems(source) == [
        f"見通し.xlsx 1行目 C列の「令和7年度(2026)」: {actuals.value}",
        "見通し.xlsx 1行目 E列の「令和9年度（2026年度見込）」: "
        "和暦と西暦が合いません（令和9年度は2027年度です）。",
    ]
    assert str(actuals.value) == "和暦と西暦が合いません（令和7年度は2025年度です）。"


def test_notes_after_a_year_header_are_not_its_year() -> None:
    headers = [
        "令和7年度（見込）",
        "令和8(2026)年度（見込）",
        "令和9年度(2027年度見込)",
        "R10決算見込",
    ]
    source = four_years(headers)
    table = flow_table(read(source))
    assert [table[(y, "issuance")] for y in (2025, 2026, 2027, 2028)] == [1000, 900, 800, 700]


def test_a_line_of_units_under_the_header_is_the_unit_of_its_columns() -> None:
    # 「（百万円）」 under each year, as a 財政見通し is printed: not taken for 億円 (100 times the
    # amount), whatever the layout.
    transposed = xlsx_source(
        "見通し.xlsx",
        [
            ["区分", None, "令和7年度", "令和8年度"],
            [None, None, "（百万円）", "(単位:百万円)"],
            ["市債", "発行額", 1000, 900],
            ["市債", "元金償還金", 1150, 1100],
            ["財政調整基金", "積立額", 100, 150],
            ["財政調整基金", "取り崩し額", 120, 130],
        ],
    )
    table = flow_table(read(transposed))
    assert [table[(y, "issuance")] for y in (2025, 2026)] == [10.0, 9.0]
    assert [table[(y, "withdrawal")] for y in (2025, 2026)] == [1.2, 1.3]
    wide = csv_source(
        "見通し.csv",
        "年度,市債発行額,元金償還額,積立額,取崩額\r\n,千円,千円,千円,千円\r\n"
        "令和7年度,1000000,1150000,100000,120000\r\n",
        encoding="cp932",
    )
    assert flow_table(read(wide))[(2025, "repayment")] == 11.5
    # A unit under the header and another in the cell are named, not chosen between.
    both = csv_source("両方.csv", "年度,市債発行額,元金償還額\n,千円,千円\n2025,10億円,11.5億円\n")
    assert problems(both)[0] == (
        "両方.csv 3行目 B列「市債発行額」の「10億円」: "
        "単位が食い違っています（2行目 B列「千円」、値「億円」）。"
    )


def test_long_with_a_unit_column_in_shift_jis() -> None:
    source = csv_source(
        "long.csv",
        "年度,項目,金額,単位\n"
        "令和７年度,市債発行額,1000000000,円\n"
        "令和7年度,償還額,11.5,億円\n"
        "2025,積立額,150,百万円\n"
        'FY2025,取崩額,"170,000",千円\n'
        "2025,経常収支比率,88.5,%\n"
        "2026,財政調整基金残高,21.0,\n"
        "2026,取崩額,,\n",
        encoding="cp932",
    )
    reading = read_scenario_file(PLAN, ScenarioRequest(source=source))
    assert reading.layout == "long" and reading.format_label == "CSV（Shift_JIS）"
    s = reading.scenario
    assert s is not None
    # 1,000,000,000円 = 10.0億円 (1億円 = 10^8円); 150百万円 = 1.5億円; 170,000千円 = 1.7億円.
    assert flow_table(s) == {
        (2025, "issuance"): 10.0,
        (2025, "repayment"): 11.5,
        (2025, "deposit"): 1.5,
        (2025, "withdrawal"): 1.7,
    }
    # A balance may be forecast directly (a year without its flows); the blank line is skipped.
    assert forecast_table(s) == {(3, 2025): 88.5, (4, 2026): 21.0}


def test_the_long_layouts_indicator_column_ties_a_flow_to_its_balance() -> None:
    source = csv_source(
        "tied.csv",
        "指標,年度,項目,金額\n指標5,2025,発行額,10\n市債残高,2025,償還額,11\n指標3,2025,発行額,1\n",
    )
    assert problems(source) == [
        "tied.csv 4行目 D列「金額」の「1」: 指標3（経常収支比率）は残高の指標ではないため、増減（市債発行額）は"
        "記入できません（増減を記入できるのは指標4（財政調整基金残高）・指標5（市債残高））。"
    ]


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("発行額", "issuance"),
        ("市債発行額", "issuance"),
        ("償還額", "repayment"),
        ("元金償還金", "repayment"),
        ("積立金", "deposit"),
        ("財政調整基金積立額", "deposit"),
        ("取崩し額", "withdrawal"),
        ("取り崩し額", "withdrawal"),
        ("取崩額", "withdrawal"),
    ],
)
def test_the_usual_words_for_each_flow(header: str, code: str) -> None:
    s = read(csv_source("w.csv", f"年度,{header}\n2025,1.0\n"))
    assert flow_table(s) == {(2025, code): 1.0}


def test_the_scenario_takes_the_name_date_and_note_given() -> None:
    import datetime as dt

    s = read(
        csv_source("x.csv", "年度,発行額\n2025,1\n"),
        name="令和7年2月版",
        scenario_date=dt.date(2025, 2, 1),
        note="予算編成時",
    )
    assert (s.name, s.scenario_date, s.note) == ("令和7年2月版", dt.date(2025, 2, 1), "予算編成時")


# --- refusals -------------------------------------------------------------------------------------


def test_every_problem_of_a_file_is_named_at_once() -> None:
    source = csv_source(
        "誤り.csv",
        "年度,市債発行額,元金償還額,経常収支比率の発行額,市債残高,指標1,謎の列\n"
        "令和12年度,1,1,,,,\n"  # 2: a year after the plan
        "2025,△1.0,1,,,,\n"  # 3: a negative flow
        "2026,1,1,0.5,,,\n"  # 4: a flow of an indicator that is not a balance
        "2027,1,1,,150,,\n"  # 5: the balance both forecast and moved by flows
        "2028,1,1,,,120,\n"  # 6: a share above 100%
        "2029,1,1,,,,9\n"  # 7: an unknown item (read as not one: listed, not refused)
        "令和5年度,1,1,,,,\n",  # 8: the baseline year is not planned
    )
    assert problems(source) == [
        "誤り.csv 2行目 A列「年度」: 令和12年度 (2030)は財政見通しの年度（令和6年度 (2024)〜令和11年度 (2029)）の外です。",
        "誤り.csv 3行目 B列「市債発行額」の「△1.0」: 市債発行額が負の値です。増減はそれぞれ0以上の額で記入してください（元金償還額は別の欄に記入します）。",
        "誤り.csv 4行目 D列「経常収支比率の発行額」の「0.5」: 指標3（経常収支比率）は残高の指標ではないため、"
        "増減（市債発行額）は記入できません（増減を記入できるのは指標4（財政調整基金残高）・指標5（市債残高））。",
        "誤り.csv 5行目 E列「市債残高」の「150」: 指標5（市債残高）の令和9年度に、見込値と増減（市債発行額・元金償還額）の"
        "両方があります（増減は誤り.csv 5行目 B列「市債発行額」）。どちらか一方にしてください。",
        "誤り.csv 6行目 F列「指標1」の「120」: 指標1（質の高い行政運営が行われていると感じている市民の割合）の値「120.0」は"
        "ありえない値です（0〜100%の範囲で入力してください）。",
        "誤り.csv 8行目 A列「年度」: 令和5年度 (2023)は財政見通しの年度（令和6年度 (2024)〜令和11年度 (2029)）の外です。",
    ]


def test_rows_and_columns_that_are_not_items_are_listed_and_left_out() -> None:
    # A 財政見通し table as printed: revenue and spending lines around the two flows read.
    printed = (
        "（単位：百万円）\n"
        "区分,令和7年度,令和8年度\n"
        "市税,12000,12100\n"
        "市債,1000,900\n"
        "市債発行額,1000,900\n"
        "公債費,1300,1300\n"
        "元金償還額,1150,1150\n"
    )
    reading = read_scenario_file(PLAN, ScenarioRequest(source=csv_source("見通し.csv", printed)))
    assert reading.problems == () and reading.scenario is not None
    assert flow_table(reading.scenario) == {
        (2025, "issuance"): 10.0,
        (2025, "repayment"): 11.5,
        (2026, "issuance"): 9.0,
        (2026, "repayment"): 11.5,
    }
    assert reading.ignored_line == (
        "読み取らない行・列（財政見通しの項目ではありません。読み取る項目は増減（積立額・取崩額・"
        "市債発行額・元金償還額）または指標の名前・「指標3」（見込値））: 3行目「市税」、4行目「市債」、"
        "6行目「公債費」"
    )
    wide = "年度,市債発行額,元金償還額,合計\n2025,10,11.5,21.5\n"
    reading = read_scenario_file(PLAN, ScenarioRequest(source=csv_source("横.csv", wide)))
    assert reading.problems == () and reading.ignored_line is not None
    assert reading.ignored_line.endswith(": D列「合計」")


def test_a_blank_flow_in_a_year_is_not_taken_for_zero() -> None:
    # 令和9年度's repayment left blank: read as 0 the debt would grow by the whole issuance.
    blank = "年度,市債発行額,元金償還額\n令和8年度,10,11.5\n令和9年度,10,\n"
    assert problems(csv_source("空欄.csv", blank)) == [
        "空欄.csv 3行目 B列「市債発行額」: 令和9年度の元金償還額がありません（市債発行額はあります）。"
        "空欄は0とみなさないため、増減のない年度は0と書いてください。"
    ]
    # Written as 0 it is read; a flow the file never gives (deposits of the fund) counts as none.
    zero = read(
        csv_source("零.csv", "年度,市債発行額,元金償還額\n令和8年度,10,11.5\n令和9年度,10,0\n")
    )
    assert flow_table(zero)[(2027, "repayment")] == 0.0
    assert flow_table(read(csv_source("取崩.csv", "年度,取崩額\n令和8年度,1.2\n"))) == {
        (2026, "withdrawal"): 1.2
    }


def test_unit_mistakes_and_repeated_cells_are_named() -> None:
    source = csv_source(
        "単位.csv",
        "（単位：千円）\n年度,項目,金額,単位\n"
        "2025,発行額,3億円,百万円\n"  # the cell and the unit column disagree
        "2025,積立額,100000,%\n"  # a unit that is not money
        "2025,取崩額,100000,\n"  # 1.0億円 by the unit above the table
        "令和7年度,取崩額,1.0億円,\n"  # the same flow and year again
        "2025,積立額,abc,\n",  # not a number
    )
    assert problems(source) == [
        "単位.csv 3行目 C列「金額」の「3億円」: 単位が食い違っています（D列「単位」「百万円」、値「億円」）。",
        "単位.csv 4行目 C列「金額」の「100000」: 単位「%」は指標4（財政調整基金残高）の単位「億円」に合いません"
        "（使える単位: 億円・百万円・千円・円）。",
        "単位.csv 6行目 C列「金額」の「1.0億円」: 令和7年度の取崩額が単位.csv 5行目 C列「金額」にもあります。"
        "1つにしてください。",
        "単位.csv 7行目 C列「金額」の「abc」: 数値として読めません（例: 87.3、1,234.5、△0.5、22.3億円）。",
    ]


def test_a_money_figure_without_its_unit_is_taken_for_a_mistake() -> None:
    assert problems(csv_source("m.csv", "年度,市債発行額\n2025,1000000\n")) == [
        "m.csv 2行目 B列「市債発行額」の「1000000」: 市債発行額: 指標5（市債残高）の値「1e+06」億円は、"
        "現状値・目標値の100倍を超えます。千円・円の値ではありませんか（単位を付けて「2,230,000千円」のように"
        "入力してください）。"
    ]


def test_files_without_a_scenario_are_refused() -> None:
    assert problems(csv_source("空.csv", "")) == [
        "空.csv: 見出し行が見つかりません。「年度」の列と増減・指標の列（年度ごとの行）、年度を見出しにした列"
        "（項目ごとの行）、または「年度・項目・金額」の列を置いてください。"
    ]
    assert problems(csv_source("見出しだけ.csv", "年度,市債発行額\n")) == [
        "見出しだけ.csv: 財政見通しの値がありません。"
    ]
    assert problems(csv_source("項目なし.csv", "区分,R6,R7\n市税,10,11\n")) == [
        "項目なし.csv: 財政見通しの値がありません（財政見通しの項目として読めない行・列: 2行目「市税」。"
        "読み取る項目は増減（積立額・取崩額・市債発行額・元金償還額）または指標の名前・「指標3」（見込値））。"
    ]
    assert problems(ImportSource(name="old.xls", data=b"x"))[0].startswith("old.xls: 古いExcel形式")


# --- into the store -------------------------------------------------------------------------------

GOOD = "年度,市債発行額,元金償還額\n2025,10,11.5\n2026,10,11.5\n"


def test_an_import_writes_the_scenario_and_logs_the_file(store: Path) -> None:
    source = ScenarioRequest(source=csv_source("ビジョン.csv", GOOD))
    preview = preview_scenario_import(store, source, user="zaisei")
    assert preview.ok and not preview.replaces
    entry = apply_scenario_import(store, source, user="zaisei")
    assert (entry.action, entry.name, entry.file_name, entry.logged_by) == (
        "import",
        "ビジョン",
        "ビジョン.csv",
        "zaisei",
    )
    assert entry.file_sha256 == preview.reading.sha256
    assert list_backups(store) == []  # nothing was replaced
    (kept,) = list_scenarios(store)
    assert flow_table(kept) == {
        (2025, "issuance"): 10.0,
        (2025, "repayment"): 11.5,
        (2026, "issuance"): 10.0,
        (2026, "repayment"): 11.5,
    }


def test_a_refused_import_writes_nothing(store: Path) -> None:
    apply_scenario_import(
        store, ScenarioRequest(source=csv_source("ビジョン.csv", GOOD)), user="zaisei"
    )
    before = dump(store)
    bad = csv_source("ビジョン.csv", "年度,市債発行額\n2030,1\n2025,△1\n")
    with pytest.raises(ValidationError) as info:
        apply_scenario_import(store, ScenarioRequest(source=bad, name="別の名前"), user="zaisei")
    assert len(info.value.problems) == 2
    # The same name again, without asking to replace it.
    again = ScenarioRequest(source=csv_source("ビジョン.csv", "年度,市債発行額\n2025,9\n"))
    with pytest.raises(ValidationError, match="財政見通し「ビジョン」は既にあります"):
        apply_scenario_import(store, again, user="zaisei")
    preview = preview_scenario_import(store, again, user="zaisei")
    assert not preview.ok and preview.replaces and preview.scenario is None
    with pytest.raises(ValidationError, match="財政見通しの値がありません"):
        empty = ScenarioRequest(source=csv_source("空.csv", "年度,市債発行額\n"))
        apply_scenario_import(store, empty, user="zaisei")
    assert dump(store) == before
    # Replaced when asked: the old flows are gone, the log says so.
    replacing = ScenarioRequest(source=again.source, replace_existing=True)
    assert list_backups(store) == []  # no refusal above took a backup
    entry = apply_scenario_import(store, replacing, user="zaisei")
    assert entry.action == "replace"
    assert flow_table(list_scenarios(store)[0]) == {(2025, "issuance"): 9.0}
    (backup,) = list_backups(store)  # what was replaced can still be read
    assert backup.reason == "scenario"
    assert flow_table(list_scenarios(backup.path)[0])[(2025, "repayment")] == 11.5
    assert [(e.action, e.name) for e in scenario_log(store)] == [
        ("replace", "ビジョン"),
        ("import", "ビジョン"),
    ]


def test_a_viewer_may_not_import_a_scenario(store: Path) -> None:
    save_user(store, email="kanri@city.komae.lg.jp", role="管理者", user="setup")
    save_user(store, email="etsuran@city.komae.lg.jp", role="閲覧", user="kanri@city.komae.lg.jp")
    source = ScenarioRequest(source=csv_source("ビジョン.csv", GOOD))
    preview = preview_scenario_import(store, source, user="etsuran@city.komae.lg.jp")
    assert preview.problems == (
        "権限がありません：etsuran@city.komae.lg.jp（閲覧）は閲覧のみの利用者のため、"
        "指標5（市債残高）の財政見通しを入力できません。",
    )
    before = dump(store)
    with pytest.raises(PermissionDeniedError):
        apply_scenario_import(store, source, user="etsuran@city.komae.lg.jp")
    assert dump(store) == before
    apply_scenario_import(store, source, user="kanri@city.komae.lg.jp")
    assert [s.name for s in list_scenarios(store)] == ["ビジョン"]


@pytest.mark.parametrize(
    ("unit", "written", "expected"),
    [
        # 1億円 = 100百万円 = 100,000千円 = 100,000,000円.
        ("億円", "12.3", 12.3),
        ("百万円", "1,230", 12.3),
        ("千円", "1,230,000", 12.3),
        ("円", "1,230,000,000", 12.3),
    ],
)
def test_each_money_unit_in_each_place_a_file_puts_it(
    unit: str, written: str, expected: float
) -> None:
    places = {
        "header": f'年度,市債発行額（{unit}）\n2025,"{written}"\n',
        "header with 単位": f'年度,市債発行額(単位:{unit})\n2025,"{written}"\n',
        "above the table": f'（単位：{unit}）\n年度,市債発行額\n2025,"{written}"\n',
        "cell": f'年度,市債発行額\n2025,"{written}{unit}"\n',
        "unit column": f'年度,項目,金額,単位\n2025,市債発行額,"{written}",{unit}\n',
    }
    for place, text in places.items():
        s = read(csv_source(f"{place}.csv", text))
        assert flow_table(s) == {(2025, "issuance"): expected}, place


def test_every_kind_of_refused_file_leaves_the_store_as_it_was(store: Path) -> None:
    apply_scenario_import(store, ScenarioRequest(source=csv_source("既存.csv", GOOD)), user="A")
    refused = {
        "year": "年度,市債発行額\n2030,1\n",
        "negative": "年度,市債発行額\n2025,△1\n",
        "not a stock": "年度,経常収支比率の発行額\n2025,1\n",
        "forecast and flows": "年度,市債残高,市債発行額\n2025,150,1\n",
        "unknown item": "年度,市税\n2025,1\n",
        "out of bounds": "年度,指標7\n2025,101\n",
        "empty": "",
    }
    before = dump(store)
    for name, text in refused.items():
        with pytest.raises(ValidationError):
            apply_scenario_import(store, ScenarioRequest(source=csv_source(f"{name}.csv", text)))
        assert dump(store) == before, name
    with pytest.raises(ValidationError, match="既にあります"):
        apply_scenario_import(store, ScenarioRequest(source=csv_source("既存.csv", GOOD)))
    assert dump(store) == before
