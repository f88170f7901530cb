"""参保登记 (enrollments) and 缴费 (contribution payments)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from yibao.api.app import db
from yibao.api.auth import any_role, clerk, present
from yibao.api.coverage import coverage_of
from yibao.api.schemas import EnrollmentIn, EnrollmentOut, PaymentIn, PsnNoPath
from yibao.money import yuan_to_fen
from yibao.policy import PolicyLibrary
from yibao.store import audit, persons
from yibao.store.audit import Actor
from yibao.store.models import Enrollment

router = APIRouter(prefix="/api", tags=["enrollments"])


def enroll(
    session: Session, library: PolicyLibrary, body: EnrollmentIn, actor: Actor
) -> Enrollment:
    """Enrol a person for a year; coverage dates from the eligibility engine unless given."""
    person = persons.get_person(session, body.psn_no)
    region = body.insuplc_admdvs or person.insuplc_admdvs
    begin, end, rule = body.coverage_begin, body.coverage_end, "explicit"
    if begin is None and end is None:
        begin, end, rule = coverage_of(
            library,
            person,
            region=region,
            year=body.year,
            payment_date=body.enrolled_on,
            situation=body.situation,
            previous_coverage_end=body.previous_coverage_end,
            continuation_event=body.continuation_event,
        )
    row = persons.enroll(
        session,
        persons.EnrollmentSpec(
            psn_no=body.psn_no,
            year=body.year,
            enrolled_on=body.enrolled_on,
            tier=body.tier,
            insuplc_admdvs=region,
            coverage_begin=begin,
            coverage_end=end,
            situation=body.situation,
            coverage_rule=rule,
        ),
    )
    audit.record(
        session,
        actor,
        "enroll",
        "enrollment",
        f"{body.psn_no}/{body.year}",
        after=persons.enrollment_document(row),
    )
    return row


@router.post("/enrollments", status_code=201, response_model=EnrollmentOut)
def create_enrollment(
    body: EnrollmentIn,
    request: Request,
    session: Session = Depends(db),
    actor: Actor = Depends(clerk),
) -> dict[str, Any]:
    """参保登记. Coverage begins and ends as the eligibility engine dates it (waiting periods)."""
    with session.begin():
        row = enroll(session, request.app.state.library, body, actor)
        return persons.enrollment_document(row)


@router.get("/persons/{psn_no}/enrollments", response_model=list[EnrollmentOut])
def list_enrollments(
    psn_no: PsnNoPath, session: Session = Depends(db), actor: Actor = Depends(any_role)
) -> list[dict[str, Any]]:
    with session.begin():
        rows = persons.enrollments_of(session, psn_no)
        return [present(persons.enrollment_document(r), actor) for r in rows]


@router.post("/payments", status_code=201)
def create_payment(
    body: PaymentIn, session: Session = Depends(db), actor: Actor = Depends(clerk)
) -> dict[str, Any]:
    """个人缴费 and 资助参保 subsidy received for a person-year (yuan)."""
    with session.begin():
        row = persons.record_payment(
            session,
            body.psn_no,
            body.year,
            yuan_to_fen(body.personal_paid, "personal_paid"),
            yuan_to_fen(body.assistance_subsidy, "assistance_subsidy"),
            body.paid_on,
            body.channel,
        )
        doc = {
            "id": row.id,
            "psn_no": row.psn_no,
            "year": row.year,
            "personal_paid": body.personal_paid,
            "assistance_subsidy": body.assistance_subsidy,
            "paid_on": row.paid_on.isoformat(),
            "channel": row.channel,
        }
        audit.record(session, actor, "pay", "payment", str(row.id), after=doc)
        return doc
