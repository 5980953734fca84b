"""The overview's tiles, gap warnings and freshness notes, on stores the tests fill."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from komae_kpi.judgement.progress import load_snapshot, status_records
from komae_kpi.store.entries import save_indicator_value, save_item_status
from komae_kpi.views.overview import (
    freshness_notes,
    gap_warnings,
    tiles,
)


def test_tiles_show_latest_value_year_change_and_target(store: Path) -> None:
    save_indicator_value(store, 3, 2024, 88.0)
    save_indicator_value(store, 3, 2025, 88.6)
    ratio = tiles(load_snapshot(store), 2025)[2]
    assert (ratio.indicator_no, ratio.value_text, ratio.year_text) == (
        3,
        "88.6%",
        "令和7年度 (2025)",
    )
    assert ratio.change_text == "+0.6ポイント（前年度比）"
    assert ratio.change_is_good is False  # a rising ratio moves away from "90.0%以下"
    assert ratio.delta_color == "inverse"
    assert ratio.target_text == "目標 90.0%以下（令和11年度 (2029)）"
    assert ratio.sparkline[-3:] == (87.3, 88.0, 88.6)
    assert ratio.status_text == "△ 注意"  # the trend (+0.65 a year) crosses 90.0% before FY2029


def test_a_tile_without_this_years_actual_says_so(store: Path) -> None:
    tile = tiles(load_snapshot(store), 2025)[0]
    assert tile.status == "no_data" and tile.status_text == "－ 未入力"
    assert tile.year_text == "令和5年度 (2023)"  # the latest actual there is
    assert tile.change_text is None


def test_warnings_name_exactly_the_off_track_and_at_risk_indicators(store: Path) -> None:
    save_indicator_value(store, 5, 2025, 168.0)  # 市債残高 rising: off track
    save_indicator_value(store, 3, 2025, 89.5)  # ratio close to 90.0: at risk
    save_indicator_value(store, 1, 2025, 72.7)  # ahead of the path: on track
    snapshot = load_snapshot(store)
    warnings = gap_warnings(snapshot, 2025)
    records = {r["indicator_no"]: r["status"] for r in status_records(snapshot, 2025)}
    assert (
        [w.indicator_no for w in warnings if w.level == "error"]
        == [n for n, s in records.items() if s == "off_track"]
        == [5]
    )
    assert (
        [w.indicator_no for w in warnings if w.level == "warning"]
        == [n for n, s in records.items() if s == "at_risk"]
        == [3]
    )
    debt = warnings[0]
    assert debt.title == "× 遅れ：指標5 市債残高"
    for words in (
        "168.0億円",
        "令和7年度 (2025)",
        "計画線 165.1億円",
        "差 +2.9億円",
        "年2.0億円の減少が必要",
        "実績の傾向は年0.2億円の増加",
    ):  # (168.0 - 167.7) / 2
        assert words in debt.body, words
    ratio = warnings[1]
    assert (
        "上限まで残り0.5ポイント" in ratio.body and "年0.1ポイントの上昇までに抑える" in ratio.body
    )


def test_freshness_notes(store: Path) -> None:
    save_indicator_value(store, 3, 2025, 88.0)
    save_item_status(store, 21, 2025, "順調")
    notes = freshness_notes(load_snapshot(store), 2025, dt.date(2026, 11, 29))
    assert notes[0].text.startswith("令和7年度 (2025)の実績が未入力です（7指標）")
    assert "指標3" not in notes[0].text and "指標1 質の高い行政運営" in notes[0].text
    assert notes[0].href == "./updates?fy=2025"  # 実績入力, on the year
    assert notes[1].text == (
        "令和7年度 (2025)の取組項目の進捗状況が未報告です: 60項目"
        "（部署別の画面で部署ごとに確認できます）"
    )
    assert notes[1].href is None


def test_viewing_an_old_year_notes_that_the_latest_year_is_not_entered(store: Path) -> None:
    notes = freshness_notes(load_snapshot(store), 2023, dt.date(2026, 11, 29))
    assert [n.text for n in notes] == [
        "最新の完了年度（令和7年度 (2025)）の実績はまだ入力されていません。"
    ]
    assert (notes[0].link_text, notes[0].href) == (
        "実績入力（令和7年度 (2025)）",
        "./updates?fy=2025",
    )


def test_the_latest_completed_year_is_the_due_year(store: Path) -> None:
    # facts.due_fiscal_year: FY2025 is due from 1 April 2026 (the ※ indicators' count date too).
    snapshot = load_snapshot(store)
    before = freshness_notes(snapshot, 2023, dt.date(2026, 3, 31))
    assert [n.text for n in before] == [
        "最新の完了年度（令和6年度 (2024)）の実績はまだ入力されていません。"
    ]
    after = freshness_notes(snapshot, 2023, dt.date(2026, 4, 1))
    assert after[0].href == "./updates?fy=2025"


def test_a_warning_past_a_bound_says_how_far_and_what_brings_it_back(store: Path) -> None:
    save_indicator_value(store, 3, 2025, 90.8)  # 経常収支比率 over its 90.0% ceiling
    (ratio,) = gap_warnings(load_snapshot(store), 2025)
    assert (ratio.level, ratio.title) == ("error", "× 遅れ：指標3 経常収支比率")
    assert ratio.body == (
        "最新の実績値は90.8%（令和7年度 (2025)）で、目標（90.0%以下）の上限を0.8ポイント超えています"
        "（計画線＝上限 90.0%、差 +0.8ポイント）。目標の範囲に戻すには年0.2ポイントの低下が必要です。"
        "実績の傾向は年1.8ポイントの上昇です。"
    )
