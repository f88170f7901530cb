"""Real-time settlement of several claims in one transaction (group commit).

A settlement's cost in a store is mostly round trips and commits, not arithmetic (the engine
takes ~0.1-0.3 ms per claim). Settling the claims that arrived together in one transaction
makes those costs per batch instead of per claim; the guarantees stay per claim:

- all or nothing: a batch commits entirely or not at all, and nobody is answered before the
  commit; a claim that fails its own checks (unknown person, wrong ID number, a claim the
  engine rejects, a setl_id reused with other content) gets its own error and is not written,
  without failing the others;
- serialised per person-year: the accumulator rows of every person-year in the batch are
  locked before they are read (PostgreSQL: SELECT … FOR UPDATE in key order, so two batches
  never wait on each other in a cycle; SQLite: the transaction holds the write lock from
  BEGIN IMMEDIATE). Claims of one person-year in the batch are settled in arrival order on the
  running totals, exactly as if they came one after another;
- idempotent by setl_id: a setl_id already stored, or settled earlier in the same batch, is a
  replay (same content) or a Conflict (other content); the replay check runs after the locks,
  so on PostgreSQL a concurrent retry that committed while we waited is seen.

``run`` adds the transaction, retries (a concurrent first settlement of the same setl_id, a
deadlock or serialisation failure) and isolation: a batch that fails as a whole is settled
again claim by claim, so one claim cannot take the others down with it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from yibao.engine import settlement as engine
from yibao.engine.register import (
    CategoryRecord,
    EnrollmentRecord,
    Entitlement,
    FollowUp,
    RegisterRecord,
    complete_claim,
    coverage_year,
    followup_in,
)
from yibao.policy import PolicyLibrary
from yibao.store import accumulators, aggregates, audit, pg_bulk
from yibao.store.audit import Actor
from yibao.store.errors import Conflict, Invalid, NotFound
from yibao.store.filings import active_filings, offsite_from_register
from yibao.store.models import (
    AuditEntry,
    Claim,
    Enrollment,
    Household,
    Person,
    PersonCategory,
    SetlDetail,
    utc_now,
)
from yibao.store.models import Settlement as SettlementRow

log = logging.getLogger("yibao.store.settle")

# Tries of one transaction before a batch is split into single claims (and of a single claim
# before its error is returned).
ATTEMPTS = 3

# The setlinfo amounts are the engine's list (one definition).
SETLINFO_FEN = engine.SETLINFO_AMOUNTS


@dataclass(frozen=True)
class SettleRequest:
    """One claim to settle (``SettleIn.to_row()``) and who asked."""

    row: dict[str, Any]
    actor: Actor


@dataclass(frozen=True)
class Outcome:
    """What the API returns: the stored settlement document, and whether it was a replay."""

    document: dict[str, Any]
    replayed: bool


Result = Outcome | Exception


def policy_year(row: dict[str, Any]) -> int:
    # The coverage year of the claim: the policy of the enrolled 参保地 at setl_time.
    return coverage_year(row)


def jsonable_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, _DATES) else v for k, v in row.items()}


_DATES = (dt.date, dt.datetime)


def digest(row: dict[str, Any]) -> str:
    """The claim's content fingerprint, stored with it: a retry must carry the same content."""
    text = json.dumps(jsonable_row(row), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------ the person, as of the claim
# The register (以登记为准): the person with the claim years' enrollments and all categories, in
# one query: one row per enrollment × category (a handful), categories in order of begin date.
_PERSONS = (
    select(
        Person.psn_no,
        Person.certno,
        Enrollment.year,
        Enrollment.insuplc_admdvs,
        Enrollment.tier,
        Enrollment.enrolled_on,
        Enrollment.coverage_begin,
        Enrollment.coverage_end,
        Enrollment.coverage_rule,
        PersonCategory.id.label("category_id"),
        PersonCategory.category,
        PersonCategory.begin_date,
        PersonCategory.end_date,
        Household.addr,
    )
    .select_from(Person)
    .outerjoin(Household, Household.hh_id == Person.hh_id)
    .outerjoin(
        Enrollment,
        (Enrollment.psn_no == Person.psn_no)
        & Enrollment.year.in_(bindparam("years", expanding=True))
        & (Enrollment.status == "enrolled"),
    )
    .outerjoin(PersonCategory, PersonCategory.psn_no == Person.psn_no)
    .where(Person.psn_no.in_(bindparam("psn_nos", expanding=True)))
    .order_by(PersonCategory.begin_date, PersonCategory.id)
)


def person_facts(conn: Connection, rows: Sequence[dict[str, Any]]) -> dict[str, RegisterRecord]:
    """What the register holds of the persons of ``rows`` (one query whatever their number)."""
    return register_and_townships(conn, rows)[0]


def register_and_townships(
    conn: Connection, rows: Sequence[dict[str, Any]]
) -> tuple[dict[str, RegisterRecord], dict[str, str]]:
    """``person_facts`` and each person's household 乡镇 (the aggregates' township), from the
    same query."""
    params = {
        "psn_nos": sorted({r["psn_no"] for r in rows}),
        "years": sorted({policy_year(r) for r in rows}),
    }
    facts: dict[str, RegisterRecord] = {}
    towns: dict[str, str] = {}
    seen: set[int] = set()
    for r in conn.execute(_PERSONS, params):
        person = facts.setdefault(r.psn_no, RegisterRecord(r.psn_no, r.certno))
        towns[r.psn_no] = aggregates.township_of(r.addr)
        if r.year is not None:
            person.enrollments[r.year] = enrollment_record(r)
        if r.category_id is not None and r.category_id not in seen:
            seen.add(r.category_id)
            person.categories.append(CategoryRecord(r.category, r.begin_date, r.end_date))
    return facts, towns


def enrollment_record(row: Any) -> EnrollmentRecord:
    """An enrollment (a stored row or anything with its attributes) as the register rule's."""
    return EnrollmentRecord(
        year=row.year,
        insuplc_admdvs=row.insuplc_admdvs,
        tier=int(row.tier),
        enrolled_on=row.enrolled_on,
        coverage_begin=row.coverage_begin,
        coverage_end=row.coverage_end,
        coverage_rule=row.coverage_rule or "",
    )


def completed(
    row: dict[str, Any], person: RegisterRecord | None, library: PolicyLibrary
) -> tuple[dict[str, Any], Entitlement]:
    """The claim as the engine sees it, from the register (engine.register.complete_claim):
    the person must exist; 参保地, tier, coverage and categories are the register's."""
    if person is None:
        raise NotFound(f"psn_no: no person {row['psn_no']}")
    if person.certno != row["certno"]:
        raise Invalid("certno: 与登记的身份证号不符")
    engine_row = {k: v for k, v in row.items() if k not in REQUEST_ONLY}
    regions = library.regions

    def region_label(code: str) -> str:
        return regions.get(code).name if code in regions else ""

    def followup(code: str, day: dt.date) -> FollowUp | None:
        return followup_in(library, code, day)

    return complete_claim(engine_row, person, region_label, followup)


# Request fields that are not claim columns: kept with the settlement, not given to the engine.
REQUEST_ONLY = ("mdtrt_id", "mdtrtarea_admvs")  # 就诊ID; 就医地 (the register's 备案 decides)


def stored_document(
    document: dict[str, Any], row: dict[str, Any], claim: dict[str, Any], entitled: Entitlement
) -> dict[str, Any]:
    """The engine's document with what the store adds: mdtrt_id and setl_time in setlinfo (the
    platform returns both) and the entitlement (待遇享受 and why not)."""
    setlinfo = dict(document["setlinfo"])
    setlinfo["mdtrt_id"] = row.get("mdtrt_id") or row["setl_id"]
    setlinfo["setl_time"] = claim["setl_time"].isoformat(sep=" ")
    return {**document, "setlinfo": setlinfo, "entitlement": entitled.to_json()}


# ------------------------------------------------------------------------------- replays
_STORED = (
    select(
        SettlementRow.setl_id,
        SettlementRow.psn_no,
        SettlementRow.document,
        SettlementRow.status,
        SettlementRow.reversed_by,
        SettlementRow.reversed_at,
        SettlementRow.reversal_reason,
        Claim.digest,
    )
    .select_from(SettlementRow)
    .outerjoin(Claim, Claim.setl_id == SettlementRow.setl_id)
    .where(SettlementRow.setl_id.in_(bindparam("setl_ids", expanding=True)))
)


def stay_deductibles(conn: Connection, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """中途结算: per mdtrt_id of these claims, the deductible (act_pay_dedc, fen) its stay's
    settlements that still stand have paid — a per-admission deductible is paid once a stay,
    whatever number of parts it is settled in (the engine's dedc_paid_in_stay)."""
    ids = sorted({str(r["mdtrt_id"]) for r in rows if r.get("mdtrt_id")})
    if not ids:
        return {}
    table = SettlementRow.__table__
    query = (
        select(table.c.mdtrt_id, func.sum(table.c.act_pay_dedc))
        .where(table.c.mdtrt_id.in_(ids), table.c.status == "settled")
        .group_by(table.c.mdtrt_id)
    )
    return {str(m): int(paid or 0) for m, paid in conn.execute(query)}


def stored_settlements(conn: Connection, setl_ids: Sequence[str]) -> dict[str, Any]:
    """Settlements already stored under these setl_ids, with their claims' digests."""
    return {r.setl_id: r for r in conn.execute(_STORED, {"setl_ids": sorted(set(setl_ids))})}


def document_of(stored: Any) -> dict[str, Any]:
    """The engine's document as first returned, with the store's status fields (a stored row
    or anything with its attributes)."""
    return {
        **stored.document,
        "setl_id": stored.setl_id,
        "psn_no": stored.psn_no,
        "status": stored.status,
        "reversed_by": stored.reversed_by,
        "reversed_at": stored.reversed_at.isoformat() if stored.reversed_at else None,
        "reversal_reason": stored.reversal_reason,
    }


# ------------------------------------------------------------------------------- the batch
_CLAIMS = Claim.__table__
_SETTLEMENTS = SettlementRow.__table__
_DETAILS = SetlDetail.__table__
_AUDIT = AuditEntry.__table__


@dataclass
class _Writes:
    """Rows to insert, and the person-years' new totals, of the claims settled so far."""

    claims: list[dict[str, Any]] = field(default_factory=list)
    settlements: list[dict[str, Any]] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    settled: dict[tuple[str, int], int] = field(default_factory=dict)
    aggregates: aggregates.Delta = field(default_factory=aggregates.Delta)

    def flush(self, conn: Connection, totals: dict[tuple[str, int], dict[str, Any]]) -> None:
        """Write the batch: claims before settlements before setldetail (foreign keys), the
        audit rows, the person-years' new totals, then what the batch adds to the stored
        aggregates (store.aggregates), all in the caller's transaction."""
        tables = ((_CLAIMS, self.claims), (_SETTLEMENTS, self.settlements))
        tables += ((_DETAILS, self.details), (_AUDIT, self.audit))
        if conn.dialect.name == "postgresql":
            # One statement per table whatever the batch's size (arrays, pg_bulk), sent in one
            # psycopg pipeline: one round trip; an error still fails the transaction.
            with conn.connection.driver_connection.pipeline():  # type: ignore[union-attr]
                for table, rows in tables:
                    pg_bulk.insert_rows(conn, table, rows)
                pg_bulk.update_rows(
                    conn, accumulators.TABLE, ("psn_no", "year"), "settlements",
                    [
                        {"psn_no": psn_no, "year": year, **totals[(psn_no, year)],
                         "updated_at": utc_now(), "settlements": count}
                        for (psn_no, year), count in sorted(self.settled.items())
                    ],
                )  # fmt: skip
                aggregates.apply(conn, self.aggregates)
            return
        for table, rows in tables:
            if rows:
                conn.execute(table.insert(), rows)
        if self.settled:
            conn.execute(
                accumulators.UPDATE,
                [
                    accumulators.update_params(psn_no, year, totals[(psn_no, year)], count)
                    for (psn_no, year), count in sorted(self.settled.items())
                ],
            )
        aggregates.apply(conn, self.aggregates)


def settle_batch(
    conn: Connection, library: PolicyLibrary, requests: Sequence[SettleRequest]
) -> list[Result]:
    """Settle ``requests`` inside the caller's transaction: one Outcome or exception per
    request, in order (see the module docstring). Exceptions other than a claim's own
    (a database error, a bug) propagate and the caller's transaction must roll back."""
    rows = [r.row for r in requests]
    persons, towns = register_and_townships(conn, rows)
    keys = {(r["psn_no"], policy_year(r)) for r in rows if r["psn_no"] in persons}
    totals = accumulators.lock_many(conn, keys)
    stored = stored_settlements(conn, [r["setl_id"] for r in rows])
    stays = stay_deductibles(conn, rows)
    offsite = [r["psn_no"] for r in rows if r.get("mdtrtarea_admvs") or r.get("offsite_kind")]
    filed = active_filings(conn, offsite)
    now = utc_now()
    writes = _Writes()
    in_batch: dict[str, tuple[str, Outcome]] = {}
    results: list[Result] = []
    for request in requests:
        try:
            results.append(
                _settle_one(
                    request,
                    library,
                    persons,
                    towns,
                    totals,
                    stored,
                    in_batch,
                    writes,
                    now,
                    stays,
                    filed,
                )
            )
        except (NotFound, ValueError) as exc:  # the claim's own error (Invalid, Conflict …)
            results.append(exc)
    writes.flush(conn, totals)
    return results


def _settle_one(
    request: SettleRequest,
    library: PolicyLibrary,
    persons: dict[str, RegisterRecord],
    towns: dict[str, str],
    totals: dict[tuple[str, int], dict[str, Any]],
    stored: dict[str, Any],
    in_batch: dict[str, tuple[str, Outcome]],
    writes: _Writes,
    now: dt.datetime,
    stays: dict[str, int] | None = None,
    filed: dict[str, list[Any]] | None = None,
) -> Outcome:
    row = request.row
    setl_id = row["setl_id"]
    claim_digest = digest(row)
    earlier = stored.get(setl_id)
    if earlier is not None:
        if earlier.digest is not None and earlier.digest != claim_digest:
            raise Conflict(f"setl_id: {setl_id} was already settled with different claim content")
        return Outcome(document_of(earlier), replayed=True)
    if setl_id in in_batch:
        first_digest, first = in_batch[setl_id]
        if first_digest != claim_digest:
            raise Conflict(f"setl_id: {setl_id} was already settled with different claim content")
        return Outcome(first.document, replayed=True)
    claim, entitled = completed(row, persons.get(row["psn_no"]), library)
    stay = row.get("mdtrt_id")
    if stays is not None and stay:  # the store, not the sender, says what the stay has paid
        claim["dedc_paid_in_stay"] = stays.get(stay, 0)
    year = policy_year(claim)
    key = (claim["psn_no"], year)
    policy = library.resolve(claim["insuplc_admdvs"], year)
    if filed is not None:  # 异地就医: the register's 备案 decides offsite_kind
        offsite_from_register(
            row,
            claim,
            filed.get(claim["psn_no"], []),
            policy.benefits.student_local_places.value,
        )
    before = totals[key]
    result, new_acc = engine.settle_claim(claim, policy, engine.Accumulators(**before))
    if stays is not None and stay:  # a later part of the same stay in this batch sees it
        stays[stay] = stays.get(stay, 0) + int(result.setlinfo["act_pay_dedc"])
    after = accumulators.as_dict(new_acc)
    document = stored_document(result.to_json(), row, claim, entitled)
    claim_json = jsonable_row(claim)
    setlinfo = result.setlinfo
    amounts = {name: int(setlinfo.get(name, 0) or 0) for name in SETLINFO_FEN}
    actor = request.actor
    writes.claims.append(
        {
            "setl_id": setl_id,
            "psn_no": key[0],
            "year": year,
            "digest": claim_digest,
            "row": claim_json,
            "created_at": now,
        }
    )
    writes.settlements.append(
        {
            "setl_id": setl_id,
            "mdtrt_id": document["setlinfo"]["mdtrt_id"],
            "psn_no": key[0],
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
    )
    writes.details.extend(
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
    )
    # audit.record's row, written directly: personal fields masked (个人信息保护).
    writes.audit.append(
        {
            "at": now,
            "actor": actor.name,
            "role": actor.role,
            "action": "settle",
            "entity": "settlement",
            "entity_id": setl_id,
            "before": audit.masked({"accumulators": before}),
            "after": audit.masked({"claim": claim_json, "setlinfo": amounts}),
        }
    )
    writes.aggregates.add(
        setl_id=setl_id,
        psn_no=key[0],
        year=year,
        insuplc_admdvs=claim["insuplc_admdvs"],
        township=towns.get(key[0], ""),
        claim=claim,
        setl_time=claim["setl_time"],
        amounts=amounts,
        critical_eligible=result.consumed.critical_eligible,
    )
    totals[key] = after
    writes.settled[key] = writes.settled.get(key, 0) + 1
    outcome = Outcome(
        {
            **document,
            "setl_id": setl_id,
            "psn_no": key[0],
            "status": "settled",
            "reversed_by": None,
            "reversed_at": None,
            "reversal_reason": None,
        },
        replayed=False,
    )
    in_batch[setl_id] = (claim_digest, outcome)
    return outcome


# ------------------------------------------------------------- transactions, retries, isolation
def run(engine: Engine, library: PolicyLibrary, requests: Sequence[SettleRequest]) -> list[Result]:
    """Settle ``requests`` in one transaction of their own; if that transaction fails as a
    whole (after retries), settle them one by one so each gets its own result."""
    if not requests:
        return []
    try:
        return _in_transaction(engine, library, requests)
    except Exception as exc:
        if len(requests) == 1:
            return [exc]
        log.warning("batch of %d failed (%s); settling one by one", len(requests), exc)
    return [_one_by_one(engine, library, r) for r in requests]


def _one_by_one(engine: Engine, library: PolicyLibrary, request: SettleRequest) -> Result:
    try:
        return _in_transaction(engine, library, [request])[0]
    except Exception as exc:
        return exc


def _in_transaction(
    engine: Engine, library: PolicyLibrary, requests: Sequence[SettleRequest]
) -> list[Result]:
    # A Core connection, not an ORM session: nothing here needs one, and the session's own
    # bookkeeping per transaction is a measurable part of a small batch.
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with engine.begin() as conn:
                return settle_batch(conn, library, requests)
        except Exception as exc:
            if attempt == ATTEMPTS or not retryable(exc):
                raise
            log.info("settle batch of %d: retry %d after %s", len(requests), attempt, exc)
    raise AssertionError("unreachable")


def retryable(exc: Exception) -> bool:
    """A concurrent first settlement of the same setl_id (unique key), or a PostgreSQL
    deadlock or serialisation failure: trying again finds the stored result or settles
    afresh. The driver's own error counts too: one raised at the end of a psycopg pipeline
    reaches us unwrapped."""
    if isinstance(exc, IntegrityError):
        return True
    code = getattr(getattr(exc, "orig", exc), "sqlstate", None)
    # unique_violation, serialization_failure, deadlock_detected
    return code in ("23505", "40001", "40P01")
