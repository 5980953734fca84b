"""承認: records waiting for approval, by department, before → after; approve or return with a
comment, or approve all of one department at once. Returned records are listed below them.

Those who enter (editors, approvers, administrators) see what waits; only approvers and
administrators get the buttons (the core refuses anyone else: judgement/approvals.py). Readers
(viewers, a request from elsewhere without sign-in) see only how many records wait.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from komae_kpi.common.errors import KomaeKpiError
from komae_kpi.judgement.approvals import approve, return_to_submitter
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.store.users import normalize_email
from komae_kpi.views import html_blocks, review_views
from komae_kpi.views.review_views import ReviewRow
from komae_kpi_ui import access, app, edit_session, frame, store_access


def _changes_html(row: ReviewRow) -> str:
    table = review_views.changes_table(row)
    return (
        html_blocks.heading(row.label, 4)
        + html_blocks.paragraph(review_views.submitted_text(row), meta=True)
        + (
            html_blocks.table(table, label=f"{row.label}の変更", nowrap=("項目",))
            if len(table)
            else html_blocks.paragraph("承認済みの内容と同じです（取消しの提出）。", meta=True)
        )
    )


def _act(done: str, run: Callable[[], object]) -> None:
    try:
        run()
    except KomaeKpiError as exc:
        edit_session.show_error(exc, action="承認・差戻し")
        return
    edit_session.leave_message(done)
    st.rerun()


def _row(snapshot: Snapshot, department: str, row: ReviewRow, reviewer: str | None) -> None:
    sid = row.submission_id
    with st.container(border=True):
        st.html(_changes_html(row))
        if row.stage_refusal:
            st.error(
                f"{row.stage_refusal}この提出は承認できません。差し戻してください。",
                icon=":material/block:",
            )
        if row.needs_finding:
            st.warning(row.needs_finding, icon=":material/comment:")
        if reviewer is None:
            return
        if normalize_email(row.submission.submitted_by) == normalize_email(reviewer):
            st.caption("自分の提出は承認できません（別の承認者が承認します）。")
            return
        with st.form(f"review-{department}-{sid}", border=False):
            comment = st.text_input(
                "コメント（所見・差し戻す理由）",
                help="遅れ・注意と判定される実績値の承認には所見が必要です。差し戻すときは理由を記入します。",
            )
            c1, c2 = st.columns(2)
            approved = c1.form_submit_button("承認する", type="primary", icon=":material/check:")
            returned = c2.form_submit_button("差し戻す", icon=":material/undo:")
        path = store_access.store_path()
        if approved:
            _act(
                f"提出番号{sid}（{row.label}）を承認しました。",
                lambda: approve(path, [sid], comments={sid: comment}, user=reviewer),
            )
        if returned:
            _act(
                f"提出番号{sid}（{row.label}）を差し戻しました。",
                lambda: return_to_submitter(path, sid, comment=comment, user=reviewer),
            )


def _department(
    snapshot: Snapshot, department: str, rows: list[ReviewRow], reviewer: str | None
) -> None:
    st.html(html_blocks.heading(f"{department}（{len(rows)}件）", 3))
    if (
        reviewer is not None
        and len(rows) > 1
        and st.button(
            f"{department}の{len(rows)}件をまとめて承認する",
            key=f"approve-all-{department}",
            icon=":material/done_all:",
        )
    ):
        path = store_access.store_path()
        try:
            result = approve(
                path,
                department=department,
                seen=[r.submission_id for r in rows],
                user=reviewer,
            )
        except KomaeKpiError as exc:
            edit_session.show_error(exc)
        else:
            edit_session.leave_message(
                f"{department}の{len(result.approved)}件を承認しました。"
                + "".join(f"\n承認していません: {reason}" for reason in result.skipped)
            )
            st.rerun()
    for row in rows:
        _row(snapshot, department, row, reviewer)


def show() -> None:
    snapshot = store_access.approved_snapshot()
    frame.page_header("承認", snapshot)
    edit_session.show_messages()
    if not snapshot.reviewing:
        st.info(
            "ユーザーが登録されていないため、入力・取込した内容はすぐに反映されます（承認は不要です）。"
            "承認の流れを使うには、`python -m komae_kpi users add` でユーザーを登録してください。",
            icon=":material/info:",
        )
        edit_session.end_run()
        return
    reviewer = access.actor(snapshot)
    reviewer_id = reviewer.identity if reviewer is not None and reviewer.may_review else None
    if not access.may_include_pending(snapshot):
        # What waits is not yet the city's figure: readers get how much waits, not what.
        waiting_count = len(snapshot.waiting)
        st.info(
            (review_views.pending_note(waiting_count) or "承認待ちの記録はありません。")
            + "承認待ちの内容は、入力する人（部署担当・承認者・管理者）だけが見られます。",
            icon=":material/lock:",
        )
        edit_session.end_run()
        return
    waiting = review_views.waiting_rows(snapshot)
    returned = [r for r in review_views.review_rows(snapshot) if r.submission.state == "returned"]
    st.html(
        html_blocks.paragraph(
            f"承認待ち {len(waiting)}件、差戻し中 {len(returned)}件。"
            "承認すると、画面・報告書・会議資料・オープンデータに反映されます。"
            + ("" if reviewer_id else "承認・差戻しは承認者・管理者が行います。"),
            meta=True,
        )
    )
    if not waiting:
        st.success("承認待ちの記録はありません。", icon=":material/task_alt:")
    groups = review_views.by_department(waiting)
    for department in review_views.department_order(snapshot, groups):
        _department(snapshot, department, groups[department], reviewer_id)
    if returned:
        st.html(html_blocks.heading(f"差し戻した記録（{len(returned)}件）", 3))
        for row in returned:
            st.html(_changes_html(row) + html_blocks.paragraph(review_views.returned_text(row)))
    edit_session.end_run()


if app.guard():
    show()
