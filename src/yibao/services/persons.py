"""参保人员: register a person (with the audit row) and the contribution quote for a person."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from yibao.engine.contribution import quote
from yibao.policy import PolicyLibrary
from yibao.store import audit, persons
from yibao.store.audit import Actor


def register_person(
    session: Session, spec: persons.PersonSpec, actor: Actor, action: str = "create"
) -> dict[str, Any]:
    """Create the person (and household) and audit it, in the caller's transaction."""
    person = persons.create_person(session, spec)
    doc = persons.person_document(person)
    audit.record(session, actor, action, "person", person.psn_no, after=doc)
    return doc


def quote_for(
    session: Session,
    library: PolicyLibrary,
    *,
    region: str,
    year: int,
    tier: int,
    categories: Sequence[str] = (),
    psn_no: str | None = None,
    supplement_product: str | None = None,
    resident_permit: bool | None = None,
) -> dict[str, Any]:
    """缴费测算: the contribution engine's quote; with ``psn_no`` and no categories given, the
    person's categories valid on 1 January of the year, and without ``resident_permit`` the
    person's 持居住证 flag (no person: not a holder). ``supplement_product``: the 渝快保 product."""
    names = list(categories)
    permit = bool(resident_permit)
    if psn_no:
        person = persons.get_person(session, psn_no)
        if not names:
            names = persons.categories_on(person, dt.date(year, 1, 1))
        if resident_permit is None:
            permit = person.resident_permit
    policy = library.resolve(region, year)
    result: dict[str, Any] = quote(
        policy,
        names,
        str(tier),
        resident_permit=permit,
        supplement_product=supplement_product,
    ).to_json()
    return result
