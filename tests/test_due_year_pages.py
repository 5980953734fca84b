"""AppTest: the year a page opens on is the one whose actuals are due, and an empty store says
so instead of showing the baseline year as all 順調."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from komae_kpi.common.clock import TODAY_ENV
from komae_kpi.judgement.progress import load_snapshot
from komae_kpi.store.entries import save_indicator_value
from komae_kpi.views import overview
from komae_kpi.views.status_style import STATUS_BADGE, indicator_status_text
from tests.test_app import PAGES, open_page, page_html, page_text

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")

TODAY = "2026-11-30"  # FY2025 (令和7年度) is the latest year whose actuals are due
ON_TRACK = indicator_status_text("on_track")  # '○ 順調'
ALL_JUDGED_2025 = {1: 75.0, 2: 100.0, 3: 87.3, 4: 22.3, 5: 160.0, 6: 90.0, 7: 35.0, 8: 16.0}


def open_on(
    monkeypatch: pytest.MonkeyPatch, db: Path, page: str = "overview", *, today: str = TODAY
) -> AppTest:
    monkeypatch.setenv(TODAY_ENV, today)
    return open_page(monkeypatch, db, page)


@pytest.mark.parametrize("page", list(PAGES))
def test_an_empty_store_opens_every_page_on_the_due_year(
    page: str, monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = open_on(monkeypatch, store, page)
    assert at.query_params["fy"] == "2025"
    assert "令和7年度 (2025)　狛江市第7次行財政改革推進計画" in page_text(at)
    # No indicator status 順調 (a tile or a badge); the item vocabulary's 順調 heads the
    # departments' count columns, which is not a judgement.
    badge = f'class="kpi-badge {STATUS_BADGE["on_track"]}"'
    assert 'data-status="on_track"' not in page_html(at) and badge not in page_html(at)


def test_the_due_year_follows_the_day(monkeypatch: pytest.MonkeyPatch, store: Path) -> None:
    at = open_on(monkeypatch, store, today="2026-03-31")  # FY2025's actuals are not due yet
    assert at.query_params["fy"] == "2024"


def test_the_url_still_chooses_the_year(monkeypatch: pytest.MonkeyPatch, store: Path) -> None:
    monkeypatch.setenv(TODAY_ENV, TODAY)
    at = open_page(monkeypatch, store, "overview", fy="2024")
    assert at.query_params["fy"] == "2024"


def test_the_entry_form_opens_on_the_due_year_empty(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = open_on(monkeypatch, store, "updates")
    (value,) = [t for t in at.text_input if t.label.endswith("の実績値（単位: %）")]
    assert value.label.startswith("令和7年度 (2025)")
    assert value.value == ""  # not prefilled with the plan's baseline, ready to overwrite it


def test_an_empty_overview_says_nothing_is_reported_and_links_to_entry(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = open_on(monkeypatch, store)
    assert not at.success  # no all-clear
    assert "令和7年度 (2025)の実績はまだ報告されていません。" in page_text(at)
    assert '<a href="./updates?fy=2025" target="_self">実績入力（令和7年度 (2025)）</a>' in (
        page_html(at)
    )
    assert "計画線・目標から遅れている指標（遅れ・注意）はありません。" not in page_text(at)
    tiles = page_html(at).count('data-status="no_data"')
    assert tiles == 8


def test_the_baseline_year_overview_shows_genjochi_tiles_and_no_all_clear(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    monkeypatch.setenv(TODAY_ENV, TODAY)
    at = open_page(monkeypatch, store, "overview", fy="2023")
    assert page_html(at).count('data-status="baseline"') == 8
    assert ON_TRACK not in page_text(at) and not at.success
    assert "令和5年度 (2023)は計画の現状値の年度です。" in page_text(at)
    # The banner about the latest completed year links to 実績入力 on that year.
    assert "最新の完了年度（令和7年度 (2025)）の実績はまだ入力されていません。" in page_text(at)
    assert 'href="./updates?fy=2025"' in page_html(at)


@pytest.mark.parametrize("missing", [7, None], ids=["one-missing", "all-judged"])
def test_the_all_clear_only_once_every_due_indicator_is_judged(
    missing: int | None, monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    for no, value in ALL_JUDGED_2025.items():  # each 順調 or 達成
        if no != missing:
            save_indicator_value(store, no, 2025, value)
    at = open_on(monkeypatch, store)
    assert not at.error and not at.warning
    if missing is None:
        assert [s.value for s in at.success] == [overview.ALL_CLEAR]
        return
    assert not at.success
    assert "指標7の令和7年度 (2025)の実績が未入力のため" in page_text(at)
    assert 'href="./updates?fy=2025"' in page_html(at)


def test_the_indicator_notice_rules(store: Path) -> None:
    today = dt.date.fromisoformat(TODAY)
    empty = overview.indicator_notice(load_snapshot(store), 2026, today)
    assert empty is not None and empty.href == "./updates?fy=2026"
    # FY2026 is not over: the notice says from when its actuals can be entered.
    assert empty.text == (
        "令和8年度 (2026)の実績はまだ報告されていません。"
        "令和8年度 (2026)の実績（決算・確定）は令和9年4月1日から入力できます"
        "（それまでは見込の値を入力できます）。"
    )
    save_indicator_value(store, 5, 2025, 168.0)  # 遅れ: its warning speaks, no notice
    assert overview.indicator_notice(load_snapshot(store), 2025, today) is None
