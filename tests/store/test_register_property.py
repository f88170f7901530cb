"""Property (issue 13): on the stored path the fund pays exactly what the engine pays for the
facts the register holds, and nothing outside coverage; claims that name another 参保地 or a
category the register does not hold on the settlement day are refused and write nothing.

Random persons with categories that have validity dates, enrollments with waiting periods (or
none), claims in and out of coverage; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.store.test_ledger import CLERK, engine_setlinfo
from yibao.claims import ClaimIn
from yibao.engine.register import NotInsured, RegisterError
from yibao.engine.settlement import Accumulators, settle_claim
from yibao.idcard import make_id
from yibao.store import accumulators, ledger, persons, transaction
from yibao.store.errors import Invalid

YEAR = 2023
REGIONS = ("421200", "500243")
CATEGORIES = ("低保对象", "特困人员", "稳定脱贫人口")
_seq = itertools.count(1)
day_of_year = st.integers(min_value=0, max_value=364)


def _day(n: int) -> dt.date:
    return dt.date(YEAR, 1, 1) + dt.timedelta(days=n)


categories = st.lists(
    st.tuples(
        st.sampled_from(CATEGORIES),
        day_of_year,  # begins
        st.one_of(st.none(), st.integers(min_value=0, max_value=200)),  # lasts (days) or open
    ),
    max_size=2,
)
enrollment = st.one_of(
    st.none(),
    st.tuples(
        st.sampled_from((0, 0, 30, 90, 200)),  # waiting days before benefits begin
        st.sampled_from((364, 364, 300, 150)),  # coverage ends on this day (not before it begins)
    ).map(lambda wait_end: (wait_end[0], max(wait_end))),
)
claims = st.lists(
    st.tuples(
        day_of_year,  # admission
        st.integers(min_value=0, max_value=20),  # length of stay
        st.integers(min_value=100, max_value=8_000_000),  # total, fen
        st.sampled_from(("own", "own", "own", "other")),  # 参保地 the claim names
        st.sampled_from(("none", "none", "held", "unheld")),  # categories the claim names
    ),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    region=st.sampled_from(REGIONS),
    spans=categories,
    enrolled=enrollment,
    visits=claims,
)
def test_the_fund_pays_what_the_engine_pays_for_the_registered_facts(
    factory, library, region, spans, enrolled, visits
):
    n = next(_seq)
    psn_no = f"RP{n:06d}"
    certno = make_id(region, dt.date(1960, 1, 1) + dt.timedelta(days=n), n % 1000)
    held_spans = [
        (c, _day(b), None if d is None else min(_day(b) + dt.timedelta(days=d), _day(364)))
        for c, b, d in spans
    ]
    with transaction(factory) as s:
        persons.create_person(
            s,
            persons.PersonSpec(
                certno=certno,
                psn_name="随机",
                insuplc_admdvs=region,
                psn_no=psn_no,
                categories=tuple(persons.CategorySpan(c, b, e) for c, b, e in held_spans),
            ),
        )
        if enrolled is not None:
            waiting, ends = enrolled
            persons.enroll(
                s,
                persons.EnrollmentSpec(
                    psn_no=psn_no,
                    year=YEAR,
                    enrolled_on=_day(max(waiting - 90, 0)) if waiting else dt.date(YEAR - 1, 11, 1),
                    insuplc_admdvs=region,
                    coverage_begin=_day(waiting),
                    coverage_end=_day(ends),
                ),
            )
    policy = library.resolve(region, YEAR)
    acc = Accumulators.empty()
    for i, (admit, stay, total, names_region, names_categories) in enumerate(
        sorted(visits, key=lambda v: v[0] + v[1])
    ):
        begin = _day(admit)
        end = min(begin + dt.timedelta(days=stay), _day(364))
        setl_time = dt.datetime.combine(end, dt.time(10, i))
        valid = [c for c, b, e in held_spans if b <= end and (e is None or end <= e)]
        held = list(dict.fromkeys(valid))
        unheld = [c for c in CATEGORIES if c not in held][:1]
        named = {"none": [], "held": held[:1], "unheld": unheld}[names_categories]
        other = next(r for r in REGIONS if r != region)
        row = ClaimIn(
            setl_id=f"{psn_no}-{i}",
            psn_no=psn_no,
            certno=certno,
            insuplc_admdvs=region if names_region == "own" else other,
            categories=named,
            med_type="21",
            hosp_lv="05",
            setl_time=setl_time,
            begndate=begin,
            enddate=end,
            medfee_sumamt=f"{total / 100:.2f}",
            fulamt_ownpay_amt=f"{total // 10 / 100:.2f}",
        ).to_row()
        refused = (
            enrolled is None
            or names_region == "other"
            or (names_categories == "unheld" and bool(unheld))
        )
        try:
            with transaction(factory) as s:
                stored = ledger.settle(s, library, row, CLERK).document
        except (RegisterError, Invalid) as exc:
            assert refused, exc
            if enrolled is None:
                assert isinstance(exc, NotInsured)
            with factory() as s:
                assert ledger._stored(s, row["setl_id"]) is None
            continue
        assert not refused, row
        waiting, ends = enrolled
        registered = {
            **row,
            "tier": 1,
            "categories": "|".join(held),
            "coverage_begin": _day(waiting),
            "coverage_end": _day(ends),
        }
        expected, acc = settle_claim(registered, policy, acc)
        assert engine_setlinfo(stored["setlinfo"]) == expected.to_json()["setlinfo"]
        covered = _day(waiting) <= begin <= _day(ends)
        assert stored["entitlement"]["payable"] is covered
        if not covered:
            assert stored["setlinfo"]["fund_pay_sumamt"] == 0
    with factory() as s:
        row = accumulators.read(s, psn_no, YEAR)
        assert accumulators.to_engine(row, Accumulators) == acc
