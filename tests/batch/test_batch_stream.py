"""The streamed path: chunks cut across row groups, persons longer than a chunk, errors from the
reader and writer threads reach the caller."""

import polars as pl
import pyarrow.parquet as pq
import pytest

from yibao.batch import BatchError, person_chunks, settle_file
from yibao.batch import settle as batch_settle
from yibao.synth.parquet import SORTED_BY_PERSON, claims_arrow


@pytest.fixture(scope="module")
def small_row_groups(small_year, tmp_path_factory):
    """The same claims, sorted by person, in row groups of 97 claims: persons straddle them."""
    path = tmp_path_factory.mktemp("rg") / "claims.parquet"
    table = claims_arrow(small_year.claims.sort("psn_no", "setl_time", "setl_id"))
    pq.write_table(table, path, row_group_size=97, sorting_columns=SORTED_BY_PERSON)
    assert pq.ParquetFile(path).metadata.num_row_groups > 3
    return path


def test_chunks_across_row_groups_never_split_a_person(small_row_groups):
    seen: set[str] = set()
    total = 0
    for chunk in person_chunks(small_row_groups, chunk_rows=150):
        people = set(chunk.column("psn_no").to_pylist())
        assert not people & seen
        seen |= people
        total += chunk.num_rows
    assert total == pq.ParquetFile(small_row_groups).metadata.num_rows


def test_a_person_longer_than_a_chunk_stays_whole(small_row_groups, small_year):
    most = small_year.claims.group_by("psn_no").len().sort("len", "psn_no").row(-1)
    assert most[1] > 1
    chunks = list(person_chunks(small_row_groups, chunk_rows=1))
    holding = [c for c in chunks if most[0] in c.column("psn_no").to_pylist()]
    assert len(holding) == 1
    assert holding[0].column("psn_no").to_pylist().count(most[0]) == most[1]


def test_row_groups_and_chunk_sizes_do_not_change_the_settlements(
    small_row_groups, year_files, tmp_path
):
    settle_file(year_files["claims"], tmp_path / "a.parquet")
    settle_file(small_row_groups, tmp_path / "b.parquet", chunk_rows=40)
    a = pl.read_parquet(tmp_path / "a.parquet").sort("setl_id")
    b = pl.read_parquet(tmp_path / "b.parquet").sort("setl_id")
    assert a.equals(b)


def test_unsorted_file_fails_settle_file_with_the_reader_error(small_year, tmp_path):
    shuffled = claims_arrow(small_year.claims.sample(fraction=1.0, shuffle=True, seed=1))
    path = tmp_path / "liar.parquet"
    pq.write_table(shuffled, path, row_group_size=100, sorting_columns=SORTED_BY_PERSON)
    with pytest.raises(BatchError, match="psn_no"):
        settle_file(path, tmp_path / "out.parquet", chunk_rows=50)


def test_a_failing_write_reaches_the_caller(year_files, tmp_path, monkeypatch):
    def refuse(path, schema):
        raise OSError(f"{path}: disk full")

    monkeypatch.setattr(batch_settle, "_parquet_writer", refuse)
    with pytest.raises(OSError, match="disk full"):
        settle_file(year_files["claims"], tmp_path / "out.parquet", chunk_rows=100)


def test_accumulators_file_has_one_row_per_person_year(year_files, small_year, tmp_path):
    result = settle_file(
        year_files["claims"],
        tmp_path / "s.parquet",
        accumulators_path=tmp_path / "acc.parquet",
        chunk_rows=100,
    )
    acc = pl.read_parquet(tmp_path / "acc.parquet")
    assert acc.height == result.persons
    assert acc.select("psn_no", "year").n_unique() == acc.height
    assert set(acc["psn_no"]) == set(small_year.claims["psn_no"])


def test_two_settling_threads_give_the_same_result(small_row_groups, tmp_path):
    one = settle_file(small_row_groups, tmp_path / "one.parquet", chunk_rows=60, threads=1)
    two = settle_file(small_row_groups, tmp_path / "two.parquet", chunk_rows=60, threads=2)
    assert one.chunks > 4
    assert pl.read_parquet(tmp_path / "one.parquet").equals(
        pl.read_parquet(tmp_path / "two.parquet")
    )
    assert one.sums.equals(two.sums)
