"""A synthetic year on Spark: the same generator as ``yibao simulate``, one shard per task.

The population is cut into shards of ``chunk`` people by offset (0, chunk, 2·chunk, …), exactly
as ``yibao.synth.county.simulate_chunks`` cuts it; shard k draws from the seed sequence
(seed, offset_k) inside ``simulate_county``. So a shard's tables depend only on (region, year,
seed, offset, size): the year is the same whatever the number of workers or partitions, and
equal to the local ``yibao simulate`` with the same ``--chunk``.

Each task writes its shards' files itself under names derived from the shard (write to a
temporary name, then rename), so a retried task rewrites the same bytes to the same names:

    OUT/claims.parquet/insuplc_admdvs=<code>/setl_month=<YYYY-MM>/shard-<offset>.parquet
    OUT/<table>.parquet/shard-<offset>.parquet     (households, persons, enrollments, ...)

``OUT/claims.parquet`` is what ``settle_parquet_spark`` (``yibao batch settle --engine spark``)
reads; Spark (and polars with hive partitioning) read each folder as one table.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from yibao.synth.county import TABLES, SimulationError, simulate_county
from yibao.synth.parquet import claims_arrow

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PARTITION_COLUMNS = ("insuplc_admdvs", "setl_month")


@dataclass(frozen=True)
class Shard:
    offset: int  # first person's index: names the people and seeds the shard
    persons: int


@dataclass(frozen=True)
class SparkSimulation:
    region: str
    year: int
    seed: int
    persons: int
    shards: int
    counts: dict[str, int]
    out: str
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "engine": "spark",
            "region": self.region,
            "year": self.year,
            "seed": self.seed,
            "persons": self.persons,
            "shards": self.shards,
            "counts": self.counts,
            "files": {name: f"{self.out}/{name}.parquet" for name in TABLES if self.counts[name]},
            "seconds": round(self.seconds, 3),
        }


def shards(persons: int, chunk: int) -> list[Shard]:
    """The same cut as ``simulate_chunks``: consecutive offsets, the last shard shorter."""
    if persons <= 0:
        raise SimulationError(f"persons: must be positive, got {persons}")
    if chunk <= 0:
        raise SimulationError(f"chunk: must be positive, got {chunk}")
    return [Shard(o, min(chunk, persons - o)) for o in range(0, persons, chunk)]


def _write_atomic(table: pa.Table, path: Path) -> None:
    """Write beside the target, then rename: a reader or a retry never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def write_shard(
    region: str, year: int, seed: int, shard: Shard, out: str, fee_detail: bool = False
) -> dict[str, int]:
    """Simulate one shard with the synth generator and write its files; returns row counts."""
    part = simulate_county(
        region, year, shard.persons, seed, fee_detail=fee_detail, offset=shard.offset
    )
    name = f"shard-{shard.offset:012d}.parquet"
    root = Path(out)
    for table in TABLES:
        frame = getattr(part, table)
        if table == "fee_detail" and not fee_detail:
            continue
        if table == "claims":
            claims = frame.with_columns(
                pl.col("setl_time").dt.strftime("%Y-%m").alias("setl_month")
            )
            for (code, month), group in claims.group_by(PARTITION_COLUMNS, maintain_order=True):
                folder = root / "claims.parquet" / f"insuplc_admdvs={code}" / f"setl_month={month}"
                # the partition values live in the folder names (hive layout), not in the file
                body = claims_arrow(group.with_columns(pl.lit(code).alias("insuplc_admdvs")))
                _write_atomic(body.drop_columns(["insuplc_admdvs"]), folder / name)
        else:
            _write_atomic(frame.to_arrow(), root / f"{table}.parquet" / name)
    return {table: getattr(part, table).height for table in TABLES}


def simulate_spark(
    region: str,
    year: int,
    persons: int,
    out: str | Path,
    seed: int = 0,
    *,
    chunk: int = 250_000,
    partitions: int | None = None,
    fee_detail: bool = False,
    spark: SparkSession | None = None,
) -> SparkSimulation:
    """Simulate a year on Spark; the files are the same for any ``partitions``."""
    from yibao.policy import default_library
    from yibao.spark.session import get_session

    start = time.perf_counter()
    default_library().resolve(region, year)  # a clear error before any task starts
    cut = shards(persons, chunk)
    session = spark or get_session()
    target = str(Path(out).resolve())
    for table in TABLES:  # a new year replaces the old one; other files in OUT are left alone
        shutil.rmtree(Path(target, f"{table}.parquet"), ignore_errors=True)
    n = partitions or min(len(cut), max(session.sparkContext.defaultParallelism, 1))

    def run(items: Iterable[Shard]) -> Iterator[dict[str, int]]:
        for shard in items:
            yield write_shard(region, year, seed, shard, target, fee_detail)

    counts = session.sparkContext.parallelize(cut, n).mapPartitions(run).collect()
    totals = {table: sum(c[table] for c in counts) for table in TABLES}
    return SparkSimulation(
        region=region,
        year=year,
        seed=seed,
        persons=persons,
        shards=len(cut),
        counts=totals,
        out=target,
        seconds=time.perf_counter() - start,
    )
