"""The shipped history is Komae's published series, value for value, each with its source."""

from __future__ import annotations

import csv

from komae_kpi.plan import facts
from komae_kpi.plan.plan_files import load_history, load_plan
from tests.conftest import FISCAL_HISTORY, shared_file

PLAN = load_plan()
HISTORY = load_history(PLAN)

# The history file's columns shipped as reference series, under the same names.
SERIES = ("fiscal_strength_index_3yr", "real_debt_service_ratio_pct", "future_burden_ratio_pct")


def _published() -> list[dict[str, str]]:
    with shared_file(FISCAL_HISTORY).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_current_balance_ratio_is_shipped_for_every_published_year() -> None:
    shipped = {v.fiscal_year: v for v in HISTORY.indicator_values if v.indicator_no == 3}
    published = {int(r["fiscal_year"]): r for r in _published() if r["current_balance_ratio_pct"]}
    assert sorted(published) == list(range(2005, 2024))
    assert sorted(shipped) == sorted(published)
    for year, row in published.items():
        assert shipped[year].value == float(row["current_balance_ratio_pct"])
        source = shipped[year].source
        assert source and row["source"].startswith(source)


def test_reference_series_match_the_published_file() -> None:
    shipped = {(v.series_code, v.fiscal_year): v.value for v in HISTORY.reference_values}
    expected = {
        (code, int(r["fiscal_year"])): float(r[code])
        for r in _published()
        for code in SERIES
        if r[code]
    }
    assert shipped == expected
    assert {s.series_code for s in HISTORY.reference_series} == set(SERIES)


def test_the_published_fy2023_ratio_is_the_plans_baseline() -> None:
    fy2023 = next(
        v for v in HISTORY.indicator_values if (v.indicator_no, v.fiscal_year) == (3, 2023)
    )
    assert fy2023.value == PLAN.indicator(3).baseline_value == 87.3


def test_other_indicators_have_their_plan_baseline_as_the_fy2023_actual() -> None:
    baselines = {v.indicator_no: v for v in HISTORY.indicator_values if v.fiscal_year == 2023}
    assert sorted(baselines) == list(range(1, 9))
    for x in PLAN.indicators:
        assert baselines[x.indicator_no].value == x.baseline_value
        if x.indicator_no != 3:
            assert baselines[x.indicator_no].source == facts.BASELINE_SOURCE
    # No invented numbers: apart from the ratio's published series, only the baselines ship.
    assert {v.indicator_no for v in HISTORY.indicator_values if v.fiscal_year != 2023} == {3}
