"""AppTest: the dashboard runs on a fresh store and on an existing one, and shows the plan."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from komae_kpi.paths import DB_ENV_VAR, PROJECT_ROOT
from komae_kpi.store import init_store

DASHBOARD = str(PROJECT_ROOT / "dashboard.py")  # absolute: AppTest resolves relative paths oddly


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def run_app(monkeypatch: pytest.MonkeyPatch, db: Path) -> AppTest:
    monkeypatch.setenv(DB_ENV_VAR, str(db))
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_fresh_clone_builds_its_store_and_shows_the_plan(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = tmp_path / "first-start.duckdb"
    at = run_app(monkeypatch, db)
    assert db.exists()
    assert at.title[0].value == "計画の体系"
    assert "62項目（うち再掲1）" in at.caption[0].value
    table = at.dataframe[0].value
    assert len(table) == 8
    assert list(table["目標値（令和11年度末）"])[2] == "90.0%以下"
    texts = [t.value for t in at.text]
    assert any(t.startswith("取組項目60 デジタル人財の育成(再掲)") for t in texts)
    assert any("関係各課（総称）" in t for t in texts)
    assert sum(1 for t in texts if t.startswith("取組項目")) == 62
    criteria = [t for t in texts if "判定基準:" in t]
    assert len(criteria) == 8
    assert "90.0%以下" in criteria[2] and "1.0ポイント" in criteria[2]


def test_a_demo_store_shows_the_demo_banner(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = tmp_path / "demo.duckdb"
    init_store(db, kind="demo")
    at = run_app(monkeypatch, db)
    assert any("デモデータ" in w.value for w in at.warning)


def test_the_citys_store_has_no_demo_banner(monkeypatch: pytest.MonkeyPatch, store: Path) -> None:
    at = run_app(monkeypatch, store)
    assert not any("デモデータ" in w.value for w in at.warning)


def test_an_unreadable_store_is_explained_not_crashed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = tmp_path / "garbage.duckdb"
    db.write_bytes(b"this is not a database" * 100)
    at = run_app(monkeypatch, db)
    assert any("データベースを開けませんでした" in e.value for e in at.error)
