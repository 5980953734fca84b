"""The router: page config, the shared frame and st.navigation. dashboard.py only calls main().

Why pages call guard(): Streamlit treats an app with a pages/ folder as an old-style multipage app
until some run has called st.navigation. On a server's first request for a deep link such as
/finance?fy=2025 it would then run pages/finance.py on its own, without this frame (or, for a
path with no file of that name, show an English "Page not found" box). guard() notices that the
router is not running and runs it instead, which routes back to the same page.

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
    st.set_page_config(page_title=frame.APP_TITLE, layout="wide")
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
    page = st.navigation(
        [
            st.Page(
                PAGES_DIR / f"{name}.py",
                title=title,
                icon=f":material/{icon}:",
                default=name == "overview",
                url_path=None if name == "overview" else name,
            )
            for name, title, icon in PAGES
        ],
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
        ],
        position="hidden",
    ).run()


def guard() -> bool:
    """True when a page may draw itself; otherwise run the router (which draws the page) instead."""
    if getattr(_run, "active", False):
        return True
    main()
    return False
