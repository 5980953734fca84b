"""The people who may use komae-kpi, their roles and departments, and the log of every change.

A user is known by their email, kept lowercased so that 「Yamada@City.Komae.lg.jp」 and
「yamada@city.komae.lg.jp」 are the same person. Roles (Japanese or English when given):
- 閲覧 (viewer): reads everything, changes nothing.
- 部署担当 (editor): enters for their departments; needs at least one department.
- 承認者 (approver): reviews and approves; enters anything.
- 管理者 (admin): everything, including users.
Departments are the plan's own (departments.csv in the store); the catch-alls 関係各課 and
各施設所管課 name no one and cannot be given. This module holds the users and reads them and
their log; adding, changing and removing them is store/user_admin.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import duckdb

from komae_kpi.plan.plan_files import DEPARTMENT_SEPARATOR
from komae_kpi.store.connection import (
    LOCK_WAIT_SECONDS,
    connect,
    fetch_all,
    require_current_schema,
)
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


def read_users(con: duckdb.DuckDBPyConnection, email: str | None = None) -> list[User]:
    """Every registered user by email, or the one with this (lowercased) email."""
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


def list_users(path: Path, *, wait_seconds: float = LOCK_WAIT_SECONDS) -> list[User]:
    """Every registered user, by email."""
    require_store_file(path)
    with connect(path, read_only=True, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        return read_users(con)


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
