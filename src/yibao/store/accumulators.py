"""Per person-year accumulators: read, lock, and convert to and from the engine's Accumulators.

The row is the unit of serialisation for a person's settlements. ``lock`` creates it if missing
(INSERT … ON CONFLICT DO NOTHING, so two first settlements cannot both create it) and then
locks it: SELECT … FOR UPDATE on PostgreSQL; on SQLite the transaction already holds the
database write lock (BEGIN IMMEDIATE, see db.py) and FOR UPDATE is not emitted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from yibao.store.models import Accumulator

FIELDS = (
    "pool_paid",
    "deductible_used",
    "critical_eligible",
    "critical_paid",
    "assistance_eligible",
    "assistance_paid",
)


def empty_row_values(psn_no: str, year: int) -> dict[str, Any]:
    return {
        "psn_no": psn_no,
        "year": year,
        "pool_paid": {},
        "deductible_used": {},
        "critical_eligible": 0,
        "critical_paid": 0,
        "assistance_eligible": 0,
        "assistance_paid": 0,
        "settlements": 0,
        "updated_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
    }


def read(session: Session, psn_no: str, year: int) -> Accumulator | None:
    return session.get(Accumulator, (psn_no, year))


def lock(session: Session, psn_no: str, year: int) -> Accumulator:
    """The person-year's accumulator row, created if missing and locked until commit."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(Accumulator)
        .values(**empty_row_values(psn_no, year))
        .on_conflict_do_nothing(index_elements=["psn_no", "year"])
    )
    row = session.scalar(
        select(Accumulator)
        .where(Accumulator.psn_no == psn_no, Accumulator.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None  # inserted above or by a concurrent transaction that committed
    return row


def as_dict(source: Any) -> dict[str, Any]:
    """Accumulator values (fen) from a row or an engine Accumulators: plain dicts and ints."""
    out: dict[str, Any] = {}
    for name in FIELDS:
        value = getattr(source, name)
        out[name] = (
            {str(k): int(v) for k, v in value.items()} if isinstance(value, Mapping) else int(value)
        )
    return out


def to_engine(row: Accumulator | None, cls: type[Any]) -> Any:
    """The engine's Accumulators (``cls``) for a stored row; empty when there is none."""
    if row is None:
        return cls.empty()
    values = as_dict(row)
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in values.items() if k in names})


def store(row: Accumulator, acc: Any, settlements_delta: int) -> None:
    """Write the engine's new totals into the locked row (new dict objects, so the ORM sees
    the JSON columns change)."""
    for name, value in as_dict(acc).items():
        setattr(row, name, value)
    row.settlements = row.settlements + settlements_delta
    row.updated_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
