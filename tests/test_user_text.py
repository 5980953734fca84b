"""One rule for user text (common/user_text.py): the form and the importer refuse the same text
with the same words; terminal output shows stored control characters, never sends them."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from komae_kpi.cli import main
from komae_kpi.common.errors import ValidationError
from komae_kpi.common.user_text import (
    LONG_TEXT_LIMIT,
    ONE_LINE_LIMIT,
    RECORD_TEXT_RULES,
    text_problem,
    visible,
)
from komae_kpi.imports.importer import ImportSource, apply_import, preview_import
from komae_kpi.judgement.approvals import approve, return_to_submitter
from komae_kpi.store.entries import save_indicator_value, save_item_status
from komae_kpi.store.scenarios import name_problem
from komae_kpi.store.user_admin import save_user
from tests.store_helpers import dump

ESCAPE = "\x1b[2J偽の表示\x00"


def test_control_characters_are_refused_in_every_field() -> None:
    for name, rule in RECORD_TEXT_RULES.items():
        problem = text_problem(f"前{ESCAPE}後", rule)
        assert problem is not None, name
        assert rule.label in problem and "制御文字" in problem
        assert "\\x1b" in problem and "\x1b" not in problem  # named, never sent


def test_line_breaks_only_where_the_field_has_lines() -> None:
    assert text_problem("1行目\n2行目\r\n3行目\tタブ", RECORD_TEXT_RULES["achievements"]) is None
    for text in ("1行目\n2行目", "市\t統計"):
        problem = text_problem(text, RECORD_TEXT_RULES["source"])
        assert problem is not None and "1行で入力する欄" in problem


def test_the_limit_is_in_the_message() -> None:
    assert text_problem("あ" * LONG_TEXT_LIMIT, RECORD_TEXT_RULES["issues"]) is None
    long = text_problem("あ" * (LONG_TEXT_LIMIT + 1), RECORD_TEXT_RULES["issues"])
    assert long == "課題は2,000文字以内で入力してください（2,001文字あります）。"
    short = text_problem("あ" * (ONE_LINE_LIMIT + 1), RECORD_TEXT_RULES["source"])
    assert short is not None and "出典は200文字以内" in short


def test_the_form_refuses_what_the_importer_refuses_and_writes_nothing(store: Path) -> None:
    before = dump(store)
    with pytest.raises(ValidationError) as status_error:
        save_item_status(store, 21, 2025, "順調", achievements=ESCAPE, issues="ok")
    with pytest.raises(ValidationError) as value_error:
        save_indicator_value(store, 3, 2025, 89.0, source="市\n調べ", note="a" * 2_001)
    assert dump(store) == before
    [status_problem] = status_error.value.problems
    assert status_problem == text_problem(ESCAPE, RECORD_TEXT_RULES["achievements"])
    assert set(value_error.value.problems) == {
        "出典に改行は使えません（1行で入力する欄です）。",
        "備考は2,000文字以内で入力してください（2,001文字あります）。",
    }

    # The importer, fed the same text, refuses it with the same reason.
    csv = f'項目番号,年度,進捗状況,取組実績\n21,R7,順調,"{ESCAPE}"\n'
    preview = preview_import(store, [ImportSource(name="制御.csv", data=csv.encode())])
    [problem] = preview.problems
    assert problem.endswith(status_problem)
    csv = '指標,年度,実績値,出典\n3,2025,89,"市\n調べ"\n'
    preview = preview_import(store, [ImportSource(name="出典.csv", data=csv.encode())])
    [problem] = preview.problems
    assert problem.endswith("出典に改行は使えません（1行で入力する欄です）。")


def test_multi_line_text_is_still_saved_and_imported(store: Path) -> None:
    assert save_item_status(store, 21, 2025, "順調", achievements="1行目\n2行目")
    csv = '項目番号,年度,進捗状況,課題\n21,R7,順調,"a\n\tb"\n'
    assert apply_import(store, [ImportSource(name="複数行.csv", data=csv.encode())]).written == 1


def test_visible_writes_out_every_control_character() -> None:
    assert visible("a\x1b[2J\x00\x9bb\r") == "a\\x1b[2J\\x00\\x9bb\\x0d"
    assert visible("a\nb\tc", keep_line_breaks=True) == "a\nb\tc"
    assert visible("a\nb") == "a\\x0ab"


def test_history_shows_a_stored_escape_sequence_escaped(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert save_item_status(store, 21, 2025, "順調", achievements="会議を開催した")
    # As an older version, which took control characters from the form, could have stored it.
    con = duckdb.connect(str(store))
    try:
        con.execute("UPDATE item_statuses SET achievements = ?", [ESCAPE])
        con.execute("UPDATE change_log SET new_value = ? WHERE field = 'achievements'", [ESCAPE])
    finally:
        con.close()
    capsys.readouterr()
    assert main(["history", "--db", str(store)]) == 0
    assert main(["status", "--db", str(store)]) == 0
    out, err = capsys.readouterr()
    assert "\\x1b[2J偽の表示\\x00" in out
    assert "\x1b" not in out + err and "\x00" not in out + err


def test_comments_findings_user_and_scenario_names_follow_the_rule(store: Path) -> None:
    admin, finance, approver = (f"{n}@city.komae.lg.jp" for n in ("admin", "zaisei", "shonin"))
    with pytest.raises(ValidationError, match="ユーザーの名前に制御文字"):
        save_user(store, email=admin, role="管理者", name=ESCAPE, user="setup")
    with pytest.raises(ValidationError, match="ユーザーの名前に改行は使えません"):
        save_user(store, email=admin, role="管理者", name="狛江\n太郎", user="setup")
    save_user(store, email=admin, role="管理者", name="狛江 太郎", user="setup")
    save_user(store, email=finance, role="部署担当", departments=["財政課"], user=admin)
    save_user(store, email=approver, role="承認者", user=admin)
    save_item_status(store, 22, 2025, "順調", achievements="市債を削減", user=finance)
    before = dump(store)
    with pytest.raises(ValidationError, match="差し戻す理由（コメント）に制御文字"):
        return_to_submitter(store, 1, comment=ESCAPE, user=approver)
    with pytest.raises(ValidationError, match="提出番号1の所見（コメント）は2,000文字以内"):
        approve(store, [1], comments={1: "所" * 2_001}, user=approver)
    assert dump(store) == before
    assert approve(store, [1], comments={1: "確認した\n問題なし"}, user=approver).approved

    assert name_problem("見通し\x1b[2J") == (
        "財政見通しの名前に制御文字 \\x1b（画面に表示されない文字）が含まれています。取り除いてください。"
    )
    assert (
        name_problem("見通し\n2") == "財政見通しの名前に改行は使えません（1行で入力する欄です）。"
    )


def test_no_problem_message_carries_a_raw_control_character(store: Path) -> None:
    # Found by tests/test_fuzz.py: the unknown-status message quoted the cell as it was.
    csv = "項目番号,年度,進捗状況\n21,R7,\x07\n"
    preview = preview_import(store, [ImportSource(name="状況.csv", data=csv.encode())])
    assert preview.problems
    assert all("\x07" not in p for p in preview.problems)
    assert any("進捗状況「\\x07」は区分" in p for p in preview.problems)
