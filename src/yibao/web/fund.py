"""基金: the fund statement of a region-year (yibao.engine.fund) with charts — revenue vs
expenditure by month, expenditure by layer and by med_type — and the fund risk warnings
(yibao.engine.fund_risk: months of expenditure the balance covers, current deficit)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from yibao.claims import MED_TYPES
from yibao.engine.fund import fund_statement
from yibao.engine.fund_risk import assess
from yibao.money import yuan_to_fen
from yibao.store import transaction
from yibao.web.charts import PALETTE, Series, grouped_bars, horizontal_bars
from yibao.web.routing import ConsoleRoute
from yibao.web.session import WebUser, db, library, web_user
from yibao.web.store_frames import (
    cells_frame,
    payments_by_month,
    revenue_frame,
    scope_context,
)
from yibao.web.templating import PREFIX, page

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

LAYER_NAMES = {"hifp_pay": "基本医保统筹基金", "hifmi_pay": "大病保险", "maf_pay": "医疗救助"}
MONTHS = ["征缴期", *[f"{m}月" for m in range(1, 13)]]


@router.get("/fund", response_class=HTMLResponse)
def fund_page(
    request: Request,
    region: str = Query("", max_length=6),
    year: int | None = Query(None, ge=2000, le=2100),
    opening: str = Query("", max_length=20),
    user: WebUser = Depends(web_user),
) -> Response:
    lib = library(request)
    with transaction(db(request)) as s:
        scope, context = scope_context(s, lib, region, year, opening=opening)
        if scope is None:
            return page(request, user, "fund.html", title="基金运行", active="fund", **context)
        # The stored aggregate cells (summed settlements), not every settlement of the year.
        spent = cells_frame(s, lib, scope, by=("month", "med_type"))
        paid = revenue_frame(s, lib, scope)  # grouped by the database, one row per insured
        received = payments_by_month(s, lib, scope)
    policy = lib.resolve(scope.region, scope.year)
    opening_fen = yuan_to_fen(opening, "opening") if opening.strip() else 0
    statement = fund_statement(spent, paid, policy, opening_balance=opening_fen)
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
        opening_given=bool(opening.strip()),
        **context,
    )
