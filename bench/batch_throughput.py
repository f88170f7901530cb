"""Batch settlement throughput and peak memory at 1M and 10M claims, and two peers on the
same data: the rules in OpenFisca (person-year, float32) and a per-claim Python loop.

    .venv/bin/python bench/batch_throughput.py [--sizes 1000000 10000000] [--workers 1 2]

Claims are a synthetic 彭水 2023 year (yibao simulate), written once to --data and reused by
later runs (10M claims take minutes to simulate). Settlement runs in a fresh process per
measurement (``yibao.batch.settle_file``: read Parquet in person chunks, settle_year, write
Parquet, with reader and writer threads); peak memory is the largest resident set of that
process and its workers, polled every 50 ms; CPU is user + system of the process tree. A second
fresh process runs the stages one after another on the first size to show where the time goes.
Results go to docs/benchmarks.md (section batch_throughput).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import psutil
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from report import write_section

from yibao.batch.chunks import DEFAULT_CHUNK_ROWS
from yibao.policy import default_library
from yibao.synth import simulate_chunks
from yibao.synth.parquet import SORTED_BY_PERSON, claims_arrow

REGION, YEAR, SEED = "500243", 2023, 2023
CLAIMS_PER_PERSON = 2.85  # about what the generator gives for 彭水 (see docs/synthetic-data.md)

SETTLE = """
import json, sys
from pathlib import Path
from yibao.batch import settle_file
r = settle_file(Path(sys.argv[1]), Path(sys.argv[2]), workers=int(sys.argv[3]), chunk_rows=int(sys.argv[4]), threads=int(sys.argv[5]))
print(json.dumps({"claims": r.claims, "persons": r.persons, "chunks": r.chunks, "seconds": r.seconds}))
"""


def make_claims(path: Path, claims: int) -> int:
    """Write about ``claims`` synthetic claims sorted by person; return the exact count."""
    if path.exists():
        return pq.ParquetFile(path).metadata.num_rows
    persons = int(claims / CLAIMS_PER_PERSON)
    tmp = path.with_suffix(".tmp")
    writer = None
    written = 0
    started = time.perf_counter()
    for part in simulate_chunks(REGION, YEAR, persons, SEED, chunk=250_000):
        table = claims_arrow(part.claims)
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema, sorting_columns=SORTED_BY_PERSON)
        writer.write_table(table)
        written += table.num_rows
    assert writer is not None
    writer.close()
    tmp.rename(path)
    print(f"simulated {written:,} claims in {time.perf_counter() - started:.1f} s", flush=True)
    return written


# The stages of settle_file one after another, each timed by CPU (all threads) and wall.
STAGES = """
import json, sys, time
from pathlib import Path
import polars as pl
import pyarrow as pa
from yibao.batch import settle as S
from yibao.batch.chunks import person_frames
from yibao.policy import default_library
path, out, chunk_rows = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
library = default_library()
stages = {}
def stage(name, f):
    cpu, wall = time.process_time(), time.perf_counter()
    value = f()
    stages[name] = [time.process_time() - cpu, time.perf_counter() - wall]
    return value
frames = stage("read", lambda: list(person_frames(path, chunk_rows, None, S.READ_COLUMNS)))
# settle_year with the fund statement's sums (per rule set, then per group), as settle_file runs it
settled = stage("settle_year", lambda: [S.settle_table(f, library, accumulators=False)[0] for f in frames])
tables = stage("to_arrow", lambda: [s.to_arrow(compat_level=S.NEWEST) for s in settled])
def write():
    writer = None
    for i in range(0, len(tables), 2):
        table = S._required(pa.concat_tables(tables[i : i + 2]))
        writer = writer or S._parquet_writer(out, table.schema)
        writer.write_table(table, row_group_size=table.num_rows)
    writer.close()
stage("write", write)
print(json.dumps({"claims": sum(f.height for f in frames), "stages": stages}))
"""


def machine_busy() -> float:
    """CPU seconds all cores of the machine have been busy since boot (/proc/stat)."""
    with open("/proc/stat") as fh:
        fields = fh.readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def stages_measured(path: Path, out: Path, chunk_rows: int) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", STAGES, str(path), str(out), str(chunk_rows)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout)


def settle_measured(
    path: Path, out: Path, workers: int, chunk_rows: int, threads: int = 1, polars_threads: int = 0
) -> dict[str, float]:
    """Run the batch in a fresh process; return its result, wall time, CPU seconds of the
    process tree and peak memory (MiB). ``polars_threads``: POLARS_MAX_THREADS of that process
    (0: Polars' default, one per core)."""
    env = dict(os.environ)
    if polars_threads:
        env["POLARS_MAX_THREADS"] = str(polars_threads)
    cpu_before, busy_before = children_cpu(), machine_busy()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SETTLE,
            *map(str, (path, out, workers, chunk_rows, threads)),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    parent = psutil.Process(proc.pid)
    samples: list[int] = []
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            samples.append(
                parent.memory_info().rss
                + sum(c.memory_info().rss for c in parent.children(recursive=True))
            )
        time.sleep(0.05)
    half = len(samples) // 2
    peak = max(samples, default=0)
    # Memory that grew with the year would peak in the second half of the run.
    first_half, second_half = max(samples[:half], default=0), max(samples[half:], default=0)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"settle failed with exit code {proc.returncode}")
    assert proc.stdout is not None
    result = json.loads(proc.stdout.read())
    cpu = children_cpu() - cpu_before
    return {
        **result,
        "wall": wall,
        "cpu": cpu,
        # CPU the rest of the machine used meanwhile (other jobs, and this script's polling)
        "others": max(0.0, machine_busy() - busy_before - cpu),
        "peak_mib": peak / 2**20,
        "halves_mib": (first_half / 2**20, second_half / 2**20),
    }


def peers(path: Path, sample_claims: int, loop_claims: int) -> list[str]:
    """The engine, OpenFisca and a per-claim loop on the same persons' claims."""
    from peers import openfisca_peer, python_loop

    from yibao.engine.settlement import settle_year

    library = default_library()
    policy = library.resolve(REGION, YEAR)
    claims = pl.read_parquet(path, n_rows=sample_claims)
    last = claims["psn_no"][-1]
    claims = claims.filter(pl.col("psn_no") != last)  # whole persons only
    rows: list[str] = []

    t = time.perf_counter()
    settled, _ = settle_year(claims, library)
    engine_s = time.perf_counter() - t
    engine_rate = claims.height / engine_s

    inputs = openfisca_peer.person_inputs(claims, policy)
    system = openfisca_peer.build_system(policy)
    t = time.perf_counter()
    result = openfisca_peer.run(system, inputs, YEAR)
    of_s = time.perf_counter() - t
    inpatient = settled.filter(pl.col("med_type") == "21")
    t = time.perf_counter()
    settle_year(claims.filter(pl.col("med_type") == "21"), library)
    engine_inpatient_s = time.perf_counter() - t

    persons = claims["psn_no"].unique(maintain_order=True)
    few = claims.filter(
        pl.col("psn_no").is_in(persons.head(max(1, int(loop_claims / 3))).implode())
    )
    t = time.perf_counter()
    python_loop.settle_loop(few, policy)
    loop_s = time.perf_counter() - t
    loop_rate = few.height / loop_s
    t = time.perf_counter()
    settle_year(few, library)
    engine_few_s = time.perf_counter() - t

    rows.append(
        f"| yibao settle_year (vectorised, int64 fen) | {claims.height:,} claims | {engine_s:.2f} s | "
        f"{engine_rate:,.0f} claims/s | — |"
    )
    rows.append(
        f"| OpenFisca 46 (person-year inpatient layers, float32 yuan) | {inputs.height:,} persons "
        f"({inpatient.height:,} admissions) | {of_s:.3f} s (yibao on the same admissions: "
        f"{engine_inpatient_s:.3f} s) | {inpatient.height / of_s:,.0f} admissions/s | "
        f"OpenFisca ÷ yibao time = {of_s / engine_inpatient_s:.2f} |"
    )
    rows.append(
        f"| per-claim Python loop (settle_claim one by one) | {few.height:,} claims | {loop_s:.2f} s "
        f"(yibao batch on the same: {engine_few_s:.3f} s) | {loop_rate:,.0f} claims/s | "
        f"loop ÷ yibao time = {loop_s / engine_few_s:.0f} |"
    )
    total = sum(float(result[k].astype("float64").sum()) for k in result)
    exact = int(
        inpatient["hifp_pay"].sum() + inpatient["hifmi_pay"].sum() + inpatient["maf_pay"].sum()
    )
    rows.append(
        f"\nOpenFisca's three layers total {total:,.2f} yuan in float32 for these admissions; "
        f"yibao's claim-by-claim total is {exact / 100:,.2f} yuan in exact fen (the person-year "
        "encoding does not order claims against the caps, and float32 holds 7 significant digits)."
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--threads", type=int, nargs="+", default=[1, 2], help="settling threads (1 worker)"
    )
    parser.add_argument(
        "--polars-threads",
        type=int,
        nargs="+",
        default=[0, 1],
        help="POLARS_MAX_THREADS for the 1-worker run with the most threads (0: Polars' default)",
    )
    parser.add_argument("--chunk-rows", type=int, default=DEFAULT_CHUNK_ROWS)
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs per configuration; the fastest is shown"
    )
    parser.add_argument("--data", type=Path, default=Path("/tmp/yibao-bench"))
    parser.add_argument("--peer-sample", type=int, default=200_000)
    parser.add_argument("--loop-claims", type=int, default=3_000)
    parser.add_argument("--goal", type=int, default=1_000_000, help="claims/s (issue #6)")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    load_start = os.getloadavg()[0]

    lines = [
        "## Batch settlement throughput",
        "",
        f"Synthetic 彭水 ({REGION}) {YEAR} claims, sorted by person (and within a person by "
        "settle time, so `settle_year` finds them in settlement order and does not sort); "
        "`settle_file` end to end (Polars reads row groups of the settled columns, chunks cut "
        "between persons, `settle_year` with the fund statement's sums, pyarrow writes Parquet: "
        "required columns, amounts as bit-packed deltas, ids snappy; a reader and a writer thread "
        f"overlap the settling) in a fresh process; chunks of {args.chunk_rows:,} claims; each "
        f"configuration run {args.repeat} time(s), the row is its fastest run. Peak memory: "
        "largest RSS of the process and its workers (sampled every 50 ms; memory that grew with "
        "the year would peak in the second half of a run, memory bounded by the chunks in "
        "flight levels off early). CPU: user + system seconds of the process "
        "and its workers, start-up (about 0.6 s) included. Other jobs' CPU: what the rest of the "
        "machine used during the run (/proc/stat less the batch's own); the 2-core machine is "
        "shared with other jobs, so wall times vary by up to 3× between runs; CPU seconds vary "
        "much less.",
        "",
        "| claims | workers | threads | Polars threads | persons | chunks | wall s (with start-up) | CPU s | settle_file s | claims/s (settle_file) | peak memory | peak in 1st / 2nd half of the run | other jobs' CPU s meanwhile |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    best = 0.0
    # of the largest size, by (workers, threads, Polars threads)
    cpu_of: dict[tuple[int, int, int], float] = {}
    rate_of: dict[tuple[int, int, int], float] = {}
    largest = 0.0
    for size in args.sizes:
        path = args.data / f"claims-{size}.parquet"
        make_claims(path, size)
        configs = [(1, t, 0) for t in args.threads] if 1 in args.workers else []
        configs += [
            (1, max(args.threads), p) for p in args.polars_threads if p and 1 in args.workers
        ]
        configs += [(w, 1, 0) for w in args.workers if w > 1]
        for workers, threads, polars_threads in configs:
            runs = []
            for _ in range(args.repeat):
                r = settle_measured(
                    path,
                    args.data / f"settled-{size}.parquet",
                    workers,
                    args.chunk_rows,
                    threads,
                    polars_threads,
                )
                runs.append(r)
            r = max(runs, key=lambda run: run["claims"] / run["seconds"])
            rate = r["claims"] / r["seconds"]
            best = max(best, rate)
            line = (
                f"| {int(r['claims']):,} | {workers} | {threads} | {polars_threads or 'default'} | "
                f"{int(r['persons']):,} | "
                f"{int(r['chunks'])} | "
                f"{r['wall']:.1f} | {r['cpu']:.1f} | {r['seconds']:.1f} | {rate:,.0f} | "
                f"{r['peak_mib']:,.0f} MiB | {r['halves_mib'][0]:,.0f} / {r['halves_mib'][1]:,.0f} MiB | "
                f"{r['others']:.1f} |"
            )
            print(line, flush=True)
            lines.append(line)
            cpu_of[(workers, threads, polars_threads)] = r["cpu"]
            rate_of[(workers, threads, polars_threads)] = rate
            largest = r["claims"]
    load_end = os.getloadavg()[0]

    first = args.data / f"claims-{args.sizes[0]}.parquet"
    st = stages_measured(first, args.data / "stages.parquet", args.chunk_rows)
    claims = int(st["claims"])  # type: ignore[call-overload]
    stages: dict[str, list[float]] = st["stages"]  # type: ignore[assignment]
    cpu_total = sum(cpu for cpu, _ in stages.values())
    lines += [
        "",
        f"### Where the time goes ({claims:,} claims, stages one after another, one process; "
        "settle_year includes the sums)",
        "",
        "| stage | CPU s | share of CPU | wall s | claims per CPU second |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, (cpu, wall) in stages.items():
        lines.append(
            f"| {name} | {cpu:.2f} | {cpu / cpu_total:.0%} | {wall:.2f} | {claims / cpu:,.0f} |"
        )
    # CPU per claim of the largest year in one process (start-up included): with both cores
    # doing nothing else and perfect overlap, wall time cannot be below half of it.
    per_claim = min(cpu_of.values()) / largest
    ceiling = 2 / per_claim
    engine_ceiling = claims / (stages["settle_year"][0] / 2)
    lines.append(
        f"| **total** | **{cpu_total:.2f}** | 100% | {sum(w for _, w in stages.values()):.2f} | "
        f"{claims / cpu_total:,.0f} |"
    )
    verdict = "met" if best >= args.goal else "not met"
    per_million = ", ".join(
        f"{name} {cpu / claims * 1e6:.2f}"
        for name, (cpu, _) in sorted(stages.items(), key=lambda kv: -kv[1][0])
    )
    lines += [
        "",
        f"**Goal (issue #6: ≥ {args.goal:,} claims/s end to end on this 2-core machine): {verdict}** "
        f"(best run {best:,.0f} claims/s). At {largest:,.0f} claims the batch costs "
        f"{per_claim * 1e6:.2f} CPU seconds per million claims (start-up included), so with "
        f"both cores free and perfectly overlapped the ceiling is about {ceiling:,.0f} claims/s. "
        f"CPU seconds per million claims by stage (one after another): {per_million}; "
        f"`settle_year` alone would cap the batch at {engine_ceiling:,.0f} claims/s on two free "
        "cores. Reading and writing run in their own threads beside the two settling threads, "
        "so the wall time approaches the CPU time divided by the cores when the cores are free. "
        f"Load average (1 min, the batch's own threads included) {load_start:.1f} at the start, "
        f"{load_end:.1f} after the runs; the last column says how much CPU other jobs took "
        "from each run.",
    ]
    one = [(w, t, p) for (w, t, p) in rate_of if p == 1 and (w, t, 0) in rate_of]
    polars_note = (
        " With one Polars thread beside the settling threads the batch ran at "
        f"{rate_of[one[0]] / rate_of[(*one[0][:2], 0)]:.0%} of the default's rate in this run "
        "(the settling threads then queue for that one thread; between runs on the shared "
        "machine this has gone either way by about 10 %), so the default stays."
        if one
        else ""
    )
    threads_note = (
        f"; two ran at {rate_of[(1, 2, 0)] / rate_of[(1, 1, 0)]:.0%} of one's rate in this run "
        "(one thread already keeps both cores fairly busy beside the reader, the writer and "
        "Polars' pool; two gain most when the machine is shared, as in earlier runs)"
        if (1, 2, 0) in rate_of and (1, 1, 0) in rate_of
        else ""
    )
    if (1, 1, 0) in cpu_of and len(cpu_of) > 1:
        others = ", ".join(
            f"{w} process(es) × {t} settling thread(s)"
            + (f" with {p} Polars thread(s)" if p else "")
            + f" {cpu:.1f} CPU s"
            for (w, t, p), cpu in cpu_of.items()
            if (w, t, p) != (1, 1, 0)
        )
        lines += [
            "",
            f"At {largest:,.0f} claims one process with one settling thread used "
            f"{cpu_of[(1, 1, 0)]:.1f} CPU s; {others}. Worker processes each start Python, Polars "
            "and the policy library, and every chunk goes to them and back (Arrow IPC files in "
            "/dev/shm), so on "
            "2 cores they add work rather than save time; they are for machines with more "
            "cores. Settling threads share the process and copy nothing (the default, 2)"
            + threads_note
            + ". Polars' own thread pool (POLARS_MAX_THREADS, read when "
            "Polars is imported, so it is the environment's to set) splits each operation "
            "across the cores." + polars_note,
        ]
    lines += [
        "",
        "### Peers on the same data",
        "",
        f"The first {args.peer_sample:,} claims (whole persons) of the {args.sizes[0]:,}-claim year.",
        "",
        "| implementation | data | time | rate | ratio |",
        "|---|---|---|---|---|",
    ]
    peer_rows = peers(first, args.peer_sample, args.loop_claims)
    for row in peer_rows:
        print(row, flush=True)
    lines += peer_rows
    write_section("batch_throughput", "\n".join(lines))


if __name__ == "__main__":
    main()
