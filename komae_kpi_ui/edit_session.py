"""Editing records on a page: the concurrent-edit protocol, the one form skeleton that follows it,
and the session state they keep. Only this module knows the session-state key it uses.

Every save passes the record as the form showed it (`expected`), so a save over someone else's
change is refused (ConcurrentEditError) and both versions are shown side by side, with a button
to overwrite and one to keep the other person's change. A form left untouched follows the store
instead: when its record changes (an import, another person), it shows the new record.

What a session keeps, per record: the record as its form showed it (read once, kept until saved,
discarded or followed), a generation that is part of the form's key (a new one empties what was
typed), and a refused save. Besides: messages left for the run after st.rerun(), and for file
imports the preview the person saw and the upload widgets' generation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import streamlit as st

from komae_kpi.common.errors import ConcurrentEditError, KomaeKpiError, ValidationError
from komae_kpi.imports.importer import ImportPreview, ImportSource
from komae_kpi.judgement.progress import Snapshot
from komae_kpi.plan.model import IndicatorValue, ItemStatus
from komae_kpi.store.entries import SaveOptions
from komae_kpi.store.record_changes import Record, RecordKey
from komae_kpi.views import entry_views, html_blocks
from komae_kpi_ui import plain_text, store_access

R = TypeVar("R", IndicatorValue, ItemStatus)  # the kind of record a form edits
V = TypeVar("V")  # what a form's inputs hold when it is submitted

WAIT_SECONDS = 10.0  # how long a save waits for another process (an import) to finish
_STATE_KEY = "edit_session"
# Which files (name, hash of the content) were previewed, with which sheet name.
_PreviewKey = tuple[tuple[tuple[str, int], ...], str]


@dataclass(kw_only=True)
class _State:
    shown: dict[RecordKey, Record | None] = field(default_factory=dict)
    generations: dict[RecordKey, int] = field(default_factory=dict)
    conflicts: dict[RecordKey, ConcurrentEditError] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    upload_generation: int = 0
    preview: tuple[_PreviewKey, ImportPreview] | None = None


def _state() -> _State:
    state: _State | None = st.session_state.get(_STATE_KEY)
    if state is None:
        state = _State()
        st.session_state[_STATE_KEY] = state
    return state


# --- messages and errors ------------------------------------------------------------------------


def leave_message(text: str) -> None:
    """A message for the next run: a save ends with st.rerun(), which would drop one shown now."""
    _state().messages.append(text)


def show_messages() -> None:
    """Show the messages left by earlier runs; end_run() drops them.

    They are dropped only when a run completes: a run cut short by st.rerun() would otherwise
    take a message with it unseen.
    """
    for text in _state().messages:
        st.success(plain_text.literal(text), icon=":material/check_circle:")


def end_run() -> None:
    """The page has run to its end: the messages it showed are done with."""
    _state().messages.clear()


def show_error(exc: KomaeKpiError, *, action: str = "保存") -> None:
    if isinstance(exc, ValidationError):
        st.error(f"{action}できません（問題が{len(exc.problems)}件）。何も書き込んでいません。")
        st.html(entry_views.problems_html(exc.problems))
    else:
        # Messages quote paths and file names: shown literally, never as Markdown.
        st.error(plain_text.literal(str(exc)))


def write_then_say(write: Callable[[], str], *, action: str) -> None:
    """Write, then say what was done on the next run (st.rerun shows the page as the store now
    is); a refusal is shown now, with nothing written."""
    try:
        done = write()
    except KomaeKpiError as exc:  # in the store's own words; its place on the server by name only
        st.error(
            plain_text.literal(
                f"{action}できません（何も書き込んでいません）。\n{store_access.public_message(exc)}"
            )
        )
        return
    leave_message(done)
    st.rerun()


def confirmed_removal(
    subject: str, warning: str, *, keys: tuple[str, str], remove: Callable[[], str]
) -> None:
    """A checkbox 「subject を削除する」, then the warning and a 削除する button that removes.
    keys: the checkbox's and the button's, named after what they remove, so that a list changed
    meanwhile can never point a confirmation at another entry."""
    confirm_key, button_key = keys
    if not st.checkbox(f"{subject}を削除する", key=confirm_key):
        return
    st.warning(warning, icon=":material/delete:")
    if st.button("削除する", type="primary", key=button_key):
        write_then_say(remove, action="削除")


# --- one record's form --------------------------------------------------------------------------


def record_form(
    snapshot: Snapshot,
    key: RecordKey,
    current: R | None,
    *,
    record_type: type[R],
    name: str,
    inputs: Callable[[R | None], V],
    save: Callable[[V, SaveOptions[R]], bool],
    notes: str = "",
) -> None:
    """One record's form with its caption and 保存する button, and a refused save if there is one.

    What differs between the forms comes in: current is the record in the store now (None: none
    yet) and record_type its class; name starts the form's key ("actual" gives "actual-3-2025-0").
    inputs draws the fields for the record as shown and returns what they hold; save writes that
    (passing the SaveOptions on to the store: who saves, the record as the form showed it, how
    long to wait for an import), says whether anything changed, and raises ValidationError for
    what cannot be saved. notes is HTML shown under the record's caption.
    """
    state = _state()
    if key not in state.shown:
        state.shown[key] = current
    shown = _typed(record_type, state.shown[key])
    st.html(entry_views.record_caption_html(snapshot, key, shown) + notes)
    generation = state.generations.get(key, 0)
    with st.form(f"{name}-{key.subject_no}-{key.fiscal_year}-{generation}"):
        entered = inputs(shown)
        submitted = st.form_submit_button(
            "保存して提出する" if snapshot.reviewing else "保存する", type="primary"
        )

    def write(expected: R | None) -> bool:
        return save(
            entered,
            SaveOptions(
                user=store_access.user_name(), expected=expected, wait_seconds=WAIT_SECONDS
            ),
        )

    if submitted:
        _save(key, write, shown, reviewing=snapshot.reviewing)
    _follow_the_store(key, shown, current, submitted)
    _show_conflict(snapshot, key, record_type, write)


def _typed(record_type: type[R], record: object) -> R | None:
    """A record kept in the session or carried by ConcurrentEditError (typed object there, since
    errors sit below the plan model) as the form's kind of record."""
    return record if isinstance(record, record_type) else None


def _reset(key: RecordKey) -> None:
    """Forget the shown record and the typed values: the form reads the store afresh."""
    state = _state()
    state.shown.pop(key, None)
    state.conflicts.pop(key, None)
    state.generations[key] = state.generations.get(key, 0) + 1


def _save(
    key: RecordKey,
    write: Callable[[R | None], bool],
    expected: R | None,
    *,
    reviewing: bool = False,
) -> None:
    try:
        changed = write(expected)
    except ConcurrentEditError as exc:
        _state().conflicts[key] = exc
        return
    except KomaeKpiError as exc:
        show_error(exc)
        return
    _reset(key)
    if not changed:
        leave_message("内容が同じため、変更はありませんでした。")
    elif reviewing:
        leave_message(
            "保存して提出しました（承認待ち）。承認されると、画面・報告書に反映されます。"
        )
    else:
        leave_message("保存しました。")
    st.rerun()


def _follow_the_store(key: RecordKey, shown: R | None, current: R | None, submitted: bool) -> None:
    """When the record changed in the store (an import, another person) while this form sat
    untouched, show the new record instead of keeping the old one: otherwise the caption would
    be wrong and the next save would be refused as a conflict with the person's own import.
    A submitted form keeps what it showed, so that a real conflict is still caught."""
    pending = key in _state().conflicts
    if submitted or pending or shown == current:
        return
    _reset(key)
    leave_message(
        "この記録は、画面を開いた後で更新されました（ファイル取込または別の人の入力）。最新の内容を表示しています。"
    )
    st.rerun()


def _show_conflict(
    snapshot: Snapshot, key: RecordKey, record_type: type[R], write: Callable[[R | None], bool]
) -> None:
    exc = _state().conflicts.get(key)
    if exc is None:
        return
    theirs, yours = _typed(record_type, exc.current), _typed(record_type, exc.yours)
    st.warning(str(exc), icon=":material/sync_problem:")
    if yours is not None:  # always: the store refuses the record it was asked to save
        st.html(
            html_blocks.table(
                entry_views.conflict_table(snapshot.plan, theirs, yours),
                label="別の人の変更とあなたの入力",
                nowrap=("項目",),
            )
        )
    c1, c2 = st.columns(2)
    if c1.button("あなたの入力で上書きする", key=f"overwrite-{key}"):
        _save(key, write, theirs, reviewing=snapshot.reviewing)
    if c2.button("別の人の変更を残す（入力を破棄）", key=f"discard-{key}"):
        _reset(key)
        st.rerun()


# --- file imports -------------------------------------------------------------------------------


def upload_key(name: str) -> str:
    """The key of an upload widget; after renew_uploads() the widgets start empty."""
    return f"{name}-{_state().upload_generation}"


def renew_uploads() -> None:
    _state().upload_generation += 1


def previous_preview(
    sources: Sequence[ImportSource], sheet: str, preview: ImportPreview
) -> ImportPreview | None:
    """The preview of the same files that this person saw in the previous run, if any: what the
    import button confirms. Keeps `preview` as the one seen in this run."""
    state = _state()
    key = (tuple((s.name, hash(s.data)) for s in sources), sheet)
    seen = state.preview[1] if state.preview is not None and state.preview[0] == key else None
    state.preview = (key, preview)
    return seen
