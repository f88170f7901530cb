"""PostgreSQL bulk writes (arrays through unnest) store exactly what the ORM would: JSON with
quotes, backslashes and Chinese text, NULLs, timestamps, big fen amounts; updates add up."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.store.test_ledger import make_person
from yibao.store import accumulators, pg_bulk
from yibao.store.models import AuditEntry


@pytest.fixture
def pg(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite writes with executemany")
    return engine


def test_rows_written_in_bulk_read_back_as_given(pg):
    at = dt.datetime(2023, 3, 1, 10, 0, 0, 123456)
    tricky = {"psn_name": '王"五\\', "nested": [{"a": None, "b": 1.5}], "大病": "起付线 16,901"}
    rows = [
        {
            "at": at,
            "actor": f"bulk-{i}",
            "role": "经办",
            "action": "settle",
            "entity": "settlement",
            "entity_id": f"BULK-{i}",
            "before": None if i == 1 else {"n": i, "fen": 9_007_199_254_740_993},
            "after": tricky,
        }
        for i in range(3)
    ]
    with pg.begin() as conn:
        pg_bulk.insert_rows(conn, AuditEntry.__table__, rows)
    with pg.connect() as conn:
        got = conn.execute(
            select(AuditEntry.__table__)
            .where(AuditEntry.entity_id.like("BULK-%"))
            .order_by(AuditEntry.entity_id)
        ).mappings()
        got = [dict(r) for r in got]
    assert [r["entity_id"] for r in got] == ["BULK-0", "BULK-1", "BULK-2"]
    for row, stored in zip(rows, got, strict=True):
        for key, value in row.items():
            assert stored[key] == value, key


def test_updates_in_bulk_set_the_values_and_add_the_increment(pg, factory):
    people = [make_person(factory)[0] for _ in range(2)]
    keys = {(p, 2023) for p in people}
    with pg.begin() as conn:
        accumulators.lock_many(conn, keys)  # creates the rows
        pg_bulk.update_rows(
            conn,
            accumulators.TABLE,
            ("psn_no", "year"),
            "settlements",
            [
                {
                    "psn_no": p,
                    "year": 2023,
                    "pool_paid": {"inpatient": 100 * (i + 1)},
                    "critical_paid": 7 + i,
                    "settlements": 2 + i,
                }
                for i, p in enumerate(people)
            ],
        )
    with pg.begin() as conn:
        values = accumulators.lock_many(conn, keys)
        counts = dict(
            conn.execute(
                select(accumulators.TABLE.c.psn_no, accumulators.TABLE.c.settlements).where(
                    accumulators.TABLE.c.psn_no.in_(people)
                )
            ).all()
        )
    for i, p in enumerate(people):
        assert values[(p, 2023)]["pool_paid"] == {"inpatient": 100 * (i + 1)}
        assert values[(p, 2023)]["critical_paid"] == 7 + i
        assert values[(p, 2023)]["assistance_paid"] == 0  # not in the rows: untouched
        assert counts[p] == 2 + i
