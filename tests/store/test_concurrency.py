"""Concurrent settlements of one person cannot both spend the same remaining cap, and concurrent
retries of one claim settle it once (row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from tests.store.test_ledger import CLERK, claim_row, make_person
from yibao.engine.settlement import Accumulators, settle_claim
from yibao.store import accumulators, ledger, transaction
from yibao.store.models import Settlement

N = 50


def _settle(factory, library, row):
    with transaction(factory) as s:
        return ledger.settle(s, library, row, CLERK)


def test_fifty_concurrent_settlements_pay_what_one_thread_pays(factory, library):
    psn_no, certno = make_person(factory, categories=("低保对象",))
    # Identical large admissions: the yearly caps run out part-way, so a lost update would pay
    # more than the caps allow; the order does not change the year's totals.
    rows = [claim_row(psn_no, certno, f"{psn_no}-{i:02d}", total="60000.00") for i in range(N)]
    with ThreadPoolExecutor(max_workers=N) as pool:
        outcomes = list(pool.map(lambda r: _settle(factory, library, r), rows))
    assert not any(o.replayed for o in outcomes)

    policy = library.resolve("421200", 2023)
    acc = Accumulators.empty()
    expected = {"hifp_pay": 0, "hifmi_pay": 0, "maf_pay": 0}
    first: dict[str, int] = {}
    for row in rows:
        result, acc = settle_claim({**row, "categories": "低保对象", "tier": 1}, policy, acc)
        first = first or {k: int(result.setlinfo[k]) for k in expected}
        for k in expected:
            expected[k] += int(result.setlinfo[k])
    # The basic fund's and 医疗救助's yearly caps bind: N unserialised settlements would each
    # pay what the first one pays.
    assert expected["hifp_pay"] < N * first["hifp_pay"]
    assert expected["maf_pay"] < N * first["maf_pay"]
    with factory() as s:
        paid = {
            k: s.scalar(select(func.sum(getattr(Settlement, k))).where(Settlement.psn_no == psn_no))
            for k in expected
        }
        stored = accumulators.read(s, psn_no, 2023)
    assert paid == expected
    assert Accumulators(**accumulators.as_dict(stored)) == acc
    assert stored.settlements == N


def test_concurrent_retries_of_one_claim_settle_it_once(factory, library):
    psn_no, certno = make_person(factory)
    row = claim_row(psn_no, certno, f"{psn_no}-same")
    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(lambda _: _settle(factory, library, row), range(10)))
    assert sum(not o.replayed for o in outcomes) == 1
    assert len({str(o.document) for o in outcomes}) == 1
    with factory() as s:
        assert accumulators.read(s, psn_no, 2023).settlements == 1
