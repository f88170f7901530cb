"""Console pages over HTTP at two sizes of the demo year (issue 16: every page < 1 s at 50,000
persons, the time at 50,000 ≤ 2× the time at 5,000).

    .venv/bin/python bench/console_pages.py [--sizes 5000 50000] [--runs 5] [--reuse]
                                            [--src src] [--label NAME] [--no-write]

For each size the demo's own loader writes the year (彭水 500243 2023, seed 1: `yibao demo
--no-serve --persons N --db var/bench/console_N.sqlite`), then a real `yibao serve` (one
uvicorn worker, --region 500243 --year 2023) is started on that file and every console page is
fetched over HTTP with the 管理 user's session cookie: one warm-up, then ``--runs`` timed
requests, the median reported. ``--src`` runs the demo and the server from another source
tree (an older commit's, for a before/after); ``--reuse`` keeps databases already written.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import write_section  # noqa: E402
from bench.serving import serve_console  # noqa: E402

REGION, YEAR, SEED = "500243", 2023, 1
CLI = "from yibao.cli.main import app; app()"
COOKIE = "yibao_session"


def _env(src: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(src), "YIBAO_LOG_LEVEL": "warning"}


def load(src: Path, persons: int, db: Path, reuse: bool) -> dict[str, str]:
    """The demo year in ``db`` (the demo's loader); returns the users' tokens by role."""
    tokens = db.with_suffix(".tokens.json")
    if reuse and db.exists() and tokens.exists():
        return json.loads(tokens.read_text())
    db.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CLI, "demo", "--no-serve", "--json", "--persons", str(persons),
         "--region", REGION, "--year", str(YEAR), "--seed", str(SEED), "--db", str(db)],
        env=_env(src), capture_output=True, text=True, check=True,
    )  # fmt: skip
    print(f"loaded {persons} persons in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    doc = json.loads(out.stdout)
    tokens.write_text(json.dumps(doc["tokens"], ensure_ascii=False))
    return doc["tokens"]


def samples(db: Path) -> dict[str, str]:
    """A person with the most settlements, one of their settlements, a frequent surname."""
    con = sqlite3.connect(db)
    try:
        psn_no, _ = con.execute(
            "SELECT psn_no, count(*) n FROM settlements GROUP BY psn_no ORDER BY n DESC, psn_no "
            "LIMIT 1"
        ).fetchone()
        (setl_id,) = con.execute(
            "SELECT setl_id FROM settlements WHERE psn_no = ? ORDER BY setl_time LIMIT 1",
            (psn_no,),
        ).fetchone()
        (fixmedins,) = con.execute(
            "SELECT json_extract(row, '$.fixmedins_code') FROM claims WHERE setl_id = ?",
            (setl_id,),
        ).fetchone()
    finally:
        con.close()
    return {"psn_no": psn_no, "setl_id": setl_id, "fixmedins": fixmedins or ""}


def pages(s: dict[str, str]) -> list[tuple[str, str, str]]:
    """(page, path, owner): every console page the clerk opens."""
    mine, theirs = "issue 16 aggregates", "预警/监管 rewrite (not changed here)"
    return [
        ("首页", "/console/", "—"),
        ("参保登记 搜索（王）", "/console/persons?q=%E7%8E%8B", "—"),
        ("人员详情（年度累计、就医记录）", f"/console/persons/{s['psn_no']}", mine),
        ("结算（表单、最近结算）", "/console/settle", mine),
        ("结算查询（住院、全年）", "/console/settlements?med_type=21", mine),
        ("结算查询（定点机构）", f"/console/settlements?fixmedins_code={s['fixmedins']}", mine),
        ("结算查询（第 20 页）", "/console/settlements?page=20", mine),
        ("结算单", f"/console/settlements/{s['setl_id']}", "—"),
        ("基金", "/console/fund", mine),
        ("台账", "/console/ledger", mine),
        ("台账（未参保人员名单末页）", "/console/ledger?page=1000000", mine),
        ("目标", "/console/targets", mine),
        ("目标 Excel", "/console/targets.xlsx", mine),
        ("预警", "/console/warnings", theirs),
        ("预警 Excel", "/console/warnings.xlsx", theirs),
        ("监管", "/console/supervision", theirs),
        ("政策", "/console/policy", "—"),
        ("管理", "/console/admin", "—"),
    ]


def serve(src: Path, db: Path, port: int) -> subprocess.Popen[bytes]:
    return serve_console(db, port, REGION, YEAR, _env(src))


def measure(port: int, token: str, page_list: list[tuple[str, str, str]], runs: int) -> dict:
    out: dict[str, dict] = {}
    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        cookies={COOKIE: token},
        timeout=300,
        follow_redirects=True,
    ) as client:
        for name, path, _ in page_list:
            first = client.get(path)
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - start)
            out[name] = {
                "status": response.status_code,
                "first": first.status_code,
                "median": statistics.median(times),
                "max": max(times),
            }
            print(f"  {name}: {response.status_code} {statistics.median(times):.3f} s",
                  file=sys.stderr)  # fmt: skip
    return out


def lscpu() -> str:
    try:
        head = subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()[:10]
        cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "(lscpu not available)"
    return "\n".join(head) + f"\nnproc: {cores}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs=2, default=[5_000, 50_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--src", type=Path, default=ROOT / "src")
    parser.add_argument("--label", default="console_pages")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    small, large = args.sizes
    results: dict[int, dict] = {}
    page_list: list[tuple[str, str, str]] = []
    for size in (small, large):
        db = ROOT / "var" / "bench" / f"console_{args.label}_{size}.sqlite"
        tokens = load(args.src.resolve(), size, db, args.reuse)
        page_list = pages(samples(db))
        proc = serve(args.src.resolve(), db, args.port)
        try:
            print(f"{size} persons:", file=sys.stderr)
            results[size] = measure(args.port, tokens["管理"], page_list, args.runs)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    lines = [
        "## Console pages at 5,000 and 50,000 persons (issue 16)",
        "",
        f"| page | {small:,} persons s | {large:,} persons s | ratio | < 1 s | ≤ 2× | owner |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, _, owner in page_list:
        a, b = results[small][name], results[large][name]
        bad = "" if a["status"] == b["status"] == 200 else f" (HTTP {a['status']}/{b['status']})"
        ratio = b["median"] / a["median"]
        lines.append(
            f"| {name}{bad} | {a['median']:.3f} | {b['median']:.3f} | {ratio:.2f}× | "
            f"{'yes' if b['median'] < 1 else 'NO'} | {'yes' if ratio <= 2 else 'NO'} | {owner} |"
        )
    body = "\n".join(lines) + (
        f"\n\nMedian of {args.runs} requests after one warm-up, over HTTP against `yibao serve` "
        f"(one uvicorn worker, SQLite) on the demo year {REGION} {YEAR} seed {SEED} written by "
        "the demo's loader, logged in as 管理. Source tree: "
        f"`{os.path.relpath(args.src.resolve(), ROOT)}`.\n\n```\n{lscpu()}\n```"
    )
    print(body)
    if not args.no_write:
        command = (
            f".venv/bin/python bench/console_pages.py --sizes {small} {large} --runs {args.runs}"
        )
        write_section(args.label, body, command)


if __name__ == "__main__":
    main()
