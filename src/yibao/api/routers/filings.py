"""异地就医备案 (issue 17): record, list and 撤销 a person's 备案 — the register the stored
settlement paths read to decide 已备案 / 未备案 (services.filings)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import StringConstraints
from sqlalchemy.orm import Session

from yibao.api.auth import any_role, clerk
from yibao.api.deps import db
from yibao.api.schemas import PsnNoPath, Strict
from yibao.services import filings
from yibao.store.audit import Actor

router = APIRouter(prefix="/api", tags=["offsite filings"])


class FilingIn(Strict):
    kind: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    mdtrtarea_admvs: Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
    begin_date: dt.date
    end_date: dt.date | None = None
    note: Annotated[str, StringConstraints(max_length=200)] = ""


@router.post("/persons/{psn_no}/offsite-filings", status_code=201)
def record_filing(
    psn_no: PsnNoPath,
    body: FilingIn,
    request: Request,
    session: Session = Depends(db),
    actor: Actor = Depends(clerk),
) -> dict[str, Any]:
    """备案 (经办): kind (one the 参保地's policy lists: 异地长期居住人员, 常驻异地工作人员,
    异地转诊人员, 异地急诊抢救人员, 其他临时外出就医人员), 就医地 (county, city or province code
    outside the 参保地), valid from ``begin_date`` to ``end_date`` (open when absent)."""
    with session.begin():
        filing = filings.record_filing(
            session,
            request.app.state.library,
            psn_no,
            body.kind,
            body.mdtrtarea_admvs,
            body.begin_date,
            body.end_date,
            actor,
            body.note,
        )
        return filings.filing_document(filing)


@router.get("/persons/{psn_no}/offsite-filings")
def list_filings(
    psn_no: PsnNoPath, session: Session = Depends(db), actor: Actor = Depends(any_role)
) -> list[dict[str, Any]]:
    with session.begin():
        return [filings.filing_document(f) for f in filings.filings_of(session, psn_no)]


@router.post("/offsite-filings/{filing_id}/revoke")
def revoke_filing(
    filing_id: int, session: Session = Depends(db), actor: Actor = Depends(clerk)
) -> dict[str, Any]:
    """撤销 a 备案: settlements from now on no longer take it (those made stay as they are)."""
    with session.begin():
        return filings.filing_document(filings.revoke_filing(session, filing_id, actor))
