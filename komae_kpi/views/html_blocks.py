"""Dense displays as one block of escaped HTML each: tables, the indicator tiles, figure strips.

Why not one Streamlit element per value: every element costs the browser a render, and a page of
tiles or of 21 small tables took several hundred milliseconds more than its floor (bench/). One
st.html block per display costs about as much as one element. Every text is escaped with
html.escape, so staff text shows exactly as typed (no HTML, no Markdown); the classes are styled
by komae_kpi_ui/style.css.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from komae_kpi.common import formatting
from komae_kpi.common.spreadsheet_text import without_control_characters
from komae_kpi.views.indicator_views import KeyFigure
from komae_kpi.views.overview import IndicatorTile, Note
from komae_kpi.views.status_style import STATUS_LABEL_CLASS, is_status_text

Cell = Any


@dataclass(frozen=True, kw_only=True)
class Link:
    """A table cell that links elsewhere in the app."""

    text: str
    href: str

    def __str__(self) -> str:  # what tests and text exports see
        return self.text


def esc(value: Cell) -> str:
    """Escaped text; line breaks kept as <br>; None and NaN as an empty cell. Control characters
    a store may hold from before the text rule (an ESC, a NUL) are dropped: a page or a report never
    carries them (common/spreadsheet_text.without_control_characters)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return html.escape(without_control_characters(str(value))).replace("\n", "<br>")


def _is_number(value: Cell) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cell(value: Cell, nowrap: bool = False) -> str:
    if is_status_text(value):
        return f'<td class="{STATUS_LABEL_CLASS}">{esc(value)}</td>'
    if nowrap and not isinstance(value, Link) and not _is_number(value):
        return f'<td class="nw">{esc(value)}</td>'
    if isinstance(value, Link):
        return f'<td><a href="{esc(value.href)}" target="_self">{esc(value.text)}</a></td>'
    if _is_number(value):
        return f'<td class="num">{esc(value)}</td>'
    return f"<td>{esc(value)}</td>"


def table(
    frame: pd.DataFrame,
    *,
    caption: str | None = None,
    label: str | None = None,
    nowrap: Sequence[str] = ("年度", "実績値"),
) -> str:
    """A table with a header row of <th scope="col">; numbers right-aligned; the nowrap columns
    (years, values with their unit) never break inside a cell."""
    keep = [c in nowrap for c in frame.columns]
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        rows.append(f"<tr>{''.join(_cell(v, k) for v, k in zip(record, keep, strict=True))}</tr>")
    caption_html = f"<caption>{esc(caption)}</caption>" if caption else ""
    aria = f' aria-label="{esc(label)}"' if label else ""
    return (
        f'<table class="kpi-table"{aria}>{caption_html}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def grouped_table(
    columns: Sequence[str],
    groups: Iterable[tuple[Sequence[str], Iterable[Sequence[object]]]],
    *,
    label: str,
) -> str:
    """One table whose rows are grouped under heading rows (e.g. 施策 → 方向性 → 基本事業).

    groups: (headings that start here, rows of cells) pairs; each heading gets a full-width row whose
    level (1, 2, 3 …) follows its position, so a group repeats only the headings that change.
    """
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in columns)
    body = []
    for headings, rows in groups:
        for level, heading in enumerate(headings, start=1):
            if heading:
                body.append(
                    f'<tr class="group group-{level}"><th scope="rowgroup" colspan="{len(columns)}">'
                    f"{esc(heading)}</th></tr>"
                )
        for record in rows:
            body.append(f"<tr>{''.join(_cell(v) for v in record)}</tr>")
    return (
        f'<table class="kpi-table" aria-label="{esc(label)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def badge(text: str, color: str) -> str:
    """A status badge: the text carries the meaning, the colour only repeats it."""
    return f'<span class="kpi-badge {STATUS_LABEL_CLASS} {esc(color)}">{esc(text)}</span>'


def sparkline(values: Sequence[float], *, label: str) -> str:
    """A small line of the latest values (nothing for fewer than two values).

    An <img> of an SVG data URI: st.html's sanitiser drops inline <svg>, but keeps images, and
    the alt text says what the line shows.
    """
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = 100 / (len(values) - 1)
    points = " ".join(
        f"{i * step:.1f},{36 - (v - low) / span * 32:.1f}" for i, v in enumerate(values)
    )
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 40" preserveAspectRatio="none">'
        f'<polyline points="{points}" fill="none" stroke="#1F3A5F" stroke-width="2.5" '
        'vector-effect="non-scaling-stroke"/></svg>'
    )
    data = base64.b64encode(svg.encode("ascii")).decode("ascii")
    return f'<img class="kpi-spark" alt="{esc(label)}" src="data:image/svg+xml;base64,{data}">'


def tiles(items: Sequence[IndicatorTile]) -> str:
    """The overview's indicator tiles: status, name, latest value, change, sparkline, year, target."""
    cards = []
    for t in items:
        tone = "neutral" if t.change_is_good is None else ("good" if t.change_is_good else "bad")
        change = f'<div class="delta {tone}">{esc(t.change_text)}</div>' if t.change_text else ""
        spark = sparkline(
            t.sparkline,
            label=f"指標{t.indicator_no}の推移: "
            + "、".join(formatting.number(v) for v in t.sparkline),
        )
        cards.append(
            f'<section class="kpi-tile" aria-label="指標{t.indicator_no} {esc(t.name)}" '
            f'data-indicator="{t.indicator_no}" data-status="{esc(t.status)}">'
            f"{badge(t.status_text, t.badge_color)}"
            f'<h3 class="name">指標{t.indicator_no}　{esc(t.name)}</h3>'
            f'<div class="value" title="{esc(t.help_text)}">{esc(t.value_text)}</div>{change}{spark}'
            f'<div class="meta">{esc(t.year_text)}　{esc(t.target_text)}</div></section>'
        )
    return f'<div class="kpi-tiles">{"".join(cards)}</div>'


def figures(items: Sequence[KeyFigure], *, columns: int | None = None) -> str:
    """Labelled key figures in a grid (label above, value below, an explanation on hover)."""
    style = f' style="grid-template-columns: repeat({columns}, 1fr)"' if columns else ""
    cells = []
    for f in items:
        title = f' title="{esc(f.help)}"' if f.help else ""
        note = f'<div class="note">{esc(f.help)}</div>' if f.help else ""
        cells.append(
            f'<div class="kpi-figure"{title}><div class="label">{esc(f.label)}</div>'
            f'<div class="value">{esc(f.value)}</div>{note}</div>'
        )
    return f'<div class="kpi-figures"{style}>{"".join(cells)}</div>'


def heading(text: str, level: int = 2) -> str:
    css = "kpi-heading" if level == 2 else "kpi-subheading"
    return f'<h{level} class="{css}">{esc(text)}</h{level}>'


def paragraph(text: str, *, meta: bool = False) -> str:
    return f'<p class="kpi-meta">{esc(text)}</p>' if meta else f"<p>{esc(text)}</p>"


def page_title(text: str) -> str:
    """The page's one <h1>."""
    return f'<h1 class="kpi-title">{esc(text)}</h1>'


def stylesheet(css: str) -> str:
    """The app's own stylesheet (komae_kpi_ui/style.css) as a <style> element. Not escaped: it is
    our file, never staff text, and escaping would break selectors such as `a > b`."""
    return f"<style>{css}</style>"


def banner(text: str) -> str:
    """A note across the top of the page, e.g. that its figures are made up (role="note")."""
    return f'<div class="kpi-demo" role="note">{esc(text)}</div>'


def card(title: str, body: str, *, label: str | None = None) -> str:
    """A bordered card with a title; body is HTML made by this module's blocks."""
    aria = f' aria-label="{esc(label)}"' if label else ""
    return (
        f'<section class="kpi-card"{aria}><h3 class="kpi-card-title">{esc(title)}</h3>'
        f"{body}</section>"
    )


def definitions(entries: Sequence[tuple[str, str | None]]) -> str:
    """Terms with their descriptions (<dl>); a term without one (None) heads what follows the list."""
    parts = "".join(
        f"<dt>{esc(term)}</dt>" + ("" if text is None else f"<dd>{esc(text)}</dd>")
        for term, text in entries
    )
    return f'<dl class="kpi-detail">{parts}</dl>'


def bullets(items: Iterable[str], *, css_class: str) -> str:
    """A list of texts (<ul>), each escaped."""
    entries = "".join(f"<li>{esc(item)}</li>" for item in items)
    return f"<ul class='{esc(css_class)}'>{entries}</ul>"


def columns(blocks: Sequence[str]) -> str:
    """Blocks side by side in equal columns (stacking on a narrow screen)."""
    cells = "".join(f'<div class="kpi-column">{b}</div>' for b in blocks)
    return f'<div class="kpi-columns" style="--kpi-columns: {len(blocks)}">{cells}</div>'


def link(text: str, href: str) -> str:
    """A link within the app (opens in the same tab)."""
    return f'<a href="{esc(href)}" target="_self">{esc(text)}</a>'


def action_link(text: str, href: str) -> str:
    """A link drawn as a button (「PDFを作成」): following it asks the page to do something once.
    A link, not a widget: each widget costs the page a render in the browser (bench/)."""
    return f'<p><a class="kpi-action" href="{esc(href)}" target="_self">{esc(text)}</a></p>'


def account_bar(account: str, sign_out_href: str) -> str:
    """Who is signed in and 「サインアウト」 on one line at the right: a link to the server's
    sign-out address, not a button (a widget costs every signed-in page a render, bench/)."""
    return (
        '<div class="kpi-account-bar">'
        f'<span class="kpi-account">サインイン中：{esc(account)}</span>'
        f'<a class="kpi-action" href="{esc(sign_out_href)}" target="_self">サインアウト</a>'
        "</div>"
    )


def notice(notes: Sequence[Note]) -> str:
    """Notes in one box (role="note"), one paragraph each, with its link (e.g. to 実績入力) after
    the text; '' without notes."""
    if not notes:
        return ""
    lines = "".join(
        f"<p>{esc(n.text)}"
        + (f" {link(n.link_text, n.href)}" if n.link_text and n.href else "")
        + "</p>"
        for n in notes
    )
    return f'<div class="kpi-notice" role="note">{lines}</div>'


def link_paragraph(text: str, href: str) -> str:
    """A link within the app on a line of its own."""
    return f"<p>{link(text, href)}</p>"


def link_bar(
    choices: Sequence[tuple[str, str, bool]], *, label: str, titles: Sequence[str] | None = None
) -> str:
    """A row of links, one marked as the current choice (aria-current), e.g. the fiscal years.

    Links instead of a widget: a selector on every page cost each page a widget's render
    (bench/), and a link is already the shareable URL.
    """
    links = "".join(
        f'<a href="{esc(url)}" target="_self"'
        + (' aria-current="true" class="current"' if current else "")
        + (f' title="{esc(titles[i])}" aria-label="{esc(titles[i])}"' if titles else "")
        + f">{esc(text)}</a>"
        for i, (text, url, current) in enumerate(choices)
    )
    return f'<nav class="kpi-links" aria-label="{esc(label)}"><span class="label">{esc(label)}</span>{links}</nav>'


@dataclass(frozen=True, kw_only=True)
class FormSelect:
    """A drop-down of a filter form: ?name=value, the first option meaning "no filter"."""

    label: str
    name: str
    options: Sequence[tuple[str, str]]  # (value sent in the URL, text shown)
    chosen: str
    wide: bool = False


@dataclass(frozen=True, kw_only=True)
class FormText:
    label: str
    name: str
    value: str
    placeholder: str = ""
    max_length: int = 100


def filter_form(
    *,
    label: str,
    selects: Sequence[FormSelect],
    text: FormText | None,
    hidden: Sequence[tuple[str, str]],
    submit: str,
    clear_href: str | None = None,
) -> str:
    """A plain HTML search form (method GET): choosing and pressing the button loads the page with
    the filters in the URL, as a shared link would.

    The browser's own controls instead of Streamlit widgets: four widgets above a long table cost
    /items about as much main-thread time as the rest of the page (bench/README.md); native
    controls cost a tenth of that. hidden: the other URL parameters to keep (the year).
    """
    fields = []
    for s in selects:
        options = "".join(
            f'<option value="{esc(value)}"'
            + (" selected" if value == s.chosen else "")
            + f">{esc(shown)}</option>"
            for value, shown in s.options
        )
        wide = " wide" if s.wide else ""
        fields.append(
            f'<label class="field{wide}"><span>{esc(s.label)}</span>'
            f'<select name="{esc(s.name)}">{options}</select></label>'
        )
    if text is not None:
        fields.append(
            f'<label class="field wide"><span>{esc(text.label)}</span>'
            f'<input type="search" name="{esc(text.name)}" value="{esc(text.value)}" '
            f'placeholder="{esc(text.placeholder)}" maxlength="{text.max_length}"></label>'
        )
    kept = "".join(
        f'<input type="hidden" name="{esc(name)}" value="{esc(value)}">' for name, value in hidden
    )
    clear = (
        f'<a class="clear" href="{esc(clear_href)}" target="_self">条件をクリア</a>'
        if clear_href
        else ""
    )
    return (
        f'<form class="kpi-filter" method="get" role="search" aria-label="{esc(label)}">'
        f'{"".join(fields)}{kept}<div class="actions"><button type="submit">{esc(submit)}</button>'
        f"{clear}</div></form>"
    )
