"""Jinja2 pages: the shared layout, the pages of the left navigation (管理 shown to 管理 only),
money filters and masking of personal data for 只读 users."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from yibao.idcard import mask
from yibao.money import bp_to_percent, format_yuan, yuan_to_fen
from yibao.store.audit import mask_name
from yibao.web import labels
from yibao.web.session import WebUser

TEMPLATES = Path(__file__).resolve().parent / "templates"
PREFIX = "/console"

NAV = (
    ("persons", "参保登记", f"{PREFIX}/persons"),
    ("settle", "结算", f"{PREFIX}/settle"),
    ("warnings", "预警", f"{PREFIX}/warnings"),
    ("fund", "基金", f"{PREFIX}/fund"),
    ("payment_methods", "医保支付", f"{PREFIX}/payment-methods"),
    ("targets", "目标", f"{PREFIX}/targets"),
    ("supervision", "监管", f"{PREFIX}/supervision"),
    ("policy", "政策", f"{PREFIX}/policy"),
    ("ledger", "台账", f"{PREFIX}/ledger"),
    ("admin", "管理", f"{PREFIX}/admin"),
)
# Items only some roles see (the others are shown to everyone logged in).
NAV_ROLES = {"admin": ("管理",)}


def nav_for(user: WebUser | None) -> tuple[tuple[str, str, str], ...]:
    """The navigation ``user`` sees: an item in NAV_ROLES only for its roles."""
    role = user.role if user is not None else None
    return tuple(item for item in NAV if role in NAV_ROLES.get(item[0], (role,)))


def fen(value: Any) -> str:
    """Fen as yuan with thousands separators and two decimals."""
    return "" if value is None else format_yuan(int(value))


def yuan(value: Any) -> str:
    """A yuan JSON number (the API's edge format) shown with two decimals."""
    return "" if value is None else format_yuan(yuan_to_fen(value))


def percent(bp: Any) -> str:
    return "—" if bp is None else bp_to_percent(int(bp))


BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")


def beijing(value: Any) -> str:
    """A stored timestamp (naive UTC, as a datetime or its ISO text) as 北京时间 (UTC+8),
    "YYYY-MM-DD HH:MM"; an aware one is converted from its own zone."""
    if value is None or value == "":
        return ""
    when = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters.update(
    fen=fen,
    yuan=yuan,
    percent=percent,
    beijing=beijing,
    # Chinese words for keys (web/labels.py): explanation text, policy parameters, quote items
    explain=labels.explanation_text,
    param_label=labels.param,
    quote_item=labels.quote_item,
    source_label=labels.source,
    field_label=labels.field,
)


def page(
    request: Request, user: WebUser | None, template: str, status: int = 200, **context: Any
) -> HTMLResponse:
    def certno(value: str) -> str:
        return mask(value) if user is not None and user.masked and value else value

    def name(value: str) -> str:
        return mask_name(value) if user is not None and user.masked and value else value

    if isinstance(context.get("quote"), dict):
        # 缴费测算: the engine's citation items (personal_contribution, assistance_subsidy.低保对象)
        # named in Chinese before any template shows them.
        context["quote"] = labels.quote_for_console(context["quote"])
    html = environment.get_template(template).render(
        request=request,
        user=user,
        nav=nav_for(user),
        prefix=PREFIX,
        show_certno=certno,
        show_name=name,
        **context,
    )
    return HTMLResponse(html, status_code=status)
