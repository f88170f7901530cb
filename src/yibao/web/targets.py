"""目标: every target of the notices against the store's year (yibao.engine.targets), with
its Excel download (yibao.monitoring.targets_export).

The settled claims are the store's (store_frames.settlements_frame, with hosp_lv and what each
added to the 大病 running total), the categories the persons hold in the year (persons_frame).
参保率: the store knows who holds a low-income or 八类 category and who is enrolled in the year,
so those two rates are measured (an enrollment of the year counts, as on the 台账 page); the
whole population that should be insured is not in the store, so 全体参保率 is not measurable."""

from __future__ import annotations

from urllib.parse import quote as urlquote

import polars as pl
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.categories import EIGHT_CATEGORIES, all_categories
from yibao.engine.targets import EnrollmentCount, TargetsReport, targets_report
from yibao.enrollment.ledger import LOW_INCOME_GROUPS
from yibao.monitoring.targets_export import targets_xlsx_bytes
from yibao.store import transaction
from yibao.store.models import Enrollment
from yibao.web.routing import ConsoleRoute
from yibao.web.session import WebUser, db, library, web_user
from yibao.web.store_frames import Scope, persons_frame, scope_context, settlements_frame
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


def _enrollment_counts(
    session: Session, scope: Scope, people: pl.DataFrame
) -> dict[str, EnrollmentCount]:
    enrolled = set(
        session.scalars(
            select(Enrollment.psn_no).where(
                Enrollment.year == scope.year, Enrollment.status == "enrolled"
            )
        ).all()
    )
    tallies = {"low_income_enrollment_rate": [0, 0], "eight_categories_enrollment_rate": [0, 0]}
    for psn_no, categories in people.select("psn_no", "categories").iter_rows():
        flags = [_groups(c) for c in (categories or "").split("|") if c]
        for key, hit in (
            ("low_income_enrollment_rate", any(f[0] for f in flags)),
            ("eight_categories_enrollment_rate", any(f[1] for f in flags)),
        ):
            if hit:
                tallies[key][0] += 1
                tallies[key][1] += psn_no in enrolled
    return {key: EnrollmentCount(eligible=e, insured=i) for key, (e, i) in tallies.items() if e > 0}


def _report(
    request: Request, region: str, year: int | None
) -> tuple[TargetsReport | None, dict[str, object]]:
    lib = library(request)
    with transaction(db(request)) as s:
        scope, context = scope_context(s, lib, region, year)
        if scope is None:
            return None, context
        people = persons_frame(s, lib, scope)
        settled = settlements_frame(s, lib, scope)
        counts = _enrollment_counts(s, scope, people)
    settled = settled.join(
        people.select("psn_no", "categories"), on="psn_no", how="left"
    ).with_columns(pl.col("categories").fill_null(""))
    return targets_report(lib.resolve(scope.region, scope.year), settled, counts), context


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
