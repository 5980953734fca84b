"""The slow outputs (report, deck) a person made on /reports, kept in their session for download
until the store changes. Only this module knows the session-state key it uses.

A made file is kept per output (its kind and file name, which names the year) with the store
version it was made from; once the store is written, it is no longer offered, since it would
not show the store as it is.
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
    data: bytes


def _state() -> dict[tuple[OutputKind, str], _Made]:
    state: dict[tuple[OutputKind, str], _Made] | None = st.session_state.get(_STATE_KEY)
    if state is None:
        state = {}
        st.session_state[_STATE_KEY] = state
    return state


def keep(output: Output, version: StoreVersion, data: bytes) -> None:
    """Keep what was made for output from the store at version (replacing what was kept)."""
    _state()[(output.kind, output.file_name)] = _Made(version=version, data=data)


def made(output: Output, version: StoreVersion) -> bytes | None:
    """The file kept for output if it was made from the store at version; None when none was made
    or the store has changed since."""
    found = _state().get((output.kind, output.file_name))
    return found.data if found is not None and found.version == version else None
