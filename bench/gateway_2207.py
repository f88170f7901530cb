"""2207 门诊结算 through the platform-shaped gateway: round trips per second on PostgreSQL, as a
ratio to the plain REST settlement (POST /api/settlements) on the same server in the same run.
Results go to docs/benchmarks.md (gateway_2207).

    .venv/bin/python bench/gateway_2207.py [--settlements 200] [--concurrency 8] [--repeat 3]

One server process (uvicorn, 1 worker) on a fresh PostgreSQL schema (127.0.0.1:5432, trust,
database ``test``). Before the measured phases the visits are opened through the gateway (2201
挂号 and 2204 费用明细, two lines each), so each measured 2207 carries the whole settlement path
of the gateway: the envelope and msgid checks, the encounter and its lines, the claim built
from them, the ledger's settlement (the REST path's), the gateway's settlement record, the
lines marked settled, the message and reply stored, one commit. The REST phase settles the same
number of fresh claims with the same amounts for the same persons. Phases alternate (REST,
gateway, REST, gateway …) so that a noisy minute on the shared machine hits both; the ratio is
of the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import write_section
from yibao.api.process import ServerProcess
from yibao.idcard import make_id
from yibao.store import make_engine, persons, session_factory, transaction, upgrade, users

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GATEWAY = "/fsi/api/rsfComIfsService/callService"
HOSPITAL = "H50024300001"
REGION = "500243"
DAY = dt.date(2023, 6, 1)
_seq = itertools.count(1)


def prepare(url: str, n_persons: int) -> tuple[str, list[dict[str, str]]]:
    engine = make_engine(url)
    upgrade(engine)
    with transaction(session_factory(engine)) as s:
        _, token = users.add_user(s, f"bench-{uuid.uuid4().hex[:6]}", "经办")
        people = []
        for i in range(n_persons):
            certno = make_id(REGION, dt.date(1960, 1, 1) + dt.timedelta(days=i), i % 1000)
            p = persons.create_person(
                s, persons.PersonSpec(certno=certno, psn_name="测试", insuplc_admdvs=REGION)
            )
            persons.enroll(
                s,
                persons.EnrollmentSpec(
                    psn_no=p.psn_no, year=2023, enrolled_on=dt.date(2022, 11, 1)
                ),
            )
            people.append({"psn_no": p.psn_no, "certno": certno})
    engine.dispose()
    return token, people


def envelope(infno: str, node: dict[str, Any], when: dt.datetime) -> dict[str, Any]:
    seq = next(_seq)
    # A distinct msgid per message: the time part carries the high digits of the sequence.
    stamp = dt.datetime.combine(DAY, dt.time(7)) + dt.timedelta(seconds=seq // 10_000)
    return {
        "infno": infno,
        "msgid": f"{HOSPITAL}{stamp:%Y%m%d%H%M%S}{seq % 10_000:04d}",
        "mdtrtarea_admvs": REGION,
        "insuplc_admdvs": REGION,
        "recer_sys_code": "YIBAO",
        "opter": "0001",
        "opter_name": "收费员",
        "inf_time": when.strftime("%Y-%m-%d %H:%M:%S"),
        "fixmedins_code": HOSPITAL,
        "fixmedins_name": "彭水县人民医院",
        "input": node,
    }


def when_of(n: int) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(8)) + dt.timedelta(seconds=n)


async def open_visits(
    c: httpx.AsyncClient, people, count: int, concurrency: int
) -> list[dict[str, Any]]:
    """``count`` visits registered (2201) with two detail lines (2204): the 2207 messages."""
    queue = list(range(count))
    ready: list[dict[str, Any]] = []

    async def worker() -> None:
        while queue:
            n = queue.pop()
            p = people[n % len(people)]
            when = when_of(n)
            reg = {"data": {"psn_no": p["psn_no"], "insutype": "390", "begntime": when.strftime("%Y-%m-%d %H:%M:%S"),
                            "mdtrt_cert_type": "02", "mdtrt_cert_no": p["certno"], "ipt_otp_no": f"MZ{n}", "hosp_lv": "05"}}  # fmt: skip
            r = (await c.post(GATEWAY, json=envelope("2201", reg, when))).json()
            assert r["infcode"] == 0, r
            mdtrt_id = r["output"]["data"]["mdtrt_id"]
            lines = [
                {"feedetl_sn": f"{k}", "mdtrt_id": mdtrt_id, "psn_no": p["psn_no"], "chrg_bchno": "B1",
                 "fee_ocur_time": when.strftime("%Y-%m-%d %H:%M:%S"), "med_list_codg": code,
                 "det_item_fee_sumamt": amount, "cnt": "1", "pric": amount, **split}
                for k, (code, amount, split) in enumerate([("001102000010000", "10.00", {}), ("XA02BCA348X001010100001", "37.00", {})])
            ]  # fmt: skip
            r = (await c.post(GATEWAY, json=envelope("2204", {"feedetail": lines}, when))).json()
            assert r["infcode"] == 0, r
            pay = {"data": {"psn_no": p["psn_no"], "mdtrt_cert_type": "02", "mdtrt_cert_no": p["certno"], "med_type": "11",
                            "medfee_sumamt": "47.00", "psn_setlway": "01", "mdtrt_id": mdtrt_id, "acct_used_flag": "0",
                            "insutype": "390"}}  # fmt: skip
            ready.append(envelope("2207", pay, when))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ready


def rest_claims(people, count: int) -> list[dict[str, Any]]:
    return [
        {
            "setl_id": f"B{uuid.uuid4().hex}",
            "psn_no": people[n % len(people)]["psn_no"],
            "certno": people[n % len(people)]["certno"],
            "insuplc_admdvs": REGION,
            "med_type": "11",
            "hosp_lv": "05",
            "setl_time": when_of(n).isoformat(),
            "medfee_sumamt": "47.00",
            "preselfpay_amt": "3.70",
        }
        for n in range(count)
    ]


async def measure(
    c: httpx.AsyncClient, path: str, bodies: list[dict[str, Any]], concurrency: int, ok
) -> tuple[float, list[float], int]:
    """Round trips/s of sending ``bodies`` with ``concurrency`` in flight; latencies; errors."""
    queue = list(reversed(bodies))
    latencies: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        while queue:
            body = queue.pop()
            t0 = time.perf_counter()
            r = await c.post(path, json=body)
            latencies.append(time.perf_counter() - t0)
            if not ok(r):
                errors += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(bodies) / (time.perf_counter() - start), latencies, errors


def rest_ok(r: httpx.Response) -> bool:
    return r.status_code == 201


def gateway_ok(r: httpx.Response) -> bool:
    return r.status_code == 200 and r.json().get("infcode") == 0


async def run(base: str, token: str, people, args) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    rows = []
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as c:
        total = args.settlements * args.repeat
        visits = await open_visits(c, people, total + 4 * args.concurrency, args.concurrency)
        claims = rest_claims(people, total + 4 * args.concurrency)
        # Warm-up of both paths (first-call costs of the engine, the rules, the pools).
        await measure(c, GATEWAY, visits[total:], args.concurrency, gateway_ok)
        await measure(c, "/api/settlements", claims[total:], args.concurrency, rest_ok)
        for i in range(args.repeat):
            part = slice(i * args.settlements, (i + 1) * args.settlements)
            for kind, path, bodies, ok in (
                ("REST POST /api/settlements", "/api/settlements", claims[part], rest_ok),
                ("gateway 2207", GATEWAY, visits[part], gateway_ok),
            ):
                rate, lat, errors = await measure(c, path, bodies, args.concurrency, ok)
                lat_ms = sorted(x * 1000 for x in lat)
                rows.append({
                    "kind": kind, "run": i + 1, "n": len(bodies), "errors": errors, "rate": rate,
                    "p50": statistics.median(lat_ms), "p99": lat_ms[min(len(lat_ms) - 1, int(len(lat_ms) * 0.99))],
                })  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settlements", type=int, default=200, help="per phase")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--persons", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    schema = f"yibao_gw_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG}?options=-csearch_path%3D{schema}"
    try:
        token, people = prepare(url, args.persons)
        server = ServerProcess(url).start(timeout=120)
        try:
            rows = asyncio.run(run(server.base_url, token, people, args))
        finally:
            server.stop()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    medians = {
        kind: {
            k: statistics.median(r[k] for r in rows if r["kind"] == kind)
            for k in ("rate", "p50", "p99")
        }
        for kind in ("REST POST /api/settlements", "gateway 2207")
    }
    load_after = os.getloadavg()[0]
    ratio = medians["gateway 2207"]["rate"] / medians["REST POST /api/settlements"]["rate"]
    lines = [
        "## Gateway 2207 门诊结算 vs the REST settlement (`bench/gateway_2207.py`)",
        "",
        f"PostgreSQL (127.0.0.1:5432), one uvicorn worker, {args.concurrency} requests in flight from "
        f"one asyncio httpx client on the same machine, {args.settlements} settlements per phase, "
        f"{args.repeat} runs of each phase alternating, {args.persons} persons of 500243. Each 2207 "
        "settles a visit opened beforehand (2201 + 2204 with two lines, 47.00 yuan); each REST "
        "request a fresh claim with the same amounts.",
        "",
        "| path | run | settlements | errors | settlements/s | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['kind']} | {r['run']} | {r['n']} | {r['errors']} | {r['rate']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} |"
        )
    for kind, m in medians.items():
        lines.append(f"| {kind} | median | | | {m['rate']:.0f} | {m['p50']:.1f} | {m['p99']:.1f} |")
    lines += [
        "",
        f"**2207 round trips per second: {ratio:.2f} × the REST settlement's** (median against median).",
        "",
        f"Load average of the machine (1 min) before the run {load_before:.1f}, after {load_after:.1f} "
        "(2 cores, shared with other jobs): absolute rates depend on it, the ratio of the "
        "alternating phases much less.",
        "",
        "Why it is slower: the REST settlement goes through the server's group commit (the claims "
        "that queue meanwhile share one transaction, docs/api.md); a 2207 is one transaction of its "
        "own, because the message, the reply, the gateway's settlement record and the lines marked "
        "settled must commit with the ledger's settlement or not at all. It also reads the "
        "encounter and its lines and writes two more rows and an update per line.",
    ]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section("gateway_2207", body)


if __name__ == "__main__":
    main()
