"""CHS-DRG grouping speed: cases grouped per second, single-threaded, with the trace (issue 18).

    .venv/bin/python bench/drg_group.py [--persons 200000] [--table FULL_DIR]
        [--opendrg DRG_PYTHON_CHECKOUT] [--random 20000] [--no-write]

Cases: the synthetic inpatient cases of a 池州 (341700) 2023 year (yibao.synth.cases) grouped
with the shipped CHS-DRG 1.1 table; with --table (a full official table folder, e.g. the output
of yibao.drg.transcribe_opendrg), the same cases and --random cases drawn from the full table's
code lists (main diagnosis from the MDC lists, 0–4 secondary diagnoses from the CC/MCC lists,
0–3 procedures). With --opendrg (a checkout of OpenDRG/DRG_Python), OpenDRG's own Python grouper
groups the same random cases on the same machine, beside the figure OpenDRG publishes for its
Java grouper (about 5,000 records a second single-threaded). Timing: the best of --repeat runs of
grouping alone (cases parsed beforehand), then parse + group together.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import write_section
from yibao.drg.case import Case, parse_case
from yibao.drg.grouping import group_case
from yibao.drg.payment import case_of
from yibao.drg.tables import DrgTable, load_drg_table, shipped_table


def synthetic_rows(persons: int) -> list[dict[str, Any]]:
    from yibao.synth.cases import simulate_cases
    from yibao.synth.county import simulate_county

    year = simulate_county("341700", 2023, persons, seed=1)
    return simulate_cases(year.claims).to_dicts()


def random_cases(table: DrgTable, folder: Path, n: int) -> list[Case]:
    rnd = random.Random(18)
    with (folder / "mdc_diagnoses.csv").open(encoding="utf-8") as fh:
        mains = sorted({r["code"] for r in csv.DictReader(fh)} & set(table.diagnoses))
    secondary = sorted((set(table.cc) | set(table.mcc)) & set(table.diagnoses))
    with (folder / "adrg_codes.csv").open(encoding="utf-8") as fh:
        procs = sorted(
            {r["code"] for r in csv.DictReader(fh) if r["list"].startswith("pr")}
            & set(table.procedures)
        )
    cases = []
    for i in range(n):
        age = rnd.choice([0, 5, 35, 50, 70, 85])
        days = rnd.randint(1, 300) if age == 0 else None
        doc = {
            "gend": rnd.choice("12"),
            "age": age,
            "age_days": days,
            "weight": rnd.choice([1400, 2300, 3200]) if age == 0 else None,
            "los": rnd.randint(1, 30),
            "diagnoses": [rnd.choice(mains), *rnd.sample(secondary, rnd.randint(0, 4))],
            "procedures": rnd.sample(procs, rnd.randint(0, 3)),
        }
        cases.append(parse_case(doc, str(i)))
    return cases


def rate(fn: Any, items: list[Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - start)
    return len(items) / best


def opendrg_rate(checkout: Path, cases: list[Case], repeat: int) -> float:
    """OpenDRG's Python grouper (chs_drg_11) on the same cases."""
    # OpenDRG's drg_group/ is a namespace package: this script's own folder (bench/, holding
    # drg_group.py) must leave the path or it would shadow it.
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [str(checkout)] + [p for p in sys.path if str(Path(p or ".").resolve()) != here]
    from drg_group.chs_drg_11.Base import MedicalRecord  # type: ignore[import-not-found]
    from drg_group.chs_drg_11.GroupProxy import GroupProxy  # type: ignore[import-not-found]

    proxy = GroupProxy()
    records = [
        MedicalRecord(
            Index=c.case_id, gender=int(c.gend), age=c.age, ageDay=c.age_days, weight=c.weight,
            dept="", inHospitalTime=c.los, leavingType=c.leaving_type,
            zdList="|".join(c.diagnoses), ssList="|".join(c.procedures),
        )
        for c in cases
    ]  # fmt: skip
    return rate(proxy.group, records, repeat)


HARNESS = r"""
import java.nio.file.*;
import java.util.*;
import drg_group.chs_drg_11.*;

public class Bench {
    public static void main(String[] args) throws Exception {
        List<MedicalRecord> records = new ArrayList<>();
        for (String line : Files.readAllLines(Paths.get(args[0]))) {
            String[] f = line.split("\\t", -1);
            records.add(new MedicalRecord(f[0], f[1], Integer.parseInt(f[2]),
                f[3].isEmpty() ? 0 : Integer.parseInt(f[3]), f[4].isEmpty() ? 0 : Integer.parseInt(f[4]),
                "", Integer.parseInt(f[5]), "1", f[6].split("\\|"), f[7].split("\\|"), ""));
        }
        GroupProxy proxy = new GroupProxy();
        int rounds = Integer.parseInt(args[1]);
        double best = Double.MAX_VALUE;
        StringBuilder out = new StringBuilder();
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            for (MedicalRecord rec : records) {
                GroupResult g = proxy.group_record(rec);
                if (r == rounds - 1) out.append(rec.Index).append('\t').append(g.drg).append('\n');
            }
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        Files.write(Paths.get(args[0] + ".out"), out.toString().getBytes("UTF-8"));
        System.out.println(records.size() / best);
    }
}
"""


def opendrg_java_rate(
    classes: Path, cases: list[Case], rounds: int
) -> tuple[float, dict[str, str]]:
    """OpenDRG's Java grouper (chs_drg_11, compiled into ``classes``) on the same cases, pinned
    to one CPU (taskset -c 0), best of ``rounds`` after the JIT has warmed up in the first."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "Bench.java").write_text(HARNESS, encoding="utf-8")
        cp = f"{classes}:{work}"
        subprocess.run(["javac", "-cp", cp, "-d", str(work), str(work / "Bench.java")], check=True)
        data = work / "cases.tsv"
        data.write_text(
            "".join(
                f"{c.case_id}\t{c.gend}\t{c.age}\t{c.age_days or ''}\t{c.weight or ''}\t{c.los}"
                f"\t{'|'.join(c.diagnoses)}\t{'|'.join(c.procedures)}\n"
                for c in cases
            ),
            encoding="utf-8",
        )
        run = subprocess.run(
            ["taskset", "-c", "0", "java", "-cp", cp, "Bench", str(data), str(max(rounds, 2) + 1)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        drgs = dict(
            line.split("\t") for line in (work / "cases.tsv.out").read_text().splitlines() if line
        )
        return float(run.stdout.strip().splitlines()[-1]), drgs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=200_000)
    ap.add_argument("--table", type=Path)
    ap.add_argument("--opendrg", type=Path)
    ap.add_argument(
        "--opendrg-java", type=Path, help="OpenDRG DRG_Java chs_drg_11 compiled classes"
    )
    ap.add_argument("--random", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()

    rows = synthetic_rows(args.persons)
    shipped = shipped_table("CHS-DRG 1.1")
    cases = [case_of(r) for r in rows]
    lines = [
        "| cases | table | grouper | cases/s (group) | cases/s (parse + group) |",
        "|---|---|---|---:|---:|",
    ]

    def both(label: str, table: DrgTable, items: list[Case], source: list[dict[str, Any]] | None):
        g = rate(lambda c: group_case(c, table), items, args.repeat)
        pg = (
            rate(lambda r: group_case(case_of(r), table), source, args.repeat)
            if source is not None
            else None
        )
        lines.append(
            f"| {label} | {table.version}{' (shipped subset)' if table.subset else ' (full)'} "
            f"| yibao | {g:,.0f} | {'' if pg is None else f'{pg:,.0f}'} |"
        )
        print(lines[-1], flush=True)

    both(f"{len(cases):,} synthetic 341700 2023", shipped, cases, rows)
    if args.table:
        full = load_drg_table(args.table)
        both(f"{len(cases):,} synthetic 341700 2023", full, cases, rows)
        drawn = random_cases(full, args.table, args.random)
        both(f"{len(drawn):,} random from the full lists", full, drawn, None)
        if args.opendrg:
            o = opendrg_rate(args.opendrg, drawn, args.repeat)
            lines.append(
                f"| {len(drawn):,} random from the full lists | CHS-DRG 1.1 (OpenDRG's lists) "
                f"| OpenDRG DRG_Python (same machine) | {o:,.0f} | |"
            )
            print(lines[-1], flush=True)
        if args.opendrg_java:
            j, drgs = opendrg_java_rate(args.opendrg_java, drawn, args.repeat)
            agree = sum(
                (drgs.get(c.case_id) or "0000") == (group_case(c, full).drg or "0000")
                for c in drawn
            )
            lines.append(
                f"| {len(drawn):,} random from the full lists | CHS-DRG 1.1 (OpenDRG's lists) "
                f"| OpenDRG DRG_Java, one CPU (same machine; same DRG as yibao for {agree:,} of "
                f"{len(drawn):,}) | {j:,.0f} | |"
            )
            print(lines[-1], flush=True)
    lines.append(
        "| — | CHS-DRG 1.1 | OpenDRG Java (published: 单线程每秒5000份病案, OpenDRG/DRG_Java README) | ≈5,000 | |"
    )
    body = (
        "Single-threaded grouping with the trace (every step's reason is built for every case). "
        "`group`: cases parsed beforehand; `parse + group`: from the cases Parquet rows. "
        "Best of "
        f"{args.repeat} runs. OpenDRG's groupers (its Python one, and its Java one compiled here "
        "and pinned to one CPU) group the same random cases where given; the last row is the "
        "figure OpenDRG publishes. The 2-core machine is shared with other jobs (load average "
        f"{os.getloadavg()[0]:.1f} at the end of the run): rates vary about 2× between runs.\n\n"
        + "\n".join(lines)
        + "\n"
    )
    if not args.no_write:
        cmd = "python bench/drg_group.py " + " ".join(sys.argv[1:])
        write_section(
            "drg_group",
            "## CHS-DRG grouping speed (issue 18, `bench/drg_group.py`)\n\n" + body,
            cmd,
        )
    print(body)


if __name__ == "__main__":
    main()
