"""API users and their bearer tokens. Only sha256(token) is stored; a token is shown once."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.store.models import User

# 经办 enrols and settles; 审核 reverses and approves; 只读 queries (personal data masked);
# 管理 manages users and reloads policy.
ROLES = ("经办", "审核", "只读", "管理")


class UserError(ValueError):
    pass


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_user(session: Session, name: str, role: str) -> tuple[User, str]:
    """Create a user; returns it and its token (the only time the token exists in clear)."""
    name = name.strip()
    if not name:
        raise UserError("name: must not be empty")
    if role not in ROLES:
        raise UserError(f"role: must be one of {'、'.join(ROLES)}, got {role!r}")
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise UserError(f"name: user {name!r} already exists")
    token = "yb_" + secrets.token_urlsafe(32)
    user = User(name=name, role=role, token_sha256=token_digest(token), active=True)
    session.add(user)
    session.flush()
    return user, token


def authenticate(session: Session, token: str) -> User | None:
    """The active user holding ``token``, or None. The lookup is by digest (indexed); the final
    comparison is constant-time."""
    digest = token_digest(token)
    user = session.scalar(select(User).where(User.token_sha256 == digest))
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(user.token_sha256, digest):
        return None
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def deactivate(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise UserError(f"name: no user {name!r}")
    user.active = False
    return user
