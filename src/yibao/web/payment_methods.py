"""医保支付 (DRG/DIP): the region-year's statement per hospital as the fund pays it (cases,
points, 点值, payment, what patients and the other layers paid, 盈亏 against 按项目), the
payment-method targets as measured figures, an optional budget for 年终清算, and the Excel.

Computed from the store's settled inpatient settlements through yibao.drg.statement (the same
pay_year and Excel writer as `yibao drg settle`); the cases are the stored claims' 病案首页
columns (claims.CASE_FIELDS) where they carry them, else derived from the claims (synthetic,
assumed) as the CLI does without a cases file; the page says which. The computed statement is kept per
(region, year, budget, method) and the count of settled settlements of the scope, so a new
settlement or a reversal recomputes it; the settlements with their derived cases are kept per
(region, year, method, count), so another budget only re-runs the year's pricing."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any
from urllib.parse import quote as urlquote

import polars as pl
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibao.claims import CASE_FIELDS, CLAIM_SCHEMA
from yibao.drg.claim_cases import FROM_CLAIMS, derived_count
from yibao.drg.statement import inpatient_as_paid, inpatient_rows, pay_rows, region_method
from yibao.money import divide_half_up, yuan_to_fen
from yibao.policy import PolicyLibrary
from yibao.store import transaction
from yibao.store.aggregate_models import AggCell
from yibao.store.models import Claim
from yibao.store.models import Settlement as SettlementRow
from yibao.web.routing import ConsoleRoute
from yibao.web.session import WebUser, db, library, web_user
from yibao.web.store_frames import Scope, scope_codes, scope_context
from yibao.web.templating import BEIJING, PREFIX, page

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
METHOD_NAMES = {"drg": "DRG", "dip": "DIP"}
CASE_TYPES = dict(pl.DataFrame(CLAIM_SCHEMA.empty_table().select(list(CASE_FIELDS))).schema)
_CACHE: dict[tuple[Any, ...], tuple[Any, dict[str, Any], float]] = {}
_ROWS: dict[tuple[Any, ...], tuple[pl.DataFrame, str]] = {}
_LOCK = threading.Lock()


def settled_count(session: Session, codes: list[str], year: int) -> int:
    """The scope's settled settlements as the stored cells count them (equal to a count of the
    settlements, which ``yibao db check`` verifies): an index read, not a scan of the year's
    settlements on every page that asks."""
    cells = AggCell.__table__
    return int(
        session.scalar(
            select(func.coalesce(func.sum(cells.c.settlements), 0)).where(
                cells.c.insuplc_admdvs.in_(codes), cells.c.year == year
            )
        )
        or 0
    )


def inpatient_settlements(session: Session, codes: list[str], year: int) -> pl.DataFrame:
    """The scope's settled (not reversed) inpatient (21) settlements with the claim fields the
    DRG/DIP statement needs (fen) and the claims' 病案首页 columns (null where not stored)."""
    stmt = (
        select(
            SettlementRow.setl_id, SettlementRow.psn_no, SettlementRow.setl_time,
            SettlementRow.medfee_sumamt, SettlementRow.hifp_pay, Claim.row,
        )
        .join(Claim, Claim.setl_id == SettlementRow.setl_id)
        .where(
            SettlementRow.year == year,
            SettlementRow.status == "settled",
            SettlementRow.insuplc_admdvs.in_(codes),
            Claim.row["med_type"].as_string() == "21",
        )
        .order_by(SettlementRow.setl_id)
    )  # fmt: skip
    rows = []
    for setl_id, psn_no, when, total, hifp, claim in session.execute(stmt):
        rows.append(
            (setl_id, psn_no, str(claim.get("certno") or ""), str(claim.get("fixmedins_code") or ""),
             str(claim.get("hosp_lv") or ""), when, _date(claim.get("begndate")),
             _date(claim.get("enddate")), "21", int(total), int(hifp),
             *(claim.get(k) for k in CASE_FIELDS))
        )  # fmt: skip
    schema: dict[str, Any] = {
        "setl_id": pl.String, "psn_no": pl.String, "certno": pl.String,
        "fixmedins_code": pl.String, "hosp_lv": pl.String, "setl_time": pl.Datetime("us"),
        "begndate": pl.Date, "enddate": pl.Date, "med_type": pl.String,
        "medfee_sumamt": pl.Int64, "hifp_pay": pl.Int64, **CASE_TYPES,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10]) if value else None


def computed(
    session: Session, lib: PolicyLibrary, scope: Scope, budget_fen: int | None
) -> tuple[Any, dict[str, Any], float, bool]:
    """(PaymentYear, its document, seconds it took, from the cache)."""
    import time

    method = region_method(scope.region) or "drg"
    codes = scope_codes(session, lib, scope)
    count = settled_count(session, codes, scope.year)
    store = str(session.get_bind().engine.url)  # two stores in one process never share
    key = (scope.region, scope.year, budget_fen, method, count, store)
    with _LOCK:
        hit = _CACHE.get(key)
    if hit is not None:
        return hit[0], hit[1], hit[2], True
    start = time.perf_counter()
    rows_key = (scope.region, scope.year, method, count, store)
    with _LOCK:
        rows = _ROWS.get(rows_key)
    if rows is None:  # the settlements and their cases, kept for other budgets
        frame = inpatient_settlements(session, codes, scope.year)
        if frame.height == 0:
            raise ValueError(f"{scope.region} {scope.year} 年没有已结算的住院（21）病例")
        rows = inpatient_rows(frame)
        with _LOCK:
            if len(_ROWS) > 4:
                _ROWS.clear()
            _ROWS[rows_key] = rows
    frame, source = rows
    result, doc = pay_rows(
        frame, scope.region, scope.year, budget_fen=budget_fen, method=method, cases_source=source
    )
    took = time.perf_counter() - start
    with _LOCK:
        if len(_CACHE) > 32:
            _CACHE.clear()
        _CACHE[key] = (result, doc, took)
    return result, doc, took, False


def _bp(part: int, whole: int) -> int:
    return divide_half_up(part * 10000, max(whole, 1))


def targets(policy: Any, result: Any) -> list[dict[str, Any]]:
    """The notice's payment-method targets against the measured figures (basis points)."""
    paid = sum(h.payment_fen for h in result.settlement.hospitals)
    total_cases = result.grouped + result.ambiguous + result.ungrouped
    measured = {
        "drg_fund_share": (
            _bp(paid, paid + result.unpaid_fund_fen),
            "按点数支付的统筹基金 ÷ 住院统筹基金支出（按点数 + 未入组按项目）",
        ),
        "drg_disease_coverage": (
            _bp(result.grouped, total_cases),
            "入组病例 ÷ 住院病例（病例覆盖率）",
        ),
        "drg_institution_coverage": (
            _bp(len(result.settlement.hospitals), result.hospitals_all),
            "有按点数支付病例的医院 ÷ 有住院病例的医院",
        ),
    }
    names = {
        "drg_fund_share": "DRG/DIP付费基金支出占住院基金支出比例",
        "drg_disease_coverage": "病种（病例）覆盖率",
        "drg_institution_coverage": "医疗机构覆盖率",
    }
    out = []
    for key, (value, how) in measured.items():
        target = getattr(policy.targets, key)
        goal = target.value
        out.append({
            "name": names[key], "measured_bp": value, "how": how, "target_bp": goal,
            "source": target.note
            if goal is None
            else " ".join(x for x in (target.source, target.clause) if x),
            "met": None if goal is None else value >= goal,
        })  # fmt: skip
    return out


def _budget(budget: str) -> int | None:
    return yuan_to_fen(budget, "预算") if budget.strip() else None


@router.get("/payment-methods", response_class=HTMLResponse)
def payment_methods_page(
    request: Request,
    region: str = Query("", max_length=6),
    year: int | None = Query(None, ge=2000, le=2100),
    budget: str = Query("", max_length=20),
    user: WebUser = Depends(web_user),
) -> Response:
    lib = library(request)
    error = ""
    result = doc = None
    took, cached = 0.0, False
    with transaction(db(request)) as s:
        scope, context = scope_context(s, lib, region, year, budget=budget)
        if scope is not None:
            try:
                result, doc, took, cached = computed(s, lib, scope, _budget(budget))
            except ValueError as exc:  # a budget that is not an amount, a missing parameter …
                error = str(exc)
    if scope is None or result is None:
        return page(request, user, "payment_methods.html", title="医保支付（DRG/DIP）",
                    active="payment_methods", doc=None, error=error, **context)  # fmt: skip
    policy = lib.resolve(scope.region, scope.year)
    hospitals = sorted(result.settlement.hospitals, key=lambda h: -h.payment_fen)
    return page(
        request, user, "payment_methods.html", title="医保支付（DRG/DIP）",
        active="payment_methods", doc=doc, result=result, hospitals=hospitals,
        method_name=METHOD_NAMES[doc["method"]], targets=targets(policy, result),
        fund=inpatient_as_paid(result, doc["method"]), error=error,
        cases_from_claims=doc["cases_source"].startswith(FROM_CLAIMS),
        cases_derived=derived_count(doc["cases_source"]),
        took=took, cached=cached, budget_given=bool(budget.strip()),
        total_payment=sum(h.payment_fen for h in hospitals),
        computed_at=dt.datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M"), **context,
    )  # fmt: skip


@router.get("/payment-methods.xlsx")
def payment_methods_excel(
    request: Request,
    region: str = Query("", max_length=6),
    year: int | None = Query(None, ge=2000, le=2100),
    budget: str = Query("", max_length=20),
    user: WebUser = Depends(web_user),
) -> Response:
    from yibao.drg.statement_excel import statement_workbook

    lib = library(request)
    with transaction(db(request)) as s:
        scope, _ = scope_context(s, lib, region, year)
        if scope is None:
            return Response("库中尚无结算数据", status_code=404, media_type="text/plain")
        try:
            _, doc, _, _ = computed(s, lib, scope, _budget(budget))
        except ValueError as exc:
            return Response(str(exc), status_code=400, media_type="text/plain; charset=utf-8")
    body = statement_workbook(doc)
    name = f"医保支付_{doc['method'].upper()}_{scope.region}_{scope.year}.xlsx"
    return Response(
        body, media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{urlquote(name)}"},
    )  # fmt: skip
