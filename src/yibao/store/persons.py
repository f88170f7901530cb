"""Persons, households, categories with validity dates and enrollments (payments: services)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from yibao.categories import canonical
from yibao.engine.register import CategoryRecord, categories_valid_on, default_followup
from yibao.idcard import parse_id
from yibao.store.errors import Conflict, Invalid, NotFound
from yibao.store.models import Enrollment, Household, Person, PersonCategory

# 17 digits and a check character anywhere in a string (GB 11643), as api.logs masks them.
ID_LIKE = re.compile(r"\d{17}[\dXx]")


@dataclass(frozen=True)
class CategorySpan:
    category: str
    begin_date: dt.date
    end_date: dt.date | None = None


@dataclass(frozen=True)
class PersonSpec:
    certno: str
    psn_name: str
    insuplc_admdvs: str
    psn_no: str | None = None
    hh_id: str | None = None
    categories: tuple[CategorySpan, ...] = field(default_factory=tuple)
    resident_permit: bool = False  # 持居住证 (fiscal subsidy as for locals where the policy says)


def person_document(person: Person) -> dict[str, Any]:
    return {
        "psn_no": person.psn_no,
        "certno": person.certno,
        "psn_name": person.psn_name,
        "gend": person.gend,
        "brdy": person.brdy.isoformat(),
        "insuplc_admdvs": person.insuplc_admdvs,
        "hh_id": person.hh_id,
        "resident_permit": person.resident_permit,
        "categories": [
            {
                "category": c.category,
                "begin_date": c.begin_date.isoformat(),
                "end_date": c.end_date.isoformat() if c.end_date else None,
            }
            for c in person.categories
        ],
    }


def create_person(session: Session, spec: PersonSpec) -> Person:
    idn = parse_id(spec.certno, "certno")
    if spec.psn_no and ID_LIKE.search(spec.psn_no):
        raise Invalid("psn_no: 个人编号不能含身份证号（个人信息保护：编号出现在网址和日志中）")
    psn_no = spec.psn_no or new_psn_no(session, spec.insuplc_admdvs)
    if session.get(Person, psn_no) is not None:
        raise Conflict(f"psn_no: person {psn_no} already exists")
    if session.scalar(select(Person.psn_no).where(Person.certno == idn.number)) is not None:
        raise Conflict("certno: a person with this ID number already exists")
    if spec.hh_id and session.get(Household, spec.hh_id) is None:
        session.add(Household(hh_id=spec.hh_id, admdvs=spec.insuplc_admdvs))
    person = Person(
        psn_no=psn_no,
        certno=idn.number,
        psn_name=spec.psn_name,
        gend=idn.sex,
        brdy=idn.birth_date,
        insuplc_admdvs=spec.insuplc_admdvs,
        hh_id=spec.hh_id,
        resident_permit=spec.resident_permit,
    )
    session.add(person)
    person.categories = [_category_row(psn_no, span) for span in spec.categories]
    session.flush()
    return person


def new_psn_no(session: Session, admdvs: str) -> str:
    """A new 个人编号: the 参保地 code and ten random digits, never derived from the ID number
    (it appears in URLs, the audit log and access logs)."""
    for _ in range(20):
        candidate = f"{admdvs}{secrets.randbelow(10**10):010d}"
        if session.get(Person, candidate) is None:
            return candidate
    raise Conflict("psn_no: could not draw a free 个人编号")


def _category_row(psn_no: str, span: CategorySpan) -> PersonCategory:
    if span.end_date is not None and span.end_date < span.begin_date:
        raise Invalid("end_date: before begin_date")
    return PersonCategory(
        psn_no=psn_no,
        category=canonical(span.category),
        begin_date=span.begin_date,
        end_date=span.end_date,
    )


def get_person(session: Session, psn_no: str) -> Person:
    person = session.scalar(
        select(Person).where(Person.psn_no == psn_no).options(selectinload(Person.categories))
    )
    if person is None:
        raise NotFound(f"psn_no: no person {psn_no}")
    return person


def find_persons(
    session: Session,
    *,
    certno: str | None = None,
    hh_id: str | None = None,
    insuplc_admdvs: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Person]:
    stmt = select(Person).options(selectinload(Person.categories)).order_by(Person.psn_no)
    if certno:
        stmt = stmt.where(Person.certno == certno.strip().upper())
    if hh_id:
        stmt = stmt.where(Person.hh_id == hh_id)
    if insuplc_admdvs:
        stmt = stmt.where(Person.insuplc_admdvs == insuplc_admdvs)
    return list(session.scalars(stmt.limit(limit).offset(offset)))


# A partial ID number matches as a substring from this many characters (fewer match too many).
MIN_CERTNO_PART = 6


def search_persons(
    session: Session, q: str, *, limit: int = 50, offset: int = 0
) -> tuple[list[Person], int]:
    """One search box: name part, 个人编号 (exact or prefix), 家庭编号, or a partial ID number
    (at least MIN_CERTNO_PART characters, as a substring). The page of rows (by psn_no) and the
    total that match."""
    q = q.strip()
    if not q:
        return [], 0
    conds = [
        Person.psn_name.contains(q, autoescape=True),
        Person.psn_no.startswith(q, autoescape=True),
        Person.hh_id == q,
    ]
    if len(q) >= MIN_CERTNO_PART:
        conds.append(Person.certno.contains(q.upper(), autoescape=True))
    where = or_(*conds)
    total = session.scalar(select(func.count()).select_from(Person).where(where)) or 0
    stmt = (
        select(Person)
        .where(where)
        .options(selectinload(Person.categories))
        .order_by(Person.psn_no)
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(stmt)), total


def add_category(session: Session, psn_no: str, span: CategorySpan) -> PersonCategory:
    person = get_person(session, psn_no)
    row = _category_row(psn_no, span)
    person.categories.append(row)
    session.flush()
    return row


def categories_on(person: Person, day: dt.date) -> list[str]:
    """The categories valid on ``day`` (both ends inclusive), with a monitored group's category
    kept for the follow-up months after its end date (风险消除): the register's rule
    (engine.register.categories_valid_on), the same for the quote and the settlement."""
    records = [CategoryRecord(c.category, c.begin_date, c.end_date) for c in person.categories]
    followup = default_followup(person.insuplc_admdvs, day)
    return list(categories_valid_on(records, day, followup))


@dataclass(frozen=True)
class EnrollmentSpec:
    psn_no: str
    year: int
    enrolled_on: dt.date
    tier: int = 1
    insuplc_admdvs: str | None = None
    coverage_begin: dt.date | None = None
    coverage_end: dt.date | None = None
    situation: str = "resident"
    coverage_rule: str = ""


def enrollment_document(e: Enrollment) -> dict[str, Any]:
    return {
        "psn_no": e.psn_no,
        "year": e.year,
        "insuplc_admdvs": e.insuplc_admdvs,
        "tier": e.tier,
        "enrolled_on": e.enrolled_on.isoformat(),
        "coverage_begin": e.coverage_begin.isoformat() if e.coverage_begin else None,
        "coverage_end": e.coverage_end.isoformat() if e.coverage_end else None,
        "situation": e.situation,
        "coverage_rule": e.coverage_rule,
        "status": e.status,
    }


def enroll(session: Session, spec: EnrollmentSpec) -> Enrollment:
    person = get_person(session, spec.psn_no)
    if spec.tier not in (1, 2):
        raise Invalid(f"tier: must be 1 or 2, got {spec.tier}")
    if spec.coverage_begin and spec.coverage_end and spec.coverage_end < spec.coverage_begin:
        raise Invalid("coverage_end: before coverage_begin")
    existing = session.scalar(
        select(Enrollment).where(Enrollment.psn_no == spec.psn_no, Enrollment.year == spec.year)
    )
    if existing is not None:
        raise Conflict(f"year: {spec.psn_no} is already enrolled for {spec.year}")
    row = Enrollment(
        psn_no=spec.psn_no,
        year=spec.year,
        insuplc_admdvs=spec.insuplc_admdvs or person.insuplc_admdvs,
        tier=spec.tier,
        enrolled_on=spec.enrolled_on,
        coverage_begin=spec.coverage_begin,
        coverage_end=spec.coverage_end,
        situation=spec.situation,
        coverage_rule=spec.coverage_rule,
        status="enrolled",
    )
    session.add(row)
    session.flush()
    return row


def enrollment_for(session: Session, psn_no: str, year: int) -> Enrollment | None:
    return session.scalar(
        select(Enrollment).where(Enrollment.psn_no == psn_no, Enrollment.year == year)
    )


def enrollments_of(session: Session, psn_no: str) -> list[Enrollment]:
    get_person(session, psn_no)
    return list(
        session.scalars(
            select(Enrollment).where(Enrollment.psn_no == psn_no).order_by(Enrollment.year)
        )
    )
