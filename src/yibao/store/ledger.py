"""Real-time settlement against the store: the engine's settle_claim with the person-year's
accumulators read from (and written back to) the database in one transaction.

Guarantees:
- idempotent by setl_id: a retry returns the stored result and settles nothing; a retry with
  other content is a Conflict;
- serialised per person-year: the accumulator row is locked before it is read (accumulators.lock),
  so two settlements cannot both spend the same remaining cap;
- all or nothing: claim, settlement, setldetail, accumulators and audit row are written in the
  caller's single transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from yibao.engine import settlement as engine
from yibao.policy import PolicyLibrary
from yibao.store import accumulators, audit
from yibao.store.audit import Actor
from yibao.store.errors import Conflict, Invalid, NotFound
from yibao.store.models import Claim, SetlDetail, Settlement
from yibao.store.models import Settlement as SettlementRow
from yibao.store.persons import categories_on, enrollment_for, get_person

SETLINFO_FEN = (
    "medfee_sumamt",
    "fulamt_ownpay_amt",
    "overlmt_selfpay",
    "preselfpay_amt",
    "inscp_scp_amt",
    "act_pay_dedc",
    "hifp_pay",
    "hifmi_pay",
    "maf_pay",
    "oth_pay",
    "fund_pay_sumamt",
    "psn_part_amt",
    "psn_cash_pay",
    "balc",
)


@dataclass(frozen=True)
class Outcome:
    """What the API returns: the stored settlement document, and whether it was a replay."""

    document: dict[str, Any]
    replayed: bool


def jsonable_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date | dt.datetime) else v for k, v in row.items()}


def digest(row: dict[str, Any]) -> str:
    text = json.dumps(jsonable_row(row), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def policy_year(row: dict[str, Any]) -> int:
    # DESIGN: the policy applied is the one of insuplc_admdvs at setl_time.
    setl_time: dt.datetime = row["setl_time"]
    return setl_time.year


def complete_claim(session: Session, row: dict[str, Any]) -> dict[str, Any]:
    """The claim as the engine sees it: the person must exist and match the ID number; tier and
    coverage come from the person's enrollment of the year when there is one; categories from
    the body, else the person's categories valid on the settlement day."""
    person = get_person(session, row["psn_no"])
    if person.certno != row["certno"]:
        raise Invalid("certno: does not match the person's ID number")
    out = dict(row)
    year = policy_year(row)
    enrollment = enrollment_for(session, row["psn_no"], year)
    if enrollment is not None:
        out["tier"] = enrollment.tier
        if enrollment.coverage_begin is not None:
            out["coverage_begin"] = enrollment.coverage_begin
        if enrollment.coverage_end is not None:
            out["coverage_end"] = enrollment.coverage_end
    if not out.get("categories"):
        out["categories"] = "|".join(categories_on(person, row["setl_time"].date()))
    return out


def _stored(session: Session, setl_id: str) -> SettlementRow | None:
    return session.scalar(
        select(SettlementRow)
        .where(SettlementRow.setl_id == setl_id)
        .options(selectinload(SettlementRow.details))
    )


def _replay(session: Session, setl_id: str, claim_digest: str) -> Outcome | None:
    # populate_existing: after waiting for the lock, see what a concurrent retry committed.
    stored = session.get(SettlementRow, setl_id, populate_existing=True)
    if stored is None:
        return None
    claim = session.get(Claim, setl_id)
    if claim is not None and claim.digest != claim_digest:
        raise Conflict(f"setl_id: {setl_id} was already settled with different claim content")
    return Outcome(settlement_document(stored), replayed=True)


def preview(session: Session, library: PolicyLibrary, row: dict[str, Any]) -> dict[str, Any]:
    """预结算: what settle would pay now, written nowhere."""
    claim = complete_claim(session, row)
    policy = library.resolve(claim["insuplc_admdvs"], policy_year(claim))
    acc_row = accumulators.read(session, claim["psn_no"], policy_year(claim))
    acc = accumulators.to_engine(acc_row, engine.Accumulators)
    result, _ = engine.settle_claim(claim, policy, acc)
    document: dict[str, Any] = result.to_json()
    return {**document, "setl_id": claim["setl_id"], "status": "preview"}


def settle(session: Session, library: PolicyLibrary, row: dict[str, Any], actor: Actor) -> Outcome:
    """Settle one claim inside the caller's transaction (see the module docstring)."""
    setl_id = row["setl_id"]
    claim_digest = digest(row)
    replay = _replay(session, setl_id, claim_digest)
    if replay is not None:
        return replay
    claim = complete_claim(session, row)
    year = policy_year(claim)
    policy = library.resolve(claim["insuplc_admdvs"], year)
    acc_row = accumulators.lock(session, claim["psn_no"], year)
    # A concurrent retry of the same claim may have committed while we waited for the lock.
    replay = _replay(session, setl_id, claim_digest)
    if replay is not None:
        return replay
    before = accumulators.as_dict(acc_row)
    acc = accumulators.to_engine(acc_row, engine.Accumulators)
    result, new_acc = engine.settle_claim(claim, policy, acc)
    document = result.to_json()
    setlinfo = result.setlinfo
    session.add(
        Claim(
            setl_id=setl_id,
            psn_no=claim["psn_no"],
            year=year,
            digest=claim_digest,
            row=jsonable_row(claim),
        )
    )
    stored = SettlementRow(
        setl_id=setl_id,
        psn_no=claim["psn_no"],
        year=year,
        insuplc_admdvs=claim["insuplc_admdvs"],
        setl_time=claim["setl_time"],
        pool_prop_selfpay=str(setlinfo.get("pool_prop_selfpay", "")),
        document=document,
        acc_before=before,
        acc_after=accumulators.as_dict(new_acc),
        consumed=accumulators.as_dict(result.consumed),
        status="settled",
        created_by=actor.name,
        **{name: int(setlinfo.get(name, 0) or 0) for name in SETLINFO_FEN},
    )
    stored.details = [
        SetlDetail(
            fund_pay_type=str(d["fund_pay_type"]),
            fund_payamt=int(d.get("fund_payamt", 0)),
            inscp_scp_amt=int(d.get("inscp_scp_amt", 0) or 0),
            crt_payb_lmt_amt=None
            if d.get("crt_payb_lmt_amt") is None
            else int(d["crt_payb_lmt_amt"]),
            setl_proc_info=str(d.get("setl_proc_info", "")),
        )
        for d in result.setldetail
    ]
    session.add(stored)
    accumulators.store(acc_row, new_acc, +1)
    audit.record(
        session,
        actor,
        "settle",
        "settlement",
        setl_id,
        before={"accumulators": before},
        after={"claim": jsonable_row(claim), "setlinfo": _setlinfo_fen(stored)},
    )
    session.flush()
    return Outcome(settlement_document(stored), replayed=False)


def _setlinfo_fen(stored: SettlementRow) -> dict[str, Any]:
    return {name: getattr(stored, name) for name in SETLINFO_FEN}


def settlement_document(stored: SettlementRow) -> dict[str, Any]:
    """The engine's document as first returned, with the store's status fields."""
    return {
        **stored.document,
        "setl_id": stored.setl_id,
        "psn_no": stored.psn_no,
        "status": stored.status,
        "reversed_by": stored.reversed_by,
        "reversed_at": stored.reversed_at.isoformat() if stored.reversed_at else None,
    }


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


def reverse(session: Session, setl_id: str, actor: Actor) -> Outcome:
    """结算撤销: mark the settlement reversed and give back what it consumed, under the same
    person-year lock as settle. Reversing twice returns the stored result (idempotent)."""
    stored = get_settlement(session, setl_id)
    if stored.status == "reversed":
        return Outcome(settlement_document(stored), replayed=True)
    acc_row = accumulators.lock(session, stored.psn_no, stored.year)
    session.refresh(stored)  # a concurrent reversal may have committed while we waited
    if stored.status == "reversed":
        return Outcome(settlement_document(stored), replayed=True)
    before = accumulators.as_dict(acc_row)
    consumed = engine.Accumulators(**stored.consumed)
    original = engine.Settlement(
        setlinfo={"setl_id": setl_id},
        setldetail=[],
        explanation=[],
        consumed=consumed,
        policy={},
    )
    new_acc = engine.reverse_settlement(
        original, accumulators.to_engine(acc_row, engine.Accumulators)
    )
    accumulators.store(acc_row, new_acc, -1)
    stored.status = "reversed"
    stored.reversed_by = actor.name
    stored.reversed_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    audit.record(
        session,
        actor,
        "reverse",
        "settlement",
        setl_id,
        before={"status": "settled", "accumulators": before},
        after={"status": "reversed", "accumulators": accumulators.as_dict(acc_row)},
    )
    session.flush()
    return Outcome(settlement_document(stored), replayed=False)
