"""Static tables whose cells are always text.

st.table renders every cell as Markdown: `**x**` turns bold, `[a](b)` becomes a link and `$x$` maths.
Staff commentary and imported cells must show exactly as typed, so every text cell is escaped first.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

# CommonMark lets any ASCII punctuation be escaped with a backslash; these are the ones that change
# how Streamlit's Markdown renders text ($ starts maths, ~ strikes through, | splits tables).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#~|$!])")
_BULLET_START = re.compile(r"^(\s*)([-+])(\s)", re.MULTILINE)
_NUMBER_START = re.compile(r"^(\s*\d+)\.(\s)", re.MULTILINE)


def escape_markdown(text: str) -> str:
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    # A leading "-", "+" or "1." would start a list.
    escaped = _BULLET_START.sub(r"\1\\\2\3", escaped)
    return _NUMBER_START.sub(r"\1\\.\2", escaped)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.map(lambda v: escape_markdown(v) if isinstance(v, str) else v)


def show(frame: pd.DataFrame) -> None:
    """st.table with every text cell shown literally."""
    st.table(as_text(frame), hide_index=True)
