"""公表・会議資料: the yearly progress report, the HQ meeting deck, open data and the workbook."""

from __future__ import annotations

import streamlit as st

from komae_kpi import html_blocks, report_views
from komae_kpi.chart_images import chromium_path
from komae_kpi_ui import app, frame, outputs, store_access


def show() -> None:
    snapshot = store_access.snapshot()
    year = frame.page_header("公表・会議資料", snapshot)
    path = store_access.store_path()
    st.html(
        html_blocks.paragraph(
            "上の年度リンクで選んだ年度の資料を、ボタンを押したときにストアの最新の内容から作成します"
            "（報告書と会議資料は数秒かかります）。",
            meta=True,
        )
    )
    makers = {
        "pdf": outputs.report_pdf(path, year),
        "html": outputs.report_html(path, year),
        "pptx": outputs.meeting_deck(path, year),
        "zip": outputs.open_data(path),
        "xlsx": outputs.workbook(path),
    }
    offered = report_views.outputs(snapshot, year)
    browser = chromium_path() is not None
    if not browser:
        st.warning(report_views.BROWSER_MISSING, icon=":material/warning:")
    for n, output in enumerate(offered):
        if n % 2 == 0:
            row = st.columns(2)  # a row of two cards, so the cards of a row line up
        with row[n % 2].container(border=True, height="stretch"):
            st.html(
                html_blocks.heading(output.title, 3) + html_blocks.paragraph(output.description)
            )
            st.download_button(
                output.button,
                data=makers[output.kind],
                file_name=output.file_name,
                mime=output.mime,
                icon=":material/download:",
                on_click="ignore",
                key=f"download-{output.kind}",
                disabled=output.needs_browser and not browser,
            )


if app.guard():
    show()
