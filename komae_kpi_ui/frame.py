"""What every page shares: the demo banner, the sidebar with the fiscal-year selector, headers."""

from __future__ import annotations

import streamlit as st

from komae_kpi import fiscal_year as fy
from komae_kpi.progress import Snapshot
from komae_kpi_ui import url_state

DEMO_BANNER = "デモデータ：この画面の数値は説明用に生成した架空の値で、狛江市の実績ではありません。"
PLAN_NAME = "狛江市第7次行財政改革推進計画（令和7年度～令和11年度）"
FY_PARAM = "fy"


def show_banner(snapshot: Snapshot) -> None:
    if snapshot.is_demo:
        st.warning(DEMO_BANNER, icon=":material/science:")


def fiscal_year_options(snapshot: Snapshot) -> list[int]:
    """From the target year back to the baseline year, newest first."""
    first = min(x.baseline_fiscal_year for x in snapshot.plan.indicators)
    last = max(x.target_fiscal_year for x in snapshot.plan.indicators)
    return list(range(last, first - 1, -1))


def show_sidebar(snapshot: Snapshot) -> int:
    """The shared sidebar; returns the chosen fiscal year (kept in the URL as ?fy=2025)."""
    options = fiscal_year_options(snapshot)
    default = min(max(snapshot.latest_fiscal_year(), options[-1]), options[0])
    with st.sidebar:
        year = url_state.select(
            "年度",
            options,
            param=FY_PARAM,
            default=default,
            to_text=str,
            format_func=fy.label,
            always_in_url=True,
            help="年度は4月から翌年3月まで。既定はデータのある最新の年度です。",
        )
        st.caption(PLAN_NAME)
        if snapshot.is_demo:
            st.caption("表示中: デモデータ（架空の値）")
    return year


def selected_fiscal_year() -> int:
    """The year chosen in the sidebar for this run (set before the page runs)."""
    return int(st.session_state[url_state.state_key(FY_PARAM)])


def page_header(title: str, year: int) -> None:
    st.title(title)
    st.caption(f"{fy.label(year)}　{PLAN_NAME}")
