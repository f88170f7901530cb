"""Batch settlement on Spark: partition by person, order by settle time, call the engine.

No rule lives here. Spark repartitions the claims by ``psn_no`` and sorts each partition by
(psn_no, setl_time, setl_id); ``mapInArrow`` then hands the sorted Arrow batches to
``settle_partition``, which cuts them into chunks only at person boundaries and calls the same
``settle_year`` as the local path on each chunk. A person's year is therefore always settled in
one call, in settlement order, exactly as on one machine.

Output (a directory):
- ``settlements/insuplc_admdvs=<code>/setl_month=<YYYY-MM>/*.parquet``: one row per claim,
  setlinfo amounts in fen (``pool_prop_selfpay`` in basis points), as ``settle_year`` returns.
- ``accumulators/year=<YYYY>/*.parquet``: each person-year's final running totals
  (``accumulators_frame`` layout).

Outputs depend only on the input rows of a person, so a task that fails and is retried by Spark
writes the same rows; Spark's commit protocol keeps the failed attempt's files out.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from yibao.batch.settle import GROUP, BatchResult
from yibao.claims import CLAIM_SCHEMA
from yibao.engine.fund import SUMMED
from yibao.engine.running_totals import DELTA_COLUMNS, TOTALS
from yibao.engine.settlement import SETLINFO_AMOUNTS, SettlementError, settle_year
from yibao.policy.loader import PolicyLibrary, default_library

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

KIND_SETTLEMENT = "settlement"
KIND_ACCUMULATORS = "accumulators"
CHUNK_ROWS = 200_000  # claims per settle_year call; a person is never split across two calls

_PAIRS = pa.list_(pa.struct([("name", pa.string()), ("fen", pa.int64())]))

# One row per claim, as settle_year returns it, plus where and when it was settled.
SETTLEMENT_SCHEMA = pa.schema(
    [
        ("setl_id", pa.string()),
        ("psn_no", pa.string()),
        ("year", pa.int64()),
        ("insuplc_admdvs", pa.string()),
        ("setl_time", pa.timestamp("us")),
        ("setl_month", pa.string()),
        ("med_type", pa.string()),
        ("hosp_lv", pa.string()),
        ("covered", pa.bool_()),
        *[(name, pa.int64()) for name in SETLINFO_AMOUNTS[:7]],
        ("pool_prop_selfpay", pa.int64()),  # basis points
        *[(name, pa.int64()) for name in SETLINFO_AMOUNTS[7:]],
        # what the claim consumed (settle_year's consumption columns)
        ("pool", pa.string()),
        ("cap_group", pa.string()),
        *[(name, pa.int64()) for name in DELTA_COLUMNS],
    ]
)
ACCUMULATOR_SCHEMA = pa.schema(
    [
        ("psn_no", pa.string()),
        ("year", pa.int64()),
        *[(t.name, _PAIRS if t.keyed else pa.int64()) for t in TOTALS],
    ]
)
# mapInArrow has one output schema: both kinds of rows travel in it, told apart by _kind.
_SHARED = ("psn_no", "year")
OUTPUT_SCHEMA = pa.schema(
    [
        ("_kind", pa.string()),
        *SETTLEMENT_SCHEMA,
        *[f for f in ACCUMULATOR_SCHEMA if f.name not in _SHARED],
    ]
)

Fault = Callable[[str], None]

# Ids, times and per-claim amounts are nearly all distinct: a Parquet dictionary for them is
# built, overflows and is thrown away for every page (most of the write's CPU). Written plain
# (still snappy) they read back the same; codes such as med_type keep their dictionaries.
_DICTIONARY_KEPT = {"year", "med_type", "hosp_lv", "covered", "pool", "cap_group"}
PLAIN_COLUMNS = {
    f"parquet.enable.dictionary#{name}": "false"
    for name in SETTLEMENT_SCHEMA.names
    if name not in _DICTIONARY_KEPT
}


@functools.lru_cache(maxsize=4)
def _library(library_dir: str | None) -> PolicyLibrary:
    """Loaded once per Python worker process and reused by every task it runs."""
    return default_library() if library_dir is None else PolicyLibrary(Path(library_dir))


def _claims_only(table: pa.Table) -> pl.DataFrame:
    """The CLAIM_SCHEMA columns present in the batch (Spark hands micro-second timestamps)."""
    names = [n for n in CLAIM_SCHEMA.names if n in table.column_names]
    frame = pl.from_arrow(table.select(names))
    assert isinstance(frame, pl.DataFrame)
    return frame


def settle_chunk(table: pa.Table, library: PolicyLibrary) -> pa.Table:
    """Settle whole persons with the engine; return settlement and accumulator rows together."""
    claims = _claims_only(table)
    settled, accs = settle_year(claims, library)
    where = claims.select(
        "setl_id",
        "insuplc_admdvs",
        "hosp_lv",
        pl.col("setl_time").cast(pl.Datetime("us")),
    )
    rows = (
        settled.join(where, on="setl_id", how="left", maintain_order="left")
        .with_columns(pl.col("setl_time").dt.strftime("%Y-%m").alias("setl_month"))
        .select(SETTLEMENT_SCHEMA.names)
        .to_arrow()
    )
    rows = _conform(rows, SETTLEMENT_SCHEMA)
    acc_rows = _conform(accs.select(ACCUMULATOR_SCHEMA.names).to_arrow(), ACCUMULATOR_SCHEMA)
    return pa.concat_tables(
        [_widen(rows, KIND_SETTLEMENT), _widen(acc_rows, KIND_ACCUMULATORS)]
    ).combine_chunks()


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Polars writes large_string etc.; Spark's Arrow reader wants exactly the declared types."""
    return pa.Table.from_arrays(
        [table[f.name].cast(f.type) for f in schema], schema=schema
    ).combine_chunks()


def _widen(table: pa.Table, kind: str) -> pa.Table:
    n = table.num_rows
    columns = []
    for f in OUTPUT_SCHEMA:
        if f.name == "_kind":
            columns.append(pa.repeat(pa.scalar(kind, pa.string()), n))
        elif f.name in table.column_names:
            columns.append(table[f.name])
        else:
            columns.append(pa.nulls(n, f.type))
    return pa.Table.from_arrays(columns, schema=OUTPUT_SCHEMA)


def _person_cut(table: pa.Table) -> int:
    """Rows before the last person's first row (the table is sorted by psn_no)."""
    psn = table["psn_no"]
    last = psn[table.num_rows - 1]
    return int(table.num_rows - pc.sum(pc.equal(psn, last)).as_py())


def settle_partition(
    batches: Iterator[pa.RecordBatch],
    library_dir: str | None = None,
    chunk_rows: int = CHUNK_ROWS,
    fault: Fault | None = None,
) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: batches sorted by (psn_no, setl_time) → settled rows (OUTPUT_SCHEMA).

    Chunks are cut only where the person changes, so no person's year spans two engine calls.
    ``fault`` (tests only) is called at "start" and "end" of the task, to make it fail like a
    lost executor does.
    """
    if fault is not None:
        fault("start")
    library = _library(library_dir)
    pending: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        pending.append(batch)
        rows += batch.num_rows
        if rows < chunk_rows:
            continue
        table = pa.Table.from_batches(pending)
        cut = _person_cut(table)
        if cut == 0:  # one person fills the chunk: keep reading until the person ends
            continue
        yield from settle_chunk(table.slice(0, cut), library).to_batches()
        rest = table.slice(cut).combine_chunks()
        pending = rest.to_batches()
        rows = rest.num_rows
    if rows:
        yield from settle_chunk(pa.Table.from_batches(pending), library).to_batches()
    if fault is not None:
        fault("end")


def _spark_schema() -> Any:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(OUTPUT_SCHEMA)


def settled_frame(
    claims: DataFrame,
    library_dir: str | None = None,
    partitions: int = 4,
    chunk_rows: int = CHUNK_ROWS,
    fault: Fault | None = None,
) -> DataFrame:
    """Claims (a Spark DataFrame in CLAIM_SCHEMA) → settlement and accumulator rows (lazy)."""
    missing = [n for n in ("setl_id", "psn_no", "setl_time") if n not in claims.columns]
    if missing:
        raise SettlementError(f"{missing[0]}: missing column")
    ordered = claims.repartition(partitions, "psn_no").sortWithinPartitions(
        "psn_no", "setl_time", "setl_id"
    )

    def body(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return settle_partition(batches, library_dir, chunk_rows, fault)

    return ordered.mapInArrow(body, _spark_schema())


_ENGINE_ERROR = re.compile(r"(?:yibao\.[\w.]+\.)?SettlementError: (.+)")


def _engine_error(exc: Exception) -> SettlementError | None:
    """The engine's own message, found in a Spark task failure (it arrives as text)."""
    match = _ENGINE_ERROR.search(str(exc))
    return SettlementError(match.group(1).strip()) if match else None


def settle_parquet_spark(
    input_path: str | Path,
    output_path: str | Path,
    library_dir: str | Path | None = None,
    partitions: int | None = None,
    *,
    accumulators_path: str | Path | None = None,
    spark: SparkSession | None = None,
    chunk_rows: int = CHUNK_ROWS,
    fault: Fault | None = None,
) -> BatchResult:
    """Read claims Parquet (a file or a partitioned folder), settle on Spark, write partitioned
    Parquet: ``output_path``/settlements (by region and month) and the final accumulators
    (by year) to ``accumulators_path``, default ``output_path``/accumulators.

    ``partitions`` (by person) defaults to ``spark.sql.shuffle.partitions``. Returns the local
    batch's ``BatchResult`` (``chunks`` = Spark partitions), with the sums per (region, year,
    med_type, hosp_lv) that the fund statement reads.
    """
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException
    from pyspark.sql import functions as F

    from yibao.spark.session import get_session

    start = time.perf_counter()
    session = spark or get_session()
    out = str(output_path).rstrip("/")
    acc_out = str(accumulators_path or f"{out}/accumulators").rstrip("/")
    lib = None if library_dir is None else str(library_dir)
    partitions = partitions or int(session.conf.get("spark.sql.shuffle.partitions") or 4)
    claims = session.read.parquet(str(input_path))
    rows = settled_frame(claims, lib, partitions, chunk_rows, fault).persist()
    try:
        kind = F.col("_kind")
        settlements = rows.where(kind == KIND_SETTLEMENT).select(*SETTLEMENT_SCHEMA.names)
        settlements.write.options(**PLAIN_COLUMNS).mode("overwrite").partitionBy(
            "insuplc_admdvs", "setl_month"
        ).parquet(f"{out}/settlements")
        accumulators = rows.where(kind == KIND_ACCUMULATORS).select(*ACCUMULATOR_SCHEMA.names)
        accumulators.write.mode("overwrite").partitionBy("year").parquet(acc_out)
        # One pass over the cached rows: settlement sums per GROUP, and (kind accumulators)
        # the person-years, whose GROUP columns other than the year are null.
        counted = (
            rows.groupBy("_kind", *GROUP)
            .agg(
                F.count("*").cast("long").alias("claims"),
                *[F.sum(c).cast("long").alias(c) for c in SUMMED],
            )
            .toArrow()
        )
    except (Py4JJavaError, PySparkException) as exc:
        error = _engine_error(exc)
        if error is not None:
            raise error from None
        raise
    finally:
        rows.unpersist()
    both = pl.from_arrow(counted)
    assert isinstance(both, pl.DataFrame)
    is_settlement = pl.col("_kind") == KIND_SETTLEMENT
    frame = both.filter(is_settlement).drop("_kind").sort(GROUP)
    person_years = both.filter(~is_settlement)["claims"].sum()
    return BatchResult(
        claims=int(frame["claims"].sum()) if frame.height else 0,
        persons=int(person_years or 0),
        chunks=partitions,
        seconds=time.perf_counter() - start,
        sums=frame,
    )


def read_settlements(spark: SparkSession, output_path: str | Path) -> pl.DataFrame:
    """The settlements written by ``settle_parquet_spark`` as one polars frame (for checks)."""
    table = spark.read.parquet(f"{str(output_path).rstrip('/')}/settlements").toArrow()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame
