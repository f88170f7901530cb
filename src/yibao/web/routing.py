"""The console's route class: refusals and domain errors become Chinese pages (not the API's
JSON), and a missing session redirects to the login page. The API app includes the console's
router as it is, so this lives on the routes rather than in app-wide exception handlers.

Every message is said in Chinese at this edge (web/messages.py): the field by its Chinese name,
pydantic's validation errors by their kind, the lower layers' English reasons translated. An
error page lists what the user submitted and offers 返回修改 (the browser keeps the form's
input on going back); an unexpected error is logged and shown as a Chinese 系统错误 page."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError

from yibao.store.errors import Conflict, NotFound
from yibao.web import labels, messages
from yibao.web.session import LoginRequired, Refused, web_user

log = logging.getLogger("yibao.web")

TITLES = {
    400: "请求有误",
    403: "无权操作",
    404: "未找到",
    405: "操作方式有误",
    409: "与已登记内容冲突",
    413: "文件过大",
    422: "输入有误",
    500: "系统错误",
    503: "暂时无法办理",
}
HIDDEN_FIELDS = ("csrf", "token")  # never echoed back on an error page


class ConsoleRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                return RedirectResponse("/console/login", status_code=303)
            except Refused as exc:
                return await _error(request, exc.status, messages.chinese(exc.detail))
            except NotFound as exc:
                return await _error(request, 404, messages.chinese(str(exc)))
            except Conflict as exc:
                return await _error(request, 409, messages.chinese(str(exc)))
            except RequestValidationError as exc:
                return await _error(request, 422, messages.describe(exc.errors(), skip=1))
            except ValidationError as exc:  # a schema built in the page (PreviewIn …)
                return await _error(request, 422, messages.describe(exc.errors(), skip=0))
            except HTTPException as exc:
                return await _error(request, exc.status_code, messages.chinese(str(exc.detail)))
            except ValueError as exc:  # domain validation: the message names the field
                return await _error(request, 422, messages.chinese(str(exc)))
            except Exception:
                log.exception("console error on %s %s", request.method, request.url.path)
                return await _error(
                    request, 500, "系统内部错误，本次操作未完成；错误已记录，请稍后重试或联系管理员"
                )

        return route


async def _submitted(request: Request) -> list[tuple[str, str]]:
    """What the user sent in the form (field's Chinese name, value), without secrets or files."""
    if request.method != "POST":
        return []
    try:
        form = await request.form()
    except Exception:
        return []
    out = []
    for key, value in form.multi_items():
        if key in HIDDEN_FIELDS or not isinstance(value, str) or not value.strip():
            continue
        out.append((labels.field(key), value))
    return out


async def _error(request: Request, status: int, detail: str) -> Response:
    from yibao.web.templating import page

    try:
        user = web_user(request)
    except LoginRequired:
        user = None
    return page(
        request,
        user,
        "error.html",
        status=status,
        title=TITLES.get(status, "无法办理"),
        detail=detail,
        submitted=await _submitted(request),
        can_go_back=request.method == "POST",
    )


# Console addresses that match no page: a Chinese 404 page, not the framework's JSON. Included
# last (web/__init__.py), so every real page matches first.
fallback = APIRouter(include_in_schema=False)


@fallback.api_route("/console/{rest:path}", methods=["GET", "POST"])
async def not_found(request: Request, rest: str) -> Response:
    return await _error(request, 404, f"页面不存在：/console/{rest}")
