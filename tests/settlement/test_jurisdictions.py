"""Hand-checked settlements, one per rule, with each notice's own numbers (yuan)."""

from __future__ import annotations

import datetime as dt

from tests.settlement.conftest import claim, fen, settle
from yibao.engine.settlement import Accumulators


def paid(s):
    i = s.setlinfo
    return (i["hifp_pay"], i["hifmi_pay"], i["maf_pay"], i["psn_part_amt"])


# ---------------------------------------------------------------- 彭水 500243 (重庆) 2023
def test_pengshui_dibao_inpatient_60000_in_a_secondary_hospital():
    # 基本: (60000 − 300) × 75% = 44775; 大病: 低保 起付线 16901 × 50% = 8450.50, 比例 60+5 %:
    # (15225 − 8450.50) × 65% = 4403.425 → 4403.43; 救助 70%: (15225 − 4403.43) × 70% = 7575.10.
    s, _ = settle(claim(total=60000, categories="低保对象", hosp_lv="05"))
    assert paid(s) == (fen(44775), fen("4403.43"), fen("7575.10"), fen("3246.47"))
    assert s.setlinfo["act_pay_dedc"] == fen(300)
    assert s.setlinfo["pool_prop_selfpay"] == 2500


def test_pengshui_critical_illness_deductible_16901_for_ordinary_residents():
    # 三级 800 起付, 50%: hifp 49600; 大病 (50400 − 16901) × 60% = 20099.40; no assistance.
    s, _ = settle(claim(total=100000, hosp_lv="02"))
    assert paid(s) == (fen(49600), fen("20099.40"), 0, fen("30300.60"))


def test_pengshui_tier2_inpatient_ratio_90_percent_in_primary_hospital():
    s, _ = settle(claim(total=10000, hosp_lv="08", tier=2))
    assert s.setlinfo["hifp_pay"] == fen(8910)  # (10000 − 100) × 90%


def test_pengshui_outpatient_cap_300_tier1_500_tier2():
    s1, _ = settle(claim(total=1000, med_type="11", hosp_lv="08", tier=1))
    s2, _ = settle(claim(total=1000, med_type="11", hosp_lv="08", tier=2))
    assert s1.setlinfo["hifp_pay"] == fen(300)  # 60% = 600, capped at 300
    assert s2.setlinfo["hifp_pay"] == fen(500)  # 70% = 700, capped at 500


def test_pengshui_two_diseases_tier2_falls_back_to_tier1():
    s, _ = settle(claim(total=400, med_type="9901", hosp_lv="08", tier=2))
    assert s.setlinfo["hifp_pay"] == fen(200)  # the tier-1 50 %


def test_pengshui_maternity_cap_1000():
    s, _ = settle(claim(total=3000, med_type="52", hosp_lv="05"))
    assert s.setlinfo["hifp_pay"] == fen(1000)  # 70% = 2100, capped at 1000


def test_policy_scope_excludes_full_self_pay_over_limit_and_class_b_share():
    s, _ = settle(claim(total=20000, ful=2000, over=500, pre=500, med_type="14", hosp_lv="02"))
    assert s.setlinfo["inscp_scp_amt"] == fen(17000)
    assert s.setlinfo["hifp_pay"] == fen(10200)  # 门诊慢特病 三级 60 %
    assert s.setlinfo["psn_part_amt"] == fen(9800)


def test_low_income_marginal_assistance_60_percent_above_yearly_deductible():
    # 低保边缘: 60 %, yearly deductible 1000 (national default).
    s, acc = settle(claim(total=20000, categories="低保边缘家庭成员"))
    assert paid(s) == (fen(14775), 0, fen(2535), fen(2690))  # (5225 − 1000) × 60 %
    s2, _ = settle(claim(total=20000, categories="低保边缘家庭成员", setl_id="c2"), acc)
    assert s2.setlinfo["maf_pay"] == fen(3135)  # the deductible is met: 5225 × 60 %


def test_several_categories_take_the_most_favourable_assistance_ratio():
    s, _ = settle(claim(total=20000, categories="低保边缘家庭成员|特困人员"))
    assert s.setlinfo["maf_pay"] == fen("3657.50")  # 5225 × 70 %, no deductible


def test_no_assistance_for_a_category_the_notice_does_not_list():
    s, _ = settle(claim(total=20000, categories="稳定脱贫人口"))
    assert s.setlinfo["maf_pay"] == 0


def test_inpatient_and_chronic_outpatient_share_one_yearly_cap():
    acc = Accumulators(pool_paid={"统筹基金": fen(149000)})
    s, acc = settle(claim(total=10000), acc)
    assert s.setlinfo["hifp_pay"] == fen(1000)  # 7275 would exceed 150000
    s2, _ = settle(claim(total=10000, med_type="14", setl_id="c2"), acc)
    assert s2.setlinfo["hifp_pay"] == 0
    assert s.setldetail[0]["crt_payb_lmt_amt"] == fen(1000)


def test_critical_segments_are_on_the_yearly_running_total():
    # 90000 already counted; this claim adds 20000: 10000 at 60 % and 10000 at 70 %.
    acc = Accumulators(critical_eligible=fen(90000))
    s, after = settle(claim(total=39200, hosp_lv="02"), acc)
    assert s.setlinfo["hifp_pay"] == fen(19200)
    assert s.setlinfo["hifmi_pay"] == fen(13000)
    assert after.critical_eligible == fen(110000)


def test_critical_cap_200000_but_none_for_special_groups():
    acc = Accumulators(critical_eligible=fen(400000), critical_paid=fen(199000))
    s, _ = settle(claim(total=39200, hosp_lv="02"), acc)
    assert s.setlinfo["hifmi_pay"] == fen(1000)
    s2, _ = settle(claim(total=39200, hosp_lv="02", categories="特困人员"), acc)
    assert s2.setlinfo["hifmi_pay"] == fen(15000)  # 20000 × 75 %, no cap


def test_assistance_yearly_limit_shared_by_outpatient_and_inpatient():
    acc = Accumulators(assistance_paid=fen(59000))
    s, after = settle(claim(total=60000, categories="低保对象"), acc)
    assert s.setlinfo["maf_pay"] == fen(1000)
    s2, _ = settle(claim(total=1000, med_type="11", categories="低保对象", setl_id="c2"), after)
    assert s2.setlinfo["maf_pay"] == 0


def test_waiting_period_no_fund_pays():
    row = claim(total=60000, categories="低保对象", coverage_begin=dt.date(2023, 7, 1))
    s, after = settle(row)
    assert paid(s) == (0, 0, 0, fen(60000))
    assert after == Accumulators.empty()
    assert any(e["step"] == "待遇享受期" for e in s.explanation)


# ---------------------------------------------------------------- 咸宁 421200 (湖北)
def test_xianning_2023_secondary_outpatient_daily_cap_50():
    one_day = claim("421200", total=300, med_type="11", hosp_lv="05")
    three_days = claim(
        "421200", total=300, med_type="11", hosp_lv="05",
        begin=dt.date(2023, 6, 1), end=dt.date(2023, 6, 3),
    )  # fmt: skip
    assert settle(one_day)[0].setlinfo["hifp_pay"] == fen(50)  # 150 capped at 50 × 1 day
    assert settle(three_days)[0].setlinfo["hifp_pay"] == fen(150)  # 50 × 3 days


def test_xianning_2023_outpatient_yearly_cap_350():
    acc = Accumulators.empty()
    total = 0
    for i in range(10):
        s, acc = settle(
            claim("421200", total=100, med_type="11", hosp_lv="08", setl_id=f"c{i}"), acc
        )
        total += s.setlinfo["hifp_pay"]
    assert total == fen(350)  # 10 × 60 = 600, capped at 350


def test_xianning_2022_outpatient_has_no_daily_cap():
    row = claim("421200", total=300, med_type="11", hosp_lv="05", when=dt.datetime(2022, 6, 1))
    assert settle(row)[0].setlinfo["hifp_pay"] == fen(150)


def test_xianning_two_diseases_medication_without_deductible():
    row = claim("421200", total=80, med_type="9901", hosp_lv="08", when=dt.datetime(2023, 6, 1))
    s, _ = settle(row)
    assert s.setlinfo["act_pay_dedc"] == 0
    assert s.setlinfo["hifp_pay"] == fen(40)  # 50 % from the first yuan


def test_xianning_maternity_cap_900_in_2022_and_1000_in_2023():
    for when, cap in ((dt.datetime(2022, 6, 1), 900), (dt.datetime(2023, 6, 1), 1000)):
        s, _ = settle(claim("421200", total=5000, med_type="52", when=when))
        assert s.setlinfo["hifp_pay"] == fen(cap)


def test_xianning_chronic_outpatient_self_pay_counts_for_critical_illness():
    # 三级 60 %: 40000 → 24000; self-pay 16000 over the 15000 deductible × 60 %.
    s, _ = settle(claim("421200", total=40000, med_type="14", hosp_lv="02"))
    assert s.setlinfo["hifp_pay"] == fen(24000)
    assert s.setlinfo["hifmi_pay"] == fen(600)


def test_outpatient_general_does_not_count_for_critical_illness():
    acc = Accumulators(critical_eligible=fen(50000))
    s, after = settle(claim("421200", total=1000, med_type="11", hosp_lv="02"), acc)
    assert s.setlinfo["hifmi_pay"] == 0
    assert after.critical_eligible == fen(50000)


# ---------------------------------------------------------------- 池州 341700 (安徽)
def test_chizhou_critical_illness_four_segments():
    # 三级: (300000 − 1000) × 70 % = 209300; 大病 on 90700: 35000 × 60 % + 40700 × 65 %.
    s, _ = settle(claim("341700", total=300000, hosp_lv="02"))
    assert paid(s) == (fen(209300), fen(47455), 0, fen(43245))


# ---------------------------------------------------------------- 内蒙古 150000
def test_inner_mongolia_primary_inpatient_85_percent_after_200():
    s, _ = settle(claim("150000", total=10000, hosp_lv="08"))
    assert paid(s) == (fen(8330), 0, 0, fen(1670))  # (10000 − 200) × 85 %


# ---------------------------------------------------------------- 枣庄 370400 (山东)
def test_zaozhuang_outpatient_cap_250():
    s, _ = settle(claim("370400", total=1000, med_type="11", hosp_lv="08"))
    assert s.setlinfo["hifp_pay"] == fen(250)


def test_zaozhuang_secondary_inpatient_80_percent_after_500():
    s, _ = settle(claim("370400", total=50000, hosp_lv="05", categories="特困人员"))
    # 大病 deductible 17853 × 50 % = 8926.50 for 特困; self-pay 10400.
    assert s.setlinfo["hifp_pay"] == fen(39600)
    assert s.setlinfo["hifmi_pay"] == fen("957.78")  # (10400 − 8926.50) × 65 % = 957.775
