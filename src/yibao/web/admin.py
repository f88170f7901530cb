"""管理 (管理 role only): 用户 — the list, add a user (its token shown once), 停用 with a
confirmation — and 操作日志 — the audit log filtered, 50 a page, and its Excel export.

A new user's token is shown once after the POST's 303: the POST keeps it in a one-time,
process-local slip (bound to the administrator, ten minutes) and the page it redirects to takes
it out; a reload finds the slip gone and shows no token, and nothing is created again."""

from __future__ import annotations

import datetime as dt
import io
import json
import secrets
import threading
import time
from typing import Any
from urllib.parse import quote as urlquote
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from openpyxl import Workbook

from yibao.api.auth import forget_tokens
from yibao.services import admin as service
from yibao.store import transaction
from yibao.store.models import AuditEntry
from yibao.web.routing import ConsoleRoute
from yibao.web.session import Refused, WebUser, check_csrf, db, web_user
from yibao.web.templating import PREFIX, beijing, page

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ADMIN = "管理"
PER_PAGE = 50
EXPORT_LIMIT = 100_000
SLIP_SECONDS = 600
NO_STORE = {"Cache-Control": "no-store"}

_slips: dict[str, tuple[str, str, str, str, float]] = {}  # key → admin, name, role, token, until
_slips_lock = threading.Lock()


def _refuse(user: WebUser) -> None:
    if user.role != ADMIN:
        raise Refused(403, f"role: {user.role}无权访问管理页面（需要管理角色）")


def admin_user(user: WebUser = Depends(web_user)) -> WebUser:
    _refuse(user)
    return user


def admin_post(user: WebUser = Depends(check_csrf)) -> WebUser:
    """A 管理 POST: the CSRF token first, then the role."""
    _refuse(user)
    return user


def _keep(admin: str, name: str, role: str, token: str) -> str:
    key = secrets.token_urlsafe(16)
    now = time.monotonic()
    with _slips_lock:
        for old in [k for k, v in _slips.items() if v[4] < now]:
            del _slips[old]
        _slips[key] = (admin, name, role, token, now + SLIP_SECONDS)
    return key


def _take(admin: str, key: str) -> tuple[str, str, str] | None:
    with _slips_lock:
        slip = _slips.get(key)
        if slip is None or slip[0] != admin or slip[4] < time.monotonic():
            return None
        del _slips[key]
    return slip[1], slip[2], slip[3]


def _users_page(request: Request, user: WebUser, status: int = 200, **context: Any) -> Response:
    with transaction(db(request)) as s:
        rows = [
            {"name": u.name, "role": u.role, "active": u.active, "created": u.created_at}
            for u in service.list_users(s)
        ]
    return page(
        request,
        user,
        "admin.html",
        status=status,
        title="管理 · 用户",
        active="admin",
        tab="users",
        users=rows,
        roles=service.ROLES,
        **context,
    )


@router.get("/admin", response_class=HTMLResponse)
def users_page(
    request: Request,
    revoked: str = Query("", max_length=100),
    user: WebUser = Depends(admin_user),
) -> Response:
    message = f"已停用用户“{revoked}”，其令牌不能再登录" if revoked else None
    return _users_page(request, user, message=message)


@router.post("/admin/users")
def add_user(
    request: Request,
    name: str = Form("", max_length=100),
    role: str = Form("", max_length=8),
    user: WebUser = Depends(admin_post),
) -> Response:
    with transaction(db(request)) as s:
        created, token = service.add_user(s, user.actor, name, role)
        name, role = created.name, created.role
    key = _keep(user.name, name, role, token)
    return RedirectResponse(f"{PREFIX}/admin/users/new?{urlencode({'k': key})}", status_code=303)


@router.get("/admin/users/new", response_class=HTMLResponse)
def new_user_token(
    request: Request, k: str = Query("", max_length=64), user: WebUser = Depends(admin_user)
) -> Response:
    slip = _take(user.name, k)
    if slip is None:
        response = _users_page(
            request, user, error="令牌只显示一次：此页已显示过或已过期，不再显示令牌"
        )
    else:
        name, role, token = slip
        response = _users_page(request, user, created={"name": name, "role": role, "token": token})
    response.headers.update(NO_STORE)
    return response


@router.get("/admin/revoke", response_class=HTMLResponse)
def revoke_confirm(
    request: Request, name: str = Query(..., max_length=100), user: WebUser = Depends(admin_user)
) -> Response:
    return _users_page(request, user, confirm=name)


@router.post("/admin/revoke")
def revoke(
    request: Request,
    name: str = Form(..., max_length=100),
    user: WebUser = Depends(admin_post),
) -> Response:
    with transaction(db(request)) as s:
        service.revoke(s, user.actor, name)
    forget_tokens()  # the API's token cache must not keep the revoked user for its lifetime
    return RedirectResponse(f"{PREFIX}/admin?{urlencode({'revoked': name})}", status_code=303)


def _day(value: str, field: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Refused(422, f"{field}: 日期格式应为 YYYY-MM-DD，收到“{value}”") from None


def audit_filter(
    actor: str = Query("", max_length=100),
    action: str = Query("", max_length=40),
    entity: str = Query("", max_length=40),
    entity_id: str = Query("", max_length=64),
    date_from: str = Query("", alias="from", max_length=10),
    date_to: str = Query("", alias="to", max_length=10),
) -> service.AuditFilter:
    return service.AuditFilter(
        actor=actor.strip(),
        action=action.strip(),
        entity=entity.strip(),
        entity_id=entity_id.strip(),
        date_from=_day(date_from.strip(), "from"),
        date_to=_day(date_to.strip(), "to"),
    )


def _query(f: service.AuditFilter) -> dict[str, str]:
    pairs = {
        "actor": f.actor,
        "action": f.action,
        "entity": f.entity,
        "entity_id": f.entity_id,
        "from": f.date_from.isoformat() if f.date_from else "",
        "to": f.date_to.isoformat() if f.date_to else "",
    }
    return {k: v for k, v in pairs.items() if v}


def _json(document: Any) -> str:
    if document is None:
        return ""
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True)


def _row(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": e.at,
        "actor": e.actor,
        "role": e.role,
        "action": e.action,
        "entity": e.entity,
        "entity_id": e.entity_id,
        "before": _json(e.before),
        "after": _json(e.after),
    }


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    page_no: int = Query(1, alias="page", ge=1, le=1_000_000),
    f: service.AuditFilter = Depends(audit_filter),
    user: WebUser = Depends(admin_user),
) -> Response:
    with transaction(db(request)) as s:
        entries, total = service.audit_page(s, f, page_no, PER_PAGE)
        rows = [_row(e) for e in entries]
        choices = service.audit_choices(s)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    query = _query(f)
    return page(
        request,
        user,
        "admin.html",
        title="管理 · 操作日志",
        active="admin",
        tab="audit",
        rows=rows,
        total=total,
        page_no=page_no,
        pages=pages,
        f=f,
        choices=choices,
        query=urlencode(query),
        prev_url=_page_url(query, page_no - 1) if page_no > 1 else None,
        next_url=_page_url(query, page_no + 1) if page_no < pages else None,
    )


def _page_url(query: dict[str, str], n: int) -> str:
    return f"{PREFIX}/admin/audit?{urlencode({**query, 'page': str(n)})}"


AUDIT_HEADERS = (
    "时间（北京时间）",
    "操作人",
    "角色",
    "动作",
    "对象",
    "对象编号",
    "变更前",
    "变更后",
)


def audit_xlsx_bytes(entries: list[AuditEntry]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "操作日志"
    ws.append(list(AUDIT_HEADERS))
    keys = ("actor", "role", "action", "entity", "entity_id", "before", "after")
    for e in entries:
        r = _row(e)
        ws.append([beijing(r["at"]), *(r[k] for k in keys)])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@router.get("/admin/audit.xlsx")
def audit_excel(
    request: Request,
    f: service.AuditFilter = Depends(audit_filter),
    user: WebUser = Depends(admin_user),
) -> Response:
    """The filtered log (every matching entry, newest first, at most 100,000) as a workbook."""
    with transaction(db(request)) as s:
        body = audit_xlsx_bytes(service.audit_entries(s, f, EXPORT_LIMIT))
    name = f"操作日志_{dt.datetime.now(service.BEIJING):%Y%m%d_%H%M}.xlsx"
    return Response(
        body,
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{urlquote(name)}"},
    )
