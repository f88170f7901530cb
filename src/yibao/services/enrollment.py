"""参保登记 with its 缴费 record: coverage dates from the eligibility engine (waiting periods,
newborns, transfers, continuation), the payment as the contribution engine quotes it.

The same request twice returns the first enrollment and payment (idempotent); an enrollment of
the same person-year with other content is a Conflict.

彭水 三（一）2: the eight groups (特困人员 … 稳定脱贫人口) 应当在集中参保期内完成参保. That is a duty
of the bureau and the townships (参保动员), not a bar: the same sentence gives them no waiting
period. An enrollment of one of them paid after the collection period is accepted and carries a
notice citing the clause (``Enrolled.notices``, in its audit record), for the 应保尽保 follow-up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from yibao.categories import matches
from yibao.engine.eligibility import EnrollmentEvent, collection_period, coverage_for
from yibao.policy import PolicyLibrary
from yibao.services import payments
from yibao.store import audit, persons
from yibao.store.audit import Actor
from yibao.store.errors import Conflict, Invalid
from yibao.store.models import ContributionPayment, Enrollment, Person


@dataclass(frozen=True)
class EnrollmentRequest:
    """参保登记 as received; ``enrolled_on`` is the payment date (缴费日期). Explicit coverage
    dates override the eligibility engine. ``personal_paid`` (fen), when given, must be the
    quote's; ``payment_id`` is the 票据号 (absent: one 缴费 per person-year)."""

    psn_no: str
    year: int
    enrolled_on: dt.date
    tier: int = 1
    insuplc_admdvs: str | None = None
    situation: str = "resident"
    previous_coverage_end: dt.date | None = None
    continuation_event: str | None = None
    coverage_begin: dt.date | None = None
    coverage_end: dt.date | None = None
    payment_id: str | None = None
    personal_paid: int | None = None
    channel: str = ""
    supplement_product: str | None = None  # 渝快保 product bought with the 缴费 (彭水)
    resident_permit: bool | None = None  # 持居住证 as the caller sees it: must be the register's


@dataclass(frozen=True)
class Enrolled:
    enrollment: Enrollment
    payment: ContributionPayment
    replayed: bool
    notices: tuple[str, ...] = ()  # e.g. a late enrollment of a group due in the period

    def to_json(self) -> dict[str, Any]:
        return {
            **persons.enrollment_document(self.enrollment),
            "payment": payments.payment_document(self.payment),
            "notices": list(self.notices),
        }


def late_enrollment_notices(
    library: PolicyLibrary, person: Person, *, region: str, year: int, paid_on: dt.date
) -> tuple[str, ...]:
    """彭水 三（一）2: a person of a group that is to enrol within the collection period
    (``enrollment.concentrated_period_categories``) who paid after it."""
    policy = library.resolve(region, year)
    due = policy.enrollment.concentrated_period_categories
    mine = persons.categories_on(person, paid_on)
    # a narrow kind of a listed group, or an umbrella tag (防止返贫监测对象) whose kinds are listed
    groups = [c for c in mine if any(matches(r, c) or matches(c, r) for r in due.value)]
    _, end = collection_period(policy)
    if not groups or paid_on <= end:
        return ()
    return (
        f"late_enrollment: {'、'.join(groups)}应当在集中参保期内完成参保（集中参保期至 "
        f"{end.isoformat()}），本次缴费日期 {paid_on.isoformat()} 晚于集中参保期（{due.cite()}）",
    )


def coverage_of(
    library: PolicyLibrary,
    person: Person,
    *,
    region: str,
    year: int,
    payment_date: dt.date,
    situation: str = "resident",
    previous_coverage_end: dt.date | None = None,
    continuation_event: str | None = None,
) -> tuple[dt.date, dt.date, str]:
    """(coverage_begin, coverage_end, reason) from the eligibility engine."""
    policy = library.resolve(region, year)
    coverage = coverage_for(
        EnrollmentEvent(
            coverage_year=year,
            payment_date=payment_date,
            situation=situation,  # type: ignore[arg-type]
            categories=tuple(persons.categories_on(person, payment_date)),
            previous_coverage_end=previous_coverage_end,
            continuation_event=continuation_event,
            birth_date=person.brdy,
        ),
        policy,
    )
    return coverage.coverage_begin, coverage.coverage_end, coverage.reason


def enroll(
    session: Session, library: PolicyLibrary, request: EnrollmentRequest, actor: Actor
) -> Enrolled:
    """Enrol a person for a year and record the 缴费, inside the caller's transaction."""
    person = persons.get_person(session, request.psn_no)
    if request.resident_permit is not None and request.resident_permit != person.resident_permit:
        held = "持居住证" if person.resident_permit else "未登记持居住证"
        raise Invalid(
            f"resident_permit: 参保登记中 {request.psn_no} {held}，与本次填写的"
            f"{'持居住证' if request.resident_permit else '未持居住证'}不符（请先更正人员登记）"
        )
    region = request.insuplc_admdvs or person.insuplc_admdvs
    payment = payments.PaymentRequest(
        psn_no=request.psn_no,
        year=request.year,
        payment_id=request.payment_id or payments.default_payment_id(request.psn_no, request.year),
        paid_on=request.enrolled_on,
        personal_paid=request.personal_paid,
        channel=request.channel,
        supplement_product=request.supplement_product,
    )
    existing = persons.enrollment_for(session, request.psn_no, request.year)
    if existing is not None:
        same = (existing.insuplc_admdvs, existing.tier, existing.enrolled_on, existing.situation)
        if same != (region, request.tier, request.enrolled_on, request.situation):
            raise Conflict(
                f"year: {request.psn_no} 已办理 {request.year} 年度参保登记"
                f"（参保地 {existing.insuplc_admdvs}，{existing.tier}档，缴费日期 "
                f"{existing.enrolled_on.isoformat()}）"
            )
        recorded = payments.record_payment(session, library, payment, actor)
        notices = late_enrollment_notices(
            library, person, region=region, year=request.year, paid_on=existing.enrolled_on
        )
        return Enrolled(existing, recorded.row, replayed=True, notices=notices)
    begin, end, rule = request.coverage_begin, request.coverage_end, "explicit"
    if begin is None and end is None:
        begin, end, rule = coverage_of(
            library,
            person,
            region=region,
            year=request.year,
            payment_date=request.enrolled_on,
            situation=request.situation,
            previous_coverage_end=request.previous_coverage_end,
            continuation_event=request.continuation_event,
        )
    row = persons.enroll(
        session,
        persons.EnrollmentSpec(
            psn_no=request.psn_no,
            year=request.year,
            enrolled_on=request.enrolled_on,
            tier=request.tier,
            insuplc_admdvs=region,
            coverage_begin=begin,
            coverage_end=end,
            situation=request.situation,
            coverage_rule=rule,
        ),
    )
    notices = late_enrollment_notices(
        library, person, region=region, year=request.year, paid_on=request.enrolled_on
    )
    document = persons.enrollment_document(row)
    audit.record(
        session,
        actor,
        "enroll",
        "enrollment",
        f"{request.psn_no}/{request.year}",
        after={**document, "notices": list(notices)} if notices else document,
    )
    recorded = payments.record_payment(session, library, payment, actor)
    return Enrolled(row, recorded.row, replayed=False, notices=notices)
