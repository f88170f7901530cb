"""参保登记: find a person by ID number or name; household, categories with dates, enrollments
with coverage dates, payments; enrol (经办) and the contribution quote with the subsidy explained.
Enrolment and the quote go through the API's own functions (one path for both front ends)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yibao.api.schemas import CategoryIn, EnrollmentIn, PersonIn, QuoteIn
from yibao.categories import all_categories
from yibao.services import enrollment as enrollments
from yibao.services import payments as payment_records
from yibao.services import persons as people
from yibao.store import persons, transaction
from yibao.web.routing import ConsoleRoute
from yibao.web.session import WebUser, allowed, db, library, web_user
from yibao.web.templating import PREFIX, page

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

SITUATIONS = {
    "resident": "集中参保期缴费",
    "migrant_worker": "外出务工人员",
    "continuation": "职工医保等转入接续",
    "newborn": "新生儿",
    "transfer_in": "跨统筹区转入",
}
PAGE_SIZE = 50


def _search(request: Request, q: str, page_no: int) -> dict[str, Any]:
    """One page of the search (name part, 个人编号, 家庭编号, partial ID number) and the total."""
    with transaction(db(request)) as s:
        found, total = persons.search_persons(
            s, q, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE
        )
        pages = max(1, -(-total // PAGE_SIZE))
        if page_no > pages:  # past the end (a stale link): the last page
            page_no = pages
            found, total = persons.search_persons(
                s, q, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE
            )
        return {
            "rows": [persons.person_document(p) for p in found],
            "total": total,
            "page": page_no,
            "pages": pages,
        }


@router.get("/persons", response_class=HTMLResponse)
def persons_page(
    request: Request,
    q: str = Query("", max_length=40),
    page_no: int = Query(1, alias="page", ge=1, le=1_000_000),
    user: WebUser = Depends(web_user),
) -> Response:
    results = _search(request, q, page_no) if q.strip() else None
    return page(
        request,
        user,
        "persons.html",
        title="参保登记",
        active="persons",
        q=q,
        results=results,
        categories=sorted(all_categories()),
        regions=_regions(request),
    )


def _regions(request: Request) -> list[tuple[str, str]]:
    """Jurisdictions with their own policy files, cities and counties first (参保地)."""
    regions = [r for r, _ in library(request).available() if r.level in ("city", "county")]
    return [(r.code, r.name) for r in regions]


@router.post("/persons", response_class=HTMLResponse)
def add_person(
    request: Request,
    certno: str = Form(..., max_length=18),
    psn_name: str = Form(..., max_length=100),
    insuplc_admdvs: str = Form(..., max_length=6),
    hh_id: str = Form("", max_length=40),
    category: str = Form("", max_length=40),
    category_begin: str = Form("", max_length=10),
    user: WebUser = Depends(allowed("enroll")),
) -> Response:
    cats = []
    if category and category != "一般居民":
        begin = dt.date.fromisoformat(category_begin) if category_begin else dt.date.today()
        cats.append(CategoryIn(category=category, begin_date=begin))
    body = PersonIn(
        certno=certno,
        psn_name=psn_name,
        insuplc_admdvs=insuplc_admdvs,
        hh_id=hh_id or None,
        categories=cats,
    )
    with db(request)() as s, s.begin():
        doc = people.register_person(s, body.to_spec(), user.actor)
    return RedirectResponse(f"{PREFIX}/persons/{doc['psn_no']}?created=1", status_code=303)


def _person_view(request: Request, psn_no: str) -> dict[str, Any]:
    with transaction(db(request)) as s:
        person = persons.get_person(s, psn_no)
        doc = persons.person_document(person)
        household = (
            [persons.person_document(p) for p in persons.find_persons(s, hh_id=person.hh_id)]
            if person.hh_id
            else [doc]
        )
        enrollments = [persons.enrollment_document(e) for e in persons.enrollments_of(s, psn_no)]
        paid = [
            {
                "payment_id": p.payment_id,
                "year": p.year,
                "kind": p.kind,
                "personal_paid": p.personal_paid,
                "assistance_subsidy": p.assistance_subsidy,
                "subsidy_fund": p.subsidy_fund,
                "reason": p.reason,
                "paid_on": p.paid_on.isoformat(),
                "channel": p.channel,
            }
            for p in payment_records.payments_of(s, psn_no)
        ]
    return {"person": doc, "household": household, "enrollments": enrollments, "payments": paid}


def _quote(request: Request, user: WebUser, psn_no: str, region: str, year: int, tier: int) -> Any:
    body = QuoteIn(region=region, year=year, tier=tier, psn_no=psn_no)  # validated as the API
    with transaction(db(request)) as s:
        return people.quote_for(
            s, library(request), region=body.region, year=body.year, tier=body.tier, psn_no=psn_no
        )


def _years(request: Request, region: str) -> list[int]:
    code = library(request).policy_region(region).code
    return library(request).years_of(code)


@router.get("/persons/{psn_no}", response_class=HTMLResponse)
def person_page(
    request: Request,
    psn_no: str,
    quote_year: int | None = Query(None, ge=2000, le=2100),
    tier: int = Query(1, ge=1, le=2),
    created: int = 0,
    user: WebUser = Depends(web_user),
) -> Response:
    view = _person_view(request, psn_no)
    region = view["person"]["insuplc_admdvs"]
    years = _years(request, region)
    quote = _quote(request, user, psn_no, region, quote_year, tier) if quote_year else None
    return page(
        request,
        user,
        "person.html",
        title="参保登记 · 人员详情",
        active="persons",
        years=years,
        situations=SITUATIONS,
        quote=quote,
        today=dt.date.today().isoformat(),
        message="人员已登记" if created else None,
        **view,
    )


@router.post("/persons/{psn_no}/enroll", response_class=HTMLResponse)
def enroll_person(
    request: Request,
    psn_no: str,
    year: int = Form(..., ge=2000, le=2100),
    enrolled_on: dt.date = Form(...),
    tier: int = Form(1, ge=1, le=2),
    situation: str = Form("resident", max_length=20),
    payment_id: str = Form("", max_length=64),
    user: WebUser = Depends(allowed("enroll")),
) -> Response:
    body = EnrollmentIn(
        psn_no=psn_no,
        year=year,
        enrolled_on=enrolled_on,
        tier=tier,
        situation=situation,
        payment_id=payment_id.strip() or None,
        channel="窗口",
    )
    with db(request)() as s, s.begin():
        done = enrollments.enroll(s, library(request), body.to_request(), user.actor).to_json()
    view = _person_view(request, psn_no)
    quote = _quote(request, user, psn_no, done["insuplc_admdvs"], year, tier)
    return page(
        request,
        user,
        "person.html",
        title="参保登记 · 人员详情",
        active="persons",
        years=_years(request, view["person"]["insuplc_admdvs"]),
        situations=SITUATIONS,
        quote=quote,
        today=dt.date.today().isoformat(),
        message=(
            f"{year}年度参保登记成功：待遇享受期 {done['coverage_begin']} 至 {done['coverage_end']}；"
            f"已登记缴费（票据号 {done['payment']['payment_id']}，个人缴费 "
            f"{done['payment']['personal_paid']:,.2f}元，资助参保 "
            f"{done['payment']['assistance_subsidy']:,.2f}元）"
        ),
        enrolled=done,
        **view,
    )
