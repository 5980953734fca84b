"""The server around the pages: what runs once when it starts, and the answer to a nested address.

dashboard.py hands this to Streamlit as an st.App (Streamlit 1.67 serves an st.App found in the
script it is given), because two things cannot be done from a script run:

- Before the first visitor. Streamlit decides on the first session whether the app is an old-style
  multipage app (a pages/ folder beside the script) and, if so, runs that first request through its
  own list of the pages/ files: a mistyped address then got Streamlit's English 「Page not found」 box,
  once per server start, before the router (komae_kpi_ui/app.py) could answer with its Japanese page.
  The start-up hook tells Streamlit that the router's st.navigation decides (as its first call would)
  and loads and freezes the modules the pages use (warm_up.py), so the first visitor waits for
  neither.
- A nested address such as /finance/2025 or /a/b. The browser would load the app's scripts relative to
  it (/a/static/…), get the page's HTML instead and show nothing at all. Such an address is no page of
  the app, so it is answered here with a plain Japanese 「ページが見つかりません」 page and links, and 404.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from starlette.middleware import Middleware
from starlette.responses import HTMLResponse
from streamlit import config
from streamlit.runtime.pages_manager import PagesManager

from komae_kpi.plan import facts
from komae_kpi_ui import warm_up

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# First path segments that are Streamlit's own (its API, scripts, media, components, sign-in and
# the static folder): never answered here, whatever follows them.
STREAMLIT_SEGMENTS = frozenset({"_stcore", "static", "media", "component", "app", "auth", "~"})


@asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    """Runs once before the server takes its first request."""
    # What the router's st.navigation call sets on its first run, set before any run (see above).
    PagesManager.uses_pages_directory = False
    await asyncio.to_thread(warm_up.once)
    yield


def nested_path(scope: Scope) -> str | None:
    """The address below the app's base, when it is nested and not Streamlit's own; else None."""
    if scope.get("type") != "http" or scope.get("method") not in ("GET", "HEAD"):
        return None
    path = str(scope.get("path", ""))
    base = str(config.get_option("server.baseUrlPath") or "").strip("/")
    if base:
        if not path.startswith(f"/{base}/"):
            return None
        path = path[len(base) + 1 :]
    relative = path.strip("/")
    if "/" not in relative or relative.split("/", 1)[0] in STREAMLIT_SEGMENTS:
        return None
    return relative


def not_found_html(path: str) -> str:
    """The whole 「ページが見つかりません」 page for a nested address, with a link to every page."""
    # Imported here, not when Streamlit imports dashboard.py: the router's st.cache_data functions
    # must be made once Streamlit's runtime (and its cache storage) exists.
    from komae_kpi_ui import frame
    from komae_kpi_ui.app import PAGES

    base = str(config.get_option("server.baseUrlPath") or "").strip("/")
    prefix = f"/{base}/" if base else "/"
    links = "\n".join(
        f'<li><a href="{html.escape(prefix + ("" if name == "overview" else name))}">'
        f"{html.escape(title)}</a></li>"
        for name, title, _ in PAGES
    )
    return f"""<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ページが見つかりません — {html.escape(frame.APP_TITLE)}</title>
<style>
body {{ font-family: "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", "Meiryo", sans-serif;
  margin: 3rem auto; max-width: 44rem; padding: 0 1rem; line-height: 1.7; color: #262730; }}
h1 {{ font-size: 1.6rem; }}
a {{ color: #0b57d0; }}
</style>
</head>
<body>
<h1>ページが見つかりません</h1>
<p>{html.escape(facts.TITLE_WITH_PERIOD)}</p>
<p>{html.escape(frame.not_found_sentence(path))}</p>
<ul>
{links}
</ul>
</body>
</html>
"""


class NestedPathNotFound:
    """ASGI middleware: a nested address that is not Streamlit's own gets not_found_html and 404."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = nested_path(scope)
        if path is None:
            await self.app(scope, receive, send)
            return
        response = HTMLResponse(not_found_html(path), status_code=404)
        await response(scope, receive, send)


MIDDLEWARE = [Middleware(NestedPathNotFound)]
