"""Widgets whose value lives in the URL (`?fy=2025&department=財政課`), so a link shared in a meeting
opens the same view and a reload keeps it.

Streamlit's own `bind="query-params"` writes the formatted label into the URL (`?fy=令和7年度 (2025)`)
and drops values equal to the default, so we sync by hand: read the parameter once per session into
the widget's state, and write the widget's value back on every run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import streamlit as st

T = TypeVar("T")


def state_key(param: str) -> str:
    return f"url_{param}"


def select(
    label: str,
    options: Sequence[T],
    *,
    param: str,
    default: T,
    to_text: Callable[[T], str],
    format_func: Callable[[Any], str],
    container: Any = None,
    always_in_url: bool = False,
    help: str | None = None,
) -> T:
    """A selectbox bound to ?param=…; values the options don't have fall back to default."""
    key = state_key(param)
    by_text = {to_text(o): o for o in options}
    if key not in st.session_state or st.session_state[key] not in options:
        raw = st.query_params.get(param)
        st.session_state[key] = by_text.get(raw, default) if raw is not None else default
    where = container if container is not None else st
    value: T = where.selectbox(label, options, key=key, format_func=format_func, help=help)
    if always_in_url or value != default:
        st.query_params[param] = to_text(value)
    elif param in st.query_params:
        del st.query_params[param]
    return value


def text(label: str, *, param: str, container: Any = None, placeholder: str | None = None) -> str:
    """A text input bound to ?param=…; empty text leaves the URL clean."""
    key = state_key(param)
    if key not in st.session_state:
        st.session_state[key] = st.query_params.get(param, "")
    where = container if container is not None else st
    value: str = where.text_input(label, key=key, placeholder=placeholder)
    if value:
        st.query_params[param] = value
    elif param in st.query_params:
        del st.query_params[param]
    return value
