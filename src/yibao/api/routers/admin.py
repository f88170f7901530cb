"""管理: users (tokens shown once) and policy reload."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request
from sqlalchemy.orm import Session

from yibao.api.auth import admin, forget_tokens
from yibao.api.deps import db
from yibao.api.schemas import NewUserOut, UserIn, UserOut
from yibao.policy.caches import clear_policy_caches
from yibao.policy.loader import PolicyLibrary, policy_dir
from yibao.store import audit, users
from yibao.store.audit import Actor
from yibao.store.errors import Conflict, NotFound

router = APIRouter(prefix="/api", tags=["admin"])


@router.post("/users", status_code=201, response_model=NewUserOut)
def add_user(
    body: UserIn, session: Session = Depends(db), actor: Actor = Depends(admin)
) -> dict[str, Any]:
    """A new user and its token; the token is shown here once and stored only hashed."""
    with session.begin():
        try:
            user, token = users.add_user(session, body.name, body.role)
        except users.UserError as exc:
            raise Conflict(str(exc)) from exc
        audit.record(session, actor, "add_user", "user", user.name, after={"role": user.role})
        return {"name": user.name, "role": user.role, "active": True, "token": token}


@router.get("/users", response_model=list[UserOut])
def list_users(session: Session = Depends(db), actor: Actor = Depends(admin)) -> list[Any]:
    with session.begin():
        return [
            {"name": u.name, "role": u.role, "active": u.active} for u in users.list_users(session)
        ]


@router.delete("/users/{name}", response_model=UserOut)
def deactivate_user(
    name: str = Path(..., max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$"),
    session: Session = Depends(db),
    actor: Actor = Depends(admin),
) -> dict[str, Any]:
    """Revoke a user's token (the user stays in the audit trail)."""
    with session.begin():
        try:
            user = users.deactivate(session, name)
        except users.UserError as exc:
            raise NotFound(str(exc)) from exc
        audit.record(
            session, actor, "deactivate_user", "user", name, {"active": True}, {"active": False}
        )
    forget_tokens()
    return {"name": user.name, "role": user.role, "active": user.active}


@router.post("/policy/reload")
def reload_policy(
    request: Request, session: Session = Depends(db), actor: Actor = Depends(admin)
) -> dict[str, Any]:
    """Re-read the policy files (after an edit or a new year's file) and check every one;
    every rule cached from the old files is forgotten (policy.caches). A broken file is
    refused and the running library stays."""
    library = PolicyLibrary(policy_dir())
    checked = library.check_all()
    request.app.state.library = library
    clear_policy_caches()
    with session.begin():
        audit.record(
            session,
            actor,
            "reload",
            "policy",
            str(policy_dir().name),
            after={"files": len(checked)},
        )
    return {"reloaded": [{"region": c, "year": y} for c, y in checked]}
