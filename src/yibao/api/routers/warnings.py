"""防止因病返贫预警 (issue 16): scan a region-year's stored settlements into warning records,
list them (paged, filtered), read one with its history, and take the workflow steps
核实 → 推送 (民政 / 乡村振兴) → 处置, or 排除 with a reason. Everything goes through
yibao.services.reviews; 审核 and 管理 act, every role reads (只读 masked)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import StringConstraints
from sqlalchemy.orm import Session

from yibao.api.auth import any_role, auditor, present
from yibao.api.deps import db
from yibao.api.schemas import Admdvs, Strict, Year
from yibao.money import fen_to_json
from yibao.services import reviews as service
from yibao.store.audit import Actor
from yibao.store.reviews import Filter

router = APIRouter(prefix="/api/warnings", tags=["warnings"])

Note = Annotated[str, StringConstraints(max_length=service.NOTE_MAX, pattern=r"^[^\x00-\x08]*$")]
Required = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=service.NOTE_MAX, pattern=r"^[^\x00-\x08]*\S[^\x00-\x08]*$"
    ),
]
RecordId = Annotated[int, Path(ge=1, le=2**31 - 1)]
MONEY = ("amount", "threshold", "medfee_sumamt", "fund_pay_sumamt")


class ScanIn(Strict):
    region: Admdvs
    year: Year
    as_of: dt.date | None = None  # the day follow-up status is judged on


class NoteIn(Strict):
    note: Note = ""


class RequiredNoteIn(Strict):
    note: Required


class PushIn(Strict):
    targets: list[Literal["民政", "乡村振兴"]]
    note: Note = ""


class ExcludeIn(Strict):
    reason: Required


def yuan_fields(document: dict[str, Any], money: tuple[str, ...]) -> dict[str, Any]:
    """Fen → yuan (two decimals) at the edge, also in the history's amounts."""
    out: dict[str, Any] = {
        k: (fen_to_json(v) if k in money and v is not None else v) for k, v in document.items()
    }
    if "history" in out:
        out["history"] = [
            {**h, "amount": None if h["amount"] is None else fen_to_json(h["amount"])}
            for h in out["history"]
        ]
    return out


def acting(call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except service.Forbidden as exc:
        raise HTTPException(403, str(exc)) from None


@router.post("/scan")
def scan(
    body: ScanIn,
    request: Request,
    session: Session = Depends(db),
    actor: Actor = Depends(auditor),
) -> dict[str, int]:
    """Judge the region-year's stored settlements against the warning lines and store the
    result: new warnings added (待核实), open ones updated, closed ones left. Idempotent."""
    with session.begin():
        return acting(  # type: ignore[no-any-return]
            service.scan_warnings,
            session,
            request.app.state.library,
            body.region,
            body.year,
            actor,
            body.as_of,
        )


@router.get("")
def list_warnings(
    region: Admdvs = Query(...),
    year: int = Query(..., ge=2000, le=2100),
    status: Literal["", "待核实", "已核实", "已推送", "已处置", "已排除"] = Query(""),
    township: str = Query("", max_length=100),
    page: int = Query(1, ge=1, le=1_000_000),
    per_page: int = Query(50, ge=1, le=500),
    session: Session = Depends(db),
    actor: Actor = Depends(any_role),
) -> dict[str, Any]:
    """One page of the region-year's warnings (largest 个人自付 first) with the total."""
    f = Filter(region, year, status=status, township=township)
    with session.begin():
        found = service.listing(session, "warning", f, page, per_page)
    return {
        "total": found.total,
        "page": found.page_no,
        "pages": found.pages,
        "per_page": found.per_page,
        "items": [present(yuan_fields(r, MONEY), actor) for r in found.rows],
    }


@router.get("/{warning_id}")
def get_warning(
    warning_id: RecordId, session: Session = Depends(db), actor: Actor = Depends(any_role)
) -> dict[str, Any]:
    """The warning with its steps (who, when in UTC, note), oldest first."""
    with session.begin():
        shown: dict[str, Any] = present(
            yuan_fields(service.record(session, "warning", warning_id), MONEY), actor
        )
    return shown


def _after(session: Session, warning_id: int) -> dict[str, Any]:
    return yuan_fields(service.record(session, "warning", warning_id), MONEY)


@router.post("/{warning_id}/verify")
def verify(
    body: RequiredNoteIn,
    warning_id: RecordId,
    session: Session = Depends(db),
    actor: Actor = Depends(auditor),
) -> dict[str, Any]:
    """核实 (待核实 → 已核实), with what was found."""
    with session.begin():
        acting(service.verify, session, warning_id, actor, body.note)
        return _after(session, warning_id)


@router.post("/{warning_id}/push")
def push(
    body: PushIn,
    warning_id: RecordId,
    session: Session = Depends(db),
    actor: Actor = Depends(auditor),
) -> dict[str, Any]:
    """推送 to 民政 and/or 乡村振兴 (已核实 → 已推送)."""
    with session.begin():
        acting(service.push, session, warning_id, actor, list(body.targets), body.note)
        return _after(session, warning_id)


@router.post("/{warning_id}/dispose")
def dispose(
    body: RequiredNoteIn,
    warning_id: RecordId,
    session: Session = Depends(db),
    actor: Actor = Depends(auditor),
) -> dict[str, Any]:
    """处置 (已推送 → 已处置), with what was done."""
    with session.begin():
        acting(service.dispose, session, warning_id, actor, body.note)
        return _after(session, warning_id)


@router.post("/{warning_id}/exclude")
def exclude(
    body: ExcludeIn,
    warning_id: RecordId,
    session: Session = Depends(db),
    actor: Actor = Depends(auditor),
) -> dict[str, Any]:
    """排除 (待核实 or 已核实 → 已排除), with the reason."""
    with session.begin():
        acting(service.exclude, session, warning_id, actor, body.reason)
        return _after(session, warning_id)
