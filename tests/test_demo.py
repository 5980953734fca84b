"""The demo store: plausible values, every page's banner, never the city's store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from komae_kpi.common.errors import KomaeKpiError
from komae_kpi.common.paths import DEFAULT_DB_PATH, PLAN_DIR
from komae_kpi.judgement.outlook import load_outlooks
from komae_kpi.judgement.progress import load_snapshot, status_records
from komae_kpi.store.connection import init_store
from komae_kpi.store.demo import DEMO_SCENARIO_NAME, DEMO_SOURCE, DEMO_YEARS, write_demo_store
from komae_kpi.store.scenarios import scenario_log
from tests.store_helpers import dump


def test_a_demo_store_is_marked_and_holds_synthetic_values(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    report = write_demo_store(db)
    snapshot = load_snapshot(db)
    assert snapshot.is_demo
    demo_values = [v for v in snapshot.values if v.fiscal_year in DEMO_YEARS]
    assert report.values == len(demo_values) == 16
    assert all(v.source == DEMO_SOURCE for v in demo_values)
    assert all(s.achievements and s.achievements.startswith("（デモ）") for s in snapshot.statuses)
    assert not any(s.item_no == 60 for s in snapshot.statuses)  # reported under item 8 only
    # Plausible: every value possible for its indicator and near the plan's range.
    for v in demo_values:
        x = snapshot.plan.indicator(v.indicator_no)
        low, high = sorted((x.baseline_value, x.target_value))
        assert low - abs(high - low) <= v.value <= high + abs(high - low)
    # The demo shows warnings as well as good news.
    statuses = {r["status"] for r in status_records(snapshot, 2025)}
    assert {"on_track", "at_risk", "off_track"} <= statuses


def test_demo_generation_is_repeatable(tmp_path: Path) -> None:
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    write_demo_store(a)
    write_demo_store(b)

    def strip(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
        return [r[:6] for r in rows]  # without the timestamps, which differ

    assert strip(dump(a)["indicator_values"]) == strip(dump(b)["indicator_values"])
    assert strip(dump(a)["item_statuses"]) == strip(dump(b)["item_statuses"])


def test_the_citys_store_never_receives_demo_data(store: Path) -> None:
    before = dump(store)
    with pytest.raises(KomaeKpiError, match="市の実データ用"):
        write_demo_store(store)
    assert dump(store) == before


def test_the_default_store_path_is_refused() -> None:
    with pytest.raises(KomaeKpiError, match="既定のストア"):
        write_demo_store(DEFAULT_DB_PATH)


def test_init_keeps_a_demo_store_a_demo_store(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    write_demo_store(db)
    assert init_store(db).kind == "demo"
    assert load_snapshot(db).is_demo


def test_indicators_a_plan_revision_adds_get_demo_values_too(tmp_path: Path) -> None:
    plan_dir = tmp_path / "plan"
    shutil.copytree(PLAN_DIR, plan_dir)
    # 9: an improvement (a rise to a floor); 10: a guardrail under a ceiling it already meets.
    with (plan_dir / "indicators.csv").open("a", encoding="utf-8") as f:
        f.write("9,試験用の改善指標,%,2023,40.0,2029,52.0,>=,fiscal_year_end,,\n")
        f.write("10,試験用の維持指標,%,2023,30.0,2029,40.0,<=,fiscal_year_end,,\n")
    with (plan_dir / "indicator_rules.csv").open("a", encoding="utf-8") as f:
        f.write("9,0.5,,0,100,試験用\n10,,1.0,0,100,試験用\n")
    revised, standard = tmp_path / "revised.duckdb", tmp_path / "standard.duckdb"
    assert write_demo_store(revised, plan_dir=plan_dir).values == 20
    write_demo_store(standard)
    values = {(v.indicator_no, v.fiscal_year): v.value for v in load_snapshot(revised).values}
    # 9 keeps the plan's pace (+2.0 a year) and 10 drifts a tenth of its headroom (+1.0) a year
    # toward its ceiling, each within the demo's noise.
    assert values[(9, 2025)] == pytest.approx(44.0, abs=0.2)
    assert values[(10, 2025)] == pytest.approx(32.0, abs=0.2)
    # The eight indicators the demo's tables know move exactly as before.
    known = {(v.indicator_no, v.fiscal_year): v.value for v in load_snapshot(standard).values}
    assert {k: v for k, v in values.items() if k[0] <= 8} == known


def test_the_demo_store_holds_a_made_up_outlook_that_says_so(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    assert write_demo_store(db).scenarios == 1
    write_demo_store(db)  # made again: still the one scenario, replaced
    (outlook,) = load_outlooks(db)
    s = outlook.scenario
    assert s.is_demo and s.name == DEMO_SCENARIO_NAME and "架空" in (s.note or "")
    assert s.label == "デモ用財政見通し（架空）（デモデータ）"
    assert s.fiscal_years == (2024, 2025, 2026, 2027, 2028, 2029)
    assert [x.indicator.indicator_no for x in outlook.indicators] == [3, 4, 5]
    verdicts = {v.indicator.indicator_no: v for v in outlook.verdicts}
    assert all("デモデータ" in v.sentence for v in verdicts.values())
    # Re-based on the demo's FY2025 actuals: the fund (about 21.9) loses 0.6 a year to about 19.5,
    # below 20.0; the debt (about 164.6) loses 1.5 a year to about 158.6, under 160.
    assert verdicts[4].final_value == pytest.approx(19.5, abs=0.1) and not verdicts[4].meets_target
    assert verdicts[5].final_value == pytest.approx(158.6, abs=0.1) and verdicts[5].meets_target
    assert verdicts[3].meets_target
    assert [e.action for e in scenario_log(db)] == ["replace", "import"]
