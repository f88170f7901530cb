"""个人年度累计: the running totals of a person-year (yuan)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from yibao.api.auth import any_role
from yibao.api.deps import db
from yibao.api.schemas import PsnNoPath, YearPath
from yibao.engine.settlement import Accumulators
from yibao.store import accumulators, persons
from yibao.store.audit import Actor

router = APIRouter(prefix="/api/persons", tags=["accumulators"])


@router.get("/{psn_no}/accumulators/{year}")
def get_accumulators(
    psn_no: PsnNoPath,
    year: YearPath,
    session: Session = Depends(db),
    actor: Actor = Depends(any_role),
) -> dict[str, Any]:
    """What the basic fund (per cap group), 大病保险 and 医疗救助 have paid this year, the
    deductibles met and the eligible running totals; zeros before the first settlement."""
    with session.begin():
        persons.get_person(session, psn_no)
        row = accumulators.read(session, psn_no, year)
        acc = accumulators.to_engine(row, Accumulators)
        return {
            "psn_no": psn_no,
            "year": year,
            "settlements": row.settlements if row is not None else 0,
            **acc.to_json(),
        }
