"""Settling several claims in one transaction (group commit) pays what settling them one by one
pays, gives each claim its own result, and survives a batch that fails as a whole."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from tests.store.test_ledger import CLERK, claim_row, engine_setlinfo, make_person
from yibao.engine.settlement import Accumulators, settle_claim
from yibao.store import accumulators, ledger, settle_batch, transaction
from yibao.store.errors import Conflict, Invalid, NotFound
from yibao.store.models import Claim, Settlement
from yibao.store.settle_batch import Outcome, SettleRequest


def requests(rows):
    return [SettleRequest(row, CLERK) for row in rows]


def stored_count(factory, psn_no):
    with factory() as s:
        return s.scalar(select(func.count()).where(Settlement.psn_no == psn_no))


def test_a_batch_pays_what_the_engine_pays_claim_after_claim(engine, factory, library):
    a_no, a_cert = make_person(factory, categories=("低保对象",))
    b_no, b_cert = make_person(factory)
    # Two persons' claims interleaved; A's large admissions run into the yearly caps part-way,
    # so an order or accumulator mistake inside the batch changes the amounts.
    a_rows = [claim_row(a_no, a_cert, f"{a_no}-{i}", "60000.00", month=i + 1) for i in range(5)]
    b_rows = [claim_row(b_no, b_cert, f"{b_no}-{i}", "8000.00", month=i + 1) for i in range(3)]
    mixed = [a_rows[0], b_rows[0], a_rows[1], a_rows[2], b_rows[1], a_rows[3], b_rows[2]]
    mixed.append(a_rows[4])
    results = settle_batch.run(engine, library, requests(mixed))
    assert all(isinstance(r, Outcome) and not r.replayed for r in results)

    policy = library.resolve("421200", 2023)
    got = {r.document["setl_id"]: r.document["setlinfo"] for r in results}
    for rows, categories in ((a_rows, "低保对象"), (b_rows, "")):
        acc = Accumulators.empty()
        for row in rows:
            result, acc = settle_claim({**row, "categories": categories, "tier": 1}, policy, acc)
            assert engine_setlinfo(got[row["setl_id"]]) == result.to_json()["setlinfo"]
        with factory() as s:
            stored = accumulators.read(s, rows[0]["psn_no"], 2023)
        assert Accumulators(**accumulators.as_dict(stored)) == acc
        assert stored.settlements == len(rows)


def test_each_claim_of_a_batch_gets_its_own_result(engine, factory, library):
    psn_no, certno = make_person(factory)
    with transaction(factory) as s:
        earlier = ledger.settle(s, library, claim_row(psn_no, certno, f"{psn_no}-old"), CLERK)
    good = claim_row(psn_no, certno, f"{psn_no}-new", month=4)
    batch = [
        good,
        claim_row("NOBODY", certno, f"{psn_no}-nobody"),  # unknown person
        claim_row(psn_no, make_person(factory)[1], f"{psn_no}-cert"),  # someone else's ID
        dict(good),  # a retry inside the batch: the same result, replayed
        claim_row(psn_no, certno, f"{psn_no}-new", "9999.00", month=4),  # same id, other content
        claim_row(psn_no, certno, f"{psn_no}-old"),  # stored before: replayed
        claim_row(psn_no, certno, f"{psn_no}-old", "5000.00"),  # stored, other content
        claim_row(psn_no, certno, f"{psn_no}-late", month=5),
    ]
    results = settle_batch.run(engine, library, requests(batch))

    assert isinstance(results[0], Outcome) and not results[0].replayed
    assert isinstance(results[1], NotFound)
    assert isinstance(results[2], Invalid) and str(results[2]).startswith("certno:")
    assert results[3].replayed and results[3].document == results[0].document
    assert isinstance(results[4], Conflict)
    assert results[5].replayed and results[5].document == earlier.document
    assert isinstance(results[6], Conflict)
    assert isinstance(results[7], Outcome) and not results[7].replayed
    # Written: the earlier claim and the two new ones, nothing of the rejected ones.
    assert stored_count(factory, psn_no) == 3
    with factory() as s:
        assert accumulators.read(s, psn_no, 2023).settlements == 3
        assert s.scalar(select(func.count()).where(Claim.setl_id == f"{psn_no}-nobody")) == 0


def test_a_batch_that_fails_as_a_whole_is_settled_claim_by_claim(
    engine, factory, library, monkeypatch
):
    psn_no, certno = make_person(factory)
    rows = [claim_row(psn_no, certno, f"{psn_no}-{i}", month=i + 1) for i in range(4)]
    real = settle_batch.settle_batch
    sizes = []

    def fails_when_many(conn, lib, reqs):
        sizes.append(len(reqs))
        if len(reqs) > 1:
            raise RuntimeError("a database error that is nobody's fault in particular")
        return real(conn, lib, reqs)

    monkeypatch.setattr(settle_batch, "settle_batch", fails_when_many)
    results = settle_batch.run(engine, library, requests(rows))
    assert sizes == [4, 1, 1, 1, 1]  # the batch once (not retryable), then claim by claim
    assert all(isinstance(r, Outcome) and not r.replayed for r in results)
    assert stored_count(factory, psn_no) == 4


def test_an_error_in_one_claim_alone_is_returned_not_raised(engine, factory, library, monkeypatch):
    psn_no, certno = make_person(factory)

    def broken(conn, lib, reqs):
        raise RuntimeError("boom")

    monkeypatch.setattr(settle_batch, "settle_batch", broken)
    (result,) = settle_batch.run(engine, library, requests([claim_row(psn_no, certno, "X")]))
    assert isinstance(result, RuntimeError)
    assert stored_count(factory, psn_no) == 0


@pytest.mark.parametrize("threads", [4])
def test_concurrent_batches_over_the_same_persons_in_other_orders(
    engine, factory, library, threads
):
    """Batches locking overlapping person-years in different orders neither deadlock nor lose
    an update: the persons' totals equal settling every claim one after another."""
    people = [make_person(factory, categories=("低保对象",)) for _ in range(4)]
    # Identical admissions per person: the totals do not depend on the order.
    batches = []
    for t in range(threads):
        order = people[t % len(people) :] + people[: t % len(people)]
        if t % 2:
            order.reverse()
        batches.append(
            [claim_row(p, c, f"{p}-t{t}-{i}", "60000.00") for i in range(3) for p, c in order]
        )
    with ThreadPoolExecutor(max_workers=threads) as pool:
        outcomes = list(pool.map(lambda b: settle_batch.run(engine, library, requests(b)), batches))
    assert all(isinstance(r, Outcome) for batch in outcomes for r in batch)

    policy = library.resolve("421200", 2023)
    for psn_no, certno in people:
        acc = Accumulators.empty()
        for i in range(3 * threads):
            row = claim_row(psn_no, certno, f"{psn_no}-{i}", "60000.00")
            _, acc = settle_claim({**row, "categories": "低保对象", "tier": 1}, policy, acc)
        with factory() as s:
            stored = accumulators.read(s, psn_no, 2023)
        assert Accumulators(**accumulators.as_dict(stored)) == acc
        assert stored.settlements == 3 * threads


def test_unique_key_deadlock_and_serialisation_failures_are_retried():
    import psycopg.errors
    from sqlalchemy.exc import IntegrityError, OperationalError

    assert settle_batch.retryable(psycopg.errors.UniqueViolation("dup"))  # from a pipeline
    assert settle_batch.retryable(IntegrityError("INSERT", {}, Exception("dup")))
    for error in (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure):
        assert settle_batch.retryable(OperationalError("SELECT", {}, error("x")))
    assert not settle_batch.retryable(psycopg.errors.ForeignKeyViolation("fk"))
    assert not settle_batch.retryable(RuntimeError("bug"))
