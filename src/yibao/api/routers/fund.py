"""基金历年结存 (issue 16): the stored fund years of a 统筹区 — 上年累计结存, 收入, 支出, 累计结存,
each with its source (决算 / demo / computed) and who recorded it. 审核 and 管理 record a year
(a bureau entering last year's 决算, or this year's opening balance); every role reads.
Amounts in yuan at the edge, fen inside (yibao.services.fund_history)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path
from pydantic import Field, StringConstraints
from sqlalchemy.orm import Session

from yibao.api.auth import any_role, auditor
from yibao.api.deps import db
from yibao.api.schemas import Strict
from yibao.money import fen_to_json, yuan_to_fen
from yibao.services import fund_history as service
from yibao.store.audit import Actor

router = APIRouter(prefix="/api/fund", tags=["fund"])

RegionPath = Annotated[str, Path(pattern=r"^\d{6}$")]
YearPath = Annotated[int, Path(ge=2000, le=2100)]
Note = Annotated[str, StringConstraints(max_length=service.NOTE_MAX, pattern=r"^[^\x00-\x08]*$")]
# Yuan, exact, two places at most; a balance may be negative (a fund that overspent).
Balance = Annotated[Decimal, Field(ge=-1e13, le=1e13, max_digits=15, decimal_places=2)]
Flow = Annotated[Decimal, Field(ge=0, le=1e13, max_digits=15, decimal_places=2)]


class FundYearIn(Strict):
    opening_balance: Balance | None = None  # 上年累计结存（元）
    revenue: Flow | None = None  # 基金收入（元）
    expenditure: Flow | None = None  # 基金支出（元）
    closing_balance: Balance | None = None  # 累计结存（元）
    source: Literal["final", "demo", "computed"] = "final"
    note: Note = ""


def _fen(value: Decimal | None, field: str) -> int | None:
    return None if value is None else yuan_to_fen(value, field)


@router.get("/{region}/history")
def read_history(
    region: RegionPath, session: Session = Depends(db), actor: Actor = Depends(any_role)
) -> dict[str, Any]:
    with session.begin():
        rows = service.history(session, region)
        return {"region": region, "years": [service.row_json(r) for r in rows]}


@router.get("/{region}/{year}/opening")
def read_opening(
    region: RegionPath,
    year: YearPath,
    session: Session = Depends(db),
    actor: Actor = Depends(any_role),
) -> dict[str, Any]:
    with session.begin():
        opening = service.opening_for(session, region, year)
    if opening is None:
        raise HTTPException(404, f"opening_balance: {region} {year}年无已登记的上年累计结存")
    return {
        "region": region,
        "year": year,
        "opening_balance": fen_to_json(opening.amount),
        "source": opening.source,
        "from": opening.describe(),
    }


@router.post("/{region}/{year}")
def record_year(
    region: RegionPath,
    year: YearPath,
    body: FundYearIn,
    session: Session = Depends(db),
    actor: Actor = Depends(auditor),
) -> dict[str, Any]:
    figures = {k: _fen(getattr(body, k), k) for k in service.FIGURES}
    try:
        with session.begin():
            row = service.record_year(
                session, actor, region, year, source=body.source, note=body.note, **figures
            )
            return service.row_json(row)
    except service.FundHistoryError as exc:
        raise HTTPException(422, str(exc)) from None
