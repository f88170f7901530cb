"""Settle a year of claims from Parquet with the engine's ``settle_year``, chunk by chunk.

Each chunk holds whole persons (``chunks.person_frames``), so settling chunks one after another
equals settling the year at once, and equals real-time settlement claim by claim. Chunks can
go to several processes; the output is written as the chunks finish, in chunk order, and only
small sums (per region, year, med_type and hospital level) are kept for the fund statement.

Reading, settling and writing overlap: a reader thread reads the next chunk and a writer thread
encodes the last one while the main thread (or the worker processes) settle. Polars and pyarrow
release the GIL while they work, so on two cores the three stages run side by side; the queues
between them hold one chunk each, so memory stays bounded by a few chunks.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import queue
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from yibao.batch.chunks import DEFAULT_CHUNK_ROWS, person_frames
from yibao.engine.fund import SUMMED
from yibao.engine.settlement import SETTLED_COLUMNS, settle_year_sums
from yibao.policy import default_library
from yibao.policy.loader import PolicyLibrary

GROUP = ("insuplc_admdvs", "year", "med_type", "hosp_lv")
# What settle_year and the sums read; certno, institution and diagnosis stay on disk.
READ_COLUMNS = sorted(SETTLED_COLUMNS | {"insuplc_admdvs", "hosp_lv"})
# Claim columns the settlements carry on, after the engine's (issue 16: the monitor commands
# read them, so `monitor assist`, `warnings` and `targets` run on this output without a join
# to the claims file). settle_year takes them from its settled frame (carry=): no extra I/O
# and no join (a join by setl_id per chunk cost about 1 CPU s per million claims).
CARRIED = ("setl_time", "hosp_lv", "categories")
# Output row groups of about this many claims (two default chunks): larger row groups read
# faster later, but memory holds this many settled rows waiting to be encoded (measured at 10M
# claims: peak RSS 960 MiB with 250,000-claim row groups, 1,150 MiB with 1,000,000).
ROW_GROUP_ROWS = 500_000
# Columns with (nearly) one value per claim: a dictionary is built, outgrows its page and is
# dropped, which costs 20 % of the encoding time for a 25 % smaller file (measured). Codes,
# flags and the mostly-zero amounts keep their dictionaries.
NO_DICTIONARY = frozenset(
    {
        "setl_id",
        "psn_no",
        "medfee_sumamt",
        "fulamt_ownpay_amt",
        "preselfpay_amt",
        "inscp_scp_amt",
        "hifp_pay",
        "fund_pay_sumamt",
        "psn_part_amt",
        "psn_cash_pay",
        "critical_eligible_delta",
        "setl_time",
    }
)
# The ids are the bulk of the file and compress well (snappy); the per-claim amounts are
# bit-packed deltas instead (DELTA_BINARY_PACKED: a few bits per amount, no compressor); codes,
# flags and the mostly-zero amounts are dictionary indices. Measured at 1M claims against
# snappy on every column: write 0.37 -> 0.24 CPU s, file 39 -> 33 MB (plain and uncompressed:
# 0.28 s, 116 MB).
COMPRESSED = ("setl_id", "psn_no")
COMPRESSION = "snappy"
# Min/max only where a reader prunes row groups by them (the output is in person order when
# the input is); statistics on every column cost 15-25 % of the encoding time (measured).
STATISTICS = ("psn_no",)

Progress = Callable[[int], None]  # called with the number of claims just settled
Settled = tuple[pa.Table, pa.Table, pl.DataFrame]  # settlements, accumulators, sums
T = TypeVar("T")
NEWEST = pl.CompatLevel.newest()


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
    claims: pa.Table | pl.DataFrame,
    library: PolicyLibrary | None = None,
    *,
    accumulators: bool = True,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(settlements, accumulators, sums) of one chunk of whole persons.

    ``accumulators=False``: the second frame only lists the person-years (``settle_year``)."""
    return settle_year_sums(
        claims,
        library or default_library(),
        GROUP,
        SUMMED,
        accumulators=accumulators,
        carry=CARRIED,
    )


def _settle_chunk(chunk: pa.Table | pl.DataFrame, accumulators: bool = True) -> Settled:
    settled, person_years, sums = settle_table(chunk, accumulators=accumulators)
    settled = settled.with_columns(pl.col("setl_time").cast(pl.Datetime("ms")))
    # Polars' own string layout (Arrow string views): no copy of the strings into offsets and
    # data buffers, which cost as much as a fifth of the Parquet write (measured).
    return settled.to_arrow(compat_level=NEWEST), person_years.to_arrow(), sums


@contextlib.contextmanager
def _environ(**values: str) -> Iterator[None]:
    """Environment variables set for the processes started inside the block."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _warm() -> None:
    """A worker's start: the engine is imported with this module; load the policy library."""
    default_library()


def _put(q: queue.Queue[Any], item: Any, stop: threading.Event) -> bool:
    """Put unless told to stop (the consumer went away); False when stopped."""
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _ahead(items: Iterator[T], name: str) -> Generator[T, None, None]:
    """``items``, produced by a thread one item ahead of the consumer."""
    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if not _put(q, ("item", item), stop):
                    return
            _put(q, ("done", None), stop)
        except BaseException as error:  # handed to the consumer, raised there
            _put(q, ("error", error), stop)
        finally:
            close = getattr(items, "close", None)
            if close is not None:  # a generator's cleanup (temporary buckets) runs here
                close()

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            kind, value = q.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        thread.join()


class _Writer:
    """Writes settlements (and accumulators) in a thread, in the order they are given."""

    def __init__(self, out_path: Path, accumulators_path: Path | None) -> None:
        self.out_path = out_path
        self.accumulators_path = accumulators_path
        self.queue: queue.Queue[tuple[pa.Table, pa.Table] | None] = queue.Queue(maxsize=1)
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="yibao-batch-writer", daemon=True)
        self.thread.start()

    def put(self, settled: pa.Table, accumulators: pa.Table) -> None:
        self._raise()
        _put(self.queue, (settled, accumulators), self.stop)
        self._raise()

    def close(self, *, failed: bool = False) -> None:
        if failed:
            self.stop.set()
        else:
            _put(self.queue, None, self.stop)
        self.thread.join()
        if not failed:
            self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        writer: pq.ParquetWriter | None = None
        acc_writer: pq.ParquetWriter | None = None
        pending: list[pa.Table] = []

        def flush() -> None:
            nonlocal writer, pending
            if pending:
                table = _required(pa.concat_tables(pending))
                if writer is None:
                    writer = _parquet_writer(self.out_path, table.schema)
                writer.write_table(table, row_group_size=table.num_rows)
                pending = []

        try:
            while not self.stop.is_set():
                try:
                    item = self.queue.get(timeout=0.1)
                except queue.Empty:
                    continue
                if item is None:
                    flush()
                    if writer is None:  # no claims: still write an empty, valid file
                        empty = pa.table({"setl_id": pa.array([], pa.string())})
                        pq.write_table(empty, self.out_path)
                    return
                settled, accumulators = item
                pending.append(settled)
                if sum(t.num_rows for t in pending) >= ROW_GROUP_ROWS:
                    flush()
                if self.accumulators_path is not None:
                    if acc_writer is None:
                        acc_writer = pq.ParquetWriter(self.accumulators_path, accumulators.schema)
                    acc_writer.write_table(accumulators)
        except BaseException as error:  # raised in the main thread by put/close
            self.error = error
            self.stop.set()
        finally:
            if writer is not None:
                writer.close()
            if acc_writer is not None:
                acc_writer.close()


def _parquet_writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    names = schema.names
    return pq.ParquetWriter(
        path,
        schema,
        compression={n: COMPRESSION if n in COMPRESSED else "none" for n in names},
        # Settlements arrive as string views; without the stored Arrow schema readers see the
        # Parquet types (plain strings), as before.
        store_schema=False,
        use_dictionary=[n for n in names if n not in NO_DICTIONARY],
        column_encoding={
            n: "DELTA_BINARY_PACKED"
            for n in names
            if n in NO_DICTIONARY and pa.types.is_integer(schema.field(n).type)
        },
        write_statistics=[n for n in STATISTICS if n in names],
    )


def _required(table: pa.Table) -> pa.Table:
    """The settlements with every column declared non-null (Parquet REQUIRED, no definition
    levels to encode: measured 0.05-0.1 CPU s less per million claims). ``settle_year`` leaves
    no nulls in its output; a null is refused rather than written under a false schema."""
    for name, column in zip(table.column_names, table.columns, strict=True):
        if column.null_count:
            raise ValueError(f"{name}: null in a settlement")
    schema = pa.schema([f.with_nullable(False) for f in table.schema])
    return pa.Table.from_arrays(table.columns, schema=schema)


def _in_order(
    pool: Executor, settle: Callable[[Any], Any], chunks: Iterator[Any], width: int
) -> Iterator[Any]:
    """``settle`` each chunk on ``pool``, ``width`` at a time; the results in chunk order."""
    pending: list[Future[Any]] = []
    for chunk in chunks:
        pending.append(pool.submit(settle, chunk))
        # Keep at most ``width`` chunks in flight: memory stays bounded.
        while len(pending) >= width:
            yield pending.pop(0).result()
    for future in pending:
        yield future.result()


# Between processes, chunks travel as Arrow IPC files in shared memory: one copy in, and the
# reader maps the file instead of copying it. Pickled through the pool's pipes (64 KiB at a
# time, the two processes taking turns) the same tables cost more CPU than settling them
# (measured at 10M claims: 2 workers used 51 CPU s where one process used 22).
def _share(table: pa.Table, directory: str) -> str:
    path = os.path.join(directory, f"{uuid.uuid4().hex}.arrow")
    with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as ipc:
        ipc.write_table(table)
    return path


def _take(path: str) -> pa.Table:
    """The table in a shared file, mapped; the file's name is removed at once (the mapping
    keeps its pages until the table is freed)."""
    with pa.memory_map(path) as source:
        table = pa.ipc.open_file(source).read_all()
    os.unlink(path)
    return table


def _settle_shared(job: tuple[str, str, bool]) -> tuple[str, str, pl.DataFrame]:
    """In a worker: settle the chunk in shared file ``job[0]``; share the results likewise."""
    path, directory, keep = job
    settled, accumulators, sums = _settle_chunk(_take(path), keep)
    return _share(settled, directory), _share(accumulators, directory), sums


def _results(
    chunks: Iterator[pl.DataFrame], workers: int, threads: int, accumulators: bool
) -> Iterator[Settled]:
    settle = functools.partial(_settle_chunk, accumulators=accumulators)
    if workers <= 1:
        if threads <= 1:
            yield from map(settle, chunks)
            return
        # The engine's Polars and NumPy work runs without the GIL, so two chunks settle side by
        # side in one process, with no copies between processes.
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="yibao-settle") as pool:
            yield from _in_order(pool, settle, chunks, threads)
        return
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    # spawn, not fork: a forked child of a process that already ran polars can deadlock.
    spawn = multiprocessing.get_context("spawn")
    with (
        tempfile.TemporaryDirectory(prefix="yibao-batch-", dir=shm) as directory,
        ProcessPoolExecutor(max_workers=workers, mp_context=spawn, initializer=_warm) as pool,
    ):
        # The first submit starts every worker: they import the engine and load the policy
        # library while the reader thread reads the first chunk. Each worker gets a share of
        # the cores for its Polars thread pool (read when the worker starts), so that the
        # workers' pools do not oversubscribe the cores.
        with _environ(POLARS_MAX_THREADS=str(max(1, (os.cpu_count() or 1) // workers))):
            pool.submit(int)
        jobs = ((_share(chunk.to_arrow(), directory), directory, accumulators) for chunk in chunks)
        for settled, accumulators, sums in _in_order(pool, _settle_shared, jobs, workers + 1):
            yield _take(settled), _take(accumulators), sums


def settle_file(
    claims_path: Path,
    out_path: Path,
    *,
    accumulators_path: Path | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    buckets: int | None = None,
    workers: int = 1,
    threads: int = 2,
    progress: Progress | None = None,
) -> BatchResult:
    """Settle every claim in ``claims_path`` into ``out_path`` (one row per claim, fen).

    ``workers``: processes settling chunks; ``threads``: with one process, threads settling
    chunks side by side (two, the default: on 2 cores from 27 % faster to 7 % slower than one
    between runs of bench/batch_throughput.py, for about 10 % more CPU; faster when other jobs
    share the cores). Either way the output is the same, in chunk order."""
    start = time.perf_counter()
    result = BatchResult()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    sums: list[pl.DataFrame] = []
    chunks = _ahead(
        person_frames(claims_path, chunk_rows, buckets, READ_COLUMNS), "yibao-batch-reader"
    )
    writer = _Writer(out_path, accumulators_path)
    try:
        keep = accumulators_path is not None
        for settled, person_years, chunk_sums in _results(chunks, workers, threads, keep):
            writer.put(settled, person_years)
            sums.append(chunk_sums)
            result.claims += settled.num_rows
            result.persons += person_years.num_rows
            result.chunks += 1
            if progress is not None:
                progress(settled.num_rows)
    except BaseException:
        writer.close(failed=True)
        raise
    finally:
        chunks.close()  # stops the reader thread
    writer.close()
    if sums:
        result.sums = (
            pl.concat(sums)
            .group_by(GROUP)
            .agg(pl.col("claims").sum(), *[pl.col(c).sum() for c in SUMMED])
            .sort(GROUP)
        )
    result.seconds = time.perf_counter() - start
    return result


# What the DRG/DIP statement reads (drg.statement.settled_inpatient): the settlements' amounts,
# the claims' hospital, dates, person and 病案首页 columns; the rest stays on disk.
AS_PAID_SETTLED = ("setl_id", "med_type", "covered", "medfee_sumamt", "hifp_pay")


def inpatient_frames(
    claims_path: Path, settled_path: Path, region: str, year: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(settlements, claims) of a region-year's inpatient (21) claims, read lazily from the
    batch's input and output (a file, or the Spark engine's folder): only the rows and columns
    drg.statement.as_paid_for_year reads."""
    from yibao.claims import CASE_FIELDS
    from yibao.drg.statement import NEEDED

    settled = settled_path / "settlements" if settled_path.is_dir() else settled_path
    s = _scan(settled)
    s_names = s.collect_schema().names()
    lacking = [c for c in AS_PAID_SETTLED if c not in s_names and c != "covered"]
    if lacking:
        raise ValueError(f"SETTLED: 缺少列 {', '.join(lacking)}")
    settlements = (
        s.filter(pl.col("med_type") == "21")
        .select(c for c in AS_PAID_SETTLED if c in s_names)
        .collect()
    )
    c = _scan(claims_path)
    c_names = c.collect_schema().names()
    lacking = [n for n in ("med_type", "insuplc_admdvs", "setl_time") if n not in c_names]
    if lacking:
        raise ValueError(f"claims: 缺少列 {', '.join(lacking)}")
    wanted = [*NEEDED, "insuplc_admdvs", "psn_no", *CASE_FIELDS]
    claims = (
        c.filter(
            (pl.col("med_type") == "21")
            & (pl.col("insuplc_admdvs") == region)
            & (pl.col("setl_time").dt.year() == year)
        )
        .select(n for n in dict.fromkeys(wanted) if n in c_names and n not in AS_PAID_SETTLED[3:])
        .collect()
    )
    return settlements, claims


def _scan(path: Path) -> pl.LazyFrame:
    """A Parquet file, or a folder of them as Spark writes it (partitioned by insuplc_admdvs and
    setl_month, with .crc files beside the data): the partition columns read as text."""
    if not path.is_dir():
        return pl.scan_parquet(path)
    return pl.scan_parquet(
        str(path / "**" / "*.parquet"),
        hive_partitioning=True,
        hive_schema={"insuplc_admdvs": pl.String, "setl_month": pl.String},
    )
