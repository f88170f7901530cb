"""Every benchmark, one after another, each writing its own section of docs/benchmarks.md:
the engine alone, the batch end to end (with its peers), the API over loopback, and (with
--spark) Spark local mode. `make bench` runs this.

    .venv/bin/python bench/run_all.py [--spark] [--quick]

--quick runs the small sizes only (minutes instead of most of an hour).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def plan(quick: bool, spark: bool) -> list[list[str]]:
    runs = [
        ["settle_year_profile.py"],
        ["batch_throughput.py", *(["--sizes", "1000000"] if quick else [])],
        ["api_latency.py", *(["--seconds", "8"] if quick else [])],
    ]
    if spark:
        runs.append(["spark_scaling.py", *(["--sizes", "1000000"] if quick else [])])
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spark", action="store_true", help="also Spark local mode (slow)")
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    args = parser.parse_args()
    for script, *options in plan(args.quick, args.spark):
        command = [sys.executable, str(HERE / script), *options]
        print("==", " ".join(command[1:]), flush=True)
        done = subprocess.run(command, check=False)
        if done.returncode != 0:
            print(f"{script} failed with exit code {done.returncode}", file=sys.stderr)
            return done.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
