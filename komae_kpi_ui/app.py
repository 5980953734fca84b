"""The router: page config, the shared frame and st.navigation. dashboard.py only calls main().

Why pages call guard(): Streamlit treats an app with a pages/ folder as an old-style multipage app
until some run has called st.navigation. Then a deep link such as /finance?fy=2025 would run
pages/finance.py on its own, without this frame; guard() notices that the router is not running and
runs it instead, which routes back to the same page. The server settles the mode before its first
request (komae_kpi_ui/server_app.py), so guard() matters where that hook does not run: AppTest, or a
server started some other way. client.showSidebarNavigation = false in .streamlit/config.toml keeps
Streamlit's own list of the pages/ files (English file names) from being drawn in that case too.

The sign-in gate (komae_kpi_ui/identity.py decides, frame.py draws) runs before anything from the
store is drawn. With sign-in configured, a visitor who is signed out, whose token has expired or
who is not a registered user gets one screen instead of the pages, served at every page's path
with the navigation hidden, so that a deep link shows that screen and not a page.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage
from streamlit.runtime.scriptrunner import get_script_run_ctx

from komae_kpi.common.errors import KomaeKpiError, StoreBusyError, StoreFaultError
from komae_kpi_ui import frame, identity, store_access, warm_up

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"
# (file in pages/ and URL path, title, Material icon); the first is the default page at "/".
PAGES: tuple[tuple[str, str, str], ...] = (
    ("overview", "全体概況", "dashboard"),
    ("indicators", "指標", "show_chart"),
    ("finance", "財政指標", "account_balance"),
    ("items", "取組項目", "checklist"),
    ("departments", "部署別", "apartment"),
    ("updates", "実績入力", "edit_note"),
    ("review", "承認", "task_alt"),
    ("reports", "公表・会議資料", "description"),
)
_run = threading.local()  # Streamlit runs each session's script in a thread of its own
# How long the expired-sign-in notice stays before st.logout() takes the browser away (its redirect
# leaves at once, and nothing survives it to say why on the next screen).
EXPIRED_NOTICE_SECONDS = 3.0


def main() -> None:
    st.set_page_config(page_title=frame.APP_TITLE, page_icon=frame.PAGE_ICON, layout="wide")
    warm_up.once()
    # The visitor is worked out once for this run and forgotten after it: a widget callback, which
    # runs before the next run's main(), must look again (a token may have expired meanwhile).
    identity.forget()
    try:
        _route()
    finally:
        identity.forget()


def _route() -> None:
    try:
        identity.check_sign_in_settings()
        visitor = identity.visitor()
        if visitor.may_see_data:
            store_access.snapshot()  # fail early, with a message, if the store cannot be read
    except identity.SignInSettingsError as exc:
        problems = exc.problems
        _gate(lambda: frame.settings_error_screen(problems))
        return
    except KomaeKpiError as exc:
        st.error(f"データベースを開けませんでした。\n\n{store_access.public_message(exc)}")
        return
    if not visitor.may_see_data:
        _gate(lambda: _gate_screen(visitor))
        return
    pages = [
        st.Page(
            PAGES_DIR / f"{name}.py",
            title=title,
            icon=f":material/{icon}:",
            default=name == "overview",
            url_path=None if name == "overview" else name,
        )
        for name, title, icon in PAGES
    ]
    page = st.navigation(
        pages + _not_found_page(lambda path: frame.not_found_screen(path, pages)),
        # Along the top: the full width stays for the content on a projector, and no sidebar
        # has to be drawn (it cost about 30 ms a page in bench/).
        position="top",
    )
    if visitor.signed_in:
        frame.account_bar(visitor)
    if visitor.read_only_reason:
        frame.read_only_banner(visitor.read_only_reason)
    _run.active = True
    try:
        page.run()
        frame.draw_year_links()
    except (StoreFaultError, StoreBusyError) as exc:
        # The store failed after the first read (cut short in a block this page reads, the disk
        # full on a save the page does not catch): said in Japanese, never an exception box.
        st.error(f"データベースを読み書きできませんでした。\n\n{store_access.public_message(exc)}")
    finally:
        _run.active = False


def _gate_screen(visitor: identity.Visitor) -> None:
    if visitor.status == "signed_out":
        frame.sign_in_screen()
    elif visitor.status == "expired":
        frame.expired_screen(visitor)
        time.sleep(EXPIRED_NOTICE_SECONDS)
        st.logout()
    else:  # unregistered
        try:
            admins = identity.administrators_text(identity.registered_users())
        except KomaeKpiError:
            admins = []
        frame.no_permission_screen(visitor, admins)


def _gate(screen: Callable[[], None]) -> None:
    """Show one screen at every page's path, with no navigation to the pages."""
    st.navigation(
        [
            st.Page(
                screen,
                title=title,
                default=name == "overview",
                url_path=None if name == "overview" else name,
            )
            for name, title, _ in PAGES
        ]
        + _not_found_page(lambda _path: screen()),
        position="hidden",
    ).run()


def _not_found_page(screen: Callable[[str], None]) -> list[StreamlitPage]:
    """A hidden page at the path the browser asked for, when no page has that path.

    Why: for a path that matches no page, st.navigation (Streamlit 1.67) sends the browser a
    "page not found" message, which the browser shows as an English 「Page not found」 box over the
    default page; nothing in the API replaces that text. A page registered at exactly that path
    is found instead, so the message is never sent. /overview is the default page's own name
    (Streamlit derives a page's id from it), so that path is sent to the default page itself.
    """
    ctx = get_script_run_ctx()
    requested = ctx.pages_manager.intended_page_name if ctx is not None else None
    if ctx is None or ctx.pages_manager.intended_page_script_hash or not requested:
        return []  # a link the navigation drew, or the address "/"
    requested = requested.strip("/")
    known = {name for name, _, _ in PAGES}
    if requested in known - {"overview"} or "/" in requested:
        # A nested path never reaches here: the browser cannot load the app's files below it.
        return []
    if requested == "overview":
        ctx.pages_manager.set_script_intent("", "")
        return []
    return [
        st.Page(
            lambda: screen(requested),
            title="ページが見つかりません",
            url_path=requested,
            visibility="hidden",
        )
    ]


def guard() -> bool:
    """True when a page may draw itself; otherwise run the router (which draws the page) instead."""
    if getattr(_run, "active", False):
        return True
    main()
    return False
