"""预警 and 监管 pages over HTTP on the stored review records at two sizes of the demo year
(issue 16: each page < 1 s at 50,000 persons; its time should not grow with the year).

    .venv/bin/python bench/review_pages.py [--sizes 5000 50000] [--runs 5] [--reuse] [--no-write]

For each size the demo's loader writes the year (彭水 500243 2023, seed 1: `yibao demo
--no-serve --persons N --db var/bench/review_N.sqlite`); then the scan the demo should run
after settling (services.reviews.scan: the warning engine and the claim-only monitoring rules
over the stored settlements, results stored; the review tables are emptied first) is timed
once, and a second time to show that a repeated scan changes nothing; a real `yibao serve` (one uvicorn worker, --region 500243 --year
2023) then answers the 预警 and 监管 pages, filtered, a record page and both Excel exports,
fetched with the 审核 user's session cookie: one warm-up, then ``--runs`` timed requests, the
median reported.
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
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import write_section  # noqa: E402
from bench.serving import serve_console  # noqa: E402

REGION, YEAR, SEED = "500243", 2023, 1
CLI = "from yibao.cli.main import app; app()"
COOKIE = "yibao_session"
SCAN = """
import json, sys, time
from yibao.policy import default_library
from yibao.services import reviews
from yibao.store import make_engine, session_factory, transaction, upgrade
from sqlalchemy import text
engine = make_engine(sys.argv[1]); upgrade(engine)
with engine.begin() as conn:  # a first scan on every run, also with --reuse
    for table in ("review_steps", "warning_records", "supervision_records"):
        conn.execute(text(f"DELETE FROM {table}"))
    conn.execute(text("DELETE FROM audit_log WHERE entity IN ('warning_scan', 'supervision_scan')"))
out = []
for _ in range(2):
    start = time.perf_counter()
    with transaction(session_factory(engine)) as s:
        result = reviews.scan(s, default_library(), sys.argv[2], int(sys.argv[3]))
    out.append({"seconds": time.perf_counter() - start, **result})
print(json.dumps(out, ensure_ascii=False))
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src"), "YIBAO_LOG_LEVEL": "warning"}


def load(persons: int, db: Path, reuse: bool) -> dict[str, str]:
    tokens = db.with_suffix(".tokens.json")
    if reuse and db.exists() and tokens.exists():
        return dict(json.loads(tokens.read_text()))
    db.unlink(missing_ok=True)
    db.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CLI, "demo", "--no-serve", "--json", "--persons", str(persons),
         "--region", REGION, "--year", str(YEAR), "--seed", str(SEED), "--db", str(db)],
        env=_env(), capture_output=True, text=True, check=True,
    )  # fmt: skip
    print(f"loaded {persons} persons in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    doc = json.loads(out.stdout)
    tokens.write_text(json.dumps(doc["tokens"], ensure_ascii=False))
    return dict(doc["tokens"])


def scan(db: Path) -> list[dict]:
    out = subprocess.run(
        [sys.executable, "-c", SCAN, f"sqlite:///{db}", REGION, str(YEAR)],
        env=_env(), capture_output=True, text=True, check=True,
    )  # fmt: skip
    return list(json.loads(out.stdout))


def samples(db: Path) -> dict[str, str]:
    """A township with warnings, a warning record, a rule and an institution with hits."""
    con = sqlite3.connect(db)
    try:
        count = con.execute("SELECT count(*) FROM settlements").fetchone()[0]
        persons = con.execute("SELECT count(*) FROM persons").fetchone()[0]
        town, wid = con.execute(
            "SELECT township, min(id) FROM warning_records GROUP BY township "
            "ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        rule, inst, hid = con.execute(
            "SELECT rule_id, fixmedins_code, min(id) FROM supervision_records "
            "GROUP BY rule_id, fixmedins_code ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        warnings = con.execute("SELECT count(*) FROM warning_records").fetchone()[0]
        hits = con.execute("SELECT count(*) FROM supervision_records").fetchone()[0]
    finally:
        con.close()
    return {
        "settlements": count, "persons": persons, "township": town, "warning": wid,
        "rule": rule, "institution": inst, "hit": hid, "warnings": warnings, "hits": hits,
    }  # fmt: skip


def pages(s: dict) -> list[tuple[str, str]]:
    q = f"region={REGION}&year={YEAR}"
    town = quote(s["township"])
    return [
        ("预警（全部，第 1 页）", f"/console/warnings?{q}"),
        ("预警（第 3 页）", f"/console/warnings?{q}&page=3"),
        ("预警（乡镇 + 待核实）", f"/console/warnings?{q}&township={town}&status=%E5%BE%85%E6%A0%B8%E5%AE%9E"),
        ("预警 记录页", f"/console/warnings/{s['warning']}"),
        ("预警 Excel（全部）", f"/console/warnings.xlsx?{q}"),
        ("监管（全部，第 1 页）", f"/console/supervision?{q}"),
        ("监管（规则 + 机构）", f"/console/supervision?{q}&rule={s['rule']}&institution={quote(s['institution'])}"),
        ("监管 记录页", f"/console/supervision/{s['hit']}"),
        ("监管 Excel（全部）", f"/console/supervision.xlsx?{q}"),
    ]  # fmt: skip


def serve(db: Path, port: int) -> subprocess.Popen[bytes]:
    return serve_console(db, port, REGION, YEAR, _env())


def measure(port: int, token: str, page_list: list[tuple[str, str]], runs: int) -> dict:
    out: dict[str, dict] = {}
    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}", cookies={COOKIE: token}, timeout=300
    ) as client:
        for name, path in page_list:
            client.get(path)
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - start)
            out[name] = {"status": response.status_code, "median": statistics.median(times)}
            print(f"  {name}: {response.status_code} {out[name]['median']:.3f} s", file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs=2, default=[5_000, 50_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    small, large = args.sizes
    results: dict[int, dict] = {}
    scans: dict[int, list[dict]] = {}
    info: dict[int, dict] = {}
    page_list: list[tuple[str, str]] = []
    for size in (small, large):
        db = ROOT / "var" / "bench" / f"review_{size}.sqlite"
        tokens = load(size, db, args.reuse)
        scans[size] = scan(db)
        print(f"{size}: scans {[round(x['seconds'], 1) for x in scans[size]]}", file=sys.stderr)
        info[size] = samples(db)
        page_list = pages(info[size])
        proc = serve(db, args.port)
        try:
            results[size] = measure(args.port, tokens["审核"], page_list, args.runs)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    lines = [
        f"| page | {small:,} persons s | {large:,} persons s | ratio | < 1 s |",
        "|---|---|---|---|---|",
    ]
    for name, _ in page_list:
        a, b = results[small][name], results[large][name]
        bad = "" if a["status"] == b["status"] == 200 else f" (HTTP {a['status']}/{b['status']})"
        ratio = b["median"] / a["median"]
        lines.append(
            f"| {name}{bad} | {a['median']:.3f} | {b['median']:.3f} | {ratio:.2f}× | "
            f"{'yes' if b['median'] < 1 else 'NO'} |"
        )
    lines += ["", "| store | " + " | ".join(f"{n:,} persons" for n in (small, large)) + " |",
              "|---|---|---|"]  # fmt: skip
    for key, label in (("settlements", "settlements"), ("warnings", "warning records"),
                       ("hits", "监管 records")):  # fmt: skip
        lines.append(f"| {label} | {info[small][key]:,} | {info[large][key]:,} |")
    for i, label in ((0, "scan (first, s)"), (1, "scan again (s; nothing changes)")):
        lines.append(
            f"| {label} | {scans[small][i]['seconds']:.1f} | {scans[large][i]['seconds']:.1f} |"
        )
    again = [scans[n][1] for n in (small, large)]
    lines.append(
        "| second scan: added / updated | "
        + " | ".join(
            f"{a['warnings']['added']}+{a['supervision']['added']} / "
            f"{a['warnings']['updated']}+{a['supervision']['updated']}"
            for a in again
        )
        + " |"
    )
    body = "\n".join(lines) + (
        f"\n\nMedian of {args.runs} requests after one warm-up, over HTTP against `yibao serve` "
        f"(one uvicorn worker, SQLite) on the demo year {REGION} {YEAR} seed {SEED} written by "
        "the demo's loader and scanned once by `services.reviews.scan`, logged in as 审核. "
        "The Excel rows are every record of the year (the list's filter is empty). The scan "
        "reads the year's settlements (it is the batch step after settling); the pages read "
        "only the indexed records."
    )
    print(body)
    if not args.no_write:
        write_section(
            "review_pages",
            "### 预警 and 监管 on stored records (issue 16)\n\n" + body,
            f".venv/bin/python bench/review_pages.py --sizes {small} {large} --runs {args.runs}",
        )


if __name__ == "__main__":
    main()
