"""The API's group commit: concurrent settlements share transactions, each keeps its own result,
and a client that goes away does not take its claim out of the batch."""

from __future__ import annotations

import asyncio

import pytest

from tests.store.test_ledger import CLERK, claim_row, make_person
from yibao.api.group_commit import SettlementQueue
from yibao.store import accumulators, settle_batch
from yibao.store.errors import NotFound


@pytest.fixture
def batch_sizes(monkeypatch):
    sizes: list[int] = []
    real = settle_batch.run

    def recording(engine, library, requests):
        sizes.append(len(requests))
        return real(engine, library, requests)

    monkeypatch.setattr(settle_batch, "run", recording)
    return sizes


def test_concurrent_settlements_are_committed_together(engine, factory, library, batch_sizes):
    people = [make_person(factory) for _ in range(5)]
    rows = [claim_row(p, c, f"{p}-q{i}", month=1 + i) for i in range(6) for p, c in people]
    queue = SettlementQueue(engine, lambda: library, max_batch=8)

    async def main():
        return await asyncio.gather(*(queue.settle(row, CLERK) for row in rows))

    try:
        outcomes = asyncio.run(main())
    finally:
        queue.close()
    assert [o.document["setl_id"] for o in outcomes] == [r["setl_id"] for r in rows]
    assert sum(batch_sizes) == len(rows)
    # All 30 arrived before the first transaction began: batches of at most 8, in order.
    assert batch_sizes == [8, 8, 8, 6]
    with factory() as s:
        for p, _ in people:
            assert accumulators.read(s, p, 2023).settlements == 6


def test_a_claims_own_error_reaches_only_its_caller(engine, factory, library):
    psn_no, certno = make_person(factory)
    queue = SettlementQueue(engine, lambda: library)

    async def main():
        return await asyncio.gather(
            queue.settle(claim_row(psn_no, certno, f"{psn_no}-ok"), CLERK),
            queue.settle(claim_row("NOBODY", certno, f"{psn_no}-bad"), CLERK),
            return_exceptions=True,
        )

    try:
        ok, bad = asyncio.run(main())
    finally:
        queue.close()
    assert ok.document["setl_id"] == f"{psn_no}-ok"
    assert isinstance(bad, NotFound)


def test_a_cancelled_caller_does_not_cancel_the_settlement(engine, factory, library):
    psn_no, certno = make_person(factory)
    queue = SettlementQueue(engine, lambda: library)

    async def main():
        gone = asyncio.ensure_future(queue.settle(claim_row(psn_no, certno, f"{psn_no}-a"), CLERK))
        await asyncio.sleep(0)  # queued, and its batch started
        gone.cancel()
        # The next claim waits for the batch in flight; when it returns, the first is stored.
        return await queue.settle(claim_row(psn_no, certno, f"{psn_no}-b", month=5), CLERK)

    try:
        asyncio.run(main())
    finally:
        queue.close()
    with factory() as s:
        assert accumulators.read(s, psn_no, 2023).settlements == 2
