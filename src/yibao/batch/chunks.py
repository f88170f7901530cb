"""Read a claims Parquet file in chunks that never split a person's claims.

Two ways, both with memory bounded by the chunk size, not the year's size:
- a file sorted by psn_no (``yibao simulate`` writes them so and says so in the Parquet
  ``sorting_columns``) is streamed once; the last person of each batch waits for the next;
- any other file is first spilled into K buckets by a hash of psn_no, then read bucket by bucket.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

DEFAULT_CHUNK_ROWS = 250_000  # settle_year is fastest per claim at a few 100k claims (measured)


class BatchError(ValueError):
    pass


def sorted_by_person(path: Path) -> bool:
    """Does the file declare every row group sorted by psn_no (ascending, first)?"""
    meta = pq.ParquetFile(path).metadata
    if meta.num_row_groups == 0:
        return True
    schema = meta.schema.to_arrow_schema()
    for i in range(meta.num_row_groups):
        cols = meta.row_group(i).sorting_columns
        if not cols or schema.names[cols[0].column_index] != "psn_no" or cols[0].descending:
            return False
    return True


def _stream_sorted(path: Path, chunk_rows: int) -> Iterator[pa.Table]:
    carry: pa.Table | None = None
    last: str | None = None
    for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
        table = pa.Table.from_batches([batch])
        if table.num_rows == 0:
            continue
        psn = pl.from_arrow(table.column("psn_no"))
        assert isinstance(psn, pl.Series)
        if not psn.is_sorted() or (last is not None and psn[0] < last):
            raise BatchError(f"{path}: psn_no: not sorted although the file says so")
        last = psn[-1]
        if carry is not None:
            table = pa.concat_tables([carry, table])
            psn = pl.from_arrow(table.column("psn_no"))
            assert isinstance(psn, pl.Series)
        # Hold back the last person: their next claims may be in the next batch.
        first_of_last = int((psn == psn[-1]).arg_max() or 0)
        if first_of_last == 0:
            carry = table
            continue
        yield table.slice(0, first_of_last)
        carry = table.slice(first_of_last)
    if carry is not None and carry.num_rows:
        yield carry


def _spill(path: Path, chunk_rows: int, buckets: int | None, tmp: Path) -> list[Path]:
    pf = pq.ParquetFile(path)
    k = buckets or max(1, math.ceil(pf.metadata.num_rows / chunk_rows))
    writers: dict[int, pq.ParquetWriter] = {}
    try:
        for batch in pf.iter_batches(batch_size=chunk_rows):
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            bucket = (frame["psn_no"].hash(seed=0) % k).cast(pl.Int64)
            for (b,), part in frame.with_columns(bucket.alias("_bucket")).group_by("_bucket"):
                table = part.drop("_bucket").to_arrow().cast(batch.schema)
                if b not in writers:
                    writers[int(b)] = pq.ParquetWriter(
                        tmp / f"bucket-{int(b):05d}.parquet", batch.schema
                    )
                writers[int(b)].write_table(table)
    finally:
        for writer in writers.values():
            writer.close()
    return sorted(tmp / f"bucket-{b:05d}.parquet" for b in writers)


def person_chunks(
    path: Path, chunk_rows: int = DEFAULT_CHUNK_ROWS, buckets: int | None = None
) -> Iterator[pa.Table]:
    """Chunks of about ``chunk_rows`` claims, each holding all the claims of its persons."""
    if chunk_rows <= 0:
        raise BatchError(f"chunk_rows: must be positive, got {chunk_rows}")
    if not path.exists():
        raise BatchError(f"{path}: no such file")
    if buckets is None and sorted_by_person(path):
        yield from _stream_sorted(path, chunk_rows)
        return
    with tempfile.TemporaryDirectory(prefix="yibao-buckets-") as tmp:
        for part in _spill(path, chunk_rows, buckets, Path(tmp)):
            yield pq.read_table(part)
