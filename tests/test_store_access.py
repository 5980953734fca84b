"""The pages' cached access to the store (komae_kpi_ui/store_access.py): a page loaded on a store
that has just changed reads it once, whatever figures it draws."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from komae_kpi.common.paths import DB_ENV_VAR, PROJECT_ROOT
from komae_kpi.judgement import peer_context, progress
from komae_kpi.store.demo import write_demo_store
from komae_kpi_ui import store_access

DASHBOARD = str(PROJECT_ROOT / "dashboard.py")

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("store-access") / "demo.duckdb"
    write_demo_store(db)
    return db


@pytest.mark.parametrize(
    ("page", "reads"),
    [
        ("overview", [(False, False)]),
        ("indicators", [(False, False)]),
        # the cards and the default part (the history and the reference series)
        ("finance", [(False, False)]),
        ("items", [(False, False)]),
        ("departments", [(False, False)]),
        # the forms show what waits or was returned (the same as approved without users)
        ("updates", [(False, False), (False, True)]),
    ],
)
def test_a_cold_page_reads_the_store_once_for_each_state_it_shows(
    page: str, reads: list[tuple[bool, bool]], demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Streamlit keys its cache on the arguments as passed: a figure that asked for the snapshot
    with a default left out was a second key, and a cold /finance read the whole store 3 times."""
    monkeypatch.setenv(DB_ENV_VAR, str(demo))
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.query_params["fy"] = "2025"
    at.run()
    if page != "overview":
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception
    loaded: list[tuple[bool, bool]] = []
    original = progress.load_snapshot

    def counting(path: Path, *, include_pending: bool, editing: bool) -> Any:
        loaded.append((include_pending, editing))
        return original(path, include_pending=include_pending, editing=editing)

    monkeypatch.setattr(store_access, "load_snapshot", counting)
    st.cache_data.clear()
    st.cache_resource.clear()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert sorted(loaded) == reads


@pytest.mark.parametrize(("view", "reads"), [(None, 0), ("outlook", 0), ("peers", 1)])
def test_finance_reads_the_peers_only_for_its_peers_part(
    view: str | None, reads: int, demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The link to the peers part names the group from the plan's data: a cold load of any other
    part does not read the ministry's tables for it."""
    monkeypatch.setenv(DB_ENV_VAR, str(demo))
    loaded: list[Path] = []
    original = peer_context.load_peer_context

    def counting(path: Path) -> Any:
        loaded.append(path)
        return original(path)

    monkeypatch.setattr(store_access, "load_peer_context", counting)
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.query_params["fy"] = "2025"
    if view is not None:
        at.query_params["view"] = view
    at.run()
    at.switch_page("pages/finance.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "多摩26市・全国との比較" in "".join(h.value for h in at.html)  # the link is there
    assert len(loaded) == reads
