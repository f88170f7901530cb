"""台账: the 应保尽保 ledger (yibao.enrollment.ledger) by township and category — who on the
low-income roster is not insured in the year, and the enrollment rate against the target.

The roster is the store's persons holding a low-income, monitored or poverty-alleviated
category in the year (their household's township); an enrollment of the year counts as insured
for the whole calendar year (参保, whatever its waiting period)."""

from __future__ import annotations

import datetime as dt

import polars as pl
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from yibao.categories import EIGHT_CATEGORIES, all_categories
from yibao.enrollment.ledger import LOW_INCOME_GROUPS, build_ledger
from yibao.enrollment.records import ENROLLMENT_SCHEMA, ROSTER_SCHEMA
from yibao.store import transaction
from yibao.store.models import Enrollment, Person, PersonCategory
from yibao.web.routing import ConsoleRoute
from yibao.web.session import WebUser, db, library, web_user
from yibao.web.store_frames import persons_frame, scope_context
from yibao.web.templating import PREFIX, page

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)


def _on_roster(category: str) -> bool:
    cat = all_categories().get(category)
    return cat is not None and (cat.group in LOW_INCOME_GROUPS or category in EIGHT_CATEGORIES)


def roster_of(people: pl.DataFrame) -> pl.DataFrame:
    """One roster row per (person, roster category) of persons_frame's rows, in their order,
    built in polars (no loop over the persons)."""
    held = people.select("certno", "psn_name", "township", "categories").with_columns(
        pl.col("categories").str.split("|").alias("category")
    )
    cats = held["category"].explode().drop_nulls().unique().to_list()
    on_roster = [c for c in cats if c and _on_roster(c)]
    return (
        held.explode("category")
        .filter(pl.col("category").is_in(on_roster))
        .select("certno", "psn_name", "category", "township")
        .cast(ROSTER_SCHEMA)
    )


@router.get("/ledger", response_class=HTMLResponse)
def ledger_page(
    request: Request,
    region: str = Query("", max_length=6),
    year: int | None = Query(None, ge=2000, le=2100),
    township: str = Query("", max_length=60),
    user: WebUser = Depends(web_user),
) -> Response:
    lib = library(request)
    with transaction(db(request)) as s:
        scope, context = scope_context(s, lib, region, year, township=township)
        if scope is None:
            return page(
                request, user, "ledger.html", title="应保尽保台账", active="ledger", **context
            )
        # Only persons holding a category can be on the roster; only their enrollments count.
        people = persons_frame(s, lib, scope, holders_only=True)
        first, last = dt.date(scope.year, 1, 1), dt.date(scope.year, 12, 31)
        holders = select(PersonCategory.psn_no).where(
            PersonCategory.begin_date <= last,
            PersonCategory.end_date.is_(None) | (PersonCategory.end_date >= first),
        )
        enrolled = s.execute(
            select(Person.certno, Enrollment.insuplc_admdvs)
            .join(Person, Person.psn_no == Enrollment.psn_no)
            .where(
                Enrollment.year == scope.year,
                Enrollment.status == "enrolled",
                Enrollment.psn_no.in_(holders),
            )
        ).all()
    roster = roster_of(people)
    enrollments = pl.DataFrame(
        [(certno, "390", admdvs, first, last) for certno, admdvs in enrolled],
        schema=ENROLLMENT_SCHEMA,
        orient="row",
    )
    ledger = build_ledger(roster, enrollments, lib.resolve(scope.region, scope.year))
    rates = ledger.rates.to_dicts()
    uninsured = ledger.uninsured
    if township:
        uninsured = uninsured.filter(pl.col("township") == township)
    return page(
        request,
        user,
        "ledger.html",
        title="应保尽保台账",
        active="ledger",
        by_township=[r for r in rates if r["township"] and not r["category"]],
        by_category=[r for r in rates if r["category"] and not r["township"]],
        cells=[r for r in rates if r["category"] and r["township"]],
        overall=next((r for r in rates if not r["category"] and not r["township"]), None),
        uninsured=uninsured.to_dicts(),
        targets=ledger.targets,
        roster_size=roster["certno"].n_unique(),
        **context,
    )
