"""The sign-in gate's decisions (komae_kpi_ui/identity.py) as plain functions, and the gate's
screens in AppTest. Signing in for real, through an OpenID Connect provider in Chromium, is
tests/browser/test_sign_in.py; these tests seed st.user and do not replace it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from komae_kpi.common.paths import DB_ENV_VAR, PROJECT_ROOT
from komae_kpi.store.user_admin import save_user
from komae_kpi.store.users import User
from komae_kpi_ui import identity
from komae_kpi_ui.identity import (
    administrators_text,
    auth_settings_problems,
    describe,
    identity_claim,
    is_loopback,
    proxy_headers,
    read_only_reason,
    sign_in_providers,
    token_expired,
)
from tests.auth_settings import AUTH

DASHBOARD = str(PROJECT_ROOT / "dashboard.py")
NOW = 1_800_000_000.0
ADMIN = User(email="kanri@city.komae.lg.jp", name="管理 花子", role="admin", departments=())
VIEWER = User(email="etsuran@city.komae.lg.jp", name=None, role="viewer", departments=())
EDITOR = User(
    email="yamada@city.komae.lg.jp", name="山田 太郎", role="editor", departments=("財政課",)
)


@pytest.mark.parametrize(
    ("base", "expected"),
    [("", "/auth/logout"), ("kpi", "/kpi/auth/logout"), ("/city/kpi/", "/city/kpi/auth/logout")],
)
def test_sign_out_goes_to_the_servers_own_address_below_the_base_path(
    base: str, expected: str
) -> None:
    from streamlit import config

    before = config.get_option("server.baseUrlPath")
    config.set_option("server.baseUrlPath", base)
    try:
        assert identity.sign_out_href() == expected
    finally:
        config.set_option("server.baseUrlPath", before)


@pytest.mark.parametrize(
    "address",
    [None, "127.0.0.1", "127.8.9.10", "::1", "[::1]", "::ffff:127.0.0.1", " 127.0.0.1 "],
)
def test_loopback_addresses(address: str | None) -> None:
    assert is_loopback(address)


@pytest.mark.parametrize(
    "address",
    [
        "192.168.1.10",
        "203.0.113.7",
        "10.0.0.1",
        "::ffff:10.0.0.1",
        "fe80::1%eth0",
        "2001:db8::1",
        "",
        "localhost",
        "not an address",
    ],
)
def test_other_addresses_are_not_loopback(address: str) -> None:
    assert not is_loopback(address)


def test_proxy_headers_are_found_in_any_case_and_named_as_written() -> None:
    names = ["HOST", "x-forwarded-for", "X-REAL-IP", "forwarded", "Cookie", "x-forwarded-host"]
    assert proxy_headers(names) == ["Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP"]
    assert proxy_headers(["Host", "Origin", "Cookie", "User-Agent"]) == []


def test_a_request_from_this_machine_without_a_proxy_may_write() -> None:
    assert read_only_reason(None, ["Host", "Origin"]) is None
    assert read_only_reason("::ffff:127.0.0.1", []) is None


def test_a_request_from_elsewhere_is_read_only_and_says_why_and_how() -> None:
    reason = read_only_reason("192.168.1.10", ["Host"])
    assert reason is not None
    assert "読み取り専用" in reason
    assert "192.168.1.10 から開かれています" in reason
    assert "README の「同僚に公開する（サインイン）」" in reason
    both = read_only_reason("203.0.113.7", ["Forwarded"])
    assert both is not None
    assert "203.0.113.7 から、プロキシ経由で開かれています（転送ヘッダー Forwarded）" in both


def test_a_proxied_request_from_loopback_is_read_only_naming_the_header() -> None:
    reason = read_only_reason(None, ["x-forwarded-for", "X-Real-Ip"])
    assert reason is not None
    assert "プロキシ経由で開かれています（転送ヘッダー X-Forwarded-For、X-Real-IP）" in reason
    assert "から" not in reason.split("。")[0]


def test_identity_is_the_email_lowercased_else_the_sub() -> None:
    assert identity_claim({"email": " Yamada@City.Komae.LG.jp ", "sub": "42"}) == (
        "yamada@city.komae.lg.jp"
    )
    assert identity_claim({"sub": "User-42"}) == "user-42"
    assert identity_claim({"email": "", "sub": "42"}) == "42"
    assert identity_claim({"email": None, "sub": "42"}) == "42"
    assert identity_claim({}) is None


def test_an_unverified_email_is_not_the_identity() -> None:
    claims = {"email": "kanri@city.komae.lg.jp", "email_verified": False, "sub": "abc"}
    assert identity_claim(claims) == "abc"
    assert identity_claim(claims | {"email_verified": True}) == "kanri@city.komae.lg.jp"


@pytest.mark.parametrize("verified", ["false", "False", " FALSE ", "", "no", "0", 0, 1, [], "yes"])
def test_an_email_whose_verification_is_false_or_unreadable_is_not_the_identity(
    verified: Any,
) -> None:
    """AWS Cognito and Keycloak mappers of type String send "true"/"false" as text: "false" is
    as unverified as false, and a value that says neither is not taken as a yes."""
    claims = {"email": "kanri@city.komae.lg.jp", "email_verified": verified, "sub": "abc"}
    assert identity_claim(claims) == "abc"


@pytest.mark.parametrize("verified", [True, "true", " TRUE ", "True", None])
def test_an_email_verified_as_true_text_or_without_the_claim_is_the_identity(
    verified: Any,
) -> None:
    """Entra ID sends no email_verified at all, and a null claim is one not sent (OpenID Connect
    Core 5.1): the address is its tenant administrators' to set."""
    claims = {"email": "Kanri@City.Komae.lg.jp", "sub": "abc"}
    if verified is not None:
        claims["email_verified"] = verified
    assert identity_claim(claims) == "kanri@city.komae.lg.jp"
    assert identity_claim(claims | {"email_verified": None}) == "kanri@city.komae.lg.jp"


@pytest.mark.parametrize(
    ("exp", "expired"),
    [
        (NOW + 60, False),
        (int(NOW) + 1, False),
        (str(NOW + 60), False),
        (NOW - 1, True),
        (NOW, True),
        (None, True),
        (True, True),
        ("tomorrow", True),
    ],
)
def test_token_expiry(exp: Any, expired: bool) -> None:
    claims = {"sub": "x"} if exp is None else {"sub": "x", "exp": exp}
    assert token_expired(claims, NOW) is expired


def test_auth_settings_problems_name_each_missing_key() -> None:
    assert auth_settings_problems(AUTH) == []
    problems = auth_settings_problems({k: v for k, v in AUTH.items() if k != "client_secret"})
    assert len(problems) == 1
    assert "`client_secret`" in problems[0]
    assert (
        len(auth_settings_problems({"redirect_uri": AUTH["redirect_uri"], "cookie_secret": " "}))
        == 4
    )


SHARED = {k: AUTH[k] for k in ("redirect_uri", "cookie_secret")}
PROVIDER = {k: v for k, v in AUTH.items() if k not in SHARED}


def test_providers_are_the_default_one_or_each_named_section_in_order() -> None:
    assert sign_in_providers(AUTH) == [None]
    assert sign_in_providers(AUTH | {"client_kwargs": {"prompt": "login"}}) == [None]
    assert sign_in_providers(SHARED) == [None]  # nothing yet: the default one, lacking its keys
    assert sign_in_providers(SHARED | {"microsoft": PROVIDER}) == ["microsoft"]
    named = SHARED | {"microsoft": PROVIDER, "okta": PROVIDER | {"client_kwargs": {}}}
    assert sign_in_providers(named) == ["microsoft", "okta"]
    assert sign_in_providers(AUTH | {"okta": PROVIDER}) == [None, "okta"]


def test_named_providers_are_checked_each_in_its_own_section() -> None:
    assert auth_settings_problems(SHARED | {"microsoft": PROVIDER}) == []
    problems = auth_settings_problems(
        {"redirect_uri": AUTH["redirect_uri"]}
        | {"microsoft": PROVIDER | {"client_secret": ""}, "okta": {"client_id": "y"}}
    )
    assert len(problems) == 4, problems
    assert "[auth] に `cookie_secret` がありません" in problems[0]
    assert "[auth.microsoft] に `client_secret` がありません" in problems[1]
    assert "[auth.okta] に `client_secret` がありません" in problems[2]
    assert "[auth.okta] に `server_metadata_url` がありません" in problems[3]
    # Streamlit finds a provider's state by splitting on "_": such a name never signs in.
    (underscore,) = auth_settings_problems(SHARED | {"city_idp": PROVIDER})
    assert "[auth.city_idp]" in underscore and "「_」" in underscore


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://kpi.city.komae.lg.jp/",
        "https://kpi.city.komae.lg.jp/callback",
        "kpi:8501/oauth2callback",
    ],
)
def test_a_redirect_uri_streamlit_does_not_answer_is_named(redirect_uri: str) -> None:
    """Streamlit takes the provider's answer only at <app>/oauth2callback: anywhere else the
    browser comes back to the sign-in screen with no word of why."""
    (problem,) = auth_settings_problems(AUTH | {"redirect_uri": redirect_uri})
    assert f"`redirect_uri`（{redirect_uri}）" in problem and "/oauth2callback" in problem
    for fine in ("http://127.0.0.1:{port}/oauth2callback", "https://kpi/base/oauth2callback"):
        assert auth_settings_problems(AUTH | {"redirect_uri": fine}) == []


def test_administrators_are_listed_with_name_and_address() -> None:
    nameless = User(email="root@city.komae.lg.jp", name=None, role="admin", departments=())
    assert administrators_text([ADMIN, VIEWER, nameless]) == [
        "管理 花子 <kanri@city.komae.lg.jp>",
        "root@city.komae.lg.jp",
    ]


def _describe(**facts: Any) -> identity.Visitor:
    base: dict[str, Any] = {
        "configured": True,
        "claims": {},
        "address": None,
        "header_names": [],
        "users": [ADMIN, VIEWER, EDITOR],
        "os_user": "shokuin",
        "now": NOW,
    }
    return describe(**(base | facts))


def test_without_sign_in_on_this_machine_the_os_user_may_write() -> None:
    visitor = _describe(configured=False, claims={"email": "ignored@example.com"})
    assert visitor.status == "local"
    assert visitor.identity == "shokuin"
    assert not visitor.signed_in and not visitor.sign_in_configured
    assert visitor.may_see_data and not visitor.read_only
    assert visitor.read_only_reason is None and visitor.user is None


def test_without_sign_in_from_elsewhere_the_pages_are_read_only() -> None:
    visitor = _describe(configured=False, address="192.168.1.10")
    assert visitor.status == "remote"
    assert visitor.may_see_data and visitor.read_only
    assert visitor.read_only_reason is not None and "192.168.1.10" in visitor.read_only_reason
    proxied = _describe(configured=False, header_names=["X-Forwarded-Host"])
    assert proxied.read_only and proxied.read_only_reason is not None


def test_signed_out_sees_nothing() -> None:
    for claims in ({}, {"is_logged_in": False}):
        visitor = _describe(claims=claims)
        assert visitor.status == "signed_out"
        assert not visitor.may_see_data and visitor.read_only and not visitor.signed_in


def test_a_registered_address_in_another_case_is_that_user() -> None:
    claims = {"is_logged_in": True, "email": "Yamada@City.Komae.lg.jp", "exp": NOW + 3600}
    visitor = _describe(claims=claims)
    assert visitor.status == "registered"
    assert visitor.user == EDITOR
    assert visitor.identity == "yamada@city.komae.lg.jp"
    assert visitor.display_name == "山田 太郎"
    assert visitor.may_see_data and not visitor.read_only
    assert visitor.account_text == "山田 太郎（yamada@city.komae.lg.jp）・部署担当"


def test_a_registered_viewer_is_read_only_and_named_by_the_token_when_unnamed() -> None:
    claims = {"is_logged_in": True, "email": VIEWER.email, "name": "閲覧 次郎", "exp": NOW + 60}
    visitor = _describe(claims=claims)
    assert visitor.status == "registered" and visitor.read_only
    assert visitor.display_name == "閲覧 次郎"


def test_an_unregistered_address_sees_nothing() -> None:
    claims = {"is_logged_in": True, "email": "dareka@example.com", "exp": NOW + 60}
    visitor = _describe(claims=claims)
    assert visitor.status == "unregistered"
    assert visitor.identity == "dareka@example.com"
    assert visitor.user is None and not visitor.may_see_data and visitor.read_only


def test_a_token_without_a_trusted_address_is_known_by_its_sub_and_says_so() -> None:
    registered = _describe(claims={"is_logged_in": True, "email": ADMIN.email, "exp": NOW + 60})
    assert registered.identified_by_email and registered.unverified_email is None
    cognito = {"is_logged_in": True, "sub": "5f3a-UUID", "exp": NOW + 60}
    unverified = _describe(
        claims=cognito | {"email": "Kanri@City.Komae.lg.jp", "email_verified": "false"}
    )
    assert unverified.status == "unregistered" and unverified.identity == "5f3a-uuid"
    assert not unverified.identified_by_email
    assert unverified.unverified_email == "kanri@city.komae.lg.jp"
    # Entra ID without a mail attribute: no email at all; preferred_username is not an identity.
    entra = _describe(claims=cognito | {"preferred_username": ADMIN.email})
    assert entra.status == "unregistered" and not entra.identified_by_email
    assert entra.unverified_email is None


def test_an_expired_token_sees_nothing_even_for_an_admin() -> None:
    claims = {"is_logged_in": True, "email": ADMIN.email, "exp": NOW - 1}
    visitor = _describe(claims=claims)
    assert visitor.status == "expired"
    assert visitor.user is None and not visitor.may_see_data and not visitor.signed_in
    assert visitor.expires_at is not None and visitor.expires_at.timestamp() == NOW - 1
    absurd = _describe(claims=claims | {"exp": 1e300})
    assert absurd.status == "registered" and absurd.expires_at is None


# ---- the gate in AppTest (st.user seeded; the real sign-in is in tests/browser) --------------


def _app(monkeypatch: pytest.MonkeyPatch, db: Path, user: dict[str, Any], **auth: Any) -> AppTest:
    monkeypatch.setenv(DB_ENV_VAR, str(db))
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.secrets["auth"] = auth or AUTH
    at.user = user
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _html(at: AppTest) -> str:
    return "".join(h.value for h in at.html)


def _signed_in(email: str, **claims: Any) -> dict[str, Any]:
    return {"is_logged_in": True, "email": email, "exp": time.time() + 3600} | claims


@pytest.mark.usefixtures("fresh_streamlit_caches")
def test_gate_signed_out_shows_only_the_sign_in_button(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = _app(monkeypatch, store, {"is_logged_in": False})
    assert [b.label for b in at.button] == ["サインイン"]
    assert "経常収支比率" not in _html(at)
    assert "全体概況" not in _html(at)


@pytest.mark.usefixtures("fresh_streamlit_caches")
def test_gate_one_named_provider_has_the_one_button_and_several_one_each(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = _app(monkeypatch, store, {"is_logged_in": False}, **SHARED, microsoft=PROVIDER)
    assert [b.label for b in at.button] == ["サインイン"]
    at = _app(monkeypatch, store, {}, **SHARED, microsoft=PROVIDER, keycloak=PROVIDER)
    assert [b.label for b in at.button] == ["microsoft でサインイン", "keycloak でサインイン"]
    assert "全体概況" not in _html(at)
    at = _app(monkeypatch, store, {}, **AUTH, okta=PROVIDER)  # the default one beside a named
    assert [b.label for b in at.button] == ["既定の ID 基盤 でサインイン", "okta でサインイン"]


@pytest.mark.usefixtures("fresh_streamlit_caches")
def test_gate_incomplete_named_provider_says_which_section_lacks_what(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = _app(monkeypatch, store, {}, **SHARED, microsoft=PROVIDER, okta={"client_id": "x"})
    text = at.error[0].value
    assert "[auth.okta] に `client_secret` がありません" in text
    assert "[auth.microsoft]" not in text
    assert not at.button


@pytest.mark.usefixtures("fresh_streamlit_caches")
def test_gate_incomplete_settings_say_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = _app(monkeypatch, store, {}, redirect_uri="http://127.0.0.1:8501/oauth2callback")
    text = at.error[0].value
    assert "サインインの設定に問題があるため" in text
    assert "`cookie_secret`" in text and "`server_metadata_url`" in text
    assert not at.button


@pytest.mark.usefixtures("fresh_streamlit_caches")
def test_gate_unregistered_names_the_address_and_the_admins(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = _app(monkeypatch, store, _signed_in("dareka@example.com"))
    assert "利用するには" not in _html(at)  # no admin yet: the command instead
    assert "python -m komae_kpi users add dareka@example.com" in _html(at)
    save_user(store, email="Kanri@City.Komae.lg.jp", role="admin", name="管理 花子")
    at = _app(monkeypatch, store, _signed_in("dareka@example.com"))
    page = _html(at)
    assert "権限がありません" in page
    assert "dareka@example.com でサインインしています" in page
    assert "管理 花子 &lt;kanri@city.komae.lg.jp&gt;" in page
    assert "経常収支比率" not in page
    assert [b.label for b in at.button] == ["サインアウト"]


@pytest.mark.usefixtures("fresh_streamlit_caches")
def test_gate_without_a_trusted_address_says_why_and_offers_no_command_that_would_fail(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    """Users are registered by address (users add refuses anything else), so a sign-in known
    only by its `sub` cannot be registered: the screen says what the token lacks instead."""
    claims = {"is_logged_in": True, "sub": "AbC-123", "exp": time.time() + 3600}
    at = _app(monkeypatch, store, claims | {"email": "x@example.com", "email_verified": "false"})
    page = _html(at)
    assert "権限がありません" in page
    assert "x@example.com は、ID 基盤で確認済み（email_verified）になっていない" in page
    assert "ID 基盤での識別子：abc-123" in page
    assert "users add" not in page and "abc-123 でサインインしています" not in page
    save_user(store, email="Kanri@City.Komae.lg.jp", role="admin", name="管理 花子")
    page = _html(_app(monkeypatch, store, claims))
    assert "トークンにメールアドレス（email）がありません" in page
    assert "管理 花子 &lt;kanri@city.komae.lg.jp&gt;" in page
    assert "経常収支比率" not in page


@pytest.mark.usefixtures("fresh_streamlit_caches")
def test_gate_registered_sees_the_pages_and_who_is_signed_in(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    save_user(store, email="Kanri@City.Komae.lg.jp", role="admin", name="管理 花子")
    at = _app(monkeypatch, store, _signed_in("KANRI@city.komae.lg.jp"))
    page = _html(at)
    assert "サインイン中：管理 花子（kanri@city.komae.lg.jp）・管理者" in page
    assert '<h1 class="kpi-title">全体概況</h1>' in page
    # 「サインアウト」 is a link to the server's sign-out address, where st.logout() goes too.
    assert '<a class="kpi-action" href="/auth/logout" target="_self">サインアウト</a>' in page
    assert "サインアウト" not in [b.label for b in at.button]


@pytest.mark.usefixtures("fresh_streamlit_caches")
def test_gate_expired_says_so_and_signs_out(monkeypatch: pytest.MonkeyPatch, store: Path) -> None:
    from komae_kpi_ui import app

    monkeypatch.setattr(app, "EXPIRED_NOTICE_SECONDS", 0.0)
    save_user(store, email="kanri@city.komae.lg.jp", role="admin")
    at = _app(monkeypatch, store, _signed_in("kanri@city.komae.lg.jp", exp=time.time() - 5))
    assert "サインインの有効期限" in _html(at) and "サインアウトします" in _html(at)
    assert "全体概況</h1>" not in _html(at)
    assert at.user.get("is_logged_in") is False  # st.logout() cleared this session's user


@pytest.mark.usefixtures("fresh_streamlit_caches")
def test_without_sign_in_the_app_is_the_single_user_tool(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    monkeypatch.setenv(DB_ENV_VAR, str(store))
    at = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    assert not at.exception
    page = _html(at)
    assert '<h1 class="kpi-title">全体概況</h1>' in page
    assert "サインイン中" not in page and "読み取り専用" not in page


def _who_is_writing() -> None:
    import streamlit as st

    from komae_kpi_ui import store_access

    st.text(store_access.user_name())


@pytest.mark.usefixtures("fresh_streamlit_caches")
def test_writes_are_recorded_under_the_signed_in_address_else_the_os_user(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    monkeypatch.setenv(DB_ENV_VAR, str(store))
    monkeypatch.setattr(identity, "current_user", lambda: "shokuin")
    at = AppTest.from_function(_who_is_writing)
    at.secrets["auth"] = AUTH
    at.user = _signed_in("Yamada@City.Komae.lg.jp", name="山田 太郎")
    assert at.run().text[0].value == "yamada@city.komae.lg.jp"
    plain = AppTest.from_function(_who_is_writing).run()
    assert plain.text[0].value == "shokuin"
