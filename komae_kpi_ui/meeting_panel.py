"""/reports' 推進本部会議の記録: the recorded meetings, the one whose changes the report and the
deck open with, and, for those who may (access.may_record_meetings; the core checks the same on
every write and logs each), a form to record one and a confirmed remove.

Widgets cost page-load time (bench/README.md): the choice is drawn only once a meeting is
recorded, the form and the remove only for those who may, once they open them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import streamlit as st

from komae_kpi.common import clock
from komae_kpi.judgement.meeting_changes import record_meeting
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.store.meetings import Meeting, remove_meeting
from komae_kpi.views import html_blocks, meeting_views
from komae_kpi_ui import access, edit_session, store_access, url_state

TITLE = "推進本部会議の記録"
NONE_CHOSEN = "なし"
SINCE_PARAM = "since"
PANEL_KEY = "meeting-panel"
_FORM_KEY = "meeting-record"
_REMOVE_CHOICE_KEY = "meeting-remove-choice"


def _remove_keys(name: str) -> tuple[str, str]:
    """The confirm checkbox's and the button's keys: by name, so that a confirmation can never
    point at another meeting once the list has changed."""
    return f"meeting-remove-confirm:{name}", f"meeting-remove:{name}"


def chosen_meeting(meetings: Sequence[Meeting]) -> str | None:
    """The meeting whose changes the report and the deck open with: the latest held by default,
    「なし」 for none; no widget before any meeting is recorded. Kept in the URL (?since=…), so
    that a 「…を作成」 link, which loads the page afresh, makes the file for the meeting chosen."""
    if not meetings:
        return None
    names = [m.name for m in reversed(meetings)]
    choice = url_state.select(
        "「前回会議からの変化」を載せる会議",
        [*names, NONE_CHOSEN],
        param=SINCE_PARAM,
        default=names[0],
        to_text=str,
        format_func=str,
        width=480,
        help="報告書と会議資料の冒頭に、選んだ会議のときから変わったことを載せます"
        "（「なし」なら載せません）。",
    )
    return None if choice == NONE_CHOSEN else choice


def show(snapshot: Snapshot, meetings: Sequence[Meeting]) -> None:
    """The section: the meetings as a table, then the record form and the remove for those who
    may."""
    edit_session.show_messages()
    table = (
        html_blocks.table(
            meeting_views.meetings_frame(meetings),
            label=TITLE,
            nowrap=("開催日", "年度"),
        )
        if meetings
        else html_blocks.paragraph("推進本部会議はまだ記録されていません。", meta=True)
    )
    st.html(
        html_blocks.heading(TITLE, 2)
        + html_blocks.paragraph(
            "会議で示した指標の判定と取組項目の状況を記録しておくと、次の会議の資料に"
            "「前回会議からの変化」を載せられます。",
            meta=True,
        )
        + table
    )
    if not access.may_record_meetings(snapshot):
        return
    # Lazy: the form and the remove are drawn only while the expander is open.
    panel = st.expander(
        "会議を記録・削除する", icon=":material/event_note:", key=PANEL_KEY, on_change="rerun"
    )
    if panel.open:
        with panel:
            _record_form()
            if meetings:
                _remove(meetings)


def _record_form() -> None:
    today = clock.today()
    with st.form(_FORM_KEY):
        name = st.text_input("会議名", placeholder="令和8年度第1回推進本部")
        held, day, time = st.columns(3)
        held_on = held.date_input("開催日", value=today, max_value=today)
        as_of_day = day.date_input("時点の日付（空欄なら今の状態）", value=None, max_value=today)
        as_of_time = time.time_input("時点の時刻（空欄なら0:00）", value=None)
        st.html(
            html_blocks.paragraph(
                "今の（承認済みの）状態を記録します。会議の後に記録するときは、会議のときの"
                "日付と時刻を「時点」に指定すると、変更履歴からその時点の状態を再現します。",
                meta=True,
            )
        )
        submitted = st.form_submit_button("記録する", type="primary")
    if not submitted:
        return
    if as_of_day is None and as_of_time is not None:
        st.error(
            "時点の時刻だけが指定されています。日付も指定してください（何も書き込んでいません）。"
        )
        return
    as_of = dt.datetime.combine(as_of_day, as_of_time or dt.time()) if as_of_day else None

    def record() -> str:
        meeting, _ = record_meeting(
            store_access.store_path(),
            name=name.strip(),
            held_on=held_on,
            as_of=as_of,
            user=store_access.user_name(),
            wait_seconds=edit_session.WAIT_SECONDS,
        )
        return f"会議「{meeting.name}」を記録しました（{meeting.summary()}）。"

    edit_session.write_then_say(record, action="記録")


def _remove(meetings: Sequence[Meeting]) -> None:
    name = st.selectbox(
        "記録を削除する会議",
        [m.name for m in reversed(meetings)],
        index=None,
        placeholder="削除するときに選びます",
        key=_REMOVE_CHOICE_KEY,
        width=480,
    )
    if name is None:
        return

    def remove() -> str:
        entry = remove_meeting(
            store_access.store_path(),
            name,
            user=store_access.user_name(),
            wait_seconds=edit_session.WAIT_SECONDS,
        )
        return f"会議「{entry.name}」の記録を削除しました（{entry.summary}）。"

    edit_session.confirmed_removal(
        f"「{name}」の記録",
        f"会議「{name}」の記録を削除します。削除の前にストアのバックアップを作成し、"
        "削除は会議の記録の履歴に残ります。",
        keys=_remove_keys(name),
        remove=remove,
    )
