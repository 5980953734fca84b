"""Signing in for real: headless Chromium, the dashboard with [auth] configured, and an OpenID
Connect provider on loopback (oidc-provider-mock) whose authorization form each test fills in.

And without sign-in: the server listens on this machine only, and a request that reaches it any
other way (a proxy's forwarding header, a non-loopback client address) gets read-only pages that
say why.
"""

from __future__ import annotations

import datetime as dt
import socket
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from komae_kpi.common.paths import PROJECT_ROOT
from komae_kpi.store.connection import init_store
from komae_kpi.store.entries import save_indicator_value
from komae_kpi.store.user_admin import save_user
from tests.browser.conftest import (
    PAGES,
    SCREENSHOTS,
    OidcProvider,
    authorize,
    end_session_page,
    oidc_provider_server,
    settle,
    streamlit_server,
)

pytestmark = pytest.mark.browser

ADMIN = "Kanri@City.Komae.lg.jp"  # registered with capitals; signs in in lower case
EDITOR = "Yamada@City.Komae.lg.jp"
INDICATOR_NAMES = ["経常収支比率", "財政調整基金残高", "市債残高", "年次休暇の職員一人当たり"]
NAVIGATION = '[data-testid="stTopNavLink"], [data-testid="stSidebarNav"]'


def main_text(page: Any) -> str:
    return str(page.locator('[data-testid="stMain"]').inner_text())


def shows_no_data(page: Any) -> None:
    text = main_text(page)
    for name in INDICATOR_NAMES:
        assert name not in text
    assert page.locator(NAVIGATION).count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0


def make_store(tmp_path: Path) -> Path:
    db = tmp_path / "kpi.duckdb"
    init_store(db)
    save_indicator_value(db, 3, 2025, 89.6, source="決算（テスト）")
    save_user(db, email=ADMIN, role="admin", name="管理 花子")
    save_user(db, email=EDITOR, role="editor", departments=["財政課"], name="山田 太郎", user=ADMIN)
    return db


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory, oidc_provider: OidcProvider) -> Iterator[str]:
    """One dashboard with sign-in for this module's tests; each test has its own browser context
    (its own cookies), so each starts signed out."""
    db = make_store(tmp_path_factory.mktemp("sign-in"))
    with streamlit_server(db, oidc=oidc_provider) as url:
        yield url


def test_a_signed_out_visitor_sees_only_the_sign_in_screen(
    app_url: str, open_page: Callable[[str, str], Any]
) -> None:
    for path in ["/", "/finance?fy=2025", "/indicators?indicator=3", "/updates"]:
        page = open_page(app_url + path, "sign-in" + path.split("?")[0].replace("/", "-"))
        assert page.locator("h1").first.inner_text() == "狛江市 行財政改革 進捗管理"
        assert page.get_by_role("button", name="サインイン").count() == 1
        assert "登録された職員だけが使えます" in main_text(page)
        shows_no_data(page)


def test_a_registered_admin_signs_in_sees_every_page_and_signs_out(
    app_url: str,
    open_page: Callable[[str, str], Any],
    sign_in: Callable[..., Any],
    sign_out: Callable[[Any], Any],
) -> None:
    page = open_page(app_url, "admin-before")
    sign_in(page, "kanri@city.komae.lg.jp", name="管理 花子（トークンの名前）")
    account = page.locator(".kpi-account").inner_text()
    # The registered name wins over the token's; the address as the token gives it, lowercased.
    assert account == "サインイン中：管理 花子（kanri@city.komae.lg.jp）・管理者"
    assert page.get_by_role("link", name="サインアウト").count() == 1
    for path, title in PAGES.items():
        page.goto(f"{app_url}{path}?fy=2025")
        settle(page)
        assert page.locator("h1").first.inner_text() == title, path
        assert page.locator('[data-testid="stException"]').count() == 0, path
        assert page.locator(".kpi-account").count() == 1, path
    page.goto(f"{app_url}/finance?fy=2025")
    settle(page)
    assert "経常収支比率" in main_text(page)
    page.screenshot(path=str(SCREENSHOTS / "signed-in-admin-finance.png"))
    sign_out(page)
    assert page.get_by_role("button", name="サインイン").count() == 1
    shows_no_data(page)
    # Back through the provider's page to the signed-in page the link left: its session, whose
    # user the link did not clear (st.logout() would have), is not taken up again.
    for _ in range(4):
        page.go_back()
        if page.url.startswith(f"{app_url}/finance"):
            break
    assert page.url.startswith(f"{app_url}/finance")
    settle(page)
    assert page.get_by_role("button", name="サインイン").count() == 1
    shows_no_data(page)
    page.goto(f"{app_url}/finance?fy=2025")  # the cookie is gone: a deep link is gated again
    settle(page)
    assert page.get_by_role("button", name="サインイン").count() == 1
    shows_no_data(page)


def test_the_address_is_compared_in_any_case(
    app_url: str, open_page: Callable[[str, str], Any], sign_in: Callable[..., Any]
) -> None:
    page = open_page(app_url, "editor-before")
    sign_in(page, "yamada@city.komae.lg.jp")  # registered as Yamada@City.Komae.lg.jp
    assert page.locator(".kpi-account").inner_text() == (
        "サインイン中：山田 太郎（yamada@city.komae.lg.jp）・部署担当"
    )
    assert page.locator("h1").first.inner_text() == "全体概況"
    assert "経常収支比率" in main_text(page)


def test_an_unregistered_address_is_told_whom_to_ask_and_sees_no_data(
    app_url: str, open_page: Callable[[str, str], Any], sign_in: Callable[..., Any]
) -> None:
    page = open_page(app_url, "unregistered-before")
    sign_in(page, "Dareka@Example.com", name="誰か")
    page.screenshot(path=str(SCREENSHOTS / "unregistered.png"))
    text = main_text(page)
    assert page.locator("h1").first.inner_text() == "権限がありません"
    assert "dareka@example.com でサインインしています" in text
    assert "管理 花子 <kanri@city.komae.lg.jp>" in text
    assert "yamada@city.komae.lg.jp" not in text  # an editor is not whom to ask
    shows_no_data(page)
    page.goto(f"{app_url}/indicators?fy=2025&indicator=3")
    settle(page)
    assert page.locator("h1").first.inner_text() == "権限がありません"
    shows_no_data(page)
    assert page.get_by_role("button", name="サインアウト").count() == 1


def test_a_token_whose_exp_has_passed_is_signed_out(
    tmp_path: Path, open_page: Callable[[str, str], Any]
) -> None:
    """The provider here issues ID tokens whose `exp` is a minute before their `iat`. Authlib, which
    Streamlit signs in with, accepts them (it allows 120 s of clock skew), so Streamlit keeps the
    claims for 30 days like any other sign-in; only the dashboard's own check of `exp` can tell.
    It is the same token a real provider issues an hour before the visit, without the wait."""
    db = make_store(tmp_path)
    with (
        oidc_provider_server(token_max_age=dt.timedelta(seconds=-60)) as provider,
        streamlit_server(db, oidc=provider) as url,
    ):
        page = open_page(url + "/finance?fy=2025", "expired-before")
        authorize(provider, page, "kanri@city.komae.lg.jp")
        notice = page.get_by_text("サインインの有効期限")
        notice.wait_for(timeout=60_000)
        assert "サインアウトします" in main_text(page)
        shows_no_data(page)
        end_session_page(provider, page)  # st.logout() sends the browser to the provider
        assert page.get_by_role("button", name="サインイン").count() == 1
        shows_no_data(page)


def test_named_providers_have_a_button_each_and_sign_in_through_the_one_pressed(
    tmp_path: Path, open_page: Callable[[str, str], Any]
) -> None:
    """secrets.toml as a city's IT section writes it for two identity providers: [auth] with the
    shared keys and an [auth.<name>] table each; each button signs in through its own."""
    db = make_store(tmp_path)
    with (
        oidc_provider_server() as entra,
        oidc_provider_server() as keycloak,
        streamlit_server(db, oidc={"entra": entra, "keycloak": keycloak}) as url,
    ):
        page = open_page(url + "/finance?fy=2025", "sign-in-named-providers")
        buttons = page.locator('[data-testid="stButton"] button')
        assert buttons.all_inner_texts() == ["entra でサインイン", "keycloak でサインイン"]
        shows_no_data(page)
        authorize(keycloak, page, "yamada@city.komae.lg.jp", button="keycloak でサインイン")
        settle(page)
        assert page.locator(".kpi-account").inner_text() == (
            "サインイン中：山田 太郎（yamada@city.komae.lg.jp）・部署担当"
        )
        assert "経常収支比率" in main_text(page)
        page.get_by_role("link", name="サインアウト").click()
        end_session_page(keycloak, page)  # /auth/logout ends the session at the provider used
        assert page.get_by_role("button", name="entra でサインイン").count() == 1
        shows_no_data(page)


def test_the_default_configuration_listens_on_this_machine_only(tmp_path: Path) -> None:
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
    other = non_loopback_address()
    db = tmp_path / "kpi.duckdb"
    with streamlit_server(db, address=None) as url:  # the config's address, as the README runs it
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        if other is None:
            pytest.skip("this machine has no address but loopback to try the other side on")
        with pytest.raises(OSError), socket.create_connection((other, port), timeout=5):
            pass


def test_a_proxied_request_without_sign_in_gets_read_only_pages_that_say_why(
    tmp_path: Path, browser: Any
) -> None:
    db = make_store(tmp_path)
    with streamlit_server(db) as url:
        context = browser.new_context(
            viewport={"width": 1920, "height": 1080},
            extra_http_headers={"X-Forwarded-For": "203.0.113.7"},
        )
        try:
            page = context.new_page()
            for path in ["/", "/updates", "/finance?fy=2025"]:
                page.goto(url + path)
                settle(page)
                banner = page.locator(".kpi-readonly").inner_text()
                assert banner.startswith("この画面は読み取り専用です"), path
                assert "X-Forwarded-For" in banner, path
                assert "README の「同僚に公開する（サインイン）」" in banner, path
                assert page.locator('[data-testid="stException"]').count() == 0, path
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "read-only-proxied.png"))
        finally:
            context.close()
        direct = browser.new_page()
        try:
            direct.goto(url)
            settle(direct)
            assert direct.locator(".kpi-readonly").count() == 0
            assert direct.locator("h1").first.inner_text() == "全体概況"
        finally:
            direct.close()


def test_a_request_from_another_address_without_sign_in_is_read_only(
    tmp_path: Path, browser: Any
) -> None:
    other = non_loopback_address()
    if other is None:
        pytest.skip("this machine has no address but loopback to connect from")
    db = make_store(tmp_path)
    with streamlit_server(db, address="0.0.0.0") as url:
        page = browser.new_page()
        try:
            page.goto(url.replace("127.0.0.1", other) + "/items")
            settle(page)
            banner = page.locator(".kpi-readonly").inner_text()
            assert f"{other} から開かれています" in banner
            assert page.locator("h1").first.inner_text() == "取組項目"
        finally:
            page.close()


def non_loopback_address() -> str | None:
    """This machine's address on its default route (no packet is sent), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            address = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") else address
