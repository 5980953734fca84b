"""AppTest of the pages under roles and review (issue 10): /review 承認, /updates per role, the
header's 承認待ち toggle and /reports' count. st.user is seeded here; signing in for real through
an OpenID Connect provider is tests/browser/test_review_roles.py."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from komae_kpi.common.paths import DB_ENV_VAR, PROJECT_ROOT
from komae_kpi.judgement.approvals import return_to_submitter
from komae_kpi.judgement.progress import load_snapshot
from komae_kpi.store.entries import save_indicator_value, save_item_status
from komae_kpi.store.record_changes import load_history
from komae_kpi.store.user_admin import save_user
from tests.auth_settings import AUTH
from tests.store_helpers import dump
from tests.test_updates_page import choose_indicator, indicator_links, open_tab, part_labels

DASHBOARD = str(PROJECT_ROOT / "dashboard.py")
ADMIN = "kanri@city.komae.lg.jp"
FINANCE = "zaisei@city.komae.lg.jp"
APPROVER = "shonin@city.komae.lg.jp"
VIEWER = "etsuran@city.komae.lg.jp"

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


@pytest.fixture
def team(store: Path) -> Path:
    save_user(store, email=ADMIN, role="admin", user="setup")
    save_user(store, email=FINANCE, role="editor", departments=["財政課"], user=ADMIN)
    save_user(store, email=APPROVER, role="approver", user=ADMIN)
    save_user(store, email=VIEWER, role="viewer", user=ADMIN)
    return store


def _open(monkeypatch: pytest.MonkeyPatch, db: Path, email: str, page: str) -> AppTest:
    monkeypatch.setenv(DB_ENV_VAR, str(db))
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": email, "exp": time.time() + 3600}
    at.query_params["fy"] = "2025"
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _html(at: AppTest) -> str:
    return "".join(h.value for h in at.html)


def _texts(at: AppTest) -> str:
    return _html(at) + "".join(
        e.value for kind in (at.info, at.warning, at.success, at.error) for e in kind
    )


def test_an_approver_approves_on_the_review_page_and_the_log_names_them(
    monkeypatch: pytest.MonkeyPatch, team: Path
) -> None:
    save_item_status(
        team, 21, 2025, "順調", achievements="中期財政ビジョンに沿って運営", user=FINANCE
    )
    at = _open(monkeypatch, team, APPROVER, "review")
    page = _html(at)
    assert (
        "財政課（1件）" in page and "取組項目21" in page and "中期財政ビジョンに沿って運営" in page
    )
    assert FINANCE in page
    next(b for b in at.button if b.label == "承認する").click().run()
    _ok(at)
    assert "を承認しました" in _texts(at)
    status = load_snapshot(team).item_status(21, 2025)
    assert status is not None and status.status == "順調"
    assert [e.changed_by for e in load_history(team) if e.action == "approve"] == [APPROVER]


def test_the_review_page_returns_with_a_comment_shown_to_the_submitter(
    monkeypatch: pytest.MonkeyPatch, team: Path
) -> None:
    save_item_status(team, 22, 2025, "順調", user=FINANCE)
    at = _open(monkeypatch, team, APPROVER, "review")
    at.text_input[0].input("実績を具体的に書いてください")
    next(b for b in at.button if b.label == "差し戻す").click().run()
    _ok(at)
    assert load_snapshot(team).open_submissions[0].state == "returned"
    at = _open(monkeypatch, team, FINANCE, "updates")
    assert "差し戻されました：取組項目22" in _texts(at)
    assert "実績を具体的に書いてください" in _texts(at)


def test_no_review_buttons_for_ones_own_submission_a_viewer_or_an_editor(
    monkeypatch: pytest.MonkeyPatch, team: Path
) -> None:
    save_item_status(team, 21, 2025, "順調", user=APPROVER)
    at = _open(monkeypatch, team, APPROVER, "review")
    assert "自分の提出は承認できません" in "".join(c.value for c in at.caption)
    assert not [b for b in at.button if b.label in ("承認する", "差し戻す")]
    at = _open(monkeypatch, team, FINANCE, "review")
    assert "取組項目21" in _html(at)
    assert not [b for b in at.button if b.label in ("承認する", "差し戻す")]
    assert "承認・差戻しは承認者・管理者が行います" in _html(at)
    # A viewer reads the approved state only: how many records wait, not what they say.
    at = _open(monkeypatch, team, VIEWER, "review")
    assert "取組項目21" not in _html(at)
    assert "承認待ちの記録が1件あります" in _texts(at)


def test_approving_a_department_at_once(monkeypatch: pytest.MonkeyPatch, team: Path) -> None:
    save_item_status(team, 21, 2025, "順調", user=FINANCE)
    save_item_status(team, 23, 2025, "順調", user=FINANCE)
    at = _open(monkeypatch, team, APPROVER, "review")
    next(b for b in at.button if b.label == "財政課の2件をまとめて承認する").click().run()
    _ok(at)
    assert "財政課の2件を承認しました" in _texts(at)
    assert load_snapshot(team).waiting == ()


def test_a_viewer_sees_no_forms_and_is_told_why(
    monkeypatch: pytest.MonkeyPatch, team: Path
) -> None:
    before = dump(team)
    at = _open(monkeypatch, team, VIEWER, "updates")
    assert "閲覧の利用者のため" in _texts(at)
    assert part_labels(at) == ["照会様式（Excel）", "変更履歴"]
    assert not at.text_input and not [b for b in at.button if "保存" in b.label]
    assert dump(team) == before


def test_an_editor_gets_only_their_departments_records_and_submits(
    monkeypatch: pytest.MonkeyPatch, team: Path
) -> None:
    at = _open(monkeypatch, team, FINANCE, "updates")
    assert list(indicator_links(at)) == [3, 4, 5]
    choose_indicator(at, 5)
    next(t for t in at.text_input if t.label.startswith("令和7年度")).input("165.0")
    next(b for b in at.button if b.label == "保存して提出する").click().run()
    _ok(at)
    assert "保存して提出しました（承認待ち）" in _texts(at)
    assert load_snapshot(team).indicator_value(5, 2025) is None
    # The form now shows the waiting value and whose it is.
    assert "承認待ち: " + FINANCE in _html(at)
    open_tab(at, "取組項目の進捗状況")
    _ok(at)
    assert at.selectbox[0].options == ["すべて", "財政課"]


def test_a_returned_record_is_shown_in_its_form_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, team: Path
) -> None:
    save_indicator_value(team, 5, 2025, 165.0, source="決算見込み", user=FINANCE)
    return_to_submitter(team, 1, comment="決算の数値にしてください", user=APPROVER)
    at = _open(monkeypatch, team, FINANCE, "updates")
    choose_indicator(at, 5)
    _ok(at)
    assert next(t for t in at.text_input if t.label.startswith("令和7年度")).value == "165"
    assert "差し戻した内容を表示しています（理由: 決算の数値にしてください）" in _html(at)


def test_the_header_toggle_shows_waiting_records_marked(
    monkeypatch: pytest.MonkeyPatch, team: Path
) -> None:
    save_indicator_value(team, 5, 2025, 165.0, user=FINANCE)
    save_item_status(team, 21, 2025, "完了", user=FINANCE)
    at = _open(monkeypatch, team, FINANCE, "items")
    assert "［承認待ち］" not in _html(at)
    toggle = next(t for t in at.toggle if t.label.startswith("承認待ち（2件）"))
    toggle.set_value(True).run()
    _ok(at)
    assert "完了［承認待ち］" in _html(at)
    at.switch_page("pages/indicators.py").run()  # the choice follows the person
    _ok(at)
    page = _html(at)
    assert "165.0億円（令和7年度 (2025)）" in page
    assert re.search(r"<td>市債残高</td><td[^>]*>[^<]*［承認待ち］</td>", page)
    assert not re.search(r"<td>経常収支比率</td><td[^>]*>[^<]*［承認待ち］</td>", page)
    # A viewer has no such toggle.
    at = _open(monkeypatch, team, VIEWER, "items")
    assert not [t for t in at.toggle if t.label.startswith("承認待ち")]


def test_the_header_toggle_shows_what_waits_not_what_was_returned(
    monkeypatch: pytest.MonkeyPatch, team: Path
) -> None:
    """A returned record goes back to its submitter's form; it is not 承認待ち on the pages."""
    save_indicator_value(team, 5, 2025, 165.0, user=FINANCE)
    return_to_submitter(team, 1, comment="決算の数値にしてください", user=APPROVER)
    save_item_status(team, 21, 2025, "完了", user=FINANCE)
    at = _open(monkeypatch, team, FINANCE, "indicators")
    toggle = next(t for t in at.toggle if t.label.startswith("承認待ち（1件）"))
    toggle.set_value(True).run()
    _ok(at)
    page = _html(at)
    assert "165.0億円" not in page and "［承認待ち］" not in page
    at.switch_page("pages/items.py").run()
    _ok(at)
    assert "完了［承認待ち］" in _html(at)


def test_reports_say_how_many_records_wait(monkeypatch: pytest.MonkeyPatch, team: Path) -> None:
    save_item_status(team, 21, 2025, "順調", user=FINANCE)
    save_item_status(team, 22, 2025, "順調", user=FINANCE)
    return_to_submitter(team, 2, comment="再確認", user=APPROVER)
    at = _open(monkeypatch, team, ADMIN, "reports")
    assert "承認待ちの記録が1件あります" in _texts(at)


def test_without_users_the_review_page_says_saves_are_in_force_at_once(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    monkeypatch.setenv(DB_ENV_VAR, str(store))
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.run()
    at.switch_page("pages/review.py").run()
    _ok(at)
    assert "承認は不要です" in _texts(at)
