"""Chunking inside a Spark partition (no Spark needed): a person's year is never split."""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from yibao.engine.settlement import settle_year
from yibao.spark.settle import KIND_SETTLEMENT, settle_partition


def _sorted_batches(claims: pa.Table, size: int) -> list[pa.RecordBatch]:
    frame = pl.from_arrow(claims).sort("psn_no", "setl_time", "setl_id")
    return frame.to_arrow().to_batches(max_chunksize=size)


def test_chunks_cut_only_between_persons_and_equal_one_engine_call(claims, library):
    """The heavy user's 60 claims exceed the chunk: she is still settled in one call."""
    head = claims.slice(0, 400)
    out = pa.Table.from_batches(
        list(settle_partition(iter(_sorted_batches(head, 7)), None, chunk_rows=25))
    )
    rows = pl.from_arrow(out).filter(pl.col("_kind") == KIND_SETTLEMENT).sort("setl_id")
    expected, _ = settle_year(head, library)
    expected = expected.sort("setl_id")
    for name in expected.columns:
        assert rows[name].to_list() == expected[name].to_list(), name


def test_an_empty_partition_yields_nothing():
    assert list(settle_partition(iter([]), None)) == []
