"""A real Streamlit server and Debian's headless Chromium (Playwright cannot download its own here),
and a real OpenID Connect provider on loopback to sign in through (oidc-provider-mock).

Signing in, for any test:

    def test_x(tmp_path, oidc_provider, sign_in, open_page):
        db = ...; save_user(db, email="kanri@example.com", role="admin")
        with streamlit_server(db, oidc=oidc_provider) as url:
            page = open_page(url, "x")            # the sign-in screen
            sign_in(page, "kanri@example.com", name="管理 花子")   # now on "/", signed in
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from komae_kpi.common.paths import DB_ENV_VAR, PROJECT_ROOT

if TYPE_CHECKING:  # imported where used: only the browser tests need Playwright
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
# Whole-page screenshots (the window grown to the page's height) are for reviewing layouts by eye;
# they cost a second or more per page, so a run takes them only when asked.
FULL_SCREENSHOTS = os.environ.get("KOMAE_KPI_FULL_SCREENSHOTS") == "1"
PAGES = {
    "/": "全体概況",
    "/indicators": "指標",
    "/finance": "財政指標",
    "/items": "取組項目",
    "/departments": "部署別",
    "/updates": "実績入力",
    "/review": "承認",
    "/reports": "公表・会議資料",
}
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def pytest_configure(config: pytest.Config) -> None:
    # oidc-provider-mock 0.3.4 calls an Authlib API that Authlib 1.9 deprecates; the provider runs
    # in the test process, so its warnings would otherwise be reported on every sign-in test.
    config.addinivalue_line("filterwarnings", "ignore:get_jwt_config:DeprecationWarning")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class OidcProvider:
    """An OpenID Connect provider (oidc-provider-mock) serving on loopback in this process.

    Its authorization form takes any `sub`; the claims a subject gets are set with set_user()
    (the mock's PUT /users/<sub>), else just {"email": sub}.
    """

    url: str

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def set_user(self, sub: str, claims: dict[str, object]) -> None:
        request = urllib.request.Request(
            f"{self.url}/users/{urllib.parse.quote(sub, safe='')}",
            data=json.dumps(claims).encode(),
            headers={"Content-Type": "application/json"},
            method="PUT",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 204, response.status


@contextmanager
def oidc_provider_server(
    token_max_age: dt.timedelta = dt.timedelta(hours=1),
) -> Iterator[OidcProvider]:
    """Run an OpenID Connect provider on a free loopback port in a thread of this process.

    token_max_age sets the lifetime (`exp` - `iat`) of the ID tokens it issues; a negative one
    issues tokens that have already expired (see tests/browser/test_sign_in.py).
    """
    import authlib.deprecate  # type: ignore[import-untyped]  # first: it adds an "always" filter
    import werkzeug.serving

    with warnings.catch_warnings():  # it imports Authlib modules that Authlib 1.9 deprecates
        warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
        import oidc_provider_mock  # type: ignore[import-untyped]  # no py.typed marker

    class QuietHandler(werkzeug.serving.WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass  # a line per request would bury the test's own output

    app = oidc_provider_mock.app(access_token_max_age=token_max_age)
    server = werkzeug.serving.make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield OidcProvider(url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


def auth_secrets(provider: OidcProvider, app_url: str) -> str:
    """secrets.toml's [auth] section for a dashboard at app_url signing in through provider."""
    return _shared_auth_secrets(app_url) + _provider_secrets(provider)


def named_auth_secrets(providers: Mapping[str, OidcProvider], app_url: str) -> str:
    """secrets.toml for a dashboard at app_url with named providers, as a city's IT section would
    write them: [auth] with the shared keys, then an [auth.<name>] table for each provider."""
    return _shared_auth_secrets(app_url) + "".join(
        f"\n[auth.{name}]\n{_provider_secrets(provider)}" for name, provider in providers.items()
    )


def _shared_auth_secrets(app_url: str) -> str:
    return (
        "[auth]\n"
        f'redirect_uri = "{app_url}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
    )


def _provider_secrets(provider: OidcProvider) -> str:
    return (
        'client_id = "komae-kpi-test"\n'
        'client_secret = "komae-kpi-test-secret"\n'
        f'server_metadata_url = "{provider.metadata_url}"\n'
    )


@contextmanager
def streamlit_server(
    db: Path,
    script: Path | None = None,
    *,
    oidc: OidcProvider | Mapping[str, OidcProvider] | None = None,
    address: str | None = "127.0.0.1",
    env: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """Serve the dashboard (or another script, e.g. a benchmark floor) on a free local port.

    oidc: sign in through this provider (a secrets.toml with [auth] is written beside db and
    given with --secrets.files), or through these named ones ({"microsoft": provider, ...}:
    an [auth.<name>] table each, see named_auth_secrets). Without it the server is given a secrets file that does not
    exist, so that a developer's own .streamlit/secrets.toml never turns sign-in on in a test.
    address: --server.address; None leaves it to .streamlit/config.toml. The URL yielded is
    always the loopback one.
    env: more environment variables for the server, e.g. KOMAE_KPI_TODAY (common/clock.py).
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    secrets_file = db.parent / f"secrets-{port}.toml"
    if isinstance(oidc, OidcProvider):
        secrets_file.write_text(auth_secrets(oidc, url), encoding="utf-8")
    elif oidc is not None:
        secrets_file.write_text(named_auth_secrets(oidc, url), encoding="utf-8")
    server_env = {k: v for k, v in os.environ.items() if k != DB_ENV_VAR} | {DB_ENV_VAR: str(db)}
    server_env |= env or {}
    log = (db.parent / f"streamlit-{port}.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script or PROJECT_ROOT / "dashboard.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            *(["--server.address", address] if address is not None else []),
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
            "--secrets.files",
            str(secrets_file),
        ],
        cwd=PROJECT_ROOT,
        env=server_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start: {(db.parent / log.name).read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def settle(page: Any) -> None:
    """Wait until the page's script run has ended and its last deltas are painted."""
    page.wait_for_selector(APP_IDLE, timeout=60_000)
    page.wait_for_timeout(300)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium is missing: .ci/run must install Debian's chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[[str, str], Page]]:
    """open_page(url, screenshot_name) -> the loaded Playwright page, screenshot saved."""
    pages: list[Page] = []

    def _open(url: str, name: str) -> Page:
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        pages.append(page)
        page.goto(url)
        settle(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        # What a projector shows (1920x1080), then the whole page: Streamlit scrolls inside its
        # main container, so "full_page" alone stops at the window; grow the window instead.
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
        if not FULL_SCREENSHOTS:
            return page
        height = page.evaluate(
            "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight"
        )
        page.set_viewport_size({"width": 1920, "height": min(max(int(height), 1080), 12000)})
        page.wait_for_timeout(300)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-full.png"))
        page.set_viewport_size({"width": 1920, "height": 1080})
        return page

    yield _open
    for page in pages:
        page.close()


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProvider]:
    """One OpenID Connect provider for the session, issuing tokens valid for an hour."""
    with oidc_provider_server() as provider:
        yield provider


def authorize(
    provider: OidcProvider,
    page: Page,
    email: str,
    name: str | None = None,
    *,
    button: str = "サインイン",
) -> None:
    """From the dashboard's sign-in screen (page shows it), pressing `button`, through the
    provider's real authorization form as `email` (the token's email and sub; `name` its name
    claim), until the browser is back on the dashboard (not waiting for its script to run)."""
    claims: dict[str, object] = {"email": email, "email_verified": True}
    if name is not None:
        claims["name"] = name
    provider.set_user(email, claims)
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_url(f"{provider.url}/oauth2/authorize*")
    page.locator('input[name="sub"]').fill(email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(lambda url: not url.startswith(provider.url) and "oauth2callback" not in url)


def sign_in_through(
    provider: OidcProvider, page: Page, email: str, name: str | None = None
) -> Page:
    """Sign in (see authorize()); returns the page back on the dashboard, its script run ended.
    Whether the person sees data is for the test to check."""
    authorize(provider, page, email, name)
    settle(page)
    return page


def sign_out_through(provider: OidcProvider, page: Page) -> Page:
    """Follow 「サインアウト」 and confirm on the provider's end-session page; back on the
    dashboard."""
    page.get_by_role("link", name="サインアウト").click()
    end_session_page(provider, page)
    return page


def end_session_page(provider: OidcProvider, page: Page) -> None:
    """Confirm the provider's end-session page (where /auth/logout sends the browser), then wait
    until the browser is back on the dashboard with its script run ended."""
    page.wait_for_url(f"{provider.url}/oauth2/end_session*")
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(lambda url: not url.startswith(provider.url) and "oauth2callback" not in url)
    settle(page)


@pytest.fixture
def sign_in(oidc_provider: OidcProvider) -> Callable[..., Page]:
    """sign_in(page, email, name=None) -> page: sign in through the session's provider."""

    def _sign_in(page: Page, email: str, name: str | None = None) -> Page:
        return sign_in_through(oidc_provider, page, email, name)

    return _sign_in


@pytest.fixture
def sign_out(oidc_provider: OidcProvider) -> Callable[[Page], Page]:
    """sign_out(page) -> page: follow 「サインアウト」 and come back signed out."""

    def _sign_out(page: Page) -> Page:
        return sign_out_through(oidc_provider, page)

    return _sign_out
