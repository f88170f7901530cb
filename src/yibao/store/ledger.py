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

from sqlalchemy import and_, bindparam, select, text
from sqlalchemy.orm import Session, selectinload

from yibao.engine import settlement as engine
from yibao.policy import PolicyLibrary
from yibao.store import accumulators, audit
from yibao.store.audit import Actor
from yibao.store.errors import Conflict, Invalid, NotFound
from yibao.store.models import (
    AuditEntry,
    Claim,
    Enrollment,
    Person,
    PersonCategory,
    SetlDetail,
    Settlement,
)
from yibao.store.models import Settlement as SettlementRow

# The setlinfo amounts are the engine's list (one definition).
SETLINFO_FEN = engine.SETLINFO_AMOUNTS


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
    the body, else the person's categories valid on the settlement day.

    One query: the person, joined to the year's enrollment (unique per person-year) and to the
    person's categories (one row each, in order of begin date)."""
    return _completed(row, _person_rows(session, row))


def _person_rows(session: Session, row: dict[str, Any]) -> list[Any]:
    params = {"psn_no": row["psn_no"], "year": policy_year(row)}
    return list(session.connection().execute(_PERSON, params).all())


def _completed(row: dict[str, Any], found: list[Any]) -> dict[str, Any]:
    """complete_claim on the person's rows already read."""
    psn_no = row["psn_no"]
    if not found:
        raise NotFound(f"psn_no: no person {psn_no}")
    first = found[0]
    if first.certno != row["certno"]:
        raise Invalid("certno: does not match the person's ID number")
    out = dict(row)
    if first.enrolled:
        out["tier"] = first.tier
        if first.coverage_begin is not None:
            out["coverage_begin"] = first.coverage_begin
        if first.coverage_end is not None:
            out["coverage_end"] = first.coverage_end
    if not out.get("categories"):
        day = row["setl_time"].date()
        valid = [
            r.category
            for r in found
            if r.category is not None
            and r.begin_date <= day
            and (r.end_date is None or day <= r.end_date)
        ]
        out["categories"] = "|".join(dict.fromkeys(valid))  # persons.categories_on
    return out


_PERSON = (
    select(
        Person.certno,
        Enrollment.id.is_not(None).label("enrolled"),
        Enrollment.tier,
        Enrollment.coverage_begin,
        Enrollment.coverage_end,
        PersonCategory.category,
        PersonCategory.begin_date,
        PersonCategory.end_date,
    )
    .select_from(Person)
    .outerjoin(
        Enrollment, and_(Enrollment.psn_no == Person.psn_no, Enrollment.year == bindparam("year"))
    )
    .outerjoin(PersonCategory, PersonCategory.psn_no == Person.psn_no)
    .where(Person.psn_no == bindparam("psn_no"))
    .order_by(PersonCategory.begin_date, PersonCategory.id)
)
# A settlement already stored under this setl_id, with its claim's digest.
_EXISTING = (
    select(SettlementRow.setl_id, Claim.digest)
    .select_from(SettlementRow)
    .outerjoin(Claim, Claim.setl_id == SettlementRow.setl_id)
    .where(SettlementRow.setl_id == bindparam("setl_id"))
)
_CLAIMS = Claim.__table__
_SETTLEMENTS = SettlementRow.__table__
_DETAILS = SetlDetail.__table__
_AUDIT = AuditEntry.__table__


# ------------------------------------------------ PostgreSQL: the five writes in one statement
# Claim, settlement, setldetail rows, audit row and the accumulator UPDATE as data-modifying
# CTEs of one statement: one round trip instead of five. PostgreSQL runs every CTE to
# completion, checks the foreign keys (settlement → claim, setldetail → settlement) at the end
# of the statement, and a failing one (e.g. a concurrent first settlement of the same setl_id)
# fails the whole statement as IntegrityError, as the separate statements did. Built once per
# number of setldetail rows; each settlement only binds values.
_ONE_STATEMENT: dict[int, Any] = {}


def _q(name: str) -> str:
    return '"' + name + '"'


def _insert_cte(
    table: Any, cte: str, names: list[str], prefixes: list[str]
) -> tuple[str, list[Any]]:
    """``cte AS (INSERT INTO table (names) VALUES (:p_name, …), …)`` and its typed binds."""
    rows = ", ".join("(" + ", ".join(f":{p}{n}" for n in names) + ")" for p in prefixes)
    sql = f"{cte} AS (INSERT INTO {_q(table.name)} ({', '.join(map(_q, names))}) VALUES {rows})"
    binds = [bindparam(f"{p}{n}", type_=table.c[n].type) for p in prefixes for n in names]
    return sql, binds


def _one_statement(
    claim: dict[str, Any], settlement: dict[str, Any], audit: dict[str, Any], details: list[Any]
) -> Any:
    # The columns written are the keys of settle's value dicts, fixed by the code: the
    # statement's shape varies only with the number of setldetail rows. A text() statement
    # with typed binds (JSON columns serialised as before): SQLAlchemy caches its compiled
    # form, which it does not do for an UPDATE carrying INSERT CTEs.
    stmt = _ONE_STATEMENT.get(len(details))
    if stmt is None:
        parts = [
            _insert_cte(_CLAIMS, "w_claim", list(claim), ["c_"]),
            _insert_cte(_SETTLEMENTS, "w_settlement", list(settlement), ["s_"]),
            _insert_cte(_AUDIT, "w_audit", list(audit), ["a_"]),
        ]
        if details:
            prefixes = [f"d{i}_" for i in range(len(details))]
            parts.append(_insert_cte(_DETAILS, "w_detail", list(details[0]), prefixes))
        acc = accumulators.TABLE
        sets = [f"{_q(n)} = :{n}" for n in accumulators.FIELDS]
        sets += ['"settlements" = "settlements" + :delta', '"updated_at" = :updated_at']
        sql = (
            "WITH "
            + ", ".join(p[0] for p in parts)
            + f" UPDATE {_q(acc.name)} SET {', '.join(sets)}"
            + ' WHERE "psn_no" = :key_psn_no AND "year" = :key_year'
        )
        binds = [b for p in parts for b in p[1]]
        binds += [bindparam(n, type_=acc.c[n].type) for n in accumulators.FIELDS]
        binds += [
            bindparam("delta", type_=acc.c.settlements.type),
            bindparam("updated_at", type_=acc.c.updated_at.type),
            bindparam("key_psn_no", type_=acc.c.psn_no.type),
            bindparam("key_year", type_=acc.c.year.type),
        ]
        stmt = text(sql).bindparams(*binds)
        _ONE_STATEMENT[len(details)] = stmt
    return stmt


def _write_in_one_statement(
    conn: Any,
    claim_values: dict[str, Any],
    settlement_values: dict[str, Any],
    detail_values: list[dict[str, Any]],
    audit_values: dict[str, Any],
    psn_no: str,
    year: int,
    after: dict[str, Any],
) -> None:
    params: dict[str, Any] = accumulators.update_params(psn_no, year, after, +1)
    for prefix, values in (("c_", claim_values), ("s_", settlement_values), ("a_", audit_values)):
        params.update({prefix + k: v for k, v in values.items()})
    for i, detail in enumerate(detail_values):
        params.update({f"d{i}_{k}": v for k, v in detail.items()})
    stmt = _one_statement(claim_values, settlement_values, audit_values, detail_values)
    conn.execute(stmt, params)


def _stored(session: Session, setl_id: str) -> SettlementRow | None:
    return session.scalar(
        select(SettlementRow)
        .where(SettlementRow.setl_id == setl_id)
        .options(selectinload(SettlementRow.details))
    )


def _replay(session: Session, setl_id: str, claim_digest: str) -> Outcome | None:
    existing = session.connection().execute(_EXISTING, {"setl_id": setl_id}).first()
    if existing is None:
        return None
    if existing.digest is not None and existing.digest != claim_digest:
        raise Conflict(f"setl_id: {setl_id} was already settled with different claim content")
    # populate_existing: after waiting for the lock, see what a concurrent retry committed.
    stored = session.get(SettlementRow, setl_id, populate_existing=True)
    assert stored is not None
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
    """Settle one claim inside the caller's transaction (see the module docstring).

    The write path is Core statements on the session's connection (no ORM objects): a replay
    check, the person with enrollment and categories and the accumulator row lock (on
    PostgreSQL the replay check comes after the lock), then claim, settlement, setldetail,
    accumulators and audit row (on PostgreSQL in one statement)."""
    setl_id = row["setl_id"]
    claim_digest = digest(row)
    if session.get_bind().dialect.name == "sqlite":
        # The transaction holds the database write lock since BEGIN IMMEDIATE: one replay
        # check, before anything else, sees every settlement ever committed.
        replay = _replay(session, setl_id, claim_digest)
        if replay is not None:
            return replay
        claim = complete_claim(session, row)
        before = accumulators.lock_values(session, claim["psn_no"], policy_year(claim))
    else:
        # PostgreSQL: the person-year row is locked first and the replay checked once, after
        # the lock, so a concurrent retry of the same claim that committed while we waited is
        # seen (READ COMMITTED: a statement sees what committed before it began). Only an
        # existing person's row is locked (it references persons).
        found = _person_rows(session, row)
        if found:
            before = accumulators.lock_values(session, row["psn_no"], policy_year(row))
        replay = _replay(session, setl_id, claim_digest)
        if replay is not None:
            return replay
        claim = _completed(row, found)
    year = policy_year(claim)
    policy = library.resolve(claim["insuplc_admdvs"], year)
    psn_no = claim["psn_no"]
    result, new_acc = engine.settle_claim(claim, policy, engine.Accumulators(**before))
    document = result.to_json()
    setlinfo = result.setlinfo
    claim_json = jsonable_row(claim)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    amounts = {name: int(setlinfo.get(name, 0) or 0) for name in SETLINFO_FEN}
    claim_values = {
        "setl_id": setl_id,
        "psn_no": psn_no,
        "year": year,
        "digest": claim_digest,
        "row": claim_json,
        "created_at": now,
    }
    after = accumulators.as_dict(new_acc)
    settlement_values = {
        "setl_id": setl_id,
        "psn_no": psn_no,
        "year": year,
        "insuplc_admdvs": claim["insuplc_admdvs"],
        "setl_time": claim["setl_time"],
        "pool_prop_selfpay": str(setlinfo.get("pool_prop_selfpay", "")),
        "document": document,
        "acc_before": before,
        "acc_after": after,
        "consumed": accumulators.as_dict(result.consumed),
        "status": "settled",
        "created_by": actor.name,
        "created_at": now,
        "reversed_by": None,
        "reversed_at": None,
        **amounts,
    }
    detail_values = [
        {
            "setl_id": setl_id,
            "fund_pay_type": str(d["fund_pay_type"]),
            "fund_payamt": int(d.get("fund_payamt", 0)),
            "inscp_scp_amt": int(d.get("inscp_scp_amt", 0) or 0),
            "crt_payb_lmt_amt": None
            if d.get("crt_payb_lmt_amt") is None
            else int(d["crt_payb_lmt_amt"]),
            "setl_proc_info": str(d.get("setl_proc_info", "")),
        }
        for d in result.setldetail
    ]
    # audit.record's row, written directly: personal fields masked (个人信息保护).
    audit_values = {
        "at": now,
        "actor": actor.name,
        "role": actor.role,
        "action": "settle",
        "entity": "settlement",
        "entity_id": setl_id,
        "before": audit.masked({"accumulators": before}),
        "after": audit.masked({"claim": claim_json, "setlinfo": amounts}),
    }
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        _write_in_one_statement(
            conn, claim_values, settlement_values, detail_values, audit_values, psn_no, year, after
        )
        accumulators.expire_loaded(session, psn_no, year)
    else:
        conn.execute(_CLAIMS.insert(), claim_values)
        accumulators.store_values(session, psn_no, year, new_acc, +1)
        conn.execute(_SETTLEMENTS.insert(), settlement_values)
        conn.execute(_DETAILS.insert(), detail_values)
        conn.execute(_AUDIT.insert(), audit_values)
    return Outcome(
        {
            **document,
            "setl_id": setl_id,
            "psn_no": psn_no,
            "status": "settled",
            "reversed_by": None,
            "reversed_at": None,
        },
        replayed=False,
    )


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
