"""Stages of a value (issue 12): 見込 < 決算 < 確定, their words, the rule that an earlier stage never
replaces a later one in force (form, import, approval, restore), the history, the judgement (暫定)
and the migration of a store made before stages existed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from komae_kpi.common import formatting, stages
from komae_kpi.common.errors import ValidationError
from komae_kpi.imports.importer import ImportSource, apply_import, preview_import
from komae_kpi.judgement.approvals import approve
from komae_kpi.judgement.indicator_status import assess
from komae_kpi.judgement.progress import load_snapshot, status_records
from komae_kpi.outputs.export import export_open_data
from komae_kpi.plan.model import IndicatorValue, JudgementRule
from komae_kpi.plan.plan_files import load_history, load_plan
from komae_kpi.store.backups import backup_store, restore_store
from komae_kpi.store.connection import connect, init_store
from komae_kpi.store.entries import save_indicator_value
from komae_kpi.store.record_changes import load_history as load_change_history
from komae_kpi.store.review import read_submissions
from komae_kpi.store.user_admin import save_user
from komae_kpi.views.change_views import history_rows
from komae_kpi.views.entry_views import preview_table
from komae_kpi.views.review_views import review_rows
from tests.model_helpers import make_indicator
from tests.store_helpers import dump, init_store_of_schema

REFUSAL = "令和7年度の経常収支比率は決算値（89.6%）が入力済みのため、見込値では置き換えません。"


def src(name: str, text: str) -> ImportSource:
    return ImportSource(name=name, data=text.encode("utf-8"))


def stored(path: Path, indicator_no: int, year: int) -> IndicatorValue | None:
    return load_snapshot(path).indicator_value(indicator_no, year)


# --- the stages themselves ----------------------------------------------------------------------


def test_the_stages_are_ordered_estimate_settled_final() -> None:
    assert stages.STAGES == ("estimate", "settled", "final")
    assert [stages.label(s) for s in stages.STAGES] == ["見込", "決算", "確定"]
    assert [stages.rank(s) for s in stages.STAGES] == [0, 1, 2]
    assert stages.DEFAULT_STAGE == "settled"


@pytest.mark.parametrize(
    ("written", "stage"),
    [
        ("見込", "estimate"),
        ("決算見込", "estimate"),
        ("速報", "estimate"),
        ("　見込み ", "estimate"),  # full-width space, trailing space
        ("Estimate", "estimate"),
        ("決算", "settled"),
        ("settled", "settled"),
        ("確定", "final"),
        ("ＦＩＮＡＬ", "final"),
    ],
)
def test_the_words_for_each_stage(written: str, stage: str) -> None:
    assert stages.parse(written) == stage


@pytest.mark.parametrize("written", ["", "予算", "見込決算", "暫定", "settle"])
def test_other_words_are_no_stage(written: str) -> None:
    assert stages.parse(written) is None


def test_the_same_or_a_later_stage_replaces_an_earlier_one_never() -> None:
    allowed = {(new, old) for new in stages.STAGES for old in stages.STAGES}
    assert {(n, o) for n, o in allowed if stages.replaces(n, o)} == {
        ("estimate", "estimate"),
        ("settled", "estimate"),
        ("settled", "settled"),
        ("final", "estimate"),
        ("final", "settled"),
        ("final", "final"),
    }


def test_an_estimate_is_shown_as_such_and_the_others_plain() -> None:
    assert formatting.with_stage(91.2, "%", "estimate") == "91.2%（見込）"
    assert formatting.with_stage(91.0, "%", "settled") == "91.0%"
    assert formatting.with_stage(91.0, "%", "final") == "91.0%"
    assert formatting.with_stage(-0.5, "億円", "estimate", official=True) == "△0.5億円（見込）"
    assert formatting.with_stage(None, "%", "estimate") == "－"


# --- the judgement ------------------------------------------------------------------------------

RULE = JudgementRule(indicator_no=1, path_tolerance=None, headroom_margin=1.0, basis="試験")
CEILING = make_indicator(87.3, 90.0, "<=")


def test_a_judgement_on_an_estimate_is_provisional_and_says_so() -> None:
    actuals = {2024: 88.0, 2025: 88.5}
    judged = assess(CEILING, RULE, actuals, 2025, {2025: "estimate"})
    assert judged.stage == "estimate" and judged.provisional
    assert judged.provisional_mark == "（暫定）"
    assert judged.latest_text == "88.5%（見込）"
    assert "実績値88.5%（見込）は目標" in judged.reason
    assert judged.reason.endswith(
        "見込値による暫定の判定です（決算値が入力されると、判定が変わることがあります）。"
    )
    settled = assess(CEILING, RULE, actuals, 2025, {2024: "estimate"})
    assert settled.stage == "settled" and not settled.provisional
    assert settled.latest_text == "88.5%" and "（見込）" not in settled.reason
    # Without stages every value is settled, the plan's baseline too.
    assert assess(CEILING, RULE, {}, 2023).stage == "settled"


def test_a_year_without_an_actual_is_not_provisional_though_its_latest_value_is_an_estimate() -> (
    None
):
    judged = assess(CEILING, RULE, {2024: 88.0}, 2025, {2024: "estimate"})
    assert judged.status == "no_data" and judged.stage == "estimate"
    assert not judged.provisional and judged.latest_text == "88.0%（見込）"


def test_status_json_carries_the_stage_beside_the_agreed_columns(store: Path) -> None:
    save_indicator_value(store, 3, 2025, 88.5, stage="estimate")
    save_indicator_value(store, 4, 2025, 22.0)
    records = {r["indicator_no"]: r for r in status_records(load_snapshot(store), 2025)}
    keys = list(records[3])
    assert keys[10:12] == ["stage", "provisional"]  # right after the ten agreed columns
    assert (records[3]["stage"], records[3]["provisional"]) == ("見込", True)
    assert (records[4]["stage"], records[4]["provisional"]) == ("決算", False)
    # No actual for FY2025: the latest value is the settled baseline; not judged, not provisional.
    assert (records[1]["stage"], records[1]["provisional"]) == ("決算", False)


def test_the_status_command_marks_the_estimate_and_the_provisional_judgement(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from komae_kpi.cli import main

    save_indicator_value(store, 3, 2025, 88.5, stage="estimate")
    assert main(["status", "--db", str(store), "--fiscal-year", "2025"]) == 0
    out = capsys.readouterr().out
    block = out.split("\n3. ")[1].split("\n4. ")[0]
    assert "（暫定）]" in block and "最新の実績値 88.5%（見込）" in block
    assert main(["status", "--db", str(store), "--fiscal-year", "2025", "--json"]) == 0
    (ratio,) = [r for r in json.loads(capsys.readouterr().out) if r["indicator_no"] == 3]
    assert (ratio["stage"], ratio["provisional"], ratio["latest_value"]) == ("見込", True, 88.5)


# --- the rule, in every write -------------------------------------------------------------------


def test_a_form_refuses_an_estimate_over_a_settled_value_and_writes_nothing(store: Path) -> None:
    save_indicator_value(store, 3, 2025, 89.6)
    before = dump(store)
    with pytest.raises(ValidationError) as refused:
        save_indicator_value(store, 3, 2025, 91.2, stage="estimate")
    assert refused.value.problems == [REFUSAL]
    assert dump(store) == before


def test_the_same_or_a_later_stage_replaces_the_value_in_force(store: Path) -> None:
    save_indicator_value(store, 3, 2025, 91.2, stage="estimate", source="決算見込")
    assert save_indicator_value(store, 3, 2025, 91.5, stage="estimate")  # a newer 見込
    assert save_indicator_value(store, 3, 2025, 91.0, source="決算")  # the 決算 arrives
    assert save_indicator_value(store, 3, 2025, 90.9, stage="final", source="確定")
    found = stored(store, 3, 2025)
    assert found is not None and (found.value, found.stage) == (90.9, "final")
    with pytest.raises(
        ValidationError, match=re.escape("確定値（90.9%）が入力済みのため、決算値では")
    ):
        save_indicator_value(store, 3, 2025, 91.0)


def test_the_history_keeps_every_stage_with_its_date_and_source(store: Path) -> None:
    save_indicator_value(store, 3, 2025, 91.2, stage="estimate", source="決算見込", user="A")
    save_indicator_value(store, 3, 2025, 91.0, source="決算", user="B")
    entries = load_change_history(store, kind="indicator_value", subject_no=3, fiscal_year=2025)
    logged = sorted((e.change_id, e.field, e.old_value, e.new_value, e.stage) for e in entries)
    assert logged == [
        (1, "source", None, "決算見込", "estimate"),
        (1, "value", None, "91.2", "estimate"),
        (2, "source", "決算見込", "決算", "settled"),
        (2, "stage", "estimate", "settled", "settled"),
        (2, "value", "91.2", "91.0", "settled"),
    ]
    rows = {
        (r.changed_by, r.field): r
        for r in history_rows(load_snapshot(store).plan, entries)  # as the pages and CLI show it
    }
    assert (rows["A", "実績値"].after, rows["A", "実績値"].stage) == ("91.2%（見込）", "見込")
    assert (rows["B", "実績値"].before, rows["B", "実績値"].after) == ("91.2%（見込）", "91.0%")
    assert (rows["B", "区分"].before, rows["B", "区分"].after) == ("見込", "決算")


def test_the_history_command_shows_the_stage_of_each_value_change(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from komae_kpi.cli import main

    save_indicator_value(store, 3, 2025, 91.2, stage="estimate", user="A")
    assert main(["history", "--db", str(store), "--indicator", "3"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert "実績値 追加: － → 91.2%（見込）（区分: 見込）" in line


ADMIN = "admin@city.komae.lg.jp"
APPROVER = "shonin@city.komae.lg.jp"
FINANCE = "zaisei@city.komae.lg.jp"


def _users(store: Path) -> None:
    save_user(store, email=ADMIN, role="管理者", user="setup")
    save_user(store, email=APPROVER, role="承認者", user=ADMIN)
    save_user(store, email=FINANCE, role="部署担当", departments=["財政課"], user=ADMIN)


def test_an_estimate_waiting_when_the_settled_value_came_into_force_cannot_be_approved(
    store: Path,
) -> None:
    empty = backup_store(store)
    save_indicator_value(store, 3, 2025, 89.6)
    settled = backup_store(store)
    restore_store(store, empty)
    _users(store)
    save_indicator_value(store, 3, 2025, 91.2, stage="estimate", user=FINANCE)  # submission 1
    save_indicator_value(store, 4, 2025, 22.0, user=FINANCE)  # submission 2
    # Meanwhile the 決算 comes back into force (an administrator restores it).
    assert restore_store(store, settled, user=ADMIN).written == 1
    (waiting,) = [r for r in review_rows(load_snapshot(store)) if r.submission_id == 1]
    assert waiting.stage_refusal == REFUSAL
    before = dump(store)
    with pytest.raises(ValidationError) as refused:
        approve(store, [1], user=APPROVER)
    assert refused.value.problems == [
        f"提出番号1（指標3（経常収支比率）の令和7年度の実績値）: {REFUSAL}差し戻してください。"
    ]
    assert dump(store) == before
    # "Approve all" approves the rest and says why it left the 見込.
    result = approve(store, user=APPROVER)
    assert [s.submission_id for s in result.approved] == [2]
    assert result.skipped == (refused.value.problems[0],)
    found = stored(store, 3, 2025)
    assert found is not None and (found.value, found.stage) == (89.6, "settled")


def test_a_submission_shows_the_stage_when_it_changes(store: Path) -> None:
    save_indicator_value(store, 4, 2025, 21.0, stage="estimate")  # in force before the users
    _users(store)
    save_indicator_value(store, 4, 2025, 21.0, user=FINANCE)  # the same figure, now 決算
    save_indicator_value(store, 5, 2025, 166.0, stage="estimate", user=FINANCE)  # a new 見込
    rows = {r.submission.key.subject_no: r for r in review_rows(load_snapshot(store))}
    assert [(c.field, c.before, c.after) for c in rows[4].changes] == [("区分", "見込", "決算")]
    assert [(c.field, c.before, c.after) for c in rows[5].changes] == [
        ("実績値", "", "166.0億円（見込）")
    ]


def test_a_restore_does_not_put_an_estimate_back_over_a_settled_value(store: Path) -> None:
    save_indicator_value(store, 3, 2025, 91.2, stage="estimate")
    save_indicator_value(store, 4, 2025, 21.0)
    snapshot = backup_store(store)
    save_indicator_value(store, 3, 2025, 89.6)  # the 決算
    save_indicator_value(store, 4, 2025, 22.0)
    result = restore_store(store, snapshot, user="A")
    assert result.plan.kept == (REFUSAL,)
    assert [c.key.subject_no for c in result.plan.changes] == [4]
    assert result.written == 1
    assert stored(store, 3, 2025) == IndicatorValue(
        indicator_no=3, fiscal_year=2025, value=89.6, stage="settled", source=None, note=None
    )


# --- import -------------------------------------------------------------------------------------


def test_an_import_reads_the_stage_column_by_any_of_its_names_and_words(store: Path) -> None:
    files = [
        src("a.csv", "指標,年度,実績値,区分\n3,2025,91.2,決算見込\n4,2025,21.0,\n"),
        src("b.csv", "indicator_no,fiscal_year,value,stage\n5,2025,166.0,final\n"),
        src("c.csv", "指標,年度,実績値,段階\n6,2025,88.0,速報\n"),
        src("d.csv", "指標,年度,実績値\n7,2025,30.0\n"),  # no column: 決算
    ]
    result = apply_import(store, files, user="財政課")
    assert result.written == 5
    snapshot = load_snapshot(store)
    got = {n: snapshot.indicator_value(n, 2025) for n in (3, 4, 5, 6, 7)}
    assert {n: v.stage for n, v in got.items() if v} == {
        3: "estimate",
        4: "settled",  # a blank 区分 is 決算
        5: "final",
        6: "estimate",
        7: "settled",
    }


def test_a_row_with_only_its_stage_filled_in_is_not_reported(store: Path) -> None:
    preview = preview_import(
        store, [src("a.csv", "指標,年度,実績値,区分\n3,2025,,見込\n4,2025,21,\n")]
    )
    assert preview.ok and preview.files[0].unreported_rows == (2,)
    assert [c.key.subject_no for c in preview.changes] == [4]


def test_a_bad_stage_is_refused_naming_file_row_column_and_value_and_nothing_is_written(
    store: Path,
) -> None:
    before = dump(store)
    data = "指標,年度,実績値,区分\n3,2025,91.2,予算\n4,2025,21.0,決算\n5,2025,166,暫定値\n"
    preview = preview_import(store, [src("zaisei.csv", data)])
    why = (
        "区分は見込・決算・確定のいずれかで入力してください（決算見込・速報は見込として読みます）。"
    )
    assert preview.problems == (
        f"zaisei.csv 2行目 D列「区分」の「予算」: {why}",
        f"zaisei.csv 4行目 D列「区分」の「暫定値」: {why}",
    )
    with pytest.raises(ValidationError):
        apply_import(store, [src("zaisei.csv", data)])
    assert dump(store) == before


def test_an_earlier_stage_is_not_applied_listed_with_why_and_the_rest_applies(store: Path) -> None:
    save_indicator_value(store, 3, 2025, 89.6)
    data = "指標,年度,実績値,区分\n3,2025,91.2,見込\n4,2025,21.0,見込\n"
    preview = preview_import(store, [src("mikomi.csv", data)])
    assert preview.ok and preview.problems == ()
    assert [n.text for n in preview.not_applied] == [f"mikomi.csv 2行目: {REFUSAL}"]
    assert [c.key.subject_no for c in preview.to_write] == [4]
    # The preview's table names the action 「操作」, as the history does: 「区分」 is the stage.
    table = preview_table(load_plan(), preview, include_unchanged=False)
    assert next(iter(table.columns)) == "操作" and "区分" not in table.columns
    result = apply_import(store, [src("mikomi.csv", data)], expected=preview)
    assert result.written == 1
    found = stored(store, 3, 2025)
    assert found is not None and (found.value, found.stage) == (89.6, "settled")
    new = stored(store, 4, 2025)
    assert new is not None and new.stage == "estimate"


def test_the_import_command_lists_what_it_does_not_apply(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from komae_kpi.cli import main

    save_indicator_value(store, 3, 2025, 89.6)
    data = tmp_path / "mikomi.csv"
    data.write_text("指標,年度,実績値,区分\n3,2025,91.2,見込\n", "utf-8")
    assert main(["import", str(data), "--db", str(store)]) == 0
    out = capsys.readouterr().out
    assert f"[取り込まない] mikomi.csv 2行目: {REFUSAL}" in out
    assert "取り込まない 1件" in out and "取り込む変更はありません。" in out


def test_an_export_imports_back_unchanged_with_its_stages(store: Path, tmp_path: Path) -> None:
    save_indicator_value(store, 3, 2025, 91.2, stage="estimate", source="決算見込")
    save_indicator_value(store, 4, 2025, 22.0, stage="final", source="確定")
    save_indicator_value(store, 5, 2025, 166.0)
    export_open_data(load_snapshot(store), tmp_path / "open")
    exported = (tmp_path / "open" / "indicator_values.csv").read_bytes()
    assert b",estimate," in exported and b",final," in exported
    other = tmp_path / "other.duckdb"
    init_store(other)
    apply_import(other, [ImportSource(name="indicator_values.csv", data=exported)])
    assert load_snapshot(other).values == load_snapshot(store).values
    again = preview_import(other, [ImportSource(name="indicator_values.csv", data=exported)])
    assert again.to_write == () and again.not_applied == ()


def test_the_open_data_dictionary_explains_the_stage(store: Path, tmp_path: Path) -> None:
    export_open_data(load_snapshot(store), tmp_path / "open")
    dictionary = (tmp_path / "open" / "data_dictionary.csv").read_text("utf-8-sig")
    assert (
        "stage,区分,文字列,値の段階（estimate = 見込、settled = 決算、final = 確定）" in dictionary
    )


# --- the migration and the shipped data ---------------------------------------------------------


def test_shipped_history_and_baselines_are_settled(store: Path) -> None:
    plan = load_plan()
    assert {v.stage for v in load_history(plan).indicator_values} == {"settled"}
    assert {v.stage for v in load_snapshot(store).values} == {"settled"}


def test_the_migration_makes_every_value_of_a_previous_store_settled_and_keeps_user_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store made by the code before stages (schema 7), with an entered value, its log and a
    waiting submission, upgrades: every value is 決算, nothing else of a row changes, the waiting
    submission and the log rows of values carry 決算, and `init` again changes nothing."""
    path = tmp_path / "v7.duckdb"
    init_store_of_schema(path, 7, monkeypatch)
    con = duckdb.connect(str(path))
    con.execute(
        "INSERT INTO indicator_values VALUES (3, 2025, 88.0, '決算', NULL, 'user', now(), '財政課')"
    )
    con.execute(
        "INSERT INTO change_log VALUES (1, 1, now(), '財政課', 'form', NULL, NULL,"
        " 'indicator_value', 3, 2025, 'insert', 'value', NULL, '88.0', NULL, NULL)"
    )
    con.execute(
        "INSERT INTO submissions VALUES (1, 'indicator_value', 4, 2025,"
        ' \'{"note": null, "source": "決算", "value": 21.5}\', \'submitted\', \'form\', NULL, NULL,'
        " now(), '財政課', NULL, NULL, NULL)"
    )
    con.close()
    values_before = dump(path)["indicator_values"]

    report = init_store(path)
    assert report.migrations_applied[0] == 8  # and any later ones
    after = dump(path)
    # Every row as it was, with 決算 after its value (the fourth column).
    assert [r[:3] + r[4:] for r in after["indicator_values"]] == values_before
    assert {r[3] for r in after["indicator_values"]} == {"settled"}
    assert report.user_values == 1
    snapshot = load_snapshot(path)
    assert snapshot.indicator_value(3, 2025) == IndicatorValue(
        indicator_no=3, fiscal_year=2025, value=88.0, stage="settled", source="決算", note=None
    )
    with connect(path, read_only=True) as con:
        (waiting,) = read_submissions(con)
        content = con.execute("SELECT content FROM submissions").fetchone()
    assert waiting.record == IndicatorValue(
        indicator_no=4, fiscal_year=2025, value=21.5, stage="settled", source="決算", note=None
    )
    assert content is not None and json.loads(content[0])["stage"] == "settled"
    (logged,) = load_change_history(path)
    assert (logged.field, logged.stage) == ("value", "settled")
    assert init_store(path).migrations_applied == () and dump(path) == after
    # The upgraded store takes stages and keeps the rule.
    with pytest.raises(ValidationError, match=re.escape("決算値（88.0%）が入力済み")):
        save_indicator_value(path, 3, 2025, 90.0, stage="estimate")
