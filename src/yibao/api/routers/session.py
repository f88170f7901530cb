"""Session cookie for the web console: log in with a token, the cookie then stands in for the
bearer header (same users, same roles)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from yibao.api.auth import SESSION_COOKIE, any_role
from yibao.api.schemas import LoginIn
from yibao.store import users
from yibao.store.audit import Actor

router = APIRouter(prefix="/api/session", tags=["admin"])


@router.post("")
def login(body: LoginIn, request: Request, response: Response) -> dict[str, Any]:
    """Check the token and set it as an HttpOnly, SameSite=Strict cookie."""
    with request.app.state.sessions() as session:
        user = users.authenticate(session, body.token)
        if user is None:
            raise HTTPException(401, "token: unknown or revoked")
        name, role = user.name, user.role
    response.set_cookie(
        SESSION_COOKIE, body.token, httponly=True, samesite="strict", max_age=12 * 3600
    )
    return {"name": name, "role": role}


@router.get("")
def whoami(actor: Actor = Depends(any_role)) -> dict[str, Any]:
    return {"name": actor.name, "role": actor.role}


@router.delete("")
def logout(response: Response, actor: Actor = Depends(any_role)) -> dict[str, Any]:
    response.delete_cookie(SESSION_COOKIE)
    return {"name": actor.name, "logged_out": True}
