"""The two databases the store and API tests run against: a SQLite file and a fresh schema on
the PostgreSQL server at 127.0.0.1:5432 (database ``test``). Without a server the PostgreSQL
cases skip locally and FAIL in CI (env CI or YIBAO_REQUIRE_PG=1)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

PG_BASE = os.environ.get("YIBAO_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pg_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("YIBAO_REQUIRE_PG") == "1"


def pg_reachable() -> str | None:
    """None when the server answers, else the reason."""
    try:
        engine = create_engine(PG_BASE, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


def require_pg() -> None:
    reason = pg_reachable()
    if reason is None:
        return
    message = f"PostgreSQL at {PG_BASE} is not reachable ({reason})"
    if pg_required():
        pytest.fail(message + "; CI requires it (scripts/ensure-services.sh starts one)")
    pytest.skip(message)


@contextmanager
def pg_schema(tag: str) -> Iterator[str]:
    """A fresh schema for this test session; the URL puts it first on the search_path."""
    schema = f"yibao_{tag}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def database(kind: str, tmp: Path, tag: str) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / f'{tag}.db'}"
        return
    require_pg()
    with pg_schema(tag) as url:
        yield url
