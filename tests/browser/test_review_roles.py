"""Each role, signed in for real through the OpenID Connect provider on loopback in headless
Chromium: what a 部署担当, a 承認者, a 閲覧 and a 管理者 may and may not do, from entry through
approval to what everyone reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from komae_kpi.judgement.progress import load_snapshot
from komae_kpi.store.connection import init_store
from komae_kpi.store.record_changes import load_history
from komae_kpi.store.user_admin import save_user
from tests.browser.conftest import OidcProvider, settle, streamlit_server

pytestmark = pytest.mark.browser

ADMIN = "kanri@city.komae.lg.jp"
EDITOR = "zaisei@city.komae.lg.jp"  # 部署担当, 財政課: 指標3–5
APPROVER = "shonin@city.komae.lg.jp"
VIEWER = "etsuran@city.komae.lg.jp"


@pytest.fixture(scope="module")
def team_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("roles") / "kpi.duckdb"
    init_store(db)
    save_user(db, email=ADMIN, role="admin", name="管理 花子", user="setup")
    save_user(db, email=EDITOR, role="editor", departments=["財政課"], name="財政 一郎", user=ADMIN)
    save_user(db, email=APPROVER, role="approver", name="承認 次郎", user=ADMIN)
    save_user(db, email=VIEWER, role="viewer", name="閲覧 三郎", user=ADMIN)
    return db


@pytest.fixture(scope="module")
def app_url(team_store: Path, oidc_provider: OidcProvider) -> Iterator[str]:
    with streamlit_server(team_store, oidc=oidc_provider) as url:
        yield url


def main_text(page: Any) -> str:
    return str(page.locator('[data-testid="stMain"]').inner_text())


def no_exception(page: Any) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


def goto(page: Any, url: str) -> Any:
    page.goto(url)
    settle(page)
    no_exception(page)
    return page


def signed_in(
    open_page: Callable[[str, str], Any], sign_in: Callable[..., Any], url: str, email: str
) -> Any:
    page = open_page(url, f"roles-{email.split('@')[0]}-before")
    sign_in(page, email)
    no_exception(page)
    return page


def test_each_role_from_entry_through_approval(
    app_url: str,
    team_store: Path,
    open_page: Callable[[str, str], Any],
    sign_in: Callable[..., Any],
) -> None:
    # A viewer: every page to read, no forms, no review actions.
    viewer = signed_in(open_page, sign_in, app_url, VIEWER)
    goto(viewer, f"{app_url}/updates?fy=2025")
    assert "閲覧の利用者のため" in main_text(viewer)
    assert viewer.get_by_role("button", name="保存して提出する").count() == 0
    assert viewer.get_by_role("link", name="ファイルの取込").count() == 0
    goto(viewer, f"{app_url}/finance?fy=2025")
    assert "経常収支比率" in main_text(viewer)

    # The 財政課 editor enters 指標3 and submits it; nothing changes for readers yet.
    editor = signed_in(open_page, sign_in, app_url, EDITOR)
    goto(editor, f"{app_url}/updates?fy=2025")
    editor.get_by_role("textbox", name="令和7年度 (2025)の実績値（単位: %）").fill("89.1")
    editor.get_by_role("button", name="保存して提出する").click()
    editor.get_by_text("保存して提出しました（承認待ち）").wait_for(timeout=60_000)
    settle(editor)
    no_exception(editor)
    assert load_snapshot(team_store).indicator_value(3, 2025) is None
    assert [s.submitted_by for s in load_snapshot(team_store).waiting] == [EDITOR]
    editor.screenshot(path="test-artifacts/screenshots/roles-editor-submitted.png")
    # The editor sees what waits but cannot approve it, not even their own.
    goto(editor, f"{app_url}/review?fy=2025")
    assert "財政課（1件）" in main_text(editor)
    assert editor.get_by_role("button", name="承認する").count() == 0

    # The viewer, reading, sees the approved state only.
    goto(viewer, f"{app_url}/indicators?fy=2025&indicator=3")
    assert "89.1" not in main_text(viewer)

    # The approver approves it on /review; then everyone reads it, and the log names them.
    approver = signed_in(open_page, sign_in, app_url, APPROVER)
    goto(approver, f"{app_url}/review?fy=2025")
    assert EDITOR in main_text(approver)
    # 89.1% leaves less headroom below 90.0% than the rule's margin: 注意, so a comment is needed.
    assert "所見（コメント）を記入してください" in main_text(approver)
    approver.get_by_role("button", name="承認する").click()
    approver.get_by_text("承認・差戻しできません（問題が1件）").wait_for(timeout=60_000)
    assert load_snapshot(team_store).indicator_value(3, 2025) is None
    approver.get_by_role("textbox", name="コメント（所見・差し戻す理由）").fill("扶助費の増による")
    approver.get_by_role("button", name="承認する").click()
    approver.get_by_text("を承認しました").wait_for(timeout=60_000)
    settle(approver)
    no_exception(approver)
    value = load_snapshot(team_store).indicator_value(3, 2025)
    assert value is not None and value.value == 89.1
    log = [(e.changed_by, e.action) for e in load_history(team_store)]
    assert (EDITOR, "submit") in log and (APPROVER, "approve") in log
    goto(viewer, f"{app_url}/indicators?fy=2025&indicator=3")
    assert "89.1%" in main_text(viewer)
    assert "所見（承認者）: 扶助費の増による" in main_text(viewer)
    goto(viewer, f"{app_url}/?fy=2025")
    assert "所見（承認者）: 扶助費の増による" in main_text(viewer)

    # The admin sees every page and the forms, for every department's records.
    admin = signed_in(open_page, sign_in, app_url, ADMIN)
    goto(admin, f"{app_url}/updates?fy=2025")
    assert admin.get_by_role("button", name="保存して提出する").count() == 1
    assert admin.get_by_role("link", name="ファイルの取込").count() == 1
