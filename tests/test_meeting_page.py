"""AppTest of /reports' 推進本部会議の記録 (issue 15): the recorded meetings as a table, recording
one through the form (a refusal shows the store's words, nothing written), the confirmed remove,
no form for a visitor who may not, and the meeting whose changes the report and the deck open
with."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from streamlit.testing.v1 import AppTest

from komae_kpi.common.clock import TODAY_ENV
from komae_kpi.judgement.meeting_changes import record_meeting
from komae_kpi.outputs.chart_images import chromium_path
from komae_kpi.store.entries import save_item_status
from komae_kpi.store.meetings import list_meetings, meeting_log
from komae_kpi.store.user_admin import save_user
from komae_kpi_ui import meeting_panel
from tests import html_text
from tests.store_helpers import dump
from tests.test_app import follow, make_links
from tests.test_meetings import change_after_the_meeting
from tests.test_outlook_pages import _ok
from tests.test_outlook_pages import _open as open_page

FIRST = "令和8年度第1回推進本部"
SECOND = "令和8年度第2回推進本部"
TABLE = "推進本部会議の記録"
ADMIN = "kanri@city.komae.lg.jp"
VIEWER = "etsuran@city.komae.lg.jp"

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TODAY_ENV, "2026-11-30")  # FY2025's actuals are due


@pytest.fixture
def recorded(store: Path) -> Path:
    save_item_status(store, 8, 2025, "順調")
    record_meeting(store, name=FIRST, held_on=dt.date(2026, 7, 15), user="seisaku")
    return store


def _open(
    monkeypatch: pytest.MonkeyPatch, db: Path, email: str | None = None, **query: str
) -> AppTest:
    return open_page(monkeypatch, db, "reports", dict(query), email)


def _html(at: AppTest) -> str:
    return "".join(h.value for h in at.html)


def _plain(markdown: str) -> str:
    """A message as shown: plain_text.literal escapes Markdown's special characters."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("  \n", "\n")


def _listed(at: AppTest) -> list[dict[str, str]]:
    found = html_text.tables(_html(at)).get(TABLE)
    return [] if found is None else html_text.records(found)


def _open_panel(at: AppTest) -> AppTest:
    """Open 「会議を記録・削除する」 (AppTest cannot click an expander: its state is set)."""
    at.session_state[meeting_panel.PANEL_KEY] = True
    at.run()
    _ok(at)
    return at


def _record(at: AppTest, name: str, *, as_of: dt.date | None = None) -> None:
    next(t for t in at.text_input if t.label == "会議名").input(name)
    if as_of is not None:
        next(d for d in at.date_input if d.label.startswith("時点の日付")).set_value(as_of)
    next(b for b in at.button if b.label == "記録する").click().run()
    _ok(at)


def test_the_meetings_are_listed_with_how_their_state_was_made(
    monkeypatch: pytest.MonkeyPatch, recorded: Path
) -> None:
    (first,) = list_meetings(recorded)
    record_meeting(
        recorded,
        name=SECOND,
        held_on=dt.date(2026, 11, 20),
        as_of=first.state_at,
        user="seisaku",
    )
    second = list_meetings(recorded)[1]
    assert second.recorded_at is not None and first.recorded_at is not None
    at = _open(monkeypatch, recorded)
    assert _listed(at) == [
        {
            "会議名": SECOND,
            "開催日": "2026-11-20",
            "年度": "令和7年度 (2025)",
            "記録した日時・人": f"{second.recorded_at:%Y-%m-%d %H:%M} seisaku",
            "前回会議の状態の作り方": f"変更履歴から再現（{first.state_at:%Y-%m-%d %H:%M}時点）",
        },
        {
            "会議名": FIRST,
            "開催日": "2026-07-15",
            "年度": "令和7年度 (2025)",
            "記録した日時・人": f"{first.recorded_at:%Y-%m-%d %H:%M} seisaku",
            "前回会議の状態の作り方": f"記録時（{first.state_at:%Y-%m-%d %H:%M}時点）",
        },
    ]


def test_no_meeting_yet_is_said_and_no_choice_is_drawn(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = _open(monkeypatch, store)
    assert "推進本部会議はまだ記録されていません。" in html_text.text(_html(at))
    assert not [s for s in at.selectbox if s.label.startswith("「前回会議からの変化」")]


def test_recording_through_the_form_writes_it_and_a_duplicate_is_refused(
    monkeypatch: pytest.MonkeyPatch, recorded: Path
) -> None:
    at = _open_panel(_open(monkeypatch, recorded))
    _record(at, SECOND)
    assert [m.name for m in list_meetings(recorded)] == [FIRST, SECOND]
    (done,) = at.success
    assert _plain(done.value).startswith(
        f"会議「{SECOND}」を記録しました（2026-11-30開催、令和7年度 (2025)、"
    )
    assert [r["会議名"] for r in _listed(at)] == [SECOND, FIRST]
    assert meeting_log(recorded)[0].logged_by == list_meetings(recorded)[1].recorded_by

    before = dump(recorded)
    _record(at, FIRST)
    (refused,) = at.error
    assert "記録できません（何も書き込んでいません）。" in _plain(refused.value)
    assert f"会議「{FIRST}」は既に記録されています。別の名前にしてください。" in _plain(
        refused.value
    )
    assert dump(recorded) == before


def test_a_meeting_recorded_afterwards_is_rebuilt_from_the_change_log(
    monkeypatch: pytest.MonkeyPatch, recorded: Path
) -> None:
    at = _open_panel(_open(monkeypatch, recorded))
    _record(at, "再現", as_of=dt.date(2026, 1, 1))
    rebuilt = list_meetings(recorded)[-1]
    assert rebuilt.name == "再現" and rebuilt.rebuilt
    assert rebuilt.state_at == dt.datetime(2026, 1, 1)
    assert rebuilt.statuses == ()  # item 8 was reported after that day


def test_the_text_rule_refuses_a_name_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, recorded: Path
) -> None:
    at = _open_panel(_open(monkeypatch, recorded))
    before = dump(recorded)
    _record(at, "   ")
    (refused,) = at.error
    assert "会議の名前が空です。" in _plain(refused.value)
    assert dump(recorded) == before


def test_a_time_without_a_day_is_refused(monkeypatch: pytest.MonkeyPatch, recorded: Path) -> None:
    at = _open_panel(_open(monkeypatch, recorded))
    before = dump(recorded)
    next(t for t in at.time_input if t.label.startswith("時点の時刻")).set_value(dt.time(9, 0))
    _record(at, SECOND)
    assert [e.value for e in at.error] == [
        "時点の時刻だけが指定されています。日付も指定してください（何も書き込んでいません）。"
    ]
    assert dump(recorded) == before


def test_removing_asks_for_confirmation(monkeypatch: pytest.MonkeyPatch, recorded: Path) -> None:
    at = _open_panel(_open(monkeypatch, recorded))
    assert not [b for b in at.button if b.label == "削除する"]
    at.selectbox(key="meeting-remove-choice").select(FIRST).run()
    assert not [b for b in at.button if b.label == "削除する"]
    at.checkbox(key=f"meeting-remove-confirm:{FIRST}").check().run()
    next(b for b in at.button if b.label == "削除する").click().run()
    _ok(at)
    assert list_meetings(recorded) == []
    (done,) = at.success
    assert _plain(done.value).startswith(
        f"会議「{FIRST}」の記録を削除しました（2026-07-15開催、令和7年度 (2025)、"
    )
    assert [(e.action, e.name) for e in meeting_log(recorded)] == [
        ("remove", FIRST),
        ("add", FIRST),
    ]
    assert "推進本部会議はまだ記録されていません。" in html_text.text(_html(at))


def test_a_viewer_sees_the_meetings_but_no_form(
    monkeypatch: pytest.MonkeyPatch, recorded: Path
) -> None:
    save_user(recorded, email=ADMIN, role="admin", user="setup")
    save_user(recorded, email=VIEWER, role="viewer", user=ADMIN)
    at = _open_panel(_open(monkeypatch, recorded, VIEWER))  # even asked to open it
    assert [r["会議名"] for r in _listed(at)] == [FIRST]
    assert not at.expander and not at.text_input
    assert not [b for b in at.button if b.label in ("記録する", "削除する")]
    # An administrator has the panel; its widgets are drawn once it is opened.
    at = _open(monkeypatch, recorded, ADMIN)
    assert [e.label for e in at.expander] == ["会議を記録・削除する"]
    assert not at.text_input
    assert [t.label for t in _open_panel(at).text_input] == ["会議名"]


def test_the_report_and_the_deck_open_with_the_chosen_meeting(
    monkeypatch: pytest.MonkeyPatch, recorded: Path
) -> None:
    import komae_kpi_ui.outputs as outputs

    asked: list[str | None] = []

    def deck(path: Path, year: int, since: str | None) -> Callable[[], bytes]:
        def make() -> bytes:
            asked.append(since)
            return f"PK-{since}".encode()

        return make

    monkeypatch.setattr(outputs, "meeting_deck", deck)
    record_meeting(recorded, name=SECOND, held_on=dt.date(2026, 11, 20), user="seisaku")
    at = _open(monkeypatch, recorded)
    choice = at.selectbox(key="url_since")
    assert choice.options == [SECOND, FIRST, "なし"]
    assert choice.value == SECOND  # the latest held
    follow(at, make_links(at)["会議資料を作成"])
    assert "会議資料をダウンロード" in {b.proto.label for b in at.get("download_button")}
    # Another choice: the deck made for the latest is no longer offered; the choice is in the
    # URL, so the 「作成」 link (a fresh load of the page) makes the deck for it.
    at.selectbox(key="url_since").select("なし").run()
    assert "会議資料をダウンロード" not in {b.proto.label for b in at.get("download_button")}
    link = make_links(at)["会議資料を作成"]
    assert dict(parse_qsl(link.lstrip("?"))) == {"fy": "2025", "since": "なし", "make": "pptx"}
    follow(at, make_links(at)["会議資料を作成"])
    at.selectbox(key="url_since").select(FIRST).run()
    follow(at, make_links(at)["会議資料を作成"])
    _ok(at)
    assert asked == [SECOND, None, FIRST]
    # Back to the latest: the deck made for it is offered again, not made again.
    at.selectbox(key="url_since").select(SECOND).run()
    assert "会議資料をダウンロード" in {b.proto.label for b in at.get("download_button")}
    assert asked == [SECOND, None, FIRST]


def test_the_page_makers_put_the_changes_in_the_report(recorded: Path) -> None:
    if chromium_path() is None:
        pytest.skip("Chromium is not installed")
    import komae_kpi_ui.outputs as outputs

    change_after_the_meeting(recorded)
    shown = html_text.text(outputs.maker("html", recorded, 2025, FIRST)().decode("utf-8"))
    assert f"前回会議からの変化 {FIRST}（2026-07-15）からの変化（令和7年度 (2025)）" in shown
    assert "取組項目8 デジタル人財の育成 判定・状況の変化 ○ 順調 × 遅れ" in shown
    plain = html_text.text(outputs.maker("html", recorded, 2025)().decode("utf-8"))
    assert "前回会議からの変化" not in plain
