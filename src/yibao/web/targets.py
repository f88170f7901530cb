"""目标: every target of the notices against the store's year (yibao.engine.targets), with
its Excel download (yibao.monitoring.targets_export).

The settled claims are read as the store's aggregates (store_frames.cells_frame: sums by
med_type and hosp_lv; person_years_frame: what each person-year added to the 大病 running total),
the categories the persons hold in the year (persons_frame).
参保率: the store knows who holds a low-income or 八类 category and who is enrolled in the year,
so those two rates are measured (an enrollment of the year counts, as on the 台账 page); the
whole population that should be insured is not in the store, so 全体参保率 is not measurable."""

from __future__ import annotations

import dataclasses
import datetime as dt
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
from yibao.store.models import Enrollment, PersonCategory
from yibao.web.routing import ConsoleRoute
from yibao.web.session import WebUser, db, library, web_user
from yibao.web.store_frames import (
    Scope,
    cells_frame,
    held_categories,
    person_years_frame,
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


def _enrollment_counts(
    session: Session, scope: Scope, people: pl.DataFrame
) -> dict[str, EnrollmentCount]:
    """Eligible and insured persons per 参保率 target: the flags are worked out once per
    distinct categories string and joined (polars); only the holders' enrollments are read."""
    first, last = dt.date(scope.year, 1, 1), dt.date(scope.year, 12, 31)
    holders = select(PersonCategory.psn_no).where(
        PersonCategory.begin_date <= last,
        PersonCategory.end_date.is_(None) | (PersonCategory.end_date >= first),
    )
    enrolled = pl.DataFrame(
        session.execute(
            select(Enrollment.psn_no).where(
                Enrollment.year == scope.year,
                Enrollment.status == "enrolled",
                Enrollment.psn_no.in_(holders),
            )
        ).all(),
        schema={"psn_no": pl.String},
        orient="row",
    ).unique()
    flags = []
    for categories in people["categories"].fill_null("").unique().to_list():
        groups = [_groups(c) for c in categories.split("|") if c]
        flags.append((categories, any(g[0] for g in groups), any(g[1] for g in groups)))
    keyed = pl.DataFrame(
        flags, schema={"categories": pl.String, "low": pl.Boolean, "eight": pl.Boolean},
        orient="row",
    )  # fmt: skip
    marked = (
        people.select("psn_no", pl.col("categories").fill_null(""))
        .join(keyed, on="categories", how="left")
        .join(enrolled.with_columns(pl.lit(True).alias("insured")), on="psn_no", how="left")
        .with_columns(pl.col("insured").fill_null(False))
    )
    out = {}
    for key, flag in (
        ("low_income_enrollment_rate", "low"),
        ("eight_categories_enrollment_rate", "eight"),
    ):
        hit = marked.filter(pl.col(flag))
        if hit.height:
            out[key] = EnrollmentCount(eligible=hit.height, insured=int(hit["insured"].sum()))
    return out


def aggregate_frame(
    cells: pl.DataFrame, person_years: pl.DataFrame, people: pl.DataFrame
) -> pl.DataFrame:
    """The engine's settlement frame (targets_report) from the stored aggregates, with the
    same sums: one row per aggregate cell (med_type, hosp_lv, hifp_pay, inscp_scp_amt) and
    one per person-year with a 大病 total (psn_no, year, critical_eligible_delta, hifmi_pay,
    the categories the person holds in the year). A cell row belongs to no person-year (psn_no
    "": nothing eligible, nothing paid), a person-year row to no pool (med_type "", both ratio
    sums 0) at an existing hosp_lv, so each figure of the report sums exactly what the
    settlements would; the number of claims is the cells' count (the caller sets it)."""
    level = cells["hosp_lv"][0] if cells.height else ""
    cell_rows = cells.select(
        pl.lit("").alias("psn_no"),
        pl.lit(0, pl.Int32).alias("year"),
        "med_type",
        "hosp_lv",
        "hifp_pay",
        "inscp_scp_amt",
        pl.lit(0, pl.Int64).alias("hifmi_pay"),
        pl.lit(0, pl.Int64).alias("critical_eligible_delta"),
        pl.lit("").alias("categories"),
    )
    person_rows = person_years.join(
        people.select("psn_no", "categories"), on="psn_no", how="left"
    ).select(
        "psn_no",
        "year",
        pl.lit("").alias("med_type"),
        pl.lit(level).alias("hosp_lv"),
        pl.lit(0, pl.Int64).alias("hifp_pay"),
        pl.lit(0, pl.Int64).alias("inscp_scp_amt"),
        "hifmi_pay",
        "critical_eligible_delta",
        pl.col("categories").fill_null(""),
    )
    return pl.concat([cell_rows, person_rows], how="vertical")


def _report(
    request: Request, region: str, year: int | None
) -> tuple[TargetsReport | None, dict[str, object]]:
    lib = library(request)
    with transaction(db(request)) as s:
        scope, context = scope_context(s, lib, region, year)
        if scope is None:
            return None, context
        # Persons holding a category (the 参保率 counts and the 大病 起付线 need no others),
        # the stored aggregates instead of the year's settlements.
        people = held_categories(s, lib, scope)
        cells = cells_frame(s, lib, scope, by=("med_type", "hosp_lv"))
        person_years = person_years_frame(s, lib, scope)
        counts = _enrollment_counts(s, scope, people)
    frame = aggregate_frame(cells, person_years, people)
    report = targets_report(lib.resolve(scope.region, scope.year), frame, counts)
    claims = int(cells["claims"].sum()) if cells.height else 0
    return dataclasses.replace(report, claims=claims), context


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
