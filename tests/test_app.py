"""AppTest: every page runs on a fresh store, a demo store and a store with entered data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from komae_kpi.demo import write_demo_store
from komae_kpi.entries import save_indicator_value, save_item_status
from komae_kpi.paths import DB_ENV_VAR, PROJECT_ROOT
from komae_kpi.progress import load_snapshot, status_records
from komae_kpi_ui.tables import escape_markdown

DASHBOARD = str(PROJECT_ROOT / "dashboard.py")  # absolute: AppTest resolves relative paths oddly
PAGES = {
    "overview": "pages/overview.py",
    "indicators": "pages/indicators.py",
    "finance": "pages/finance.py",
    "items": "pages/items.py",
    "departments": "pages/departments.py",
}
TITLES = {
    "overview": "全体概況",
    "indicators": "指標",
    "finance": "財政指標",
    "items": "取組項目",
    "departments": "部署別",
}


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def open_page(
    monkeypatch: pytest.MonkeyPatch, db: Path, page: str = "overview", **query: str
) -> AppTest:
    monkeypatch.setenv(DB_ENV_VAR, str(db))
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.query_params.update(query)
    at.run()
    if page != "overview":
        at.switch_page(PAGES[page]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == TITLES[page]
    return at


@pytest.fixture
def entered(store: Path) -> Path:
    save_indicator_value(store, 3, 2024, 88.4, source="決算（テスト）")
    save_indicator_value(store, 3, 2025, 89.6, source="決算（テスト）")
    save_indicator_value(store, 5, 2025, 168.0, source="決算（テスト）")
    save_item_status(
        store, 24, 2025, "遅れ", achievements="<b>督促</b>を実施", issues="**人員不足**"
    )
    save_item_status(store, 8, 2025, "順調")
    return store


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_on_a_fresh_clone_builds_the_store(
    page: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = tmp_path / "first-start.duckdb"
    open_page(monkeypatch, db, page)
    assert db.exists()


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_on_a_demo_store_shows_the_banner(
    page: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = tmp_path / "demo.duckdb"
    write_demo_store(db)
    at = open_page(monkeypatch, db, page)
    assert any("デモデータ" in w.value for w in at.warning)


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_on_entered_data(
    page: str, monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    at = open_page(monkeypatch, entered, page)
    assert not any("デモデータ" in w.value for w in at.warning)


def test_the_default_year_is_the_latest_with_data(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    at = open_page(monkeypatch, entered)
    assert at.sidebar.selectbox[0].value == 2025
    assert at.query_params["fy"] == "2025"  # written back, so the link can be shared


def test_overview_warnings_name_exactly_the_off_track_and_at_risk(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    at = open_page(monkeypatch, entered)
    records = status_records(load_snapshot(entered), 2025)
    expected_errors = [
        f"指標{r['indicator_no']} {r['name']}" for r in records if r["status"] == "off_track"
    ]
    expected_warnings = [
        f"指標{r['indicator_no']} {r['name']}" for r in records if r["status"] == "at_risk"
    ]
    assert expected_errors and expected_warnings  # the fixture makes one of each
    errors = [e.proto.title for e in at.error]
    warnings = [w.proto.title for w in at.warning]
    assert [t.split("：", 1)[1] for t in errors] == expected_errors
    assert [t.split("：", 1)[1] for t in warnings] == expected_warnings


def test_overview_counts_items_once(monkeypatch: pytest.MonkeyPatch, entered: Path) -> None:
    at = open_page(monkeypatch, entered)
    assert any("62項目（うち再掲1）" in h.value for h in at.header)
    table = at.table[0].value
    assert table.iloc[0]["項目数"] == 61
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["○ 順調"] == "1項目" and metrics["× 遅れ"] == "1項目"


def test_new_data_shows_on_the_next_run_without_a_restart(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    at = open_page(monkeypatch, entered, "indicators", indicator="4")
    assert at.table[0].value.iloc[0]["実績値"] == "22.3億円"
    save_indicator_value(entered, 4, 2025, 21.4, source="決算（追加）")  # e.g. an import meanwhile
    at.run()
    assert at.table[0].value.iloc[0]["実績値"] == "21.4億円"


def test_the_year_in_the_url_is_used(monkeypatch: pytest.MonkeyPatch, entered: Path) -> None:
    at = open_page(monkeypatch, entered, "overview", fy="2024")
    assert at.sidebar.selectbox[0].value == 2024
    assert "令和6年度 (2024)" in at.caption[0].value


def test_a_bad_year_in_the_url_falls_back_to_the_default(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    at = open_page(monkeypatch, entered, "overview", fy="令和99年度")
    assert at.sidebar.selectbox[0].value == 2025


def test_items_filtered_by_department_from_the_url(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    at = open_page(monkeypatch, entered, "items", department="納税課")
    shown = [n for t in at.table if "No." in t.value.columns for n in t.value["No."]]
    assert shown == [24, 25, 26]
    assert at.selectbox(key="url_department").value == "納税課"


def test_item_commentary_is_shown_as_text(monkeypatch: pytest.MonkeyPatch, entered: Path) -> None:
    at = open_page(monkeypatch, entered, "items", item="24", department="納税課")
    history = at.table[-1].value
    # st.table renders Markdown: the page escapes it so the text shows exactly as typed.
    assert (
        history.iloc[0]["取組実績"]
        == escape_markdown("<b>督促</b>を実施")
        == r"\<b\>督促\</b\>を実施"
    )
    assert history.iloc[0]["課題"] == r"\*\*人員不足\*\*"


def test_item_60_is_shown_as_the_repost_of_item_8(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    at = open_page(monkeypatch, entered, "items", item="60")
    assert any("取組項目8の再掲" in i.value for i in at.info)
    assert any("○ 順調" in m.value for m in at.markdown if "進捗状況" in m.value)


def test_indicators_page_for_one_indicator(monkeypatch: pytest.MonkeyPatch, entered: Path) -> None:
    at = open_page(monkeypatch, entered, "indicators", indicator="3")
    assert at.header[0].value == "指標3 経常収支比率"
    values = at.table[0].value
    assert list(values["年度"])[:2] == ["令和7年度 (2025)", "令和6年度 (2024)"]
    assert values.iloc[0]["出典"] == "決算（テスト）"
    assert any("判定基準" in s.value for s in at.subheader)
    assert any("90.0%以下" in m.value for m in at.markdown)


def test_finance_page_shows_the_three_fiscal_indicators(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    at = open_page(monkeypatch, entered, "finance")
    titles = [s.value for s in at.subheader][:3]
    assert titles == ["指標3 経常収支比率", "指標4 財政調整基金残高", "指標5 市債残高"]
    labels = [m.label for m in at.metric]
    assert "目標までの余裕" in labels and "目標内にとどまる年変化の上限" in labels
    assert "目標達成に必要な年変化" in labels and "実績の年変化（傾向）" in labels
    ratio_table = at.table[0].value
    assert len(ratio_table) == 21  # FY2005-FY2025
    assert ratio_table.iloc[-1]["実績値"] == "100.2%"
    fund_table = at.table[1].value
    assert fund_table.iloc[0]["実績値"] == "22.3億円"


def test_departments_page_lists_catch_alls_apart(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    at = open_page(monkeypatch, entered, "departments")
    departments = list(at.table[0].value["部署"])
    assert departments[-2:] == [
        "関係各課（総称・特定の部署ではありません）",
        "各施設所管課（総称・特定の部署ではありません）",
    ]


def test_one_department_from_the_url(monkeypatch: pytest.MonkeyPatch, entered: Path) -> None:
    at = open_page(monkeypatch, entered, "departments", department="納税課")
    assert at.header[0].value == "納税課"
    assert [n for n in at.table[-1].value["No."]] == [24, 25, 26]
    assert any("取組項目25、取組項目26" in w.value for w in at.warning)


def test_a_catch_all_is_explained(monkeypatch: pytest.MonkeyPatch, entered: Path) -> None:
    at = open_page(monkeypatch, entered, "departments", department="関係各課")
    assert at.header[0].value == "関係各課（総称）"
    assert any("特定の部署ではない" in i.value for i in at.info)


def test_an_unreadable_store_is_explained_not_crashed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = tmp_path / "garbage.duckdb"
    db.write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv(DB_ENV_VAR, str(db))
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.run()
    assert not at.exception
    assert any("データベースを開けませんでした" in e.value for e in at.error)
