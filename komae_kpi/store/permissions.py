"""Who may do what: the acting person, resolved from the store's users, and the core's refusals.

Every write function takes the acting person's identity (a sign-in address or the OS user) and
resolves it here inside its own connection, so a role is never taken on trust from the caller:
- No users registered: the single-user tool on one PC. Everyone may do everything and saves are
  approved at once (nothing about review gets in the way).
- Users registered: the identity must be one of them (「権限がありません」 otherwise).
  閲覧 (viewer) changes nothing; 部署担当 (editor) enters the items their departments lead (shared
  items included) and the actuals of the indicators their departments answer for; 承認者 (approver)
  enters anything and reviews; 管理者 (admin) does everything, users included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common.errors import PermissionDeniedError
from komae_kpi.plan.model import Plan
from komae_kpi.plan.plan_files import DEPARTMENT_SEPARATOR
from komae_kpi.store.record_changes import RecordKey
from komae_kpi.store.users import (
    ROLE_LABELS,
    Role,
    User,
    administrators,
    normalize_email,
    read_users,
)

DENIED = "権限がありません："


@dataclass(frozen=True, kw_only=True)
class Actor:
    """The person acting, as the store knows them.

    user is None only in single-user mode (no users registered): then everything is allowed and
    what is saved is approved at once.
    """

    identity: str
    user: User | None

    @property
    def single_user(self) -> bool:
        return self.user is None

    @property
    def role(self) -> Role | None:
        return self.user.role if self.user else None

    @property
    def departments(self) -> tuple[str, ...]:
        return self.user.departments if self.user else ()

    @property
    def may_enter_anything(self) -> bool:
        return self.single_user or self.role in ("approver", "admin")

    @property
    def may_enter(self) -> bool:
        """May enter at least something (an editor: within their departments)."""
        return self.role != "viewer"

    @property
    def may_review(self) -> bool:
        return self.single_user or self.role in ("approver", "admin")

    @property
    def may_record_meetings(self) -> bool:
        """May record and remove 推進本部 meetings (store/meetings.py)."""
        return self.single_user or self.role in ("approver", "admin")

    @property
    def may_manage_users(self) -> bool:
        return self.single_user or self.role == "admin"

    @property
    def approves_at_once(self) -> bool:
        return self.single_user

    @property
    def label(self) -> str:
        """「yamada@city.komae.lg.jp（部署担当: 財政課）」."""
        if self.user is None:
            return self.identity
        scope = f": {DEPARTMENT_SEPARATOR.join(self.departments)}" if self.departments else ""
        return f"{self.identity}（{ROLE_LABELS[self.user.role]}{scope}）"


def ask_whom(users: Sequence[User]) -> str:
    """Whom to ask for access: the administrators by name and address."""
    admins = administrators(users)
    if not admins:
        return "システムの管理者"
    return (
        "管理者（" + "、".join(f"{u.name + ' ' if u.name else ''}{u.email}" for u in admins) + "）"
    )


def resolve_actor(con: duckdb.DuckDBPyConnection, identity: str) -> Actor:
    """The acting person; PermissionDeniedError when users exist and this is not one of them."""
    users = read_users(con)
    if not users:
        return Actor(identity=identity, user=None)
    key = normalize_email(identity)
    found = next((u for u in users if u.email == key), None)
    if found is None:
        raise PermissionDeniedError(
            [
                f"{DENIED}「{identity}」は利用者として登録されていません。"
                f"{ask_whom(users)}に登録を依頼してください"
                "（コマンドでは --user で登録済みのメールアドレスを指定できます）。"
            ]
        )
    return Actor(identity=found.email, user=found)


def record_label(plan: Plan, key: RecordKey) -> str:
    """「指標3（市債残高）の令和7年度の実績値」 / 「取組項目12（…）の令和7年度の進捗状況」."""
    year = fy.wareki(key.fiscal_year)
    if key.kind == "indicator_value":
        name = next((x.name for x in plan.indicators if x.indicator_no == key.subject_no), None)
        subject = f"指標{key.subject_no}" + (f"（{name}）" if name else "")
        return f"{subject}の{year}の実績値"
    name = next((i.name for i in plan.items if i.item_no == key.subject_no), None)
    subject = f"取組項目{key.subject_no}" + (f"（{name}）" if name else "")
    return f"{subject}の{year}の進捗状況"


def record_departments(plan: Plan, key: RecordKey) -> tuple[str, ...]:
    """The departments that answer for a record: an item's 推進部署, an indicator's setting."""
    if key.kind == "indicator_value":
        return plan.departments_of_indicator(key.subject_no)
    item = next((i for i in plan.items if i.item_no == key.subject_no), None)
    return item.departments if item else ()


def entry_refusal(actor: Actor, plan: Plan, key: RecordKey) -> str | None:
    """Why this person may not enter this record (None when they may)."""
    return _refusal(actor, record_label(plan, key), record_departments(plan, key))


def _refusal(actor: Actor, label: str, owners: tuple[str, ...]) -> str | None:
    """Why this person may not enter what `label` names, for which `owners` answer."""
    if actor.may_enter_anything:
        return None
    if actor.role == "viewer":
        return f"{DENIED}{actor.label}は閲覧のみの利用者のため、{label}を入力できません。"
    if set(owners) & set(actor.departments):
        return None
    owner_text = DEPARTMENT_SEPARATOR.join(owners) if owners else "承認者"
    return f"{DENIED}{label}は{owner_text}の担当です。{actor.label}は入力できません。"


def require_scenario_entry(actor: Actor, plan: Plan, indicator_nos: Sequence[int]) -> None:
    """A 財政見通し is entered by whoever may enter the actuals of every indicator it touches
    (before users are registered, anyone): it is in force at once, like the actuals it projects."""
    problems = []
    for indicator_no in sorted(set(indicator_nos)):
        name = next((x.name for x in plan.indicators if x.indicator_no == indicator_no), None)
        label = f"指標{indicator_no}" + (f"（{name}）" if name else "") + "の財政見通し"
        refusal = _refusal(actor, label, plan.departments_of_indicator(indicator_no))
        if refusal:
            problems.append(refusal)
    if problems:
        raise PermissionDeniedError(problems)


def require_entry(actor: Actor, plan: Plan, keys: Sequence[RecordKey]) -> None:
    """Refuse, naming every record, when any of these may not be entered by this person."""
    problems = [p for p in (entry_refusal(actor, plan, k) for k in keys) if p]
    if problems:
        raise PermissionDeniedError(problems)


def require_reviewer(actor: Actor) -> None:
    if not actor.may_review:
        raise PermissionDeniedError(
            [f"{DENIED}{actor.label}は承認者・管理者ではないため、承認・差戻しはできません。"]
        )


def require_user_manager(actor: Actor) -> None:
    if not actor.may_manage_users:
        raise PermissionDeniedError(
            [f"{DENIED}{actor.label}は管理者ではないため、利用者を追加・変更・削除できません。"]
        )


def require_restorer(actor: Actor) -> None:
    """Restoring a backup rewrites what is in force: an administrator's job once users exist."""
    if not actor.may_manage_users:
        raise PermissionDeniedError(
            [f"{DENIED}{actor.label}は管理者ではないため、バックアップから復元できません。"]
        )


def require_reference_importer(actor: Actor) -> None:
    """Public reference data (the ministry's 主要財政指標一覧) is imported by an approver or an
    administrator: it goes into force at once, beside the city's own approved figures."""
    if not actor.may_enter_anything:
        raise PermissionDeniedError(
            [
                f"{DENIED}{actor.label}は承認者・管理者ではないため、主要財政指標一覧を取り込めません。"
            ]
        )


def require_meeting_recorder(actor: Actor) -> None:
    """A 推進本部 meeting is recorded or removed by an approver or an administrator (anyone,
    before users are registered): it freezes what the HQ was shown, the approved state."""
    if not actor.may_record_meetings:
        raise PermissionDeniedError(
            [f"{DENIED}{actor.label}は承認者・管理者ではないため、会議を記録・削除できません。"]
        )
