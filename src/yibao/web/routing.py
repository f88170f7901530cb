"""The console's route class: refusals and domain errors become Chinese pages (not the API's
JSON), and a missing session redirects to the login page. The API app includes the console's
router as it is, so this lives on the routes rather than in app-wide exception handlers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from yibao.store.errors import Conflict, NotFound
from yibao.web.session import LoginRequired, Refused, web_user

log = logging.getLogger("yibao.web")


class ConsoleRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                return RedirectResponse("/console/login", status_code=303)
            except Refused as exc:
                return _error(request, exc.status, exc.detail)
            except NotFound as exc:
                return _error(request, 404, str(exc))
            except Conflict as exc:
                return _error(request, 409, str(exc))
            except RequestValidationError as exc:
                return _error(request, 422, _describe(exc))
            except HTTPException as exc:
                return _error(request, exc.status_code, str(exc.detail))
            except ValueError as exc:  # domain validation: the message names the field
                return _error(request, 422, str(exc))

        return route


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ())[1:]) or "表单"
        parts.append(f"{where}: {err.get('msg', '')}")
    return "；".join(parts) or "表单内容有误"


def _error(request: Request, status: int, detail: str) -> Response:
    from yibao.web.templating import page

    try:
        user = web_user(request)
    except LoginRequired:
        user = None
    title = {403: "无权操作", 404: "未找到", 409: "冲突"}.get(status, "输入有误")
    return page(request, user, "error.html", status=status, title=title, detail=detail)
