"""Real-time settlement against the store agrees with the engine, is idempotent and reversible."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from yibao.claims import ClaimIn
from yibao.engine.settlement import Accumulators, settle_claim
from yibao.idcard import make_id
from yibao.store import accumulators, ledger, persons, transaction
from yibao.store.audit import Actor
from yibao.store.errors import Conflict, Invalid

CLERK = Actor("clerk", "经办")
REVIEWER = Actor("reviewer", "审核")
_seq = itertools.count(1)


def make_person(factory, categories=(), enrolled_years=(2023,)) -> tuple[str, str]:
    """A 咸宁 person, enrolled (the register decides) for each of ``enrolled_years`` with
    coverage for the whole year."""
    n = next(_seq)
    certno = make_id("422301", dt.date(1970, 1, 1) + dt.timedelta(days=n), n % 1000)
    psn_no = f"L{n:06d}"
    with transaction(factory) as s:
        persons.create_person(
            s,
            persons.PersonSpec(
                certno=certno,
                psn_name="李四",
                insuplc_admdvs="421200",
                psn_no=psn_no,
                categories=tuple(persons.CategorySpan(c, dt.date(2023, 1, 1)) for c in categories),
            ),
        )
        for year in enrolled_years:
            persons.enroll(
                s,
                persons.EnrollmentSpec(
                    psn_no=psn_no,
                    year=year,
                    enrolled_on=dt.date(year - 1, 11, 1),
                    insuplc_admdvs="421200",
                    coverage_begin=dt.date(year, 1, 1),
                    coverage_end=dt.date(year, 12, 31),
                    coverage_rule="集中参保期内缴费",
                ),
            )
    return psn_no, certno


STORE_ONLY = ("mdtrt_id", "setl_time")  # what the store adds to the engine's setlinfo


def engine_setlinfo(setlinfo: dict) -> dict:
    """The engine's part of a stored setlinfo (the store adds mdtrt_id and setl_time)."""
    return {k: v for k, v in setlinfo.items() if k not in STORE_ONLY}


def claim_row(psn_no, certno, setl_id, total="20000.00", month=3):
    return ClaimIn(
        setl_id=setl_id,
        psn_no=psn_no,
        certno=certno,
        insuplc_admdvs="421200",
        med_type="21",
        hosp_lv="05",
        setl_time=dt.datetime(2023, month, 1, 10),
        begndate=dt.date(2023, month, 1) - dt.timedelta(days=5),
        enddate=dt.date(2023, month, 1),
        medfee_sumamt=total,
        fulamt_ownpay_amt="1000.00",
    ).to_row()


def test_settlement_pays_what_the_engine_pays_and_updates_the_accumulators(factory, library):
    psn_no, certno = make_person(factory)
    rows = [claim_row(psn_no, certno, f"{psn_no}-{i}", month=i + 1) for i in range(3)]
    acc = Accumulators.empty()
    expected = []
    for row in rows:
        result, acc = settle_claim(row, library.resolve("421200", 2023), acc)
        expected.append(result.to_json()["setlinfo"])
    with transaction(factory) as s:
        got = [ledger.settle(s, library, row, CLERK).document["setlinfo"] for row in rows[:1]]
    for row in rows[1:]:
        with transaction(factory) as s:
            got.append(ledger.settle(s, library, row, CLERK).document["setlinfo"])
    assert [engine_setlinfo(g) for g in got] == expected
    with factory() as s:
        assert accumulators.as_dict(accumulators.read(s, psn_no, 2023)) == accumulators.as_dict(acc)


def test_a_retry_returns_the_stored_result_and_settles_nothing(factory, library):
    psn_no, certno = make_person(factory)
    row = claim_row(psn_no, certno, f"{psn_no}-r")
    with transaction(factory) as s:
        first = ledger.settle(s, library, row, CLERK)
    with transaction(factory) as s:
        again = ledger.settle(s, library, row, CLERK)
    assert again.replayed and not first.replayed
    assert again.document == first.document
    with factory() as s:
        assert accumulators.read(s, psn_no, 2023).settlements == 1


def test_a_retry_with_other_content_is_a_conflict(factory, library):
    psn_no, certno = make_person(factory)
    with transaction(factory) as s:
        ledger.settle(s, library, claim_row(psn_no, certno, f"{psn_no}-c"), CLERK)
    with pytest.raises(Conflict, match="setl_id"), transaction(factory) as s:
        ledger.settle(s, library, claim_row(psn_no, certno, f"{psn_no}-c", "9999.00"), CLERK)


def test_the_id_number_must_match_the_person(factory, library):
    psn_no, _ = make_person(factory)
    _, other_certno = make_person(factory)
    with pytest.raises(Invalid, match="certno"), transaction(factory) as s:
        ledger.settle(s, library, claim_row(psn_no, other_certno, f"{psn_no}-x"), CLERK)


def test_reversal_gives_back_what_the_claim_consumed(factory, library):
    psn_no, certno = make_person(factory)
    with transaction(factory) as s:
        ledger.settle(s, library, claim_row(psn_no, certno, f"{psn_no}-1", month=2), CLERK)
    with factory() as s:
        after_first = accumulators.as_dict(accumulators.read(s, psn_no, 2023))
    with transaction(factory) as s:
        ledger.settle(s, library, claim_row(psn_no, certno, f"{psn_no}-2", month=3), CLERK)
    with transaction(factory) as s:
        out = ledger.reverse(s, f"{psn_no}-2", REVIEWER, "重复结算")
    assert out.document["status"] == "reversed"
    with transaction(factory) as s:
        assert ledger.reverse(s, f"{psn_no}-2", REVIEWER, "重复结算").replayed
    with factory() as s:
        row = accumulators.read(s, psn_no, 2023)
        assert Accumulators(**accumulators.as_dict(row)) == Accumulators(**after_first)
        assert row.settlements == 1


def test_preview_writes_nothing(factory, library):
    psn_no, certno = make_person(factory)
    with transaction(factory) as s:
        doc = ledger.preview(s, library, claim_row(psn_no, certno, f"{psn_no}-p"))
    assert doc["status"] == "preview" and doc["setlinfo"]["hifp_pay"] > 0
    with factory() as s:
        assert accumulators.read(s, psn_no, 2023) is None
