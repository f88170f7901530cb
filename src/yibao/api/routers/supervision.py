"""智能监管疑点 (issue 16): scan a region-year's stored claims with the monitoring rules into
records, list them (paged; by status, township, rule, institution), read one with its
history, and take the steps 开始核查 → 申诉 (the institution's text) → 认定 (违规 with 扣款 in
yuan, kept in exact fen, or 不违规). Through yibao.services.reviews; 审核 and 管理 act."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field
from sqlalchemy.orm import Session

from yibao.api.auth import any_role, auditor, present
from yibao.api.deps import db
from yibao.api.routers.warnings import Note, RecordId, Required, acting, yuan_fields
from yibao.api.schemas import Admdvs, Strict, Year
from yibao.services import reviews as service
from yibao.store.audit import Actor
from yibao.store.reviews import Filter

router = APIRouter(prefix="/api/supervision", tags=["supervision"])
MONEY = ("vola_amt", "fund_pay_sumamt", "deduction")
Deduction = Annotated[Decimal, Field(ge=0, le=100_000_000, max_digits=11, decimal_places=2)]


class ScanIn(Strict):
    region: Admdvs
    year: Year


class NoteIn(Strict):
    note: Note = ""


class AppealIn(Strict):
    appeal: Required


class DecideIn(Strict):
    finding: Literal["违规", "不违规"]
    deduction: Deduction | None = None  # yuan; required for 违规 (may be 0), absent for 不违规
    note: Required


@router.post("/scan")
def scan(
    body: ScanIn,
    request: Request,
    session: Session = Depends(db),
    actor: Actor = Depends(auditor),
) -> dict[str, int]:
    """Run the claim-only monitoring rules over the region-year's stored settlements and store
    the hits: new ones 待核查, those still 待核查 updated, the others left. Idempotent."""
    with session.begin():
        return acting(  # type: ignore[no-any-return]
            service.scan_supervision,
            session,
            request.app.state.library,
            body.region,
            body.year,
            actor,
        )


@router.get("")
def list_hits(
    region: Admdvs = Query(...),
    year: int = Query(..., ge=2000, le=2100),
    status: Literal["", "待核查", "核查中", "申诉中", "已认定"] = Query(""),
    township: str = Query("", max_length=100),
    rule: str = Query("", max_length=20),
    institution: str = Query("", max_length=40),
    page: int = Query(1, ge=1, le=1_000_000),
    per_page: int = Query(50, ge=1, le=500),
    session: Session = Depends(db),
    actor: Actor = Depends(any_role),
) -> dict[str, Any]:
    """One page of the region-year's 疑点 (largest amount first) with the total."""
    f = Filter(region, year, status=status, township=township, rule=rule, institution=institution)
    with session.begin():
        found = service.listing(session, "supervision", f, page, per_page)
    return {
        "total": found.total,
        "page": found.page_no,
        "pages": found.pages,
        "per_page": found.per_page,
        "items": [present(yuan_fields(r, MONEY), actor) for r in found.rows],
    }


@router.get("/{hit_id}")
def get_hit(
    hit_id: RecordId, session: Session = Depends(db), actor: Actor = Depends(any_role)
) -> dict[str, Any]:
    with session.begin():
        shown: dict[str, Any] = present(
            yuan_fields(service.record(session, "supervision", hit_id), MONEY), actor
        )
    return shown


def _after(session: Session, hit_id: int) -> dict[str, Any]:
    return yuan_fields(service.record(session, "supervision", hit_id), MONEY)


@router.post("/{hit_id}/start")
def start(
    body: NoteIn, hit_id: RecordId, session: Session = Depends(db), actor: Actor = Depends(auditor)
) -> dict[str, Any]:
    """开始核查 (待核查 → 核查中)."""
    with session.begin():
        acting(service.start, session, hit_id, actor, body.note)
        return _after(session, hit_id)


@router.post("/{hit_id}/appeal")
def appeal(
    body: AppealIn,
    hit_id: RecordId,
    session: Session = Depends(db),
    actor: Actor = Depends(auditor),
) -> dict[str, Any]:
    """申诉 (核查中 → 申诉中): the institution's appeal as received."""
    with session.begin():
        acting(service.appeal, session, hit_id, actor, body.appeal)
        return _after(session, hit_id)


@router.post("/{hit_id}/decide")
def decide(
    body: DecideIn,
    hit_id: RecordId,
    session: Session = Depends(db),
    actor: Actor = Depends(auditor),
) -> dict[str, Any]:
    """认定 (核查中 or 申诉中 → 已认定): 违规 with the 扣款 (at most what the fund paid for the
    claim), or 不违规."""
    deduction = None if body.deduction is None else str(body.deduction)
    with session.begin():
        acting(service.decide, session, hit_id, actor, body.finding, deduction, body.note)
        return _after(session, hit_id)
