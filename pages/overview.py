"""全体概況: the HQ meeting's page — indicator tiles, gap warnings, item status counts, freshness."""

from __future__ import annotations

import streamlit as st

from komae_kpi.common import clock
from komae_kpi.common import fiscal_year as fy
from komae_kpi.judgement import item_progress
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.plan import facts
from komae_kpi.views import html_blocks, item_views, meeting_views, overview
from komae_kpi_ui import app, frame, store_access, url_state

REPORTS_HREF = "./reports"
MEETING_LINKS = 8  # the latest meetings offered for comparison


def show() -> None:
    snapshot = store_access.snapshot()
    year = frame.page_header("全体概況", snapshot)
    _changes_since_meeting(snapshot, year)

    today = clock.today()
    notes = overview.freshness_notes(snapshot, year, today)
    if notes:
        st.html(html_blocks.notice(notes))

    st.html(html_blocks.heading("指標の状況"))
    warnings = overview.gap_warnings(snapshot, year)
    notice = overview.indicator_notice(snapshot, year, today)
    if notice is not None and notice.level == "success":
        st.success(notice.text, icon=":material/check_circle:")
    elif notice is not None:
        st.html(html_blocks.notice([notice]))
    for w in warnings + overview.outlook_warnings(snapshot, year):
        show_box = st.error if w.level == "error" else st.warning
        show_box(
            w.body,
            title=w.title,
            icon=":material/error:" if w.level == "error" else ":material/warning:",
        )
    st.html(html_blocks.tiles(overview.tiles(snapshot, year)))

    plan = snapshot.plan
    title = html_blocks.heading(f"取組項目の進捗状況（{facts.item_count_text(plan)}）")
    if not facts.in_plan_period(year):
        st.html(
            title
            + html_blocks.paragraph(facts.reported_in_period_note("取組項目の進捗状況"), meta=True)
        )
        return
    counts = item_progress.status_counts(
        plan,
        item_progress.status_index(snapshot.statuses),
        year,
        first_reported_year=facts.FIRST_FISCAL_YEAR,
    )
    unreported = counts[0].count(item_progress.NOT_REPORTED)
    if unreported == counts[0].total:
        st.html(
            title
            + html_blocks.paragraph(
                f"{fy.label(year)}の取組項目の進捗状況はまだ報告されていません。", meta=True
            )
        )
        return
    changes = counts[0].counts[0].change is not None
    st.html(
        title
        + html_blocks.table(item_views.counts_table(counts), label="進捗状況別の取組項目数")
        + html_blocks.paragraph(
            f"再掲の取組項目は元の取組項目として1回だけ数えています（{counts[0].total}項目）。"
            + ("括弧内は前年度からの増減です。" if changes else ""),
            meta=True,
        )
    )


def _changes_since_meeting(snapshot: Snapshot, year: int) -> None:
    """「前回会議からの変化」 first: what the HQ asks before anything else. The meeting is chosen
    with links (?meeting=…), the latest held by default."""
    recorded = store_access.meeting_names()
    if not recorded:
        st.html(meeting_views.no_meeting_html(REPORTS_HREF))
        return
    names = recorded[::-1][:MEETING_LINKS]
    chosen = url_state.choose(names, param="meeting", default=names[0], to_text=str)
    links = (
        html_blocks.link_bar(
            [(n, url_state.href(meeting=None if n == names[0] else n), n == chosen) for n in names],
            label="比べる会議",
        )
        if len(names) > 1
        else ""
    )
    changes = store_access.changes_since_meeting(chosen, year)
    st.html(meeting_views.changes_html(snapshot.plan, changes, meeting_links=links))


if app.guard():
    show()
