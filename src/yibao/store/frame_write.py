"""Bulk writes of polars frames into store tables, several tables in one transaction.

A frame holds a table's rows column by column: its columns are the table's (a column the frame
lacks takes the column's default: a constant, or a callable evaluated once for the whole
write), dates and times as polars Date / Datetime, JSON columns as JSON text already encoded
(``json_text``). The conversion to what the database stores is done column-wise by polars, so
no Python code runs per value:

- SQLite: dates and times as the text SQLAlchemy's SQLite dialect stores (so the ORM reads
  them back), booleans as 0/1, then the DBAPI's ``executemany`` over the frame's row tuples.
- PostgreSQL: one statement per chunk with one array parameter per column (``pg_bulk``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
from sqlalchemy import JSON, Boolean, Date, DateTime
from sqlalchemy.engine import Engine

from yibao.store import pg_bulk
from yibao.store.db import json_dumps

CHUNK = 20_000
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S%.6f"  # SQLAlchemy's SQLite storage format
SQLITE_DATE = "%Y-%m-%d"
SQLITE_CACHE_KIB = 512 * 1024  # the bulk write's page cache (the connection's default is 2 MiB)


class FrameWriteError(ValueError):
    """A frame that does not fit its table; nothing is written."""


def json_text(*fields: pl.Expr) -> pl.Expr:
    """A JSON object per row of the named expressions (``{"name": value, …}``)."""
    return pl.struct(*fields).struct.json_encode()


def fen_json_text(fen: pl.Expr) -> pl.Expr:
    """Fen as the text of the JSON number ``money.fen_to_json`` gives (``9.04``, ``-1.50``):
    exact decimal digits, which a JSON reader turns into the double nearest the yuan amount,
    the same number ``fen / 100`` is in Python (polars' own division of a column by a constant
    may differ in the last bit)."""
    magnitude = fen.abs()
    return pl.concat_str(
        pl.when(fen < 0).then(pl.lit("-")).otherwise(pl.lit("")),
        (magnitude // 100).cast(pl.String),
        pl.lit("."),
        (magnitude % 100).cast(pl.String).str.zfill(2),
    )


def ratio_json_text(basis_points: pl.Expr) -> pl.Expr:
    """Basis points as the shortest decimal text of the ratio (``0.4``, ``0.25``, ``0.0``), as
    Python's ``str(bp / 10_000)`` writes it."""
    whole = (basis_points // 10_000).cast(pl.String)
    fraction = (basis_points % 10_000).cast(pl.String).str.zfill(4).str.strip_chars_end("0")
    return pl.concat_str(
        whole, pl.lit("."), pl.when(fraction == "").then(pl.lit("0")).otherwise(fraction)
    )


def iso_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame's Date and Datetime columns as Python's ``isoformat()`` writes them
    (``2023-03-01``, ``2023-03-01T08:30:00``; microseconds only where there are some)."""
    out = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.Date:
            out.append(col.dt.to_string("%Y-%m-%d"))
        elif isinstance(dtype, pl.Datetime):
            out.append(
                pl.when(col.dt.microsecond() == 0)
                .then(col.dt.to_string("%Y-%m-%dT%H:%M:%S"))
                .otherwise(col.cast(pl.Datetime("us")).dt.to_string("%Y-%m-%dT%H:%M:%S%.6f"))
                .alias(name)
            )
    return frame.with_columns(out) if out else frame


def _defaults(table: Any, present: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in table.__table__.columns:
        default = column.default
        if column.name in present or default is None:
            continue
        value = default.arg(None) if default.is_callable else default.arg
        out[column.name] = json_dumps(value) if isinstance(column.type, JSON) else value
    return out


def _complete(table: Any, frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with the table's defaults for the columns it lacks; refuses unknown columns
    and JSON columns that are not text."""
    columns = {c.name: c for c in table.__table__.columns}
    unknown = [c for c in frame.columns if c not in columns]
    if unknown:
        raise FrameWriteError(f"{table.__tablename__}: no column {unknown[0]!r}")
    for name in frame.columns:
        if isinstance(columns[name].type, JSON) and frame.schema[name] not in (pl.String, pl.Null):
            raise FrameWriteError(f"{table.__tablename__}.{name}: JSON columns are written as text")
    defaults = _defaults(table, set(frame.columns))
    return (
        frame.with_columns(pl.lit(v).alias(k) for k, v in defaults.items()) if defaults else frame
    )


def _sqlite_form(table: Any, frame: pl.DataFrame) -> pl.DataFrame:
    columns = {c.name: c for c in table.__table__.columns}
    out = []
    for name, dtype in frame.schema.items():
        kind = columns[name].type
        col = pl.col(name)
        if isinstance(kind, DateTime) and dtype.is_temporal():
            col = col.cast(pl.Datetime("us")).dt.to_string(SQLITE_DATETIME)
        elif isinstance(kind, Date) and dtype.is_temporal():
            col = col.cast(pl.Date).dt.to_string(SQLITE_DATE)
        elif isinstance(kind, Boolean):
            col = col.cast(pl.Int64)
        out.append(col.alias(name))
    return frame.select(out)


def _deferred_indexes(cursor: Any, table: str) -> list[str]:
    """An EMPTY table's secondary indexes, dropped (their CREATE statements returned): an
    index built once over the loaded rows costs a sort, far less than keeping it up to date
    row by row in random key order. Unique and primary-key indexes stay (they check)."""
    if cursor.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None:
        return []
    indexes = cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'",
        (table,),
    ).fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in indexes]


def _write_sqlite(cursor: Any, table: Any, frame: pl.DataFrame) -> None:
    names = frame.columns
    recreate = _deferred_indexes(cursor, table.__tablename__)
    sql = (
        f"INSERT INTO {table.__tablename__} ({', '.join(names)}) "
        f"VALUES ({', '.join('?' for _ in names)})"
    )
    stored = _sqlite_form(table, frame)
    for offset in range(0, stored.height, CHUNK):
        cursor.executemany(sql, stored.slice(offset, CHUNK).iter_rows())
    for create in recreate:
        cursor.execute(create)


def _write_postgresql(conn: Any, table: Any, frame: pl.DataFrame) -> None:
    for offset in range(0, frame.height, CHUNK):
        chunk = frame.slice(offset, CHUNK)
        pg_bulk.insert_columns(
            conn, table.__table__, chunk.columns, [chunk[c].to_list() for c in chunk.columns]
        )


def write_frames(engine: Engine, tables: Sequence[tuple[Any, pl.DataFrame]]) -> list[int]:
    """INSERT each frame's rows into its table (ORM model), all in ONE transaction: every row
    or none. Returns the row counts, table by table."""
    frames = [(table, _complete(table, frame)) for table, frame in tables]
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            for table, frame in frames:
                _write_postgresql(conn, table, frame)
        return [frame.height for _, frame in frames]
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        # A year's rows are some hundreds of MB: a page cache of that size keeps the B-trees
        # in memory until the commit instead of spilling dirty pages mid-transaction.
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        cursor.execute("BEGIN IMMEDIATE")
        try:
            for table, frame in frames:
                _write_sqlite(cursor, table, frame)
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
    finally:
        raw.close()
    return [frame.height for _, frame in frames]
