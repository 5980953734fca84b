"""The overview's 「前回会議からの変化」 in headless Chromium: first on the page, the meeting's
changes as tables, and another recorded meeting chosen by its link."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from komae_kpi.common.clock import TODAY_ENV
from komae_kpi.judgement.meeting_changes import record_meeting
from komae_kpi.store.connection import init_store
from tests.browser.conftest import settle, streamlit_server
from tests.test_meetings import change_after_the_meeting, first_meeting

pytestmark = pytest.mark.browser


def test_the_changes_since_the_last_meeting_come_first(
    tmp_path: Path, open_page: Callable[[str, str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TODAY_ENV, "2026-11-30")
    db = tmp_path / "meetings.duckdb"
    init_store(db)
    first_meeting(db)
    change_after_the_meeting(db)
    record_meeting(db, name="令和8年度第2回推進本部", held_on=dt.date(2026, 11, 20))
    with streamlit_server(db, env={TODAY_ENV: "2026-11-30"}) as url:
        page = open_page(url + "/", "overview-meeting")
        assert page.locator('[data-testid="stException"]').count() == 0
        headings = page.locator("h2").all_inner_texts()
        assert headings[0] == "前回会議からの変化"  # before 指標の状況
        assert page.get_by_text("前回会議から変わった指標・取組項目はありません。").count() == 1
        page.locator('nav[aria-label="比べる会議"] a', has_text="令和8年度第1回推進本部").click()
        page.wait_for_url("**meeting=**")
        settle(page)
        table = page.locator('table[aria-label="前回会議から変わった指標"]')
        assert "× 遅れ" in table.inner_text() and "95.0%（見込）" in table.inner_text()
        assert page.locator('[data-testid="stException"]').count() == 0
