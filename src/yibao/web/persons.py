"""参保登记: find a person by ID number or name; household, categories with dates, enrollments
with coverage dates, payments; enrol (经办) and the contribution quote with the subsidy explained;
register 补缴 / 退费 / 冲正 (经办) and print a payment's 缴费凭证.
Enrolment, payments and the quote go through the services the API uses (one path for both
front ends)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from yibao.api.schemas import CategoryIn, EnrollmentIn, PersonIn, QuoteIn
from yibao.categories import all_categories
from yibao.claims import MED_TYPES
from yibao.engine.settlement_rules import NO_CAP, category_rules
from yibao.money import MoneyError, format_yuan, yuan_to_fen
from yibao.services import enrollment as enrollments
from yibao.services import payments as payment_records
from yibao.services import persons as people
from yibao.store import accumulators, aggregates, persons, transaction
from yibao.store.errors import Conflict, Invalid, NotFound
from yibao.store.models import ContributionPayment
from yibao.web import messages
from yibao.web.messages import describe
from yibao.web.routing import ConsoleRoute
from yibao.web.session import WebUser, allowed, bureau, db, library, web_user
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
PAY_KINDS = ("补缴", "退费", "冲正")  # the console's 缴费 goes with the enrolment
FIELD = re.compile(r"^[a-z_]+: ")


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
    return _persons(request, user, q=q, results=results)


def _persons(request: Request, user: WebUser, status: int = 200, **extra: Any) -> Response:
    """The search page; ``form`` (the new-person form as typed) and ``error`` on a refusal."""
    context: dict[str, Any] = {"q": "", "results": None, "form": {}, **extra}
    return page(
        request,
        user,
        "persons.html",
        status=status,
        title="参保登记",
        active="persons",
        categories=sorted(all_categories()),
        regions=_regions(request),
        home_region=bureau(request)[0],
        **context,
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
    """登记人员; a refusal (a bad ID number, a category without its date, a person already
    registered) shows the page again with the reason in Chinese and the form as typed."""
    form = {
        "certno": certno,
        "psn_name": psn_name,
        "insuplc_admdvs": insuplc_admdvs,
        "hh_id": hh_id,
        "category": category,
        "category_begin": category_begin,
    }
    try:
        cats = []
        if category and category != "一般居民":
            cats.append(CategoryIn(category=category, begin_date=_category_begin(category_begin)))
        body = PersonIn(
            certno=certno.strip(),
            psn_name=psn_name.strip(),
            insuplc_admdvs=insuplc_admdvs,
            hh_id=hh_id.strip() or None,
            categories=cats,
        )
        with db(request)() as s, s.begin():
            doc = people.register_person(s, body.to_spec(), user.actor)
    except ValidationError as exc:
        return _persons(request, user, 422, form=form, error=describe(exc.errors(), skip=0))
    except (Invalid, Conflict, ValueError) as exc:
        status = 409 if isinstance(exc, Conflict) else 422
        return _persons(request, user, status, form=form, error=messages.chinese(str(exc)))
    return RedirectResponse(f"{PREFIX}/persons/{doc['psn_no']}?created=1", status_code=303)


def _category_begin(text: str) -> dt.date:
    """类别起始日期: required with a category (the date on the 认定 document), as in the API."""
    if not text.strip():
        raise Invalid("category_begin: 选择身份类别时必填（认定材料上的日期）")
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(f"category_begin: 应为日期（YYYY-MM-DD），收到“{text}”") from None


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
                "refers_to": p.refers_to,
                "paid_on": p.paid_on.isoformat(),
                "channel": p.channel,
            }
            for p in payment_records.payments_of(s, psn_no)
        ]
        annual = _annual(s, library(request), person)
        visits = aggregates.listing_of_person(s.connection(), psn_no, VISITS, 0)
    return {
        "person": doc,
        "household": household,
        "enrollments": enrollments,
        "payments": paid,
        "annual": annual,
        "visits": visits,
    }


VISITS = 50  # the newest settlements shown as 就医记录 (all of them: 结算查询 by 个人编号)


def _annual(s: Any, lib: Any, person: Any) -> list[dict[str, Any]]:
    """年度累计 per coverage year with settlements, newest first: the stored person-year
    aggregate (counts and sums, fen), the running totals (accumulators) and what is left of
    each yearly limit of the year's policy for the enrolled tier and the categories held."""
    out = []
    for row in aggregates.person_year(s.connection(), person.psn_no):
        year = row["year"]
        acc = accumulators.read(s, person.psn_no, year)
        enrolled = persons.enrollment_for(s, person.psn_no, year)
        tier = str(enrolled.tier) if enrolled is not None else "1"
        try:
            policy = lib.resolve(row["insuplc_admdvs"], year)
        except (KeyError, ValueError):
            policy = None
        out.append({**row, "tier": tier, **_limits(policy, acc, tier, _held(person, year))})
    return out


def _held(person: Any, year: int) -> tuple[str, ...]:
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return tuple(
        dict.fromkeys(
            c.category
            for c in person.categories
            if c.begin_date <= last and (c.end_date is None or c.end_date >= first)
        )
    )


def _limits(policy: Any, acc: Any, tier: str, categories: tuple[str, ...]) -> dict[str, Any]:
    """统筹 limits per cap group (paid, cap, left; cap None: none) and the 大病 起付线 and
    limit (category_rules: the special groups' lower 起付线 and cap)."""
    pool_paid = dict(acc.pool_paid) if acc is not None else {}
    groups: dict[str, dict[str, Any]] = {}
    if policy is not None:
        for name, pool in policy.benefits.pools.items():
            group = pool.cap_group.value or name
            cap = pool.annual_cap.value.get(tier, pool.annual_cap.value.get("1"))
            entry = groups.setdefault(group, {"labels": [], "cap": cap})
            entry["labels"].append(pool.label.value)
    for group in pool_paid:
        groups.setdefault(group, {"labels": [group], "cap": None})
    pools = [
        {
            "label": "、".join(dict.fromkeys(g["labels"])),
            "paid": int(pool_paid.get(group, 0)),
            "cap": g["cap"],
            "left": None if g["cap"] is None else max(0, g["cap"] - int(pool_paid.get(group, 0))),
        }
        for group, g in groups.items()
        if pool_paid.get(group) or g["cap"] is not None
    ]
    critical = None
    if policy is not None:
        rules = category_rules(policy, categories)
        eligible = int(acc.critical_eligible) if acc is not None else 0
        paid = int(acc.critical_paid) if acc is not None else 0
        cap = None if rules.critical_cap >= NO_CAP else rules.critical_cap
        critical = {
            "deductible": rules.critical_deductible,
            "eligible": eligible,
            "deductible_left": max(0, rules.critical_deductible - eligible),
            "paid": paid,
            "cap": cap,
            "left": None if cap is None else max(0, cap - paid),
        }
    assistance = int(acc.assistance_paid) if acc is not None else 0
    return {"pools": pools, "critical": critical, "assistance_paid": assistance}


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
    paid: str = Query("", max_length=64),
    enrolled: int | None = Query(None, ge=2000, le=2100),
    user: WebUser = Depends(web_user),
) -> Response:
    """The person; after a POST (303 here, so F5 repeats nothing) the message of what was done:
    ``created`` (登记人员), ``enrolled`` with ``paid`` (参保登记 and its 缴费), ``paid`` alone
    (补缴 / 退费 / 冲正)."""
    view = _person_view(request, psn_no)
    region = view["person"]["insuplc_admdvs"]
    years = _years(request, region)
    quote = _quote(request, user, psn_no, region, quote_year, tier) if quote_year else None
    message = "人员已登记" if created else None
    done = next((x for x in view["payments"] if paid and x["payment_id"] == paid), None)
    if done is not None:
        message = (
            f"已登记{done['kind']}（票据号 {done['payment_id']}，{done['year']}年度，个人缴费 "
            f"{format_yuan(done['personal_paid'])}元，资助参保 "
            f"{format_yuan(done['assistance_subsidy'])}元）"
        )
    entry = next((e for e in view["enrollments"] if enrolled and e["year"] == enrolled), None)
    if entry is not None:
        message = f"{entry['year']}年度参保登记成功：待遇享受期 {entry['coverage_begin']} 至 " + (
            f"{entry['coverage_end']}；{message}" if done is not None else entry["coverage_end"]
        )
    return _show(request, user, view, years=years, quote=quote, message=message)


def _show(
    request: Request, user: WebUser, view: dict[str, Any], status: int = 200, **extra: Any
) -> Response:
    """The person page from ``view`` (see _person_view) with the payment form's choices."""
    undone = {x["refers_to"] for x in view["payments"] if x["kind"] == "冲正"}
    reversible = [
        x for x in view["payments"] if x["kind"] != "冲正" and x["payment_id"] not in undone
    ]
    years = extra.pop("years", None) or _years(request, view["person"]["insuplc_admdvs"])
    context: dict[str, Any] = {
        "years": years,
        "default_year": _default_year(request, years, extra.get("quote")),
        "situations": SITUATIONS,
        "today": dt.date.today().isoformat(),
        "pay_kinds": PAY_KINDS,
        "pay_years": sorted({e["year"] for e in view["enrollments"]}, reverse=True),
        "reversible": reversible,
        "form": {},
        "med_types": MED_TYPES,
        **extra,
    }
    return page(
        request,
        user,
        "person.html",
        status=status,
        title="参保登记 · 人员详情",
        active="persons",
        **context,
        **view,
    )


def _default_year(request: Request, years: list[int], quote: Any) -> int | None:
    """The year the enrolment and quote forms start on: the quote's year once quoted, else the
    bureau's year when the person's region has a policy for it, else the newest year."""
    if quote is not None and quote.get("year") in years:
        return int(quote["year"])
    year = bureau(request)[1]
    if year in years:
        return year
    return max(years) if years else None


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
        enrolled = enrollments.enroll(s, library(request), body.to_request(), user.actor)
        payment_no = enrolled.payment.payment_id
    # 303 to the page with the year's quote and what was done: F5 does not enrol twice
    query = urlencode({"enrolled": year, "paid": payment_no, "quote_year": year, "tier": tier})
    return RedirectResponse(f"{PREFIX}/persons/{psn_no}?{query}", status_code=303)


def _fen(text: str, field: str, label: str) -> int | None:
    """An amount typed in yuan ("" is none; thousands separators allowed), parsed exactly."""
    if not text.strip():
        return None
    try:
        return yuan_to_fen(text.strip().replace(",", ""), field)
    except MoneyError:
        raise Invalid(f"{field}: {label}金额应以元填写，最多两位小数，收到“{text}”") from None


@router.post("/persons/{psn_no}/payments", response_class=HTMLResponse)
def register_payment(
    request: Request,
    psn_no: str,
    kind: str = Form(..., max_length=4),
    payment_id: str = Form(..., max_length=64),
    year: str = Form("", max_length=4),
    personal_paid: str = Form("", max_length=20),
    assistance_subsidy: str = Form("", max_length=20),
    paid_on: str = Form("", max_length=10),
    reason: str = Form("", max_length=500),
    refers_to: str = Form("", max_length=64),
    user: WebUser = Depends(allowed("enroll")),
) -> Response:
    """补缴 / 退费 / 冲正 through services.payments.record_payment; a refusal re-shows the page
    with the service's message and the input kept, nothing written."""
    form = {
        "kind": kind,
        "payment_id": payment_id,
        "year": year,
        "personal_paid": personal_paid,
        "assistance_subsidy": assistance_subsidy,
        "paid_on": paid_on,
        "reason": reason,
        "refers_to": refers_to,
    }
    try:
        with db(request)() as s, s.begin():
            body = _payment_request(s, psn_no, form)
            payment_records.record_payment(s, library(request), body, user.actor)
    except (Invalid, Conflict, NotFound) as exc:
        view = _person_view(request, psn_no)  # the person exists, or this is a 404
        status = 409 if isinstance(exc, Conflict) else 422
        return _show(request, user, view, status=status, error=FIELD.sub("", str(exc)), form=form)
    return RedirectResponse(
        f"{PREFIX}/persons/{psn_no}?paid={body.payment_id}#payments", status_code=303
    )


def _payment_request(s: Any, psn_no: str, form: dict[str, str]) -> Any:
    """The form as a PaymentRequest (a 冲正 takes the year of the record it undoes)."""
    persons.get_person(s, psn_no)
    kind = form["kind"]
    if kind not in PAY_KINDS:
        raise Invalid(f"kind: 类型应为 {'、'.join(PAY_KINDS)} 之一，收到 {kind!r}")
    payment_id = form["payment_id"].strip()
    if not re.fullmatch(r"[0-9A-Za-z_.\-]{1,64}", payment_id):
        raise Invalid("payment_id: 票据号须为 1～64 位字母、数字或 _ . -")
    try:
        paid_on = dt.date.fromisoformat(form["paid_on"])
    except ValueError:
        raise Invalid("paid_on: 请填写缴费日期（YYYY-MM-DD）") from None
    refers_to = form["refers_to"].strip() or None
    if kind == "冲正":
        if refers_to is None:
            raise Invalid("refers_to: 冲正须选择被冲正记录的票据号")
        original = next(
            (p for p in payment_records.payments_of(s, psn_no) if p.payment_id == refers_to),
            None,
        )
        if original is None:
            raise Invalid(f"refers_to: 该人员无票据号为 {refers_to} 的缴费记录")
        year = original.year
    elif form["year"].isdigit():
        year = int(form["year"])
        refers_to = None
    else:
        raise Invalid("year: 请选择缴费年度")
    return payment_records.PaymentRequest(
        psn_no=psn_no,
        year=year,
        payment_id=payment_id,
        paid_on=paid_on,
        kind=kind,  # type: ignore[arg-type]
        personal_paid=_fen(form["personal_paid"], "personal_paid", "个人缴费"),
        assistance_subsidy=_fen(form["assistance_subsidy"], "assistance_subsidy", "资助参保"),
        reason=form["reason"],
        refers_to=refers_to,
        channel="窗口",
    )


@router.get("/payments/{payment_id}/receipt", response_class=HTMLResponse)
def payment_receipt(
    request: Request, payment_id: str, user: WebUser = Depends(web_user)
) -> Response:
    """A printable 缴费凭证 of one payment record (name and ID number masked for 只读)."""
    with transaction(db(request)) as s:
        row = s.scalar(
            select(ContributionPayment).where(ContributionPayment.payment_id == payment_id)
        )
        if row is None:
            raise NotFound(f"payment_id: 无票据号为 {payment_id} 的缴费记录")
        person = persons.person_document(persons.get_person(s, row.psn_no))
        enrollment = persons.enrollment_for(s, row.psn_no, row.year)
        doc = {c: getattr(row, c) for c in RECEIPT_FIELDS}
    region = enrollment.insuplc_admdvs if enrollment is not None else person["insuplc_admdvs"]
    return page(
        request,
        user,
        "payment_receipt.html",
        title="缴费凭证",
        active="persons",
        person=person,
        pay=doc,
        region=region,
        region_name=dict(_regions(request)).get(region, ""),
        printed_at=dt.datetime.now(dt.UTC),
    )


RECEIPT_FIELDS = (
    "payment_id",
    "psn_no",
    "year",
    "kind",
    "personal_paid",
    "assistance_subsidy",
    "subsidy_fund",
    "applied_category",
    "supplement_product",
    "supplement_subsidy",
    "supplement_fund",
    "reason",
    "refers_to",
    "paid_on",
    "channel",
    "created_by",
)
