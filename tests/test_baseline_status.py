"""The plan's baseline year is the 現状値, never 順調: the status and every output that shows it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import get_args

import pytest

from komae_kpi.cli import main
from komae_kpi.common.clock import TODAY_ENV
from komae_kpi.common.errors import KomaeKpiError
from komae_kpi.common.stages import PROVISIONAL_STAGE
from komae_kpi.judgement.indicator_status import (
    STATUS_ICONS,
    STATUS_LABELS,
    StatusCode,
    assess,
)
from komae_kpi.judgement.progress import Snapshot, assess_all, load_snapshot, status_records
from komae_kpi.outputs.deck import build_meeting_deck
from komae_kpi.outputs.deck.layout import Cell
from komae_kpi.outputs.deck.slides import _overview_rows
from komae_kpi.outputs.report.content import _indicator_table, report_year_problem
from komae_kpi.plan.model import JudgementRule
from komae_kpi.views import charts, indicator_views, overview
from komae_kpi.views.status_style import STATUS_BADGE, STATUS_HEX, indicator_status_text
from tests.model_helpers import make_indicator

RULE = JudgementRule(indicator_no=1, path_tolerance=0.5, headroom_margin=1.0, basis="テスト")
BASELINE_YEAR = 2023
ON_TRACK = indicator_status_text("on_track")  # '○ 順調'


def test_every_status_has_a_word_an_icon_a_colour_and_a_badge() -> None:
    codes = set(get_args(StatusCode))
    assert "baseline" in codes
    for table in (STATUS_LABELS, STATUS_ICONS, STATUS_HEX, STATUS_BADGE):
        assert set(table) == codes
    assert indicator_status_text("baseline") == "□ 現状値"
    assert STATUS_BADGE["baseline"] not in (STATUS_BADGE["on_track"], STATUS_BADGE["no_data"])


@pytest.mark.parametrize(
    ("baseline", "target", "comparator"),
    [(70.0, 82.0, ">="), (170.0, 158.0, "<="), (87.3, 90.0, "<="), (22.3, 20.0, ">=")],
    ids=["up", "down", "ceiling", "floor"],
)
def test_the_baseline_year_is_the_baseline_for_every_kind(
    baseline: float, target: float, comparator: str
) -> None:
    x = make_indicator(baseline, target, comparator)  # type: ignore[arg-type]
    for actuals in ({}, {BASELINE_YEAR: baseline}, {2020: baseline - 1, BASELINE_YEAR: baseline}):
        result = assess(x, RULE, actuals, BASELINE_YEAR)
        assert result.status == "baseline" and result.label == "現状値"
        assert result.latest_fiscal_year == BASELINE_YEAR and result.latest_value == baseline
    assert result.reason.startswith("令和5年度 (2023)は計画の現状値の年度です（")
    assert "令和6年度 (2024)以降の実績" in result.reason and "順調" not in result.reason
    # The next year is judged as before.
    assert assess(x, RULE, {2024: baseline}, 2024).status != "baseline"


def test_a_baseline_year_estimate_is_not_a_provisional_judgement() -> None:
    x = make_indicator(87.3, 90.0, "<=")
    result = assess(x, RULE, {2023: 87.5}, 2023, {2023: PROVISIONAL_STAGE})
    assert result.status == "baseline" and not result.provisional
    assert "暫定" not in result.reason


@pytest.fixture
def snapshot(store: Path) -> Snapshot:
    return load_snapshot(store)


def test_status_json_gives_baseline_for_the_baseline_year(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--db", str(store), "--fiscal-year", "令和5年度", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == 8
    assert {(r["status"], r["status_label"]) for r in records} == {("baseline", "現状値")}
    assert not any(r["provisional"] for r in records)


def test_status_text_for_the_baseline_year_says_genjochi_not_junchou(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--db", str(store), "--fiscal-year", "2023"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("令和5年度 (2023) の指標の状況")
    assert out.count("[現状値]") == 8
    assert "[順調]" not in out and "[達成]" not in out


def test_status_defaults_to_the_due_year_not_the_latest_with_data(
    store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TODAY_ENV, "2026-11-30")  # FY2025 is due; the empty store has only FY2023
    assert main(["status", "--db", str(store), "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {r["fiscal_year"] for r in records} == {2025}
    assert {r["status"] for r in records} == {"no_data"}
    monkeypatch.setenv(TODAY_ENV, "2026-03-31")  # the day before FY2025's actuals are due
    assert main(["status", "--db", str(store), "--json"]) == 0
    assert {r["fiscal_year"] for r in json.loads(capsys.readouterr().out)} == {2024}


def test_every_output_of_the_baseline_year_says_genjochi(snapshot: Snapshot) -> None:
    """Pages (the tiles; the summaries of the indicator page and the finance cards; the table of
    all indicators), charts, the report's table and the deck's overview rows, for the baseline
    year: 現状値 everywhere, 順調 nowhere."""
    assessments = assess_all(snapshot, BASELINE_YEAR)
    assert {a.status for a in assessments} == {"baseline"}
    shown: list[str] = []
    for tile in overview.tiles(snapshot, BASELINE_YEAR):
        assert tile.status == "baseline" and tile.badge_color == "neutral"
        shown.append(tile.status_text)
    for a in assessments:
        summary = indicator_views.summary(snapshot, a.indicator_no, BASELINE_YEAR)
        shown.append(summary.status_text)
        figure = charts.indicator_figure(a.indicator, snapshot.actuals(a.indicator_no), a)
        shown.append(str(figure.layout.title.text))
    shown.extend(indicator_views.all_indicators_table(snapshot, BASELINE_YEAR)["状況"])
    report = _indicator_table(snapshot, BASELINE_YEAR, assessments)
    shown.extend(row[-1] for row in report.rows)
    deck = _overview_rows(snapshot, BASELINE_YEAR, assessments, 13)
    cells = [row[2] for row in deck]
    shown.extend(str(c.paragraphs[0]) for c in cells if isinstance(c, Cell))
    assert len(shown) == 8 * 6
    for text in shown:
        assert "□ 現状値" in text, text
        assert ON_TRACK not in text and "順調" not in text, text
    # No overview warning and no all-clear: the year is the 現状値, not judged.
    assert overview.gap_warnings(snapshot, BASELINE_YEAR) == []
    notice = overview.indicator_notice(snapshot, BASELINE_YEAR, dt.date(2026, 11, 30))
    assert notice is not None and notice.level == "info"
    assert notice.text.startswith("令和5年度 (2023)は計画の現状値の年度です。")


def test_the_report_and_deck_are_made_for_plan_years_only(snapshot: Snapshot) -> None:
    # So the 現状値 of the baseline year reaches them only through the functions tested above.
    assert report_year_problem(BASELINE_YEAR) is not None
    with pytest.raises(KomaeKpiError):
        build_meeting_deck(snapshot, BASELINE_YEAR, renderer=None)  # type: ignore[arg-type]


def test_status_records_of_a_plan_year_never_say_baseline(snapshot: Snapshot) -> None:
    assert "baseline" not in {r["status"] for r in status_records(snapshot, 2025)}
