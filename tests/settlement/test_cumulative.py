"""The running-sum path (``settle_cumulative``) equals settling claim after claim, to the fen.

settle_year settles most person-years with cumulative sums and falls back to steps where a cap
changes within the year; both must give the same payments and the same final totals."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import polars as pl
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.settlement.test_properties import CATEGORIES, HOSP_LVS, MED_TYPES, SETTINGS, near_caps
from yibao.claims import CLAIM_SCHEMA
from yibao.engine.settlement import Accumulators, settle_year
from yibao.engine.settlement_batch import initial_totals, prepare, run
from yibao.engine.settlement_layers import (
    Groups,
    StepInput,
    StepResult,
    StepState,
    running_before,
    settle_cumulative,
    settle_step,
)
from yibao.policy import default_library

FEN = st.integers(0, 1_000_000)
# Pure arithmetic, no policy files: many more examples than the year-level properties.
MANY = settings(SETTINGS, max_examples=300)


def test_running_before_sums_the_earlier_claims_of_each_group():
    amount = np.array([5, 7, 1, 2, 10, 3], np.int64)
    group = np.array([1, 0, 1, 0, 1, 2], np.int64)
    assert running_before(amount, group).tolist() == [0, 0, 5, 7, 6, 0]


@st.composite
def layered_claims(draw):
    """Claims of a few person-years with arbitrary amounts, caps and deductibles (fen, bp);
    caps and deductibles are fixed per group, the ratios and segments vary per claim."""
    rows = []
    for py in range(draw(st.integers(1, 3))):
        caps = [draw(st.integers(0, 1_000_000)) for _ in range(2)]
        deductibles = [(draw(st.integers(0, 200_000)), draw(st.booleans())) for _ in range(2)]
        critical_cap = draw(st.integers(0, 900_000))
        limit = draw(st.integers(0, 300_000))
        for _ in range(draw(st.integers(1, 6))):
            cap_name, pool_name = draw(st.integers(0, 1)), draw(st.integers(0, 1))
            low = draw(st.integers(0, 300_000))
            mid = low + draw(st.integers(0, 500_000))
            total = draw(FEN)
            rows.append(
                {
                    "py": py,
                    "cap": py * 2 + cap_name,
                    "pool": py * 2 + pool_name,
                    "medfee_sumamt": total,
                    "inscp_scp_amt": draw(st.integers(0, total)),
                    "covered": draw(st.booleans()),
                    "days": draw(st.integers(1, 10)),
                    "dedc_paid_in_stay": draw(st.integers(0, 200_000)),
                    "deductible": deductibles[pool_name][0],
                    "deductible_per_year": deductibles[pool_name][1],
                    "ratio_bp": draw(st.integers(0, 10_000)),
                    "annual_cap": caps[cap_name],
                    "daily_cap": draw(st.integers(0, 20_000)),
                    "has_daily_cap": draw(st.booleans()),
                    "critical_included": draw(st.booleans()),
                    "critical_lows": [low, mid],
                    "critical_highs": [mid, 2**53],
                    "critical_ratios": [draw(st.integers(0, 10_000)) for _ in range(2)],
                    "critical_cap": critical_cap,
                    "assistance_included": draw(st.booleans()),
                    "assistance_ratio_bp": draw(st.integers(0, 10_000)),
                    "assistance_deductible": draw(st.integers(0, 100_000)),
                    "assistance_limit": limit,
                }
            )
    start = {
        name: [draw(st.integers(0, 300_000)) for _ in range(6)]
        for name in (f.name for f in dataclasses.fields(StepState))
    }
    return rows, start


def _inputs(rows):
    return StepInput(
        **{
            f.name: np.asarray([r[f.name] for r in rows], bool if f.type == "Bool" else np.int64)
            for f in dataclasses.fields(StepInput)
        }
    )


@MANY
@given(layered_claims())
def test_cumulative_sums_equal_step_by_step_settlement(case):
    rows, start = case
    slot = {"pool_paid": "cap", "deductible_used": "pool"}
    state = {name: list(values) for name, values in start.items()}
    expected = []
    for r in rows:  # one claim at a time, carrying each running total like settle_claim
        key = {name: r[slot.get(name, "py")] for name in state}
        result = settle_step(
            _inputs([r]), StepState(**{n: np.array([state[n][key[n]]]) for n in state})
        )
        expected.append(
            {f.name: int(getattr(result, f.name)[0]) for f in dataclasses.fields(result)}
        )
        state["pool_paid"][key["pool_paid"]] += expected[-1]["hifp_pay"]
        state["deductible_used"][key["deductible_used"]] += expected[-1]["deductible_used_delta"]
        state["critical_eligible"][key["critical_eligible"]] += expected[-1][
            "critical_eligible_delta"
        ]
        state["critical_paid"][key["critical_paid"]] += expected[-1]["hifmi_pay"]
        state["assistance_eligible"][key["assistance_eligible"]] += expected[-1][
            "assistance_eligible_delta"
        ]
        state["assistance_paid"][key["assistance_paid"]] += expected[-1]["maf_pay"]

    groups = Groups(*(np.asarray([r[k] for r in rows], np.int64) for k in ("cap", "pool", "py")))
    s0 = StepState(
        **{
            name: np.asarray(start[name], np.int64)[getattr(groups, slot.get(name, "person_year"))]
            for name in start
        }
    )
    got = settle_cumulative(_inputs(rows), s0, groups)
    assert got is not None
    for f in dataclasses.fields(StepResult):
        assert getattr(got, f.name).tolist() == [e[f.name] for e in expected], f.name


@st.composite
def changing_years(draw):
    """Persons whose region, tier or categories may change between claims (then caps change
    within the year and settle_year settles that person step by step)."""
    rows = []
    for p in range(draw(st.integers(1, 4))):
        minutes = sorted(draw(st.lists(st.integers(0, 364 * 24 * 60), min_size=1, max_size=7)))
        for i, minute in enumerate(minutes):
            when = dt.datetime(2023, 1, 1) + dt.timedelta(minutes=minute)
            total = draw(st.integers(0, 30_000_000))
            rows.append(
                {
                    "setl_id": f"P{p}-{i}",
                    "psn_no": f"P{p}",
                    "insuplc_admdvs": draw(st.sampled_from(("500243", "421200", "341700"))),
                    "tier": draw(st.sampled_from((1, 2))),
                    "categories": draw(st.sampled_from(CATEGORIES)),
                    "med_type": draw(st.sampled_from(MED_TYPES)),
                    "hosp_lv": draw(st.sampled_from(HOSP_LVS)),
                    "setl_time": when,
                    "medfee_sumamt": total,
                    "preselfpay_amt": draw(st.integers(0, total)),
                }
            )
    return rows


@SETTINGS
@given(changing_years(), st.data())
def test_settle_year_paths_agree_with_prior_totals_near_the_caps(rows, data):
    library = default_library()
    table = pa.Table.from_pylist(
        [{n: r.get(n) for n in CLAIM_SCHEMA.names} for r in rows], schema=CLAIM_SCHEMA
    )
    prep = prepare(pl.from_arrow(table), library.resolve)
    prior = {
        key: data.draw(near_caps()).as_dict() | {"deductible_used": {}}
        for key in prep.person_year.iter_rows()
    }
    totals = initial_totals(prep, prior)
    steps, steps_final = run(prep, totals, steps_only=True)
    mixed, mixed_final = run(prep, totals)
    for name, values in steps.items():
        assert values.tolist() == mixed[name].tolist(), name
    for f in dataclasses.fields(steps_final):
        assert getattr(steps_final, f.name).tolist() == getattr(mixed_final, f.name).tolist()


def test_an_empty_year_settles_to_empty_frames(library):
    table = pa.Table.from_pylist([], schema=CLAIM_SCHEMA)
    settled, accumulators = settle_year(table, library)
    assert settled.height == 0 and accumulators.height == 0
    assert Accumulators.empty().as_dict()["pool_paid"] == {}


def _claim(**values):
    base = {
        "py": 0, "cap": 0, "pool": 0, "medfee_sumamt": 100_000, "inscp_scp_amt": 100_000,
        "covered": True, "days": 1, "dedc_paid_in_stay": 0, "deductible": 0,
        "deductible_per_year": False,
        "ratio_bp": 10_000, "annual_cap": 60_000, "daily_cap": 10_000, "has_daily_cap": False,
        "critical_included": False, "critical_lows": [0, 0], "critical_highs": [0, 2**53],
        "critical_ratios": [0, 0], "critical_cap": 0, "assistance_included": False,
        "assistance_ratio_bp": 0, "assistance_deductible": 0, "assistance_limit": 0,
    }  # fmt: skip
    return base | values


def _cumulative(rows):
    groups = Groups(*(np.asarray([r[k] for r in rows], np.int64) for k in ("cap", "pool", "py")))
    zero = np.zeros(len(rows), np.int64)
    return settle_cumulative(_inputs(rows), StepState(*[zero] * 6), groups)


def test_the_yearly_cap_counts_what_was_paid_after_the_daily_cap():
    # 1000 yuan limited to 100 by the daily cap; then 550 yuan fits under the 600 yuan cap.
    rows = [_claim(has_daily_cap=True), _claim(inscp_scp_amt=55_000, medfee_sumamt=55_000)]
    assert _cumulative(rows).hifp_pay.tolist() == [10_000, 50_000]


def test_the_yearly_deductible_is_met_once_across_the_pools_claims():
    # A 300 yuan yearly deductible: 200 yuan met by the first claim, the last 100 by the second.
    yearly = {"deductible": 30_000, "deductible_per_year": True}
    rows = [_claim(inscp_scp_amt=20_000, **yearly), _claim(inscp_scp_amt=20_000, **yearly)]
    rows.append(_claim(pool=1, inscp_scp_amt=20_000, **yearly))  # another pool: its own
    assert _cumulative(rows).act_pay_dedc.tolist() == [20_000, 10_000, 20_000]


def test_a_region_with_fewer_critical_segments_is_not_paid_twice_in_a_mixed_batch(library):
    # 彭水 and 六安 have different numbers of 大病 segments; settled together, the shorter table
    # is padded, and the padding must pay nothing (a 224,599.80 yuan admission, as found by
    # test_batch_equals_one_by_one_sequential_settlement_to_the_fen).
    from tests.settlement.conftest import claim, settle

    big = claim(total="224599.80", pre="25399.78", hosp_lv="02", psn_no="P0", setl_id="a")
    small = claim("341700", total="0.01", med_type="9901", hosp_lv="11", psn_no="P1", setl_id="b")
    table = pa.Table.from_pylist(
        [{n: r.get(n) for n in CLAIM_SCHEMA.names} for r in (big, small)], schema=CLAIM_SCHEMA
    )
    settled, _ = settle_year(table, library)
    alone, _ = settle(big)
    assert settled.row(0, named=True)["hifmi_pay"] == alone.setlinfo["hifmi_pay"]
