"""AppTest: every page runs on a fresh store, a demo store and a store with entered data."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path
from typing import get_args
from urllib.parse import parse_qs, parse_qsl, urlparse

import pytest
from streamlit.testing.v1 import AppTest

from komae_kpi.common.clock import TODAY_ENV
from komae_kpi.common.paths import DB_ENV_VAR, PROJECT_ROOT
from komae_kpi.judgement.progress import load_snapshot, status_records
from komae_kpi.store.demo import write_demo_store
from komae_kpi.store.entries import save_indicator_value, save_item_status
from komae_kpi.views import finance_outlook, finance_views
from tests import html_text

DASHBOARD = str(PROJECT_ROOT / "dashboard.py")  # absolute: AppTest resolves relative paths oddly
PAGES = {
    "overview": "pages/overview.py",
    "indicators": "pages/indicators.py",
    "finance": "pages/finance.py",
    "items": "pages/items.py",
    "departments": "pages/departments.py",
    "updates": "pages/updates.py",
    "review": "pages/review.py",
    "reports": "pages/reports.py",
}
TITLES = {
    "overview": "全体概況",
    "indicators": "指標",
    "finance": "財政指標",
    "items": "取組項目",
    "review": "承認",
    "departments": "部署別",
    "updates": "実績入力",
    "reports": "公表・会議資料",
}


pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def page_html(at: AppTest) -> str:
    return "".join(h.value for h in at.html)


def page_text(at: AppTest) -> str:
    return html_text.text(page_html(at))


def page_tables(at: AppTest) -> dict[str, list[list[str]]]:
    return html_text.tables(page_html(at))


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
    assert f'<h1 class="kpi-title">{TITLES[page]}</h1>' in page_html(at)
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
    at = open_page(monkeypatch, db, page)
    assert db.exists()
    # Among the year links; the year a page opens on: tests/test_due_year_pages.py.
    assert "令和5年度 (2023)" in page_text(at)


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_on_a_demo_store_shows_the_banner(
    page: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = tmp_path / "demo.duckdb"
    write_demo_store(db)
    at = open_page(monkeypatch, db, page)
    assert page_text(at).count("デモデータ：この画面の数値は説明用に生成した架空の値") == 1


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_on_entered_data(
    page: str, monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    at = open_page(monkeypatch, entered, page)
    assert "デモデータ" not in page_text(at)
    assert "令和7年度 (2025)" in page_text(at)


def test_the_default_year_is_the_due_year_and_goes_into_the_url(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    monkeypatch.setenv(TODAY_ENV, "2026-11-30")  # FY2025's actuals are due
    at = open_page(monkeypatch, entered)
    assert at.query_params["fy"] == "2025"
    years = html_text.text(page_html(at).split('aria-label="年度"')[1].split("</nav>")[0])
    assert "令和5年度 (2023)" in years and "令和11年度 (2029)" in years
    assert '<a href="?fy=2025" target="_self" aria-current="true" class="current">' in page_html(at)


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
    assert [e.proto.title.split("：", 1)[1] for e in at.error] == expected_errors
    assert [w.proto.title.split("：", 1)[1] for w in at.warning] == expected_warnings


def test_overview_tiles_and_item_counts(monkeypatch: pytest.MonkeyPatch, entered: Path) -> None:
    at = open_page(monkeypatch, entered)
    html = page_html(at)
    assert html.count('class="kpi-tile"') == 8
    assert 'data-indicator="3" data-status="at_risk"' in html
    assert "89.6%" in html and "+1.2ポイント（前年度比）" in html
    text = page_text(at)
    assert "取組項目の進捗状況（62項目（うち再掲1））" in text
    counts = html_text.records(page_tables(at)["進捗状況別の取組項目数"])
    assert counts[0]["区分"] == "全体" and counts[0]["項目数"] == "61"
    assert counts[0]["○ 順調"] == "1" and counts[0]["× 遅れ"] == "1"


def test_new_data_shows_on_the_next_run_without_a_restart(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    at = open_page(monkeypatch, entered, "indicators", indicator="4")
    values = html_text.records(page_tables(at)["財政調整基金残高の実績値と出典"])
    assert values[0]["実績値"] == "22.3億円"
    save_indicator_value(entered, 4, 2025, 21.4, source="決算（追加）")  # e.g. an import meanwhile
    at.run()
    values = html_text.records(page_tables(at)["財政調整基金残高の実績値と出典"])
    assert values[0]["実績値"] == "21.4億円" and values[0]["出典"] == "決算（追加）"


def test_the_year_in_the_url_is_used(monkeypatch: pytest.MonkeyPatch, entered: Path) -> None:
    at = open_page(monkeypatch, entered, "overview", fy="2024")
    assert "令和6年度 (2024)　狛江市第7次行財政改革推進計画" in page_text(at)
    assert at.query_params["fy"] == "2024"


def test_a_bad_year_in_the_url_falls_back_to_the_default(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    monkeypatch.setenv(TODAY_ENV, "2026-11-30")
    at = open_page(monkeypatch, entered, "overview", fy="令和99年度")
    assert at.query_params["fy"] == "2025"


def item_numbers(at: AppTest) -> list[int]:
    tree = page_tables(at)["取組項目の一覧（施策・方向性・基本事業ごと）"]
    return [int(r["No."]) for r in html_text.records(tree)]


def test_items_filtered_by_department_from_the_url(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    at = open_page(monkeypatch, entered, "items", department="納税課")
    assert item_numbers(at) == [24, 25, 26]
    assert '<option value="納税課" selected>納税課</option>' in page_html(at)  # the form shows it
    assert at.query_params["department"] == "納税課"


def test_items_filtered_by_scope_status_and_text(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    assert item_numbers(open_page(monkeypatch, entered, "items", scope="3-3")) == list(
        range(53, 63)
    )
    assert item_numbers(open_page(monkeypatch, entered, "items", scope="2")) == list(range(21, 37))
    assert item_numbers(open_page(monkeypatch, entered, "items", status="遅れ")) == [24]
    assert item_numbers(open_page(monkeypatch, entered, "items", q="督促")) == [24]


def test_no_matching_items_is_explained(monkeypatch: pytest.MonkeyPatch, entered: Path) -> None:
    at = open_page(monkeypatch, entered, "items", q="存在しない語")
    assert any("条件に合う取組項目はありません" in i.value for i in at.info)


def test_the_tree_links_each_item_to_its_detail(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    at = open_page(monkeypatch, entered, "items", department="納税課")
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]*item=[^"]*)"', page_html(at))]
    assert [parse_qs(urlparse(h).query) for h in hrefs] == [
        {"department": ["納税課"], "fy": ["2025"], "item": [str(n)]} for n in (24, 25, 26)
    ]  # the filters stay when an item is opened


def test_item_commentary_is_shown_as_text(monkeypatch: pytest.MonkeyPatch, entered: Path) -> None:
    at = open_page(monkeypatch, entered, "items", item="24")
    html = page_html(at)
    assert "&lt;b&gt;督促&lt;/b&gt;を実施" in html and "<b>督促</b>" not in html
    history = html_text.records(
        page_tables(at)["取組項目24 市税等徴収率の維持の進捗状況と取組実績の推移"]
    )
    assert history[0]["取組実績"] == "<b>督促</b>を実施"
    assert history[0]["課題"] == "**人員不足**"


def test_item_60_is_shown_as_the_repost_of_item_8(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    at = open_page(monkeypatch, entered, "items", item="60")
    text = page_text(at)
    assert "取組項目60 デジタル人財の育成(再掲)" in text
    assert "取組項目8の再掲" in text
    assert "令和7年度 (2025)の進捗状況 ○ 順調" in text


def test_indicators_page_for_one_indicator(monkeypatch: pytest.MonkeyPatch, entered: Path) -> None:
    at = open_page(monkeypatch, entered, "indicators", indicator="3")
    text = page_text(at)
    assert "指標3 経常収支比率" in text
    values = html_text.records(page_tables(at)["経常収支比率の実績値と出典"])
    assert [v["年度"] for v in values[:2]] == ["令和7年度 (2025)", "令和6年度 (2024)"]
    assert values[0]["出典"] == "決算（テスト）"
    assert len(values) == 21  # FY2005-FY2025
    assert "判定基準" in text and "90.0%以下" in text
    assert "目標内にとどまる年変化の上限" in text
    assert len(at.get("plotly_chart")) == 1
    assert at.query_params["indicator"] == "3"


def _view_links(at: AppTest) -> list[tuple[str, dict[str, list[str]], bool]]:
    """/finance's links to its parts: (text, the query each leads to, current)."""
    bar = page_html(at).split(f'aria-label="{finance_views.VIEW_LABEL}"')[1].split("</nav>")[0]
    return [
        (html.unescape(text), parse_qs(urlparse(html.unescape(href)).query), bool(current))
        for href, current, text in re.findall(
            r'<a href="([^"]*)" target="_self"( aria-current="true")?[^>]*>([^<]*)</a>', bar
        )
    ]


def test_finance_draws_one_part_at_a_time_chosen_with_links_kept_in_the_url(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    """Drawn whole, /finance stayed above 1.2x its floor (bench/README.md); each part alone is
    lighter. The cards stay above every part, and a shared link opens the same part."""
    at = open_page(monkeypatch, entered, "finance", fy="2025")
    links = _view_links(at)
    assert [(text, current) for text, _, current in links] == [
        ("推移", True),
        ("年度別の値と出典", False),
        ("財政見通し", False),
        ("多摩26市・全国との比較", False),
    ]
    assert [q.get("view") for _, q, _ in links] == [None, ["values"], ["outlook"], ["peers"]]
    assert all(q["fy"] == ["2025"] for _, q, _ in links)
    assert "view" not in at.query_params  # the default leaves the URL clean
    assert "経常収支比率の推移（平成17年度以降）" in page_text(at)
    assert len(at.get("plotly_chart")) == 2  # 経常収支比率 since FY2005, the reference series
    assert not page_tables(at) and not at.info  # no values, no 財政見通し, no peers

    parts = {
        view: open_page(monkeypatch, entered, "finance", fy="2025", view=view)
        for view in ("values", "outlook", "peers")
    }
    for i, (view, part) in enumerate(parts.items(), start=1):
        assert [current for _, _, current in _view_links(part)] == [n == i for n in range(4)]
        assert part.query_params["view"] == view
        assert page_html(part).count('<section class="kpi-card">') == 3  # above every part
        assert "経常収支比率の推移（平成17年度以降）" not in page_text(part)
        assert not part.get("plotly_chart")  # this store has no 財政見通し and no peers
    assert "経常収支比率の年度別の値と出典" in page_tables(parts["values"])
    assert finance_outlook.NO_SCENARIO_TEXT in [i.value for i in parts["outlook"].info]
    assert "peers import" in "".join(i.value for i in parts["peers"].info)
    assert not page_tables(parts["outlook"]) and not page_tables(parts["peers"])

    unknown = open_page(monkeypatch, entered, "finance", fy="2025", view="graphs")
    assert "「view=graphs」 に当たるものがないため、既定の表示にしています。" in page_text(unknown)
    assert [current for _, _, current in _view_links(unknown)] == [True, False, False, False]
    assert len(unknown.get("plotly_chart")) == 2


def test_finance_page_shows_the_three_fiscal_indicators(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    at = open_page(monkeypatch, entered, "finance", view="values")
    html = page_html(at)
    cards = [c for c in html.split('<section class="kpi-card">')[1:]]
    assert [html_text.text(c).split(" ")[0] for c in cards] == ["指標3", "指標4", "指標5"]
    assert "目標までの余裕" in cards[0] and "目標内にとどまる年変化の上限" in cards[0]
    assert "目標内にとどまる年変化の下限" in cards[1]
    assert "目標達成に必要な年変化" in cards[2] and "実績の年変化（傾向）" in cards[2]
    tables = page_tables(at)
    ratio = html_text.records(tables["経常収支比率の年度別の値と出典"])
    assert len(ratio) == 21 and ratio[-1]["実績値"] == "100.2%"
    assert (
        html_text.records(tables["財政調整基金残高の年度別の値と出典"])[0]["実績値"] == "22.3億円"
    )
    reference = html_text.records(tables["参考系列の年度別の値と出典"])
    assert reference[-1]["財政力指数（3か年平均）"] == "0.91"
    assert not at.get("plotly_chart")  # the charts are the 推移 part's


def test_departments_page_lists_catch_alls_apart(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    at = open_page(monkeypatch, entered, "departments")
    rows = html_text.records(page_tables(at)["部署ごとの取組項目と進捗状況"])
    assert [r["部署"] for r in rows][-2:] == [
        "関係各課（総称・特定の部署ではありません）",
        "各施設所管課（総称・特定の部署ではありません）",
    ]
    assert "特定の部署ではなく、関係する課の総称" in page_text(at)


def test_one_department_from_the_url(monkeypatch: pytest.MonkeyPatch, entered: Path) -> None:
    at = open_page(monkeypatch, entered, "departments", department="納税課")
    tables = page_tables(at)
    items = html_text.records(next(rows for rows in tables.values() if rows[0][0] == "No."))
    assert [r["No."] for r in items] == ["24", "25", "26"]
    assert any("取組項目25、取組項目26" in w.value for w in at.warning)
    assert at.query_params["department"] == "納税課"


def test_a_catch_all_is_explained(monkeypatch: pytest.MonkeyPatch, entered: Path) -> None:
    at = open_page(monkeypatch, entered, "departments", department="関係各課")
    assert "関係各課（総称）" in page_text(at)
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


def test_a_year_without_actuals_is_not_reported_as_all_clear(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    at = open_page(monkeypatch, entered, "overview", fy="2026")
    assert not at.success and not at.error
    assert "令和8年度 (2026)の実績はまだ報告されていません。" in page_text(at)
    assert "令和8年度 (2026)の取組項目の進捗状況はまだ報告されていません" in page_text(at)


def test_departments_outside_the_plan_period_owe_no_reports(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    at = open_page(monkeypatch, entered, "departments", fy="2024", department="納税課")
    assert not at.warning
    assert any("計画期間" in i.value for i in at.info)


def test_year_links_keep_the_filters(monkeypatch: pytest.MonkeyPatch, entered: Path) -> None:
    at = open_page(monkeypatch, entered, "items", department="財政課", q="基金")
    years = page_html(at).split('aria-label="年度"')[1].split("</nav>")[0]
    hrefs = [
        parse_qs(urlparse(html.unescape(h)).query) for h in re.findall(r'href="([^"]*)"', years)
    ]
    assert len(hrefs) == 7
    assert all(h["department"] == ["財政課"] and h["q"] == ["基金"] for h in hrefs)


def form_html(at: AppTest) -> str:
    return page_html(at).split('<form class="kpi-filter"')[1].split("</form>")[0]


def test_the_department_filter_marks_catch_alls(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    at = open_page(monkeypatch, entered, "items")
    department = form_html(at).split('name="department">')[1].split("</select>")[0]
    labels = re.findall(r">([^<]*)</option>", department)
    assert labels[0] == "すべて"
    assert labels[-2:] == ["関係各課（総称）", "各施設所管課（総称）"]


def test_the_search_form_sends_the_filters_and_keeps_the_year(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    """A plain GET form (no widgets): its fields are the URL's parameters, the year travels in a
    hidden field, and 「すべて」 or a blank keyword sent empty leaves the URL clean."""
    at = open_page(
        monkeypatch, entered, "items", fy="2025", scope="", department="", status="遅れ", q=" 督促 "
    )
    assert item_numbers(at) == [24]
    form = form_html(at)
    assert 'method="get"' in form
    assert '<input type="hidden" name="fy" value="2025">' in form
    assert '<option value="遅れ" selected>' in form
    assert 'name="q" value="督促"' in form
    assert "scope" not in at.query_params and "department" not in at.query_params
    assert at.query_params["status"] == "遅れ"
    assert "に当たるものがない" not in page_html(at)  # nothing named as mistyped
    clear = re.search(r'<a class="clear" href="([^"]*)"', form)
    assert clear and parse_qs(urlparse(html.unescape(clear.group(1))).query) == {"fy": ["2025"]}


def test_the_keyword_is_text_in_the_form(monkeypatch: pytest.MonkeyPatch, entered: Path) -> None:
    at = open_page(monkeypatch, entered, "items", q='"><script>x</script>')
    form = form_html(at)
    assert "<script>" not in form and "&quot;&gt;&lt;script&gt;" in form


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("overview", {"fy": "abc"}),
        ("indicators", {"indicator": "99"}),
        ("items", {"item": "999"}),
        ("items", {"scope": "9-9"}),
        ("departments", {"department": "架空課"}),
    ],
)
def test_a_mistyped_link_is_explained_and_falls_back(
    page: str, query: dict[str, str], monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    at = open_page(monkeypatch, entered, page, **query)
    ((param, value),) = query.items()
    assert f"「{param}={value}」 に当たるものがないため、既定の表示にしています。" in page_text(at)
    assert at.query_params.get(param) != value


def test_reports_without_chromium_explain_and_keep_the_data_files(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    import komae_kpi.outputs.chart_images as chart_images

    monkeypatch.setattr(chart_images, "CHROMIUM_CANDIDATES", ())
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    at = open_page(monkeypatch, entered, "reports")
    assert len(at.warning) == 1
    assert at.warning[0].value.startswith("この端末には Chromium がないため")
    assert [b.proto.label for b in at.get("download_button")] == [
        "ZIPをダウンロード",
        "Excelをダウンロード",
    ]
    assert not make_links(at)


def recording_maker(
    calls: list[str | None], data: bytes = b"PK-deck"
) -> Callable[[Path, int, str | None], Callable[[], bytes]]:
    """A stand-in for outputs.meeting_deck that notes the meeting each deck is made for."""

    def maker(path: Path, year: int, since: str | None) -> Callable[[], bytes]:
        def make() -> bytes:
            calls.append(since)
            return data

        return make

    return maker


def make_links(at: AppTest) -> dict[str, str]:
    """The 「…を作成」 links drawn as buttons on /reports: text → href."""
    found = re.findall(
        r'<a class="kpi-action" href="([^"]*)" target="_self">([^<]*)</a>', page_html(at)
    )
    return {text: html.unescape(href) for href, text in found}


def follow(at: AppTest, href: str) -> AppTest:
    """What the browser does with a link to "?…": the page is run with that query."""
    at.query_params.clear()
    at.query_params.update(parse_qsl(href.lstrip("?")))
    return at.run()


def test_reports_are_made_on_request_then_offered(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    import komae_kpi_ui.outputs as outputs

    made: list[str | None] = []
    monkeypatch.setattr(outputs, "meeting_deck", recording_maker(made))
    at = open_page(monkeypatch, entered, "reports", fy="2025")
    links = make_links(at)
    assert links == {
        "PDFを作成": "?fy=2025&make=pdf",
        "HTMLを作成": "?fy=2025&make=html",
        "会議資料を作成": "?fy=2025&make=pptx",
    }
    assert not [b for b in at.button if b.label.endswith("を作成")]  # links, not widgets
    assert [b.proto.label for b in at.get("download_button")] == [
        "ZIPをダウンロード",
        "Excelをダウンロード",
    ]
    follow(at, links["会議資料を作成"])
    assert not at.exception and not at.error
    assert made == [None]
    offered = [b.proto.label for b in at.get("download_button")]
    assert offered == ["会議資料をダウンロード", "ZIPをダウンロード", "Excelをダウンロード"]
    assert "会議資料を作成" not in make_links(at)
    assert dict(at.query_params) == {"fy": "2025"}  # a reload does not make it again
    at.run()
    assert made == [None]
    # Another visitor (a new session) is offered the same file while the store stays as it was.
    other = open_page(monkeypatch, entered, "reports", fy="2025")
    assert "会議資料をダウンロード" in {b.proto.label for b in other.get("download_button")}
    assert made == [None]
    save_indicator_value(entered, 1, 2025, 72.0)  # the store changes: the deck would be stale
    at.run()
    assert "会議資料をダウンロード" not in {b.proto.label for b in at.get("download_button")}
    assert "会議資料を作成" in make_links(at)


def test_a_make_link_naming_nothing_is_noted_and_makes_nothing(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    import komae_kpi_ui.outputs as outputs

    made: list[str | None] = []
    monkeypatch.setattr(outputs, "meeting_deck", recording_maker(made))
    at = open_page(monkeypatch, entered, "reports", fy="2023", make="pptx")  # outside the plan
    assert (
        "リンクの指定 「make=pptx」 に当たるものがないため、既定の表示にしています。"
        in page_text(at)
    )
    assert [b.proto.label for b in at.get("download_button")] == [
        "ZIPをダウンロード",
        "Excelをダウンロード",
    ]
    at = open_page(monkeypatch, entered, "reports", fy="2025", make="report")
    assert "リンクの指定 「make=report」 に当たるものがないため" in page_text(at)
    assert "make" not in at.query_params
    assert len(at.get("download_button")) == 2
    assert made == []


def test_every_output_the_page_lists_has_a_maker(store: Path) -> None:
    import komae_kpi_ui.outputs as outputs
    from komae_kpi.outputs import report_views

    listed = report_views.outputs(load_snapshot(store), 2025)
    assert {o.kind for o in listed} == set(get_args(report_views.OutputKind))
    for output in listed:
        assert callable(outputs.maker(output.kind, store, 2025))


def test_a_failed_report_is_explained_not_silent(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    import komae_kpi_ui.outputs as outputs
    from komae_kpi.common.errors import KomaeKpiError

    def broken(path: Path, year: int, since: str | None) -> Callable[[], bytes]:
        def make() -> bytes:
            raise KomaeKpiError("PDFの作成が時間内に終わりませんでした。")

        return make

    monkeypatch.setattr(outputs, "report_pdf", broken)
    at = open_page(monkeypatch, entered, "reports", fy="2025")
    follow(at, make_links(at)["PDFを作成"])
    assert [e.value for e in at.error] == [
        "作成できませんでした。PDFの作成が時間内に終わりませんでした。"
    ]
    assert "PDFをダウンロード" not in {b.proto.label for b in at.get("download_button")}


def test_reports_outside_the_plan_period_say_why(
    monkeypatch: pytest.MonkeyPatch, entered: Path
) -> None:
    at = open_page(monkeypatch, entered, "reports", fy="2023")
    assert not make_links(at)
    assert "計画期間（令和7年度 (2025)〜令和11年度 (2029)）の年度について作成します" in page_text(
        at
    )
    assert len(at.get("download_button")) == 2  # the data files cover every year
