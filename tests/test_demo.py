"""The demo store: plausible values, every page's banner, never the city's store."""

from __future__ import annotations

from pathlib import Path

import pytest

from komae_kpi.common.errors import KomaeKpiError
from komae_kpi.common.paths import DEFAULT_DB_PATH
from komae_kpi.judgement.progress import load_snapshot, status_records
from komae_kpi.store.connection import init_store
from komae_kpi.store.demo import DEMO_SOURCE, DEMO_YEARS, write_demo_store
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
