"""Backup and restore of the store, verified by the accumulator consistency check.

Formats (recognised by their first bytes, so ``restore`` needs no option):

- SQLite: a SQLite database file written with SQLite's online backup API
  (``sqlite3.Connection.backup``) in one step: one read transaction, so a database that a
  running server writes to (WAL mode) is copied as of one moment. The copy is switched to
  rollback-journal mode (a single self-contained file), checked, and gzipped (its CRC shows
  damage that SQLite would not notice). Restore also takes a plain SQLite file.
- PostgreSQL, ``native`` (the default): a gzip stream of a header line, a JSON manifest
  (revision, schema, tables with their columns and row counts, the check) and each table's
  ``COPY … TO STDOUT`` text in dependency order, all read in one REPEATABLE READ READ ONLY
  transaction (one snapshot). Tables are not schema-qualified, so a backup restores into any
  database or schema (``options=-csearch_path=…``); restore first migrates the target to the
  backup's Alembic revision with the store's own migrations, then COPYs the rows back, in one
  transaction (a failure leaves the target as it was).
- PostgreSQL, ``pg_dump``: ``pg_dump --format=custom`` of the store's schema (pg_dump on
  PATH), taken on the snapshot of the transaction that counts and checks, so the report and
  the archive agree; restored with ``pg_restore --single-transaction`` into the same schema
  name. The archive is a plain pg_dump file (pg_restore reads it without yibao).

Restore goes into a database that holds no data (missing, empty, or migrated but with no
rows); otherwise it refuses unless ``force`` (then the store's tables are replaced). After a
restore the target's Alembic revision and row counts must equal the backup's, and
``check_accumulators`` runs on the target: every person-year's accumulator row equals the sum
of the ``consumed`` of its settlements with status 'settled' (and its ``settlements`` count
their number).
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import itertools
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import tempfile
import uuid
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from alembic import command
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    func,
    inspect,
    literal,
    null,
    select,
    table,
    text,
    type_coerce,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from yibao.engine.running_totals import empty_values
from yibao.engine.settlement import Accumulators
from yibao.store.accumulators import FIELDS
from yibao.store.aggregates import AggregateCheck
from yibao.store.aggregates import check as check_aggregates
from yibao.store.aggregates import rebuild as rebuild_aggregates
from yibao.store.db import StoreError, database_url, make_engine
from yibao.store.migrate import alembic_config
from yibao.store.models import Accumulator, Base, Settlement

VERSION_TABLE = "alembic_version"
NATIVE_MAGIC = b"YIBAO-BACKUP"
NATIVE_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
GZIP_MAGIC = b"\x1f\x8b"
BACKEND_OF_FORMAT = {"sqlite": "sqlite", "native": "postgresql", "pg_dump": "postgresql"}
# gzip level 3: most of level 6's ratio on COPY text at about twice the speed.
COMPRESSLEVEL = 3
FRAME_BYTES = 1 << 20  # COPY data is framed in chunks of about this size
REPORTED = 20  # mismatching person-years listed in a check result (all are counted)
_FRAME = struct.Struct(">I")


class BackupError(StoreError):
    """A backup or restore that cannot proceed; the message names the problem."""


# ---------------------------------------------------------------- the consistency check
@dataclass
class Check:
    """Accumulators against the settled settlements, per person-year."""

    person_years: int = 0
    settled: int = 0
    mismatch_count: int = 0
    mismatches: list[dict[str, Any]] = field(default_factory=list)  # the first REPORTED
    # The stored aggregates against the settlements (``check`` fills it; restore does not).
    aggregates: AggregateCheck | None = None

    @property
    def ok(self) -> bool:
        return self.mismatch_count == 0 and (self.aggregates is None or self.aggregates.ok)

    def to_json(self) -> dict[str, Any]:
        out = {
            "ok": self.ok,
            "person_years": self.person_years,
            "settled_settlements": self.settled,
            "mismatch_count": self.mismatch_count,
            "mismatches": self.mismatches,
        }
        if self.aggregates is not None:
            out["aggregates"] = self.aggregates.to_json()
        return out

    def summary(self) -> str:
        tail = "" if self.aggregates is None else f"; {self.aggregates.summary()}"
        if self.mismatch_count == 0:
            return (
                ("ok: " if self.ok else "FAILED: accumulators ok, ")
                + f"{self.person_years} person-years, {self.settled} settled settlements; "
                "every accumulator equals the sum of its settlements' consumed" + tail
            )
        first = self.mismatches[0]
        name, values = next(iter(first["fields"].items()))
        return (
            f"FAILED: {self.mismatch_count} of {self.person_years} person-years do not add up "
            f"({self.settled} settled settlements); first "
            f"{first['psn_no']}/{first['year']} {name}: accumulator {values['accumulator']}, "
            f"sum of settlements {values['settlements']}" + tail
        )


def _totals(values: dict[str, Any], count: int) -> dict[str, Any]:
    """Accumulator values (fen) normalised as the engine compares them, with the count."""
    return {**Accumulators(**values).as_dict(), "settlements": count}


def _add(into: dict[str, Any], consumed: dict[str, Any]) -> None:
    for name in FIELDS:
        value = consumed.get(name)
        target = into[name]
        if isinstance(target, dict):  # a keyed total; {} or missing adds nothing
            for key, fen in (value or {}).items():
                target[key] = target.get(key, 0) + int(fen)
        else:
            into[name] += int(value or 0)


def _zero() -> dict[str, Any]:
    # every running total at zero as the engine defines them ({} for a keyed one, else 0)
    return {name: value for name, value in empty_values().items() if name in FIELDS}


def _check_rows(conn: Connection) -> Any:
    """Accumulator rows (kind 0) and settled settlements (kind 1) in one stream ordered by
    person-year, so each person-year's rows are adjacent whatever the collation."""
    acc = Accumulator.__table__
    stl = Settlement.__table__
    accumulators = select(
        acc.c.psn_no,
        acc.c.year,
        literal(0).label("kind"),
        *(acc.c[name] for name in FIELDS),
        acc.c.settlements,
        type_coerce(null(), stl.c.consumed.type).label("consumed"),
    )
    settled = select(
        stl.c.psn_no,
        stl.c.year,
        literal(1),
        *(null() for _ in FIELDS),
        null(),
        stl.c.consumed,
    ).where(stl.c.status == "settled")
    union = accumulators.union_all(settled)
    by = union.selected_columns
    ordered = union.order_by(by.psn_no, by.year, by.kind)
    return conn.execution_options(yield_per=10_000).execute(ordered)


def check_accumulators(conn: Connection) -> Check:
    """Every person-year's accumulators (pool_paid, deductible_used, critical_eligible,
    critical_paid, assistance_eligible, assistance_paid, settlements) against the sum of the
    ``consumed`` of its settlements with status 'settled' (and their number)."""
    out = Check()
    for (psn_no, year), rows in itertools.groupby(_check_rows(conn), lambda r: (r[0], r[1])):
        stored: dict[str, Any] = {**_zero(), "settlements": 0}
        summed = _zero()
        count = 0
        for row in rows:
            if row.kind == 0:
                stored = {name: row._mapping[name] for name in (*FIELDS, "settlements")}
            else:
                _add(summed, row.consumed)
                count += 1
        out.person_years += 1
        out.settled += count
        have = _totals({k: stored[k] for k in FIELDS}, int(stored["settlements"]))
        want = _totals(summed, count)
        if have != want:
            out.mismatch_count += 1
            if len(out.mismatches) < REPORTED:
                fields = {
                    name: {"accumulator": have[name], "settlements": want[name]}
                    for name in have
                    if have[name] != want[name]
                }
                out.mismatches.append({"psn_no": psn_no, "year": year, "fields": fields})
    return out


def check(url: str | None, repair: bool = False) -> Check:
    """The consistency check on the store at ``url`` (it only reads): the accumulators, and
    the stored aggregates against their recomputation from the settlements
    (store.aggregates.check). With ``repair`` the aggregates are first rebuilt from the
    settlements in one transaction (store.aggregates.rebuild; the accumulators are never
    rewritten here: a wrong accumulator is a fault to investigate, not to paper over)."""
    url = _url(url)
    if make_url(url).get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        if not path.exists():
            raise BackupError(f"db: no SQLite database at {path}")
        engine = _sqlite_engine(path, readonly=False)
    else:
        engine = _engine(url)
    try:
        if repair:
            with engine.begin() as conn:
                _revision(conn)
                rebuild_aggregates(conn, verify=False)
        with engine.connect() as conn:
            _revision(conn)
            result = check_accumulators(conn)
            result.aggregates = check_aggregates(conn)
            return result
    finally:
        engine.dispose()


# ---------------------------------------------------------------- what a store holds
def _table_names(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def _store_tables(names: Iterable[str]) -> list[str]:
    """The store's tables among ``names``, in dependency order (parents first)."""
    present = set(names)
    return [t.name for t in Base.metadata.sorted_tables if t.name in present]


def _revision(conn: Connection, what: str = "db: not a yibao store") -> str:
    if VERSION_TABLE not in _table_names(conn):
        raise BackupError(f"{what} (no alembic_version table)")
    versions = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(versions) != 1:
        raise BackupError(f"db: not one Alembic revision in alembic_version: {versions}")
    return str(versions[0])


def row_counts(conn: Connection, names: Iterable[str]) -> dict[str, int]:
    return {
        name: int(conn.execute(select(func.count()).select_from(table(name))).scalar_one())
        for name in names
    }


def _counts(conn: Connection) -> dict[str, int]:
    """Row counts of the store's tables and alembic_version."""
    names = _table_names(conn)
    return row_counts(conn, [*_store_tables(names), VERSION_TABLE])


def _holding_data(conn: Connection) -> dict[str, int]:
    """Tables (other than alembic_version) with rows: a restore target must have none."""
    found = {}
    for name in sorted(_table_names(conn) - {VERSION_TABLE}):
        if conn.execute(select(literal(1)).select_from(table(name)).limit(1)).first():
            found[name] = row_counts(conn, [name])[name]
    return found


def _refuse_if_holding_data(conn: Connection, target: str, force: bool) -> bool:
    """True when the target holds data (and ``force`` allows replacing it)."""
    holding = _holding_data(conn)
    if holding and not force:
        listed = ", ".join(
            f"{name} ({rows} row{'' if rows == 1 else 's'})"
            for name, rows in list(holding.items())[:5]
        )
        raise BackupError(
            f"target not empty: {target} holds data ({listed}); restore into an empty or new "
            "database, or pass --force to replace it"
        )
    return bool(holding)


# ---------------------------------------------------------------- reports
@dataclass
class Report:
    """What a backup wrote or a restore verified."""

    action: str  # backup | restore
    file: Path
    format: str  # sqlite | native | pg_dump
    database: str  # the source or target URL, password masked
    revision: str
    tables: dict[str, int]
    check: Check
    replaced: bool = False  # restore --force over a database that held data

    @property
    def backend(self) -> str:
        return BACKEND_OF_FORMAT[self.format]

    @property
    def size(self) -> int:
        return self.file.stat().st_size

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "action": self.action,
            "file": str(self.file),
            "size": self.size,
            "backend": self.backend,
            "format": self.format,
            "revision": self.revision,
            ("source" if self.action == "backup" else "target"): self.database,
            "tables": self.tables,
            "rows": sum(self.tables.values()),
            "check": self.check.to_json(),
        }
        if self.action == "restore":
            doc["replaced"] = self.replaced
        return doc


def masked(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


# ---------------------------------------------------------------- entry points
def backup(url: str | None, file: Path, fmt: str = "native") -> Report:
    """Write a backup of the store at ``url`` to ``file`` (replaced atomically when it exists,
    readable by its owner only). ``fmt`` chooses the PostgreSQL format (native | pg_dump);
    SQLite has one."""
    url = _url(url)
    file = Path(file)
    if not file.parent.is_dir():
        raise BackupError(f"file: directory {file.parent} does not exist")
    backend = make_url(url).get_backend_name()
    if fmt not in ("native", "pg_dump"):
        raise BackupError(f"format: native or pg_dump, got {fmt!r}")
    with _temporary_beside(file) as tmp:
        if backend == "sqlite":
            if fmt != "native":
                raise BackupError("wrong backend: --format pg_dump is for PostgreSQL stores")
            report = _backup_sqlite(url, tmp)
        elif fmt == "pg_dump":
            report = _backup_pg_dump(url, tmp)
        else:
            report = _backup_native(url, tmp)
        os.chmod(tmp, 0o600)  # personal data (ID numbers, names, claims): the owner only
        os.replace(tmp, file)
    report.file = file
    return report


def restore(file: Path, url: str | None, force: bool = False) -> Report:
    """Restore ``file`` into the database at ``url`` (which must hold no data unless
    ``force``) and verify it: revision, row counts, and the consistency check (reported; a
    failed check does not undo the restore, the data are the backup's)."""
    url = _url(url)
    file = Path(file)
    fmt = detect(file)
    backend = make_url(url).get_backend_name()
    if BACKEND_OF_FORMAT[fmt] != backend:
        raise BackupError(
            f"wrong backend: {file} is a {BACKEND_OF_FORMAT[fmt]} backup ({fmt}) but the "
            f"target {masked(url)} is {backend}"
        )
    if fmt == "sqlite":
        return _restore_sqlite(file, url, force)
    if fmt == "pg_dump":
        return _restore_pg_dump(file, url, force)
    return _restore_native(file, url, force)


def detect(file: Path) -> str:
    """The backup format of ``file`` (sqlite | native | pg_dump), or BackupError."""
    if not file.exists():
        raise BackupError(f"file: no such file {file}")
    if not file.is_file():
        raise BackupError(f"file: {file} is not a file")
    with file.open("rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "pg_dump"
    if head.startswith(GZIP_MAGIC):
        try:
            with gzip.open(file, "rb") as g:
                inner = g.read(len(SQLITE_MAGIC))
        except (OSError, EOFError, zlib.error):
            inner = b""
        if inner.startswith(NATIVE_MAGIC):
            return "native"
        if inner.startswith(SQLITE_MAGIC):
            return "sqlite"
    raise BackupError(
        f"file: {file} is not a yibao backup (neither a SQLite database, a yibao PostgreSQL "
        "backup nor a pg_dump archive)"
    )


def _url(url: str | None) -> str:
    url = database_url(url)
    try:
        backend = make_url(url).get_backend_name()
    except Exception as exc:
        raise BackupError(f"db: not a database URL: {url!r}") from exc
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"db: only sqlite and postgresql are supported, got {backend!r}")
    return url


def _engine(url: str | None, *, create_database: bool = False) -> Engine:
    """An engine on the PostgreSQL ``url`` that has connected once (a missing database is
    created when ``create_database``); connection failures are BackupErrors naming it."""
    url = _url(url)
    engine = make_engine(url, pool_size=2, max_overflow=0)
    try:
        engine.connect().close()
    except DBAPIError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[-1] if exc.orig else str(exc)
        if not (create_database and "does not exist" in reason):
            raise BackupError(f"db: cannot connect to {masked(url)}: {reason}") from exc
        _create_database(url)
        engine = make_engine(url, pool_size=2, max_overflow=0)
    return engine


def _create_database(url: str) -> None:
    parsed = make_url(url)
    name = parsed.database or ""
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name.replace(chr(34), chr(34) * 2)}"')
    except DBAPIError as exc:
        raise BackupError(f"db: cannot create database {name!r}: {exc.orig}") from exc
    finally:
        admin.dispose()


@contextmanager
def _temporary_beside(file: Path) -> Iterator[Path]:
    """A temporary path in ``file``'s directory (so the final rename is atomic), removed
    unless the caller renamed it."""
    tmp = file.with_name(f".{file.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------- SQLite
def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"db: {url!r} is not a SQLite database file")
    return Path(database)


def _sqlite_engine(path: Path, readonly: bool) -> Engine:
    """A plain engine on a SQLite file, without the store's connection settings (they would
    switch a backup copy to WAL mode, and BEGIN IMMEDIATE would stop a live store's writers
    while reading). ``readonly`` for backup files (a WAL database cannot always be opened
    read-only)."""
    uri = path.resolve().as_uri() + ("?mode=ro" if readonly else "")
    return create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True))


def _sqlite_summary(path: Path, action: str, database: str, readonly: bool, what: str) -> Report:
    engine = _sqlite_engine(path, readonly)
    try:
        with engine.connect() as conn:
            revision = _revision(conn, what)
            return Report(
                action, path, "sqlite", database, revision, _counts(conn), check_accumulators(conn)
            )
    finally:
        engine.dispose()


def _backup_sqlite(url: str, tmp: Path) -> Report:
    """The online backup API's copy, checked, then gzipped into ``tmp`` (gzip's CRC lets a
    restore notice a damaged file, which a SQLite file alone cannot)."""
    with _temporary_beside(tmp) as copy:
        report = _sqlite_copy(url, copy)
        with copy.open("rb") as raw, gzip.open(tmp, "wb", compresslevel=COMPRESSLEVEL) as out:
            shutil.copyfileobj(raw, out, FRAME_BYTES)
    report.file = tmp
    return report


def _sqlite_copy(url: str, tmp: Path) -> Report:
    source_path = _sqlite_path(url)
    if not source_path.exists():
        raise BackupError(f"db: no SQLite database at {source_path}")
    source = sqlite3.connect(source_path, timeout=30)
    try:
        if not source.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,)
        ).fetchone():
            raise BackupError(f"db: {source_path} is not a yibao store (no alembic_version)")
        copy = sqlite3.connect(tmp)
        try:
            source.backup(copy)  # pages=-1: all in one step, one read transaction
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"db: cannot back up {source_path}: {exc}") from exc
    finally:
        source.close()
    return _sqlite_summary(tmp, "backup", masked(url), True, f"db: {url} is not a yibao store")


def _restore_sqlite(file: Path, url: str, force: bool) -> Report:
    """A gzipped backup is unpacked next to the target first (a plain SQLite file, such as
    one written by sqlite3's .backup, is restored as it is)."""
    with file.open("rb") as f:
        packed = f.read(len(GZIP_MAGIC)) == GZIP_MAGIC
    if not packed:
        return _restore_sqlite_file(file, file, url, force)
    target_dir = _sqlite_path(url).parent
    if not target_dir.is_dir():
        raise BackupError(f"db: directory {target_dir} does not exist")
    with _temporary_beside(_sqlite_path(url)) as unpacked:
        try:
            with gzip.open(file, "rb") as g, unpacked.open("wb") as out:
                shutil.copyfileobj(g, out, FRAME_BYTES)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise BackupError(f"file: {file} is damaged or truncated: {exc}") from exc
        return _restore_sqlite_file(file, unpacked, url, force)


def _restore_sqlite_file(file: Path, database: Path, url: str, force: bool) -> Report:
    """Restore the SQLite database ``database`` (``file`` itself, or unpacked from it)."""
    try:
        backup_file = sqlite3.connect(database.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            quick = backup_file.execute("PRAGMA quick_check").fetchone()
        finally:
            backup_file.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"file: {file} is not a readable SQLite backup: {exc}") from exc
    if quick != ("ok",):
        raise BackupError(f"file: {file} is damaged (SQLite quick_check: {quick[0]})")
    source = _sqlite_summary(
        database, "backup", str(file), True, f"file: {file} is not a yibao backup"
    )
    _script_knows(url, source.revision)
    target_path = _sqlite_path(url)
    if not target_path.parent.is_dir():
        raise BackupError(f"db: directory {target_path.parent} does not exist")
    replaced = False
    if target_path.exists():
        engine = _sqlite_engine(target_path, readonly=False)
        try:
            with engine.connect() as conn:
                replaced = _refuse_if_holding_data(conn, masked(url), force)
        except DBAPIError as exc:
            raise BackupError(f"db: {target_path} is not a SQLite database: {exc.orig}") from exc
        finally:
            engine.dispose()
    src = sqlite3.connect(database.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target_path, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    restored = _sqlite_summary(target_path, "restore", masked(url), False, "restore: no store")
    _verify(source.revision, source.tables, restored.revision, restored.tables)
    restored.file = file
    restored.replaced = replaced
    return restored


def _verify(revision: str, tables: dict[str, int], got_revision: str, got: dict[str, int]) -> None:
    if got_revision != revision:
        raise BackupError(f"restore: revision {got_revision} after restore, backup is {revision}")
    differ = {t: (n, got.get(t)) for t, n in tables.items() if got.get(t) != n}
    if differ:
        name, (want, have) = next(iter(differ.items()))
        raise BackupError(f"restore: {name} has {have} rows after restore, the backup {want}")


# ---------------------------------------------------------------- PostgreSQL
@contextmanager
def _snapshot(url: str) -> Iterator[tuple[Connection, str]]:
    """One REPEATABLE READ READ ONLY transaction on the source (one snapshot for all it reads):
    its connection and the current schema."""
    engine = _engine(url)
    try:
        with (
            engine.connect().execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            ) as conn,
            conn.begin(),
        ):
            isolation = conn.exec_driver_sql("SHOW transaction_isolation").scalar()
            assert isolation == "repeatable read", isolation
            yield conn, _target_schema(conn, url)
    finally:
        engine.dispose()


def _source_report(conn: Connection, file: Path, fmt: str, url: str) -> Report:
    """Revision, row counts and check of the source, as of the transaction's snapshot."""
    revision = _revision(conn)
    return Report(
        "backup", file, fmt, masked(url), revision, _counts(conn), check_accumulators(conn)
    )


def _cursor(conn: Connection) -> Any:
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    if not hasattr(cursor, "copy"):
        raise BackupError("db: PostgreSQL backups need the psycopg (3) driver: postgresql+psycopg")
    return cursor


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _backup_native(url: str, tmp: Path) -> Report:
    with _snapshot(url) as (conn, schema):
        report = _source_report(conn, tmp, "native", url)
        names = _store_tables(_table_names(conn))
        columns = {name: [c["name"] for c in inspect(conn).get_columns(name)] for name in names}
        manifest = {
            "format": "yibao-native",
            "version": NATIVE_VERSION,
            "backend": "postgresql",
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "source": report.database,
            "schema": schema,
            "revision": report.revision,
            "tables": [{"name": n, "columns": columns[n], "rows": report.tables[n]} for n in names],
            "counts": report.tables,
            "check": report.check.to_json(),
        }
        cursor = _cursor(conn)
        with gzip.open(tmp, "wb", compresslevel=COMPRESSLEVEL) as out:
            out.write(NATIVE_MAGIC + f" {NATIVE_VERSION} postgresql\n".encode())
            out.write(json.dumps(manifest, ensure_ascii=False).encode() + b"\n")
            for name in names:
                out.write(f"TABLE {name}\n".encode())
                cols = ", ".join(map(_q, columns[name]))
                with cursor.copy(f"COPY {_q(name)} ({cols}) TO STDOUT") as copy:
                    _write_frames(out, copy)
            out.write(b"END\n")
    return report


def _write_frames(out: io.BufferedIOBase, chunks: Iterable[Any]) -> None:
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        if len(buffer) >= FRAME_BYTES:
            out.write(_FRAME.pack(len(buffer)) + buffer)
            buffer.clear()
    if buffer:
        out.write(_FRAME.pack(len(buffer)) + buffer)
    out.write(_FRAME.pack(0))


class _NativeReader:
    """The sections of a native backup; damage or truncation is a BackupError."""

    def __init__(self, file: Path, stream: io.BufferedIOBase) -> None:
        self.file = file
        self.stream = stream
        header = self._line()
        if not header.startswith(NATIVE_MAGIC):
            raise BackupError(f"file: {file} is not a yibao backup")
        version = header.split()[1:2]
        if version != [str(NATIVE_VERSION).encode()]:
            raise BackupError(f"file: {file} is a yibao backup of another version ({header!r})")
        try:
            self.manifest: dict[str, Any] = json.loads(self._line())
        except ValueError as exc:
            raise BackupError(f"file: {file} has no readable manifest: {exc}") from exc

    def _line(self) -> bytes:
        return bytes(self._read(lambda: self.stream.readline(1 << 26)))

    def _read(self, fn: Any) -> Any:
        try:
            return fn()
        except (OSError, EOFError, zlib.error) as exc:
            raise BackupError(f"file: {self.file} is damaged or truncated: {exc}") from exc

    def _exact(self, n: int) -> bytes:
        data: bytes = self._read(lambda: self.stream.read(n))
        if len(data) != n:
            raise BackupError(f"file: {self.file} is truncated")
        return data

    def table(self, name: str) -> Iterator[bytes]:
        line = self._line()
        if line != f"TABLE {name}\n".encode():
            raise BackupError(f"file: {self.file}: expected table {name}, found {line[:60]!r}")
        while True:
            (size,) = _FRAME.unpack(self._exact(_FRAME.size))
            if size == 0:
                return
            yield self._exact(size)

    def end(self) -> None:
        if self._line() != b"END\n":
            raise BackupError(f"file: {self.file} is truncated (no END marker)")
        # Reading to the end makes gzip verify the stream's CRC and length.
        if self._read(lambda: self.stream.read(1)):
            raise BackupError(f"file: {self.file} has data after its END marker")


def _script_knows(url: str, revision: str) -> None:
    try:
        ScriptDirectory.from_config(alembic_config(url)).get_revision(revision)
    except CommandError as exc:
        raise BackupError(
            f"revision: the backup is at Alembic revision {revision}, which this yibao's "
            "migrations do not know (restore with the yibao version that wrote it)"
        ) from exc


def _drop_store_tables(conn: Connection, schema: str) -> None:
    """The store's tables (and alembic_version) in ``schema``, dropped for --force."""
    names = [t.name for t in reversed(Base.metadata.sorted_tables)] + [VERSION_TABLE]
    for name in names:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_q(schema)}.{_q(name)} CASCADE")


def _migrate(conn: Connection, url: str, revision: str) -> None:
    """The target brought to ``revision`` by the store's migrations, in this transaction."""
    cfg = alembic_config(url)
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


def _reset_sequences(conn: Connection, schema: str, names: Iterable[str]) -> None:
    """Serial columns continue after the restored rows."""
    for name in names:
        column = Base.metadata.tables[name].autoincrement_column
        if column is None:
            continue
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:t, :c), "
                f"COALESCE(MAX({_q(column.name)}), 0) + 1, false) FROM {_q(name)}"
            ),
            {"t": f"{_q(schema)}.{_q(name)}", "c": column.name},
        )


def _target_schema(conn: Connection, url: str) -> str:
    schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
    if schema is None:
        raise BackupError(f"db: the schema on the search_path of {masked(url)} does not exist")
    return str(schema)


def _restore_native(file: Path, url: str, force: bool) -> Report:
    with gzip.open(file, "rb") as stream:
        reader = _NativeReader(file, stream)
        manifest = reader.manifest
        revision = str(manifest["revision"])
        _script_knows(url, revision)
        engine = _engine(url, create_database=True)
        try:
            with engine.connect() as conn, conn.begin():
                schema = _target_schema(conn, url)
                replaced = _refuse_if_holding_data(conn, masked(url), force)
                _drop_store_tables(conn, schema)
                _migrate(conn, url, revision)
                cursor = _cursor(conn)
                names = []
                for entry in manifest["tables"]:
                    name = entry["name"]
                    names.append(name)
                    cols = ", ".join(map(_q, entry["columns"]))
                    with cursor.copy(f"COPY {_q(name)} ({cols}) FROM STDIN") as copy:
                        for chunk in reader.table(name):
                            copy.write(chunk)
                reader.end()
                _reset_sequences(conn, schema, names)
                tables = _counts(conn)
                _verify(revision, manifest["counts"], _revision(conn), tables)
                result = check_accumulators(conn)
        except DBAPIError as exc:
            raise BackupError(f"restore: {masked(url)}: {exc.orig}") from exc
        except psycopg.Error as exc:  # raised by the raw COPY (a damaged archive's bytes)
            raise BackupError(f"restore: {masked(url)}: {exc}") from exc
        finally:
            engine.dispose()
    return Report("restore", file, "native", masked(url), revision, tables, result, replaced)


# ------------------------------------------------ PostgreSQL with pg_dump / pg_restore
def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name}: not found on PATH (install the PostgreSQL client tools)")
    return path


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI for ``url`` (password in the environment, not on the command line)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    uri = parsed.set(drivername="postgresql", password=None).render_as_string(False)
    return uri, env


def _run(args: list[str], env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        args, env=env, capture_output=True, encoding="utf-8", errors="replace", check=False
    )
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        raise BackupError(f"{Path(args[0]).name} failed (exit {done.returncode}): {tail}")
    return done.stdout


def _backup_pg_dump(url: str, tmp: Path) -> Report:
    pg_dump = _tool("pg_dump")
    with _snapshot(url) as (conn, schema):
        snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
        report = _source_report(conn, tmp, "pg_dump", url)
        uri, env = _libpq(url)
        _run(
            [
                pg_dump,
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--schema={_q(schema)}",
                "--no-owner",
                "--no-privileges",
                f"--file={tmp}",
                f"--dbname={uri}",
            ],
            env,
        )
    return report


def _archive_contents(pg_restore: str, file: Path) -> tuple[str, str, dict[str, int]]:
    """The archive's schema, Alembic revision and row counts, read from its data."""
    toc = _run([pg_restore, "--list", str(file)])
    entries = [line.split() for line in toc.splitlines() if not line.startswith(";")]
    schemas = {e[4] for e in entries if len(e) > 5 and e[3] == "TABLE" and e[4] != "DATA"}
    if len(schemas) != 1:
        raise BackupError(f"file: {file} is not a pg_dump of one yibao schema ({schemas})")
    counts: dict[str, int] = {}
    versions: list[str] = []
    with subprocess.Popen(
        [pg_restore, "--data-only", "--file=-", str(file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        encoding="utf-8",
        errors="replace",
    ) as proc:
        assert proc.stdout is not None
        current = None
        for line in proc.stdout:
            if current is None:
                if line.startswith("COPY "):
                    current = line[5:].split(" ", 1)[0].split(".")[-1].strip('"')
                    counts[current] = 0
            elif line == "\\.\n":
                current = None
            else:
                counts[current] += 1
                if current == VERSION_TABLE:
                    versions.append(line.strip())
    if proc.returncode != 0 or len(versions) != 1:
        raise BackupError(f"file: {file} is not a pg_dump of a yibao store")
    return schemas.pop(), versions[0], counts


def _restore_pg_dump(file: Path, url: str, force: bool) -> Report:
    pg_restore = _tool("pg_restore")
    archive_schema, revision, archived = _archive_contents(pg_restore, file)
    _script_knows(url, revision)
    engine = _engine(url, create_database=True)
    try:
        with engine.connect() as conn, conn.begin():
            schema = _target_schema(conn, url)
            if schema != archive_schema:
                raise BackupError(
                    f"schema: the pg_dump archive holds schema {archive_schema!r}, the target's "
                    f"is {schema!r} (pg_restore restores into the schema it dumped; use the "
                    "native format to restore into another schema)"
                )
            replaced = _refuse_if_holding_data(conn, masked(url), force)
            clean = bool(_table_names(conn))
        # The archive's entries but its schema (which exists already), in one transaction;
        # --clean first drops what the target has of them (a migrated or --force target).
        toc = _run([pg_restore, "--list", str(file)])
        keep = [line for line in toc.splitlines() if " SCHEMA - " not in line]
        with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False) as listing:
            listing.write("\n".join(keep) + "\n")
        uri, env = _libpq(url)
        try:
            _run(
                [
                    pg_restore,
                    "--single-transaction",
                    "--exit-on-error",
                    "--no-owner",
                    "--no-privileges",
                    *(["--clean", "--if-exists"] if clean else []),
                    f"--use-list={listing.name}",
                    f"--dbname={uri}",
                    str(file),
                ],
                env,
            )
        finally:
            os.unlink(listing.name)
        with engine.connect() as conn:
            tables = _counts(conn)
            want = {name: archived.get(name, 0) for name in tables}
            _verify(revision, want, _revision(conn), tables)
            result = check_accumulators(conn)
    finally:
        engine.dispose()
    return Report("restore", file, "pg_dump", masked(url), revision, tables, result, replaced)
