"""Peer context (issue 11): the ministry's 主要財政指標一覧 for FY2015–FY2021 imported into the store,
one entity per municipality across years, the averages stored once, what `peers show` prints, the
refusals, and /finance with and without it. The workbooks are read from ../shared, never copied."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from komae_kpi.cli import main
from komae_kpi.common.errors import PermissionDeniedError, ValidationError
from komae_kpi.common.paths import DB_ENV_VAR, PROJECT_ROOT
from komae_kpi.imports.importer import ImportSource
from komae_kpi.imports.peer_import import apply_peer_import, preview_peer_import
from komae_kpi.judgement.peer_context import load_peer_context, peer_records, rank
from komae_kpi.store.connection import connect, init_store
from komae_kpi.store.peers import AVERAGE_NAME, read_entities, read_values
from komae_kpi.store.user_admin import save_user
from komae_kpi.views import finance_views, peer_views
from tests import html_text
from tests.conftest import SHARED_DIR, shared_file
from tests.store_helpers import dump
from tests.test_updates_page import open_tab, part_labels

YEARS = {"H27": 2015, "H28": 2016, "H29": 2017, "H30": 2018, "R1": 2019, "R2": 2020, "R3": 2021}
KOMAE = "132195"
SAPPORO = "011002"
HACHIOJI = "132012"
# Read by hand from the workbooks: 財政力指数, 経常収支比率, 実質公債費比率, 将来負担比率, ラスパイレス指数.
# None: published as "-" (not computed).
BY_HAND: dict[int, dict[str, tuple[float | None, ...]]] = {
    2015: {
        KOMAE: (0.86, 88.8, 3.9, 28.4, 101.4),
        SAPPORO: (0.72, 91.6, 4.9, 61.8, 100.2),
        HACHIOJI: (0.94, 84.0, -0.5, None, 97.8),
        "東京都": (0.74, 88.1, -1.4, None, None),
        "全国": (0.5, 90.0, 7.4, 38.9, None),
    },
    2016: {
        KOMAE: (0.88, 90.1, 3.0, 23.5, 101.8),
        SAPPORO: (0.73, 94.7, 3.7, 59.0, 100.0),
        HACHIOJI: (0.95, 88.8, -0.6, None, 98.4),
        "東京都": (0.76, 91.1, -1.7, None, None),
        "全国": (0.5, 92.5, 6.9, 34.5, None),
    },
    2017: {
        KOMAE: (0.89, 91.2, 2.5, 17.9, 102.4),
        SAPPORO: (0.73, 93.6, 2.8, 63.8, 99.8),
        HACHIOJI: (0.95, 88.4, -0.5, None, 98.7),
        "東京都": (0.77, 90.8, -2.0, None, None),
        "全国": (0.51, 92.8, 6.4, 33.7, None),
    },
    2018: {
        KOMAE: (0.89, 91.3, 2.0, 14.3, 101.2),
        SAPPORO: (0.73, 95.6, 2.2, 57.3, 99.9),
        HACHIOJI: (0.95, 88.1, -0.6, None, 98.7),
        "東京都": (0.76, 91.8, -2.2, None, None),
        "全国": (0.51, 93.0, 6.1, 28.9, None),
    },
    2020: {
        KOMAE: (0.88, 89.7, 1.7, 6.3, 99.5),
        SAPPORO: (0.74, 97.1, 2.6, 43.0, 99.6),
        HACHIOJI: (0.94, 85.7, -0.9, None, 97.9),
        "東京都": (0.76, 90.5, -2.2, None, None),
        "全国": (0.51, 93.1, 5.7, 24.9, None),
    },
    2019: {
        KOMAE: (0.88, 92.7, 1.9, 10.1, 100.4),
        SAPPORO: (0.73, 95.3, 2.1, 49.7, 99.6),
        HACHIOJI: (0.94, 87.3, -0.7, None, 98.2),
        "東京都": (0.76, 92.0, -2.3, None, None),
        "全国": (0.51, 93.6, 5.829, 27.4, None),
    },
    2021: {
        KOMAE: (0.86, 87.7, 1.4, None, 99.0),
        SAPPORO: (0.72, 93.0, 2.7, 29.3, 99.6),
        HACHIOJI: (0.93, 85.7, -0.6, None, 97.9),
        "東京都": (0.74, 87.6, -2.1, None, None),
        "全国": (0.5, 88.9, 5.5, 15.4, None),
    },
}
FIVE = ("財政力指数", "経常収支比率", "実質公債費比率", "将来負担比率", "ラスパイレス指数")


def workbook_files() -> list[Path]:
    folder = shared_file(SHARED_DIR / "data" / "soumu-shuyo-zaisei-shihyo")
    return sorted(p for p in folder.glob("*/*") if p.suffix in (".xls", ".xlsx"))


def sources(paths: list[Path]) -> list[ImportSource]:
    return [ImportSource(name=f"{p.parent.name}_{p.name}", data=p.read_bytes()) for p in paths]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("peers") / "kpi.duckdb"
    init_store(path)
    apply_peer_import(path, sources(workbook_files()), user="test")
    yield path


def _record(records: list[dict[str, object]], key: str) -> dict[str, object]:
    if key == "全国":
        return next(r for r in records if r["都道府県名"] == "全国")
    if key == "東京都":
        return next(
            r for r in records if r["都道府県名"] == "東京都" and r["団体名"] == "市町村平均"
        )
    return next(r for r in records if r["団体コード"] == key)


@pytest.mark.parametrize("year", sorted(BY_HAND))
def test_values_read_by_hand_are_in_the_store(imported: Path, year: int) -> None:
    records = peer_records(imported, year)
    for key, expected in BY_HAND[year].items():
        record = _record(records, key)
        assert tuple(record[i] for i in FIVE) == expected, (year, key)
        assert record["年度"] == year


def test_every_year_and_one_entity_per_municipality(imported: Path) -> None:
    with connect(imported, read_only=True) as con:
        entities = read_entities(con)
    municipalities = [e for e in entities if e.kind == "municipality"]
    assert len({e.code for e in municipalities}) == len(municipalities)  # one per code
    assert len([e for e in entities if e.kind == "national_average"]) == 1
    assert len([e for e in entities if e.kind == "prefecture_average"]) == 47
    for year in YEARS.values():
        records = peer_records(imported, year)
        assert 1700 < len(records) < 1800
        assert len([r for r in records if r["都道府県名"] == "全国"]) == 1  # stored once


def test_importing_the_same_files_again_changes_nothing(imported: Path) -> None:
    before = dump(imported)
    again = apply_peer_import(imported, sources(workbook_files()), user="test")
    assert again.values == () and again.added == ()
    assert dump(imported) == before


def test_the_context_ranks_the_city_among_the_tama_26(imported: Path) -> None:
    context = load_peer_context(imported)
    assert context.years == tuple(sorted(YEARS.values()))
    assert len(context.members) == 26 and context.home is not None
    found = rank(context, "経常収支比率", 2021)
    assert found is not None and found.count == 26 and found.better == "lower"
    lower = sum(
        1
        for m in context.members
        if (v := context.value(m, 2021, "経常収支比率")) is not None and v < 87.7
    )
    assert found.rank == lower + 1
    assert "26市中" in found.text and "低いほど良い" in found.text


def test_peers_show_json(imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["peers", "show", "--fiscal-year", "令和3年度", "--json", "--db", str(imported)]) == 0
    )
    records = json.loads(capsys.readouterr().out)
    komae = next(r for r in records if r["団体コード"] == KOMAE)
    assert komae["年度"] == 2021 and komae["団体名"] == "狛江市" and komae["都道府県名"] == "東京都"
    assert komae["経常収支比率"] == 87.7 and komae["将来負担比率"] is None
    assert {"起債制限比率", "ラスパイレス指数参考値"} <= set(komae)
    assert main(["peers", "show", "--fiscal-year", "2021", "--db", str(imported)]) == 0
    text = capsys.readouterr().out
    assert "◆狛江市" in text and "八王子市" in text and "東京都市町村平均" in text
    assert "\t87.7%\t" in text  # 狛江市's 経常収支比率, as the pages write it (formatting)
    assert "総務省「地方公共団体の主要財政指標一覧」" in text


def test_a_file_that_is_not_one_of_the_workbooks_is_refused_and_nothing_changes(
    store: Path,
) -> None:
    before = dump(store)
    actuals = ImportSource(name="actuals.csv", data="指標,年度,実績値\n3,2025,88.0\n".encode())
    preview = preview_peer_import(store, [actuals])
    assert not preview.ok and "actuals.csv" in preview.problems[0]
    with pytest.raises(ValidationError):
        apply_peer_import(store, [actuals])
    assert dump(store) == before


def _workbook(title: str, header: list[str], rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_year_without_codes_is_matched_to_the_entities_of_other_years(store: Path) -> None:
    header = ["団体コード", "都道府県名", "団体名", "財政力指数", "経常収支比率"]
    coded = _workbook(
        "全市町村の主要財政指標（平成20年度）",
        header,
        [["132195", "東京都", "狛江市", 0.9, 88.0], ["999999", "架空県", "合併前町", 0.2, 90.0]],
    )
    codeless = _workbook(
        "全市町村の主要財政指標（平成19年度）",
        header[1:],
        [["東京都", "狛江市", 0.91, 87.0], ["架空県", "消えた村", 0.1, 95.0]],
    )
    apply_peer_import(
        store,
        [ImportSource(name="H19.xlsx", data=codeless), ImportSource(name="H20.xlsx", data=coded)],
    )
    with connect(store, read_only=True) as con:
        entities = {e.name: e for e in read_entities(con)}
    assert entities["狛江市"].code == KOMAE
    assert entities["消えた村"].code is None  # merged away before codes: kept without one
    komae_2007 = next(r for r in peer_records(store, 2007) if r["団体名"] == "狛江市")
    assert komae_2007["団体コード"] == KOMAE and komae_2007["経常収支比率"] == 87.0


def test_the_national_average_twice_with_different_values_is_refused(store: Path) -> None:
    city = _workbook(
        "全市町村の主要財政指標（令和３年度）",
        ["団体コード", "都道府県名", "団体名", "経常収支比率"],
        [["132195", "東京都", "狛江市", 87.7], ["全国市町村平均", "", "", 88.9]],
    )
    means = _workbook(
        "市町村主要財政指標の都道府県別平均（令和３年度決算）",
        ["都道府県名", "", "経常収支比率"],
        [["東京都", "（市町村平均）", 87.6], ["全国市町村平均", "", 99.9]],
    )
    before = dump(store)
    with pytest.raises(ValidationError, match="異なります"):
        apply_peer_import(
            store,
            [ImportSource(name="R3.xlsx", data=city), ImportSource(name="R3mean.xlsx", data=means)],
        )
    assert dump(store) == before


def test_only_those_who_enter_anything_import_peers(store: Path) -> None:
    save_user(store, email="kanri@city.komae.lg.jp", role="admin")
    save_user(store, email="e@city.komae.lg.jp", role="viewer", user="kanri@city.komae.lg.jp")
    with pytest.raises(PermissionDeniedError):
        apply_peer_import(store, sources(workbook_files()[:1]), user="e@city.komae.lg.jp")


@pytest.mark.usefixtures("fresh_streamlit_caches")
def test_finance_shows_the_peers_or_says_how_to_import_them(
    imported: Path, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def finance(db: Path, **query: str) -> AppTest:
        monkeypatch.setenv(DB_ENV_VAR, str(db))
        at = AppTest.from_file(str(PROJECT_ROOT / "dashboard.py"), default_timeout=60)
        at.query_params["view"] = finance_views.PEERS_VIEW
        at.query_params.update(query)
        at.run()
        at.switch_page("pages/finance.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    at = finance(store)
    assert "peers import" in "".join(i.value for i in at.info)
    at = finance(imported)
    page = "".join(h.value for h in at.html)
    assert "多摩26市・全国との比較" in page
    assert "◆ 狛江市" in page and "西東京市" in page
    assert "出典：総務省「地方公共団体の主要財政指標一覧」（CC BY 4.0）" in page
    assert "経常収支比率 87.7%: 多摩26市中" in page
    # One chart at a time, chosen with links kept in the URL; the plan's own ratio first.
    ratios = list(load_peer_context(imported).indicators)
    assert len(ratios) >= 5 and "経常収支比率" in ratios
    links = _chart_links(at)
    assert [text for text, _, _ in links] == ratios
    assert [current for _, _, current in links] == [r == "経常収支比率" for r in ratios]
    assert all(q["view"] == ["peers"] for _, q, _ in links)
    assert [q.get("ratio") for text, q, _ in links] == [
        None if r == "経常収支比率" else [r] for r in ratios
    ]
    assert "ratio" not in at.query_params
    assert _chart_titles(at) == ["経常収支比率"]
    other = next(r for r in ratios if r != "経常収支比率")
    at = finance(imported, ratio=other)
    assert _chart_titles(at) == [other]
    assert [current for _, _, current in _chart_links(at)] == [r == other for r in ratios]
    assert at.query_params["ratio"] == other
    assert "◆ 狛江市" in "".join(h.value for h in at.html)  # the table of every ratio stays
    at = finance(imported, ratio="歳入総額")  # not one of the ministry's ratios
    assert _chart_titles(at) == ["経常収支比率"]
    assert "「ratio=歳入総額」 に当たるものがないため" in html_text.text(
        "".join(h.value for h in at.html)
    )


def _chart_links(at: AppTest) -> list[tuple[str, dict[str, list[str]], bool]]:
    """The peers part's links to its charts: (text, the query each leads to, current)."""
    page = "".join(h.value for h in at.html)
    bar = page.split(f'aria-label="{peer_views.CHART_LINKS_LABEL}"')[1].split("</nav>")[0]
    return [
        (html.unescape(text), parse_qs(urlparse(html.unescape(href)).query), bool(current))
        for href, current, text in re.findall(
            r'<a href="([^"]*)" target="_self"( aria-current="true")?[^>]*>([^<]*)</a>', bar
        )
    ]


def _chart_titles(at: AppTest) -> list[str]:
    """The indicator each Plotly chart on the page is about (its title's first line)."""
    return [
        json.loads(chart.proto.spec)["layout"]["title"]["text"].split("<br>")[0]
        for chart in at.get("plotly_chart")
    ]


@pytest.mark.usefixtures("fresh_streamlit_caches")
def test_updates_offers_the_peer_import_to_approvers_only(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.auth_settings import AUTH

    save_user(store, email="kanri@city.komae.lg.jp", role="admin")
    save_user(
        store,
        email="zaisei@city.komae.lg.jp",
        role="editor",
        departments=["財政課"],
        user="kanri@city.komae.lg.jp",
    )

    def tabs(email: str) -> list[str]:
        monkeypatch.setenv(DB_ENV_VAR, str(store))
        at = AppTest.from_file(str(PROJECT_ROOT / "dashboard.py"), default_timeout=60)
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": True, "email": email, "exp": 4102444800}
        at.run()
        at.switch_page("pages/updates.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return part_labels(at)

    assert "主要財政指標一覧" in tabs("kanri@city.komae.lg.jp")
    assert "主要財政指標一覧" not in tabs("zaisei@city.komae.lg.jp")


@pytest.mark.usefixtures("fresh_streamlit_caches")
def test_a_peer_workbook_uploaded_on_updates_is_previewed_then_imported(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    from komae_kpi.store.peers import read_values

    city = next(p for p in workbook_files() if p.parent.name == "city" and p.name == "R3.xlsx")
    monkeypatch.setenv(DB_ENV_VAR, str(store))
    at = AppTest.from_file(str(PROJECT_ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/updates.py").run()
    open_tab(at, "主要財政指標一覧")
    at.file_uploader[0].upload(city.name, city.read_bytes(), "application/octet-stream").run()
    assert not at.exception, [e.value for e in at.exception]
    page = "".join(h.value for h in at.html)
    assert "R3.xlsx（全市町村の主要財政指標、令和3年度 (2021)" in page
    assert peer_records(store, 2021) == []  # a preview writes nothing
    next(b for b in at.button if b.label.endswith("件の値を取り込む")).click().run()
    assert not at.exception, [e.value for e in at.exception]
    komae = next(r for r in peer_records(store, 2021) if r["団体コード"] == KOMAE)
    assert komae["経常収支比率"] == 87.7
    with connect(store, read_only=True) as con:
        sources = {(v.source_file, v.source_sha256, v.source_sheet) for v in read_values(con)}
    assert sources == {
        ("R3.xlsx", hashlib.sha256(city.read_bytes()).hexdigest(), "全市町村の主要財政指標 ")
    }


def test_two_files_of_one_name_are_fine_the_same_file_twice_is_not(store: Path) -> None:
    city, mean = (
        next(p for p in workbook_files() if p.parent.name == kind and p.name == "R3.xlsx")
        for kind in ("city", "prefecturemean")
    )
    same_name = [ImportSource(name="R3.xlsx", data=p.read_bytes()) for p in (city, mean)]
    preview = preview_peer_import(store, same_name)
    # Counted per file, not per name: the national average is the city file's (stored once).
    assert [f.values_new for f in preview.files] == [1742 * 5, 47 * 5]
    twice = [ImportSource(name=name, data=city.read_bytes()) for name in ("a.xlsx", "b.xlsx")]
    preview = preview_peer_import(store, twice)
    assert preview.problems == (
        "b.xlsx: a.xlsxと同じファイルです（同じファイルは1回だけ指定してください）。",
    )


def test_a_table_split_over_sheets_keeps_each_values_sheet(store: Path) -> None:
    book = openpyxl.Workbook()
    cities = book.active
    assert cities is not None
    cities.title = "市"
    for row in (
        ["全市町村の主要財政指標（令和３年度）"],
        ["団体コード", "都道府県名", "団体名", "財政力指数", "経常収支比率"],
        ["132195", "東京都", "狛江市", 0.86, 87.7],
    ):
        cities.append(row)
    national = book.create_sheet("全国")
    for row in (["都道府県名", "団体名", "経常収支比率"], ["全国", "市町村平均", 88.9]):
        national.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    changes = apply_peer_import(store, [ImportSource(name="R3.xlsx", data=buffer.getvalue())])
    assert changes.files[0].line == (
        "R3.xlsx（全市町村の主要財政指標、令和3年度 (2021)、シート「市、全国」）: 2行、新規 3件、変更 0件"
    )
    with connect(store, read_only=True) as con:
        names = {e.entity_id: e.name for e in read_entities(con)}
        stored = {(names[v.entity_id], v.indicator, v.source_sheet) for v in read_values(con)}
    # The 全国 sheet has no 財政力指数 column: the national average's is unknown, not 「not computed」.
    assert stored == {
        ("狛江市", "財政力指数", "市"),
        ("狛江市", "経常収支比率", "市"),
        (AVERAGE_NAME, "経常収支比率", "全国"),
    }


def test_the_peers_chart_opens_on_the_plans_own_ratio_else_the_first() -> None:
    from komae_kpi.plan.plan_files import load_plan

    plan_indicators = load_plan().indicators
    ratios = ["財政力指数", "経常収支比率", "実質公債費比率"]
    assert peer_views.default_indicator(ratios, plan_indicators) == "経常収支比率"
    # A ministry's list without any of the plan's indicators: its first ratio.
    assert peer_views.default_indicator(["財政力指数", "将来負担比率"], plan_indicators) == (
        "財政力指数"
    )
    assert peer_views.default_indicator([], plan_indicators) is None
