"""The slow outputs (report, deck) a person made on /reports, kept in their session for download
until the store changes. Only this module knows the session-state key it uses.

A made file is kept per output (its kind and file name, which names the year) with the store
version it was made from and the meeting whose changes it opens with; once the store is written,
or another meeting is chosen, it is no longer offered, since it would not show what was asked.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from komae_kpi.outputs.report_views import Output, OutputKind
from komae_kpi_ui.store_access import StoreVersion

_STATE_KEY = "made_outputs"


@dataclass(frozen=True, kw_only=True)
class _Made:
    version: StoreVersion
    since: str | None
    data: bytes


def _state() -> dict[tuple[OutputKind, str], _Made]:
    state: dict[tuple[OutputKind, str], _Made] | None = st.session_state.get(_STATE_KEY)
    if state is None:
        state = {}
        st.session_state[_STATE_KEY] = state
    return state


def keep(output: Output, version: StoreVersion, data: bytes, *, since: str | None = None) -> None:
    """Keep what was made for output from the store at version, with the changes since the
    meeting so named (replacing what was kept)."""
    _state()[(output.kind, output.file_name)] = _Made(version=version, since=since, data=data)


def made(output: Output, version: StoreVersion, *, since: str | None = None) -> bytes | None:
    """The file kept for output if it was made from the store at version with the changes since
    that meeting; None when none was made, the store has changed or another meeting is chosen."""
    found = _state().get((output.kind, output.file_name))
    if found is None or found.version != version or found.since != since:
        return None
    return found.data
