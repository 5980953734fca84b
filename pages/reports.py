"""公表・会議資料: the yearly progress report, the HQ meeting deck, open data and the workbook.

The report and the deck take seconds and can fail (Chromium, a busy store), so they are made in
the page's own run, where a failure is shown, when its 「…を作成」 link (?make=pdf) asks for
them, then offered for download (komae_kpi_ui/made_outputs.py). The data
files are quick and are made when their download button is clicked.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from komae_kpi.common.errors import KomaeKpiError
from komae_kpi.outputs import report_views
from komae_kpi.outputs.chart_images import chromium_path
from komae_kpi.views import html_blocks, review_views
from komae_kpi_ui import (
    app,
    edit_session,
    frame,
    made_outputs,
    meeting_panel,
    outputs,
    plain_text,
    store_access,
    url_state,
)

MAKE_PARAM = "make"  # ?make=pdf: the 「…を作成」 link asks for that output once


def _make(
    output: report_views.Output,
    make: outputs.Maker,
    path: Path,
    version: store_access.StoreVersion,
    since: str | None,
) -> None:
    """Make output in this run, where a failure is shown in its card; what was made is kept."""
    with st.spinner("作成しています…（数秒かかります）"):
        try:
            made_outputs.keep(path, output, version, make(), since=since)
        except KomaeKpiError as exc:
            st.error(plain_text.literal(f"作成できませんでした。{exc}"))
        except Exception as exc:  # Chromium or a file problem: say so, never a silent no-op
            st.error(plain_text.literal(f"作成できませんでした（{type(exc).__name__}: {exc}）。"))


def _download(output: report_views.Output, data: bytes | outputs.Maker, *, made: bool) -> None:
    st.download_button(
        output.button,
        data=data,
        file_name=output.file_name,
        mime=output.mime,
        icon=":material/download:",
        on_click="ignore",
        key=f"download-{output.kind}",
        type="primary" if made else "secondary",
    )


def _card(
    output: report_views.Output,
    *,
    year: int,
    since: str | None,
    browser: bool,
    asked: bool,
    path: Path,
    version: store_access.StoreVersion,
) -> None:
    """One output: its title and description, then its download (the data files, made when
    clicked), or its 「…を作成」 link, or the file made (the report and the deck)."""
    card = html_blocks.heading(output.title, 3) + html_blocks.paragraph(output.description)
    if output.unavailable:
        st.html(card + html_blocks.paragraph(output.unavailable, meta=True))
        return
    if not output.needs_browser:
        st.html(card)
        _download(output, outputs.maker(output.kind, path, year), made=False)
        return
    if not browser:
        st.html(card)
        return
    if asked:
        st.html(card)
        _make(output, outputs.maker(output.kind, path, year, since), path, version, since)
        card = ""
    made = made_outputs.made(path, output, version, since=since)
    if made is None:
        # A link, not a button: three buttons cost the page a render each (bench/).
        card += html_blocks.action_link(
            output.make_label, url_state.href(**{MAKE_PARAM: output.kind})
        )
    if card:
        st.html(card)
    if made is not None:
        _download(output, made, made=True)


def show() -> None:
    snapshot = store_access.snapshot()
    year = frame.page_header("公表・会議資料", snapshot)
    path = store_access.store_path()
    version = store_access.version_token(path)  # once a run: what a made file must match
    st.html(
        html_blocks.paragraph(
            "上の年度リンクで選んだ年度の資料を、ストアの最新の内容から作成します"
            "（報告書と会議資料は「作成」を押してから数秒かかります）。",
            meta=True,
        )
    )
    waiting = len(snapshot.waiting)
    if waiting:
        st.warning(
            f"{review_views.pending_note(waiting)}報告書・会議資料・オープンデータには承認済みの内容だけを"
            "載せます。承認は「承認」のページで行います。",
            icon=":material/pending_actions:",
        )
    browser = chromium_path() is not None
    if not browser:
        st.warning(report_views.BROWSER_MISSING, icon=":material/warning:")
    meetings = store_access.recorded_meetings()
    since = meeting_panel.chosen_meeting(meetings) if browser else None
    listed = report_views.outputs(snapshot, year)
    makeable = [o.kind for o in listed if o.needs_browser and browser and o.unavailable is None]
    asked = url_state.take(MAKE_PARAM, makeable)
    for n, output in enumerate(listed):
        if n % 2 == 0:
            row = st.columns(2)  # a row of two cards, so the cards of a row line up
        with row[n % 2].container(border=True, height="stretch"):
            _card(
                output,
                year=year,
                since=since,
                browser=browser,
                asked=asked == output.kind,
                path=path,
                version=version,
            )
    meeting_panel.show(snapshot, meetings)
    edit_session.end_run()  # the messages were shown in this completed run


if app.guard():
    show()
