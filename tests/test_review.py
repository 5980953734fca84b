"""Roles and review in the core (issue 10): who may enter what, submissions waiting for approval,
approvals and returns, what everyone reads, and the migration of a store made before review."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from komae_kpi.common.errors import PermissionDeniedError, ValidationError
from komae_kpi.imports.importer import ImportSource, apply_import, preview_import
from komae_kpi.judgement.approvals import approve, return_to_submitter
from komae_kpi.judgement.progress import load_snapshot
from komae_kpi.plan.model import IndicatorValue, ItemStatus
from komae_kpi.store.backups import make_backup, restore_store
from komae_kpi.store.connection import connect, init_store
from komae_kpi.store.entries import save_indicator_value, save_item_status
from komae_kpi.store.record_changes import RecordKey, load_history
from komae_kpi.store.review import open_submissions, read_submissions
from komae_kpi.store.user_admin import save_user
from tests.store_helpers import dump, init_store_of_schema

ADMIN = "admin@city.komae.lg.jp"
FINANCE = "zaisei@city.komae.lg.jp"  # 部署担当, 財政課: 指標3–5 and items 21–23, 33–36 …
STAFF = "shokuin@city.komae.lg.jp"  # 部署担当, 職員課: 指標6–8 and items 12, 38, 44, 62 …
APPROVER = "shonin@city.komae.lg.jp"
APPROVER2 = "shonin2@city.komae.lg.jp"
VIEWER = "etsuran@city.komae.lg.jp"


@pytest.fixture
def team(store: Path) -> Path:
    """A store with one user of each role."""
    save_user(store, email=ADMIN, role="管理者", user="setup")
    for email, role, departments in (
        (FINANCE, "部署担当", ["財政課"]),
        (STAFF, "部署担当", ["職員課"]),
        (APPROVER, "承認者", []),
        (APPROVER2, "approver", []),
        (VIEWER, "閲覧", []),
    ):
        save_user(store, email=email, role=role, departments=departments, user=ADMIN)
    return store


def _in_force(path: Path) -> tuple[tuple[IndicatorValue, ...], tuple[ItemStatus, ...]]:
    snapshot = load_snapshot(path)
    return snapshot.values, snapshot.statuses


# --- without users: the single-user tool, as before ---------------------------------------------


def test_without_users_a_save_is_in_force_at_once_and_nothing_waits(store: Path) -> None:
    save_item_status(store, 21, 2025, "遅れ", user="os-user")  # no 課題 needed without review
    snapshot = load_snapshot(store)
    assert snapshot.item_status(21, 2025) is not None
    assert not snapshot.reviewing and snapshot.open_submissions == ()
    with connect(store, read_only=True) as con:
        assert read_submissions(con) == []


# --- who may enter what -------------------------------------------------------------------------


def test_a_viewers_and_an_out_of_scope_editors_writes_are_refused_and_nothing_changes(
    team: Path,
) -> None:
    before = dump(team)
    refused: list[tuple[str, Callable[[str], bool], str]] = [
        (VIEWER, lambda u: save_item_status(team, 21, 2025, "順調", user=u), "閲覧のみ"),
        (VIEWER, lambda u: save_indicator_value(team, 3, 2025, 88.0, user=u), "閲覧のみ"),
        # 職員課 answers for neither 指標3 nor 取組項目21 (財政課's).
        (STAFF, lambda u: save_indicator_value(team, 3, 2025, 88.0, user=u), "財政課の担当"),
        (STAFF, lambda u: save_item_status(team, 21, 2025, "順調", user=u), "財政課の担当"),
        (FINANCE, lambda u: save_indicator_value(team, 7, 2025, 30.0, user=u), "職員課の担当"),
        # Someone not registered at all, and the OS user once users exist.
        (
            "stranger@example.jp",
            lambda u: save_item_status(team, 21, 2025, "順調", user=u),
            "登録されていません",
        ),
        (
            "os-user",
            lambda u: save_item_status(team, 21, 2025, "順調", user=u),
            "登録されていません",
        ),
    ]
    for who, write, reason in refused:
        with pytest.raises(PermissionDeniedError) as info:
            write(who)
        message = str(info.value)
        assert message.startswith("権限がありません："), message
        assert reason in message, message
    assert dump(team) == before


def test_the_refusal_names_the_record(team: Path) -> None:
    with pytest.raises(PermissionDeniedError) as info:
        save_indicator_value(team, 3, 2025, 88.0, user=STAFF)
    assert "指標3（経常収支比率）の令和7年度の実績値" in str(info.value)
    assert STAFF in str(info.value)


def test_an_editor_enters_their_departments_items_shared_ones_included(team: Path) -> None:
    # 取組項目12 is led by 情報政策課 and 職員課 together; 指標7 is 職員課's.
    assert save_item_status(team, 12, 2025, "順調", user=STAFF)
    assert save_indicator_value(team, 7, 2025, 29.0, user="Shokuin@City.Komae.lg.jp")
    # An approver and an admin enter anything.
    assert save_item_status(team, 21, 2025, "順調", user=APPROVER)
    assert save_indicator_value(team, 8, 2025, 15.0, user=ADMIN)
    assert len(load_snapshot(team).waiting) == 4


# --- submissions and what people read -----------------------------------------------------------


def test_a_submission_waits_and_only_the_approved_state_is_read(team: Path) -> None:
    in_force = _in_force(team)
    assert save_indicator_value(team, 5, 2025, 165.0, user=FINANCE)
    assert _in_force(team) == in_force  # nothing changes for readers until approved
    snapshot = load_snapshot(team)
    assert snapshot.reviewing
    assert [(s.key.subject_no, s.state, s.submitted_by) for s in snapshot.waiting] == [
        (5, "submitted", FINANCE)
    ]
    assert snapshot.indicator_value(5, 2025) is None
    with_pending = load_snapshot(team, include_pending=True)
    value = with_pending.indicator_value(5, 2025)
    assert value is not None and value.value == 165.0
    key = RecordKey(kind="indicator_value", subject_no=5, fiscal_year=2025)
    assert with_pending.is_pending(key) and not snapshot.is_pending(key)

    # Another approver approves: now everyone reads it.
    result = approve(team, [snapshot.waiting[0].submission_id], user=APPROVER)
    assert [s.state for s in result.approved] == ["approved"]
    value = load_snapshot(team).indicator_value(5, 2025)
    assert value is not None and value.value == 165.0
    assert load_snapshot(team).waiting == ()


def test_editing_an_approved_record_keeps_it_in_force_until_the_revision_is_approved(
    team: Path,
) -> None:
    save_item_status(team, 21, 2025, "順調", achievements="第1版", user=FINANCE)
    approve(team, user=APPROVER)
    save_item_status(team, 21, 2025, "完了", achievements="第2版", user=FINANCE)
    shown = load_snapshot(team).item_status(21, 2025)
    assert shown is not None and shown.achievements == "第1版"
    pending = load_snapshot(team, include_pending=True).item_status(21, 2025)
    assert pending is not None and pending.achievements == "第2版"
    # A third version replaces the waiting second one; only it can be approved.
    save_item_status(team, 21, 2025, "完了", achievements="第3版", user=FINANCE)
    with connect(team, read_only=True) as con:
        states = [(s.record.achievements, s.state) for s in read_submissions(con)]  # type: ignore[union-attr]
    assert states == [("第1版", "approved"), ("第2版", "superseded"), ("第3版", "submitted")]
    with pytest.raises(ValidationError, match="新しい内容が提出された"):
        approve(team, [2], user=APPROVER)
    approve(team, [3], user=APPROVER)
    shown = load_snapshot(team).item_status(21, 2025)
    assert shown is not None and shown.achievements == "第3版"


def test_an_approver_cannot_approve_their_own_submission(team: Path) -> None:
    save_item_status(team, 21, 2025, "順調", user=APPROVER)
    before = dump(team)
    with pytest.raises(PermissionDeniedError, match="自分の提出は承認できません"):
        approve(team, [1], user="SHONIN@city.komae.lg.jp")
    assert dump(team) == before
    # "Approve all" leaves one's own waiting and says so.
    result = approve(team, user=APPROVER)
    assert result.approved == () and "自分の提出" in result.skipped[0]
    assert approve(team, user=APPROVER2).approved[0].reviewed_by == APPROVER2


def test_editors_and_viewers_cannot_approve_or_return(team: Path) -> None:
    save_item_status(team, 21, 2025, "順調", user=FINANCE)
    before = dump(team)
    for who in (FINANCE, VIEWER, STAFF):
        with pytest.raises(PermissionDeniedError, match=r"^権限がありません："):
            approve(team, [1], user=who)
        with pytest.raises(PermissionDeniedError, match=r"^権限がありません："):
            return_to_submitter(team, 1, comment="x", user=who)
    assert dump(team) == before


def test_a_returned_record_shows_its_comment_and_cannot_be_approved(team: Path) -> None:
    save_item_status(team, 22, 2025, "順調", achievements="市債を削減", user=FINANCE)
    with pytest.raises(ValidationError, match="理由"):
        return_to_submitter(team, 1, comment="  ", user=APPROVER)
    return_to_submitter(team, 1, comment="金額を記入してください", user=APPROVER)
    snapshot = load_snapshot(team)
    assert [(s.state, s.review_comment) for s in snapshot.open_submissions] == [
        ("returned", "金額を記入してください")
    ]
    assert snapshot.waiting == () and snapshot.item_status(22, 2025) is None
    before = dump(team)
    with pytest.raises(ValidationError, match="差し戻した記録は承認できません"):
        approve(team, [1], user=APPROVER2)
    with pytest.raises(ValidationError, match="差戻しのため、差し戻せません"):
        return_to_submitter(team, 1, comment="再度", user=APPROVER2)
    assert dump(team) == before
    # Submitted again, the returned one is no longer open.
    save_item_status(team, 22, 2025, "順調", achievements="市債を3億円削減", user=FINANCE)
    assert [s.state for s in load_snapshot(team).open_submissions] == ["submitted"]


def test_a_late_or_revised_status_needs_its_issues_and_next_steps(team: Path) -> None:
    before = dump(team)
    for status in ("遅れ", "見直し"):
        with pytest.raises(ValidationError) as info:
            save_item_status(team, 21, 2025, status, issues="人手不足", user=FINANCE)
        assert f"「{status}」" in str(info.value) and "未記入: 今後の方向性" in str(info.value)
    assert dump(team) == before
    assert save_item_status(
        team, 21, 2025, "遅れ", issues="人手不足", next_steps="委託を検討", user=FINANCE
    )
    assert save_item_status(team, 22, 2025, "やや遅れ", user=FINANCE)  # only 遅れ and 見直し


def test_an_actual_judged_late_needs_a_finding_which_then_shows(team: Path) -> None:
    # 経常収支比率 95.0% is over its bound of 90.0%: 遅れ.
    save_indicator_value(team, 3, 2025, 95.0, user=FINANCE)
    # 職員課's 年次休暇 on its path: no comment needed.
    save_indicator_value(team, 8, 2025, 15.0, user=STAFF)
    before = dump(team)
    with pytest.raises(ValidationError) as info:
        approve(team, [1, 2], user=APPROVER)
    assert "提出番号1" in str(info.value) and "「遅れ」と判定" in str(info.value)
    assert "所見" in str(info.value) and "提出番号2" not in str(info.value)
    assert dump(team) == before
    result = approve(team, user=APPROVER)  # all: the one needing a comment stays waiting
    assert [s.submission_id for s in result.approved] == [2]
    assert "提出番号1" in result.skipped[0]
    approve(team, [1], comments={1: "人件費の増による。来年度に見直す。"}, user=APPROVER)
    snapshot = load_snapshot(team)
    assert snapshot.finding(3, 2025) == "人件費の増による。来年度に見直す。"
    assert snapshot.finding(8, 2025) is None


def test_approving_one_department_at_once(team: Path) -> None:
    save_item_status(team, 21, 2025, "順調", user=FINANCE)
    save_item_status(team, 23, 2025, "順調", user=FINANCE)
    save_item_status(team, 62, 2025, "順調", user=STAFF)
    result = approve(team, department="財政課", user=APPROVER)
    assert sorted(s.key.subject_no for s in result.approved) == [21, 23]
    assert [s.key.subject_no for s in load_snapshot(team).waiting] == [62]
    with pytest.raises(ValidationError, match="部署「架空課」"):
        approve(team, department="架空課", user=APPROVER)


def test_the_change_log_records_who_submitted_approved_and_returned(team: Path) -> None:
    save_indicator_value(team, 8, 2025, 15.0, user=STAFF)
    approve(team, [1], user=APPROVER)
    save_item_status(team, 62, 2025, "順調", user=STAFF)
    return_to_submitter(team, 2, comment="実績を書いてください", user=APPROVER2)
    log = [
        (e.changed_by, e.method, e.action, e.field, e.new_value, e.comment, e.submission_id)
        for e in sorted(load_history(team), key=lambda e: (e.change_id, e.seq))
    ]
    assert log == [
        (STAFF, "form", "submit", "value", "15.0", None, 1),
        (APPROVER, "review", "approve", "review_state", "approved", None, 1),
        (APPROVER, "review", "insert", "value", "15.0", None, 1),
        (STAFF, "form", "submit", "status", "順調", None, 2),
        (APPROVER2, "review", "return", "review_state", "returned", "実績を書いてください", 2),
    ]
    value = load_snapshot(team).indicator_value(8, 2025)
    assert value is not None


# --- imports ------------------------------------------------------------------------------------


def _file(text: str, name: str = "zaisei.csv") -> ImportSource:
    return ImportSource(name=name, data=text.encode("utf-8"))


def test_an_editors_upload_with_out_of_scope_rows_is_refused_whole(team: Path) -> None:
    before = dump(team)
    source = _file("取組項目,年度,進捗状況\n21,2025,順調\n62,2025,順調\n12,2025,完了\n")
    preview = preview_import(team, [source], user=FINANCE)
    assert not preview.ok
    assert [p.split(":")[0] for p in preview.problems] == ["zaisei.csv 3行目", "zaisei.csv 4行目"]
    assert all("権限がありません：" in p for p in preview.problems)
    with pytest.raises(ValidationError) as info:
        apply_import(team, [source], user=FINANCE)
    assert "3行目" in str(info.value) and "4行目" in str(info.value)
    with pytest.raises(ValidationError, match="閲覧のみ"):
        apply_import(team, [_file("取組項目,年度,進捗状況\n21,2025,順調\n")], user=VIEWER)
    assert dump(team) == before


def test_an_import_submits_and_an_approvers_import_approve_puts_it_in_force(team: Path) -> None:
    source = _file("取組項目,年度,進捗状況\n21,2025,順調\n22,2025,完了\n")
    result = apply_import(team, [source], user=FINANCE)
    assert (result.written, result.submitted, result.approved) == (2, 2, 0)
    assert load_snapshot(team).statuses == ()
    with pytest.raises(PermissionDeniedError):
        apply_import(team, [source], user=FINANCE, approve=True)
    actuals = _file("指標,年度,実績値\n3,2025,95.0\n4,2025,22.5\n", name="actuals.csv")
    result = apply_import(team, [actuals], user=APPROVER, approve=True)
    assert (result.submitted, result.approved) == (2, 1)
    assert "指標3" in result.left_waiting[0] and "所見" in result.left_waiting[0]
    snapshot = load_snapshot(team)
    assert [v.indicator_no for v in snapshot.values if v.fiscal_year == 2025] == [4]
    assert len(snapshot.waiting) == 3


def test_a_late_status_in_an_upload_is_named_by_its_row(team: Path) -> None:
    source = _file("取組項目,年度,進捗状況,課題\n21,2025,順調,\n22,2025,遅れ,人手不足\n")
    preview = preview_import(team, [source], user=FINANCE)
    assert len(preview.problems) == 1
    assert (
        preview.problems[0].startswith("zaisei.csv 3行目") and "今後の方向性" in preview.problems[0]
    )


# --- restore ------------------------------------------------------------------------------------


def test_only_an_administrator_restores_a_backup(team: Path) -> None:
    with connect(team, read_only=False) as con:
        backup = make_backup(con, team, reason="manual")
    assert backup is not None
    for who in (APPROVER, FINANCE, "os-user"):
        with pytest.raises(PermissionDeniedError, match=r"^権限がありません："):
            restore_store(team, backup, user=who)
    assert restore_store(team, backup, user=ADMIN).written == 0


# --- the migration ------------------------------------------------------------------------------


def test_the_migration_approves_what_a_store_of_the_previous_schema_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store made by the code before review (schema 5), with entries and their log, upgrades:
    everything entered stays in force, becomes approved with one change-log entry, and the old
    log is kept."""
    path = tmp_path / "v5.duckdb"
    init_store_of_schema(path, 5, monkeypatch)
    con = duckdb.connect(str(path))
    con.execute(
        "INSERT INTO item_statuses VALUES (21, 2025, '順調', '実績', NULL, NULL, now(), '財政課')"
    )
    con.execute(
        "INSERT INTO indicator_values VALUES (3, 2025, 88.0, NULL, NULL, 'user', now(), '財政課')"
    )
    con.execute(
        "INSERT INTO change_log VALUES (1, 1, now(), '財政課', 'form', NULL, NULL, 'item_status',"
        " 21, 2025, 'insert', 'status', NULL, '順調')"
    )
    con.close()
    entered = {
        t: rows for t, rows in dump(path).items() if t in ("item_statuses", "indicator_values")
    }

    report = init_store(path)
    assert report.migrations_applied[0] == 6
    after = dump(path)
    # Kept as they were; a later migration (0008) gives each value its stage after the value.
    after["indicator_values"] = [r[:3] + r[4:] for r in after["indicator_values"]]
    assert {t: after[t] for t in entered} == entered
    history = load_history(path)
    migration = [e for e in history if e.method == "migration"]
    assert sorted((e.record_kind, e.subject_no, e.action, e.new_value) for e in migration) == [
        ("indicator_value", 3, "approve", "approved"),
        ("item_status", 21, "approve", "approved"),
    ]
    assert {e.change_id for e in migration} == {2}
    assert [(e.change_id, e.changed_by, e.new_value) for e in history if e.method == "form"] == [
        (1, "財政課", "順調")
    ]
    snapshot = load_snapshot(path)
    assert snapshot.item_status(21, 2025) is not None and snapshot.waiting == ()
    with connect(path, read_only=True) as con:
        assert open_submissions(con) == []


# --- the command line ---------------------------------------------------------------------------


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from komae_kpi.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_review_commands(team: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--db", str(team)]
    data = tmp_path / "actuals.csv"
    data.write_text("指標,年度,実績値\n3,2025,95.0\n4,2025,22.5\n", "utf-8")
    code, out, err = _cli(capsys, "import", str(data), "--user", FINANCE, *db)
    assert code == 0 and "2件を取り込み、提出しました（承認待ち）" in out, err
    code, out, _ = _cli(capsys, "review", "list", "--json", *db)
    listed = json.loads(out)
    assert [(r["submission_id"], r["state"], r["departments"]) for r in listed] == [
        (1, "submitted", ["財政課"]),
        (2, "submitted", ["財政課"]),
    ]
    assert listed[0]["changes"] == [{"field": "実績値", "before": "", "after": "95.0%"}]
    assert "所見" in listed[0]["needs_finding"] and listed[1]["needs_finding"] is None
    # Neither ids nor --all; an editor approving; the submitter's own; a returned record.
    code, _, err = _cli(capsys, "review", "approve", *db)
    assert code == 1 and "--all" in err
    code, _, err = _cli(capsys, "review", "approve", "2", "--user", FINANCE, *db)
    assert code == 1 and "権限がありません" in err
    code, out, _ = _cli(capsys, "status", "--json", "--fiscal-year", "2025", *db)
    assert json.loads(out)[3]["latest_fiscal_year"] == 2023  # 指標4 not yet approved
    code, out, _ = _cli(
        capsys, "status", "--json", "--fiscal-year", "2025", "--include-pending", *db
    )
    pending = json.loads(out)[3]
    assert (pending["latest_value"], pending["pending"]) == (22.5, True)
    code, out, _ = _cli(capsys, "review", "approve", "--all", "--user", APPROVER, *db)
    assert code == 0 and "1件を承認しました" in out and "承認していません: 提出番号1" in out
    code, out, _ = _cli(
        capsys,
        "review",
        "return",
        "1",
        "--comment",
        "出典を付けてください",
        "--user",
        APPROVER,
        *db,
    )
    assert code == 0 and "差し戻しました" in out and FINANCE in out
    code, _, err = _cli(
        capsys, "review", "approve", "1", "--comment", "所見", "--user", APPROVER2, *db
    )
    assert code == 1 and "差し戻した記録は承認できません" in err
    code, out, _ = _cli(capsys, "review", "list", *db)
    assert "差戻しの理由: 出典を付けてください" in out
    code, out, _ = _cli(capsys, "status", "--fiscal-year", "2025", *db)
    assert "承認待ち" not in out and "22.5億円" in out
    # An approver's import --approve, with the comment-needing actual left waiting.
    data.write_text("指標,年度,実績値\n3,2025,96.0\n5,2025,166.0\n", "utf-8")
    code, out, _ = _cli(capsys, "import", str(data), "--approve", "--user", APPROVER, *db)
    assert code == 0 and "そのうち0件を承認しました" in out and out.count("承認待ちのまま") == 2
    code, out, _ = _cli(
        capsys, "review", "approve", "3", "--comment", "人件費の増による", "--user", APPROVER2, *db
    )
    assert code == 0
    code, out, _ = _cli(capsys, "status", "--fiscal-year", "2025", *db)
    assert "所見: 人件費の増による" in out


# --- what is published --------------------------------------------------------------------------


def test_the_report_and_the_deck_carry_the_approved_state_and_the_finding(
    team: Path, tmp_path: Path
) -> None:
    import io

    from pptx import Presentation

    from komae_kpi.outputs.chart_images import chart_renderer, chromium_path
    from komae_kpi.outputs.deck import build_meeting_deck
    from komae_kpi.outputs.export import export_open_data
    from komae_kpi.outputs.report import build_report

    if chromium_path() is None:
        pytest.skip("Chromium is not installed")
    save_indicator_value(team, 3, 2025, 95.0, user=FINANCE)
    approve(team, [1], comments={1: "扶助費の増による"}, user=APPROVER)
    save_indicator_value(team, 5, 2025, 175.0, user=FINANCE)  # waits: in no output
    snapshot = load_snapshot(team)
    with chart_renderer() as renderer:
        report = build_report(snapshot, 2025, renderer.image).html
        deck = Presentation(io.BytesIO(build_meeting_deck(snapshot, 2025, renderer)))
    assert "所見（承認者）: 扶助費の増による" in report
    assert "175.0" not in report and "175億円" not in report
    texts = [
        shape.text_frame.text
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_text_frame
    ]
    assert any("扶助費の増による" in t for t in texts)
    export_open_data(snapshot, tmp_path / "open")
    values = (tmp_path / "open" / "indicator_values.csv").read_text("utf-8-sig")
    assert "95.0" in values and "175.0" not in values


def test_a_plan_change_that_would_orphan_a_waiting_submission_is_refused(
    team: Path, tmp_path: Path
) -> None:
    from komae_kpi.common.errors import PlanConflictError
    from tests.test_store import _drop_line, _plan_copy

    save_item_status(team, 21, 2025, "順調", user=FINANCE)
    plan_dir = _plan_copy(tmp_path)
    _drop_line(plan_dir / "items.csv", "21,")
    before = dump(team)
    with pytest.raises(PlanConflictError, match="取組項目21: 承認待ちの提出が1件"):
        init_store(team, plan_dir=plan_dir)
    assert dump(team) == before


def test_approving_ids_outside_the_department_named_is_refused(team: Path) -> None:
    save_item_status(team, 21, 2025, "順調", user=FINANCE)
    save_item_status(team, 62, 2025, "順調", user=STAFF)
    before = dump(team)
    with pytest.raises(ValidationError, match="提出番号2は財政課の記録ではありません"):
        approve(team, [1, 2], department="財政課", user=APPROVER)
    with pytest.raises(ValidationError, match="提出番号9はありません"):
        approve(team, [9], department="財政課", user=APPROVER)
    assert dump(team) == before


def test_an_unchanged_row_of_a_workbook_is_neither_refused_nor_submitted(team: Path) -> None:
    # A 遅れ entered before review (no 課題) and another department's item, both already in force.
    with connect(team, read_only=False) as con:
        con.execute(
            "INSERT INTO item_statuses VALUES (21, 2025, '遅れ', NULL, NULL, NULL, now(), 'x'),"
            " (62, 2025, '順調', NULL, NULL, NULL, now(), 'x')"
        )
    source = _file("取組項目,年度,進捗状況\n21,2025,遅れ\n62,2025,順調\n22,2025,完了\n")
    result = apply_import(team, [source], user=FINANCE)
    assert (result.written, result.submitted) == (1, 1)
    assert [s.key.subject_no for s in load_snapshot(team).waiting] == [22]


def test_back_to_one_pc_a_save_replaces_a_submission_left_waiting(team: Path) -> None:
    save_indicator_value(team, 3, 2025, 95.0, user=FINANCE)
    with connect(team, read_only=False) as con:  # every user removed (as by users remove)
        con.execute("DELETE FROM user_departments")
        con.execute("DELETE FROM users")
    assert save_indicator_value(team, 3, 2025, 95.0, user="os-user")  # in force, not "the same"
    value = load_snapshot(team).indicator_value(3, 2025)
    assert value is not None and value.value == 95.0
    with connect(team, read_only=True) as con:
        assert [s.state for s in read_submissions(con)] == ["superseded"]
    log = [(e.action, e.submission_id) for e in load_history(team) if e.field == "review_state"]
    assert log == [("supersede", 1)]


def test_a_returned_record_comes_back_to_its_form_to_be_corrected(team: Path) -> None:
    save_item_status(team, 22, 2025, "順調", achievements="市債を削減", user=FINANCE)
    return_to_submitter(team, 1, comment="金額を記入してください", user=APPROVER)
    editing = load_snapshot(team, editing=True)
    shown = editing.item_status(22, 2025)
    assert shown is not None and shown.achievements == "市債を削減"
    assert load_snapshot(team).item_status(22, 2025) is None
    assert load_snapshot(team, include_pending=True).item_status(22, 2025) is None
    # The form's save compares with what it showed: the returned content.
    assert save_item_status(
        team,
        22,
        2025,
        "順調",
        achievements="市債を3億円削減",
        user=FINANCE,
        expected=shown,
    )
    assert [s.state for s in load_snapshot(team).open_submissions] == ["submitted"]


def test_one_finding_for_every_record_is_refused(
    team: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save_indicator_value(team, 3, 2025, 95.0, user=FINANCE)
    before = dump(team)
    code, _, err = _cli(
        capsys,
        "review",
        "approve",
        "--all",
        "--comment",
        "確認済み",
        "--user",
        APPROVER,
        "--db",
        str(team),
    )
    assert code == 1 and "提出番号を指定して" in err
    assert dump(team) == before
