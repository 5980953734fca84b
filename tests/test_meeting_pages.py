"""The overview's 「前回会議からの変化」 (issue 15): against the same hand-written changes as
tests/test_meetings.py, the meeting chosen by its links (the latest by default), and the line
shown before any meeting is recorded."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from komae_kpi.judgement.meeting_changes import record_meeting
from komae_kpi.views import meeting_views
from tests import html_text
from tests.test_app import open_page, page_html
from tests.test_meetings import change_after_the_meeting, first_meeting

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOMAE_KPI_TODAY", "2026-11-30")  # FY2025's actuals are due


def section(at: AppTest) -> str:
    whole = page_html(at)
    start = whole.index(f">{meeting_views.SECTION_TITLE}</h2>")
    return whole[start : whole.index("指標の状況</h2>")]


def test_before_any_meeting_one_line_says_where_to_record_one(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = open_page(monkeypatch, store)
    text = html_text.text(section(at))
    assert meeting_views.NO_MEETING in text
    assert 'href="./reports"' in section(at)


def test_the_changes_since_the_meeting_against_the_expectation(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    first_meeting(store)
    change_after_the_meeting(store)
    at = open_page(monkeypatch, store)
    html = section(at)
    assert "令和8年度第1回推進本部（2026-07-15）からの変化（令和7年度 (2025)）" in html_text.text(
        html
    )
    tables = html_text.tables(html)
    assert tables[meeting_views.INDICATOR_TABLE] == [
        ["指標", "変化", "前回会議", "現在"],
        [
            "指標1 質の高い行政運営が行われていると感じている市民の割合",
            "判定・状況の変化",
            "－ 未入力",
            "× 遅れ",
        ],
        [
            "指標1 質の高い行政運営が行われていると感じている市民の割合",
            "新しい実績（令和7年度）",
            "－",
            "60.0%",
        ],
        ["指標3 経常収支比率", "実績の修正（令和7年度）", "95.0%（見込）", "95.5%"],
    ]
    items = tables[meeting_views.ITEM_TABLE]
    assert items[0] == ["取組項目", "変化", "前回会議", "現在"]
    assert items[1] == ["施策1 質の高い行政運営の推進"]  # 施策 first, then its departments
    body = [r for r in items[1:] if len(r) == 4]
    assert body == [
        ["取組項目5 行政事務の効率化に向けた業務の見直し", "判定・状況の変化", "○ 順調", "◎ 完了"],
        [
            "取組項目9 行政手続きのデジタル化、電子申請・届出の拡充",
            "新たに報告",
            "－ 未報告",
            "◎ 完了",
        ],
        ["取組項目8 デジタル人財の育成", "判定・状況の変化", "○ 順調", "× 遅れ"],
    ]
    assert "取組項目60" not in html  # the repost of item 8 counts once
    unreported = html_text.records(tables[meeting_views.UNREPORTED_TABLE])
    assert unreported and all(r["件数"].endswith("件") for r in unreported)
    assert "未報告のままの取組項目（" in html_text.text(html)


def test_the_latest_meeting_is_the_default_and_links_choose_another(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    first_meeting(store)
    change_after_the_meeting(store)
    record_meeting(store, name="令和8年度第2回推進本部", held_on=dt.date(2026, 11, 20))
    at = open_page(monkeypatch, store)
    html = section(at)
    assert "令和8年度第2回推進本部（2026-11-20）からの変化" in html_text.text(html)
    assert meeting_views.NOTHING_CHANGED in html_text.text(html)  # nothing since the latest
    assert 'aria-label="比べる会議"' in html
    earlier = open_page(monkeypatch, store, meeting="令和8年度第1回推進本部")
    assert "令和8年度第1回推進本部（2026-07-15）からの変化" in html_text.text(section(earlier))
    assert meeting_views.INDICATOR_TABLE in section(earlier)
