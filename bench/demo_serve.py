"""`yibao demo` until the console answers (issue 16: `make demo` serves within 30 s after
installation), for one or more source trees, rounds alternating between them.

    .venv/bin/python bench/demo_serve.py [--src LABEL=PATH ...] [--rounds 3] [--persons 50000]
                                         [--no-write]

Each run starts `yibao demo --db <fresh file> --port P` (the installed venv's Python, the tree's
code through PYTHONPATH) and polls GET /console/login every 0.1 s until it answers 200; the time
from the start to that answer is "to serving". CPU is the demo process's user + system seconds
up to then (/proc), which varies less than wall time on a shared machine. The demo's own laps
(simulate, register, settle, analyse, load) are read from what it prints. Default: the working
tree's src/ only; give an older commit's tree (`git worktree add /tmp/before <rev>`) as
`--src before=/tmp/before/src --src after=src` for a before/after.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import write_section  # noqa: E402

CLI = "from yibao.cli.main import app; app()"
LAP = re.compile(r"(simulate|register|settle|analyse|load)\s+([\d.]+)s")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def run_once(src: Path, persons: int, port: int, workdir: Path) -> dict[str, float]:
    db = workdir / f"demo-{port}.sqlite"
    log = workdir / f"demo-{port}.log"
    env = {**os.environ, "PYTHONPATH": str(src), "YIBAO_LOG_LEVEL": "warning"}
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", CLI, "demo", "--persons", str(persons), "--db", str(db),
             "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/console/login"
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"demo exited with {proc.returncode}: {log.read_text()[-800:]}")
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        serving = time.perf_counter() - start
        cpu = _cpu_seconds(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    laps = {name: float(value) for name, value in LAP.findall(log.read_text())}
    db.unlink(missing_ok=True)
    return {"serving": serving, "cpu": cpu, **laps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", action="append", default=[], help="LABEL=PATH (repeatable)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--persons", type=int, default=50_000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    trees = [tuple(s.split("=", 1)) for s in args.src] or [("working tree", str(ROOT / "src"))]
    results: dict[str, list[dict[str, float]]] = {label: [] for label, _ in trees}
    with tempfile.TemporaryDirectory(prefix="yibao-demo-serve-") as tmp:
        port = 18_700
        for round_no in range(args.rounds):
            for label, path in trees:
                port += 1
                r = run_once(Path(path).resolve(), args.persons, port, Path(tmp))
                results[label].append(r)
                print(f"round {round_no + 1} {label}: serving after {r['serving']:.1f} s, "
                      f"CPU {r['cpu']:.1f} s, {r}", file=sys.stderr)  # fmt: skip
    laps = ("simulate", "register", "settle", "analyse", "load")
    rows = [
        "| tree | runs | to serving s (best / median) | CPU s (median) | "
        + " | ".join(f"{lap} s" for lap in laps)
        + " |",
        "|---|---|---|---|" + "---|" * len(laps),
    ]
    for label, runs in results.items():
        med = {k: statistics.median(r.get(k, 0.0) for r in runs) for k in ("cpu", *laps)}
        best = min(r["serving"] for r in runs)
        rows.append(
            f"| {label} | {len(runs)} | {best:.1f} / "
            f"{statistics.median(r['serving'] for r in runs):.1f} | {med['cpu']:.1f} | "
            + " | ".join(f"{med[lap]:.1f}" for lap in laps) + " |"
        )  # fmt: skip
    load = os.getloadavg()
    body = "\n".join(
        [
            f"## `yibao demo` until the console answers ({args.persons:,} persons, issue 16)",
            "",
            *rows,
            "",
            f"Rounds alternate between the trees. Load average at the end: {load[0]:.1f}, "
            f"{load[1]:.1f}, {load[2]:.1f} (2 cores shared with other sessions: wall times vary, "
            "CPU seconds less).",
        ]
    )
    print(body)
    if not args.no_write:
        write_section("demo_serve", body)


if __name__ == "__main__":
    main()
