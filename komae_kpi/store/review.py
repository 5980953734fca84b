"""Review before publication: submissions, approvals and returns.

indicator_values and item_statuses hold what is in force: the approved state that the pages, the
report, the deck, the open data and `status` read. Once users are registered, what people enter or
import waits in submissions as 提出済 (submitted) until an approver approves it (承認済: it is then
written into those tables) or returns it with a comment (差戻し). A new submission for the same
record replaces a waiting one (superseded). With no users registered, saves go into force at once
and no submission is kept (store/permissions.py).

Every submission, approval and return is logged in change_log (actions 'submit', 'approve',
'return'), with the person and, for approvals and returns, the approver's comment.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import duckdb

from komae_kpi.common.errors import PermissionDeniedError, ValidationError
from komae_kpi.common.user_text import multi_line, text_problem
from komae_kpi.plan.model import ItemStatus, Plan, key_names
from komae_kpi.store.connection import fetch_all, next_id
from komae_kpi.store.entry_rules import EntryRules
from komae_kpi.store.permissions import (
    DENIED,
    Actor,
    record_label,
    require_entry,
    require_reviewer,
)
from komae_kpi.store.record_changes import (
    RECORD_TYPES,
    ChangeBatch,
    Method,
    Record,
    RecordChange,
    RecordKey,
    apply_changes,
    entry_values,
    read_record,
    read_records,
    stage_refusal,
)
from komae_kpi.store.users import normalize_email

ReviewState = Literal["submitted", "approved", "returned", "superseded"]
STATE_LABELS: dict[ReviewState, str] = {
    "submitted": "提出済",
    "approved": "承認済",
    "returned": "差戻し",
    "superseded": "再提出により取下げ",
}
# Item statuses that need their 課題 and 今後の方向性 before they can be submitted.
NEEDS_EXPLANATION = ("遅れ", "見直し")
# How a record shown with its waiting submission is marked wherever it appears.
PENDING_MARK = "承認待ち"
STATE_FIELD = "review_state"


@dataclass(frozen=True, kw_only=True)
class Submission:
    submission_id: int
    key: RecordKey
    record: Record
    state: ReviewState
    method: Method
    file_name: str | None
    file_sha256: str | None
    submitted_at: dt.datetime
    submitted_by: str
    reviewed_at: dt.datetime | None = None
    reviewed_by: str | None = None
    review_comment: str | None = None

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


def _content(record: Record) -> str:
    return json.dumps(entry_values(record), ensure_ascii=False, sort_keys=True)


def _record(key: RecordKey, content: str) -> Record:
    record_type = RECORD_TYPES[key.kind]
    names = key_names(record_type)
    keys: dict[str, Any] = dict(zip(names, (key.subject_no, key.fiscal_year), strict=True))
    return record_type(**keys, **json.loads(content))


_COLUMNS = (
    "submission_id, record_kind, subject_no, fiscal_year, content, state, method, file_name,"
    " file_sha256, submitted_at, submitted_by, reviewed_at, reviewed_by, review_comment"
)


def read_submissions(
    con: duckdb.DuckDBPyConnection,
    *,
    states: Sequence[ReviewState] | None = None,
    ids: Sequence[int] | None = None,
) -> list[Submission]:
    """Submissions in the order they were made, optionally only these states or ids."""
    where: list[str] = []
    params: list[object] = []
    if states is not None:
        where.append(f"state IN ({', '.join('?' * len(states))})")
        params.extend(states)
    if ids is not None:
        where.append(f"submission_id IN ({', '.join('?' * len(ids))})" if ids else "false")
        params.extend(ids)
    sql = f"SELECT {_COLUMNS} FROM submissions" + (" WHERE " + " AND ".join(where) if where else "")
    found = []
    for row in fetch_all(con, sql + " ORDER BY submission_id", params):
        (sid, kind, subject, year, content, state, method, name, sha, at, by, r_at, r_by, note) = (
            row
        )
        key = RecordKey(kind=kind, subject_no=subject, fiscal_year=year)
        found.append(
            Submission(
                submission_id=sid,
                key=key,
                record=_record(key, content),
                state=state,
                method=method,
                file_name=name,
                file_sha256=sha,
                submitted_at=at,
                submitted_by=by,
                reviewed_at=r_at,
                reviewed_by=r_by,
                review_comment=note,
            )
        )
    return found


def _latest_open(con: duckdb.DuckDBPyConnection) -> dict[RecordKey, Submission]:
    """Per record, its latest submission while that still waits (submitted) or has been returned
    to its submitter and not yet replaced (returned)."""
    latest: dict[RecordKey, Submission] = {}
    for s in read_submissions(con, states=("submitted", "returned", "approved")):
        latest[s.key] = s  # in the order they were made
    return {k: s for k, s in latest.items() if s.state in ("submitted", "returned")}


def open_submissions(con: duckdb.DuckDBPyConnection) -> list[Submission]:
    """What waits for someone: every submitted record, and every returned one that nobody has
    submitted again since (its comment is for the submitter)."""
    return sorted(_latest_open(con).values(), key=lambda s: s.submission_id)


def waiting_records(con: duckdb.DuckDBPyConnection) -> dict[RecordKey, Record]:
    """The record each waiting submission would put in force."""
    return {s.key: s.record for s in read_submissions(con, states=("submitted",))}


def working_records(con: duckdb.DuckDBPyConnection) -> dict[RecordKey, Record]:
    """What a person editing records under review sees in the form and saves over: each record
    in force, replaced by its waiting submission, or by the returned one to be corrected."""
    return read_records(con) | {k: s.record for k, s in _latest_open(con).items()}


def records_to_edit(con: duckdb.DuckDBPyConnection, actor: Actor) -> dict[RecordKey, Record]:
    """The records a person's entries are compared with: under review the working records; for
    the single-user tool (no users) those in force (a submission left from when there were users
    is replaced by the next save)."""
    return read_records(con) if actor.single_user else working_records(con)


def record_to_edit(con: duckdb.DuckDBPyConnection, actor: Actor, key: RecordKey) -> Record | None:
    """One record as records_to_edit() gives it."""
    if not actor.single_user:
        found = _latest_open(con).get(key)
        if found is not None:
            return found.record
    return read_record(con, key)


def latest_findings(con: duckdb.DuckDBPyConnection) -> dict[RecordKey, str]:
    """The approver's comment (所見) on each actual in force, where its approval had one."""
    latest: dict[RecordKey, str | None] = {}
    for s in read_submissions(con, states=("approved",)):
        if s.key.kind == "indicator_value":
            latest[s.key] = s.review_comment
    return {key: comment for key, comment in latest.items() if comment}


def explanation_problem(record: Record) -> str | None:
    """Why an item status cannot be submitted as it is: 遅れ and 見直し need 課題 and 今後の方向性."""
    if not isinstance(record, ItemStatus) or record.status not in NEEDS_EXPLANATION:
        return None
    missing = [
        label
        for label, text in (("課題", record.issues), ("今後の方向性", record.next_steps))
        if not text
    ]
    if not missing:
        return None
    return (
        f"進捗状況「{record.status}」には課題と今後の方向性の記入が必要です"
        f"（未記入: {'・'.join(missing)}）。"
    )


def submit_changes(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    actor: Actor,
    changes: Sequence[RecordChange],
    *,
    method: Literal["form", "import"],
) -> list[int]:
    """Submit records for review, in the caller's transaction; or, for the single-user tool,
    put them in force at once. Refuses (PermissionDeniedError, naming every record) when any is
    outside the person's role or departments, and (ValidationError) when any changes a published
    figure or is an actual of a year not yet finished (store/entry_rules.py), or is of an earlier
    stage than the value in force (a 見込 after the 決算; an import leaves such rows out first).
    An actual carrying a published figure's value is that figure: it changes nothing.

    changes: each record as it is to be and as it was before (in force or waiting). Returns the
    new submissions' ids (none when they went into force at once).
    """
    require_entry(actor, plan, [c.key for c in changes])
    rules = EntryRules.read(con, plan)
    entered = [
        c if c.after is None else replace(c, after=rules.as_entered(c.after)) for c in changes
    ]
    real = [c for c in entered if c.action != "unchanged"]
    in_force = read_records(con)
    late = [refusal for c in real if (refusal := stage_refusal(plan, in_force.get(c.key), c.after))]
    refused = [refusal for c in real for refusal in rules.refusals(c.after)]
    if refused or late:
        raise ValidationError(refused + late)
    if not actor.approves_at_once:
        unexplained = [
            f"{record_label(plan, c.key)}: {problem}"
            for c in real
            if c.after is not None and (problem := explanation_problem(c.after))
        ]
        if unexplained:
            raise ValidationError(unexplained)
    if not real:
        return []
    log = ChangeBatch(con, user=actor.identity, method=method)
    _supersede(con, log, [c.key for c in real])
    if actor.approves_at_once:
        apply_changes(con, real, user=actor.identity, method=method, batch=log)
        log.write(con)
        return []
    submission_id = next_id(con, "submissions", "submission_id")
    ids = []
    for change in real:
        assert change.after is not None  # submissions never delete
        key = change.key
        con.execute(
            "INSERT INTO submissions (submission_id, record_kind, subject_no, fiscal_year, content,"
            " state, method, file_name, file_sha256, submitted_at, submitted_by)"
            " VALUES (?, ?, ?, ?, ?, 'submitted', ?, ?, ?, ?, ?)",
            [
                submission_id,
                key.kind,
                key.subject_no,
                key.fiscal_year,
                _content(change.after),
                method,
                change.file_name,
                change.file_sha256,
                log.now,
                actor.identity,
            ],
        )
        # Logged against what is in force, which is what the approval would change.
        against = RecordChange(
            key=key,
            before=in_force.get(key),
            after=change.after,
            file_name=change.file_name,
            file_sha256=change.file_sha256,
        )
        log.add_fields(against, action="submit", submission_id=submission_id)
        if not against.changed_fields():  # back to what is in force: still a submission
            log.add(
                key,
                action="submit",
                field=STATE_FIELD,
                new="submitted",
                submission_id=submission_id,
            )
        ids.append(submission_id)
        submission_id += 1
    log.write(con)
    return ids


def _supersede(con: duckdb.DuckDBPyConnection, log: ChangeBatch, keys: Sequence[RecordKey]) -> None:
    """A new entry for a record replaces its waiting submission: logged, so its submitter can
    see why it will not be approved."""
    wanted = set(keys)
    for waiting in read_submissions(con, states=("submitted",)):
        if waiting.key not in wanted:
            continue
        con.execute(
            "UPDATE submissions SET state = 'superseded' WHERE submission_id = ?",
            [waiting.submission_id],
        )
        log.add(
            waiting.key,
            action="supersede",
            field=STATE_FIELD,
            old="submitted",
            new="superseded",
            submission_id=waiting.submission_id,
        )


# Why a submission needs the approver's comment (所見) before it can be approved, or None.
FindingRule = Callable[[Submission], str | None]


def approval_problems(
    plan: Plan,
    actor: Actor,
    found: Mapping[int, Submission],
    ids: Sequence[int],
    comments: Mapping[int, str],
    needs_finding: FindingRule,
    *,
    in_force: Mapping[RecordKey, Record],
    rules: EntryRules,
    own_allowed: bool = False,
) -> list[str]:
    """Every reason these submissions cannot be approved by this person (empty when they can).

    in_force: the records in force now; a submission of an earlier stage than its record's (a 見込
    submitted before the 決算 was approved) cannot be approved: return it instead. Nor can one
    that changes a published figure, or an actual of a year not yet finished (rules: submitted
    before these rules were kept).
    """
    problems = []
    me = normalize_email(actor.identity)
    for sid in ids:
        submission = found.get(sid)
        if submission is None:
            problems.append(f"提出番号{sid}はありません。")
            continue
        label = f"提出番号{sid}（{record_label(plan, submission.key)}）"
        if submission.state == "returned":
            problems.append(
                f"{label}は差し戻されています。差し戻した記録は承認できません"
                "（提出者が直して提出し直すのを待ってください）。"
            )
        elif submission.state == "approved":
            problems.append(f"{label}は承認済みです。")
        elif submission.state == "superseded":
            problems.append(f"{label}は、その後に新しい内容が提出されたため承認できません。")
        elif not own_allowed and normalize_email(submission.submitted_by) == me:
            problems.append(
                f"{DENIED}{label}は{actor.identity}が提出したものです。"
                "自分の提出は承認できません（別の承認者に依頼してください）。"
            )
        elif refused := rules.refusals(submission.record):
            problems.extend(f"{label}: {refusal}差し戻してください。" for refusal in refused)
        elif late := stage_refusal(plan, in_force.get(submission.key), submission.record):
            problems.append(f"{label}: {late}差し戻してください。")
        else:
            reason = needs_finding(submission)
            if reason and not (comments.get(sid) or "").strip():
                problems.append(f"{label}: {reason}")
        comment = text_problem(comments.get(sid), multi_line(f"提出番号{sid}の所見（コメント）"))
        if comment:
            problems.append(comment)
    return problems


def approve_submissions(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    actor: Actor,
    ids: Sequence[int],
    *,
    comments: Mapping[int, str] | None = None,
    needs_finding: FindingRule,
    own_allowed: bool = False,
) -> int:
    """Approve these submissions in the caller's transaction: each goes into force, logged with
    the approver and their comment. Every problem is listed at once and nothing is written.
    own_allowed: the approver imports and approves a file in one step (`import --approve`).
    """
    require_reviewer(actor)
    comments = comments or {}
    unique = list(dict.fromkeys(ids))
    found = {s.submission_id: s for s in read_submissions(con, ids=unique)}
    in_force = read_records(con)
    rules = EntryRules.read(con, plan)
    problems = approval_problems(
        plan,
        actor,
        found,
        unique,
        comments,
        needs_finding,
        in_force=in_force,
        rules=rules,
        own_allowed=own_allowed,
    )
    if problems:
        raise (
            PermissionDeniedError
            if all(p.startswith(DENIED) for p in problems)
            else ValidationError
        )(problems)
    log = ChangeBatch(con, user=actor.identity, method="review")
    for sid in unique:
        submission = found[sid]
        _decide(con, log, submission, "approved", (comments.get(sid) or "").strip() or None)
        change = RecordChange(
            key=submission.key,
            before=in_force.get(submission.key),
            after=rules.as_entered(submission.record),
            file_name=submission.file_name,
            file_sha256=submission.file_sha256,
        )
        apply_changes(
            con, [change], user=actor.identity, method="review", batch=log, submission_ids=[sid]
        )
    log.write(con)
    return len(unique)


def return_submission(
    con: duckdb.DuckDBPyConnection, plan: Plan, actor: Actor, submission_id: int, comment: str
) -> Submission:
    """Return a submitted record to its submitter with a comment, in the caller's transaction."""
    require_reviewer(actor)
    found = read_submissions(con, ids=[submission_id])
    problems = []
    if not found:
        problems.append(f"提出番号{submission_id}はありません。")
    elif found[0].state != "submitted":
        label = f"提出番号{submission_id}（{record_label(plan, found[0].key)}）"
        problems.append(f"{label}は{found[0].state_label}のため、差し戻せません。")
    if not comment.strip():
        problems.append("差し戻す理由（コメント）を記入してください。")
    elif problem := text_problem(comment, multi_line("差し戻す理由（コメント）")):
        problems.append(problem)
    if problems:
        raise ValidationError(problems)
    submission = found[0]
    log = ChangeBatch(con, user=actor.identity, method="review")
    _decide(con, log, submission, "returned", comment.strip())
    log.write(con)
    return submission


def _decide(
    con: duckdb.DuckDBPyConnection,
    log: ChangeBatch,
    submission: Submission,
    state: Literal["approved", "returned"],
    comment: str | None,
) -> None:
    """Record an approver's decision on a submission, and log it with their comment."""
    con.execute(
        "UPDATE submissions SET state = ?, reviewed_at = ?, reviewed_by = ?,"
        " review_comment = ? WHERE submission_id = ?",
        [state, log.now, log.user, comment, submission.submission_id],
    )
    log.add(
        submission.key,
        action="approve" if state == "approved" else "return",
        field=STATE_FIELD,
        old="submitted",
        new=state,
        submission_id=submission.submission_id,
        comment=comment,
    )
