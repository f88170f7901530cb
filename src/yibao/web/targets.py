"""目标: every target of the notices against the store's year (yibao.engine.targets), with
its Excel download (yibao.monitoring.targets_export).

The settled claims are read as the store's aggregates (store_frames.cells_frame: sums by
med_type and hosp_lv; what the person-years' 大病 totals have above their deductible, summed by
the database per categories held, store.enrollment_aggregates.critical_above), the persons as
the register's stored groups (categories held in the year and enrollment status).
参保率: the store knows who holds a low-income or 八类 category and who is enrolled in the year,
so those two rates are measured (an enrollment of the year counts, as on the 台账 page); the
whole population that should be insured is not in the store, so 全体参保率 is not measurable."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote as urlquote

import polars as pl
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from yibao.categories import EIGHT_CATEGORIES, all_categories
from yibao.engine.settlement_rules import category_rules
from yibao.engine.targets import EnrollmentCount, TargetsError, TargetsReport, targets_report
from yibao.enrollment.ledger import LOW_INCOME_GROUPS
from yibao.monitoring.targets_export import targets_xlsx_bytes
from yibao.policy import PolicyLibrary
from yibao.policy.model import Policy
from yibao.store import enrollment_aggregates, transaction
from yibao.store.enrollment_aggregates import INSURED
from yibao.web.routing import ConsoleRoute
from yibao.web.session import WebUser, db, library, web_user
from yibao.web.store_frames import (
    Scope,
    cells_frame,
    register_codes,
    scope_codes,
    scope_context,
)
from yibao.web.templating import PREFIX, page

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _groups(category: str) -> tuple[bool, bool]:
    """(low-income group, one of the 八类) for a category, as the 台账 counts them."""
    cat = all_categories().get(category)
    if cat is None:
        return False, False
    eight = category in EIGHT_CATEGORIES or any(c in EIGHT_CATEGORIES for c in cat.includes)
    return cat.group in LOW_INCOME_GROUPS, eight


def enrollment_counts(groups: Iterable[tuple[Any, ...]]) -> dict[str, EnrollmentCount]:
    """Eligible and insured persons per 参保率 target from the register's groups (categories,
    status, persons, …): a person counts in a target when one of the categories held in the
    year is of its group, and as insured with an enrollment of the year (status enrolled)."""
    tallies = {"low_income_enrollment_rate": [0, 0], "eight_categories_enrollment_rate": [0, 0]}
    for categories, status, persons, *_ in groups:
        flags = [_groups(c) for c in categories.split("|") if c]
        insured = persons if status == INSURED else 0
        for key, hit in (
            ("low_income_enrollment_rate", any(f[0] for f in flags)),
            ("eight_categories_enrollment_rate", any(f[1] for f in flags)),
        ):
            if hit:
                tallies[key][0] += persons
                tallies[key][1] += insured
    return {k: EnrollmentCount(eligible=e, insured=i) for k, (e, i) in tallies.items() if e}


def critical_deductible(policy: Policy, categories: str) -> int:
    """The 大病 deductible of a person holding ``categories`` (as targets.critical_ratio
    applies it)."""
    key = tuple(c for c in categories.split("|") if c)
    try:
        return category_rules(policy, key).critical_deductible
    except ValueError as exc:
        raise TargetsError(f"settlements: categories {key!r}: {exc}") from exc


def _deductibles(policy: Policy, keys: Iterable[str]) -> dict[str, int | Exception]:
    """Each categories string's 大病 deductible, or why it has none (raised only where a
    person-year holding it has a 大病 figure, as the report would)."""
    out: dict[str, int | Exception] = {}
    for key in keys:
        try:
            out[key] = critical_deductible(policy, key)
        except TargetsError as exc:
            out[key] = exc
    return out


def aggregate_frame(cells: pl.DataFrame, above: Mapping[str, int], policy: Policy) -> pl.DataFrame:
    """The engine's settlement frame (targets_report) from the stored aggregates, with the
    same sums: one row per aggregate cell (med_type, hosp_lv, hifp_pay, inscp_scp_amt,
    hifmi_pay) and one per categories held with a 大病 figure (``above``: categories → Σ over
    its person-years of max(0, 大病 eligible − deductible)). The cell rows are one person-year
    (psn_no "": nothing eligible, so they add their hifmi_pay — the year's 大病 payments, the
    same sum as the person-years' — and nothing above a deductible); a categories row is one
    person-year (no pool: med_type "", both ratio sums 0, at an existing hosp_lv) whose
    eligible total is the sum above the deductible plus the deductible, so the report's
    max(0, eligible − deductible) is that sum exactly; the number of claims is the cells'
    count (the caller sets it)."""
    level = cells["hosp_lv"][0] if cells.height else ""
    cell_rows = cells.select(
        pl.lit("").alias("psn_no"),
        pl.lit(0, pl.Int32).alias("year"),
        "med_type",
        "hosp_lv",
        "hifp_pay",
        "inscp_scp_amt",
        "hifmi_pay",
        pl.lit(0, pl.Int64).alias("critical_eligible_delta"),
        pl.lit("").alias("categories"),
    )
    rows = [
        (f"categories:{k}", 0, "", level, 0, 0, 0, total + critical_deductible(policy, k), k)
        for k, total in sorted(above.items())
        if total > 0
    ]
    person_rows = pl.DataFrame(rows, schema=cell_rows.schema, orient="row")
    return pl.concat([cell_rows, person_rows], how="vertical")


def report_of(session: Session, lib: PolicyLibrary, scope: Scope) -> TargetsReport:
    """The scope's targets report from the stored aggregates: settlement cells, what the
    person-years' 大病 totals have above their deductibles, the register's groups."""
    policy = lib.resolve(scope.region, scope.year)
    codes = register_codes(session, lib, scope)
    conn = session.connection()
    cells = cells_frame(
        session, lib, scope, ("med_type", "hosp_lv"), ("hifp_pay", "inscp_scp_amt", "hifmi_pay")
    )
    groups = enrollment_aggregates.group_sums(conn, codes, scope.year, ("categories", "status"))
    above = enrollment_aggregates.critical_above(
        conn,
        scope_codes(session, lib, scope),
        codes,
        scope.year,
        _deductibles(policy, {g[0] for g in groups} | {""}),
    )
    frame = aggregate_frame(cells, above, policy)
    report = targets_report(policy, frame, enrollment_counts(groups))
    claims = int(cells["claims"].sum()) if cells.height else 0
    return dataclasses.replace(report, claims=claims)


def _report(
    request: Request, region: str, year: int | None
) -> tuple[TargetsReport | None, dict[str, object]]:
    lib = library(request)
    with transaction(db(request)) as s:
        scope, context = scope_context(s, lib, region, year)
        if scope is None:
            return None, context
        return report_of(s, lib, scope), context


@router.get("/targets", response_class=HTMLResponse)
def targets_page(
    request: Request,
    region: str = Query("", max_length=6),
    year: int | None = Query(None, ge=2000, le=2100),
    user: WebUser = Depends(web_user),
) -> Response:
    report, context = _report(request, region, year)
    return page(
        request, user, "targets.html", title="目标", active="targets", report=report, **context
    )


@router.get("/targets.xlsx")
def targets_excel(
    request: Request,
    region: str = Query("", max_length=6),
    year: int | None = Query(None, ge=2000, le=2100),
    user: WebUser = Depends(web_user),
) -> Response:
    report, _ = _report(request, region, year)
    if report is None:
        return Response("库中尚无参保和结算数据", status_code=404, media_type="text/plain")
    name = f"目标_{report.region}_{report.year}.xlsx"
    return Response(
        targets_xlsx_bytes(report),
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{urlquote(name)}"},
    )
