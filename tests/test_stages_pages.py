"""Stages on the pages, in the report and in the deck (issue 12): a 見込 value is shown as
「91.2%（見込）」 wherever it appears, a judgement resting on one is 暫定, and the /updates form lets one
choose the stage and refuses a 見込 over a 決算."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from pptx import Presentation
from streamlit.testing.v1 import AppTest

from komae_kpi.common.paths import DB_ENV_VAR, PROJECT_ROOT
from komae_kpi.judgement.progress import load_snapshot
from komae_kpi.outputs.chart_images import ChartRenderer
from komae_kpi.outputs.deck import build_meeting_deck
from komae_kpi.outputs.report import build_report
from komae_kpi.store.entries import save_indicator_value
from komae_kpi.views import charts, indicator_views, overview
from tests import html_text
from tests.store_helpers import dump
from tests.test_updates_page import choose_indicator

DASHBOARD = str(PROJECT_ROOT / "dashboard.py")
ESTIMATE = "91.2%（見込）"


pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


@pytest.fixture
def estimated(store: Path) -> Path:
    """経常収支比率 FY2025 as a 決算見込 (beyond its 90.0% bound: 遅れ, 暫定), 市債残高 settled."""
    save_indicator_value(store, 3, 2024, 88.4, source="決算")
    save_indicator_value(store, 3, 2025, 91.2, stage="estimate", source="決算見込")
    save_indicator_value(store, 5, 2025, 165.1, source="決算")
    return store


def open_page(monkeypatch: pytest.MonkeyPatch, db: Path, page: str, **query: str) -> AppTest:
    monkeypatch.setenv(DB_ENV_VAR, str(db))
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.query_params.update({"fy": "2025", **query})
    at.run()
    if page != "pages/overview.py":
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_html(at: AppTest) -> str:
    return "".join(h.value for h in at.html)


# --- view models --------------------------------------------------------------------------------


def test_the_views_mark_the_estimate_and_the_provisional_judgement(estimated: Path) -> None:
    snapshot = load_snapshot(estimated)
    tile = next(t for t in overview.tiles(snapshot, 2025) if t.indicator_no == 3)
    assert (tile.value_text, tile.status_text, tile.provisional) == (
        ESTIMATE,
        "× 遅れ（暫定）",
        True,
    )
    settled = next(t for t in overview.tiles(snapshot, 2025) if t.indicator_no == 5)
    assert "見込" not in settled.value_text and "暫定" not in settled.status_text
    (warning,) = [w for w in overview.gap_warnings(snapshot, 2025) if w.indicator_no == 3]
    assert (
        warning.title.startswith("× 遅れ（暫定）：指標3")
        and f"最新の実績値は{ESTIMATE}" in warning.body
    )
    table = indicator_views.values_table(snapshot, 3, up_to=2025)
    assert table.iloc[0].to_dict() | {} == {
        "年度": "令和7年度 (2025)",
        "実績値": ESTIMATE,
        "区分": "見込",
        "出典": "決算見込",
        "備考": "",
    }
    assert table.iloc[1]["実績値"] == "88.4%" and table.iloc[1]["区分"] == "決算"
    figure = charts.indicator_figure(
        snapshot.plan.indicator(3),
        snapshot.actuals(3),
        indicator_views.assessment_for(snapshot, 3, 2025),
        stages=snapshot.stages(3),
    )
    actual = next(t for t in figure.data if t.name == "実績値")
    assert list(actual.customdata[-1])[:2] == ["令和7年度 (2025)", "（見込）"]
    assert actual.customdata[-2][1] == "" and actual.marker.symbol[-1] == "circle-open"
    assert "%{customdata[1]}" in actual.hovertemplate
    assert "× 遅れ（暫定）" in figure.layout.title.text


# --- pages --------------------------------------------------------------------------------------


def test_the_overview_shows_the_estimate_and_the_provisional_status(
    monkeypatch: pytest.MonkeyPatch, estimated: Path
) -> None:
    at = open_page(monkeypatch, estimated, "pages/overview.py")
    text = html_text.text(page_html(at))
    assert ESTIMATE in text and "× 遅れ（暫定）" in text
    (error,) = [e for e in at.error if "指標3" in str(e.proto.title)]
    assert "（暫定）" in error.proto.title and ESTIMATE in error.value


def test_the_indicator_and_finance_pages_show_the_estimate_and_the_provisional_status(
    monkeypatch: pytest.MonkeyPatch, estimated: Path
) -> None:
    at = open_page(monkeypatch, estimated, "pages/indicators.py", indicator="3")
    text = html_text.text(page_html(at))
    assert "× 遅れ（暫定）" in text and f"実績値{ESTIMATE}が目標" in text
    assert "見込値による暫定の判定です" in text
    values = html_text.tables(page_html(at))["経常収支比率の実績値と出典"]
    assert values[0] == ["年度", "実績値", "区分", "出典", "備考"]
    assert values[1][:3] == ["令和7年度 (2025)", ESTIMATE, "見込"]
    history = html_text.tables(page_html(at))["変更履歴"]
    assert "区分" in history[0] and any(ESTIMATE in row for row in history[1:])
    at = open_page(monkeypatch, estimated, "pages/finance.py")
    text = html_text.text(page_html(at))
    assert "× 遅れ（暫定）" in text and ESTIMATE in text


def test_the_form_offers_the_stage_settled_by_default_and_refuses_an_estimate_over_a_settled_value(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    at = open_page(monkeypatch, store, "pages/updates.py")
    choose_indicator(at, 3)
    (stage,) = [r for r in at.radio if r.label == "区分"]
    assert stage.options == ["見込", "決算", "確定"] and stage.value == "settled"
    next(t for t in at.text_input if t.label.startswith("令和7年度 (2025)の実績値")).input("89.6")
    next(b for b in at.button if b.label == "保存する").click().run()
    assert [s.value for s in at.success] == ["保存しました。"]
    found = load_snapshot(store).indicator_value(3, 2025)
    assert found is not None and found.stage == "settled"
    before = dump(store)
    next(t for t in at.text_input if t.label.startswith("令和7年度 (2025)の実績値")).input("91.2")
    next(r for r in at.radio if r.label == "区分").set_value("estimate")
    next(b for b in at.button if b.label == "保存する").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["保存できません（問題が1件）。何も書き込んでいません。"]
    assert (
        "令和7年度の経常収支比率は決算値（89.6%）が入力済みのため、見込値では置き換えません。"
        in html_text.text(page_html(at))
    )
    assert dump(store) == before


# --- the report and the deck ----------------------------------------------------------------------


def test_the_report_shows_the_estimate_and_the_provisional_status(estimated: Path) -> None:
    html = build_report(load_snapshot(estimated), 2025, lambda f, width, height: b"").html
    rows = {row[0]: row for row in html_text.tables(html)["0"]}  # the summary table comes first
    assert rows["3 経常収支比率"][2:] == [ESTIMATE, "90.0%以下", "× 遅れ（暫定）"]
    assert rows["5 市債残高"][2] == "165.1億円"
    assert "（見込）は決算見込・速報などの見込値です。" in html
    assert '<p class="status">× 遅れ（暫定）　維持目標' in html
    assert "令和7年度 91.2%（見込））" in html  # the chart's alt text
    assert (
        f"<p>実績値{ESTIMATE}が目標（90.0%以下）を外れています。見込値による暫定の判定です" in html
    )


def test_a_report_without_estimates_has_no_stage_note(store: Path) -> None:
    save_indicator_value(store, 3, 2025, 89.6)
    html = build_report(load_snapshot(store), 2025, lambda f, width, height: b"").html
    assert "見込）" not in html and "暫定）" not in html


class _PlainImages(ChartRenderer):
    """Charts as a blank image: the deck's text is what these tests read, without a browser."""

    def image(self, *args: object, **kwargs: object) -> bytes:
        buffer = io.BytesIO()
        Image.new("RGB", (8, 6), "white").save(buffer, format="PNG")
        self.rendered += 1
        return buffer.getvalue()


def test_the_deck_shows_the_estimate_and_the_provisional_status(estimated: Path) -> None:
    data = build_meeting_deck(load_snapshot(estimated), 2025, _PlainImages())
    deck = Presentation(io.BytesIO(data))
    overview_slide, ratio_slide = deck.slides[1], deck.slides[2]
    (table,) = [s.table for s in overview_slide.shapes if s.has_table]
    row = next(r for r in table.rows if r.cells[0].text == "3")
    # （暫定） on a line of its own: the narrow column breaks there, never inside a word.
    assert row.cells[2].text == "× 遅れ\n（暫定）" and row.cells[3].text == ESTIMATE
    notes = "\n".join(s.text_frame.text for s in overview_slide.shapes if s.has_text_frame)
    assert "（見込）は決算見込・速報などの見込値です。" in notes
    assert ratio_slide.shapes.title is not None
    assert ratio_slide.shapes.title.text.startswith("× 遅れ（暫定）：指標3")
    ratio_text = "\n".join(s.text_frame.text for s in ratio_slide.shapes if s.has_text_frame)
    figures = next(s.table for s in ratio_slide.shapes if s.has_table)
    assert [c.text for c in figures.rows[1].cells] == ["実績値", ESTIMATE]
    assert "見込値による暫定の判定です" in ratio_text
