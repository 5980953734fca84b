"""Users and roles in the store (issue 10, first slice): the core, the command line, the log and
the migrations applied to a store made by the previous schema."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from komae_kpi.cli import main
from komae_kpi.common.errors import PermissionDeniedError, ValidationError
from komae_kpi.plan.model import IndicatorDepartment, StockFlow, plan_parts
from komae_kpi.plan.plan_files import load_plan
from komae_kpi.store import queries
from komae_kpi.store.connection import connect, init_store
from komae_kpi.store.entries import save_item_status
from komae_kpi.store.user_admin import remove_user, save_user
from komae_kpi.store.users import (
    User,
    list_users,
    parse_role,
    user_log,
)
from tests.store_helpers import dump


def test_roles_are_accepted_in_japanese_or_english() -> None:
    assert [parse_role(t) for t in ("閲覧", "部署担当", "承認者", "管理者")] == [
        "viewer",
        "editor",
        "approver",
        "admin",
    ]
    assert [parse_role(t) for t in ("viewer", "Editor", " APPROVER ", "admin")] == [
        "viewer",
        "editor",
        "approver",
        "admin",
    ]
    assert parse_role("boss") is None and parse_role("") is None


SATO = "sato@city.komae.lg.jp"


def test_add_change_and_remove_are_kept_and_logged(store: Path) -> None:
    # The first user is added by whoever runs the command; from then on by an administrator.
    save_user(store, email=SATO, role="管理者", name="佐藤", user="os-user")
    added = save_user(
        store,
        email="Yamada@City.Komae.LG.jp",
        role="部署担当",
        departments=["財政課", "納税課"],
        name="山田 太郎",
        user="Sato@City.Komae.lg.jp",
    )
    assert added is not None and added.action == "add"
    yamada = User(
        email="yamada@city.komae.lg.jp",
        name="山田 太郎",
        role="editor",
        departments=("財政課", "納税課"),
    )
    sato = User(email=SATO, name="佐藤", role="admin", departments=())
    assert list_users(store) == [sato, yamada]
    assert yamada.role_label == "部署担当"
    # The same address in other case is the same person: a change, not a second user.
    changed = save_user(store, email="YAMADA@city.komae.lg.jp", role="approver", user=SATO)
    assert changed is not None and changed.action == "change"
    approver = User(email=yamada.email, name=None, role="approver", departments=())
    assert list_users(store) == [sato, approver]
    # Saving the same again changes and logs nothing.
    assert save_user(store, email=yamada.email, role="承認者", user=SATO) is None
    removed = remove_user(store, "yamada@CITY.komae.lg.jp", user=SATO)
    assert removed.action == "remove"
    assert list_users(store) == [sato]
    log = user_log(store)
    assert [(e.action, e.changed_by, e.email) for e in log] == [
        ("add", "os-user", SATO),
        ("add", SATO, yamada.email),
        ("change", SATO, yamada.email),
        ("remove", SATO, yamada.email),
    ]
    assert [(e.before, e.after) for e in log][1:] == [
        (None, yamada),
        (yamada, approver),
        (approver, None),
    ]
    assert [e.change_id for e in log] == [1, 2, 3, 4]


def test_only_an_administrator_manages_users_once_any_exist(store: Path) -> None:
    save_user(store, email=SATO, role="admin")
    save_user(store, email="kato@city.komae.lg.jp", role="承認者", user=SATO)
    before = dump(store)
    for who in ("kato@city.komae.lg.jp", "stranger@example.jp", "os-user"):
        with pytest.raises(PermissionDeniedError, match=r"^権限がありません："):
            save_user(store, email="new@city.komae.lg.jp", role="viewer", user=who)
        with pytest.raises(PermissionDeniedError, match=r"^権限がありません："):
            remove_user(store, "kato@city.komae.lg.jp", user=who)
    # The last administrator stays while others need one.
    with pytest.raises(ValidationError, match="最後の管理者"):
        save_user(store, email=SATO, role="承認者", user=SATO)
    with pytest.raises(ValidationError, match="最後の管理者"):
        remove_user(store, SATO, user=SATO)
    with pytest.raises(ValidationError, match="最後の管理者"):
        save_user(store, email=SATO, role="viewer", user=SATO)
    assert dump(store) == before


def test_the_os_user_is_logged_without_a_user(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("komae_kpi.store.user_admin.current_user", lambda: "os-user")
    save_user(store, email="a@city.komae.lg.jp", role="admin")
    assert [e.changed_by for e in user_log(store)] == ["os-user"]


def test_every_bad_input_is_listed_at_once_and_nothing_is_written(store: Path) -> None:
    before = dump(store)
    with pytest.raises(ValidationError) as info:
        save_user(store, email="山田", role="boss", departments=["架空課", "関係各課"])
    problems = info.value.problems
    assert len(problems) == 4
    assert "メールアドレス「山田」" in problems[0]
    assert "役割「boss」" in problems[1] and "承認者 / approver" in problems[1]
    assert "部署「架空課」は計画の部署にありません" in problems[2]
    assert "部署「関係各課」は総称" in problems[3]
    with pytest.raises(ValidationError, match="部署担当（editor）には部署を1つ以上"):
        save_user(store, email="b@city.komae.lg.jp", role="editor")
    with pytest.raises(ValidationError, match="は登録されていません"):
        remove_user(store, "nobody@city.komae.lg.jp")
    assert dump(store) == before


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_users_commands(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--db", str(store)]
    code, out, _ = _cli(
        capsys, "users", "add", "a@city.komae.lg.jp", "--role", "admin", "--user", "setup", *db
    )
    assert code == 0
    as_admin = ["--user", "A@city.komae.lg.jp"]
    code, out, _ = _cli(
        capsys,
        "users",
        "add",
        "Suzuki@City.Komae.lg.jp",
        "--role",
        "部署担当",
        "--department",
        "職員課",
        "--department",
        "政策室",
        "--name",
        "鈴木",
        *as_admin,
        *db,
    )
    assert code == 0 and "追加しました" in out and "suzuki@city.komae.lg.jp" in out
    code, _, err = _cli(capsys, "users", "add", "b@city.komae.lg.jp", "--role", "admin", *db)
    assert code == 1 and "権限がありません" in err  # the OS user is not an administrator
    code, out, _ = _cli(
        capsys, "users", "add", "SUZUKI@city.komae.lg.jp", "--role", "閲覧", *as_admin, *db
    )
    assert code == 0 and "変更しました" in out
    code, out, _ = _cli(capsys, "users", "list", "--json", *db)
    assert code == 0
    assert json.loads(out) == [
        {
            "email": "a@city.komae.lg.jp",
            "name": None,
            "role": "admin",
            "role_label": "管理者",
            "departments": [],
        },
        {
            "email": "suzuki@city.komae.lg.jp",
            "name": None,
            "role": "viewer",
            "role_label": "閲覧",
            "departments": [],
        },
    ]
    code, out, _ = _cli(capsys, "users", "list", *db)
    assert code == 0 and "suzuki@city.komae.lg.jp 閲覧" in out
    code, out, _ = _cli(capsys, "users", "remove", "Suzuki@City.Komae.lg.jp", *as_admin, *db)
    assert code == 0 and "削除しました" in out
    assert [e.changed_by for e in user_log(store)] == ["setup"] + ["a@city.komae.lg.jp"] * 3
    assert [e.action for e in user_log(store)] == ["add", "add", "change", "remove"]


def test_users_commands_refuse_bad_input_in_japanese(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(store)]
    before = dump(store)
    code, _, err = _cli(
        capsys, "users", "add", "x", "--role", "boss", "--department", "架空課", *db
    )
    assert code == 1
    assert "「x」" in err and "「boss」" in err and "「架空課」" in err
    code, _, err = _cli(capsys, "users", "add", "e@city.komae.lg.jp", "--role", "editor", *db)
    assert code == 1 and "部署を1つ以上" in err
    code, _, err = _cli(capsys, "users", "remove", "nobody@city.komae.lg.jp", *db)
    assert code == 1 and "登録されていません" in err
    assert dump(store) == before
    code, out, _ = _cli(capsys, "users", "list", *db)
    assert code == 0 and "登録されたユーザーはいません" in out


def test_the_migrations_upgrade_a_store_of_the_previous_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store made by the code before users and indicator departments (schema 3), with data
    entered, upgrades: the data is kept, the new tables are there and filled from the plan."""
    import komae_kpi.store.connection as store_module

    path = tmp_path / "v3.duckdb"
    previous = [m for m in store_module.migrations() if m.version <= 3]
    parts = [p for p in plan_parts() if p[1] not in (IndicatorDepartment, StockFlow)]
    monkeypatch.setattr(store_module, "migrations", lambda: previous)
    monkeypatch.setattr(store_module, "LATEST_SCHEMA_VERSION", 3)
    monkeypatch.setattr(store_module, "plan_parts", lambda: parts)
    init_store(path)
    monkeypatch.undo()
    con = duckdb.connect(str(path))
    con.execute(
        "INSERT INTO item_statuses (item_no, fiscal_year, status, achievements, issues, next_steps,"
        " updated_at, updated_by) VALUES (21, 2025, '順調', '実績', NULL, NULL, now(), '財政課')"
    )
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    con.close()
    assert "users" not in tables and "indicator_departments" not in tables
    entered = {t: rows for t, rows in dump(path).items() if t in ("item_statuses", "change_log")}

    report = init_store(path)
    assert report.migrations_applied[:2] == (4, 5)
    after = dump(path)
    assert after["item_statuses"] == entered["item_statuses"]
    assert after["users"] == [] and after["user_log"] == []
    with connect(path, read_only=True) as con:
        assert queries.read_plan(con) == load_plan()
    save_item_status(path, 22, 2025, "順調", user="財政課")  # the upgraded store takes entries
    save_user(path, email="a@city.komae.lg.jp", role="admin")
    assert [u.email for u in list_users(path)] == ["a@city.komae.lg.jp"]


def test_the_first_user_must_be_an_administrator(store: Path) -> None:
    before = dump(store)
    with pytest.raises(ValidationError, match="最初のユーザーは管理者にしてください"):
        save_user(store, email="yamada@city.komae.lg.jp", role="部署担当", departments=["財政課"])
    assert dump(store) == before
    assert save_user(store, email="sato@city.komae.lg.jp", role="管理者") is not None


def test_the_only_administrator_cannot_take_another_role(store: Path) -> None:
    save_user(store, email=SATO, role="admin")
    before = dump(store)
    with pytest.raises(ValidationError, match="最後の管理者"):
        save_user(store, email=SATO, role="閲覧", user=SATO)
    assert dump(store) == before
    remove_user(store, SATO, user=SATO)  # the very last user: back to use on one PC
    assert list_users(store) == []


def test_a_store_with_users_but_no_administrator_can_be_given_one(tmp_path: Path) -> None:
    """Users registered before roles were enforced (the first slice let anyone add anyone) may
    include no administrator: whoever can run the command may then add one, and only that."""
    path = tmp_path / "kpi.duckdb"
    init_store(path)
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO users VALUES ('ed@city.komae.lg.jp', NULL, 'editor')")
    con.execute("INSERT INTO user_departments VALUES ('ed@city.komae.lg.jp', 1, '財政課')")
    con.close()
    with pytest.raises(ValidationError, match="管理者が登録されていません"):
        save_user(path, email="v@city.komae.lg.jp", role="viewer", user="os-user")
    with pytest.raises(ValidationError, match="管理者が登録されていません"):
        remove_user(path, "ed@city.komae.lg.jp", user="os-user")
    save_user(path, email="kanri@city.komae.lg.jp", role="管理者", user="os-user")
    with pytest.raises(PermissionDeniedError):
        save_user(path, email="v@city.komae.lg.jp", role="viewer", user="os-user")
    save_user(path, email="v@city.komae.lg.jp", role="viewer", user="kanri@city.komae.lg.jp")
    assert [u.email for u in list_users(path)] == [
        "ed@city.komae.lg.jp",
        "kanri@city.komae.lg.jp",
        "v@city.komae.lg.jp",
    ]
