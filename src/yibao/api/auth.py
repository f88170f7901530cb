"""Bearer-token authentication and role checks; the web console may use the session cookie.

Roles (permissions are separate duties, not a ladder):
  经办  enrol persons, record payments, settle and pre-settle
  审核  reverse settlements, approve warnings, read the audit log
  只读  query; ID numbers and names come back masked (个人信息保护)
  管理  manage users, reload policy, read the audit log
Every role may query.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from yibao.store import users
from yibao.store.audit import Actor, masked

SESSION_COOKIE = "yibao_session"
READ_ONLY = "只读"

bearer = HTTPBearer(auto_error=False, description="the token printed by `yibao user add`")

# Verified tokens are remembered briefly (by digest, never in clear) so that a settlement does
# not open a second transaction just to look its token up. Revocation through the API clears
# the cache at once; a revocation from the CLI takes effect within TOKEN_TTL_SECONDS.
TOKEN_TTL_SECONDS = 10.0
_cache: dict[str, tuple[Actor, float]] = {}
_cache_lock = threading.Lock()


def forget_tokens() -> None:
    with _cache_lock:
        _cache.clear()


def _cached(digest: str) -> Actor | None:
    with _cache_lock:
        hit = _cache.get(digest)
    if hit is not None and hit[1] > time.monotonic():
        return hit[0]
    return None


def _lookup(request: Request, digest: str, token: str) -> Actor | None:
    now = time.monotonic()
    with request.app.state.sessions() as session:
        user = users.authenticate(session, token)
        if user is None:
            return None
        actor = Actor(user.name, user.role)
    with _cache_lock:
        _cache[digest] = (actor, now + TOKEN_TTL_SECONDS)
    return actor


# The dependencies are coroutines: a cached token costs no hop to the thread pool (FastAPI runs
# a plain ``def`` dependency in a worker thread); only a database lookup goes there.
async def current_actor(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
) -> Actor:
    token = credentials.credentials if credentials is not None else None
    token = token or request.cookies.get(SESSION_COOKIE)
    if not token:
        raise HTTPException(
            401, "Authorization: a bearer token is required", {"WWW-Authenticate": "Bearer"}
        )
    digest = users.token_digest(token)
    actor = _cached(digest)
    if actor is None:
        actor = await run_in_threadpool(_lookup, request, digest, token)
    if actor is None:
        raise HTTPException(
            401, "Authorization: unknown or revoked token", {"WWW-Authenticate": "Bearer"}
        )
    request.state.actor = actor
    return actor


def require(*roles: str) -> Callable[..., Awaitable[Actor]]:
    """A dependency admitting only ``roles``."""

    async def check(actor: Actor = Depends(current_actor)) -> Actor:
        if actor.role not in roles:
            raise HTTPException(
                403, f"role: {actor.role} may not do this; needs {' or '.join(roles)}"
            )
        return actor

    return check


any_role = current_actor
clerk = require("经办")
reviewer = require("审核")
admin = require("管理")
auditor = require("审核", "管理")


def present(document: Any, actor: Actor) -> Any:
    """Responses to 只读 users carry masked ID numbers and names."""
    return masked(document) if actor.role == READ_ONLY else document
