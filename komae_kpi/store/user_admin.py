"""Adding, changing and removing users: an administrator's work once any user exists.

The first user is added by whoever can run the command (whoever can, has the file anyway), and
must be a 管理者; from then on the acting person must be a registered 管理者. Every change is one transaction that also
appends a row to user_log; a save that changes nothing writes nothing. The last administrator can
be neither removed nor given another role while other users exist: no one could manage users then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import duckdb

from komae_kpi.common.errors import ValidationError
from komae_kpi.common.user_text import one_line, text_problem
from komae_kpi.plan.plan_files import DEPARTMENT_SEPARATOR
from komae_kpi.store.connection import (
    LOCK_WAIT_SECONDS,
    connect,
    current_user,
    next_id,
    require_current_schema,
    transaction,
)
from komae_kpi.store.permissions import Actor, require_user_manager, resolve_actor
from komae_kpi.store.queries import read_plan
from komae_kpi.store.record_changes import require_store_file
from komae_kpi.store.users import (
    User,
    UserAction,
    UserLogEntry,
    normalize_email,
    parse_role,
    read_users,
    user_problems,
)


def _last_admin_problem(users: Sequence[User], email: str, after: User | None) -> str | None:
    """Refuse to leave users without an administrator: the last one may not take another role,
    nor be removed while others remain (removing the very last user returns to one-PC use)."""
    admins = [u for u in users if u.role == "admin"]
    others = [u for u in users if u.email != email]
    if [a.email for a in admins] != [email]:
        return None
    if (after is None and others) or (after is not None and after.role != "admin"):
        return (
            f"「{email}」は最後の管理者のため、削除・役割の変更はできません"
            "（先に別の管理者を追加してください）。"
        )
    return None


def _require_manager(con: duckdb.DuckDBPyConnection, identity: str, after: User | None) -> Actor:
    """The acting person, who must be an administrator; except that while no administrator
    exists (a store whose users were registered before roles were enforced), whoever can run the
    command may make someone one, so that such a store can always be put right."""
    everyone = read_users(con)
    if everyone and not [u for u in everyone if u.role == "admin"]:
        if after is not None and after.role == "admin":
            return Actor(identity=identity, user=None)
        raise ValidationError(
            [
                "管理者が登録されていません。先に管理者を登録してください"
                "（例: python -m komae_kpi users add アドレス --role 管理者）。"
            ]
        )
    actor = resolve_actor(con, identity)
    require_user_manager(actor)
    return actor


def _joined(departments: tuple[str, ...]) -> str:
    return DEPARTMENT_SEPARATOR.join(departments)


def _write_user(con: duckdb.DuckDBPyConnection, email: str, after: User | None) -> None:
    con.execute("DELETE FROM user_departments WHERE email = ?", [email])
    con.execute("DELETE FROM users WHERE email = ?", [email])
    if after is None:
        return
    con.execute(
        "INSERT INTO users (email, name, role) VALUES (?, ?, ?)",
        [after.email, after.name, after.role],
    )
    for seq, department in enumerate(after.departments, start=1):
        con.execute(
            "INSERT INTO user_departments (email, seq, department) VALUES (?, ?, ?)",
            [after.email, seq, department],
        )


def _log(
    con: duckdb.DuckDBPyConnection,
    *,
    user: str,
    action: UserAction,
    email: str,
    before: User | None,
    after: User | None,
) -> UserLogEntry:
    change_id = next_id(con, "user_log", "change_id")
    entry = UserLogEntry(
        change_id=change_id,
        changed_at=dt.datetime.now(),
        changed_by=user,
        action=action,
        email=email,
        before=before,
        after=after,
    )
    con.execute(
        "INSERT INTO user_log (change_id, changed_at, changed_by, action, email, name_before,"
        " name_after, role_before, role_after, departments_before, departments_after)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            entry.change_id,
            entry.changed_at,
            entry.changed_by,
            entry.action,
            entry.email,
            before.name if before else None,
            after.name if after else None,
            before.role if before else None,
            after.role if after else None,
            _joined(before.departments) if before else None,
            _joined(after.departments) if after else None,
        ],
    )
    return entry


def save_user(
    path: Path,
    *,
    email: str,
    role: str,
    departments: Sequence[str] = (),
    name: str | None = None,
    user: str | None = None,
    wait_seconds: float = LOCK_WAIT_SECONDS,
) -> UserLogEntry | None:
    """Add a user, or change the one with this email (logged as 'change').

    role: Japanese or English. Raises ValidationError listing every problem, writing nothing.
    Returns the log entry, or None when the user already is exactly so (nothing written).
    """
    require_store_file(path)
    with connect(path, read_only=False, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        plan_departments = read_plan(con).departments
        unique = tuple(dict.fromkeys(d.strip() for d in departments if d.strip()))
        problems = user_problems(
            email=email,
            role=role,
            departments=unique,
            known_departments=[d.name for d in plan_departments if not d.is_catch_all],
            catch_alls=[d.name for d in plan_departments if d.is_catch_all],
        )
        named = text_problem(name, one_line("ユーザーの名前"))
        problems += [named] if named else []
        parsed = parse_role(role)
        if problems or parsed is None:
            raise ValidationError(problems)
        key = normalize_email(email)
        after = User(email=key, name=(name or "").strip() or None, role=parsed, departments=unique)
        with transaction(con):
            actor = _require_manager(con, user or current_user(), after)
            found = read_users(con, key)
            before = found[0] if found else None
            if before == after:
                return None
            everyone = read_users(con)
            if not everyone and after.role != "admin":
                # Once a user exists only an administrator manages users: the first must be one.
                raise ValidationError(
                    [
                        f"最初のユーザーは管理者にしてください（「{key}」の役割: {after.role_label}）。"
                        "管理者を登録した後で、その管理者として（--user）ほかのユーザーを追加します。"
                    ]
                )
            last_admin = _last_admin_problem(everyone, key, after)
            if last_admin:
                raise ValidationError([last_admin])
            _write_user(con, key, after)
            action: UserAction = "add" if before is None else "change"
            return _log(
                con,
                user=actor.identity,
                action=action,
                email=key,
                before=before,
                after=after,
            )


def remove_user(
    path: Path, email: str, *, user: str | None = None, wait_seconds: float = LOCK_WAIT_SECONDS
) -> UserLogEntry:
    """Remove the user with this email (any case). ValidationError, nothing written, if unknown."""
    require_store_file(path)
    key = normalize_email(email)
    with connect(path, read_only=False, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        with transaction(con):
            actor = _require_manager(con, user or current_user(), None)
            found = read_users(con, key)
            if not found:
                raise ValidationError([f"ユーザー「{email}」は登録されていません。"])
            last_admin = _last_admin_problem(read_users(con), key, None)
            if last_admin:
                raise ValidationError([last_admin])
            _write_user(con, key, None)
            return _log(
                con,
                user=actor.identity,
                action="remove",
                email=key,
                before=found[0],
                after=None,
            )
