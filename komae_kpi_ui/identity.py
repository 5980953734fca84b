"""Who is using the dashboard in this run, and what they may see: the sign-in gate's decisions.

Two modes, decided by `.streamlit/secrets.toml`:
- **Sign-in configured** (an `[auth]` section, with the default provider's keys in it or one or
  more named providers in `[auth.<name>]` tables; Streamlit's own st.login, OpenID Connect): a
  person is known by their token's verified `email` (falling back to `sub`, which cannot be
  registered), lowercased, and sees data only while signed in, with a token that has not
  expired, as a registered user (komae_kpi.store.users). Streamlit keeps the token's claims in
  a cookie for 30 days and does not look at `exp`; this module does, and an expired sign-in
  counts as none.
- **No sign-in** (the README's first command on one PC): the single-user tool, acting as the OS
  user. The server listens on loopback only (.streamlit/config.toml), and a request that reaches
  it any other way (a non-loopback client address, or a proxy's forwarding headers) may read but
  not change anything: `read_only_reason` says why, every page shows it.

The decisions are plain functions (tested in tests/test_identity.py); `visitor()` applies them to
the current run's st.user, st.context and the store's users.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import streamlit as st
from streamlit import config
from streamlit.url_util import make_url_path

from komae_kpi.store.connection import current_user
from komae_kpi.store.users import User, list_users, normalize_email

# local: no sign-in, this machine. remote: no sign-in, reached from elsewhere (read-only).
# signed_out / expired / unregistered: sign-in configured, and no data may be shown.
# registered: signed in as a registered user.
VisitorStatus = Literal["local", "remote", "signed_out", "expired", "unregistered", "registered"]

README_SECTION = "README の「同僚に公開する（サインイン）」"
# What st.login() needs (Streamlit's auth_util.validate_auth_credentials checks the same keys, in
# English, only when the button is pressed): SHARED_AUTH_KEYS in [auth] for every provider, and
# PROVIDER_KEYS for each provider: in [auth] itself for the default one (st.login()), in an
# [auth.<name>] table for a named one (st.login("<name>")).
SHARED_AUTH_KEYS = ("redirect_uri", "cookie_secret")
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
# The one table in [auth] that is the default provider's setting, not a named provider.
DEFAULT_PROVIDER_TABLES = ("client_kwargs",)
# Request headers a reverse proxy adds (RFC 7239 and the de-facto X- ones); compared in any case.
PROXY_HEADERS = (
    "Forwarded",
    "X-Forwarded-For",
    "X-Forwarded-Host",
    "X-Forwarded-Proto",
    "X-Forwarded-Port",
    "X-Forwarded-Server",
    "X-Real-IP",
    "X-Client-IP",
    "X-Cluster-Client-IP",
    "X-Original-Forwarded-For",
    "True-Client-IP",
    "CF-Connecting-IP",
    "Via",
)


# ---- the pure decisions ----------------------------------------------------------------------


def is_loopback(address: str | None) -> bool:
    """Whether a client address is this machine: '127.0.0.1', '::1', '::ffff:127.0.0.1' -> True.

    None counts as loopback: Streamlit's st.context.ip_address reports a loopback client as None
    (and so does a run without a browser, such as AppTest). Anything unreadable is not loopback.
    """
    if address is None:
        return True
    text = address.strip().removeprefix("[").removesuffix("]").split("%", 1)[0]
    try:
        parsed = ipaddress.ip_address(text)
    except ValueError:
        return False
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped.is_loopback
    return parsed.is_loopback


def proxy_headers(names: Iterable[str]) -> list[str]:
    """Which of these request header names a proxy adds, spelled as PROXY_HEADERS does:
    ['host', 'x-forwarded-for'] -> ['X-Forwarded-For']."""
    present = {name.strip().lower() for name in names}
    return [header for header in PROXY_HEADERS if header.lower() in present]


def read_only_reason(address: str | None, header_names: Iterable[str]) -> str | None:
    """Why a request without sign-in may not change data, or None when it came from this machine.

    >>> read_only_reason("203.0.113.7", ["Host"]).split("。")[0]
    'この画面は読み取り専用です：203.0.113.7 から開かれています'
    >>> read_only_reason(None, ["x-real-ip"]).split("。")[0]
    'この画面は読み取り専用です：プロキシ経由で開かれています（転送ヘッダー X-Real-IP）'
    >>> read_only_reason("::1", ["Host"]) is None
    True
    """
    remote = not is_loopback(address)
    proxied = proxy_headers(header_names)
    if not remote and not proxied:
        return None
    where = f"{address} から" if remote else ""
    how = (
        f"{'、' if where else ''}プロキシ経由で開かれています（転送ヘッダー {'、'.join(proxied)}）"
        if proxied
        else "開かれています"
    )
    return (
        f"この画面は読み取り専用です：{where}{how}。"
        "サインインが設定されていないため、このコンピューター以外からは閲覧だけができ、"
        "入力・取込はできません。"
        f"同僚が使えるようにするには、サインインを設定してください（{README_SECTION}）。"
    )


def sign_in_providers(section: Mapping[str, Any]) -> list[str | None]:
    """The providers an [auth] section configures, as st.login() takes them, in the file's order:
    each [auth.<name>] table's name, and None for the default provider (PROVIDER_KEYS in [auth]
    itself) when it has any of its keys there or nothing else is configured.

    >>> sign_in_providers({"client_id": "x", "client_kwargs": {"prompt": "login"}})
    [None]
    >>> sign_in_providers({"redirect_uri": "x", "microsoft": {"client_id": "y"}})
    ['microsoft']
    """
    named: list[str | None] = [
        name
        for name, value in section.items()
        if isinstance(value, Mapping) and name not in DEFAULT_PROVIDER_TABLES
    ]
    if not named or any(key in section for key in PROVIDER_KEYS):
        return [None, *named]
    return named


def auth_settings_problems(section: Mapping[str, Any]) -> list[str]:
    """What the [auth] section of secrets.toml lacks for signing in, each named with the table
    it belongs in (empty when fine)."""

    def missing(table: Mapping[str, Any], keys: Sequence[str], where: str) -> list[str]:
        return [
            f"`.streamlit/secrets.toml` の {where} に `{key}` がありません（{README_SECTION}）。"
            for key in keys
            if not str(table.get(key) or "").strip()
        ]

    problems = missing(section, SHARED_AUTH_KEYS, "[auth]")
    redirect_uri = str(section.get("redirect_uri") or "").strip()
    if redirect_uri and not _is_callback_url(redirect_uri):
        problems.append(
            f"`.streamlit/secrets.toml` の [auth] の `redirect_uri`（{redirect_uri}）は、"
            "http:// か https:// で始まり `/oauth2callback` で終わる URL にしてください"
            "（例: https://kpi.city.komae.lg.jp/oauth2callback。ID 基盤に登録したものと同じもの）。"
        )
    for name in sign_in_providers(section):
        if name is None:
            problems += missing(section, PROVIDER_KEYS, "[auth]")
            continue
        if "_" in name:
            # Streamlit finds which provider a sign-in came back from by splitting a session key
            # on "_" (starlette_auth_routes._get_provider_by_state), and refuses such a name.
            problems.append(
                f"`.streamlit/secrets.toml` の [auth.{name}]：名前に「_」は使えません"
                f"（Streamlit の制約です。[auth.{name.replace('_', '-')}] のように変えてください）。"
            )
        problems += missing(section[name], PROVIDER_KEYS, f"[auth.{name}]")
    return problems


def _is_callback_url(url: str) -> bool:
    """Whether the provider's answer sent to url reaches Streamlit, which takes it only at
    <app>/oauth2callback (starlette_auth_routes' callback route; its {port} placeholder allowed)."""
    return url.startswith(("http://", "https://")) and url.endswith("/oauth2callback")


def email_verified(value: object) -> bool:
    """Whether a token's `email_verified` lets its `email` be trusted: True, or the text "true" in
    any case (AWS Cognito and Keycloak mappers of type String send "true"/"false" as text).

    None, a claim not sent, also counts: Entra ID sends none, its addresses being its tenant
    administrators' to set, and OpenID Connect Core 5.1 has a provider omit a claim rather than
    send null. Anything else (False, "false", "", "no", 0, 1) is not a yes, and an address whose
    verification cannot be read is not trusted.
    """
    if value is None or value is True:
        return True
    return isinstance(value, str) and value.strip().lower() == "true"


def _text_claim(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and value.strip() else None


def trusted_email(claims: Mapping[str, Any]) -> str | None:
    """The token's `email`, lowercased, unless the provider marks it unverified (see
    email_verified): anyone could have typed an unverified address into an account of their own."""
    email = _text_claim(claims, "email")
    if email is None or not email_verified(claims.get("email_verified")):
        return None
    return normalize_email(email)


def identity_claim(claims: Mapping[str, Any]) -> str | None:
    """Who a token names: its trusted email (see trusted_email), else its `sub`, lowercased; None
    when it names no one.

    Never `preferred_username`, `upn` or `unique_name`, which hold addresses at some providers
    (Entra ID): the account's owner or its administrators may change them, and no provider vouches
    for them as an address.
    """
    email = trusted_email(claims)
    if email is not None:
        return email
    sub = _text_claim(claims, "sub")
    return normalize_email(sub) if sub is not None else None


def token_expiry(claims: Mapping[str, Any]) -> float | None:
    """The token's `exp` as seconds since the epoch, or None when missing or not a number."""
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float | str):
        return None
    try:
        return float(exp)
    except ValueError:
        return None


def token_expired(claims: Mapping[str, Any], now: float) -> bool:
    """Whether the token's `exp` has passed at `now` (seconds since the epoch).

    A token without a readable `exp` counts as expired: every ID token has one (OpenID Connect
    Core 2), so its absence means the claims cannot be trusted for any length of time.
    """
    expiry = token_expiry(claims)
    return expiry is None or expiry <= now


def administrators_text(users: Sequence[User]) -> list[str]:
    """Whom to ask for access, one line each: '山田 太郎 <yamada@…>' (the address alone when the
    user has no name)."""
    return [f"{u.name} <{u.email}>" if u.name else u.email for u in users if u.role == "admin"]


# ---- the visitor of this run -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Visitor:
    """The person behind this run.

    identity: what core writes take as `user=` and the change log records: the token's address
        (email, else sub; lowercased) when signed in, else the OS user; "" when signed out.
    display_name: the registered name, else the token's `name`, else identity.
    signed_in: holds a sign-in that has not expired (registered or not).
    sign_in_configured: secrets.toml has an [auth] section.
    status: which of the cases in VisitorStatus this is.
    read_only_reason: without sign-in, why this request may not change data (shown on every
        page), or None.
    user: the registered user with that identity, while they may see data; else None.
    expires_at: when the token expires (local time), if signed in.
    identified_by_email: signed in, and identity is the token's trusted email; when False the
        token had none (see trusted_email) and identity is its `sub`, which cannot be registered.
    unverified_email: the token's email (lowercased) that its provider did not mark verified.
    """

    identity: str
    display_name: str
    signed_in: bool
    sign_in_configured: bool
    status: VisitorStatus
    read_only_reason: str | None
    user: User | None
    expires_at: dt.datetime | None = None
    identified_by_email: bool = False
    unverified_email: str | None = None

    @property
    def may_see_data(self) -> bool:
        """False for the sign-in, expired and 権限がありません screens: nothing from the store."""
        return self.status in ("local", "remote", "registered")

    @property
    def read_only(self) -> bool:
        """No entry forms, uploads or review actions: a request from elsewhere without sign-in,
        anyone who may not see data, or a registered 閲覧 (viewer)."""
        if not self.may_see_data or self.status == "remote":
            return True
        return self.user is not None and self.user.role == "viewer"

    @property
    def account_text(self) -> str:
        """The header's line: '山田 太郎（yamada@city.komae.lg.jp）・管理者'."""
        role = f"・{self.user.role_label}" if self.user else ""
        name = self.display_name if self.display_name != self.identity else ""
        return f"{name}（{self.identity}）{role}" if name else f"{self.identity}{role}"


def describe(
    *,
    configured: bool,
    claims: Mapping[str, Any],
    address: str | None,
    header_names: Iterable[str],
    users: Sequence[User],
    os_user: str,
    now: float,
) -> Visitor:
    """The visitor these facts describe (the pure core of visitor())."""
    by_email = {u.email: u for u in users}
    if not configured:
        reason = read_only_reason(address, header_names)
        found = by_email.get(normalize_email(os_user))
        return Visitor(
            identity=os_user,
            display_name=(found.name if found and found.name else os_user),
            signed_in=False,
            sign_in_configured=False,
            status="remote" if reason else "local",
            read_only_reason=reason,
            user=found,
        )
    if not claims.get("is_logged_in"):
        return Visitor(
            identity="",
            display_name="",
            signed_in=False,
            sign_in_configured=True,
            status="signed_out",
            read_only_reason=None,
            user=None,
        )
    identity = identity_claim(claims) or ""
    email = trusted_email(claims)
    token_email = _text_claim(claims, "email")
    expiry = token_expiry(claims)
    user = by_email.get(identity) if identity else None
    token_name = claims.get("name")
    status: VisitorStatus = "registered" if user else "unregistered"
    if token_expired(claims, now):
        status = "expired"
    return Visitor(
        identity=identity,
        display_name=(user.name if user and user.name else None)
        or (token_name.strip() if isinstance(token_name, str) and token_name.strip() else None)
        or identity,
        signed_in=status != "expired",
        sign_in_configured=True,
        status=status,
        read_only_reason=None,
        user=user if status == "registered" else None,
        expires_at=_local_time(expiry),
        identified_by_email=email is not None,
        unverified_email=normalize_email(token_email) if token_email and email is None else None,
    )


def _local_time(timestamp: float | None) -> dt.datetime | None:
    if timestamp is None:
        return None
    try:
        return dt.datetime.fromtimestamp(timestamp)
    except (OverflowError, OSError, ValueError):  # a year beyond what the platform can show
        return None


class SignInSettingsError(Exception):
    """secrets.toml exists but cannot be read, or its [auth] section lacks keys."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def auth_section() -> Mapping[str, Any] | None:
    """The [auth] section of secrets.toml, or None when sign-in is not configured.

    st.secrets raises (a FileNotFoundError) when there is no secrets file at all, and the same
    error when a file exists but is not valid TOML: the second must not quietly turn sign-in off,
    so it raises SignInSettingsError.
    """
    try:
        section = st.secrets.get("auth")
    except FileNotFoundError as exc:
        files = [Path(p) for p in st.get_option("secrets.files") or []]
        existing = [p for p in files if p.exists()]
        if existing:
            raise SignInSettingsError(
                [f"`{existing[-1]}` を読めません（TOML の書式を確認してください）。{exc}"]
            ) from exc
        return None
    if section is None:
        return None
    if not isinstance(section, Mapping):
        raise SignInSettingsError(
            ["`.streamlit/secrets.toml` の auth は [auth] の表にしてください。"]
        )
    return section


def sign_in_configured() -> bool:
    """Whether secrets.toml has an [auth] section (complete or not: see check_sign_in_settings)."""
    return auth_section() is not None


def configured_providers() -> list[str | None]:
    """The providers secrets.toml configures (see sign_in_providers); none without [auth]."""
    section = auth_section()
    return sign_in_providers(section) if section is not None else []


def sign_out_href() -> str:
    """The server's own sign-out address (/auth/logout below the app's base path), where
    st.logout() sends the browser too: it deletes the sign-in cookie, then sends the browser to
    the provider's end-session page or back to the app.

    Following it as a link skips st.logout()'s first step, which clears the user of the session
    the browser leaves. That session cannot be taken up again: Streamlit resumes a session only
    for a connection with the same sign-in (AppSession.matches_user_info), and every connection
    after this address comes without the cookie. A test signs out this way and goes back.
    """
    base = str(config.get_option("server.baseUrlPath") or "")
    return make_url_path(base, "/auth/logout")


def check_sign_in_settings() -> None:
    """Raise SignInSettingsError naming what the [auth] section lacks, if anything."""
    section = auth_section()
    if section is not None:
        problems = auth_settings_problems(section)
        if problems:
            raise SignInSettingsError(problems)


@st.cache_data(show_spinner=False, max_entries=8)
def _registered_users(path_text: str, version: tuple[int, int, int]) -> tuple[User, ...]:
    return tuple(list_users(Path(path_text)))


def registered_users() -> tuple[User, ...]:
    """Every registered user, read once per store version."""
    from komae_kpi_ui import store_access  # imported here: store_access.user_name() uses visitor()

    path = store_access.ensure_store()
    return _registered_users(str(path), store_access.version_token(path))


_run = threading.local()  # Streamlit runs each session's script in a thread of its own


def forget() -> None:
    """The next visitor() looks again (the router calls this before and after each run)."""
    _run.visitor = None


def visitor() -> Visitor:
    """The visitor of this run: worked out once while the router runs (app.main() forgets it
    before and after), afresh on every call outside it (e.g. in a widget callback).

    Reads the store's users only when they matter: signed in, or acting as the OS user.
    """
    cached: Visitor | None = getattr(_run, "visitor", None)
    if cached is not None:
        return cached
    configured = sign_in_configured()
    claims = st.user.to_dict()
    needs_users = not configured or bool(claims.get("is_logged_in"))
    # AppTest's stand-in runtime answers ip_address (and headers) with a mock object: no client.
    address = st.context.ip_address
    found = describe(
        configured=configured,
        claims=claims,
        address=address if isinstance(address, str) else None,
        header_names=[name for name in st.context.headers if isinstance(name, str)],
        users=registered_users() if needs_users else (),
        os_user=current_user(),
        now=time.time(),
    )
    _run.visitor = found
    return found
