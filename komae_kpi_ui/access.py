"""What the person of this run may do on a page: forms, uploads and review actions are drawn only
for those the core would accept (store/permissions.py enforces the same rules on every write)."""

from __future__ import annotations

import streamlit as st

from komae_kpi.common.errors import PermissionDeniedError
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.plan.model import Plan
from komae_kpi.store.permissions import Actor, entry_refusal, require_scenario_entry
from komae_kpi.store.record_changes import RecordKey
from komae_kpi_ui import identity

# The choice is kept under a key of its own: a widget's state is dropped when a page is left, and
# the choice must follow the person from page to page.
_INCLUDE_PENDING_KEY = "include_pending"
_TOGGLE_KEY = "include_pending_toggle"


def actor(snapshot: Snapshot) -> Actor | None:
    """The person as the core will see them, or None when they may change nothing here (a
    request from elsewhere without sign-in, a viewer, someone not registered)."""
    visitor = identity.visitor()
    if visitor.read_only:
        return None
    if not snapshot.reviewing:
        return Actor(identity=visitor.identity, user=None)
    if visitor.user is None:
        return None
    return Actor(identity=visitor.identity, user=visitor.user)


def why_read_only(snapshot: Snapshot) -> str:
    """Why this person cannot enter anything (for a page that would show forms)."""
    visitor = identity.visitor()
    if visitor.read_only_reason:
        return visitor.read_only_reason
    if visitor.user is not None and visitor.user.role == "viewer":
        return f"{visitor.identity} は閲覧の利用者のため、入力・取込・承認はできません。"
    return (
        f"{visitor.identity or 'この利用者'} は利用者として登録されていないため、入力・取込はできません"
        "（管理者に `python -m komae_kpi users add` での登録を依頼してください）。"
    )


def may_enter(actor: Actor | None, plan: Plan, key: RecordKey) -> bool:
    return actor is not None and entry_refusal(actor, plan, key) is None


def may_enter_scenarios(snapshot: Snapshot) -> bool:
    """Whether this person may import and remove 財政見通し: the core's rule (whoever may enter
    the actuals of the indicators a scenario touches), asked for the balance indicators."""
    found = actor(snapshot)
    if found is None:
        return False
    balances = sorted({f.indicator_no for f in snapshot.plan.stock_flows})
    try:
        require_scenario_entry(found, snapshot.plan, balances)
    except PermissionDeniedError:
        return False
    return True


def may_record_meetings(snapshot: Snapshot) -> bool:
    """Whether this person may record and remove 推進本部 meetings (approvers and administrators;
    anyone before users are registered)."""
    found = actor(snapshot)
    return found is not None and found.may_record_meetings


def may_review(snapshot: Snapshot) -> bool:
    found = actor(snapshot)
    return snapshot.reviewing and found is not None and found.may_review


def may_include_pending(snapshot: Snapshot) -> bool:
    """Editors and approvers may switch the pages to include records waiting for approval."""
    found = actor(snapshot)
    return snapshot.reviewing and found is not None and found.may_enter


def include_pending() -> bool:
    """Whether this session chose to see records waiting for approval (the header's toggle)."""
    return bool(st.session_state.get(_INCLUDE_PENDING_KEY, False))


def pending_toggle(snapshot: Snapshot) -> None:
    """The header's switch 「承認待ちを含めて表示」, for those who may use it when anything waits."""
    if not may_include_pending(snapshot) or (not snapshot.waiting and not include_pending()):
        return

    def keep() -> None:
        st.session_state[_INCLUDE_PENDING_KEY] = st.session_state[_TOGGLE_KEY]

    st.toggle(
        f"承認待ち（{len(snapshot.waiting)}件）を含めて表示",
        value=include_pending(),
        key=_TOGGLE_KEY,
        on_change=keep,
        help="入力・取込されて、まだ承認されていない記録を、承認済みの記録の代わりに表示します。"
        "該当する値には［承認待ち］と表示します。",
    )
