"""The demo's bulk load writes the aggregates with the settlements (SQLite and PostgreSQL):
they equal the settlements summed afresh, also after a loaded settlement is reversed, and a
store migrated from before revision 0007 gets them from its settlements."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from tests.store.databases import database
from yibao.demo.run import run_demo
from yibao.store import aggregates, ledger, make_engine, session_factory, transaction, upgrade
from yibao.store.aggregate_models import AggCell, AggPersonYear, SettlementListing
from yibao.store.audit import Actor
from yibao.store.models import Settlement


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def loaded(request, tmp_path_factory, library):
    with database(request.param, tmp_path_factory.mktemp("aggdemo"), "aggdemo") as url:
        engine = make_engine(url)
        upgrade(engine)
        run_demo("500243", 2023, 300, 11, engine, library, lambda _: None, time.perf_counter)
        yield engine
        engine.dispose()


def _totals(conn):
    s = Settlement.__table__
    direct = conn.execute(
        select(func.count(), func.sum(s.c.hifp_pay), func.sum(s.c.psn_part_amt)).where(
            s.c.status == "settled"
        )
    ).one()
    c = AggCell.__table__
    cells = conn.execute(
        select(func.sum(c.c.settlements), func.sum(c.c.hifp_pay), func.sum(c.c.psn_part_amt))
    ).one()
    return tuple(int(v) for v in direct), tuple(int(v) for v in cells)


def test_loaded_year_has_its_aggregates(loaded):
    with loaded.connect() as conn:
        direct, cells = _totals(conn)
        result = aggregates.check(conn)
        listed = conn.scalar(select(func.count()).select_from(SettlementListing))
        persons = conn.scalar(select(func.count()).select_from(AggPersonYear))
    assert direct[0] > 300 and direct == cells
    assert listed == direct[0] and persons > 100
    assert result.ok, result.summary()


def test_reversing_a_loaded_settlement_takes_it_out(loaded):
    factory = session_factory(loaded)
    with loaded.connect() as conn:
        before = _totals(conn)[0]
        setl_id, hifp = conn.execute(
            select(Settlement.setl_id, Settlement.hifp_pay)
            .where(Settlement.status == "settled", Settlement.hifp_pay > 0)
            .order_by(Settlement.setl_id)
            .limit(1)
        ).one()
    with transaction(factory) as s:
        ledger.reverse(s, setl_id, Actor("reviewer", "审核"), "测试")
    with loaded.connect() as conn:
        direct, cells = _totals(conn)
        result = aggregates.check(conn)
    assert direct == cells == (before[0] - 1, before[1] - hifp, direct[2])
    assert result.ok, result.summary()


def test_a_store_from_before_0007_is_rebuilt_by_the_migration(loaded):
    """Emptied tables (as a store created before the revision) come back by rebuild, which
    is what revision 0007's upgrade runs."""
    with loaded.begin() as conn:
        want = aggregates.recompute(conn)
        for table in (AggCell, AggPersonYear, SettlementListing):
            conn.execute(table.__table__.delete())
        assert not aggregates.check(conn).ok
        aggregates.rebuild(conn, verify=False)
        assert aggregates.recompute(conn) == want
        assert aggregates.check(conn).ok
