"""CLI start-up: wall time of `yibao --help` and `yibao policy list` as a ratio to
`python -c "import typer"` on the same machine, in one run (issue 15: target ≤ 3×).

    .venv/bin/python bench/cli_startup.py [--runs 15] [--no-write]

Each command runs --runs times in fresh processes, interleaved (floor, help, list, floor, …) so
that the machine's drift hits all three alike; the medians and their ratios are reported.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import write_section

BIN = Path(sys.executable).parent
# A Typer app that runs one command: what any Typer CLI pays to build and run a command
# (Typer's adapters import pydantic, ~0.1-0.15 s), beside the floor.
TYPER_APP = (
    "import typer\napp = typer.Typer()\n@app.command()\ndef hello() -> None:\n    print('hi')\n"
    "@app.command()\ndef other() -> None:\n    pass\napp(['hello'])"
)
COMMANDS = {
    "python -c 'import typer' (floor)": [sys.executable, "-c", "import typer"],
    "a two-command Typer app running one": [sys.executable, "-c", TYPER_APP],
    "yibao --help": [str(BIN / "yibao"), "--help"],
    "yibao policy list": [str(BIN / "yibao"), "policy", "list"],
}


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for command in COMMANDS.values():
        wall(command)  # warm the file cache once
    for _ in range(args.runs):
        for name, command in COMMANDS.items():
            times[name].append(wall(command))
    floor = statistics.median(times[next(iter(COMMANDS))])
    lines = [
        "| command | median s | min s | ratio to the floor |",
        "|---|---|---|---|",
    ]
    for name, values in times.items():
        median = statistics.median(values)
        lines.append(f"| `{name}` | {median:.3f} | {min(values):.3f} | {median / floor:.2f}× |")
    body = "\n".join(lines) + (
        f"\n\n{args.runs} interleaved runs each in fresh processes. Target (issue 15): "
        "`yibao --help` and `yibao policy list` ≤ 3× the floor."
    )
    print(body)
    if not args.no_write:
        write_section(
            "cli_startup", body, f".venv/bin/python bench/cli_startup.py --runs {args.runs}"
        )


if __name__ == "__main__":
    main()
