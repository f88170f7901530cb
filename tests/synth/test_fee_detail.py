"""费用明细 lines add up to their claims to the fen."""

import polars as pl


def test_lines_add_up_to_the_claim_total(pengshui):
    sums = pengshui.fee_detail.group_by("setl_id").agg(pl.col("amount").sum())
    joined = pengshui.claims.join(sums, on="setl_id")
    assert joined.height > 0
    assert (joined["amount"] == joined["medfee_sumamt"]).all()


def test_class_c_lines_add_up_to_fulamt_ownpay(pengshui):
    c = (
        pengshui.fee_detail.filter(pl.col("chrgitm_lv") == "03")
        .group_by("setl_id")
        .agg(pl.col("amount").sum().alias("c"))
    )
    joined = pengshui.claims.join(c, on="setl_id")
    assert (joined["c"] == joined["fulamt_ownpay_amt"]).all()


def test_every_line_is_qty_times_price(pengshui):
    d = pengshui.fee_detail
    assert (d["amount"] == d["qty"] * d["price"]).all()
    assert (d["amount"] >= 0).all()


def test_only_inpatient_and_outpatient_claims_have_lines(pengshui):
    kinds = pengshui.claims.filter(
        pl.col("setl_id").is_in(pengshui.fee_detail["setl_id"].implode())
    )
    assert set(kinds["med_type"]) <= {"11", "13", "14", "21"}
    assert set(pengshui.fee_detail["item_type"]) <= {
        "药品",
        "检查",
        "治疗",
        "床位",
        "护理",
        "诊察",
        "材料",
    }
