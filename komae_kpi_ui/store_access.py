"""Cached access to the store for the pages. The only place with st.cache_data / st.cache_resource."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

from komae_kpi.common.errors import KomaeKpiError
from komae_kpi.common.paths import PROJECT_ROOT, resolve_db_path
from komae_kpi.judgement.meeting_changes import MeetingChanges, changes_since
from komae_kpi.judgement.peer_context import PeerContext, load_peer_context, series
from komae_kpi.judgement.progress import Snapshot, load_snapshot
from komae_kpi.plan.peer_group import PeerGroup, load_peer_group
from komae_kpi.store import meetings
from komae_kpi.store.meetings import Meeting
from komae_kpi.views import charts, finance_outlook, indicator_views, peer_views
from komae_kpi.views.finance_outlook import OutlookSection


def store_path() -> Path:
    # Read on every run, not at import: tests point KOMAE_KPI_DB at their own stores.
    return resolve_db_path()


@st.cache_resource(show_spinner="データベースを準備しています…")
def _build_store(path_text: str) -> None:
    """Create the embedded default store on first start (a fresh clone has none).

    Runs `init` in a child process: DuckDB refuses a second configuration (read-write here,
    read-only for the pages) within one process, so the writer must be another process.
    """
    result = subprocess.run(
        [sys.executable, "-m", "komae_kpi", "init", "--db", path_text],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        # The command line names the store's path and the engine's words for a fault; a page
        # shows neither.
        lines = [
            line
            for line in result.stderr.strip().splitlines()
            if not line.startswith(("ストア: ", "詳細: "))
        ]
        raise KomaeKpiError(
            _without_server_paths("\n".join(lines), Path(path_text))
            or "ストアを作成できませんでした。"
        )


def public_message(exc: Exception) -> str:
    """An error's message as a page may show it: the store's place on the server is named by
    its file name only (the store's own messages name no path; older ones still do)."""
    return _without_server_paths(str(exc), store_path())


def _without_server_paths(text: str, path: Path) -> str:
    return text.replace(str(path), path.name).replace(str(path.parent), "（サーバのフォルダ）")


def ensure_store() -> Path:
    path = store_path()
    if not path.exists():
        _build_store(str(path))
    return path


# The store's version as version_token() gives it: (mtime, size, the write-ahead log's mtime).
StoreVersion = tuple[int, int, int]


def version_token(path: Path) -> StoreVersion:
    """Changes whenever the store is written (the file or its write-ahead log)."""
    stat = path.stat()
    wal = path.with_name(path.name + ".wal")
    wal_mtime = wal.stat().st_mtime_ns if wal.exists() else 0
    return stat.st_mtime_ns, stat.st_size, wal_mtime


# cache_resource, not cache_data: a page asks for the snapshot several times a run, and cache_data
# unpickled a copy each time (~1-2 ms each on the demo store); a Snapshot is frozen and no page
# changes it, so every session shares the one object.
@st.cache_resource(show_spinner=False, max_entries=8)
def _snapshot(
    path_text: str, version: tuple[int, int, int], include_pending: bool, editing: bool
) -> Snapshot:
    # Every argument is always given: Streamlit keys the cache on the arguments as passed, so a
    # call leaving a default out was a second key, and a cold page read the store up to 3 times.
    return load_snapshot(Path(path_text), include_pending=include_pending, editing=editing)


def _shown(path_text: str, version: tuple[int, int, int], showing_pending: bool) -> Snapshot:
    """What the pages and their figures show (see snapshot())."""
    return _snapshot(path_text, version, showing_pending, False)


def approved_snapshot() -> Snapshot:
    """The store as everyone reads it (what is approved); cached until the file changes, so
    imports show on the next load."""
    path = ensure_store()
    return _shown(str(path), version_token(path), False)


def working_snapshot() -> Snapshot:
    """The store as entry forms show it and save over: under review, each record replaced by its
    waiting submission, or by the returned one its submitter is to correct."""
    path = ensure_store()
    return _snapshot(str(path), version_token(path), False, True)


def snapshot() -> Snapshot:
    """What the pages show: the approved state, or, for an editor or approver who switched the
    header's toggle on, the records waiting for approval in their place (marked 承認待ち). A
    returned record is not waiting: it shows in its submitter's form (working_snapshot), not here."""
    path = ensure_store()
    return _shown(str(path), version_token(path), _showing_pending())


def _showing_pending() -> bool:
    from komae_kpi_ui import access  # access reads the visitor, which reads the store's users

    return access.include_pending() and access.may_include_pending(approved_snapshot())


@st.cache_resource(show_spinner=False, max_entries=64)
def _indicator_figure(
    path_text: str,
    version: tuple[int, int, int],
    include_pending: bool,
    indicator_no: int,
    fiscal_year: int,
    since: int | None,
    height: int,
    compact: bool,
) -> go.Figure:
    # cache_resource, not cache_data: the same figure object is handed out without a pickled copy
    # (building one costs ~7 ms, unpickling about as much); pages never modify figures.
    snapshot = _shown(path_text, version, include_pending)
    return charts.indicator_figure(
        snapshot.plan.indicator(indicator_no),
        snapshot.actuals(indicator_no),
        indicator_views.assessment_for(snapshot, indicator_no, fiscal_year),
        stages=snapshot.stages(indicator_no),
        since=since,
        height=height,
        compact=compact,
    )


def indicator_figure(
    indicator_no: int,
    fiscal_year: int,
    *,
    since: int | None = None,
    height: int = 460,
    compact: bool = False,
) -> go.Figure:
    """The indicator's chart, built once per store version."""
    path = ensure_store()
    return _indicator_figure(
        str(path),
        version_token(path),
        _showing_pending(),
        indicator_no,
        fiscal_year,
        since,
        height,
        compact,
    )


@st.cache_resource(show_spinner=False, max_entries=8)
def _reference_figure(path_text: str, version: tuple[int, int, int]) -> go.Figure:
    snapshot = _shown(path_text, version, False)
    return charts.reference_figure(snapshot.reference_series, snapshot.reference_values)


def reference_figure() -> go.Figure:
    path = ensure_store()
    return _reference_figure(str(path), version_token(path))


@st.cache_resource(show_spinner=False, max_entries=16)
def _outlook(
    path_text: str,
    version: tuple[int, int, int],
    showing_pending: bool,
    fiscal_year: int,
    chosen: tuple[str, ...],
    unknown: tuple[str, ...],
) -> tuple[OutlookSection, tuple[go.Figure, ...]]:
    # Built on every load of /finance, the section and its two charts took ~70 ms of the page's
    # script run (plotly validating each property as it is set).
    snapshot = _shown(path_text, version, showing_pending)
    section = finance_outlook.outlook_section(snapshot, fiscal_year, chosen, unknown=unknown)
    return section, tuple(panel.figure() for panel in section.panels)


def outlook(
    fiscal_year: int, chosen: list[str], unknown: list[str]
) -> tuple[OutlookSection, tuple[go.Figure, ...]]:
    """The 財政見通し section for the chosen scenarios and a chart per panel, built once per store
    version and choice, from the same state as snapshot()."""
    path = ensure_store()
    return _outlook(
        str(path),
        version_token(path),
        _showing_pending(),
        fiscal_year,
        tuple(chosen),
        tuple(unknown),
    )


def user_name() -> str:
    """Who is making a change, as the change log records it: the signed-in address when sign-in is
    configured, else the OS user (komae_kpi_ui.identity.visitor().identity)."""
    from komae_kpi_ui import identity  # imported here: identity reads the store through this module

    return identity.visitor().identity


@st.cache_resource(show_spinner=False, max_entries=4)  # frozen, shared: as _snapshot
def _peer_context(path_text: str, version: tuple[int, int, int]) -> PeerContext:
    return load_peer_context(Path(path_text))


@st.cache_resource(show_spinner=False)
def peer_group() -> PeerGroup:
    """The group the city is compared with (plan data, not the store): named on /finance's link
    to its peers part, which would otherwise read the peers on every cold load of any part."""
    return load_peer_group()


def peer_context() -> PeerContext:
    """The city among the 多摩26市 and the averages, read once per store version."""
    path = ensure_store()
    return _peer_context(str(path), version_token(path))


@st.cache_resource(show_spinner=False, max_entries=32)
def _peer_figure(path_text: str, version: tuple[int, int, int], indicator: str) -> go.Figure:
    context = _peer_context(path_text, version)
    plan = _shown(path_text, version, False).plan
    return peer_views.peer_figure(
        series(context, indicator),
        group_name=context.group.name,
        target=peer_views.plan_indicator_for(indicator, plan.indicators),
    )


def peer_figure(indicator: str) -> go.Figure:
    """One ratio of the city against its group and the averages, built once per store version."""
    path = ensure_store()
    return _peer_figure(str(path), version_token(path), indicator)


@st.cache_data(show_spinner=False, max_entries=8)
def _meetings(path_text: str, version: StoreVersion) -> list[Meeting]:
    return meetings.list_meetings(Path(path_text))


def recorded_meetings() -> list[Meeting]:
    """The 推進本部 meetings recorded in the store, earliest held first; cached per store version."""
    path = ensure_store()
    return _meetings(str(path), version_token(path))


@st.cache_data(show_spinner=False, max_entries=8)
def _meeting_names(path_text: str, version: StoreVersion) -> list[str]:
    return meetings.meeting_names(Path(path_text))


def meeting_names() -> list[str]:
    """The recorded meetings' names, the earliest held first; cached per store version (the
    overview needs no more to offer them)."""
    path = ensure_store()
    return _meeting_names(str(path), version_token(path))


@st.cache_data(show_spinner=False, max_entries=16)
def _changes(path_text: str, version: StoreVersion, name: str, fiscal_year: int) -> MeetingChanges:
    meeting = meetings.load_meeting(Path(path_text), name)
    return changes_since(meeting, _shown(path_text, version, False), fiscal_year)


def changes_since_meeting(name: str, fiscal_year: int) -> MeetingChanges:
    """What changed since the named meeting, in the approved state, for the year; cached per
    store version."""
    path = ensure_store()
    return _changes(str(path), version_token(path), name, fiscal_year)
