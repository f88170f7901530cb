"""池州 2023 二、7: 两病门诊用药 and 门诊慢特病 are not reimbursed twice (benefits.exclusive_pools).

池医保发〔2023〕6号 二、7: 做好普通门诊、“两病”门诊用药专项保障与慢特病门诊保障的政策衔接，避免重复报销、
重复享受待遇. Encoded as [two_diseases, chronic_outpatient]: the pool given up, then the one that
prevails (医保发〔2019〕54号: “两病”患者已纳入门诊慢特病保障的，按门诊慢特病执行). Once the person-year
has policy-scope spending under 门诊慢特病 (med_type 14), later 两病 claims (9901) are paid by no
fund; a 两病 claim before that stays paid, and 门诊慢特病 is never held back by 两病. 池州's numbers:
两病 50%, 500 元 a year; 门诊慢特病 一级 70% (both assumed, 池州 does not list them).
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.settlement.conftest import claim, fen, settle
from yibao.engine.settlement import (
    SETLINFO_AMOUNTS,
    Accumulators,
    accumulators_frame,
    accumulators_from_frame,
    reverse_settlement,
    settle_claim,
    settle_year,
)
from yibao.engine.settlement_rules import SettlementError, claim_rules
from yibao.policy import default_library

JAN, MAR, MAY = (dt.datetime(2023, m, 1, 9) for m in (1, 3, 5))


def chronic(region="341700", total=600, when=MAR, setl_id="m", **kw):
    return claim(region, total=total, med_type="14", hosp_lv="08", when=when, setl_id=setl_id, **kw)


def two_diseases(region="341700", total=200, when=MAY, setl_id="t", **kw):
    return claim(
        region, total=total, med_type="9901", hosp_lv="08", when=when, setl_id=setl_id, **kw
    )


def test_chizhou_2_7_two_diseases_after_chronic_outpatient_paid_by_no_fund():
    m, acc = settle(chronic())
    assert m.setlinfo["hifp_pay"] == fen(420)  # 600 × 70%
    t, acc = settle(two_diseases(), acc)
    info = t.setlinfo
    assert (info["hifp_pay"], info["hifmi_pay"], info["maf_pay"]) == (0, 0, 0)
    assert info["psn_part_amt"] == fen(200)
    step = next(e for e in t.explanation if e["step"] == "待遇衔接")
    assert step["clause"].startswith("二、7") and "门诊慢特病" in step["rule"]


def test_chizhou_2_7_two_diseases_before_chronic_outpatient_stays_paid():
    t, acc = settle(two_diseases(when=JAN))
    assert t.setlinfo["hifp_pay"] == fen(100)  # 200 × 50%
    m, acc = settle(chronic(), acc)
    assert m.setlinfo["hifp_pay"] == fen(420)  # 门诊慢特病 prevails: never held back
    assert not any(e["step"] == "待遇衔接" for e in m.explanation)


def test_chizhou_2_7_also_for_assistance():
    # 低保对象: the excluded 两病 claim gets no 医疗救助 either (重复享受待遇).
    _, acc = settle(chronic(categories="低保对象"))
    t, _ = settle(two_diseases(categories="低保对象"), acc)
    assert t.setlinfo["fund_pay_sumamt"] == 0


def test_chizhou_2_7_a_chronic_claim_in_the_waiting_period_is_no_use():
    # Not covered on the day (等待期): no policy-scope spending under 门诊慢特病, no exclusion.
    _, acc = settle(chronic(coverage_begin=dt.date(2023, 4, 1)))
    t, _ = settle(two_diseases(coverage_begin=dt.date(2023, 4, 1)), acc)
    assert t.setlinfo["hifp_pay"] == fen(100)


def test_chizhou_2_7_only_where_a_notice_says_it():
    _, acc = settle(chronic("421200"))
    t, _ = settle(two_diseases("421200"), acc)
    assert t.setlinfo["hifp_pay"] > 0


def test_chizhou_2_7_reversing_the_chronic_claim_gives_the_use_back():
    m, acc = settle(chronic())
    assert acc.deductible_used == {"chronic_outpatient": fen(600)}
    acc = reverse_settlement(m, acc)
    t, _ = settle(two_diseases(), acc)
    assert t.setlinfo["hifp_pay"] == fen(100)


def test_chizhou_2_7_batch_reads_the_use_from_prior_accumulators():
    _, acc = settle(chronic())
    prior = accumulators_frame({("P1", 2023): acc})
    frame, _ = settle_year(pl.DataFrame([two_diseases()]), default_library(), prior)
    assert frame.row(0, named=True)["fund_pay_sumamt"] == 0


def test_exclusive_pools_longer_chain_refused(library):
    policy = library.resolve("341700", 2023)
    b = policy.benefits
    chain = b.exclusive_pools.model_copy(
        update={"value": [["outpatient_general", "two_diseases", "chronic_outpatient"]]}
    )
    policy = policy.model_copy(update={"benefits": b.model_copy(update={"exclusive_pools": chain})})
    with pytest.raises(SettlementError, match=r"^benefits\.exclusive_pools: "):
        claim_rules(policy, "9901", "08", 1, ())


CATEGORIES = st.sampled_from(("", "低保对象", "特困人员"))


@st.composite
def chizhou_years(draw, changing):
    """Persons' 池州 years; ``changing``: categories change between claims, so that caps change
    within the year and the batch settles those persons step by step (not by running sums)."""
    rows = []
    for p in range(draw(st.integers(1, 4))):
        cats = draw(CATEGORIES)
        tier = draw(st.sampled_from((1, 2)))
        waiting = draw(st.sampled_from((None, None, dt.date(2023, 4, 1))))
        n = draw(st.integers(1, 8))
        minutes = sorted(draw(st.lists(st.integers(0, 364 * 24 * 60), min_size=n, max_size=n)))
        for i, minute in enumerate(minutes):
            total = draw(st.integers(0, 3_000_000))
            ful = draw(st.integers(0, total))
            rows.append(
                claim(
                    "341700",
                    med_type=draw(st.sampled_from(("14", "9901", "9901", "21", "11"))),
                    hosp_lv=draw(st.sampled_from(("02", "05", "08"))),
                    when=dt.datetime(2023, 1, 1) + dt.timedelta(minutes=minute),
                    setl_id=f"P{p}-{i}",
                    psn_no=f"P{p}",
                    categories=draw(CATEGORIES) if changing else cats,
                    tier=tier,
                    coverage_begin=waiting,
                )
                | {"medfee_sumamt": total, "fulamt_ownpay_amt": ful}
            )
    return rows


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.booleans().flatmap(chizhou_years))
def test_chizhou_2_7_batch_equals_real_time_to_the_fen(rows):
    library = default_library()
    policy = library.resolve("341700", 2023)
    frame, final = settle_year(pl.DataFrame(rows), library)
    accs: dict[str, Accumulators] = {}
    for row in sorted(rows, key=lambda r: (r["psn_no"], r["setl_time"], r["setl_id"])):
        s, accs[row["psn_no"]] = settle_claim(row, policy, accs.get(row["psn_no"], Accumulators()))
        batch = frame.filter(pl.col("setl_id") == row["setl_id"]).row(0, named=True)
        assert {k: batch[k] for k in SETLINFO_AMOUNTS} == {
            k: s.setlinfo[k] for k in SETLINFO_AMOUNTS
        }
    assert {psn: a for (psn, _), a in accumulators_from_frame(final).items()} == accs
