"""The audit log: who did what, when, with the entity before and after.

个人信息保护: ID numbers and names never enter the log in clear; ``masked`` applies idcard.mask
to them (and to any nested document) before the row is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.idcard import mask
from yibao.store.models import AuditEntry, utc_now

PERSONAL_FIELDS = frozenset({"certno", "psn_name", "name"})


@dataclass(frozen=True)
class Actor:
    """The authenticated user a change is attributed to."""

    name: str
    role: str


def mask_name(name: str) -> str:
    """Keep the family name (first character): 张** ."""
    text = str(name)
    return text[:1] + "*" * max(len(text) - 1, 1) if text else text


def masked(document: Any) -> Any:
    """A copy of a JSON-like document with personal fields masked, at any depth."""
    if isinstance(document, dict):
        return {key: _masked_value(key, value) for key, value in document.items()}
    if isinstance(document, list):
        return [masked(v) for v in document]
    return document


def _masked_value(key: Any, value: Any) -> Any:
    # Scalars are returned without a call per value: this runs for every audited settlement.
    kind = type(value)
    if kind is str:
        if key == "certno":
            return mask(value)
        if key in ("psn_name", "name"):
            return mask_name(value)
        return value
    if kind is dict or kind is list or isinstance(value, dict | list):
        return masked(value)
    return value


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=utc_now(),
        actor=actor.name,
        role=actor.role,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=masked(_jsonable(before)) if before is not None else None,
        after=masked(_jsonable(after)) if after is not None else None,
    )
    session.add(entry)
    return entry


def query(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value
