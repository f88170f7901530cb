"""The gateway's records (store.gateway_models): messages, encounters, fee lines, settlements.

Plain reads and writes in the caller's transaction; the rules are in services.gateway.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.store.gateway_models import (
    GatewayEncounter,
    GatewayFeeLine,
    GatewayMessage,
    GatewaySettlement,
)
from yibao.store.models import utc_now

__all__ = [
    "GatewayEncounter",
    "GatewayFeeLine",
    "GatewayMessage",
    "GatewaySettlement",
    "encounter",
    "encounters_of",
    "lines",
    "message",
    "save_message",
    "settlement",
    "settlements_between",
    "settlements_of",
]


def message(session: Session, msgid: str) -> GatewayMessage | None:
    return session.get(GatewayMessage, msgid)


def save_message(
    session: Session,
    *,
    msgid: str,
    infno: str,
    fixmedins_code: str,
    digest: str,
    request: dict[str, Any],
    reply: dict[str, Any],
    opter: str,
    actor: str,
) -> None:
    session.add(
        GatewayMessage(
            msgid=msgid,
            infno=infno,
            fixmedins_code=fixmedins_code,
            digest=digest,
            request=request,
            reply=reply,
            opter=opter,
            actor=actor,
            created_at=utc_now(),
        )
    )
    session.flush()


def encounter(session: Session, mdtrt_id: str) -> GatewayEncounter | None:
    return session.get(GatewayEncounter, mdtrt_id)


def encounters_of(
    session: Session,
    psn_no: str,
    begin: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> list[GatewayEncounter]:
    stmt = select(GatewayEncounter).where(GatewayEncounter.psn_no == psn_no)
    if begin is not None:
        stmt = stmt.where(GatewayEncounter.begntime >= begin)
    if end is not None:
        stmt = stmt.where(GatewayEncounter.begntime <= end)
    return list(session.scalars(stmt.order_by(GatewayEncounter.begntime)))


def lines(
    session: Session,
    mdtrt_id: str,
    statuses: Sequence[str] = ("uploaded",),
    chrg_bchno: str | None = None,
) -> list[GatewayFeeLine]:
    stmt = select(GatewayFeeLine).where(
        GatewayFeeLine.mdtrt_id == mdtrt_id, GatewayFeeLine.status.in_(statuses)
    )
    if chrg_bchno:
        stmt = stmt.where(GatewayFeeLine.chrg_bchno == chrg_bchno)
    return list(session.scalars(stmt.order_by(GatewayFeeLine.id)))


def settlement(session: Session, setl_id: str) -> GatewaySettlement | None:
    return session.get(GatewaySettlement, setl_id)


def settlements_of(session: Session, mdtrt_id: str) -> list[GatewaySettlement]:
    stmt = select(GatewaySettlement).where(GatewaySettlement.mdtrt_id == mdtrt_id)
    return list(session.scalars(stmt.order_by(GatewaySettlement.setl_time)))


def settlements_between(
    session: Session, fixmedins_code: str, begin: dt.date, end: dt.date
) -> list[GatewaySettlement]:
    """The institution's settlements and reversals with setl_time in [begin, end] (days)."""
    stmt = select(GatewaySettlement).where(
        GatewaySettlement.fixmedins_code == fixmedins_code,
        GatewaySettlement.setl_time >= dt.datetime.combine(begin, dt.time()),
        GatewaySettlement.setl_time < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()),
    )
    return list(session.scalars(stmt.order_by(GatewaySettlement.setl_time)))
