"""The batch split (engine.fee_split_batch) equals the line split (engine.fee_split) line by
line, and reports a bad line with the line split's message."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao.catalogue.loader import load_catalogue
from yibao.engine.fee_split import FeeLine, FeeSplitError, Visit, split_lines
from yibao.engine.fee_split_batch import split_frame
from yibao.policy.loader import load_policy

CATALOGUE = load_catalogue("500243")
LEVELS = load_policy("500243", 2023).benefits.hosp_level_map.value
CODES = CATALOGUE.codes()
FIELDS = [
    "chrgitm_lv", "fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt", "inscp_scp_amt",
    "pric_uplmt_amt", "selfpay_prop", "lmt_used_flag",
]  # fmt: skip

rows = st.lists(
    st.tuples(
        st.sampled_from(CODES),
        st.dates(dt.date(2023, 7, 1), dt.date(2024, 12, 31)),
        st.integers(0, 30),
        st.integers(0, 300_000),
        st.sampled_from([None, "0", "1", "2"]),
    ),
    min_size=1,
    max_size=30,
)
visits = st.builds(
    Visit,
    hosp_lv=st.sampled_from(sorted(LEVELS)),
    med_type=st.sampled_from(["11", "13", "14", "21", "52"]),
    sex=st.sampled_from(["1", "2"]),
    age=st.integers(0, 100),
    mdtrtarea_admvs=st.just("500243"),
)


def frame(fee: list[FeeLine], visit: Visit) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "feedetl_sn": [f.feedetl_sn for f in fee],
            "item_code": [f.item_code for f in fee],
            "date": [f.date for f in fee],
            "qty": [int(f.qty) for f in fee],
            "price": [f.price for f in fee],
            "det_item_fee_sumamt": [f.det_item_fee_sumamt for f in fee],
            "hosp_lv": [visit.hosp_lv] * len(fee),
            "med_type": [visit.med_type] * len(fee),
            "sex": [visit.sex] * len(fee),
            "age": [visit.age] * len(fee),
            "hosp_appr_flag": [f.hosp_appr_flag for f in fee],
        },
        schema_overrides={
            "qty": pl.Int64,
            "price": pl.Int64,
            "det_item_fee_sumamt": pl.Int64,
            "hosp_appr_flag": pl.String,
        },
    )


@settings(max_examples=300, deadline=None)
@given(rows, visits)
def test_the_batch_split_equals_the_line_split(raw, visit):
    fee = [
        FeeLine(str(i), code, day, qty, price, qty * price, flag)
        for i, (code, day, qty, price, flag) in enumerate(raw)
    ]
    lines = split_lines(fee, visit, CATALOGUE, LEVELS)
    batch = split_frame(frame(fee, visit), CATALOGUE, LEVELS, "500243")
    assert batch["feedetl_sn"].to_list() == [f.feedetl_sn for f in fee]
    for name in FIELDS:
        assert batch[name].to_list() == [getattr(s, name) for s in lines], name


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (FeeLine("2", "004300000010100", dt.date(2023, 6, 30), 1, 2500, 2500), "item_code"),
        (FeeLine("2", "XJ01CAA040A001010100001", dt.date(2023, 8, 1), 3, 850, 2551), "det_item_fee_sumamt"),
        (FeeLine("2", "XJ01CAA040A001010100001", dt.date(2023, 8, 1), 1, -850, -850), "price"),
    ],
)  # fmt: skip
def test_a_bad_line_is_reported_as_the_line_split_reports_it(bad, field):
    good = FeeLine("1", "XJ01CAA040A001010100001", dt.date(2023, 8, 1), 1, 850, 850)
    visit = Visit("05", "11", "1", 30, "500243")
    with pytest.raises(FeeSplitError) as batch_err:
        split_frame(frame([good, bad], visit), CATALOGUE, LEVELS, "500243")
    with pytest.raises(FeeSplitError) as line_err:
        split_lines([good, bad], visit, CATALOGUE, LEVELS)
    assert (batch_err.value.line, batch_err.value.field) == ("2", field)
    assert str(batch_err.value) == str(line_err.value)


def test_another_regions_catalogue_is_refused():
    with pytest.raises(FeeSplitError) as err:
        split_frame(frame([], Visit("05", "11", "1", 30, "341700")), CATALOGUE, LEVELS, "341700")
    assert err.value.field == "mdtrtarea_admvs"
