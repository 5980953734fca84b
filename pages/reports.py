"""公表・会議資料: the yearly progress report, the HQ meeting deck, open data and the workbook.

The report and the deck take seconds and can fail (Chromium, a busy store), so they are made by
a button in the page's own run, where a failure is shown, then offered for download. The data
files are quick and are made when their download button is clicked.
"""

from __future__ import annotations

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
)


def _made_here(
    output: report_views.Output,
    make: outputs.Maker,
    version: store_access.StoreVersion,
    since: str | None,
) -> None:
    """A 作成 button; the file it made stays offered until the store changes or another meeting
    is chosen."""
    if st.button(output.make_label, key=f"make-{output.kind}", icon=":material/build:"):
        with st.spinner("作成しています…（数秒かかります）"):
            try:
                made_outputs.keep(output, version, make(), since=since)
            except KomaeKpiError as exc:
                st.error(plain_text.literal(f"作成できませんでした。{exc}"))
            except Exception as exc:  # Chromium or a file problem: say so, never a silent no-op
                st.error(
                    plain_text.literal(f"作成できませんでした（{type(exc).__name__}: {exc}）。")
                )
    made = made_outputs.made(output, version, since=since)
    if made is not None:
        st.download_button(
            output.button,
            data=made,
            file_name=output.file_name,
            mime=output.mime,
            icon=":material/download:",
            on_click="ignore",
            key=f"download-{output.kind}",
            type="primary",
        )


def show() -> None:
    snapshot = store_access.snapshot()
    year = frame.page_header("公表・会議資料", snapshot)
    path = store_access.store_path()
    version = store_access.version_token(path)
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
    for n, output in enumerate(report_views.outputs(snapshot, year)):
        if n % 2 == 0:
            row = st.columns(2)  # a row of two cards, so the cards of a row line up
        with row[n % 2].container(border=True, height="stretch"):
            st.html(
                html_blocks.heading(output.title, 3)
                + html_blocks.paragraph(output.description)
                + (
                    html_blocks.paragraph(output.unavailable, meta=True)
                    if output.unavailable
                    else ""
                )
            )
            if not output.needs_browser:
                st.download_button(
                    output.button,
                    data=outputs.maker(output.kind, path, year),
                    file_name=output.file_name,
                    mime=output.mime,
                    icon=":material/download:",
                    on_click="ignore",
                    key=f"download-{output.kind}",
                )
            elif browser and output.unavailable is None:
                _made_here(output, outputs.maker(output.kind, path, year, since), version, since)
    meeting_panel.show(snapshot, meetings)
    edit_session.end_run()  # the messages were shown in this completed run


if app.guard():
    show()
