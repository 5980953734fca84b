"""The change history: every form save and import is logged (what, old → new, when, who, how),
read per indicator and per item, printed by `history`; a save over someone else's change is refused.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import re
from pathlib import Path

import pytest

from komae_kpi.cli import main
from komae_kpi.common.errors import (
    ConcurrentEditError,
    KomaeKpiError,
    StoreMissingError,
    ValidationError,
)
from komae_kpi.imports.importer import ImportSource, apply_import
from komae_kpi.plan.model import IndicatorValue, ItemStatus
from komae_kpi.store.connection import connect, transaction
from komae_kpi.store.entries import save_indicator_value, save_item_status
from komae_kpi.store.record_changes import (
    ChangeEntry,
    RecordChange,
    RecordKey,
    apply_changes,
    load_history,
    read_record,
)
from tests.store_helpers import dump


def _fields(entries: list[ChangeEntry]) -> dict[str, tuple[str | None, str | None]]:
    return {e.field: (e.old_value, e.new_value) for e in entries}


def _status_csv(*rows: str) -> bytes:
    return ("取組項目,年度,進捗状況,取組実績\n" + "".join(r + "\n" for r in rows)).encode("utf-8")


# --- what a form save records ------------------------------------------------------------------


def test_a_new_record_logs_each_entered_field_with_who_when_and_how(store: Path) -> None:
    started = dt.datetime.now()
    assert save_item_status(
        store, 21, 2025, "順調", achievements="中期財政ビジョンを公表", user="財政課 山田"
    )
    finished = dt.datetime.now()
    entries = load_history(store)
    # Only the fields that hold something: issues and next_steps stay blank and are not logged.
    assert sorted(e.field for e in entries) == ["achievements", "status"]
    assert _fields(entries) == {
        "status": (None, "順調"),
        "achievements": (None, "中期財政ビジョンを公表"),
    }
    for e in entries:
        assert e.key == RecordKey(kind="item_status", subject_no=21, fiscal_year=2025)
        assert e.action == "insert"
        assert e.changed_by == "財政課 山田"
        assert e.method == "form"
        assert e.file_name is None and e.file_sha256 is None
        assert started <= e.changed_at <= finished
    assert len({e.change_id for e in entries}) == 1  # one save, one change


def test_an_update_logs_only_the_fields_that_changed_old_and_new(store: Path) -> None:
    save_indicator_value(store, 1, 2025, 72.9, source="市民意識調査", note="速報値", user="A")
    assert save_indicator_value(
        store, 1, 2025, 73.5, source="市民意識調査", note="確定値", user="B"
    )
    latest = [e for e in load_history(store) if e.changed_by == "B"]
    assert {e.action for e in latest} == {"update"}
    # The source did not change, so it is not in the second change.
    assert _fields(latest) == {"value": ("72.9", "73.5"), "note": ("速報値", "確定値")}


def test_a_published_figure_is_not_corrected_and_nothing_is_logged(store: Path) -> None:
    # The shipped 87.3 of FY2023 is a fact (test_published_figures has the whole rule).
    with pytest.raises(ValidationError, match="公表値です"):
        save_indicator_value(store, 3, 2023, 87.4, source="決算カード（訂正）", user="財政課")
    assert load_history(store, kind="indicator_value", subject_no=3) == []


def test_clearing_a_text_logs_the_old_text_and_blank(store: Path) -> None:
    save_item_status(store, 22, 2025, "順調", issues="歳入減", user="A")
    assert save_item_status(store, 22, 2025, "順調", issues="   ", user="B")
    latest = [e for e in load_history(store) if e.changed_by == "B"]
    assert _fields(latest) == {"issues": ("歳入減", None)}


def test_without_a_user_the_os_user_is_recorded(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "komae-os-user")
    save_item_status(store, 5, 2025, "順調")
    save_indicator_value(store, 4, 2025, 21.0)
    assert {e.changed_by for e in load_history(store)} == {"komae-os-user"}
    with connect(store, read_only=True) as con:
        by = con.execute("SELECT updated_by FROM item_statuses WHERE item_no = 5").fetchall()
    assert by == [("komae-os-user",)]


def test_saving_the_same_content_again_writes_and_logs_nothing(store: Path) -> None:
    assert save_item_status(store, 21, 2025, "順調", achievements="公表", user="A")
    assert save_indicator_value(store, 4, 2025, 21.0, source="決算", user="A")
    before = dump(store)
    # Blank text is the same as no text, so these are the same records again.
    assert not save_item_status(store, 21, 2025, "順調", achievements="公表", issues=" ", user="B")
    assert not save_indicator_value(store, 4, 2025, 21, source="決算", note="", user="B")
    assert dump(store) == before  # not even updated_at / updated_by moved


def test_a_refused_save_logs_nothing(store: Path) -> None:
    before = dump(store)
    with pytest.raises(ValidationError):
        save_item_status(store, 21, 2025, "良好")
    with pytest.raises(ValidationError):
        save_indicator_value(store, 1, 2025, 150.0)
    assert dump(store) == before
    assert load_history(store) == []


def test_saving_into_a_missing_store_is_refused_without_creating_it(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "kpi.duckdb"
    with pytest.raises(StoreMissingError, match="init"):
        save_item_status(missing, 21, 2025, "順調", user="A")
    with pytest.raises(StoreMissingError, match="init"):
        save_indicator_value(missing, 1, 2025, 70.0, user="A")
    assert not missing.exists() and not missing.parent.exists()


def test_a_failed_transaction_leaves_no_log_rows(store: Path) -> None:
    before = dump(store)
    change = RecordChange(
        key=RecordKey(kind="item_status", subject_no=21, fiscal_year=2025),
        before=None,
        after=ItemStatus(
            item_no=21,
            fiscal_year=2025,
            status="順調",
            achievements=None,
            issues=None,
            next_steps=None,
        ),
    )

    def write_then_fail() -> None:
        with connect(store, read_only=False) as con, transaction(con):
            assert apply_changes(con, [change], user="A", method="form") == 1
            raise RuntimeError("something after the write failed")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert dump(store) == before


def test_unchanged_records_are_neither_written_nor_logged(store: Path) -> None:
    save_item_status(store, 21, 2025, "順調", user="A")
    before = dump(store)
    with connect(store, read_only=False) as con, transaction(con):
        current = read_record(con, RecordKey(kind="item_status", subject_no=21, fiscal_year=2025))
        assert current == ItemStatus(
            item_no=21,
            fiscal_year=2025,
            status="順調",
            achievements=None,
            issues=None,
            next_steps=None,
        )
        same = RecordChange(
            key=RecordKey(kind="item_status", subject_no=21, fiscal_year=2025),
            before=current,
            after=current,
        )
        assert same.action == "unchanged" and same.changed_fields() == []
        assert apply_changes(con, [same], user="B", method="form") == 0
    assert dump(store) == before


# --- what an import records ---------------------------------------------------------------------


def test_an_import_logs_the_file_name_and_its_sha256(store: Path) -> None:
    save_item_status(store, 22, 2025, "遅れ", achievements="検討中", user="A")
    data = _status_csv("21,2025,順調,公表した", "22,2025,やや遅れ,検討中")
    result = apply_import(
        store, [ImportSource(name="照会_財政課.csv", data=data)], user="財政課 取込"
    )
    assert result.written == 2
    imported = [e for e in load_history(store) if e.method == "import"]
    assert {e.file_name for e in imported} == {"照会_財政課.csv"}
    assert {e.file_sha256 for e in imported} == {hashlib.sha256(data).hexdigest()}
    assert {e.changed_by for e in imported} == {"財政課 取込"}
    assert len({e.change_id for e in imported}) == 1  # one import, one change
    by_record = {
        (e.key.subject_no, e.field): (e.action, e.old_value, e.new_value) for e in imported
    }
    assert by_record == {
        (21, "status"): ("insert", None, "順調"),
        (21, "achievements"): ("insert", None, "公表した"),
        # Item 22's commentary was the same, so only its status is logged.
        (22, "status"): ("update", "遅れ", "やや遅れ"),
    }


def test_an_import_without_a_user_records_the_os_user(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "komae-os-user")
    apply_import(store, [ImportSource(name="a.csv", data=_status_csv("21,2025,順調,"))])
    assert {e.changed_by for e in load_history(store)} == {"komae-os-user"}


# --- reading the history ------------------------------------------------------------------------


def _three_saves(store: Path) -> None:
    save_indicator_value(store, 1, 2025, 72.9, user="A")
    save_item_status(store, 21, 2025, "順調", user="B")
    save_item_status(store, 21, 2026, "やや遅れ", user="C")
    save_indicator_value(store, 1, 2025, 73.0, user="D")


def test_history_per_indicator_and_per_item_newest_first(store: Path) -> None:
    _three_saves(store)
    indicator = load_history(store, kind="indicator_value", subject_no=1)
    assert [(e.changed_by, e.action, e.old_value, e.new_value) for e in indicator] == [
        ("D", "update", "72.9", "73.0"),
        ("A", "insert", None, "72.9"),
    ]
    item = load_history(store, kind="item_status", subject_no=21)
    assert [(e.changed_by, e.key.fiscal_year) for e in item] == [("C", 2026), ("B", 2025)]
    assert [e.changed_by for e in load_history(store, kind="item_status", fiscal_year=2025)] == [
        "B"
    ]
    # Indicator 1 and item 1 are different subjects.
    assert load_history(store, kind="item_status", subject_no=1) == []
    ids = [e.change_id for e in load_history(store)]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4


def test_history_limit(store: Path) -> None:
    _three_saves(store)
    assert [e.changed_by for e in load_history(store, limit=2)] == ["D", "C"]


def _history_out(store: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["history", "--db", str(store), *args]) == 0
    return capsys.readouterr().out


def test_the_history_command_prints_who_how_what_old_and_new(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "変更履歴はありません" in _history_out(store, capsys)
    save_indicator_value(store, 1, 2025, 72.9, user="財政課 山田")
    save_indicator_value(store, 1, 2025, 73.5, user="財政課 佐藤")
    data = _status_csv("21,2025,順調,公表")
    apply_import(store, [ImportSource(name="照会.csv", data=data)], user="政策室 鈴木")
    out = _history_out(store, capsys)
    lines = out.splitlines()
    assert len(lines) == 4  # 2 fields imported, 1 inserted, 1 updated
    # Newest first: the import, then the correction, then the first entry.
    assert "政策室 鈴木［ファイル取込（照会.csv、SHA-256 " in lines[0]
    assert hashlib.sha256(data).hexdigest() in lines[0]
    assert "取組項目21" in lines[0] and "令和7年度 (2025)" in lines[0]
    correction = next(line for line in lines if "財政課 佐藤" in line)
    assert "［画面で入力］" in correction and "指標1" in correction
    assert "実績値 変更: 72.9% → 73.5%" in correction
    first = next(line for line in lines if "財政課 山田" in line)
    assert "実績値 追加: － → 72.9%" in first
    assert all(re.match(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} ", line) for line in lines)


def test_the_history_command_filters(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _three_saves(store)
    by_indicator = _history_out(store, capsys, "--indicator", "1")
    assert by_indicator.count("指標1") == 2 and "取組項目" not in by_indicator
    by_item = _history_out(store, capsys, "--item", "21")
    assert by_item.count("取組項目21") == 2 and "指標" not in by_item
    by_year = _history_out(store, capsys, "--item", "21", "--fiscal-year", "R8")
    assert by_year.splitlines() == [
        line for line in by_item.splitlines() if "令和8年度 (2026)" in line
    ]
    assert len(_history_out(store, capsys, "--limit", "1").splitlines()) == 1


def test_the_history_command_refuses_two_subjects(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "--db", str(store), "--indicator", "1", "--item", "2"]) == 1
    assert "同時に指定できません" in capsys.readouterr().err


def test_a_negative_limit_is_refused_in_japanese(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(KomaeKpiError, match="0以上"):
        load_history(store, limit=-1)
    for bad in ("-1", "0", "abc"):
        with pytest.raises(SystemExit) as exit_info:
            main(["history", "--db", str(store), "--limit", bad])
        assert exit_info.value.code == 2  # a usage error, caught by the argument parser
        assert f"「{bad}」は1以上の整数で指定してください" in capsys.readouterr().err
    assert main(["history", "--db", str(store), "--limit", "1"]) == 0


def test_the_history_of_a_missing_store_says_how_to_create_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "--db", str(tmp_path / "none.duckdb")]) == 1
    assert "init" in capsys.readouterr().err


# --- two people, one record ---------------------------------------------------------------------


def test_the_second_of_two_new_records_is_refused_showing_both(store: Path) -> None:
    # Both opened the form when there was no record yet (expected=None).
    assert save_item_status(
        store, 21, 2025, "順調", achievements="Aの内容", user="A", expected=None
    )
    after_first = dump(store)
    with pytest.raises(ConcurrentEditError) as info:
        save_item_status(store, 21, 2025, "遅れ", achievements="Bの内容", user="B", expected=None)
    assert info.value.current == ItemStatus(
        item_no=21,
        fiscal_year=2025,
        status="順調",
        achievements="Aの内容",
        issues=None,
        next_steps=None,
    )
    assert info.value.yours == ItemStatus(
        item_no=21,
        fiscal_year=2025,
        status="遅れ",
        achievements="Bの内容",
        issues=None,
        next_steps=None,
    )
    assert "上書きせずに保存を中止しました" in str(info.value)
    assert dump(store) == after_first  # B's save wrote nothing, logged nothing


def test_a_save_from_a_stale_form_is_refused(store: Path) -> None:
    save_indicator_value(store, 4, 2025, 20.0, source="見込み", user="A")
    shown = IndicatorValue(
        indicator_no=4, fiscal_year=2025, value=20.0, source="見込み", note=None
    )  # what both forms showed
    assert save_indicator_value(store, 4, 2025, 21.0, source="決算", user="A", expected=shown)
    after_first = dump(store)
    with pytest.raises(ConcurrentEditError) as info:
        save_indicator_value(store, 4, 2025, 22.0, source="決算", user="B", expected=shown)
    assert info.value.current == IndicatorValue(
        indicator_no=4, fiscal_year=2025, value=21.0, source="決算", note=None
    )
    assert info.value.yours == IndicatorValue(
        indicator_no=4, fiscal_year=2025, value=22.0, source="決算", note=None
    )
    assert dump(store) == after_first
    # Having seen the other's record, B saves again against it: accepted and logged.
    assert save_indicator_value(
        store, 4, 2025, 22.0, source="決算", user="B", expected=info.value.current
    )
    assert _fields(load_history(store, limit=1)) == {"value": ("21.0", "22.0")}


def test_a_form_that_showed_a_record_is_refused_if_it_was_never_there(store: Path) -> None:
    before = dump(store)
    ghost = ItemStatus(
        item_no=21, fiscal_year=2025, status="順調", achievements=None, issues=None, next_steps=None
    )
    with pytest.raises(ConcurrentEditError) as info:
        save_item_status(store, 21, 2025, "遅れ", user="B", expected=ghost)
    assert info.value.current is None
    assert dump(store) == before


def test_a_save_with_the_current_record_as_expected_is_accepted(store: Path) -> None:
    assert save_item_status(store, 36, 2025, "順調", user="A", expected=None)
    current = ItemStatus(
        item_no=36, fiscal_year=2025, status="順調", achievements=None, issues=None, next_steps=None
    )
    assert save_item_status(store, 36, 2025, "完了", user="B", expected=current)
    assert _fields(load_history(store, limit=1)) == {"status": ("順調", "完了")}
