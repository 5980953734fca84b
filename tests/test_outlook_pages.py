"""AppTest of the 財政見通し on the pages: /finance's section (the chosen scenarios kept in the URL),
the overview's warnings and /indicators with the verdicts, and /updates' 財政見通し tab (preview,
import, remove) for those who may enter the finance figures only."""

from __future__ import annotations

import html
import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from streamlit.testing.v1 import AppTest

from komae_kpi.common.paths import DB_ENV_VAR, PROJECT_ROOT
from komae_kpi.judgement.progress import load_snapshot
from komae_kpi.store.demo import write_demo_store
from komae_kpi.store.scenarios import list_scenarios, save_scenario, scenario_log
from komae_kpi.store.user_admin import save_user
from komae_kpi.views import finance_outlook, finance_views
from tests import html_text
from tests.auth_settings import AUTH
from tests.store_helpers import dump
from tests.test_finance_outlook import (
    BUDGET,
    DEBT,
    VISION,
    fill_planned,
    outlook_scenario,
)
from tests.test_scenario_cli import OUTLOOK
from tests.test_updates_page import open_tab, part_labels

DASHBOARD = str(PROJECT_ROOT / "dashboard.py")
SCENARIO_KEY = "url_scenario"
VISION_DEBT = (
    "財政見通し『中期財政ビジョン』では令和11年度に162.0億円で、目標160.0億円以下を超える見込み"
)
BUDGET_DEBT = "財政見通し『予算案』では令和11年度に158.0億円"

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")
OUTLOOK_VIEW: dict[str, str | list[str]] = {
    "view": finance_views.OUTLOOK_VIEW
}  # /finance's 財政見通し part


@pytest.fixture
def planned(store: Path) -> Path:
    """Two scenarios and actuals that make the debt 遅れ (tests/test_finance_outlook.py)."""
    return fill_planned(store)


def _open(
    monkeypatch: pytest.MonkeyPatch,
    db: Path,
    page: str,
    query: dict[str, str | list[str]] | None = None,
    email: str | None = None,
) -> AppTest:
    monkeypatch.setenv(DB_ENV_VAR, str(db))
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    if email is not None:
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": True, "email": email, "exp": time.time() + 3600}
    at.query_params["fy"] = "2025"
    at.query_params.update(query or {})
    at.run()
    if page != "overview":
        at.switch_page(f"pages/{page}.py").run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _text(at: AppTest) -> str:
    return html_text.text("".join(h.value for h in at.html))


def _section(at: AppTest) -> str:
    """The text of /finance's 財政見通し part (the cards above quote warnings too)."""
    return _text(at).split(f" {finance_outlook.SECTION_TITLE} ", 1)[1]


def _param(at: AppTest, name: str) -> list[str]:
    """Every value of a URL parameter (AppTest gives one value as a string)."""
    value = at.query_params[name]
    return value if isinstance(value, list) else [value]


def _scenario_links(at: AppTest) -> list[tuple[str, dict[str, list[str]], bool]]:
    """The scenario chooser's links: (text, the query they lead to, chosen)."""
    whole = "".join(h.value for h in at.html)
    if 'aria-label="表示する財政見通し"' not in whole:
        return []
    bar = whole.split('aria-label="表示する財政見通し"')[1].split("</nav>")[0]
    found = re.findall(
        r'<a href="([^"]*)" target="_self"( aria-current="true")?[^>]*>([^<]*)</a>', bar
    )
    return [
        (
            html.unescape(text),
            parse_qs(urlparse(html.unescape(href)).query, keep_blank_values=True),
            bool(cur),
        )
        for href, cur, text in found
    ]


def _chosen(at: AppTest) -> list[str]:
    return [text for text, _, chosen in _scenario_links(at) if chosen]


def _chart_traces(at: AppTest, title: str) -> list[dict[str, Any]]:
    """The traces of the chart drawn on the page whose title starts so."""
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    (spec,) = [s for s in specs if s["layout"].get("title", {}).get("text", "").startswith(title)]
    traces: list[dict[str, Any]] = spec["data"]
    return traces


# --- /finance -------------------------------------------------------------------------------------


def test_finance_on_the_demo_store_shows_the_made_up_outlook(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = tmp_path / "demo.duckdb"
    write_demo_store(db)
    at = _open(monkeypatch, db, "finance", OUTLOOK_VIEW)
    assert [text for text, _, _ in _scenario_links(at)] == [
        "デモ用財政見通し（架空）【デモデータ（架空の財政見通し）】"
    ]
    text = _text(at)
    assert (
        "デモデータ（架空の財政見通し）：「デモ用財政見通し（架空）」は説明用に作った架空" in text
    )
    # Three charts: the fund, the debt, the forecast 経常収支比率 (the history is another part).
    assert len(at.get("plotly_chart")) == 3
    (scenario,) = load_snapshot(db).scenarios
    for outlook in finance_outlook.outlooks_for(load_snapshot(db), 2025):
        for x in outlook.indicators:
            assert x.verdict.sentence in text and x.verdict.requirement in text
    assert scenario.is_demo


def test_finance_draws_the_imported_scenario_and_its_verdicts(
    monkeypatch: pytest.MonkeyPatch, planned: Path
) -> None:
    at = _open(monkeypatch, planned, "finance", OUTLOOK_VIEW)
    assert _chosen(at) == [VISION, BUDGET]
    text = _text(at)
    assert VISION_DEBT in text and BUDGET_DEBT in text
    assert (
        "令和11年度に160.0億円以下とするには、市債発行額を毎年度あと0.5億円抑える必要があります。"
        in text
    )
    tables = html_text.tables("".join(h.value for h in at.html))
    flows = tables[f"財政見通し「{VISION}」の市債残高の増減"]
    assert flows[0] == ["増減（億円）", "R6", "R7", "R8", "R9", "R10", "R11"]
    assert flows[-1] == ["増減の計", *["-1.5"] * 6]
    # The page draws the pure figure: the debt's chart with both scenarios' paths.
    snapshot = load_snapshot(planned)
    section = finance_outlook.outlook_section(snapshot, 2025, [VISION, BUDGET])
    debt = next(p for p in section.panels if p.indicator.indicator_no == DEBT)
    drawn = _chart_traces(at, "指標5 市債残高の財政見通し")
    assert [t.get("name") for t in drawn] == [t.name for t in debt.figure().data]
    assert [t.get("y") for t in drawn][-1] == list(debt.figure().data[-1].y)


def test_the_section_and_its_charts_are_built_once_per_store_version_and_choice(
    monkeypatch: pytest.MonkeyPatch, planned: Path
) -> None:
    """Built on every load, the section and its charts took ~70 ms of /finance's script run."""
    built: list[tuple[str, ...]] = []
    original = finance_outlook.outlook_section

    def counting(snapshot: Any, fiscal_year: int, chosen: Any, **kwargs: Any) -> Any:
        built.append(tuple(chosen))
        return original(snapshot, fiscal_year, chosen, **kwargs)

    monkeypatch.setattr(finance_outlook, "outlook_section", counting)
    at = _open(monkeypatch, planned, "finance", OUTLOOK_VIEW)
    at.run()
    _ok(at)
    assert built == [(VISION, BUDGET)]  # the second run drew the same from the cache
    assert len(_chart_traces(at, "指標5 市債残高の財政見通し")) > 0
    at.query_params["scenario"] = BUDGET
    at.run()
    assert built == [(VISION, BUDGET), (BUDGET,)]  # another choice is built
    assert BUDGET_DEBT in _section(at) and VISION_DEBT not in _section(at)
    save_scenario(planned, outlook_scenario("参考", {"issuance": 12.0, "repayment": 11.5}))
    at.run()
    assert built[-1] == (BUDGET,) and len(built) == 3  # the store changed: built anew
    assert "参考" in [text for text, _, _ in _scenario_links(at)]


def test_the_chosen_scenarios_live_in_the_url(
    monkeypatch: pytest.MonkeyPatch, planned: Path
) -> None:
    save_scenario(planned, outlook_scenario("参考", {"issuance": 12.0, "repayment": 11.5}))
    at = _open(monkeypatch, planned, "finance", {**OUTLOOK_VIEW, "scenario": [BUDGET]})
    assert _chosen(at) == [BUDGET]
    assert BUDGET_DEBT in _section(at) and VISION_DEBT not in _section(at)
    # Each link adds or takes away its scenario, keeping the others and the year.
    links = {text: query for text, query, _ in _scenario_links(at)}
    assert links[VISION]["scenario"] == [VISION, BUDGET]
    assert links[BUDGET]["scenario"] == [""]  # taking the only one away: none chosen
    assert links["参考"]["scenario"] == [BUDGET, "参考"]
    assert all(q["fy"] == ["2025"] for q in links.values())
    # Following one opens the page with both (a link shared from here opens the same).
    both = _open(
        monkeypatch, planned, "finance", {**OUTLOOK_VIEW, "scenario": links[VISION]["scenario"]}
    )
    _ok(both)
    assert _chosen(both) == [VISION, BUDGET]
    assert _param(both, "scenario") == [VISION, BUDGET]
    years = "".join(h.value for h in both.html).split('aria-label="年度"')[1].split("</nav>")[0]
    year_links = [
        parse_qs(urlparse(html.unescape(h.split('"')[0])).query) for h in years.split('href="')[1:]
    ]
    assert year_links and all(q["scenario"] == [VISION, BUDGET] for q in year_links)
    # Adding the last one chooses every scenario, which leaves the URL clean.
    every = {text: query for text, query, _ in _scenario_links(both)}["参考"]
    assert "scenario" not in every
    # None chosen is said, and kept as an empty choice.
    none = _open(monkeypatch, planned, "finance", {**OUTLOOK_VIEW, "scenario": ""})
    assert _chosen(none) == []
    assert _param(none, "scenario") == [""]
    assert finance_outlook.NONE_CHOSEN_TEXT in [i.value for i in none.info]


def test_an_unknown_scenario_in_the_url_is_named_not_raised(
    monkeypatch: pytest.MonkeyPatch, planned: Path
) -> None:
    at = _open(monkeypatch, planned, "finance", {**OUTLOOK_VIEW, "scenario": ["旧計画", BUDGET]})
    notes = [i.value for i in at.info]
    assert (
        f"リンクの指定: 財政見通し「旧計画」はありません（あるのは「{VISION}」「{BUDGET}」）。"
        in notes
    )
    assert _chosen(at) == [BUDGET]
    assert _param(at, "scenario") == [BUDGET]


def test_without_a_scenario_finance_says_how_to_add_one(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = _open(monkeypatch, store, "finance", {**OUTLOOK_VIEW, "scenario": "旧計画"})
    notes = [i.value for i in at.info]
    assert finance_outlook.NO_SCENARIO_TEXT in notes
    assert any("財政見通し「旧計画」はありません" in n for n in notes)
    assert not _scenario_links(at)


# --- warnings -------------------------------------------------------------------------------------


def test_the_overview_warning_and_the_indicator_page_add_the_verdicts(
    monkeypatch: pytest.MonkeyPatch, planned: Path
) -> None:
    at = _open(monkeypatch, planned, "overview")
    (debt,) = [e for e in at.error if "指標5 市債残高" in e.proto.title]
    assert VISION_DEBT in debt.value and BUDGET_DEBT in debt.value
    # The fund is 順調 by its trend, but the vision takes it below 20億円 (19.6) by FY2029.
    (fund,) = [w for w in at.warning if "指標4 財政調整基金残高" in w.proto.title]
    assert fund.proto.title == "財政見通し：指標4 財政調整基金残高"
    assert "令和11年度に19.6億円で、目標20.0億円以上を下回る見込み" in fund.value
    indicators = _open(monkeypatch, planned, "indicators", {"indicator": str(DEBT)})
    assert VISION_DEBT in _text(indicators) and BUDGET_DEBT in _text(indicators)


# --- /updates -------------------------------------------------------------------------------------


def _scenario_tab(at: AppTest) -> AppTest:
    open_tab(at, "財政見通し")
    _ok(at)
    return at


def test_a_scenario_file_is_previewed_imported_and_removed(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = _scenario_tab(_open(monkeypatch, store, "updates"))
    at.file_uploader[0].upload("中期財政ビジョン.csv", OUTLOOK.encode("utf-8"), "text/csv").run()
    _ok(at)
    assert at.text_input[0].value == "中期財政ビジョン"  # the file's stem
    at.text_input[0].input("ビジョン2025").run()
    text = _text(at)
    assert "中期財政ビジョン.csv（CSV（UTF-8）、項目ごとの行（年度が列））" in text
    # The fund: 22.3 + (1.0 − 1.6) × 6 = 18.7.
    assert (
        "財政見通し『ビジョン2025』では令和11年度に18.7億円で、目標20.0億円以上を下回る見込み"
        in text
    )
    assert list_scenarios(store) == []  # previewed only
    (apply,) = [b for b in at.button if b.label == "財政見通し「ビジョン2025」を取り込む"]
    apply.click().run()
    _ok(at)
    assert [s.name for s in list_scenarios(store)] == ["ビジョン2025"]
    assert any("財政見通し「ビジョン2025」を取り込みました" in s.value for s in at.success)
    assert "財政見通しの変更履歴" in _text(at)
    # Remove, confirmed.
    at.checkbox(key="scenario-remove-confirm:ビジョン2025").check().run()
    assert any("削除します" in w.value for w in at.warning)
    assert list_scenarios(store) != []
    at.button(key="scenario-remove:ビジョン2025").click().run()
    _ok(at)
    assert list_scenarios(store) == []
    assert [e.action for e in scenario_log(store)] == ["remove", "import"]


def test_a_bad_scenario_file_lists_every_problem_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    before = dump(store)
    bad = "年度,市債発行額,元金償還額\nR12,10,11\nR7,-3,abc\n"
    at = _scenario_tab(_open(monkeypatch, store, "updates"))
    at.file_uploader[0].upload("見通し.csv", bad.encode("utf-8"), "text/csv").run()
    _ok(at)
    assert [e.value for e in at.error] == [
        "問題が3件あるため、取り込めません（何も書き込んでいません）。"
        "ファイルや名前を直してから、もう一度選んでください。"
    ]
    text = _text(at)
    assert "見通し.csv 2行目 A列「年度」" in text and "財政見通しの年度" in text
    assert "見通し.csv 3行目 B列「市債発行額」の「-3」" in text
    assert "見通し.csv 3行目 C列「元金償還額」の「abc」" in text
    assert not [b for b in at.button if b.label.startswith("財政見通し「")]
    assert dump(store) == before


def test_only_those_who_enter_the_finance_figures_get_the_tab(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    admin, finance, staff, viewer = (
        "kanri@city.komae.lg.jp",
        "zaisei@city.komae.lg.jp",
        "shokuin@city.komae.lg.jp",
        "etsuran@city.komae.lg.jp",
    )
    save_user(store, email=admin, role="admin", user="setup")
    save_user(store, email=finance, role="editor", departments=["財政課"], user=admin)
    save_user(store, email=staff, role="editor", departments=["職員課"], user=admin)
    save_user(store, email=viewer, role="viewer", user=admin)
    tabs = {
        email: part_labels(_open(monkeypatch, store, "updates", email=email))
        for email in (finance, staff, viewer)
    }
    assert "財政見通し" in tabs[finance]
    assert "財政見通し" not in tabs[staff] and "財政見通し" not in tabs[viewer]
    at = _scenario_tab(_open(monkeypatch, store, "updates", email=finance))
    at.file_uploader[0].upload("見通し.csv", OUTLOOK.encode("utf-8"), "text/csv").run()
    next(b for b in at.button if b.label == "財政見通し「見通し」を取り込む").click().run()
    _ok(at)
    # In force at once (not reviewed), logged under the person.
    assert [(e.name, e.logged_by) for e in scenario_log(store)] == [("見通し", finance)]
