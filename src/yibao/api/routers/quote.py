"""缴费测算: the contribution engine's quote (资助参保, 就高不就低, fiscal shares)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from yibao.api.app import db
from yibao.api.auth import any_role
from yibao.api.schemas import QuoteIn
from yibao.engine.contribution import quote as contribution_quote
from yibao.store import persons
from yibao.store.audit import Actor

router = APIRouter(prefix="/api", tags=["quote"])


@router.post("/quote")
def quote(
    body: QuoteIn,
    request: Request,
    session: Session = Depends(db),
    actor: Actor = Depends(any_role),
) -> dict[str, Any]:
    """Personal contribution due for a region, year, tier and categories; with ``psn_no`` the
    person's categories valid on 1 January of the year are used."""
    categories = list(body.categories)
    if body.psn_no:
        with session.begin():
            person = persons.get_person(session, body.psn_no)
            categories = categories or persons.categories_on(person, dt.date(body.year, 1, 1))
    policy = request.app.state.library.resolve(body.region, body.year)
    result: dict[str, Any] = contribution_quote(policy, categories, body.tier).to_json()
    return result
