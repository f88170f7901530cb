"""yibao db backup / restore on SQLite and PostgreSQL: a store with persons, enrollments and
real settlements (one reversed) comes back with the same rows, the same Alembic revision and
accumulators that equal the sum of its settled settlements; a store whose accumulators do not
add up fails the check; a database that holds data and a file that is not a backup are
refused, and nothing is changed."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text, update
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from tests.store.databases import PG_BASE, require_pg
from tests.store.test_ledger import CLERK, REVIEWER, claim_row, make_person
from yibao.cli.main import app
from yibao.engine.settlement import Accumulators
from yibao.store import (
    accumulators,
    backup,
    ledger,
    make_engine,
    persons,
    session_factory,
    settle_batch,
    transaction,
    upgrade,
    users,
)
from yibao.store.models import Accumulator, Base, Settlement
from yibao.store.settle_batch import Outcome, SettleRequest

runner = CliRunner()
FORMATS = {"sqlite": ["native"], "postgresql": ["native", "pg_dump"]}


# ---------------------------------------------------------------- fresh databases
class Fresh:
    """New databases of one backend, each dropped (or deleted) at the end."""

    def __init__(self, kind: str, tmp: Path) -> None:
        self.kind = kind
        self.tmp = tmp
        self.made: list[str] = []
        if kind == "postgresql":
            require_pg()
            self.admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")

    def url(self, create: bool = True) -> str:
        """The URL of a database that holds nothing (``create=False``: that does not exist)."""
        name = f"yibao_backup_{uuid.uuid4().hex[:10]}"
        if self.kind == "sqlite":
            return f"sqlite:///{self.tmp / (name + '.db')}"
        self.made.append(name)
        if create:
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        return make_url(PG_BASE).set(database=name).render_as_string(hide_password=False)

    def close(self) -> None:
        if self.kind == "postgresql":
            with self.admin.connect() as conn:
                for name in self.made:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self.admin.dispose()


@contextmanager
def fresh_databases(kind: str, tmp: Path) -> Iterator[Fresh]:
    fresh = Fresh(kind, tmp)
    try:
        yield fresh
    finally:
        fresh.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def kind(request):
    return request.param


@pytest.fixture(scope="module")
def fresh(kind, tmp_path_factory):
    with fresh_databases(kind, tmp_path_factory.mktemp("backup")) as made:
        yield made


# ---------------------------------------------------------------- a store with history
def insured(factory, categories=()) -> tuple[str, str]:
    """A person enrolled for 2023 (settlement needs the enrollment; make_person may have
    enrolled them already)."""
    psn_no, certno = make_person(factory, categories)
    with transaction(factory) as s:
        if persons.enrollment_for(s, psn_no, 2023) is None:
            persons.enroll(s, persons.EnrollmentSpec(psn_no, 2023, dt.date(2022, 12, 1)))
    return psn_no, certno


def populate(url: str, library, people: int = 3) -> dict[str, object]:
    """Persons (one 低保对象), enrollments, settlements one by one and in a batch, one
    reversal, a user: through the store's own functions."""
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    made = [insured(factory, ("低保对象",) if i == 0 else ()) for i in range(people)]
    with transaction(factory) as s:
        users.add_user(s, f"clerk-{uuid.uuid4().hex[:6]}", "经办")
    first_no, first_cert = made[0]
    # Large admissions run into the yearly caps: 大病 and 救助 pay, so every field counts.
    for month in (1, 2, 3):
        row = claim_row(first_no, first_cert, f"{first_no}-{month}", "60000.00", month=month)
        with transaction(factory) as s:
            ledger.settle(s, library, row, CLERK)
    batch = [
        claim_row(psn_no, certno, f"{psn_no}-b{month}", "8000.00", month=month)
        for psn_no, certno in made[1:]
        for month in (4, 5)
    ]
    results = settle_batch.run(engine, library, [SettleRequest(r, CLERK) for r in batch])
    assert all(isinstance(r, Outcome) for r in results), results
    reversed_id = f"{first_no}-2"
    with transaction(factory) as s:
        ledger.reverse(s, reversed_id, REVIEWER, "重复结算")
    engine.dispose()
    return {"psn_nos": [p for p, _ in made], "reversed": reversed_id, "people": made}


@pytest.fixture(scope="module")
def source(fresh, library):
    url = fresh.url()
    populate(url, library)
    return url


# ---------------------------------------------------------------- reading databases
def all_rows(url: str) -> dict[str, list[dict]]:
    """Every row of every table of the store (and alembic_version), in key order."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            out = {
                t.name: [dict(r._mapping) for r in conn.execute(select(t).order_by(*t.primary_key))]
                for t in Base.metadata.sorted_tables
            }
            out["alembic_version"] = [
                dict(r._mapping) for r in conn.execute(text("SELECT * FROM alembic_version"))
            ]
    finally:
        engine.dispose()
    return out


def counts(rows: dict[str, list[dict]]) -> dict[str, int]:
    return {name: len(table) for name, table in rows.items()}


def sums_of_consumed(url: str) -> tuple[dict, dict]:
    """Per person-year: the stored accumulators and the sum of the settled settlements'
    consumed (the engine's arithmetic, not the check's), with the settlement counts."""
    engine = make_engine(url)
    stored: dict = {}
    summed: dict = {}
    try:
        with session_factory(engine)() as session:
            for a in session.scalars(select(Accumulator)):
                stored[(a.psn_no, a.year)] = (
                    Accumulators(**accumulators.as_dict(a)),
                    a.settlements,
                )
            for s in session.scalars(select(Settlement).where(Settlement.status == "settled")):
                acc, n = summed.get((s.psn_no, s.year), (Accumulators.empty(), 0))
                summed[(s.psn_no, s.year)] = (acc.plus(Accumulators(**s.consumed)), n + 1)
    finally:
        engine.dispose()
    for key in stored:
        summed.setdefault(key, (Accumulators.empty(), 0))
    return stored, summed


def invoke(*args: str):
    return runner.invoke(app, ["db", *args])


def run_json(*args: str) -> dict:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout)


def backup_to(file: Path, url: str, fmt: str = "native") -> dict:
    return run_json("backup", str(file), "--db", url, "--format", fmt)


# ---------------------------------------------------------------- round trip
def test_a_restored_store_has_the_same_rows_revision_and_accumulators(
    kind, fresh, source, tmp_path, library
):
    before = all_rows(source)
    assert before["settlements"] and any(r["status"] == "reversed" for r in before["settlements"])
    assert before["enrollments"] and before["setldetail"] and before["users"]
    for fmt in FORMATS[kind]:
        file = tmp_path / f"store-{fmt}.backup"
        made = backup_to(file, source, fmt)
        assert made["format"] == ("sqlite" if kind == "sqlite" else fmt)
        assert made["tables"] == counts(before)
        assert made["size"] == file.stat().st_size > 0
        assert file.stat().st_mode & 0o077 == 0  # personal data: the owner only
        assert made["check"]["ok"] and made["check"]["person_years"] == 3
        assert made["check"]["settled_settlements"] == len(before["settlements"]) - 1

        target = fresh.url()
        restored = run_json("restore", str(file), "--db", target)
        after = all_rows(target)
        assert restored["tables"] == counts(after) == counts(before)
        assert after == before  # every table, settlements and accumulators included
        assert restored["revision"] == before["alembic_version"][0]["version_num"]
        assert restored["check"] == made["check"] and not restored["replaced"]
        stored, summed = sums_of_consumed(target)
        assert stored == summed and len(stored) == 3
        if kind == "sqlite":  # a plain SQLite file (the backup unpacked) restores as well
            plain = tmp_path / "plain.sqlite"
            plain.write_bytes(gzip.decompress(file.read_bytes()))
            other = fresh.url()
            assert run_json("restore", str(plain), "--db", other)["check"] == made["check"]
            assert all_rows(other) == before

        # The restored store goes on: new ids do not collide, reversal gives back what the
        # restored settlement consumed.
        engine = make_engine(target)
        factory = session_factory(engine)
        psn_no, certno = insured(factory)
        with transaction(factory) as s:
            ledger.settle(s, library, claim_row(psn_no, certno, f"{psn_no}-new"), CLERK)
            settled = next(r for r in before["settlements"] if r["status"] == "settled")
            assert not ledger.reverse(s, settled["setl_id"], REVIEWER, "重复结算").replayed
        engine.dispose()
        assert backup.check(target).ok


def test_a_restore_creates_a_database_that_does_not_exist_yet(fresh, source, tmp_path):
    file = tmp_path / "store.backup"
    backup_to(file, source)
    target = fresh.url(create=False)
    restored = run_json("restore", str(file), "--db", target)
    assert restored["tables"] == counts(all_rows(source)) and restored["check"]["ok"]


def test_the_text_report_names_tables_and_the_check(source, tmp_path):
    file = tmp_path / "store.backup"
    result = invoke("backup", str(file), "--db", source)
    assert result.exit_code == 0, result.stderr
    assert "backed up" in result.stdout and "settlements" in result.stdout
    assert "check: ok: 3 person-years" in result.stdout


def test_the_shared_store_round_trips(db_url, engine, tmp_path):
    """The store the other store tests use (on PostgreSQL a schema on the search_path of the
    ``test`` database) restores into a new database: the native format carries no schema."""
    kind = make_url(db_url).get_backend_name()
    file = tmp_path / "shared.backup"
    made = backup_to(file, db_url)
    with fresh_databases(kind, tmp_path) as made_dbs:
        target = made_dbs.url()
        restored = run_json("restore", str(file), "--db", target)
        assert restored["tables"] == made["tables"] == counts(all_rows(target))
        assert restored["check"]["ok"]
        if kind == "postgresql":
            # pg_restore puts the tables back into the schema they came from: refused.
            dump = tmp_path / "shared.dump"
            backup_to(dump, db_url, "pg_dump")
            other = made_dbs.url()
            result = invoke("restore", str(dump), "--db", other)
            assert result.exit_code == 2 and "schema" in result.stderr


# ---------------------------------------------------------------- the check can fail
def test_accumulators_that_do_not_add_up_fail_the_check(kind, fresh, tmp_path, library):
    url = fresh.url()
    made = populate(url, library, people=2)
    psn_no = made["psn_nos"][0]
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            update(Accumulator)
            .where(Accumulator.psn_no == psn_no, Accumulator.year == 2023)
            .values(critical_paid=Accumulator.critical_paid + 1)
        )
    engine.dispose()

    checked = invoke("check", "--db", url, "--json")
    assert checked.exit_code == 1 and psn_no in checked.stderr
    assert json.loads(checked.stdout)["check"]["mismatch_count"] == 1

    for fmt in FORMATS[kind]:
        file = tmp_path / f"corrupt-{fmt}.backup"
        written = invoke("backup", str(file), "--db", url, "--format", fmt, "--json")
        assert written.exit_code == 1 and "consistency check failed" in written.stderr
        assert file.exists()  # the backup is written all the same: it holds what there is
        target = fresh.url()
        restored = invoke("restore", str(file), "--db", target, "--json")
        assert restored.exit_code == 1, restored.stdout
        assert "consistency check failed" in restored.stderr and psn_no in restored.stderr
        doc = json.loads(restored.stdout)
        assert not doc["check"]["ok"] and doc["check"]["mismatch_count"] == 1
        (mismatch,) = doc["check"]["mismatches"]
        assert (mismatch["psn_no"], mismatch["year"]) == (psn_no, 2023)
        assert list(mismatch["fields"]) == ["critical_paid"]
        got = mismatch["fields"]["critical_paid"]
        assert got["accumulator"] == got["settlements"] + 1
        stored, summed = sums_of_consumed(target)
        assert stored != summed


def test_a_settlement_without_its_accumulator_fails_the_check(fresh, library):
    url = fresh.url()
    made = populate(url, library, people=2)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(Accumulator.__table__.delete().where(Accumulator.psn_no == made["psn_nos"][1]))
        result = backup.check_accumulators(conn)
    engine.dispose()
    assert result.mismatch_count == 1 and not result.ok
    assert result.mismatches[0]["fields"]["settlements"] == {"accumulator": 0, "settlements": 2}


# ---------------------------------------------------------------- refusals
def test_a_restore_into_a_database_that_holds_data_is_refused(kind, fresh, source, tmp_path):
    occupied = fresh.url()
    engine = make_engine(occupied)
    upgrade(engine)
    factory = session_factory(engine)
    make_person(factory)
    engine.dispose()
    before = all_rows(occupied)
    for fmt in FORMATS[kind]:
        file = tmp_path / f"store-{fmt}.backup"
        backup_to(file, source, fmt)
        refused = invoke("restore", str(file), "--db", occupied)
        assert refused.exit_code == 2
        assert "target not empty" in refused.stderr and "persons (1 row)" in refused.stderr
        assert "--force" in refused.stderr
        assert all_rows(occupied) == before

    replaced = run_json("restore", str(file), "--db", occupied, "--force")
    assert replaced["replaced"] and replaced["check"]["ok"]
    assert all_rows(occupied) == all_rows(source)


def test_a_migrated_database_without_rows_counts_as_empty(fresh, source, tmp_path, kind):
    for fmt in FORMATS[kind]:
        file = tmp_path / f"store-{fmt}.backup"
        backup_to(file, source, fmt)
        target = fresh.url()
        upgrade(make_engine(target))
        restored = run_json("restore", str(file), "--db", target)
        assert not restored["replaced"] and all_rows(target) == all_rows(source)


def test_files_that_are_not_backups_are_refused(kind, fresh, source, tmp_path):
    target = fresh.url()
    good = tmp_path / "good.backup"
    backup_to(good, source)
    data = good.read_bytes()
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"this is not a backup\n" * 100)
    gzipped = tmp_path / "other.gz"
    gzipped.write_bytes(gzip.compress(b"some other gzip file\n"))
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(data[: len(data) // 2])
    cases = [
        (tmp_path / "missing.backup", "no such file"),
        (garbage, "not a yibao backup"),
        (gzipped, "not a yibao backup"),
        (tmp_path, "not a file"),
        (truncated, "truncated"),
    ]
    if kind == "sqlite":
        plain = tmp_path / "plain.sqlite"  # a SQLite file as such, cut short
        plain.write_bytes(gzip.decompress(data)[:50_000])
        cases.append((plain, "not a readable SQLite backup"))
        other = tmp_path / "other.sqlite"
        with create_engine(f"sqlite:///{other}").begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x)")
        cases.append((other, "not a yibao backup (no alembic_version table)"))
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(bytes(flipped))
    cases.append((damaged, ""))  # see below
    for file, message in cases:
        result = invoke("restore", str(file), "--db", target)
        assert result.exit_code == 2, (file, result.stdout)
        assert message in result.stderr and result.stderr.startswith("error: "), result.stderr
        if file == damaged:
            # gzip's own check (CRC, stream), or COPY rejecting what a damaged stream
            # decompresses to (PostgreSQL: then rolled back)
            assert any(m in result.stderr for m in ("damaged", "truncated", "restore:"))
    # Nothing was written: the target is still without tables (SQLite: no file at all).
    if kind == "sqlite":
        assert not Path(make_url(target).database).exists()
    else:
        engine = make_engine(target)
        with engine.connect() as conn:
            assert inspect(conn).get_table_names() == []
        engine.dispose()


def test_a_backup_of_one_backend_is_refused_by_the_other(tmp_path):
    require_pg()
    with fresh_databases("sqlite", tmp_path) as lite, fresh_databases("postgresql", tmp_path) as pg:
        lite_url, pg_url = lite.url(), pg.url()
        for url in (lite_url, pg_url):
            upgrade(make_engine(url))
        backup_to(tmp_path / "lite.backup", lite_url)
        backup_to(tmp_path / "pg.backup", pg_url)
        for file, target, named in (("lite", pg.url(), "sqlite"), ("pg", lite.url(), "postgresql")):
            result = invoke("restore", str(tmp_path / f"{file}.backup"), "--db", target)
            assert result.exit_code == 2 and "wrong backend" in result.stderr
            assert f"is a {named} backup" in result.stderr


def test_backing_up_a_database_that_is_not_a_store_is_refused(fresh, tmp_path):
    empty = fresh.url()
    if empty.startswith("sqlite"):
        result = invoke("backup", str(tmp_path / "x.backup"), "--db", empty)
        assert result.exit_code == 2 and "no SQLite database" in result.stderr
        create_engine(empty).connect().close()  # an empty SQLite file, not a store
    result = invoke("backup", str(tmp_path / "x.backup"), "--db", empty)
    assert result.exit_code == 2 and "not a yibao store" in result.stderr
    assert not (tmp_path / "x.backup").exists()
    result = invoke("backup", str(tmp_path / "no" / "x.backup"), "--db", empty)
    assert result.exit_code == 2 and "does not exist" in result.stderr


# ---------------------------------------------------------------- a running store
def test_a_backup_taken_while_claims_are_settled_is_consistent(kind, fresh, tmp_path, library):
    url = fresh.url()
    made = populate(url, library, people=2)
    engine = make_engine(url)
    factory = session_factory(engine)
    stop = threading.Event()
    settled: list[str] = []
    failed: list[BaseException] = []

    def settle_until_stopped() -> None:
        try:
            people = [insured(factory) for _ in range(4)]
            n = 0
            while not stop.is_set():
                psn_no, certno = people[n % len(people)]
                row = claim_row(psn_no, certno, f"{psn_no}-live{n}", "3000.00", month=n % 12 + 1)
                with transaction(factory) as s:
                    ledger.settle(s, library, row, CLERK)
                    if n % 5 == 4:  # now and then a reversal of an earlier one
                        ledger.reverse(s, settled[-2], REVIEWER, "重复结算")
                settled.append(row["setl_id"])
                n += 1
        except BaseException as exc:
            failed.append(exc)
            raise

    writer = threading.Thread(target=settle_until_stopped)
    writer.start()
    try:
        results = []
        for i, fmt in enumerate(FORMATS[kind] * 2):
            deadline = time.monotonic() + 30
            while len(settled) < 5 * (i + 1) and not failed:  # claims settle in between
                assert time.monotonic() < deadline, "the writer is stuck"
                stop.wait(0.02)
            file = tmp_path / f"live-{i}.backup"
            results.append(backup.backup(url, file, fmt))
    finally:
        stop.set()
        writer.join()
        engine.dispose()
    assert not failed and made["psn_nos"]
    assert all(r.check.ok for r in results)
    seen = [r.tables["settlements"] for r in results]
    assert seen == sorted(seen) and seen[0] < seen[-1]
    for r in results:
        restored = backup.restore(r.file, fresh.url())
        assert restored.check.ok and restored.tables == r.tables
