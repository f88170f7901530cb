"""Per person-year accumulators: read, lock, and convert to and from the engine's Accumulators.

The row is the unit of serialisation for a person's settlements. ``lock`` creates it if missing
(INSERT … ON CONFLICT DO NOTHING, so two first settlements cannot both create it) and then
locks it: SELECT … FOR UPDATE on PostgreSQL; on SQLite the transaction already holds the
database write lock (BEGIN IMMEDIATE, see db.py) and FOR UPDATE is not emitted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, bindparam, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from yibao.engine.running_totals import NAMES, empty_values
from yibao.store.models import Accumulator, utc_now

FIELDS = NAMES  # the store keeps every running total of running_totals.RunningTotals


def empty_row_values(psn_no: str, year: int) -> dict[str, Any]:
    return {
        "psn_no": psn_no,
        "year": year,
        **empty_values(),
        "settlements": 0,
        "updated_at": utc_now(),
    }


def read(session: Session, psn_no: str, year: int) -> Accumulator | None:
    return session.get(Accumulator, (psn_no, year))


def as_dict(source: Any) -> dict[str, Any]:
    """Accumulator values (fen) from a row or an engine Accumulators: plain dicts and ints."""
    out: dict[str, Any] = {}
    for name in FIELDS:
        value = getattr(source, name)
        # int first: the cheap test (Mapping's isinstance goes through the ABC machinery).
        out[name] = (
            int(value) if isinstance(value, int) else {str(k): int(v) for k, v in value.items()}
        )
    return out


def to_engine(row: Accumulator | None, cls: type[Any]) -> Any:
    """The engine's Accumulators (``cls``) for a stored row; empty when there is none."""
    if row is None:
        return cls.empty()
    values = as_dict(row)
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in values.items() if k in names})


# ---------------------------------------------------------------- locking and writing back
# Core statements on the connection (built once, so each call only binds values): settlement
# and reversal read the rows of their person-years as plain values and write them back with
# UPDATE, no ORM objects.
TABLE = Accumulator.__table__
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


_SELECT_MANY_LOCKED = (
    select(TABLE.c.psn_no, TABLE.c.year, *(TABLE.c[name] for name in FIELDS))
    .where(tuple_(TABLE.c.psn_no, TABLE.c.year).in_(bindparam("keys", expanding=True)))
    .order_by(TABLE.c.psn_no, TABLE.c.year)
    .with_for_update()
)


def lock_many(
    conn: Connection, keys: set[tuple[str, int]]
) -> dict[tuple[str, int], dict[str, Any]]:
    """The rows of these person-years, created where missing (INSERT … ON CONFLICT DO NOTHING,
    so two first settlements cannot both create one), locked until commit, as plain values
    (fen) by (psn_no, year). PostgreSQL locks with FOR UPDATE in key order (ORDER BY under the
    lock), so two transactions locking overlapping sets wait for each other instead of
    deadlocking; SQLite's transaction already holds the write lock (BEGIN IMMEDIATE)."""
    if not keys:
        return {}
    found = _locked(conn, sorted(keys))
    missing = sorted(keys - found.keys())
    if missing:
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        conn.execute(
            insert(Accumulator)
            .values([empty_row_values(psn_no, year) for psn_no, year in missing])
            .on_conflict_do_nothing(index_elements=["psn_no", "year"])
        )
        found.update(_locked(conn, missing))
    assert found.keys() == keys  # inserted above or by a concurrent transaction that committed
    return found


def _locked(conn: Connection, keys: list[tuple[str, int]]) -> dict[tuple[str, int], dict[str, Any]]:
    rows = conn.execute(_SELECT_MANY_LOCKED, {"keys": keys}).mappings()
    return {(r["psn_no"], r["year"]): as_dict(_Values(r)) for r in rows}


class _Values:
    """Attribute access to a row mapping, for ``as_dict``."""

    def __init__(self, row: Mapping[str, Any]) -> None:
        self._row = row

    def __getattr__(self, name: str) -> Any:
        return self._row[name]


def update_params(
    psn_no: str, year: int, values: dict[str, Any], settlements_delta: int
) -> dict[str, Any]:
    """The parameters of ``UPDATE`` (new totals as plain values, fen)."""
    return {
        **values,
        "key_psn_no": psn_no,
        "key_year": year,
        "delta": settlements_delta,
        "updated_at": utc_now(),
    }


def expire_loaded(session: Session, psn_no: str, year: int) -> None:
    """An ORM copy of the row in this session, if any, is re-read after a Core UPDATE."""
    loaded = session.identity_map.get(identity_key(Accumulator, (psn_no, year)))
    if loaded is not None:
        session.expire(loaded)
