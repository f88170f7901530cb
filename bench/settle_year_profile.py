"""settle_year (engine only): claims per second and peak memory on a synthetic million-claim year.

The year: ``simulate_county`` for the five regions (about 190,000 claims from 70,000 people),
replicated with fresh ``psn_no``/``setl_id`` values up to ``--claims``. Each engine is timed in
a fresh process reading the same Parquet file, so peak RSS is the settlement's own; the
baseline is the engine at ``--baseline`` (taken with ``git archive``), and both must return the
same totals to the fen.

    .venv/bin/python bench/settle_year_profile.py                 # 1M claims, writes the section
    .venv/bin/python bench/settle_year_profile.py --claims 200000 --no-write
    .venv/bin/python bench/settle_year_profile.py --profile       # cProfile of one run, top 25
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REGIONS = ("500243", "421200", "341700", "150000", "370400")
BASELINE = "995963a"  # the engine before issue #6's rework
TOTALS = ("medfee_sumamt", "act_pay_dedc", "hifp_pay", "hifmi_pay", "maf_pay", "psn_part_amt")


def make_year(claims: int, persons: int, seed: int, path: Path) -> None:
    import polars as pl

    from yibao.synth.county import simulate_county

    base = pl.concat(
        [simulate_county(r, 2023, persons, seed=seed).claims for r in REGIONS], how="vertical"
    )
    copies = -(-claims // base.height)
    year = pl.concat(
        [
            base.with_columns(
                (pl.lit(f"{k:02d}") + pl.col("psn_no")).alias("psn_no"),
                (pl.lit(f"{k:02d}") + pl.col("setl_id")).alias("setl_id"),
            )
            for k in range(copies)
        ]
    ).head(claims)
    year.write_parquet(path)


def measure(path: Path, repeat: int, profile: bool) -> dict[str, Any]:
    """Runs in its own process: read the year, warm up, time settle_year ``repeat`` times."""
    import polars as pl

    from yibao.engine.settlement import settle_year
    from yibao.policy import default_library

    year = pl.read_parquet(path)
    library = default_library()
    settle_year(year.head(2_000), library)  # policy files parsed, code paths warm
    if profile:
        import cProfile
        import pstats

        cProfile.runctx("settle_year(year, library)", globals(), locals(), "/tmp/settle_year.prof")
        pstats.Stats("/tmp/settle_year.prof").sort_stats("cumulative").print_stats(25)
    walls, cpus = [], []
    for _ in range(repeat):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        settled, accumulators = settle_year(year, library)
        walls.append(time.perf_counter() - wall0)
        cpus.append(time.process_time() - cpu0)
    return {
        "claims": year.height,
        "persons": accumulators.height,
        "wall_s": sorted(walls),
        "cpu_s": sorted(cpus),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "totals": {name: int(settled[name].sum()) for name in TOTALS},
        "final": {
            name: int(accumulators[name].sum())
            for name in ("critical_eligible", "critical_paid", "assistance_paid")
        },
    }


def run_measure(path: Path, repeat: int, src: Path | None = None) -> dict[str, Any]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    cmd = [sys.executable, __file__, "--measure", str(path), "--repeat", str(repeat)]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def baseline_src(commit: str, into: Path) -> Path:
    archive = into / "src.tar"
    with archive.open("wb") as fh:
        subprocess.run(["git", "archive", commit, "src"], cwd=ROOT, stdout=fh, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def merged(a: dict[str, Any] | None, b: dict[str, Any]) -> dict[str, Any]:
    """Two measurements of one engine as one: all their runs, the larger peak RSS."""
    if a is None:
        return b
    return {
        **a,
        "wall_s": sorted(a["wall_s"] + b["wall_s"]),
        "cpu_s": sorted(a["cpu_s"] + b["cpu_s"]),
        "peak_rss_mib": max(a["peak_rss_mib"], b["peak_rss_mib"]),
    }


def rate(m: dict[str, Any]) -> float:
    return float(m["claims"] / m["wall_s"][0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, default=1_000_000)
    ap.add_argument("--persons", type=int, default=14_000, help="per region, before replication")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline", default=BASELINE, help="commit to compare with ('' for none)")
    ap.add_argument("--rounds", type=int, default=1, help="alternate the two engines N times")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.repeat, profile=False)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "year.parquet"
        t0 = time.perf_counter()
        make_year(args.claims, args.persons, args.seed, path)
        print(f"year of {args.claims:,} claims generated in {time.perf_counter() - t0:.1f} s")
        if args.profile:
            measure(path, 1, profile=True)
            return
        base_src = baseline_src(args.baseline, Path(tmp)) if args.baseline else None
        now: dict[str, Any] | None = None
        before: dict[str, Any] | None = None
        # Rounds alternate the two engines (each in a fresh process), so that a load that comes
        # and goes on a shared machine falls on both; the best run of each is compared.
        for _ in range(args.rounds):
            now = merged(now, run_measure(path, args.repeat))
            print(
                f"now:      {rate(now):>12,.0f} claims/s  wall {now['wall_s']} cpu {now['cpu_s']}"
            )
            if base_src is not None:
                before = merged(before, run_measure(path, 1, base_src))
                print(
                    f"baseline: {rate(before):>12,.0f} claims/s  wall {before['wall_s']} cpu {before['cpu_s']}"
                )
                if (before["totals"], before["final"]) != (now["totals"], now["final"]):
                    raise SystemExit("the baseline and the current engine disagree")
        assert now is not None
    if not args.no_write:
        write(args, now, before)


def write(args: argparse.Namespace, now: dict[str, Any], before: dict[str, Any] | None) -> None:
    sys.path.insert(0, str(ROOT))
    from bench.report import write_section

    def row(label: str, m: dict[str, Any]) -> str:
        wall = m["wall_s"]
        return (
            f"| {label} | {m['claims']:,} | {m['persons']:,} | {wall[0]:.2f} "
            f"({wall[-1]:.2f}) | {m['cpu_s'][0]:.2f} | {rate(m):,.0f} | {m['peak_rss_mib']:,.0f} |"
        )

    lines = [
        "## settle_year (engine only)",
        "",
        f"One policy year of {now['claims']:,} synthetic claims (five regions; "
        f"`simulate_county` seed {args.seed}, {args.persons:,} people per region, replicated "
        "with new person numbers), settled in memory by `settle_year` in one call; Parquet "
        "reading and writing not included. Wall time is the best of the runs (worst in "
        "brackets); CPU is user + system of all threads; peak RSS is the measuring process's.",
        "",
        "| engine | claims | person-years | wall s (worst) | CPU s | claims/s | peak RSS MiB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    if before is not None:
        lines.append(row(f"before (`{args.baseline}`)", before))
    lines.append(row("now", now))
    if before is not None:
        lines += [
            "",
            f"Speed-up: {rate(now) / rate(before):.2f}× by the best wall times, "
            f"{before['cpu_s'][0] / now['cpu_s'][0]:.2f}× by CPU ({args.rounds} alternating "
            "rounds; same totals to the fen: "
            + ", ".join(f"{k} {v:,}" for k, v in now["totals"].items())
            + ").",
        ]
    lines += [
        "",
        "The machine is shared (2 cores, other jobs running), so wall times vary from run to "
        "run; compare the two rows of one run.",
    ]
    write_section("settle_year", "\n".join(lines))


if __name__ == "__main__":
    main()
