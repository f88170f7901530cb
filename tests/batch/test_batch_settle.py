"""Batch settlement equals real-time settlement, claim by claim, to the fen."""

import polars as pl
import pyarrow.parquet as pq
import pytest

from yibao.batch import BatchError, person_chunks, settle_file
from yibao.engine.settlement import SETLINFO_AMOUNTS, Accumulators, settle_claim

AMOUNTS = [a for a in SETLINFO_AMOUNTS if a != "pool_prop_selfpay"]


def test_batch_output_equals_settling_each_claim_in_turn(year_files, small_year, library, tmp_path):
    out = tmp_path / "settled.parquet"
    settle_file(year_files["claims"], out, chunk_rows=500)
    batch = pl.read_parquet(out).sort("setl_id")
    policy = library.resolve("500243", 2023)
    accs: dict[str, Accumulators] = {}
    rows = []
    for claim in small_year.claims.sort("psn_no", "setl_time", "setl_id").iter_rows(named=True):
        acc = accs.get(claim["psn_no"], Accumulators.empty())
        settlement, accs[claim["psn_no"]] = settle_claim(claim, policy, acc)
        rows.append({"setl_id": claim["setl_id"], **{a: settlement.setlinfo[a] for a in AMOUNTS}})
    sequential = pl.DataFrame(rows).sort("setl_id")
    assert batch.height == small_year.claims.height
    assert batch.select("setl_id", *AMOUNTS).equals(sequential.select("setl_id", *AMOUNTS))


def test_hash_buckets_give_the_same_settlements_as_the_sorted_stream(year_files, tmp_path):
    settle_file(year_files["claims"], tmp_path / "a.parquet", chunk_rows=300)
    settle_file(year_files["claims"], tmp_path / "b.parquet", buckets=3)
    a = pl.read_parquet(tmp_path / "a.parquet").sort("setl_id")
    b = pl.read_parquet(tmp_path / "b.parquet").sort("setl_id")
    assert a.equals(b)


def test_chunks_never_split_a_person(year_files):
    for buckets in (None, 4):
        seen: set[str] = set()
        total = 0
        for chunk in person_chunks(year_files["claims"], chunk_rows=200, buckets=buckets):
            people = set(chunk.column("psn_no").to_pylist())
            assert not people & seen
            seen |= people
            total += chunk.num_rows
        assert total == pq.ParquetFile(year_files["claims"]).metadata.num_rows


def test_two_workers_give_the_same_result(year_files, tmp_path):
    one = settle_file(year_files["claims"], tmp_path / "one.parquet", chunk_rows=300)
    two = settle_file(year_files["claims"], tmp_path / "two.parquet", chunk_rows=300, workers=2)
    assert pl.read_parquet(tmp_path / "one.parquet").equals(
        pl.read_parquet(tmp_path / "two.parquet")
    )
    assert one.sums.equals(two.sums)


def test_layers_add_up_for_every_claim(year_files, tmp_path):
    settle_file(year_files["claims"], tmp_path / "s.parquet")
    s = pl.read_parquet(tmp_path / "s.parquet")
    assert (s["medfee_sumamt"] == s["fund_pay_sumamt"] + s["psn_part_amt"]).all()
    assert (
        s["fund_pay_sumamt"] == s["hifp_pay"] + s["hifmi_pay"] + s["maf_pay"] + s["oth_pay"]
    ).all()


def test_sums_kept_for_the_statement_equal_the_output(year_files, tmp_path):
    result = settle_file(year_files["claims"], tmp_path / "s.parquet", chunk_rows=250)
    s = pl.read_parquet(tmp_path / "s.parquet")
    assert int(result.sums["hifp_pay"].sum()) == int(s["hifp_pay"].sum())
    assert int(result.sums["claims"].sum()) == s.height == result.claims


def test_unsorted_file_claiming_to_be_sorted_is_refused(small_year, tmp_path):
    from yibao.synth.parquet import SORTED_BY_PERSON, claims_arrow

    shuffled = claims_arrow(small_year.claims.sample(fraction=1.0, shuffle=True, seed=1))
    path = tmp_path / "liar.parquet"
    pq.write_table(shuffled, path, sorting_columns=SORTED_BY_PERSON)
    with pytest.raises(BatchError, match="psn_no"):
        list(person_chunks(path))


def test_missing_file_is_an_error_naming_it(tmp_path):
    with pytest.raises(BatchError, match="no such file"):
        list(person_chunks(tmp_path / "nothing.parquet"))
