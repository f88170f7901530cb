"""管理: users (list, add with a token shown once, revoke) and the audit log (filtered, paged,
with its total), each change audited in the caller's transaction. The console's 管理 page calls
these; the API's admin routers keep their own versions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from yibao.store import audit, users
from yibao.store.audit import Actor
from yibao.store.errors import Conflict, Invalid, NotFound
from yibao.store.models import AuditEntry, User

ROLES = users.ROLES
BEIJING = dt.timezone(dt.timedelta(hours=8))


def list_users(session: Session) -> list[User]:
    return users.list_users(session)


def add_user(session: Session, actor: Actor, name: str, role: str) -> tuple[User, str]:
    """A new user and its token (the only time it exists in clear), audited as add_user."""
    name = name.strip()
    if not name:
        raise Invalid("name: 用户名不能为空")
    if role not in ROLES:
        raise Invalid(f"role: 角色须为{'、'.join(ROLES)}之一")
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise Conflict(f"name: 用户“{name}”已存在")
    user, token = users.add_user(session, name, role)
    audit.record(session, actor, "add_user", "user", user.name, after={"role": user.role})
    return user, token


def revoke(session: Session, actor: Actor, name: str) -> User:
    """停用: the user's token no longer logs in; the user stays in the list and the log."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"name: 没有用户“{name}”")
    if name == actor.name:
        raise Conflict("name: 不能停用当前登录的用户")
    if not user.active:
        raise Conflict(f"name: 用户“{name}”已停用")
    users.deactivate(session, name)
    audit.record(
        session, actor, "deactivate_user", "user", name, {"active": True}, {"active": False}
    )
    return user


@dataclass(frozen=True)
class AuditFilter:
    """操作人, 动作, 对象, 对象编号 match exactly; the dates are 北京时间 days, both inclusive."""

    actor: str = ""
    action: str = ""
    entity: str = ""
    entity_id: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _utc(day: dt.date) -> dt.datetime:
    """The start of a 北京时间 day as the store's naive UTC."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=BEIJING)
    return start.astimezone(dt.UTC).replace(tzinfo=None)


def _filtered(stmt: Select, f: AuditFilter) -> Select:
    for column, value in (
        (AuditEntry.actor, f.actor),
        (AuditEntry.action, f.action),
        (AuditEntry.entity, f.entity),
        (AuditEntry.entity_id, f.entity_id),
    ):
        if value:
            stmt = stmt.where(column == value)
    if f.date_from is not None:
        stmt = stmt.where(AuditEntry.at >= _utc(f.date_from))
    if f.date_to is not None:
        stmt = stmt.where(AuditEntry.at < _utc(f.date_to + dt.timedelta(days=1)))
    return stmt


def audit_count(session: Session, f: AuditFilter) -> int:
    return int(session.scalar(_filtered(select(func.count(AuditEntry.id)), f)) or 0)


def audit_entries(
    session: Session, f: AuditFilter, limit: int = 50, offset: int = 0
) -> list[AuditEntry]:
    """The matching entries, newest first."""
    stmt = _filtered(select(AuditEntry), f).order_by(AuditEntry.id.desc())
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def audit_page(
    session: Session, f: AuditFilter, page: int = 1, per_page: int = 50
) -> tuple[list[AuditEntry], int]:
    """One page (1-based) of the matching entries and the total that match."""
    total = audit_count(session, f)
    return audit_entries(session, f, per_page, (max(page, 1) - 1) * per_page), total


def audit_choices(session: Session) -> dict[str, list[str]]:
    """The actions and entities present in the log (for the filter form's suggestions)."""
    return {
        "actions": list(session.scalars(select(AuditEntry.action).distinct().order_by("action"))),
        "entities": list(session.scalars(select(AuditEntry.entity).distinct().order_by("entity"))),
    }
