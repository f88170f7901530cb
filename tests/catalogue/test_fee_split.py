"""The per-line split against the 就医地's 医保目录, one test per rule, in fen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from yibao.catalogue.loader import load_catalogue
from yibao.engine.fee_split import (
    FeeLine,
    FeeSplitError,
    Visit,
    check_claim_total,
    claim_totals,
    split_line,
    split_lines,
)

DAY = dt.date(2023, 6, 1)
# 二级甲等 (hosp_lv 05), 普通住院 (21), a woman of 40 treated in 彭水.
INPATIENT = Visit(hosp_lv="05", med_type="21", sex="2", age=40, mdtrtarea_admvs="500243")
OUTPATIENT = Visit(hosp_lv="05", med_type="11", sex="2", age=40, mdtrtarea_admvs="500243")


def line(code: str, qty: int | Decimal, price: int, amount: int | None = None, sn: str = "1"):
    total = amount if amount is not None else int(qty * price)
    return FeeLine(sn, code, DAY, qty, price, total)


def test_class_b_drug_pays_ten_percent_first(pengshui, levels):
    # 奥美拉唑肠溶胶囊 乙类; 重庆 (500000/catalogue/selfpay.csv) 乙类先行自付 10%.
    s = split_line(line("XA02BCA348X001010100001", 2, 1235), INPATIENT, pengshui, levels)
    assert s.chrgitm_lv == "02"
    assert s.selfpay_prop == 1000
    assert (s.fulamt_ownpay_amt, s.overlmt_amt, s.preselfpay_amt, s.inscp_scp_amt) == (
        0,
        0,
        247,
        2223,
    )
    assert "先行自付比例 10%" in s.reason and "selfpay.csv" in s.reason


def test_class_a_drug_is_all_in_scope(pengshui, levels):
    s = split_line(line("XJ01CAA040A001010100001", 3, 850), INPATIENT, pengshui, levels)
    assert (s.chrgitm_lv, s.selfpay_prop, s.inscp_scp_amt, s.preselfpay_amt) == ("01", 0, 2550, 0)


def test_class_c_item_is_all_self_paid(pengshui, levels):
    s = split_line(line("001301000010000", 1, 12000), OUTPATIENT, pengshui, levels)
    assert (s.chrgitm_lv, s.fulamt_ownpay_amt, s.inscp_scp_amt, s.selfpay_prop) == (
        "03",
        12000,
        0,
        10000,
    )


def test_price_above_the_secondary_hospital_ceiling_is_over_limit(pengshui, levels):
    # CT平扫 乙类, 二级 ceiling 130.00 元 (500000/catalogue/prices.csv); billed 150.00 元.
    s = split_line(line("002103000010000", 1, 15000), INPATIENT, pengshui, levels)
    assert s.pric_uplmt_amt == 13000
    assert s.overlmt_amt == 2000
    assert s.preselfpay_amt == 1300  # 10 % of the 130.00 元 within the ceiling
    assert s.inscp_scp_amt == 11700
    assert "超二级限价 130.00元" in s.reason


def test_the_ceiling_follows_the_hospital_level(pengshui, levels):
    tertiary = Visit("02", "21", "2", 40, "500243")  # 三级甲等: ceiling 150.00 元
    s = split_line(line("002103000010000", 1, 15000), tertiary, pengshui, levels)
    assert (s.pric_uplmt_amt, s.overlmt_amt) == (15000, 0)


def test_bed_days_over_the_ceiling(pengshui, levels):
    # 普通病房床位费 二级 40.00 元/日; 3 days at 45.00 元.
    s = split_line(line("001109000010000", 3, 4500), INPATIENT, pengshui, levels)
    assert (s.overlmt_amt, s.inscp_scp_amt) == (1500, 12000)


def test_male_only_item_for_a_woman_is_self_paid(pengshui, levels):
    s = split_line(line("003312040190100", 1, 80000), INPATIENT, pengshui, levels)
    assert (s.fulamt_ownpay_amt, s.inscp_scp_amt, s.lmt_used_flag) == (80000, 0, "1")
    assert "限男性" in s.reason and "性别代码为2" in s.reason


def test_male_only_item_for_a_man_is_paid(pengshui, levels):
    man = Visit("05", "21", "1", 40, "500243")
    s = split_line(line("003312040190100", 1, 80000), man, pengshui, levels)
    assert (s.fulamt_ownpay_amt, s.inscp_scp_amt) == (0, 80000)


def test_inpatient_only_item_in_outpatient_is_self_paid(pengshui, levels):
    s = split_line(line("001102000050000", 1, 1000), OUTPATIENT, pengshui, levels)
    assert s.fulamt_ownpay_amt == 1000
    assert "限住院" in s.reason and "门诊" in s.reason
    assert (
        split_line(line("001102000050000", 1, 1000), INPATIENT, pengshui, levels).inscp_scp_amt
        == 1000
    )


def test_child_only_item_for_a_fifteen_year_old_is_self_paid(pengshui, levels):
    teen = Visit("05", "11", "1", 15, "500243")
    child = Visit("05", "11", "1", 14, "500243")
    item = line("001204000070000", 1, 600)
    assert split_line(item, teen, pengshui, levels).fulamt_ownpay_amt == 600
    assert split_line(item, child, pengshui, levels).inscp_scp_amt == 600


def test_secondary_and_above_item_at_a_primary_hospital_is_self_paid(pengshui, levels):
    # 丹参注射液: 限二级及以上医疗机构 (一级甲等 is hosp_lv 08).
    primary = Visit("08", "21", "1", 60, "500243")
    s = split_line(line("ZA12CAD0073001010100001", 2, 1500), primary, pengshui, levels)
    assert s.fulamt_ownpay_amt == 3000
    assert "限三级、二级医疗机构" in s.reason
    ok = split_line(line("ZA12CAD0073001010100001", 2, 1500), INPATIENT, pengshui, levels)
    assert (ok.preselfpay_amt, ok.inscp_scp_amt) == (300, 2700)
    assert "医院审批" in ok.reason


def test_a_date_before_the_items_validity_is_refused(pengshui, levels):
    # 普通针刺(体针) is in 重庆's catalogue from 2023-07-01 (500000/catalogue/items.csv).
    early = FeeLine("7", "004300000010100", dt.date(2023, 6, 30), 1, 2500, 2500)
    with pytest.raises(FeeSplitError) as err:
        split_line(early, OUTPATIENT, pengshui, levels)
    assert err.value.field == "item_code" and err.value.line == "7"
    assert "2023-06-30" in str(err.value) and "2023-07-01" in str(err.value)
    on_time = FeeLine("7", "004300000010100", dt.date(2023, 7, 1), 1, 2500, 2500)
    assert split_line(on_time, OUTPATIENT, pengshui, levels).inscp_scp_amt == 2500


def test_an_unknown_code_is_refused(pengshui, levels):
    with pytest.raises(FeeSplitError, match="就医地目录中没有该编码") as err:
        split_line(line("XZ99ZZZ999Z999999999999", 1, 100), OUTPATIENT, pengshui, levels)
    assert err.value.field == "item_code"


def test_amount_not_qty_times_price_is_refused(pengshui, levels):
    bad = FeeLine("3", "XJ01CAA040A001010100001", DAY, 3, 850, 2551)
    with pytest.raises(FeeSplitError, match="25.51元 不等于数量 3 × 单价 8.50元 = 25.50元") as err:
        split_line(bad, OUTPATIENT, pengshui, levels)
    assert (err.value.line, err.value.field) == ("3", "det_item_fee_sumamt")


def test_fractional_quantity_rounds_half_up_once(pengshui, levels):
    # 0.5 × 3.33 元 = 1.665 元 → 1.67 元 (yibao.money.divide_half_up).
    ok = FeeLine("1", "XJ01CAA040A001010100001", DAY, Decimal("0.5"), 333, 167)
    assert split_line(ok, OUTPATIENT, pengshui, levels).inscp_scp_amt == 167
    with pytest.raises(FeeSplitError):
        split_line(
            FeeLine("1", "XJ01CAA040A001010100001", DAY, Decimal("0.5"), 333, 166),
            OUTPATIENT,
            pengshui,
            levels,
        )


@pytest.mark.parametrize("field", ["price", "det_item_fee_sumamt", "qty"])
def test_negative_amounts_are_refused(pengshui, levels, field):
    values = {"qty": 1, "price": 100, "det_item_fee_sumamt": 100, field: -100}
    bad = FeeLine("9", "XJ01CAA040A001010100001", DAY, **values)
    with pytest.raises(FeeSplitError, match="不能为负") as err:
        split_line(bad, OUTPATIENT, pengshui, levels)
    assert (err.value.line, err.value.field) == ("9", field)


def test_duplicate_line_numbers_are_refused(pengshui, levels):
    a = line("XJ01CAA040A001010100001", 1, 850, sn="1")
    with pytest.raises(FeeSplitError, match="重复"):
        split_lines([a, a], OUTPATIENT, pengshui, levels)


def test_claim_totals_use_the_claims_field_names(pengshui, levels):
    lines = [
        line("002103000010000", 1, 15000, sn="1"),  # over 2000, pre 1300, in 11700
        line("001301000010000", 1, 12000, sn="2"),  # 丙类 12000
        line("XA02BCA348X001010100001", 2, 1235, sn="3"),  # pre 247, in 2223
        line("XJ01CAA040A001010100001", 3, 850, sn="4"),  # in 2550
    ]
    totals = claim_totals(split_lines(lines, INPATIENT, pengshui, levels))
    assert totals.claim_amounts() == {
        "medfee_sumamt": 32020,
        "fulamt_ownpay_amt": 12000,
        "overlmt_selfpay": 2000,
        "preselfpay_amt": 1547,
    }
    assert totals.inscp_scp_amt == 16473  # 32020 − 12000 − 2000 − 1547
    check_claim_total(totals, 32020)
    with pytest.raises(FeeSplitError, match="medfee_sumamt"):
        check_claim_total(totals, 32000)


def test_remote_care_uses_the_treatment_regions_catalogue(levels):
    # A 彭水 resident treated in 池州 (异地就医): 池州's catalogue (就医地目录) has no 体针 row and
    # its own 乙类先行自付 (341700/catalogue/selfpay.csv).
    chizhou = load_catalogue("341700")
    visit = Visit("05", "11", "1", 50, mdtrtarea_admvs="341700")
    late = FeeLine("1", "004300000010100", dt.date(2023, 8, 1), 1, 2500, 2500)
    with pytest.raises(FeeSplitError, match="341700"):
        split_line(late, visit, chizhou, levels)
    s = split_line(line("XA02BCA348X001010100001", 1, 1000), visit, chizhou, levels)
    assert s.preselfpay_amt == 100 and "341700/catalogue/selfpay.csv" in s.reason


def test_a_catalogue_of_another_region_is_refused(pengshui, levels):
    visit = Visit("05", "11", "1", 50, mdtrtarea_admvs="341700")
    with pytest.raises(FeeSplitError) as err:
        split_line(line("XJ01CAA040A001010100001", 1, 850), visit, pengshui, levels)
    assert err.value.field == "mdtrtarea_admvs"


def test_unknown_hospital_level_is_refused(pengshui, levels):
    visit = Visit("99", "11", "1", 50, "500243")
    with pytest.raises(FeeSplitError) as err:
        split_line(line("XJ01CAA040A001010100001", 1, 850), visit, pengshui, levels)
    assert err.value.field == "hosp_lv"


def test_a_unit_price_finer_than_the_fen(pengshui, levels):
    # 集采 tablets at 0.0857 元 each (pric has up to 6 decimals): 28 × 0.0857 = 2.3996 → 2.40 元.
    ok = FeeLine("1", "XC08CAA321A001010100001", DAY, 28, Decimal("8.57"), 240)
    assert split_line(ok, OUTPATIENT, pengshui, levels).inscp_scp_amt == 240
    bad = FeeLine("1", "XC08CAA321A001010100001", DAY, 28, Decimal("8.57"), 252)
    with pytest.raises(FeeSplitError, match="单价 0.0857元 = 2.40元"):
        split_line(bad, OUTPATIENT, pengshui, levels)


def test_hospital_approval_flag_decides_a_restricted_item(pengshui, levels):
    # 人血白蛋白 has a 限定支付范围 the engine cannot judge (lmt_used_flag 1): hosp_appr_flag
    # "1" pays it, "0" or "2" makes it 自费 (2204 医院审批标志).
    def albumin(flag: str | None) -> FeeLine:
        return FeeLine("1", "XB05AAR021B001010100001", DAY, 2, 30000, 60000, flag)

    approved = split_line(albumin("1"), INPATIENT, pengshui, levels)
    assert (approved.preselfpay_amt, approved.inscp_scp_amt) == (6000, 54000)
    assert "医院已审批" in approved.reason
    for flag in ("0", "2"):
        s = split_line(albumin(flag), INPATIENT, pengshui, levels)
        assert s.fulamt_ownpay_amt == 60000 and f"审批标志为{flag}" in s.reason
    assert split_line(albumin(None), INPATIENT, pengshui, levels).inscp_scp_amt == 54000


def test_hospital_approval_flag_two_makes_any_item_self_paid(pengshui, levels):
    plain = "XJ01CAA040A001010100001"
    s = split_line(FeeLine("1", plain, DAY, 1, 850, 850, "2"), OUTPATIENT, pengshui, levels)
    assert s.fulamt_ownpay_amt == 850
    assert (
        split_line(
            FeeLine("1", plain, DAY, 1, 850, 850, "0"), OUTPATIENT, pengshui, levels
        ).inscp_scp_amt
        == 850
    )
    with pytest.raises(FeeSplitError) as err:
        split_line(FeeLine("1", plain, DAY, 1, 850, 850, "9"), OUTPATIENT, pengshui, levels)
    assert err.value.field == "hosp_appr_flag"
