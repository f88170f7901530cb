"""The synthetic year's fee detail is drawn from the 医保目录 and carries the engine's split,
which gives back each claim's amounts to the fen (the claims are generated as before)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from yibao.catalogue.loader import load_catalogue
from yibao.engine.fee_split import FeeLine, Visit, split_lines
from yibao.idcard import parse_id
from yibao.policy.loader import load_policy
from yibao.synth import simulate_county

SPLIT = ["fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt", "inscp_scp_amt"]


@pytest.fixture(scope="module")
def year():
    return simulate_county("500243", 2023, 1500, seed=7, fee_detail=True)


def test_every_line_is_a_catalogue_item_on_its_date(year):
    catalogue = load_catalogue("500243")
    rows = year.fee_detail.select("item_code", "date", "chrgitm_lv").unique()
    for code, day, lv in rows.iter_rows():
        entry = catalogue.entry(code, day)
        assert entry is not None, (code, day)
        assert entry.chrgitm_lv == lv


def test_the_four_parts_add_up_to_each_line(year):
    d = year.fee_detail
    assert d.height > 0
    assert (d.select(pl.sum_horizontal(SPLIT)).to_series() == d["amount"]).all()
    assert (d["amount"] == d["qty"] * d["price"]).all()


def test_the_lines_give_back_the_claims_amounts(year):
    sums = year.fee_detail.group_by("setl_id").agg(
        pl.col("amount").sum(), *(pl.col(c).sum() for c in SPLIT)
    )
    joined = year.claims.join(sums, on="setl_id")
    assert joined.height == sums.height > 0
    assert (joined["amount"] == joined["medfee_sumamt"]).all()
    assert (joined["fulamt_ownpay_amt_right"] == joined["fulamt_ownpay_amt"]).all()
    assert (joined["overlmt_amt"] == joined["overlmt_selfpay"]).all()
    assert (joined["preselfpay_amt_right"] == joined["preselfpay_amt"]).all()
    assert (joined["overlmt_selfpay"] > 0).any()  # the over-limit line is exercised


def test_class_b_lines_pay_ten_percent_first(year):
    b = year.fee_detail.filter(pl.col("chrgitm_lv") == "02")
    assert set(b["selfpay_prop"]) == {1000}
    c = year.fee_detail.filter(pl.col("chrgitm_lv") == "03")
    assert (c["fulamt_ownpay_amt"] == c["amount"]).all()


def test_the_columns_are_the_engines_split(year):
    """One inpatient claim re-split by engine.fee_split gives the same columns."""
    claim = year.claims.filter(pl.col("med_type") == "21").row(0, named=True)
    lines = year.fee_detail.filter(pl.col("setl_id") == claim["setl_id"])
    person = parse_id(claim["certno"])
    begin: dt.date = claim["begndate"]
    birth = person.birth_date
    age = begin.year - birth.year - ((begin.month, begin.day) < (birth.month, birth.day))
    visit = Visit(claim["hosp_lv"], "21", person.sex, age, "500243")
    fee = [
        FeeLine(str(r["line_no"]), r["item_code"], r["date"], r["qty"], r["price"], r["amount"])
        for r in lines.iter_rows(named=True)
    ]
    levels = load_policy("500243", 2023).benefits.hosp_level_map.value
    splits = split_lines(fee, visit, load_catalogue("500243"), levels)
    assert [s.preselfpay_amt for s in splits] == lines["preselfpay_amt"].to_list()
    assert [s.overlmt_amt for s in splits] == lines["overlmt_amt"].to_list()
    assert [s.inscp_scp_amt for s in splits] == lines["inscp_scp_amt"].to_list()
