"""Entry point: `streamlit run dashboard.py`. A small router around the pages in pages/."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from komae_kpi.errors import KomaeKpiError
from komae_kpi_ui import frame, store_access

PAGES_DIR = Path(__file__).parent / "pages"

st.set_page_config(
    page_title="狛江市 第7次行財政改革推進計画 進捗管理",
    page_icon="📊",
    layout="wide",
)

try:
    snapshot = store_access.snapshot()
except KomaeKpiError as exc:
    st.error(f"データベースを開けませんでした。\n\n{exc}")
    st.stop()

frame.show_banner(snapshot)
frame.show_sidebar(snapshot)

page = st.navigation(
    [
        st.Page(PAGES_DIR / "plan.py", title="計画の体系", url_path="plan", default=True),
    ]
)
page.run()
