"""一站式结算: 预结算 (preview, no writes), 结算 (idempotent on setl_id), 撤销 (reverse), query."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session

from yibao.api.auth import any_role, clerk, present, reviewer
from yibao.api.deps import db
from yibao.api.responses import FastJSONResponse
from yibao.api.schemas import CODE_RE, PreviewIn, ReverseIn, SetlIdPath, SettleIn
from yibao.store import ledger
from yibao.store.audit import Actor

router = APIRouter(prefix="/api/settlements", tags=["settlements"])
REVERSE_EXAMPLES = {"撤销": {"value": {"reason": "医院重复上传，撤销后重新结算"}}}


@router.post("", status_code=201, response_model=dict[str, Any], name="settle")
async def settle_endpoint(
    body: SettleIn, request: Request, actor: Actor = Depends(clerk)
) -> Response:
    """结算. 201 with the settlement; a retry of the same setl_id returns the stored result
    with 200 and header ``Idempotent-Replay: true``; the same setl_id with other content is
    409. Claim, settlement, setldetail, accumulators and audit row commit together or not at
    all (with the other claims of the same group commit, each with its own result)."""
    outcome = await request.app.state.settle_queue.settle(body.to_row(), actor)
    return _response(outcome)


def _response(outcome: ledger.Outcome) -> Response:
    # The document is plain JSON already (the engine's to_json): rendered once, by orjson,
    # rather than walked again by the response-model encoder.
    if outcome.replayed:
        return FastJSONResponse(outcome.document, 200, {"Idempotent-Replay": "true"})
    return FastJSONResponse(outcome.document, 201)


@router.post("/preview")
def preview(
    body: PreviewIn,
    request: Request,
    session: Session = Depends(db),
    actor: Actor = Depends(clerk),
) -> dict[str, Any]:
    """预结算: what settling now would pay, with the explanation; nothing is written."""
    try:
        return ledger.preview(session, request.app.state.library, body.to_row())
    finally:
        session.rollback()


@router.post("/{setl_id}/reverse")
def reverse(
    setl_id: SetlIdPath,
    body: Annotated[ReverseIn | None, Body(openapi_examples=REVERSE_EXAMPLES)] = None,
    session: Session = Depends(db),
    actor: Actor = Depends(reviewer),
) -> dict[str, Any]:
    """结算撤销 (审核), body ``{"reason": "…"}`` (撤销原因, required): marks the settlement
    reversed with the reason and gives back exactly what it consumed from the person-year's
    accumulators. Reversing again returns the same result, with the first reason. Without a
    body the 422 names ``reason`` as well (the body is the reason)."""
    if body is None:
        missing = {"loc": ("body", "reason"), "msg": "Field required", "type": "missing"}
        raise RequestValidationError([missing])
    with session.begin():
        return ledger.reverse(session, setl_id, actor, body.reason).document


@router.get("/{setl_id}")
def get_settlement(
    setl_id: SetlIdPath,
    request: Request,
    session: Session = Depends(db),
    actor: Actor = Depends(any_role),
) -> dict[str, Any]:
    """The whole settlement: setlinfo (with mdtrt_id and setl_time), setldetail, the
    clause-by-clause explanation and the entitlement, also for history loaded in bulk."""
    with session.begin():
        stored = ledger.get_settlement(session, setl_id)
        return present(ledger.whole_document(session, request.app.state.library, stored), actor)


@router.get("")
def find_settlements(
    psn_no: str | None = Query(None, pattern=CODE_RE),
    year: int | None = Query(None, ge=2000, le=2100),
    status: str | None = Query(None, pattern="^(settled|reversed)$"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
    request: Request = None,  # type: ignore[assignment]
    session: Session = Depends(db),
    actor: Actor = Depends(any_role),
) -> list[dict[str, Any]]:
    with session.begin():
        rows = ledger.find_settlements(
            session, psn_no=psn_no, year=year, status=status, limit=limit, offset=offset
        )
        library = request.app.state.library
        return [present(ledger.whole_document(session, library, r), actor) for r in rows]
