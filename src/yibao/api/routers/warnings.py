"""防止因病返贫预警: scan a region-year's settlements, list, approve (审核)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy.orm import Session

from yibao.api.auth import any_role, present, reviewer
from yibao.api.deps import db
from yibao.api.schemas import Admdvs, Strict, Year
from yibao.money import fen_to_json
from yibao.store import warnings
from yibao.store.audit import Actor
from yibao.store.models import Warning

router = APIRouter(prefix="/api/warnings", tags=["warnings"])


class ScanIn(Strict):
    region: Admdvs
    year: Year
    as_of: dt.date | None = None  # the day categories and follow-up are judged on


def _doc(w: Warning) -> dict[str, Any]:
    d = warnings.warning_document(w)
    return {**d, "amount": fen_to_json(w.amount), "threshold": fen_to_json(w.threshold)}


@router.post("/scan")
def scan(
    body: ScanIn,
    request: Request,
    session: Session = Depends(db),
    actor: Actor = Depends(reviewer),
) -> list[dict[str, Any]]:
    """Judge the region-year's stored settlements against the warning lines; returns the new
    warnings (yearly out-of-pocket ≥ 2 × the monitoring standard, or the general threshold)."""
    policy = request.app.state.library.resolve(body.region, body.year)
    as_of = body.as_of or dt.date(body.year, 12, 31)
    with session.begin():
        return [_doc(w) for w in warnings.scan(session, policy, as_of, actor)]


@router.get("")
def list_warnings(
    year: int | None = Query(None, ge=2000, le=2100),
    status: str | None = Query(None, pattern="^(open|approved)$"),
    session: Session = Depends(db),
    actor: Actor = Depends(any_role),
) -> list[dict[str, Any]]:
    with session.begin():
        return [present(_doc(w), actor) for w in warnings.find(session, year=year, status=status)]


@router.post("/{warning_id}/approve")
def approve(
    warning_id: int = Path(..., ge=1, le=2**31 - 1),
    session: Session = Depends(db),
    actor: Actor = Depends(reviewer),
) -> dict[str, Any]:
    """审核 confirms the warning (pushed on to the rural-revitalisation department)."""
    with session.begin():
        return _doc(warnings.approve(session, warning_id, actor))
