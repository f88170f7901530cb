"""Bad input: a clear error naming the field, and nothing settled."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pyarrow as pa
import pytest

from tests.settlement.conftest import claim, settle
from yibao.claims import CLAIM_SCHEMA
from yibao.engine.settlement import Accumulators, SettlementError, settle_year


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (claim(total=100, med_type="99"), "med_type"),
        (claim(total=100, hosp_lv="99"), "hosp_lv"),
        (claim(total=100, ful=-1), "fulamt_ownpay_amt"),
        (claim(total=-100), "medfee_sumamt"),
        (claim(total=100, ful=60, pre=50), "larger than medfee_sumamt"),
        (claim(total=100, tier=3), "tier"),
        (claim(total=100, begin=dt.date(2023, 6, 2), end=dt.date(2023, 6, 1)), "enddate"),
        (claim(total=100, coverage_end=dt.date(2022, 12, 31)), "no coverage"),
        (claim(total=100, coverage_begin=dt.date(2024, 1, 1)), "no coverage"),
    ],
)
def test_bad_claim_names_the_field(row, field):
    with pytest.raises(SettlementError, match=field):
        settle(row)


def test_settle_time_outside_the_policy_year(library):
    row = claim(total=100, when=dt.datetime(2024, 1, 2))
    from yibao.engine.settlement import settle_claim

    with pytest.raises(SettlementError, match="setl_time"):
        settle_claim(row, library.resolve("500243", 2023), Accumulators.empty())


def test_region_without_policy_names_insuplc_admdvs(library):
    rows = [claim("421200", total=100, when=dt.datetime(2021, 6, 1))]
    with pytest.raises(SettlementError, match="insuplc_admdvs"):
        settle_year(pa.Table.from_pylist(_full(rows), schema=CLAIM_SCHEMA), library)


def _full(rows):
    return [{name: r.get(name) for name in CLAIM_SCHEMA.names} for r in rows]


def test_one_bad_claim_in_a_year_settles_nothing_and_names_it(library):
    rows = [claim(total=100, setl_id=f"c{i}") for i in range(5)]
    rows[3]["hosp_lv"] = "42"
    frame = pl.from_arrow(pa.Table.from_pylist(_full(rows), schema=CLAIM_SCHEMA))
    with pytest.raises(SettlementError, match=r"hosp_lv.*setl_id c3"):
        settle_year(frame, library)


def test_duplicate_settlement_ids_are_refused(library):
    rows = [claim(total=100), claim(total=200)]
    with pytest.raises(SettlementError, match="setl_id: duplicate"):
        settle_year(pa.Table.from_pylist(_full(rows), schema=CLAIM_SCHEMA), library)


def test_reversing_a_claim_the_totals_never_held_is_refused():
    s, _ = settle(claim(total=60000, categories="低保对象"))
    from yibao.engine.settlement import reverse_settlement

    with pytest.raises(SettlementError, match="below zero"):
        reverse_settlement(s, Accumulators.empty())
