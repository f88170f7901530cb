"""The batch's shortcuts give the settlements of the long way, to the fen.

settle_year skips the sort of claims already in settlement order, groups rule keys by a row
hash (a join after a collision), settles running sums in small blocks of person-years and
may leave out the accumulators: each is compared here with the way it replaces."""

import polars as pl
import pytest

import yibao.engine.settlement_batch as batch
from yibao.engine.settlement import settle_year


@pytest.fixture(scope="module")
def settled(small_year, library):
    return settle_year(small_year.claims, library)


def test_claims_out_of_order_are_sorted_first(small_year, library, settled):
    shuffled = small_year.claims.sample(fraction=1.0, shuffle=True, seed=7)
    out, accumulators = settle_year(shuffled, library)
    assert out.equals(settled[0])
    assert accumulators.equals(settled[1])


def test_colliding_rule_key_hashes_fall_back_to_a_join(small_year, library, settled, monkeypatch):
    # Every claim gets the same hash: the claims of different keys collide.
    monkeypatch.setattr(
        batch, "_key_hash", lambda *key: pl.col("med_type").is_null().cast(pl.UInt64)
    )
    out, _ = settle_year(small_year.claims, library)
    assert out.equals(settled[0])


@pytest.mark.parametrize("size", [1, 3, 50])
def test_small_blocks_of_running_sums_settle_the_same(
    small_year, library, settled, monkeypatch, size
):
    monkeypatch.setattr(batch, "BLOCK_CLAIMS", size)
    out, accumulators = settle_year(small_year.claims, library)
    assert out.equals(settled[0])
    assert accumulators.equals(settled[1])


def test_without_accumulators_the_person_years_are_listed(small_year, library, settled):
    out, person_years = settle_year(small_year.claims, library, accumulators=False)
    assert out.equals(settled[0])
    assert person_years.equals(settled[1].select("psn_no", "year"))


def test_sums_per_rule_set_equal_the_claims_grouped_by_their_columns(small_year, library):
    from yibao.batch.settle import GROUP
    from yibao.engine.fund import SUMMED
    from yibao.engine.settlement import settle_year_sums

    out, _, sums = settle_year_sums(small_year.claims, library, GROUP, SUMMED)
    keys = small_year.claims.select("setl_id", "insuplc_admdvs", "hosp_lv")
    direct = (
        out.join(keys, on="setl_id")
        .group_by(GROUP)
        .agg(pl.len().cast(pl.Int64).alias("claims"), *[pl.col(c).sum() for c in SUMMED])
    )
    assert sums.sort(GROUP).equals(direct.sort(GROUP))


def test_two_policy_years_in_one_call_settle_as_each_year_alone(library):
    import datetime as dt

    from tests.settlement.conftest import claim

    rows = [
        claim(
            "421200",
            total=total,
            when=dt.datetime(year, month, 1, 9),
            setl_id=f"{psn}-{year}-{month}",
            psn_no=psn,
        )
        for psn in ("P1", "P2")
        for year in (2022, 2023)
        for month, total in ((3, 30_000), (9, 80_000))
    ]
    frame = pl.DataFrame(rows).with_columns(pl.col("tier").cast(pl.Int8))
    both, _ = settle_year(frame, library)
    alone = pl.concat(
        settle_year(frame.filter(pl.col("setl_time").dt.year() == y), library)[0]
        for y in (2022, 2023)
    )
    assert both.sort("setl_id").equals(alone.sort("setl_id"))
    assert both["hifp_pay"].sum() > 0
