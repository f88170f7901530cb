"""操作日志: who did what, when, before and after (审核 and 管理)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from yibao.api.auth import auditor
from yibao.api.deps import db
from yibao.store import audit
from yibao.store.audit import Actor

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("")
def query_audit(
    actor_name: str | None = Query(None, alias="actor", max_length=100, pattern=r"^[^\x00]*$"),
    action: str | None = Query(None, max_length=40, pattern=r"^[A-Za-z_]*$"),
    entity: str | None = Query(None, max_length=40, pattern=r"^[A-Za-z_]*$"),
    entity_id: str | None = Query(None, max_length=64, pattern=r"^[0-9A-Za-z_.\-/]*$"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
    session: Session = Depends(db),
    actor: Actor = Depends(auditor),
) -> list[dict[str, Any]]:
    with session.begin():
        rows = audit.query(
            session,
            actor=actor_name,
            action=action,
            entity=entity,
            entity_id=entity_id,
            limit=limit,
            offset=offset,
        )
        return [
            {
                "id": r.id,
                "at": r.at.isoformat(),
                "actor": r.actor,
                "role": r.role,
                "action": r.action,
                "entity": r.entity,
                "entity_id": r.entity_id,
                "before": r.before,
                "after": r.after,
            }
            for r in rows
        ]
