"""The server around the pages (komae_kpi_ui/server_app.py): which addresses it answers itself, its
page for them, the start-up hook, and that `streamlit run dashboard.py` serves it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit import config
from streamlit.runtime.pages_manager import PagesManager
from streamlit.web.server.app_discovery import discover_asgi_app

from komae_kpi.common.paths import PROJECT_ROOT
from komae_kpi_ui import server_app, warm_up


@pytest.fixture
def base_url_path() -> Iterator[Any]:
    before = config.get_option("server.baseUrlPath")

    def set_base(value: str) -> None:
        config.set_option("server.baseUrlPath", value)

    yield set_base
    config.set_option("server.baseUrlPath", before)


def scope(path: str, method: str = "GET", kind: str = "http") -> dict[str, Any]:
    return {"type": kind, "method": method, "path": path}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a/b", "a/b"),
        ("/finance/2025", "finance/2025"),
        ("/x/y/", "x/y"),
        ("/", None),
        ("/finance", None),
        ("/finance/", None),  # Streamlit's own trailing-slash redirect
        ("/no-such-page", None),  # the router's Japanese page
        ("/_stcore/health", None),
        ("/_stcore/agent/mcp", None),
        ("/static/js/index.js", None),
        ("/media/abc.png", None),
        ("/component/x/index.html", None),
        ("/app/static/logo.png", None),
        ("/auth/login", None),
    ],
)
def test_only_nested_addresses_outside_streamlits_own_are_answered_here(
    path: str, expected: str | None, base_url_path: Any
) -> None:
    base_url_path("")
    assert server_app.nested_path(scope(path)) == expected


def test_other_requests_pass_through(base_url_path: Any) -> None:
    base_url_path("")
    assert server_app.nested_path(scope("/a/b", method="POST")) is None
    assert server_app.nested_path(scope("/a/b", kind="websocket")) is None
    assert server_app.nested_path(scope("/a/b", method="HEAD")) == "a/b"


def test_under_a_base_url_path_addresses_are_read_below_it(base_url_path: Any) -> None:
    base_url_path("/kpi/")
    assert server_app.nested_path(scope("/kpi/finance")) is None  # a page, below the base
    assert server_app.nested_path(scope("/kpi/a/b")) == "a/b"
    assert server_app.nested_path(scope("/kpi/_stcore/health")) is None
    assert server_app.nested_path(scope("/other/a/b")) is None  # not this app's
    page = server_app.not_found_html("a/b")
    assert '<a href="/kpi/">全体概況</a>' in page
    assert '<a href="/kpi/finance">財政指標</a>' in page


def test_the_page_names_the_address_escaped_and_links_every_page(base_url_path: Any) -> None:
    base_url_path("")
    page = server_app.not_found_html('a/<script>alert("x")</script>')
    assert "<script>" not in page
    assert (
        "「/a/&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;」というページはありません。" in page
    )
    assert '<html lang="ja">' in page and "<h1>ページが見つかりません</h1>" in page
    for href, title in [
        ("/", "全体概況"),
        ("/updates", "実績入力"),
        ("/reports", "公表・会議資料"),
    ]:
        assert f'<a href="{href}">{title}</a>' in page
    assert "http:" not in page and "https:" not in page  # nothing fetched from elsewhere


def test_the_middleware_answers_404_and_passes_the_rest_on(base_url_path: Any) -> None:
    base_url_path("")
    passed: list[str] = []

    async def inner(scope: Any, _receive: Any, _send: Any) -> None:
        passed.append(scope["path"])

    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request"}

    middleware = server_app.NestedPathNotFound(inner)
    asyncio.run(middleware(scope("/finance"), receive, send))
    asyncio.run(middleware(scope("/a/b"), receive, send))
    assert passed == ["/finance"]
    assert sent[0]["status"] == 404
    body = b"".join(m.get("body", b"") for m in sent[1:]).decode("utf-8")
    assert "「/a/b」というページはありません。" in body


def test_the_start_up_hook_settles_the_page_mode_and_warms_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)
    calls: list[str] = []
    monkeypatch.setattr(warm_up, "once", lambda: calls.append("warm up"))

    async def start() -> None:
        async with server_app.lifespan(object()):
            assert PagesManager.uses_pages_directory is False
            assert calls == ["warm up"]

    asyncio.run(start())


def test_streamlit_run_serves_the_app_of_dashboard_py() -> None:
    found = discover_asgi_app(Path(PROJECT_ROOT / "dashboard.py"))
    assert found.is_asgi_app and found.import_string == "dashboard:app"
