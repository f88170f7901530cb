"""Console login: an HttpOnly, SameSite=Lax session cookie holding the API user's token (the
same cookie the API's ``current_actor`` accepts), and a CSRF token on every POST form.

The CSRF token is an HMAC of the token's digest under a per-process secret: a page from another
site can neither read the cookie nor compute the form token, and nothing is kept server-side.
What a role may not do is refused here (403) as well as hidden in the pages.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from yibao.api.auth import READ_ONLY, SESSION_COOKIE
from yibao.policy import PolicyLibrary, default_library
from yibao.store import users
from yibao.store.audit import Actor

_SECRET = secrets.token_bytes(32)

# What each role may do in the console (the API's duties: see yibao.api.auth).
CAN = {
    "enroll": ("经办",),
    "settle": ("经办",),
    "reverse": ("审核",),
}


@dataclass(frozen=True)
class WebUser:
    name: str
    role: str
    csrf: str

    @property
    def actor(self) -> Actor:
        return Actor(self.name, self.role)

    @property
    def masked(self) -> bool:
        """只读 users see ID numbers and names masked (个人信息保护)."""
        return self.role == READ_ONLY

    def can(self, action: str) -> bool:
        return self.role in CAN[action]


class LoginRequired(Exception):
    """Raised by ``web_user`` when there is no valid session: the console redirects to login."""


class Refused(Exception):
    """A request the console refuses (403 role or CSRF, 404, 422): shown as a Chinese page."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def db(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    return factory


def library(request: Request) -> PolicyLibrary:
    lib = getattr(request.app.state, "library", None)
    return lib if isinstance(lib, PolicyLibrary) else default_library()


def bureau(request: Request) -> tuple[str | None, int | None]:
    """The bureau's 统筹区 and current year (``yibao serve --region/--year``); None for
    what is not configured."""
    scope = getattr(request.app.state, "bureau", None)
    if scope is None:
        return None, None
    return scope.region, scope.year


def csrf_for(token: str) -> str:
    digest = users.token_digest(token).encode("ascii")
    return hmac.new(_SECRET, digest, hashlib.sha256).hexdigest()


def authenticate(request: Request, token: str) -> WebUser | None:
    with db(request)() as session:
        user = users.authenticate(session, token)
        if user is None:
            return None
        return WebUser(user.name, user.role, csrf_for(token))


def web_user(request: Request) -> WebUser:
    token = request.cookies.get(SESSION_COOKIE)
    user = authenticate(request, token) if token else None
    if user is None:
        raise LoginRequired
    request.state.actor = user.actor
    return user


async def check_csrf(request: Request, user: WebUser = Depends(web_user)) -> WebUser:
    """POST forms must carry the session's CSRF token."""
    form = await request.form()
    sent = form.get("csrf")
    if not isinstance(sent, str) or not hmac.compare_digest(sent, user.csrf):
        raise Refused(403, "csrf: 表单已过期或来源不明，请刷新页面后重试")
    return user


def allowed(action: str) -> Callable[..., WebUser]:
    """A dependency for a POST that only some roles may make (CSRF checked first)."""

    def check(user: WebUser = Depends(check_csrf)) -> WebUser:
        if not user.can(action):
            need = "或".join(CAN[action])
            raise Refused(403, f"role: {user.role}无权执行此操作（需要{need}角色）")
        return user

    return check
