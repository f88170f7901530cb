"""A real `yibao serve` for the console benchmarks: started on a SQLite file, returned once
the console's login page answers."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

CLI = "from yibao.cli.main import app; app()"


def serve_console(
    db: Path, port: int, region: str, year: int, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    """`yibao serve --region --year` on ``db`` (one uvicorn worker); SystemExit if it does not
    answer within 120 s."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, "serve", "--db", f"sqlite:///{db}", "--port", str(port),
         "--region", region, "--year", str(year)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/console/login", timeout=2)
            return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("yibao serve did not answer within 120 s")
