"""基金: the fund statement of a region-year (yibao.engine.fund) with charts — revenue vs
expenditure by month, expenditure by layer and by med_type — and the fund risk warnings
(yibao.engine.fund_risk: months of expenditure the balance covers, current deficit)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from yibao.claims import MED_TYPES
from yibao.engine.fund import SUMMED as FUND_SUMMED
from yibao.engine.fund import InpatientAsPaid, fund_statement
from yibao.engine.fund_risk import assess
from yibao.money import MoneyError, yuan_to_fen
from yibao.policy import PolicyLibrary
from yibao.services import fund_history
from yibao.store import transaction
from yibao.web.charts import PALETTE, Series, grouped_bars, horizontal_bars
from yibao.web.routing import ConsoleRoute
from yibao.web.session import WebUser, check_csrf, db, library, web_user
from yibao.web.store_frames import (
    Scope,
    cells_frame,
    payments_by_month,
    register_codes,
    revenue_frame,
    scope_context,
)
from yibao.web.templating import PREFIX, page

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

LAYER_NAMES = {"hifp_pay": "基本医保统筹基金", "hifmi_pay": "大病保险", "maf_pay": "医疗救助"}
MONTHS = ["征缴期", *[f"{m}月" for m in range(1, 13)]]


def _inpatient_as_paid(
    session: Session, lib: PolicyLibrary, scope: Scope
) -> tuple[InpatientAsPaid | None, str]:
    """Where the region pays by DRG/DIP: the inpatient line as the fund pays it (the 医保支付
    page's computation, cached there), else None and why."""
    from yibao.drg.statement import inpatient_as_paid, region_method
    from yibao.web.payment_methods import computed

    method = region_method(scope.region)
    try:
        result, doc, _, _ = computed(session, lib, scope, None)
    except ValueError as exc:
        return None, f"按 DRG/DIP 实际支付无法计算：{exc}"
    note = (
        ""
        if method is not None
        else f"{scope.region} 没有 DRG/DIP 付费参数文件：按 CHS-DRG 与国家默认参数假定。"
    )
    return inpatient_as_paid(result, doc["method"]), note


@router.get("/fund", response_class=HTMLResponse)
def fund_page(
    request: Request,
    region: str = Query("", max_length=6),
    year: int | None = Query(None, ge=2000, le=2100),
    opening: str = Query("", max_length=20),
    fund_error: str = Query("", max_length=300),
    fund_input: str = Query("", max_length=20),
    user: WebUser = Depends(web_user),
) -> Response:
    lib = library(request)
    with transaction(db(request)) as s:
        scope, context = scope_context(s, lib, region, year, opening=opening)
        if scope is None:
            return page(request, user, "fund.html", title="基金运行", active="fund", **context)
        # The stored aggregate cells (summed settlements), not every settlement of the year.
        spent = cells_frame(s, lib, scope, ("month", "med_type"), FUND_SUMMED)
        # The register's stored groups and monthly sums, not every person of the year.
        codes = register_codes(s, lib, scope)
        paid = revenue_frame(s, lib, scope, codes)  # one row per insured
        received = payments_by_month(s, scope, codes)
        as_paid, as_paid_note = _inpatient_as_paid(s, lib, scope)
        # 上年累计结存: typed in (试算), else the stored fund history's (issue 16).
        stored = None if opening.strip() else fund_history.opening_for(s, scope.region, scope.year)
        fund_years = fund_history.history(s, scope.region)
    policy = lib.resolve(scope.region, scope.year)
    opening_fen = yuan_to_fen(opening, "opening") if opening.strip() else 0
    opening_fen = stored.amount if stored is not None else opening_fen
    statement = fund_statement(
        spent, paid, policy, opening_balance=opening_fen, inpatient_as_paid=as_paid
    )
    risk = assess(
        policy,
        statement.revenue,
        statement.expenditure,
        statement.closing_balance or 0,
    )
    monthly_out = {m: 0 for m in range(13)}
    for month, hifp, hifmi, maf in spent.select(
        "month", "hifp_pay", "hifmi_pay", "maf_pay"
    ).iter_rows():
        monthly_out[month] += hifp + hifmi + maf
    monthly = grouped_bars(
        "月度收支",
        MONTHS,
        [
            Series(
                "缴费收入（个人缴费+资助参保）", [received.get(m, 0) for m in range(13)], PALETTE[0]
            ),
            Series("基金支出（三重保障）", [monthly_out[m] for m in range(13)], PALETTE[1]),
        ],
    )
    by_layer = horizontal_bars(
        "按保障层次支出",
        [(LAYER_NAMES[k], v) for k, v in statement.expenditure_by_layer.items()],
        PALETTE[2],
    )
    by_med = horizontal_bars(
        "按医疗类别支出（基金支付合计）",
        [
            (f"{MED_TYPES.get(med, med)}", row.get("fund_pay_sumamt", 0))
            for med, row in statement.expenditure_by_med_type.items()
        ],
        PALETTE[0],
    )
    return page(
        request,
        user,
        "fund.html",
        title="基金运行",
        active="fund",
        statement=statement,
        risk=risk,
        monthly=monthly,
        by_layer=by_layer,
        by_med=by_med,
        med_types=MED_TYPES,
        layer_names=LAYER_NAMES,
        claims=int(spent["claims"].sum()) if spent.height else 0,
        opening_given=bool(opening.strip()) or stored is not None,
        stored_opening=stored,
        fund_years=fund_years,
        fund_sources=fund_history.SOURCES,
        can_record_fund=user.role in RECORDERS,
        fund_error=fund_error,
        fund_input=fund_input,
        as_paid_note=as_paid_note,
        **context,
    )


RECORDERS = ("管理", "审核")  # as the API's POST /api/fund/{region}/{year}


@router.post("/fund/opening")
def record_opening(
    request: Request,
    region: str = Form("", max_length=6),
    year: str = Form("", max_length=4),
    opening_balance: str = Form("", max_length=20),
    note: str = Form("", max_length=fund_history.NOTE_MAX),
    user: WebUser = Depends(check_csrf),
) -> Response:
    """登记一年的上年累计结存 (a bureau entering last year's 决算); back to the 基金 page
    (redirect after POST), with the message and the input kept when it is refused."""
    back = {"region": region, "year": year}
    try:
        if user.role not in RECORDERS:
            need = "或".join(RECORDERS)
            raise fund_history.FundHistoryError(
                f"role: {user.role}无权登记基金结存（需要{need}角色）"
            )
        if not year.isdigit():
            raise fund_history.FundHistoryError(f"year: 年度应为4位数字，收到“{year}”")
        if not opening_balance.strip():
            raise fund_history.FundHistoryError("opening_balance: 请填写上年累计结存（元）")
        try:
            amount = yuan_to_fen(opening_balance.replace(",", ""), "opening_balance")
        except MoneyError:
            raise fund_history.FundHistoryError(
                f"opening_balance: 上年累计结存应为金额（元，最多两位小数），收到“{opening_balance}”"
            ) from None
        with transaction(db(request)) as s:
            fund_history.record_year(
                s, user.actor, region, int(year), opening_balance=amount, source="final", note=note
            )
    except fund_history.FundHistoryError as exc:
        back |= {"fund_error": str(exc), "fund_input": opening_balance}
    return RedirectResponse(f"{PREFIX}/fund?{urlencode(back)}", status_code=303)
