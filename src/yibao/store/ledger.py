"""Real-time settlement against the store: the engine's settle_claim with the person-year's
accumulators read from (and written back to) the database in one transaction.

Settling is ``settle_batch`` (several claims in one transaction, each with its own result);
``settle`` here is the batch of one, in the caller's transaction. Guarantees (per claim):
idempotent by setl_id, serialised per person-year by the accumulator row lock, all or nothing.
Preview, query and reversal live here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from yibao.claims import CLAIM_SCHEMA
from yibao.engine import settlement as engine
from yibao.engine.register import Entitlement, entitlement_of
from yibao.policy import PolicyLibrary
from yibao.store import accumulators, aggregates, audit, persons
from yibao.store.audit import Actor
from yibao.store.errors import Inconsistent, Invalid, NotFound
from yibao.store.filings import active_filings, offsite_from_register
from yibao.store.models import Claim, Settlement, utc_now
from yibao.store.models import Settlement as SettlementRow
from yibao.store.settle_batch import (
    SETLINFO_FEN,
    Outcome,
    SettleRequest,
    completed,
    digest,
    document_of,
    enrollment_record,
    jsonable_row,
    person_facts,
    policy_year,
    settle_batch,
    stay_deductibles,
    stored_document,
)

__all__ = ["SETLINFO_FEN", "Outcome", "digest", "jsonable_row", "policy_year"]


def complete_claim(
    session: Session, library: PolicyLibrary, row: dict[str, Any]
) -> tuple[dict[str, Any], Entitlement]:
    """The claim as the engine sees it, from the register (settle_batch.completed)."""
    person = person_facts(session.connection(), [row]).get(row["psn_no"])
    return completed(row, person, library)


def _stored(session: Session, setl_id: str) -> SettlementRow | None:
    return session.scalar(
        select(SettlementRow)
        .where(SettlementRow.setl_id == setl_id)
        .options(selectinload(SettlementRow.details))
    )


def preview(session: Session, library: PolicyLibrary, row: dict[str, Any]) -> dict[str, Any]:
    """预结算: what settle would pay now, from the register's facts, written nowhere."""
    claim, entitled = complete_claim(session, library, row)
    if row.get("mdtrt_id"):  # 中途结算: what the stay's earlier parts paid of its deductible
        paid = stay_deductibles(session.connection(), [row])
        claim["dedc_paid_in_stay"] = paid.get(str(row["mdtrt_id"]), 0)
    year = policy_year(claim)
    policy = library.resolve(claim["insuplc_admdvs"], year)
    filed = active_filings(session.connection(), [claim["psn_no"]]).get(claim["psn_no"], [])
    offsite_from_register(row, claim, filed, policy.benefits.student_local_places.value)
    acc_row = accumulators.read(session, claim["psn_no"], year)
    acc = accumulators.to_engine(acc_row, engine.Accumulators)
    result, _ = engine.settle_claim(claim, policy, acc)
    document = stored_document(result.to_json(), row, claim, entitled)
    return {**document, "setl_id": claim["setl_id"], "status": "preview"}


def settle(session: Session, library: PolicyLibrary, row: dict[str, Any], actor: Actor) -> Outcome:
    """Settle one claim inside the caller's transaction; its own error is raised."""
    (result,) = settle_batch(session.connection(), library, [SettleRequest(row, actor)])
    if isinstance(result, Exception):
        raise result
    # An ORM copy of the accumulator row in this session is re-read after the Core UPDATE.
    accumulators.expire_loaded(session, row["psn_no"], policy_year(row))
    return result


def settlement_document(stored: SettlementRow) -> dict[str, Any]:
    """The engine's document as first returned, with the store's status fields."""
    return document_of(stored)


def whole_document(
    session: Session, library: PolicyLibrary, stored: SettlementRow
) -> dict[str, Any]:
    """The settlement's whole document (setlinfo, setldetail, explanation, entitlement).

    A real-time settlement stored it when it was made. One loaded in bulk stored its amounts,
    its claim and the person-year's totals before it: it is recomputed here by the engine from
    exactly those, and the recomputation must pay what was paid, to the fen (else
    Inconsistent: the store no longer holds what it paid)."""
    if not stored.document.get("loaded_in_bulk"):
        return document_of(stored)
    claim_row = session.get(Claim, stored.setl_id)
    enrollment = persons.enrollment_for(session, stored.psn_no, stored.year)
    if claim_row is None or enrollment is None:
        raise Inconsistent(f"setl_id: {stored.setl_id} has no stored claim or enrollment")
    claim = claim_from_json(claim_row.row)
    policy = library.resolve(stored.insuplc_admdvs, stored.year)
    result, _ = engine.settle_claim(claim, policy, engine.Accumulators(**stored.acc_before))
    paid = {name: int(getattr(stored, name)) for name in SETLINFO_FEN}
    again = {name: int(result.setlinfo.get(name, 0) or 0) for name in SETLINFO_FEN}
    if again != paid:
        changed = [name for name in SETLINFO_FEN if again[name] != paid[name]]
        raise Inconsistent(
            f"setl_id: {stored.setl_id}: recomputed {changed[0]} {again[changed[0]]} fen, "
            f"stored {paid[changed[0]]} fen"
        )
    entitled = entitlement_of(claim, enrollment_record(enrollment))
    row = {"setl_id": stored.setl_id, "mdtrt_id": stored.mdtrt_id}
    document = stored_document(result.to_json(), row, claim, entitled)
    return {**document_of(stored), **document, "recomputed": True}


def claim_from_json(row: dict[str, Any]) -> dict[str, Any]:
    """A stored claim (JSON: dates as ISO text) as the engine's CLAIM_SCHEMA row."""
    claim = {name: row.get(name) for name in CLAIM_SCHEMA.names}
    if isinstance(claim["setl_time"], str):
        claim["setl_time"] = dt.datetime.fromisoformat(claim["setl_time"])
    for name in ("begndate", "enddate", "coverage_begin", "coverage_end"):
        if isinstance(claim[name], str):
            claim[name] = dt.date.fromisoformat(claim[name])
    return claim


def get_settlement(session: Session, setl_id: str) -> SettlementRow:
    stored = _stored(session, setl_id)
    if stored is None:
        raise NotFound(f"setl_id: no settlement {setl_id}")
    return stored


def find_settlements(
    session: Session,
    *,
    psn_no: str | None = None,
    year: int | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Settlement]:
    stmt = select(SettlementRow).order_by(SettlementRow.setl_time, SettlementRow.setl_id)
    if psn_no:
        stmt = stmt.where(SettlementRow.psn_no == psn_no)
    if year:
        stmt = stmt.where(SettlementRow.year == year)
    if status:
        stmt = stmt.where(SettlementRow.status == status)
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def recent_settlements(session: Session, limit: int = 30) -> list[Settlement]:
    """The ``limit`` settlements entered last (created_at, then setl_id, descending), in SQL."""
    stmt = select(SettlementRow).order_by(
        SettlementRow.created_at.desc(), SettlementRow.setl_id.desc()
    )
    return list(session.scalars(stmt.limit(limit)))


REASON_MAX = 200


def reverse(session: Session, setl_id: str, actor: Actor, reason: str) -> Outcome:
    """结算撤销: mark the settlement reversed, give back what it consumed under the same
    person-year lock as settle, and take it out of the stored aggregates. The 撤销原因 is
    required (Invalid naming ``reason``), stored on the settlement and in the audit row. Reversing twice returns the stored result, with the
    first reason (idempotent)."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("reason: 请填写撤销原因")
    if len(reason) > REASON_MAX or any(ord(c) < 32 or ord(c) == 127 for c in reason):
        raise Invalid(f"reason: 撤销原因须为不超过{REASON_MAX}字的可打印文字")
    stored = get_settlement(session, setl_id)
    if stored.status == "reversed":
        return Outcome(settlement_document(stored), replayed=True)
    key = (stored.psn_no, stored.year)
    conn = session.connection()
    before = accumulators.lock_many(conn, {key})[key]
    session.refresh(stored)  # a concurrent reversal may have committed while we waited
    if stored.status == "reversed":
        return Outcome(settlement_document(stored), replayed=True)
    original = engine.Settlement(
        setlinfo={"setl_id": setl_id},
        setldetail=[],
        explanation=[],
        consumed=engine.Accumulators(**stored.consumed),
        policy={},
    )
    after = accumulators.as_dict(engine.reverse_settlement(original, engine.Accumulators(**before)))
    conn.execute(accumulators.UPDATE, accumulators.update_params(*key, after, -1))
    accumulators.expire_loaded(session, *key)
    # The stored aggregates lose what the settlement added, in this transaction.
    aggregates.reverse(conn, stored)
    stored.status = "reversed"
    stored.reversed_by = actor.name
    stored.reversed_at = utc_now()
    stored.reversal_reason = reason
    audit.record(
        session,
        actor,
        "reverse",
        "settlement",
        setl_id,
        before={"status": "settled", "accumulators": before},
        after={"status": "reversed", "reason": reason, "accumulators": after},
    )
    session.flush()
    return Outcome(settlement_document(stored), replayed=False)
