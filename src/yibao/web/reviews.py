"""What the 预警 and 监管 pages share (issue 16): who may act (审核 and 管理; every role reads),
the scope and filters of a list, its pager, a step's POST (CSRF, role, the service, 303 back
to the record; a refusal re-shows the form with the input kept) and the Excel export."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote as urlquote
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from yibao.idcard import mask
from yibao.money import fen_to_yuan
from yibao.services import reviews as service
from yibao.store import transaction
from yibao.store.audit import mask_name
from yibao.store.errors import Conflict, Invalid
from yibao.web.session import Refused, WebUser, check_csrf, db, library
from yibao.web.store_frames import scope_context
from yibao.web.templating import BEIJING, page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PER_PAGE = 50
EXPORT_LIMIT = 100_000


def acting_user(user: WebUser = Depends(check_csrf)) -> WebUser:
    """A workflow POST: the CSRF token first, then the role (审核 or 管理)."""
    if not service.may_act(user.actor):
        raise Refused(403, f"role: {user.role}只能查看，办理需要审核或管理角色")
    return user


def can_act(user: WebUser) -> bool:
    return service.may_act(user.actor)


def scope_of(request: Request, region: str, year: int | None) -> tuple[Any, dict[str, Any]]:
    with transaction(db(request)) as s:
        return scope_context(s, library(request), region, year)


def page_urls(base: str, query: dict[str, Any], page_no: int, pages: int) -> dict[str, Any]:
    def url(n: int) -> str:
        return f"{base}?{urlencode({**query, 'page': str(n)})}"

    return {
        "prev_url": url(page_no - 1) if page_no > 1 else None,
        "next_url": url(page_no + 1) if page_no < pages else None,
    }


def query_of(**filters: Any) -> dict[str, str]:
    return {k: str(v) for k, v in filters.items() if v not in ("", None)}


def step_post(
    request: Request,
    user: WebUser,
    record_url: str,
    done: str,
    call: Callable[..., Any],
    *args: Any,
    on_refusal: Callable[[str, int], Response],
) -> Response:
    """Take a step through the service in one transaction; 303 to the record on success (F5
    does not repeat it); a refusal (bad input, or the record moved on meanwhile) re-shows the
    form with the message and the input kept, nothing changed."""
    try:
        with transaction(db(request)) as s:
            call(s, *args, user.actor)
    except Invalid as exc:
        return on_refusal(_chinese(exc), 422)
    except Conflict as exc:
        return on_refusal(_chinese(exc), 409)
    except service.Forbidden as exc:
        raise Refused(403, str(exc)) from None
    return RedirectResponse(f"{record_url}?{urlencode({'done': done})}", status_code=303)


def _chinese(exc: Exception) -> str:
    """The service's message without the field name in front (the form shows it in place)."""
    text = str(exc)
    head, sep, rest = text.partition(": ")
    return rest if sep and head.isascii() and " " not in head else text


def render(request: Request, user: WebUser, template: str, **context: Any) -> Response:
    return page(request, user, template, can_act=can_act(user), **context)


def xlsx(
    title: str,
    filename: str,
    columns: Sequence[tuple[str, str]],
    money: set[str],
    rows: list[dict[str, Any]],
    user: WebUser,
) -> Response:
    """The filtered list as a workbook: a title row, a header row, one row per record; yuan
    with two decimals (exact, from fen); names and ID numbers masked for 只读."""
    # write-only (streamed) workbook: about twice as fast as the in-memory one for a year's list
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for i, (_key, label) in enumerate(columns):
        letter = get_column_letter(i + 1)
        sheet.column_dimensions[letter].width = max(10, min(40, len(label) * 2 + 4))
    head = WriteOnlyCell(sheet, title)
    head.font = Font(bold=True, size=13)
    sheet.append([head])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DCE6F1")
    labels = []
    for _key, label in columns:
        cell = WriteOnlyCell(sheet, label)
        cell.font, cell.fill = bold, fill
        labels.append(cell)
    sheet.append(labels)
    right = Alignment(horizontal="right")
    for row in rows:
        values: list[Any] = []
        for key, _ in columns:
            value = row.get(key)
            if key in money:
                cell = WriteOnlyCell(sheet, None if value is None else fen_to_yuan(int(value)))
                cell.number_format, cell.alignment = "#,##0.00", right
                values.append(cell)
                continue
            if key == "certno" and user.masked:
                value = mask(value or "")
            elif key == "psn_name" and user.masked:
                value = mask_name(value or "")
            elif key == "categories":
                value = (value or "").replace("|", "、") or "一般居民"
            elif key == "top_claims":
                value = "、".join(value or [])
            elif isinstance(value, str) and key.endswith("_at") and value:
                value = _beijing(value)
            values.append(value)
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(
        buffer.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{urlquote(filename)}"},
    )


def _beijing(iso: str) -> str:
    when = dt.datetime.fromisoformat(iso)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def stamp() -> str:
    return f"{dt.datetime.now(BEIJING):%Y%m%d_%H%M}"
