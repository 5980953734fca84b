import datetime as dt

import pytest

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common.fiscal_year import FiscalYearError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和7年度", 2025),
        ("令和７年度", 2025),  # full-width digit
        ("令和１１年度", 2029),
        ("令和元年度", 2019),
        ("平成31年度", 2019),  # the same year under the old era
        ("平成30年度", 2018),
        ("平成元年度", 1989),
        ("昭和64年度", 1989),
        ("R7", 2025),
        ("r7", 2025),
        ("Ｒ７", 2025),
        ("R7年度", 2025),
        ("令7", 2025),
        ("H30", 2018),
        ("平30", 2018),
        ("R1", 2019),
        ("2025", 2025),
        ("2025年度", 2025),
        ("２０２５年度", 2025),
        ("FY2025", 2025),
        (" 令和 7 年度 ", 2025),
        ("2025.0", 2025),  # a spreadsheet's whole number
        (2025, 2025),
    ],
)
def test_parse_accepts_the_forms_staff_write(text: str | int, expected: int) -> None:
    assert fy.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "令和",
        "令和0年度",
        "平成32年度",
        "R",
        "2025年4月",
        "X7",
        "令和7.5年度",
        "99",
        "3000",
        "abc",
    ],
)
def test_parse_rejects_what_is_not_a_fiscal_year_with_a_japanese_message(text: str) -> None:
    with pytest.raises(FiscalYearError) as info:
        fy.parse(text)
    assert "年度として読めません" in str(info.value)
    assert str(text).strip() in str(info.value)


def test_parse_rejects_booleans() -> None:
    with pytest.raises(FiscalYearError):
        fy.parse(True)


@pytest.mark.parametrize(
    ("year", "text"),
    [
        (2025, "令和7年度"),
        (2019, "令和元年度"),
        (2020, "令和2年度"),
        (2018, "平成30年度"),
        (1989, "平成元年度"),
        (1988, "昭和63年度"),
        (2029, "令和11年度"),
        (2005, "平成17年度"),
    ],
)
def test_wareki(year: int, text: str) -> None:
    assert fy.wareki(year) == text


def test_label_is_wareki_with_the_western_year() -> None:
    assert fy.label(2025) == "令和7年度 (2025)"
    assert fy.label(2019) == "令和元年度 (2019)"


def test_a_made_date_gives_the_western_year_too() -> None:
    assert fy.wareki_date_with_year(dt.date(2026, 11, 29)) == "令和8年11月29日（2026年）"


def test_several_years_share_their_eras_name() -> None:
    assert fy.wareki_years([2024, 2025]) == "令和6・7年度"
    assert fy.wareki_years([2025]) == "令和7年度"
    assert fy.wareki_years([2018, 2019, 2020]) == "平成30年度・令和元・2年度"


def test_short_forms_match_the_plans_table_headings() -> None:
    assert [fy.wareki_short(y) for y in (2020, 2023, 2029, 2018)] == ["R2", "R5", "R11", "H30"]


@pytest.mark.parametrize("year", range(1926, 2101))
def test_round_trip_through_every_written_form(year: int) -> None:
    assert fy.parse(fy.wareki(year)) == year
    assert fy.parse(fy.wareki_short(year)) == year
    assert fy.parse(fy.label(year).split(" ")[0]) == year


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2025, 4, 1), 2025),
        (dt.date(2026, 3, 31), 2025),
        (dt.date(2025, 3, 31), 2024),
        (dt.date(2024, 4, 1), 2024),
        (dt.date(2019, 4, 30), 2019),
        (dt.date(2019, 5, 1), 2019),
    ],
)
def test_fiscal_year_runs_april_to_march(day: dt.date, expected: int) -> None:
    assert fy.fiscal_year_of(day) == expected


def test_fiscal_year_bounds() -> None:
    assert fy.fiscal_year_start(2025) == dt.date(2025, 4, 1)
    assert fy.fiscal_year_end(2025) == dt.date(2026, 3, 31)


def test_calendar_dates_in_their_era() -> None:
    import datetime as dt

    assert fy.wareki_date(dt.date(2026, 11, 29)) == "令和8年11月29日"
    assert fy.wareki_date(dt.date(2019, 5, 1)) == "令和元年5月1日"
    assert fy.wareki_date(dt.date(2019, 4, 30)) == "平成31年4月30日"
    assert fy.wareki_date(dt.date(1989, 1, 8)) == "平成元年1月8日"
