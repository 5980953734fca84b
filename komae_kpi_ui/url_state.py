"""Widgets whose value lives in the URL (`?fy=2025&department=財政課`), so a link shared in a meeting
opens the same view and a reload keeps it.

Streamlit's own `bind="query-params"` writes the formatted label into the URL (`?fy=令和7年度 (2025)`)
and drops values equal to the default, so we sync by hand: read the parameter once per session into
the widget's state, and write the widget's value back on every run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

import streamlit as st

from komae_kpi.views import html_blocks

T = TypeVar("T")


_ignored = threading.local()  # per script run: URL values that matched no choice


def take_ignored() -> list[tuple[str, str]]:
    """The (parameter, value) pairs from the URL that this run could not use, once."""
    found: list[tuple[str, str]] = getattr(_ignored, "items", [])
    _ignored.items = []
    return found


def _note_ignored(param: str, value: str) -> None:
    _ignored.items = [*getattr(_ignored, "items", []), (param, value)]


def state_key(param: str) -> str:
    return f"url_{param}"


def current(options: Sequence[T], *, param: str, default: T, to_text: Callable[[T], str]) -> T:
    """The value the widget for ?param=… will show in this run (read from the URL the first time)."""
    key = state_key(param)
    if key not in st.session_state or st.session_state[key] not in options:
        by_text = {to_text(o): o for o in options}
        raw = st.query_params.get(param)
        if raw is not None and raw not in by_text:
            _note_ignored(param, raw)
        st.session_state[key] = by_text.get(raw, default) if raw is not None else default
    value: T = st.session_state[key]
    return value


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
    width: int | str = "stretch",
) -> T:
    """A selectbox bound to ?param=…; values the options don't have fall back to default."""
    current(options, param=param, default=default, to_text=to_text)
    where = container if container is not None else st
    value: T = where.selectbox(
        label, options, key=state_key(param), format_func=format_func, help=help, width=width
    )
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


def href(**changes: str | list[str] | None) -> str:
    """A link to this page with the current query parameters, some changed (None removes one; a
    list gives one parameter per value, an empty list the parameter empty: ?scenario=).

    Relative ("?fy=2024&department=…"), so it keeps the page's path; following it reloads the
    page, which then reads its state from the URL like any shared link.
    """
    # Every value of a parameter: a multiselect keeps one per choice (?scenario=A&scenario=B).
    params: dict[str, list[str]] = {k: st.query_params.get_all(k) for k in st.query_params}
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        elif isinstance(value, list):
            params[key] = value or [""]
        else:
            params[key] = [value]
    query = urlencode(params, doseq=True)
    return f"?{query}" if query else "?"


def choose(
    options: Sequence[T],
    *,
    param: str,
    default: T,
    to_text: Callable[[T], str],
    always_in_url: bool = False,
) -> T:
    """A choice made with links rather than a widget (see html_blocks.link_bar): read it from the
    URL (or this session's earlier choice) and keep it in the URL."""
    value = current(options, param=param, default=default, to_text=to_text)
    if always_in_url or value != default:
        st.query_params[param] = to_text(value)
    elif param in st.query_params:
        del st.query_params[param]
    return value


def choice_links(
    choices: dict[str, str], chosen: str, *, param: str, default: str
) -> list[tuple[str, str, bool]]:
    """(text, link, chosen) per choice for html_blocks.link_bar: choices maps each value of
    ?param=… to its text; the default's link leaves the parameter out of the URL."""
    return [
        (text, href(**{param: None if value == default else value}), value == chosen)
        for value, text in choices.items()
    ]


def choice_bar(choices: dict[str, str], *, param: str, default: str, label: str) -> tuple[str, str]:
    """One of choices (each ?param=… value → its text) chosen with links: the value chosen
    (choose()) and the links' HTML (html_blocks.link_bar, the choice marked current)."""
    chosen = choose(list(choices), param=param, default=default, to_text=str)
    links = choice_links(choices, chosen, param=param, default=default)
    return chosen, html_blocks.link_bar(links, label=label)


def take(param: str, allowed: Sequence[str]) -> str | None:
    """A one-off request in the URL (?make=pdf from a 「…を作成」 link): its value if allowed, and
    taken out of the URL so that a reload or a shared link does not ask again. A value not
    allowed is noted like any other link that names nothing (take_ignored)."""
    raw = st.query_params.get(param)
    if raw is None:
        return None
    del st.query_params[param]
    if raw in allowed:
        return raw
    _note_ignored(param, raw)
    return None


def drop_empty(*params: str) -> None:
    """Take ?param= out of the URL where a search form sent it empty (「すべて」, no keyword)."""
    for param in params:
        if param in st.query_params and not st.query_params.get(param, "").strip():
            del st.query_params[param]


def keyword(param: str, *, max_length: int) -> str:
    """A search text from ?param=…, trimmed and cut to max_length characters."""
    return st.query_params.get(param, "").strip()[:max_length]


def other_params(*exclude: str) -> list[tuple[str, str]]:
    """The URL's parameters but the excluded ones, each value apart (a form's hidden fields)."""
    return [
        (name, value)
        for name in st.query_params
        if name not in exclude
        for value in st.query_params.get_all(name)
    ]


def chosen_many(options: Sequence[str], *, param: str) -> tuple[list[str], list[str]]:
    """Several choices made with links (see toggle_links), kept in the URL as ?param=A&param=B.

    Every option is the default and leaves the URL clean; ?param= (empty) is
    none chosen; when the URL names none that exists, every option is chosen. Returns what is
    chosen, in the options' order, and the names the URL gave that no option has.
    """
    raw = st.query_params.get_all(param)
    if not raw:
        return list(options), []
    if raw == [""]:
        return [], []
    unknown = [r for r in raw if r and r not in options]
    chosen = [o for o in options if o in raw] or list(options)
    if chosen == list(options):
        del st.query_params[param]
    else:
        st.query_params[param] = chosen
    return chosen, unknown


def toggle_links(
    options: Sequence[str], chosen: Sequence[str], *, param: str, text: Callable[[str], str]
) -> list[tuple[str, str, bool]]:
    """(text, link, chosen) per option for html_blocks.link_bar: each link adds or takes away
    its option, keeping the others."""
    links = []
    for option in options:
        after = [o for o in options if (o in chosen) != (o == option)]
        target = href(**{param: None if after == list(options) else after})
        links.append((text(option), target, option in chosen))
    return links
