"""枣庄 2023 （四）: 门诊单独支付药品 (med_type 9902, the 双通道 high-cost drugs) in 大病 and 医疗救助.

枣医保发〔2023〕43号 （四）: 门诊慢特病医疗费用及门诊单独支付药品医疗费用经基本医保报销后政策范围内
个人自付部分、起付标准以下和支付限额以上的费用，按规定纳入大病保险和医疗救助保障范围. The policy
scope left after the basic fund — the self-pay share, any deductible and what lies above the
basic fund's limit — runs into the 大病 running total and then the 救助 base. 枣庄's own numbers
here: 大病 起付线 17,853 元 (assumed, 50% of 35,705), 救助 for 低保对象 70% without a deductible
(国办发〔2021〕42号 四（三）); the basic fund for 单独支付药品 (60%, 150,000 元 a year) is assumed.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from tests.settlement.conftest import claim, fen, settle
from yibao.engine.settlement import Accumulators, settle_claim, settle_year
from yibao.policy import default_library


def drug(region="370400", total=60_000, **kw):
    return claim(region, total=total, med_type="9902", hosp_lv="02", **kw)


def test_zaozhuang_4_separately_paid_drugs_count_toward_critical_illness():
    s, acc = settle(drug())
    info = s.setlinfo
    assert info["hifp_pay"] == fen(36_000)  # 60,000 × 60%
    assert acc.critical_eligible == fen(24_000)  # the self-pay of the policy scope
    assert info["hifmi_pay"] == fen("3688.20")  # (24,000 − 17,853) × 60%
    assert info["maf_pay"] == 0  # not a 救助对象
    assert info["psn_part_amt"] == fen("20311.80")


def test_zaozhuang_4_not_so_where_no_notice_says_it():
    # 池州 (national default): 单独支付药品 are outside the 大病 pools.
    s, acc = settle(drug("341700"))
    assert s.setlinfo["hifp_pay"] == fen(36_000)
    assert acc.critical_eligible == 0 and s.setlinfo["hifmi_pay"] == 0


def test_zaozhuang_4_separately_paid_drugs_count_toward_medical_assistance():
    # 低保对象: 大病 tilt (起付线 17,853 × 50% = 8,926.50, 60% + 5) then 救助 70% of the rest.
    s, _ = settle(drug(categories="低保对象"))
    info = s.setlinfo
    assert info["hifmi_pay"] == fen("9797.78")  # (24,000 − 8,926.50) × 65% = 9,797.775
    assert info["maf_pay"] == fen("9941.55")  # (24,000 − 9,797.78) × 70% = 9,941.554
    assert info["psn_part_amt"] == fen("4260.67")
    assert info["fund_pay_sumamt"] + info["psn_part_amt"] == info["medfee_sumamt"]


def test_zaozhuang_4_above_the_basic_limit_counts_toward_critical_illness():
    # 支付限额以上: 300,000 元 of drugs; the basic fund stops at its 150,000 元 limit and the
    # other 150,000 of policy scope is 大病-eligible: (100,000 − 17,853) × 60% + 50,000 × 70%.
    s, acc = settle(drug(total=300_000))
    assert s.setlinfo["hifp_pay"] == fen(150_000)
    assert acc.critical_eligible == fen(150_000)
    assert s.setlinfo["hifmi_pay"] == fen("84288.20")


def test_zaozhuang_4_batch_equals_real_time():
    rows = [
        drug(total=8_000, setl_id="a", when=dt.datetime(2023, 2, 1, 9)),
        claim(
            "370400",
            total=30_000,
            med_type="21",
            hosp_lv="05",
            setl_id="b",
            when=dt.datetime(2023, 3, 1, 9),
        ),
        drug(total=45_000, setl_id="c", when=dt.datetime(2023, 4, 1, 9)),
        claim(
            "370400",
            total=3_000,
            med_type="14",
            hosp_lv="08",
            setl_id="d",
            when=dt.datetime(2023, 5, 1, 9),
        ),
    ]
    rows = [{**r, "categories": "低保对象"} for r in rows]
    library = default_library()
    frame, _ = settle_year(pl.DataFrame(rows), library)
    acc = Accumulators.empty()
    policy = library.resolve("370400", 2023)
    for row in rows:
        s, acc = settle_claim(row, policy, acc)
        batch = frame.filter(pl.col("setl_id") == row["setl_id"]).row(0, named=True)
        for name in ("hifp_pay", "hifmi_pay", "maf_pay", "psn_part_amt"):
            assert batch[name] == s.setlinfo[name], (row["setl_id"], name)
    assert acc.critical_paid > 0 and acc.assistance_paid > 0
