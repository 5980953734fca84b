"""Static tables and other dense displays, drawn as one escaped HTML block each.

st.table would render every cell as Markdown (`**x**` bold, `[a](b)` a link) and costs a browser
render per cell; html_blocks escapes every text and draws a whole table as one element.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from komae_kpi import html_blocks


def show(frame: pd.DataFrame, *, caption: str | None = None, label: str | None = None) -> None:
    st.html(html_blocks.table(frame, caption=caption, label=label))
