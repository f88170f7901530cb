"""Engine and session factory. SQLite file by default; PostgreSQL by URL (``--db`` or YIBAO_DB).

Serialisation of a person's settlements:
- PostgreSQL: the accumulator row is locked with SELECT … FOR UPDATE (see ``accumulators.py``).
- SQLite: every transaction starts with BEGIN IMMEDIATE, which takes the database's write lock
  up front, so two writers never interleave (and never fail late with "database is locked" on
  upgrade from a read lock). WAL mode lets readers proceed meanwhile.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///yibao.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Writers of one process queue on a lock before BEGIN IMMEDIATE: SQLite's own busy handler
# polls with growing sleeps, which under load lets some writers wait for seconds (p99). The
# lock is only an ordering aid: after the timeout a writer proceeds to SQLite's own locking.
SQLITE_QUEUE_TIMEOUT_S = 30.0
# PostgreSQL connections are replaced after this age instead of being pinged at every checkout
# (pool_pre_ping costs a round trip per request); a connection the server dropped fails its
# request once and is then discarded by the pool.
PG_POOL_RECYCLE_S = 1800


def json_dumps(value: Any) -> str:
    """The JSON columns' serializer: orjson (UTF-8 as is, like ensure_ascii=False), several
    times faster than the stdlib encoder on the settlement documents."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


class StoreError(ValueError):
    """A store URL or state that cannot be used; the message names the setting."""


def database_url(url: str | None = None) -> str:
    """The URL given, else YIBAO_DB, else the SQLite file ./yibao.db."""
    return url or os.environ.get("YIBAO_DB") or DEFAULT_URL


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = database_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise StoreError(f"db: not a database URL: {url!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        kwargs.setdefault("json_serializer", json_dumps)
        kwargs.setdefault("json_deserializer", orjson.loads)
        engine = create_engine(
            parsed, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _serialise_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 20)
        kwargs.setdefault("pool_recycle", PG_POOL_RECYCLE_S)
        kwargs.setdefault("json_serializer", json_dumps)
        kwargs.setdefault("json_deserializer", orjson.loads)
        return create_engine(parsed, **kwargs)
    raise StoreError(f"db: only sqlite and postgresql are supported, got {parsed.drivername!r}")


def _serialise_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling would issue a deferred BEGIN lazily; take it over
    # (the SQLAlchemy documentation's recipe) and begin IMMEDIATE.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    queue = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if queue.acquire(timeout=SQLITE_QUEUE_TIMEOUT_S):
            conn.info["yibao_queue"] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except Exception:
            _release(conn)
            raise

    def _release(conn: Any) -> None:
        if conn.info.pop("yibao_queue", False):
            queue.release()

    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception (nothing partial)."""
    with factory() as session, session.begin():
        yield session
