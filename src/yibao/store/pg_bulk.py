"""Bulk writes on PostgreSQL: many rows in one statement, one array parameter per column.

``INSERT … SELECT * FROM unnest($1::varchar[], $2::bigint[], …)`` sends a batch's rows as a
handful of arrays, which the driver encodes in C, instead of one Bind/Execute per row (psycopg's
executemany spends tens of microseconds of Python per row). The statement text depends only on
the table and the columns, so PostgreSQL prepares it once per connection.

Values are what the SQLAlchemy columns take; JSON columns are serialised here (the store's
serializer, the same text the ORM would write) and cast from text.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import JSON, Connection, Table
from sqlalchemy.dialects import postgresql

from yibao.store.db import json_dumps

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


def _q(name: str) -> str:
    return '"' + name + '"'


def _is_json(table: Table, column: str) -> bool:
    return isinstance(table.c[column].type, JSON)


def _arrays(table: Table, columns: Sequence[str]) -> str:
    """One array parameter per column, typed (JSON travels as text and is cast after)."""
    return ", ".join(
        "%b::"
        + ("text" if _is_json(table, c) else table.c[c].type.compile(dialect=_DIALECT))
        + "[]"
        for c in columns
    )


@cache
def _insert_sql(table: Table, columns: tuple[str, ...]) -> str:
    arrays = _arrays(table, columns)
    casts = ", ".join(f"{_q(c)}::json" if _is_json(table, c) else _q(c) for c in columns)
    names = ", ".join(map(_q, columns))
    return (
        f"INSERT INTO {_q(table.name)} ({names}) SELECT {casts} FROM unnest({arrays}) AS v({names})"
    )


def columns_of(table: Table, rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """The rows as one list per column (JSON columns serialised)."""
    columns = list(rows[0])
    out = []
    for c in columns:
        values = [r[c] for r in rows]
        if _is_json(table, c):
            values = [None if v is None else json_dumps(v) for v in values]
        out.append(values)
    return out


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT ``rows`` (dicts with the same keys) into ``table`` in one statement."""
    if not rows:
        return
    insert_columns(conn, table, list(rows[0]), columns_of(table, rows))


def insert_columns(
    conn: Connection, table: Table, names: Sequence[str], columns: Sequence[Sequence[Any]]
) -> None:
    """INSERT rows given column by column (``columns[i]`` holds ``names[i]``'s values, JSON
    columns as text) into ``table`` in one statement."""
    if not columns or not columns[0]:
        return
    sql = _insert_sql(table, tuple(names))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor:
        cursor.execute(sql, list(columns))


@cache
def _update_sql(table: Table, keys: tuple[str, ...], sets: tuple[str, ...], add: str) -> str:
    columns = keys + sets + (add,)
    arrays = _arrays(table, columns)
    assignments = [
        f"{_q(c)} = v.{_q(c)}::json" if _is_json(table, c) else f"{_q(c)} = v.{_q(c)}" for c in sets
    ]
    assignments.append(f"{_q(add)} = t.{_q(add)} + v.{_q(add)}")
    where = " AND ".join(f"t.{_q(k)} = v.{_q(k)}" for k in keys)
    return (
        f"UPDATE {_q(table.name)} AS t SET {', '.join(assignments)} "
        f"FROM unnest({arrays}) AS v({', '.join(map(_q, columns))}) WHERE {where}"
    )


def update_rows(
    conn: Connection,
    table: Table,
    keys: tuple[str, ...],
    add: str,
    rows: Sequence[dict[str, Any]],
) -> None:
    """UPDATE ``table`` from ``rows`` in one statement: rows are matched on ``keys``, the
    column ``add`` is incremented by the row's value, every other column of the row is set."""
    if not rows:
        return
    sets = tuple(c for c in rows[0] if c not in keys and c != add)
    sql = _update_sql(table, keys, sets, add)
    ordered = [{c: r[c] for c in (*keys, *sets, add)} for r in rows]
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor:
        cursor.execute(sql, columns_of(table, ordered))


@cache
def _add_sql(
    table: Table, keys: tuple[str, ...], rest: tuple[str, ...], added: tuple[str, ...]
) -> str:
    columns = keys + rest + added
    arrays = _arrays(table, columns)
    names = ", ".join(map(_q, columns))
    target = ", ".join(map(_q, keys))
    sets = ", ".join(f"{_q(c)} = t.{_q(c)} + EXCLUDED.{_q(c)}" for c in added)
    return (
        f"INSERT INTO {_q(table.name)} AS t ({names}) SELECT {names} FROM unnest({arrays}) "
        f"AS v({names}) ON CONFLICT ({target}) DO UPDATE SET {sets}"
    )


def add_rows(
    conn: Connection,
    table: Table,
    keys: tuple[str, ...],
    added: tuple[str, ...],
    rows: Sequence[dict[str, Any]],
) -> None:
    """INSERT ``rows`` into ``table`` in one statement; a row whose ``keys`` exist adds its
    ``added`` columns to the stored ones (other columns are set on insert only). Rows must
    have distinct keys (a statement cannot change a row twice); callers pass them in key
    order, so concurrent writers take the rows' locks in the same order."""
    if not rows:
        return
    rest = tuple(c for c in rows[0] if c not in keys and c not in added)
    sql = _add_sql(table, keys, rest, added)
    ordered = [{c: r[c] for c in (*keys, *rest, *added)} for r in rows]
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor:
        cursor.execute(sql, columns_of(table, ordered))
