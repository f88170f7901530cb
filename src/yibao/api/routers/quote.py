"""缴费测算: the contribution engine's quote (资助参保, 就高不就低, fiscal shares)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from yibao.api.auth import any_role
from yibao.api.deps import db
from yibao.api.schemas import QuoteIn
from yibao.services import persons as people
from yibao.store.audit import Actor

router = APIRouter(prefix="/api", tags=["quote"])


@router.post("/quote")
def quote(
    body: QuoteIn,
    request: Request,
    session: Session = Depends(db),
    actor: Actor = Depends(any_role),
) -> dict[str, Any]:
    """Personal contribution due for a region, year, tier and categories; with ``psn_no`` the
    person's categories valid on 1 January of the year (and the person's 持居住证 flag unless
    ``resident_permit`` is sent) are used; ``supplement_product`` quotes the 渝快保 subsidy."""
    with session.begin():
        return people.quote_for(
            session,
            request.app.state.library,
            region=body.region,
            year=body.year,
            tier=body.tier,
            categories=body.categories,
            psn_no=body.psn_no,
            supplement_product=body.supplement_product,
            resident_permit=body.resident_permit,
        )
