"""Shared fixtures: stores built by the tests themselves in tmp_path, and the real data in ../shared."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from komae_kpi.common.paths import DB_ENV_VAR, PROJECT_ROOT
from komae_kpi.store.connection import init_store

SHARED_DIR = PROJECT_ROOT.parent / "shared"
PLAN_TEXT = SHARED_DIR / "plan" / "000_cde0dcee2913256b.txt"
FISCAL_HISTORY = SHARED_DIR / "data" / "komae_fiscal_history.csv"


def shared_file(path: Path) -> Path:
    """A file of ../shared: required in CI (which lays shared/ beside the clone), else skipped."""
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI must have ../shared beside the clone")
        pytest.skip(f"{path} not present on this machine")
    return path


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A freshly initialised city store."""
    path = tmp_path / "kpi.duckdb"
    init_store(path)
    return path


@pytest.fixture(autouse=True)
def _no_ambient_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A test must never fall back to the developer's own data/komae_kpi.duckdb.
    monkeypatch.delenv(DB_ENV_VAR, raising=False)
    yield


@pytest.fixture
def fresh_streamlit_caches() -> Iterator[None]:
    """Streamlit's caches live in the process: clear them around an AppTest (STYLE.md pitfall)."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
