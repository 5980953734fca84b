"""What every page shares: the stylesheet, the demo banner, and the header with the year selector."""

from __future__ import annotations

import threading
from pathlib import Path

import streamlit as st

from komae_kpi.common import fiscal_year as fy
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.plan import facts
from komae_kpi.views import html_blocks
from komae_kpi_ui import url_state

DEMO_BANNER = f"デモデータ：この画面の数値は説明用に生成した架空の値で、{facts.PUBLISHER}の実績ではありません。"
FY_PARAM = "fy"
STYLE = Path(__file__).with_name("style.css")


_CSS = STYLE.read_text(encoding="utf-8")
_pending = threading.local()  # per script run: Streamlit runs each session in its own thread


def demo_banner_html(snapshot: Snapshot) -> str:
    if not snapshot.is_demo:
        return ""
    return html_blocks.banner(DEMO_BANNER)


def fiscal_year_options(snapshot: Snapshot) -> list[int]:
    """From the target year back to the baseline year, newest first."""
    first = facts.baseline_fiscal_year(snapshot.plan)
    last = facts.target_fiscal_year(snapshot.plan)
    return list(range(last, first - 1, -1))


def page_header(title: str, snapshot: Snapshot) -> int:
    """Demo banner, title, the plan's name and the fiscal-year links (kept in the URL as ?fy=2025).

    Returns the chosen year; the default is the latest year with data. The stylesheet, banner,
    title and caption travel as one HTML element: this runs on every page, and each element costs
    the browser a render (bench/). The year links are drawn by draw_year_links() once the page
    has run, so that they carry the filters the page's widgets put into the URL in this run.
    """
    options = fiscal_year_options(snapshot)
    default = min(max(snapshot.latest_fiscal_year(), options[-1]), options[0])
    year = url_state.choose(
        options, param=FY_PARAM, default=default, to_text=str, always_in_url=True
    )
    demo = "　表示中: デモデータ（架空の値）" if snapshot.is_demo else ""
    st.html(
        html_blocks.stylesheet(_CSS)
        + demo_banner_html(snapshot)
        + html_blocks.page_title(title)
        + html_blocks.paragraph(f"{fy.label(year)}　{facts.TITLE_WITH_PERIOD}{demo}", meta=True)
    )
    _pending.year_links = (st.empty(), options, year)
    return year


def draw_year_links() -> None:
    """Fill the header's year links (called by the router after the page has run), with a note
    when the URL named something that does not exist (a mistyped link shared in a meeting)."""
    pending = getattr(_pending, "year_links", None)
    _pending.year_links = None
    if pending is None:
        return
    slot, options, year = pending
    years = html_blocks.link_bar(
        [(fy.label(y), url_state.href(**{FY_PARAM: str(y)}), y == year) for y in reversed(options)],
        label="年度",
    )
    ignored = url_state.take_ignored()
    notice = (
        html_blocks.paragraph(
            "リンクの指定 "
            + "、".join(f"「{param}={value}」" for param, value in ignored)
            + " に当たるものがないため、既定の表示にしています。",
            meta=True,
        )
        if ignored
        else ""
    )
    slot.html(years + notice)
