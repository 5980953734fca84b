"""What every page shares: the demo banner and the sidebar."""

from __future__ import annotations

import streamlit as st

from komae_kpi.progress import Snapshot

DEMO_BANNER = "デモデータ：この画面の数値は説明用に生成した架空の値で、狛江市の実績ではありません。"


def show_banner(snapshot: Snapshot) -> None:
    if snapshot.is_demo:
        st.warning(DEMO_BANNER, icon="⚠️")


def show_sidebar(snapshot: Snapshot) -> None:
    with st.sidebar:
        st.caption("狛江市第7次行財政改革推進計画（令和7年度～令和11年度）")
        if snapshot.is_demo:
            st.caption("表示中: デモデータ")
