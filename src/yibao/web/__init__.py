"""The Chinese web console for bureau staff (参保登记、结算、预警、基金、监管、政策、台账).

Server-rendered pages under /console, mounted by the API's ``create_app`` (it includes
``web_router``). Every page calls the engine and store functions; the console holds no rules.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from yibao.web import console, fund, ledger, persons, policy, settle, supervision, targets, warnings
from yibao.web.admin import router as admin_router
from yibao.web.imports import router as import_router
from yibao.web.payment_methods import router as payment_methods_router
from yibao.web.print_settlement import router as print_router
from yibao.web.routing import fallback

web_router = APIRouter()
for _module in (console, persons, settle, warnings, fund, supervision, policy, ledger, targets):
    web_router.include_router(_module.router)
web_router.include_router(admin_router)  # 管理 (管理 role only)
web_router.include_router(print_router)  # 结算单 / 缴费凭证: print page and PDF
web_router.include_router(import_router)  # 批量导入参保人员
web_router.include_router(payment_methods_router)  # 医保支付 (DRG/DIP)


@web_router.get("/", include_in_schema=False)
def _root() -> RedirectResponse:
    """Someone who opens the server's address lands on the console."""
    return RedirectResponse("/console", status_code=307)


web_router.include_router(fallback)  # keep last: any other /console address is a Chinese 404


__all__ = ["web_router"]
