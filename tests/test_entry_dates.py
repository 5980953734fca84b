"""Only finished years are actual results: a 決算 or 確定 from the day its indicator's count exists
(Indicator.actual_enterable_from), a 見込 from the fiscal year's start; the form, imports, approvals
and the command line all refuse earlier ones (store/entry_rules.py). Today is set through
KOMAE_KPI_TODAY."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from komae_kpi.common.clock import TODAY_ENV
from komae_kpi.common.errors import ValidationError
from komae_kpi.imports.importer import ImportSource, apply_import, preview_import
from komae_kpi.judgement.approvals import approve
from komae_kpi.judgement.progress import load_snapshot
from komae_kpi.store.entries import save_indicator_value
from komae_kpi.store.user_admin import save_user
from komae_kpi.views.review_views import waiting_rows
from tests.store_helpers import dump
from tests.test_cli import run

FY2026_ACTUAL = "指標1 令和8年度の実績は令和9年4月1日から入力できます。"
DURING_THE_YEAR = "それまでは区分「見込」で入力できます。"


def on(monkeypatch: pytest.MonkeyPatch, day: str) -> None:
    monkeypatch.setenv(TODAY_ENV, day)


def refused_save(
    store: Path, indicator_no: int, year: int, value: float, **kwargs: Any
) -> list[str]:
    """Why the form's save of this actual is refused (it must be)."""
    with pytest.raises(ValidationError) as refused:
        save_indicator_value(store, indicator_no, year, value, user="A", **kwargs)
    return refused.value.problems


def src(name: str, text: str) -> ImportSource:
    return ImportSource(name=name, data=text.encode("utf-8"))


# --- the form's path ------------------------------------------------------------------------------


def test_a_settled_actual_is_refused_before_its_year_has_ended(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch, "2027-03-31")
    before = dump(store)
    assert refused_save(store, 1, 2026, 72.0, source="市民意識調査") == [
        FY2026_ACTUAL + DURING_THE_YEAR
    ]
    assert refused_save(store, 1, 2026, 72.0, stage="final") == [FY2026_ACTUAL + DURING_THE_YEAR]
    assert dump(store) == before


def test_a_settled_actual_is_accepted_on_the_day_it_can_be_entered(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch, "2027-04-01")
    assert save_indicator_value(store, 1, 2026, 72.0, source="市民意識調査", user="A")
    # 指標2 is counted on 1 April: its FY2026 count is that of 2027-04-01, enterable that day.
    assert save_indicator_value(store, 2, 2026, 70.0, user="A")
    assert load_snapshot(store).indicator_value(2, 2026) is not None


def test_an_april_first_indicator_is_refused_the_day_before_its_count(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch, "2027-03-31")
    assert refused_save(store, 2, 2026, 70.0) == [
        "指標2 令和8年度の実績は令和9年4月1日から入力できます。" + DURING_THE_YEAR
    ]


def test_an_estimate_is_accepted_during_the_year(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch, "2026-11-30")
    assert save_indicator_value(store, 1, 2026, 72.0, stage="estimate", user="A")
    # From the year's first day.
    on(monkeypatch, "2027-04-01")
    assert save_indicator_value(store, 1, 2027, 72.5, stage="estimate", user="A")


def test_nothing_is_entered_for_a_year_that_has_not_begun(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch, "2027-03-31")
    before = dump(store)
    assert refused_save(store, 1, 2027, 72.5, stage="estimate") == [
        "指標1 令和9年度の見込は令和9年4月1日から入力できます（年度が始まる前の見込は入力できません）。"
    ]
    assert refused_save(store, 1, 2027, 72.5) == [
        "指標1 令和9年度の実績は令和10年4月1日から入力できます。"
    ]
    assert dump(store) == before


# --- imports --------------------------------------------------------------------------------------


def test_an_import_lists_every_row_of_an_unfinished_year_and_writes_nothing(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch, "2026-11-30")
    text = (
        "指標,年度,実績値,区分\n"
        "1,2025,72.9,決算\n"  # FY2025 has ended: fine
        "1,2026,73.0,決算\n"
        "4,2026,21.0,見込\n"  # an estimate during the year: fine
        "4,R11,20.0,見込\n"
        "5,令和11年度,160.0,\n"
    )
    sources = [src("a.csv", text)]
    preview = preview_import(store, sources)
    assert preview.problems == (
        "a.csv 3行目 D列「区分」の「決算」: " + FY2026_ACTUAL + DURING_THE_YEAR,
        "a.csv 5行目 D列「区分」の「見込」: 指標4 令和11年度の見込は令和11年4月1日から入力できます"
        "（年度が始まる前の見込は入力できません）。",
        "a.csv 6行目 D列「区分」: 指標5 令和11年度の実績は令和12年4月1日から入力できます。",
    )
    before = dump(store)
    with pytest.raises(ValidationError):
        apply_import(store, sources, user="A")
    assert dump(store) == before


def test_an_import_without_a_stage_column_names_the_year(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch, "2026-11-30")
    preview = preview_import(store, [src("a.csv", "指標,年度,実績値\n1,令和8年度,73.0\n")])
    assert preview.problems == (
        "a.csv 2行目 B列「年度」の「令和8年度」: " + FY2026_ACTUAL + DURING_THE_YEAR,
    )
    on(monkeypatch, "2027-04-01")
    assert preview_import(store, [src("a.csv", "指標,年度,実績値\n1,令和8年度,73.0\n")]).ok


# --- approvals ------------------------------------------------------------------------------------


def test_a_waiting_actual_of_an_unfinished_year_cannot_be_approved(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, finance, approver = (
        "admin@city.komae.lg.jp",
        "zaisei@city.komae.lg.jp",
        "shonin@city.komae.lg.jp",
    )
    save_user(store, email=admin, role="管理者", user="setup")
    save_user(store, email=finance, role="部署担当", departments=["財政課"], user=admin)
    save_user(store, email=approver, role="承認者", user=admin)
    # Submitted as a 決算 when that was allowed (a rehearsal's date, or a previous version)…
    on(monkeypatch, "2027-04-01")
    save_indicator_value(store, 4, 2026, 23.0, source="決算", user=finance)
    # … and not approved while the year has not ended.
    on(monkeypatch, "2026-11-30")
    before = dump(store)
    with pytest.raises(ValidationError) as refused:
        approve(store, [1], user=approver)
    (problem,) = refused.value.problems
    assert "指標4 令和8年度の実績は令和9年4月1日から入力できます。" in problem
    # The approver's page says so beside the submission.
    (row,) = waiting_rows(load_snapshot(store))
    assert row.stage_refusal is not None and "令和9年4月1日から" in row.stage_refusal
    assert problem.endswith("差し戻してください。")
    assert dump(store) == before
    on(monkeypatch, "2027-04-01")
    assert len(approve(store, [1], user=approver).approved) == 1


# --- the command line -----------------------------------------------------------------------------


def test_the_import_command_refuses_with_every_reason_and_exit_code_1(
    store: Path, tmp_path: Path
) -> None:
    file = tmp_path / "実績.csv"
    file.write_text("指標,年度,実績値\n1,令和8年度,73.0\n3,H22,10.0\n4,2025,21.0\n", "utf-8")
    before = dump(store)
    result = run("import", str(file), "--db", str(store), env={TODAY_ENV: "2026-11-30"})
    assert result.returncode == 1
    assert "問題が2件あるため、取り込みませんでした（ストアは変更していません）" in result.stderr
    assert f"実績.csv 2行目 B列「年度」の「令和8年度」: {FY2026_ACTUAL}" in result.stderr
    assert (
        "実績.csv 3行目 C列「実績値」の「10.0」: 指標3 平成22年度の値 91.1% は公表値です"
        "（出典: 総務省 主要財政指標一覧 H22）。" in result.stderr
    )
    assert "Traceback" not in result.stderr
    assert dump(store) == before
