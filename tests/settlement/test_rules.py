"""Engine rules not tied to one notice: per-year deductibles, the explanation, the frames."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from tests.settlement.conftest import claim, fen, settle
from yibao.claims import CLAIM_SCHEMA
from yibao.engine.settlement import (
    Accumulators,
    accumulators_frame,
    accumulators_from_frame,
    settle_claim,
    settle_year,
)


def _with_yearly_outpatient_deductible(policy, yuan):
    """彭水 2023 with a per-year 普通门诊 deductible at 一级 (a rule several cities use)."""
    pool = policy.benefits.pools["outpatient_general"]
    deductible = pool.deductible.model_copy(
        update={"value": {"三级": 0, "二级": 0, "一级": fen(yuan)}}
    )
    pools = dict(policy.benefits.pools)
    pools["outpatient_general"] = pool.model_copy(update={"deductible": deductible})
    benefits = policy.benefits.model_copy(update={"pools": pools})
    return policy.model_copy(update={"benefits": benefits})


def test_per_year_deductible_is_met_once_across_claims(library):
    policy = _with_yearly_outpatient_deductible(library.resolve("500243", 2023), 100)
    first = claim(total=60, med_type="11", hosp_lv="08")
    second = claim(total=80, med_type="11", hosp_lv="08", setl_id="c2")
    s1, acc = settle_claim(first, policy, Accumulators())
    s2, acc = settle_claim(second, policy, acc)
    assert (s1.setlinfo["act_pay_dedc"], s1.setlinfo["hifp_pay"]) == (fen(60), 0)
    assert (s2.setlinfo["act_pay_dedc"], s2.setlinfo["hifp_pay"]) == (fen(40), fen(24))
    assert acc.deductible_used == {"outpatient_general": fen(100)}


def test_per_admission_deductible_applies_to_every_admission():
    s1, acc = settle(claim(total=1000, hosp_lv="08"))
    s2, _ = settle(claim(total=1000, hosp_lv="08", setl_id="c2"), acc)
    assert s1.setlinfo["act_pay_dedc"] == s2.setlinfo["act_pay_dedc"] == fen(100)


def test_explanation_cites_every_policy_value():
    s, _ = settle(claim(total=60000, categories="低保对象"))
    steps = {e["step"]: e for e in s.explanation}
    for needed in (
        "基本医保起付线",
        "基本医保支付比例",
        "大病保险起付线",
        "大病保险分段支付",
        "医疗救助对象",
    ):
        assert steps[needed]["source"], needed
    assert steps["大病保险起付线"]["clause"].startswith("三（二）2")
    assert steps["大病保险分段支付"]["cite"].endswith("（假定值）")  # segments are assumed
    assert steps["个人负担"]["amount"] == s.setlinfo["psn_part_amt"]
    assert {"step", "rule", "value", "source", "clause", "amount"} <= set(s.explanation[0])


def test_setldetail_has_the_three_funds():
    s, _ = settle(claim(total=60000, categories="低保对象"))
    rows = {r["fund_pay_type"]: r for r in s.setldetail}
    assert rows["390100"]["fund_payamt"] == s.setlinfo["hifp_pay"]
    assert rows["390200"]["fund_payamt"] == s.setlinfo["hifmi_pay"]
    assert rows["610100"]["fund_payamt"] == s.setlinfo["maf_pay"]
    assert rows["390200"]["crt_payb_lmt_amt"] is None  # 低保: 大病 has no cap


def test_json_is_yuan_with_pool_prop_selfpay_a_ratio():
    doc = settle(claim(total=60000, categories="低保对象"))[0].to_json()
    assert doc["setlinfo"]["hifmi_pay"] == 4403.43
    assert doc["setlinfo"]["pool_prop_selfpay"] == 0.25
    assert doc["policy"]["region"] == "500243"


def test_year_continues_from_prior_accumulators(library):
    rows = [claim(total=60000, categories="低保对象", setl_id=f"c{i}") for i in range(2)]
    for i, r in enumerate(rows):
        r["setl_time"] = dt.datetime(2023, 6, 1 + i)
    table = pa.Table.from_pylist(
        [{n: r.get(n) for n in CLAIM_SCHEMA.names} for r in rows], schema=CLAIM_SCHEMA
    )
    _, after_first = settle_year(table.slice(0, 1), library)
    second, final = settle_year(table.slice(1, 1), library, prior=after_first)
    whole, final_whole = settle_year(table, library)
    assert second.row(0, named=True) == whole.row(1, named=True)
    assert accumulators_from_frame(final) == accumulators_from_frame(final_whole)


def test_accumulators_frame_round_trips():
    acc = Accumulators(pool_paid={"统筹基金": 5}, critical_eligible=7, assistance_paid=3)
    assert accumulators_from_frame(accumulators_frame({("P1", 2023): acc})) == {("P1", 2023): acc}


def test_settle_year_carries_claim_columns_in_settlement_order(library):
    """``carry``: the claim's own columns on each settlement row, as settled (no join)."""
    rows = [
        claim(
            total=900 + i,
            setl_id=f"k{i}",
            psn_no=f"P{i % 3}",
            categories="低保对象" * (i % 2),
            when=dt.datetime(2023, 12 - i, 1, 8),
            hosp_lv=("02", "05")[i % 2],
        )
        for i in range(9)
    ]
    table = pa.Table.from_pylist(
        [{n: r.get(n) for n in CLAIM_SCHEMA.names} for r in rows], schema=CLAIM_SCHEMA
    )
    out, _ = settle_year(table, library, carry=("setl_time", "hosp_lv", "categories"))
    by_id = {r["setl_id"]: r for r in rows}
    for got in out.iter_rows(named=True):
        sent = by_id[got["setl_id"]]
        assert (got["setl_time"], got["hosp_lv"], got["categories"]) == (
            sent["setl_time"],
            sent["hosp_lv"],
            sent["categories"],
        )
    plain, _ = settle_year(table, library)
    assert out.drop("setl_time", "hosp_lv", "categories").equals(plain)
