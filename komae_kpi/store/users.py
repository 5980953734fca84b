"""The people who may use komae-kpi, their roles and departments, and the log of every change.

A user is known by their email, kept lowercased so that 「Yamada@City.Komae.lg.jp」 and
「yamada@city.komae.lg.jp」 are the same person. Roles (Japanese or English when given):
- 閲覧 (viewer): reads everything, changes nothing.
- 部署担当 (editor): enters for their departments; needs at least one department.
- 承認者 (approver): reviews and approves; enters anything.
- 管理者 (admin): everything, including users.
Departments are the plan's own (departments.csv in the store); the catch-alls 関係各課 and
各施設所管課 name no one and cannot be given. Every add, change and remove is one transaction that
also appends a row to user_log; a save that changes nothing writes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import duckdb

from komae_kpi.common.errors import ValidationError
from komae_kpi.plan.plan_files import DEPARTMENT_SEPARATOR
from komae_kpi.store.connection import (
    LOCK_WAIT_SECONDS,
    connect,
    current_user,
    fetch_all,
    require_current_schema,
    transaction,
)
from komae_kpi.store.queries import read_plan
from komae_kpi.store.record_changes import require_store_file

Role = Literal["viewer", "editor", "approver", "admin"]
UserAction = Literal["add", "change", "remove"]

ROLES: tuple[Role, ...] = get_args(Role)
ROLE_LABELS: dict[Role, str] = {
    "viewer": "閲覧",
    "editor": "部署担当",
    "approver": "承認者",
    "admin": "管理者",
}
ACTION_LABELS: dict[UserAction, str] = {"add": "追加", "change": "変更", "remove": "削除"}

# Something@domain.tld without spaces: enough to catch a typo or a name given for an address;
# whether the address exists is the sign-in provider's business.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


def role_choices() -> str:
    """'閲覧 / viewer、部署担当 / editor、承認者 / approver、管理者 / admin'."""
    return "、".join(f"{ROLE_LABELS[r]} / {r}" for r in ROLES)


def parse_role(text: str) -> Role | None:
    """The role named in Japanese or English (case-insensitive): '承認者' or 'Approver' -> 'approver'."""
    wanted = text.strip()
    for role in ROLES:
        if wanted.lower() == role or wanted == ROLE_LABELS[role]:
            return role
    return None


def normalize_email(text: str) -> str:
    """How an email is kept and compared: 'Yamada@City.Komae.lg.jp ' -> 'yamada@city.komae.lg.jp'."""
    return text.strip().lower()


@dataclass(frozen=True, kw_only=True)
class User:
    email: str
    name: str | None
    role: Role
    departments: tuple[str, ...]

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


@dataclass(frozen=True, kw_only=True)
class UserLogEntry:
    """One row of user_log: the user as they were before and after (None: did not exist)."""

    change_id: int
    changed_at: dt.datetime
    changed_by: str
    action: UserAction
    email: str
    before: User | None
    after: User | None


def user_problems(
    *,
    email: str,
    role: str,
    departments: Sequence[str],
    known_departments: Sequence[str],
    catch_alls: Sequence[str] = (),
) -> list[str]:
    """Every reason a user cannot be saved like this, each naming the value (empty when fine)."""
    problems: list[str] = []
    if not _EMAIL.match(email.strip()):
        problems.append(
            f"メールアドレス「{email}」の形式が正しくありません（例: name@city.komae.lg.jp）。"
        )
    parsed = parse_role(role)
    if parsed is None:
        problems.append(f"役割「{role}」はありません（指定できる役割: {role_choices()}）。")
    if parsed == "editor" and not departments:
        problems.append(
            "部署担当（editor）には部署を1つ以上指定してください（--department 部署名）。"
        )
    for department in departments:
        if department in catch_alls:
            problems.append(
                f"部署「{department}」は総称のため指定できません（特定の部署を指定してください）。"
            )
        elif department not in known_departments:
            problems.append(f"部署「{department}」は計画の部署にありません。")
    return problems


def _joined(departments: tuple[str, ...]) -> str:
    return DEPARTMENT_SEPARATOR.join(departments)


def _read_users(con: duckdb.DuckDBPyConnection, email: str | None = None) -> list[User]:
    departments: dict[str, list[str]] = {}
    for owner, department in fetch_all(
        con, "SELECT email, department FROM user_departments ORDER BY email, seq"
    ):
        departments.setdefault(owner, []).append(department)
    where, params = ("WHERE email = ?", [email]) if email is not None else ("", [])
    return [
        User(email=e, name=name, role=role, departments=tuple(departments.get(e, ())))
        for e, name, role in fetch_all(
            con, f"SELECT email, name, role FROM users {where} ORDER BY email", params
        )
    ]


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
    change_id = int(fetch_all(con, "SELECT coalesce(max(change_id), 0) + 1 FROM user_log")[0][0])
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
        parsed = parse_role(role)
        if problems or parsed is None:
            raise ValidationError(problems)
        key = normalize_email(email)
        after = User(email=key, name=(name or "").strip() or None, role=parsed, departments=unique)
        with transaction(con):
            found = _read_users(con, key)
            before = found[0] if found else None
            if before == after:
                return None
            _write_user(con, key, after)
            action: UserAction = "add" if before is None else "change"
            return _log(
                con,
                user=user or current_user(),
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
            found = _read_users(con, key)
            if not found:
                raise ValidationError([f"ユーザー「{email}」は登録されていません。"])
            _write_user(con, key, None)
            return _log(
                con,
                user=user or current_user(),
                action="remove",
                email=key,
                before=found[0],
                after=None,
            )


def list_users(path: Path, *, wait_seconds: float = LOCK_WAIT_SECONDS) -> list[User]:
    """Every registered user, by email."""
    require_store_file(path)
    with connect(path, read_only=True, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        return _read_users(con)


def find_user(
    path: Path, email: str, *, wait_seconds: float = LOCK_WAIT_SECONDS
) -> User | None:
    """The registered user with this email (any case), or None."""
    require_store_file(path)
    with connect(path, read_only=True, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        found = _read_users(con, normalize_email(email))
    return found[0] if found else None


def read_users(con: duckdb.DuckDBPyConnection) -> list[User]:
    """Every registered user, by email, on an open connection."""
    return _read_users(con)


def read_user(con: duckdb.DuckDBPyConnection, email: str) -> User | None:
    """The registered user with this email (any case), on an open connection."""
    found = _read_users(con, normalize_email(email))
    return found[0] if found else None


def administrators(users: Sequence[User]) -> list[User]:
    """Whom to ask for access: the admins, by email."""
    return [u for u in users if u.role == "admin"]


def _logged_user(
    email: str, name: str | None, role: str | None, departments: str | None
) -> User | None:
    parsed = parse_role(role) if role is not None else None
    if parsed is None:  # the side of an add or a remove that does not exist
        return None
    split = tuple(d for d in (departments or "").split(DEPARTMENT_SEPARATOR) if d)
    return User(email=email, name=name, role=parsed, departments=split)


def user_log(path: Path, *, wait_seconds: float = LOCK_WAIT_SECONDS) -> list[UserLogEntry]:
    """Every change to users, oldest first."""
    require_store_file(path)
    with connect(path, read_only=True, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        rows = fetch_all(
            con,
            "SELECT change_id, changed_at, changed_by, action, email, name_before, name_after,"
            " role_before, role_after, departments_before, departments_after"
            " FROM user_log ORDER BY change_id",
        )
    return [
        UserLogEntry(
            change_id=change_id,
            changed_at=changed_at,
            changed_by=changed_by,
            action=action,
            email=email,
            before=_logged_user(email, name_before, role_before, departments_before),
            after=_logged_user(email, name_after, role_after, departments_after),
        )
        for (
            change_id,
            changed_at,
            changed_by,
            action,
            email,
            name_before,
            name_after,
            role_before,
            role_after,
            departments_before,
            departments_after,
        ) in rows
    ]
