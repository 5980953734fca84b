"""AppTest of /updates: a published figure is shown as published, not offered for editing, and an
actual of a year not yet finished is refused with the day it can be entered (store/entry_rules.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from komae_kpi.common.clock import TODAY_ENV
from komae_kpi.judgement.progress import load_snapshot
from tests.store_helpers import dump
from tests.test_updates_page import button, choose_indicator, html, open_updates, text_input

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def test_a_published_year_shows_the_figure_and_its_source_read_only(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    monkeypatch.setenv(TODAY_ENV, "2026-11-30")
    at = open_updates(monkeypatch, store, year=2023)
    choose_indicator(at, 3)
    assert not at.exception
    page = html(at)
    assert (
        "指標3 令和5年度の値 87.3% は公表値です（出典: 総務省 主要財政指標一覧 R5）。"
        "画面やファイル取込では変更できません。"
        "公表値の訂正は data/history/ の修正として行ってください。"
    ) in page
    assert not [t for t in at.text_input if "実績値" in t.label]
    # A plan baseline too, with where it is corrected.
    choose_indicator(at, 1)
    assert "指標1 令和5年度の値 71.4% は公表値です" in html(at)
    assert "data/plan/indicators.csv" in html(at)
    assert not [t for t in at.text_input if "実績値" in t.label]


def test_an_actual_of_a_year_not_yet_ended_is_refused_with_its_date(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    monkeypatch.setenv(TODAY_ENV, "2026-11-30")
    before = dump(store)
    at = open_updates(monkeypatch, store, year=2026)
    choose_indicator(at, 1)
    # The form says from when, and offers 見込 first while the year runs.
    assert "指標1 令和8年度の実績は令和9年4月1日から入力できます。" in html(at)
    assert at.radio[0].value == "estimate"
    at.radio[0].set_value("settled")
    text_input(at, "令和8年度 (2026)の実績値").input("73.0")
    button(at, "保存する").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["保存できません（問題が1件）。何も書き込んでいません。"]
    assert "指標1 令和8年度の実績は令和9年4月1日から入力できます。" in html(at)
    assert dump(store) == before
    # As a 見込 it is saved.
    at.radio[0].set_value("estimate")
    button(at, "保存する").click().run()
    assert [s.value for s in at.success] == ["保存しました。"]
    assert load_snapshot(store).indicator_value(1, 2026) is not None
