"""Early warnings (防止因病返贫) kept in the store: the monitoring engine judges a region-year's
stored settlements; the store keeps one open warning per person-year, and 审核 approves it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.engine.warning import early_warnings
from yibao.policy.model import Policy
from yibao.store import audit
from yibao.store.audit import Actor
from yibao.store.errors import Conflict, NotFound
from yibao.store.ledger import SETLINFO_FEN
from yibao.store.models import Person, Settlement, Warning
from yibao.store.persons import categories_on

KIND = "因病返贫致贫预警"


def scan(session: Session, policy: Policy, as_of: dt.date, actor: Actor) -> list[Warning]:
    """Run the warning engine over the region-year's settled claims; new warnings are stored
    (a person-year already warned is not warned twice)."""
    year, region = policy.meta.year, policy.meta.code
    rows = session.execute(
        select(Settlement).where(
            Settlement.year == year,
            Settlement.insuplc_admdvs == region,
            Settlement.status == "settled",
        )
    ).scalars()
    data = [
        {"setl_id": s.setl_id, "psn_no": s.psn_no, **{k: getattr(s, k) for k in SETLINFO_FEN}}
        for s in rows
    ]
    if not data:
        return []
    settlements = pl.DataFrame(
        data,
        schema={"setl_id": pl.String, "psn_no": pl.String, **{k: pl.Int64 for k in SETLINFO_FEN}},
    )
    ids = sorted(set(settlements["psn_no"].to_list()))
    people = session.scalars(select(Person).where(Person.psn_no.in_(ids))).all()
    persons = pl.DataFrame(
        {
            "psn_no": [p.psn_no for p in people],
            "township": [p.insuplc_admdvs for p in people],
            "categories": ["|".join(categories_on(p, as_of)) for p in people],
        },
        schema={"psn_no": pl.String, "township": pl.String, "categories": pl.String},
    )
    flagged = early_warnings(settlements, persons, policy, as_of)
    existing = set(
        session.scalars(select(Warning.psn_no).where(Warning.year == year, Warning.kind == KIND))
    )
    created = []
    for row in flagged.iter_rows(named=True):
        if row["psn_no"] in existing:
            continue
        warning = Warning(
            psn_no=row["psn_no"],
            year=year,
            kind=KIND,
            amount=int(row["psn_part_amt"]),
            threshold=int(row["threshold"]),
            detail={
                "basis": row["basis"],
                "claim_count": int(row["claim_count"]),
                "top_claims": list(row["top_claims"]),
                "standard_multiple_bp": int(row["standard_multiple_bp"]),
            },
            status="open",
        )
        session.add(warning)
        created.append(warning)
    session.flush()
    for w in created:
        audit.record(session, actor, "warn", "warning", str(w.id), after=warning_document(w))
    return created


def warning_document(w: Warning) -> dict[str, Any]:
    return {
        "id": w.id,
        "psn_no": w.psn_no,
        "year": w.year,
        "kind": w.kind,
        "amount": w.amount,
        "threshold": w.threshold,
        "detail": w.detail,
        "status": w.status,
        "handled_by": w.handled_by,
    }


def find(session: Session, *, year: int | None = None, status: str | None = None) -> list[Warning]:
    stmt = select(Warning).order_by(Warning.id)
    if year:
        stmt = stmt.where(Warning.year == year)
    if status:
        stmt = stmt.where(Warning.status == status)
    return list(session.scalars(stmt))


def approve(session: Session, warning_id: int, actor: Actor) -> Warning:
    w = session.get(Warning, warning_id, with_for_update=True)
    if w is None:
        raise NotFound(f"id: no warning {warning_id}")
    if w.status != "open":
        raise Conflict(f"status: warning {warning_id} is already {w.status}")
    before = warning_document(w)
    w.status = "approved"
    w.handled_by = actor.name
    audit.record(session, actor, "approve", "warning", str(w.id), before, warning_document(w))
    return w
