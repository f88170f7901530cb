"""Settle a year of claims from Parquet with the engine's ``settle_year``, chunk by chunk.

Each chunk holds whole persons (``chunks.person_chunks``), so settling chunks one after another
equals settling the year at once, and equals real-time settlement claim by claim. Chunks can
go to several processes; the output is written as the chunks finish, in chunk order, and only
small sums (per region, year, med_type and hospital level) are kept for the fund statement.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from yibao.batch.chunks import DEFAULT_CHUNK_ROWS, person_chunks
from yibao.engine.fund import SUMMED
from yibao.engine.settlement import settle_year
from yibao.policy import default_library
from yibao.policy.loader import PolicyLibrary

GROUP = ("insuplc_admdvs", "year", "med_type", "hosp_lv")
Progress = Callable[[int], None]  # called with the number of claims just settled


@dataclass
class BatchResult:
    claims: int = 0
    persons: int = 0
    chunks: int = 0
    seconds: float = 0.0
    sums: pl.DataFrame = field(default_factory=pl.DataFrame)  # per GROUP: claims + SUMMED

    @property
    def claims_per_second(self) -> float:
        return self.claims / self.seconds if self.seconds else 0.0


def settle_table(
    claims: pa.Table | pl.DataFrame, library: PolicyLibrary | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(settlements, accumulators, sums) of one chunk of whole persons."""
    frame = claims if isinstance(claims, pl.DataFrame) else pl.from_arrow(claims)
    assert isinstance(frame, pl.DataFrame)
    settled, accumulators = settle_year(frame, library or default_library())
    keys = frame.select("setl_id", "insuplc_admdvs", "hosp_lv")
    sums = (
        settled.join(keys, on="setl_id", how="left")
        .group_by(GROUP)
        .agg(pl.len().cast(pl.Int64).alias("claims"), *[pl.col(c).sum() for c in SUMMED])
    )
    return settled, accumulators, sums


def _settle_chunk(table: pa.Table) -> tuple[pa.Table, pa.Table, pl.DataFrame]:
    settled, accumulators, sums = settle_table(table)
    return settled.to_arrow(), accumulators.to_arrow(), sums


def _results(
    chunks: Iterator[pa.Table], workers: int
) -> Iterator[tuple[pa.Table, pa.Table, pl.DataFrame]]:
    if workers <= 1:
        for chunk in chunks:
            yield _settle_chunk(chunk)
        return
    # spawn, not fork: a forked child of a process that already ran polars can deadlock.
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
        pending: list[Future[tuple[pa.Table, pa.Table, pl.DataFrame]]] = []
        for chunk in chunks:
            pending.append(pool.submit(_settle_chunk, chunk))
            # Keep at most one chunk queued per worker: memory stays bounded.
            while len(pending) > workers:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


def settle_file(
    claims_path: Path,
    out_path: Path,
    *,
    accumulators_path: Path | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    buckets: int | None = None,
    workers: int = 1,
    progress: Progress | None = None,
) -> BatchResult:
    """Settle every claim in ``claims_path`` into ``out_path`` (one row per claim, fen)."""
    start = time.perf_counter()
    result = BatchResult()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    writer: pq.ParquetWriter | None = None
    acc_writer: pq.ParquetWriter | None = None
    sums: list[pl.DataFrame] = []
    try:
        for settled, accumulators, chunk_sums in _results(
            person_chunks(claims_path, chunk_rows, buckets), workers
        ):
            if writer is None:
                writer = pq.ParquetWriter(out_path, settled.schema)
            writer.write_table(settled)
            if accumulators_path is not None:
                if acc_writer is None:
                    acc_writer = pq.ParquetWriter(accumulators_path, accumulators.schema)
                acc_writer.write_table(accumulators)
            sums.append(chunk_sums)
            result.claims += settled.num_rows
            result.persons += accumulators.num_rows
            result.chunks += 1
            if progress is not None:
                progress(settled.num_rows)
    finally:
        if writer is not None:
            writer.close()
        if acc_writer is not None:
            acc_writer.close()
    if writer is None:  # no claims: still write an empty, valid file
        pq.write_table(pa.table({"setl_id": pa.array([], pa.string())}), out_path)
    if sums:
        result.sums = (
            pl.concat(sums)
            .group_by(GROUP)
            .agg(pl.col("claims").sum(), *[pl.col(c).sum() for c in SUMMED])
            .sort(GROUP)
        )
    result.seconds = time.perf_counter() - start
    return result
