"""参保登记 (enrollments) with their 缴费, and payment records (补缴 / 退费 / 冲正)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from yibao.api.auth import any_role, clerk, present
from yibao.api.deps import db
from yibao.api.schemas import EnrollmentIn, EnrollmentOut, PaymentIn, PsnNoPath
from yibao.services import enrollment, payments
from yibao.store import persons
from yibao.store.audit import Actor

router = APIRouter(prefix="/api", tags=["enrollments"])


@router.post("/enrollments", status_code=201, response_model=EnrollmentOut)
def create_enrollment(
    body: EnrollmentIn,
    request: Request,
    response: Response,
    session: Session = Depends(db),
    actor: Actor = Depends(clerk),
) -> dict[str, Any]:
    """参保登记 and its 缴费 record. Coverage begins and ends as the eligibility engine dates it
    (waiting periods); the payment is the contribution engine's quote (a ``personal_paid``
    that differs is refused: register it as 补缴 / 退费 / 冲正 at /api/payments). The same
    request again returns the first enrollment with 200 and ``Idempotent-Replay: true``."""
    with session.begin():
        done = enrollment.enroll(session, request.app.state.library, body.to_request(), actor)
        if done.replayed:
            response.status_code = 200
            response.headers["Idempotent-Replay"] = "true"
        return done.to_json()


@router.get("/persons/{psn_no}/enrollments", response_model=list[EnrollmentOut])
def list_enrollments(
    psn_no: PsnNoPath, session: Session = Depends(db), actor: Actor = Depends(any_role)
) -> list[dict[str, Any]]:
    with session.begin():
        rows = persons.enrollments_of(session, psn_no)
        by_year = {p.year: p for p in payments.payments_of(session, psn_no) if p.kind == "缴费"}
        return [
            present(
                {
                    **persons.enrollment_document(r),
                    "payment": payments.payment_document(by_year[r.year])
                    if r.year in by_year
                    else None,
                },
                actor,
            )
            for r in rows
        ]


@router.post("/payments", status_code=201)
def create_payment(
    body: PaymentIn,
    request: Request,
    response: Response,
    session: Session = Depends(db),
    actor: Actor = Depends(clerk),
) -> dict[str, Any]:
    """A 缴费 record for an enrolled person-year (yuan, exact): 缴费 must be the quote; 补缴 and
    退费 state their amount and reason; 冲正 undoes the record ``refers_to`` with its reason.
    ``payment_id`` is the idempotency key: the same request again returns the first record
    (200, ``Idempotent-Replay: true``); the same id with other content is 409."""
    with session.begin():
        done = payments.record_payment(session, request.app.state.library, body.to_request(), actor)
        if done.replayed:
            response.status_code = 200
            response.headers["Idempotent-Replay"] = "true"
        return payments.payment_document(done.row)


@router.get("/persons/{psn_no}/payments")
def list_payments(
    psn_no: PsnNoPath, session: Session = Depends(db), actor: Actor = Depends(any_role)
) -> list[dict[str, Any]]:
    """Every payment record of the person, in order (signed: 退费 and 冲正 negative)."""
    with session.begin():
        persons.get_person(session, psn_no)
        return [payments.payment_document(p) for p in payments.payments_of(session, psn_no)]
