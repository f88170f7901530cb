"""Properties of the split: the four parts add up to each line, the lines to the claim."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from yibao.catalogue.loader import load_catalogue
from yibao.engine.fee_split import FeeLine, Visit, claim_totals, split_lines
from yibao.policy.loader import load_policy

CATALOGUE = load_catalogue("500243")
LEVELS = load_policy("500243", 2023).benefits.hosp_level_map.value
CODES = [c for c in CATALOGUE.codes() if CATALOGUE.entry(c, dt.date(2023, 8, 1))]

lines = st.lists(
    st.tuples(st.sampled_from(CODES), st.integers(1, 30), st.integers(0, 500_000)),
    min_size=1,
    max_size=25,
)
visits = st.builds(
    Visit,
    hosp_lv=st.sampled_from(sorted(LEVELS)),
    med_type=st.sampled_from(["11", "13", "14", "21", "52"]),
    sex=st.sampled_from(["1", "2"]),
    age=st.integers(0, 100),
    mdtrtarea_admvs=st.just("500243"),
)


@settings(max_examples=300, deadline=None)
@given(lines, visits)
def test_parts_add_up_to_each_line_and_lines_to_the_claim(raw, visit):
    fee = [
        FeeLine(str(i), code, dt.date(2023, 8, 1), qty, price, qty * price)
        for i, (code, qty, price) in enumerate(raw)
    ]
    splits = split_lines(fee, visit, CATALOGUE, LEVELS)
    for s in splits:
        parts = (s.fulamt_ownpay_amt, s.overlmt_amt, s.preselfpay_amt, s.inscp_scp_amt)
        assert all(p >= 0 for p in parts)
        assert sum(parts) == s.det_item_fee_sumamt
        assert s.chrgitm_lv != "03" or s.fulamt_ownpay_amt == s.det_item_fee_sumamt
    totals = claim_totals(splits)
    assert totals.medfee_sumamt == sum(f.det_item_fee_sumamt for f in fee)
    assert (
        totals.fulamt_ownpay_amt
        + totals.overlmt_selfpay
        + totals.preselfpay_amt
        + totals.inscp_scp_amt
        == totals.medfee_sumamt
    )
