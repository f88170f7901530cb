"""The stored aggregates are written with every settlement and reversal (real-time path,
group-commit batch, on SQLite and PostgreSQL) and always equal the settlements summed afresh;
the check finds a wrong row and the rebuild mends it."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import func, select, update

from tests.store.test_ledger import CLERK, REVIEWER, claim_row
from yibao.idcard import make_id
from yibao.store import aggregates, ledger, persons, settle_batch, transaction
from yibao.store.aggregate_models import AggCell, AggPersonYear, SettlementListing
from yibao.store.models import Household
from yibao.store.models import Settlement as SettlementRow

_seq = itertools.count(1)


def _person(factory, township: str, categories=()) -> tuple[str, str]:
    """A 咸宁 person in a household of ``township``, enrolled for 2023."""
    n = next(_seq)
    certno = make_id("422301", dt.date(1980, 1, 1) + dt.timedelta(days=n), n % 1000)
    psn_no, hh_id = f"AG{n:06d}", f"HH-AG-{n}"
    with transaction(factory) as s:
        s.add(Household(hh_id=hh_id, admdvs="421202", addr=f" {township} "))
        s.flush()
        persons.create_person(
            s,
            persons.PersonSpec(
                certno=certno,
                psn_name="王五",
                insuplc_admdvs="421200",
                psn_no=psn_no,
                hh_id=hh_id,
                categories=tuple(persons.CategorySpan(c, dt.date(2023, 1, 1)) for c in categories),
            ),
        )
        persons.enroll(
            s,
            persons.EnrollmentSpec(
                psn_no=psn_no,
                year=2023,
                enrolled_on=dt.date(2022, 11, 1),
                insuplc_admdvs="421200",
                coverage_begin=dt.date(2023, 1, 1),
                coverage_end=dt.date(2023, 12, 31),
                coverage_rule="集中参保期内缴费",
            ),
        )
    return psn_no, certno


def _direct(engine, psn_nos):
    """Σ per person of the settled settlements, straight from the settlements table."""
    s = SettlementRow.__table__
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                s.c.psn_no,
                func.count(),
                func.sum(s.c.medfee_sumamt),
                func.sum(s.c.hifp_pay),
                func.sum(s.c.hifmi_pay),
                func.sum(s.c.maf_pay),
                func.sum(s.c.psn_part_amt),
            )
            .where(s.c.status == "settled", s.c.psn_no.in_(psn_nos))
            .group_by(s.c.psn_no)
        ).all()
    return {r[0]: tuple(int(v) for v in r[1:]) for r in rows}


def _stored(engine, psn_nos):
    t = AggPersonYear.__table__
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                t.c.psn_no,
                t.c.settlements,
                t.c.medfee_sumamt,
                t.c.hifp_pay,
                t.c.hifmi_pay,
                t.c.maf_pay,
                t.c.psn_part_amt,
            ).where(t.c.psn_no.in_(psn_nos), t.c.settlements > 0)
        ).all()
    return {r[0]: tuple(int(v) for v in r[1:]) for r in rows}


def _cells_hifp(engine, township):
    t = AggCell.__table__
    with engine.connect() as conn:
        return conn.execute(
            select(t.c.month, t.c.categories, t.c.settlements, t.c.hifp_pay).where(
                t.c.township == township, t.c.settlements != 0
            )
        ).all()


def test_settling_and_reversing_keep_the_aggregates_equal_to_the_settlements(
    engine, factory, library
):
    town = f"测试镇{next(_seq)}"
    a, a_cert = _person(factory, town)
    b, b_cert = _person(factory, town, categories=("特困人员",))
    ids = [f"AGG{next(_seq):06d}" for _ in range(5)]
    # Real time, one claim per transaction (ledger.settle).
    with transaction(factory) as s:
        ledger.settle(s, library, claim_row(a, a_cert, ids[0], "20000.00", month=3), CLERK)
    with transaction(factory) as s:
        ledger.settle(s, library, claim_row(a, a_cert, ids[1], "150000.00", month=5), CLERK)
    # Group commit: three claims of two person-years in one transaction (pg pipeline on PG).
    requests = [
        settle_batch.SettleRequest(claim_row(b, b_cert, ids[2], "8000.00", month=3), CLERK),
        settle_batch.SettleRequest(claim_row(a, a_cert, ids[3], "3000.00", month=5), CLERK),
        settle_batch.SettleRequest(claim_row(b, b_cert, ids[4], "60000.00", month=7), CLERK),
    ]
    results = settle_batch.run(engine, library, requests)
    assert not [r for r in results if isinstance(r, Exception)]
    # A replay adds nothing.
    assert settle_batch.run(engine, library, requests[:1])[0].replayed
    before = _direct(engine, [a, b])
    assert _stored(engine, [a, b]) == before
    assert before[a][0] == 3 and before[b][0] == 2
    # Reverse one of each path; reversing twice takes nothing out twice.
    for setl_id in (ids[1], ids[4], ids[4]):
        with transaction(factory) as s:
            ledger.reverse(s, setl_id, REVIEWER, "测试撤销")
    after = _direct(engine, [a, b])
    assert after[a][0] == 2 and after[b][0] == 1
    assert _stored(engine, [a, b]) == after
    # The cells of the township (med_type 21, hosp_lv 05): March holds a's claim and b's (as
    # 特困人员, a cell of its own); May a's 3000 only (the 150000 was reversed); July nothing.
    cells = {(m, cats): (n, hifp) for m, cats, n, hifp in _cells_hifp(engine, town)}
    assert set(cells) == {(3, ""), (3, "特困人员"), (5, "")}
    assert [cells[k][0] for k in sorted(cells)] == [1, 1, 1]
    assert sum(hifp for _, hifp in cells.values()) == after[a][2] + after[b][2]
    # The listing (结算查询): every settlement once, the reversed ones marked.
    listing = SettlementListing.__table__
    with engine.connect() as conn:
        listed = dict(
            conn.execute(
                select(listing.c.setl_id, listing.c.status).where(listing.c.setl_id.in_(ids))
            ).all()
        )
        result = aggregates.check(conn)
    assert listed == {i: "reversed" if i in (ids[1], ids[4]) else "settled" for i in ids}
    assert result.ok, result.summary()


def test_check_finds_a_wrong_row_and_rebuild_mends_it(engine, factory, library):
    town = f"核对镇{next(_seq)}"
    a, a_cert = _person(factory, town)
    with transaction(factory) as s:
        ledger.settle(s, library, claim_row(a, a_cert, f"AGX{next(_seq):06d}"), CLERK)
    with engine.begin() as conn:
        conn.execute(
            update(AggCell.__table__)
            .where(AggCell.__table__.c.township == town)
            .values(hifp_pay=AggCell.__table__.c.hifp_pay + 1)
        )
    with engine.connect() as conn:
        broken = aggregates.check(conn)
    assert not broken.ok
    assert broken.mismatch_count == 1
    (diff,) = broken.mismatches
    assert diff["table"] == "agg_cells" and town in diff["key"]
    assert diff["fields"]["hifp_pay"]["stored"] == diff["fields"]["hifp_pay"]["settlements"] + 1
    assert "aggregates FAILED" in broken.summary()
    with engine.begin() as conn:  # a listing row lost is found too
        conn.execute(
            SettlementListing.__table__.delete().where(SettlementListing.__table__.c.psn_no == a)
        )
        lost = aggregates.check(conn)
    assert lost.mismatch_count == 2
    assert {m["table"] for m in lost.mismatches} == {"agg_cells", "settlement_listing"}
    (gone,) = [m for m in lost.mismatches if m["table"] == "settlement_listing"]
    assert gone["fields"]["psn_no"] == {"stored": None, "settlements": a}
    with engine.begin() as conn:
        mended = aggregates.rebuild(conn)
    assert mended is not None and mended.ok


def test_db_check_reports_the_aggregates_and_repair_rebuilds_them(engine, factory, library, db_url):
    from yibao.store import backup

    town = f"修复镇{next(_seq)}"
    a, a_cert = _person(factory, town)
    with transaction(factory) as s:
        ledger.settle(s, library, claim_row(a, a_cert, f"AGR{next(_seq):06d}"), CLERK)
    with engine.begin() as conn:
        conn.execute(
            update(AggPersonYear.__table__)
            .where(AggPersonYear.__table__.c.psn_no == a)
            .values(settlements=5)
        )
    found = backup.check(db_url)
    assert not found.ok
    assert found.aggregates is not None and found.aggregates.mismatch_count == 1
    assert found.to_json()["aggregates"]["mismatches"][0]["key"] == [a, 2023]
    assert found.summary().startswith("FAILED: accumulators ok")
    mended = backup.check(db_url, repair=True)
    assert mended.ok, mended.summary()
