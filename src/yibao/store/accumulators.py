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

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

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


# ---------------------------------------------------------------- the real-time write path
# The same lock and the same row as ``lock``/``store``, in Core statements on the session's
# connection (built once, so each settlement only binds values): a settlement reads the row as
# plain values and writes it back with one UPDATE, without ORM objects.
TABLE = Accumulator.__table__
_SELECT_LOCKED = (
    select(TABLE)
    .where(TABLE.c.psn_no == bindparam("psn_no"), TABLE.c.year == bindparam("year"))
    .with_for_update()
)
UPDATE = (
    update(TABLE)
    .where(TABLE.c.psn_no == bindparam("key_psn_no"), TABLE.c.year == bindparam("key_year"))
    .values(
        {
            **{name: bindparam(name) for name in FIELDS},
            "settlements": TABLE.c.settlements + bindparam("delta"),
            "updated_at": bindparam("updated_at"),
        }
    )
)


def lock_values(session: Session, psn_no: str, year: int) -> dict[str, Any]:
    """``lock`` as plain values (fen): the row is locked until commit (FOR UPDATE on
    PostgreSQL; SQLite's transaction holds the write lock). It is created if missing, with
    INSERT … ON CONFLICT DO NOTHING so two first settlements cannot both create it; a row that
    exists costs one statement."""
    conn = session.connection()
    key = {"psn_no": psn_no, "year": year}
    row = conn.execute(_SELECT_LOCKED, key).mappings().first()
    if row is None:
        _create(conn, psn_no, year)
        row = conn.execute(_SELECT_LOCKED, key).mappings().first()
    assert row is not None  # inserted above or by a concurrent transaction that committed
    return as_dict(_Values(row))


def _create(conn: Connection, psn_no: str, year: int) -> None:
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(
        insert(Accumulator)
        .values(**empty_row_values(psn_no, year))
        .on_conflict_do_nothing(index_elements=["psn_no", "year"])
    )


class _Values:
    """Attribute access to a row mapping, for ``as_dict``."""

    def __init__(self, row: Mapping[str, Any]) -> None:
        self._row = row

    def __getattr__(self, name: str) -> Any:
        return self._row[name]


def store_values(
    session: Session, psn_no: str, year: int, acc: Any, settlements_delta: int
) -> dict[str, Any]:
    """``store`` for a row locked by ``lock_values``: one UPDATE; returns the values written.
    An ORM copy of the row in this session, if any, is expired so that it is re-read."""
    values = as_dict(acc)
    session.connection().execute(UPDATE, update_params(psn_no, year, values, settlements_delta))
    expire_loaded(session, psn_no, year)
    return values


def update_params(
    psn_no: str, year: int, values: dict[str, Any], settlements_delta: int
) -> dict[str, Any]:
    """The parameters of ``UPDATE`` (new totals as plain values, fen)."""
    return {
        **values,
        "key_psn_no": psn_no,
        "key_year": year,
        "delta": settlements_delta,
        "updated_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
    }


def expire_loaded(session: Session, psn_no: str, year: int) -> None:
    """An ORM copy of the row in this session, if any, is re-read after a Core UPDATE."""
    loaded = session.identity_map.get(identity_key(Accumulator, (psn_no, year)))
    if loaded is not None:
        session.expire(loaded)
