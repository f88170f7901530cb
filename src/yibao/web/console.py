"""Login, logout, the start page and the console's static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from yibao.api.auth import SESSION_COOKIE
from yibao.web.routing import ConsoleRoute
from yibao.web.session import LoginRequired, WebUser, authenticate, check_csrf, web_user
from yibao.web.templating import PREFIX, page

STATIC = Path(__file__).resolve().parent / "static"
STATIC_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}
SESSION_HOURS = 12

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)


@router.get("", response_class=HTMLResponse)
@router.get("/", response_class=HTMLResponse)
def start(request: Request) -> Response:
    try:
        web_user(request)
    except LoginRequired:
        return RedirectResponse(f"{PREFIX}/login", status_code=303)
    return RedirectResponse(f"{PREFIX}/persons", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return page(request, None, "login.html", title="")


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, token: str = Form("", max_length=200)) -> Response:
    user = authenticate(request, token.strip()) if token.strip() else None
    if user is None:
        return page(request, None, "login.html", status=401, error="令牌无效或已停用，请重新输入")
    response = RedirectResponse(f"{PREFIX}/persons", status_code=303)
    # The API's own cookie (yibao.api.auth reads it): the console and the API share one login.
    response.set_cookie(
        SESSION_COOKIE,
        token.strip(),
        httponly=True,
        samesite="lax",
        max_age=SESSION_HOURS * 3600,
        path="/",
    )
    return response


@router.post("/logout")
def logout(user: WebUser = Depends(check_csrf)) -> Response:
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/static/{name}")
def static(name: str) -> Response:
    path = (STATIC / name).resolve()
    if path.parent != STATIC or not path.is_file() or path.suffix not in STATIC_TYPES:
        return Response("not found", status_code=404)
    return FileResponse(
        path, media_type=STATIC_TYPES[path.suffix], headers={"Cache-Control": "max-age=3600"}
    )
