"""Published figures are facts: the plan's baselines and the shipped history (with their sources)
are changed neither from the form nor by import nor by approval, and init puts back any a previous
version let users change (store/entry_rules.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from komae_kpi.common.clock import TODAY_ENV
from komae_kpi.common.errors import ValidationError
from komae_kpi.imports.importer import ImportSource, apply_import, preview_import
from komae_kpi.judgement.approvals import approve
from komae_kpi.plan.model import IndicatorValue
from komae_kpi.store import queries
from komae_kpi.store.connection import INIT_USER, connect, init_store, transaction
from komae_kpi.store.entries import save_indicator_value
from komae_kpi.store.record_changes import PUBLISHED_RESTORE_REASON, load_history
from komae_kpi.store.user_admin import save_user
from tests.store_helpers import dump, overwrite_published
from tests.test_cli import run

# As the shipped history (data/history/indicator_values.csv) and the plan publish them.
RATIO_2023 = (
    "指標3 令和5年度の値 87.3% は公表値です（出典: 総務省 主要財政指標一覧 R5）。変更できません"
)
RATIO_2010 = "指標3 平成22年度の値 91.1% は公表値です（出典: 総務省 主要財政指標一覧 H22）。"
HISTORY_FIX = "公表値の訂正は data/history/ の修正として行ってください。"
BASELINE_1 = (
    "指標1 令和5年度の値 71.4% は公表値です"
    "（出典: 狛江市第7次行財政改革推進計画（令和7年12月） 現状値）。"
)
PLAN_FIX = "公表値の訂正は data/plan/indicators.csv の修正として行ってください。"


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixed day, so that FY2025 actuals may be entered and FY2026 ones not yet."""
    monkeypatch.setenv(TODAY_ENV, "2026-11-30")


def values(store: Path) -> dict[tuple[int, int], IndicatorValue]:
    with connect(store, read_only=True) as con:
        return {(v.indicator_no, v.fiscal_year): v for v in queries.read_indicator_values(con)}


def src(name: str, text: str) -> ImportSource:
    return ImportSource(name=name, data=text.encode("utf-8"))


# --- the form's path ------------------------------------------------------------------------------


def test_the_form_cannot_change_a_shipped_figure_keeping_its_source(store: Path) -> None:
    before = dump(store)
    with pytest.raises(ValidationError) as refused:
        save_indicator_value(store, 3, 2023, 50.0, source="総務省 主要財政指標一覧", user="A")
    (problem,) = refused.value.problems
    assert problem.startswith(RATIO_2023) and problem.endswith(HISTORY_FIX)
    assert "（入力: 50.0%）" in problem
    assert dump(store) == before


def test_the_form_cannot_change_a_plan_baseline(store: Path) -> None:
    before = dump(store)
    with pytest.raises(ValidationError) as refused:
        save_indicator_value(store, 1, 2023, 71.5, user="A")
    (problem,) = refused.value.problems
    assert problem.startswith(BASELINE_1) and problem.endswith(PLAN_FIX)
    assert dump(store) == before


def test_the_form_saving_a_published_value_again_changes_nothing(store: Path) -> None:
    before = dump(store)
    assert not save_indicator_value(store, 3, 2023, 87.3, source="別の出典", note="x", user="A")
    assert not save_indicator_value(store, 1, 2023, 71.40, stage="final", user="A")
    assert dump(store) == before


# --- imports --------------------------------------------------------------------------------------


def test_an_import_cannot_replace_the_ministrys_figure(store: Path) -> None:
    before = dump(store)
    sources = [src("訂正.csv", "指標,年度,実績値\n3,H22,10.0\n")]
    preview = preview_import(store, sources)
    assert preview.problems == (
        f"訂正.csv 2行目 C列「実績値」の「10.0」: {RATIO_2010}変更できません（入力: 10.0%）。"
        + HISTORY_FIX,
    )
    with pytest.raises(ValidationError):
        apply_import(store, sources, user="A")
    assert dump(store) == before
    assert values(store)[(3, 2010)].value == 91.1


def test_an_import_lists_every_published_figure_it_would_change_and_writes_nothing(
    store: Path,
) -> None:
    before = dump(store)
    text = (
        "指標,年度,実績値,出典\n"
        "4,2025,21.0,決算\n"  # fine on its own
        "3,平成22年度,10.0,総務省\n"
        "1,令和5年度,71.5,\n"
        "3,2023,87.3,別の出典\n"  # the published value: unchanged, not a problem
        "3,R5,87.4,\n"
    )
    sources = [src("a.csv", text)]
    preview = preview_import(store, sources)
    assert [p.split(": ")[0] for p in preview.problems] == [
        "a.csv 3行目 C列「実績値」の「10.0」",
        "a.csv 4行目 C列「実績値」の「71.5」",
        "a.csv 6行目 C列「実績値」の「87.4」",
    ]
    assert RATIO_2010 in preview.problems[0] and BASELINE_1 in preview.problems[1]
    assert RATIO_2023 in preview.problems[2]
    with pytest.raises(ValidationError) as refused:
        apply_import(store, sources, user="A")
    assert refused.value.problems == list(preview.problems)
    assert dump(store) == before


def test_a_file_row_carrying_the_published_value_is_unchanged(store: Path) -> None:
    before = dump(store)
    sources = [src("a.csv", "指標,年度,実績値,出典,備考\n3,H22,91.10,別,メモ\n1,R5,71.4,,\n")]
    preview = preview_import(store, sources)
    assert preview.ok
    assert [c.action for c in preview.changes] == ["unchanged", "unchanged"]
    assert apply_import(store, sources, user="A").written == 0
    assert dump(store) == before


# --- approvals ------------------------------------------------------------------------------------


def test_a_waiting_submission_changing_a_published_figure_cannot_be_approved(
    store: Path,
) -> None:
    save_user(store, email="admin@city.komae.lg.jp", role="管理者", user="setup")
    save_user(store, email="shonin@city.komae.lg.jp", role="承認者", user="admin@city.komae.lg.jp")
    # Submitted under a previous version, which let anyone change a published figure.
    with connect(store, read_only=False) as con, transaction(con):
        con.execute(
            "INSERT INTO submissions (submission_id, record_kind, subject_no, fiscal_year,"
            " content, state, method, submitted_at, submitted_by) VALUES"
            " (1, 'indicator_value', 3, 2023, ?, 'submitted', 'form', now(), 'zaisei')",
            ['{"note": null, "source": "総務省", "stage": "settled", "value": 50.0}'],
        )
    before = dump(store)
    with pytest.raises(ValidationError) as refused:
        approve(store, [1], user="shonin@city.komae.lg.jp")
    (problem,) = refused.value.problems
    assert problem.startswith("提出番号1（") and RATIO_2023 in problem
    assert problem.endswith("差し戻してください。")
    assert dump(store) == before


# --- init puts back what a previous version let users change --------------------------------------


def test_init_restores_a_changed_published_figure_logs_it_and_keeps_other_entries(
    store: Path,
) -> None:
    overwrite_published(store, 3, 2010, 10.0, source="総務省 主要財政指標一覧 H22", user="財政課")
    overwrite_published(store, 1, 2023, 50.0, source="市民意識調査", user="財政課")
    save_indicator_value(store, 4, 2025, 21.0, source="決算", user="財政課")
    assert values(store)[(3, 2010)].value == 10.0

    report = init_store(store)

    got = values(store)
    assert got[(3, 2010)].value == 91.1 and got[(3, 2010)].source == "総務省 主要財政指標一覧 H22"
    assert got[(1, 2023)].value == 71.4
    assert got[(4, 2025)].value == 21.0  # the user's other row: untouched
    assert report.user_values == 1
    assert [(b.value, a.value) for b, a in report.restored] == [(50.0, 71.4), (10.0, 91.1)]
    restores = [e for e in load_history(store) if e.changed_by == INIT_USER]
    assert {(e.subject_no, e.fiscal_year, e.field, e.old_value, e.new_value) for e in restores} == {
        (3, 2010, "value", "10.0", "91.1"),
        (1, 2023, "value", "50.0", "71.4"),
        (1, 2023, "source", "市民意識調査", "狛江市第7次行財政改革推進計画（令和7年12月） 現状値"),
    }
    assert {(e.method, e.action, e.comment) for e in restores} == {
        ("restore", "update", PUBLISHED_RESTORE_REASON)
    }
    with connect(store, read_only=True) as con:
        origin = con.execute(
            "SELECT origin FROM indicator_values WHERE indicator_no = 3 AND fiscal_year = 2010"
        ).fetchall()
    assert origin == [("shipped",)]  # shipped again: init follows the files for it
    # A second init finds nothing to put back and changes nothing.
    after = dump(store)
    assert init_store(store).restored == ()
    assert dump(store) == after


def test_the_init_command_says_what_it_put_back(store: Path) -> None:
    overwrite_published(store, 3, 2010, 10.0, source="総務省", user="財政課")
    result = run("init", "--db", str(store))
    assert result.returncode == 0, result.stderr
    assert "公表値に戻した実績値: 1件" in result.stdout
    assert "指標3 平成22年度: 10.0 → 91.1（出典: 総務省 主要財政指標一覧 H22）" in result.stdout
