"""The router: page config, the shared frame and st.navigation. dashboard.py only calls main().

Why pages call guard(): Streamlit treats an app with a pages/ folder as an old-style multipage app
until some run has called st.navigation. On a server's first request for a deep link such as
/finance?fy=2025 it would then run pages/finance.py on its own, without this frame (or, for a
path with no file of that name, show an English "Page not found" box). guard() notices that the
router is not running and runs it instead, which routes back to the same page.
"""

from __future__ import annotations

import threading
from pathlib import Path

import streamlit as st

from komae_kpi.common.errors import KomaeKpiError
from komae_kpi.plan import facts
from komae_kpi_ui import frame, store_access

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"
# (file in pages/ and URL path, title, Material icon); the first is the default page at "/".
PAGES: tuple[tuple[str, str, str], ...] = (
    ("overview", "全体概況", "dashboard"),
    ("indicators", "指標", "show_chart"),
    ("finance", "財政指標", "account_balance"),
    ("items", "取組項目", "checklist"),
    ("departments", "部署別", "apartment"),
    ("updates", "実績入力", "edit_note"),
    ("reports", "公表・会議資料", "description"),
)
_run = threading.local()  # Streamlit runs each session's script in a thread of its own


def main() -> None:
    st.set_page_config(
        page_title=f"{facts.PUBLISHER} 行財政改革 進捗管理",
        layout="wide",
    )
    try:
        store_access.snapshot()  # fail early, with a message, if the store cannot be read
    except KomaeKpiError as exc:
        st.error(f"データベースを開けませんでした。\n\n{exc}")
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
    _run.active = True
    try:
        page.run()
        frame.draw_year_links()
    finally:
        _run.active = False


def guard() -> bool:
    """True when a page may draw itself; otherwise run the router (which draws the page) instead."""
    if getattr(_run, "active", False):
        return True
    main()
    return False
