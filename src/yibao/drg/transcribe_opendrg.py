"""Transcribe the CHS-DRG 1.1 code lists of OpenDRG/DRG_Python (``drg_group/chs_drg_11``, an open
implementation of the 1.1 scheme whose lists are held in Python source) into yibao's table
folder format (docs/drg.md), and cut the subset that ships. The lists are read with ``ast``
(nothing is executed, no code is reused); only the published code lists become data.

    python -m yibao.drg.transcribe_opendrg SRC_DIR FULL_OUT [SUBSET_OUT]

SRC_DIR is drg_group/chs_drg_11 of a checkout; FULL_OUT gets the full table; SUBSET_OUT (if
given) the rows of the codes the synthetic case mix and the tests use (see ``subset_codes``).
Also reads drg_group/chs_drg_10 (CHS-DRG 1.0).
A development tool: not used at run time."""

from __future__ import annotations

import ast
import csv
import re
import sys
from pathlib import Path
from typing import Any


def lists_of(tree: ast.AST) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List):
            name = node.targets[0].id  # type: ignore[attr-defined]
            vals = [str(e.value) for e in node.value.elts if isinstance(e, ast.Constant)]
            if len(vals) == len(node.value.elts):
                found[name] = vals
    return found


def calls_in_order(fn: ast.FunctionDef, suffix: str) -> list[tuple[str, int]]:
    out = []
    for node in ast.walk(fn):
        call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        if call and node.func.attr == suffix:  # type: ignore[attr-defined]
            out.append((node.func.value.id, node.lineno))  # type: ignore[attr-defined]
    return sorted(out, key=lambda x: x[1])


def condition_text(fn: ast.FunctionDef) -> str:
    for stmt in fn.body:
        if isinstance(stmt, ast.If):
            return ast.unparse(stmt.test)
    return ""


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("(", "").replace(")", ""))


MDC_RULES0 = {
    "not (True and record.zdList[0] in mdc_zd)": "dx:main",
    "not (True and record.ssList and record.ssList[0] in SS_VALID)": "or:main",
    "not (True and record.zdList[0] in mdc_zd and int(record.age) == 0)": "dx:main;age=0",
    "not (True and record.zdList[0] in mdc_zd and record.age == 0)": "dx:main;age=0",
    "not (True and intersect(record.zdList, mdc_zd))": "dx:any",
    "not (True and record.zdList[0] in mdc_zd and record.gender == 1)": "dx:main;sex=1",
    "not (True and record.zdList[0] in mdc_zd and record.gender == 2)": "dx:main;sex=2",
}

ADRG_RULES0 = {
    "True and record.zdList[0] in adrg_zd": "dx:main",
    "True and record.ssList and record.ssList[0] in adrg_ss": "pr:main",
    "True and record.zdList[0] in adrg_zd and record.ssList and record.ssList[0] in adrg_ss": "dx:main;pr:main",
    "True and record.ssList and record.ssList[0] in adrg_ss and (record.ageDay != None) and (record.ageDay <= 28)": "pr:main;age_days<=28",
    "True and record.ssList and record.ssList[0] in SS_VALID": "or:main",
    "True and record.ssList and intersect(record.ssList, adrg_ss) and intersect(record.ssList, adrg_ss1)": "pr:any;pr1:any",
    "True and record.ssList and intersect(record.ssList, adrg_ss)": "pr:any",
    "True and (record.ageDay != None) and (record.ageDay <= 28)": "age_days<=28",
    "True and record.zdList[0] in adrg_zd and (record.ageDay != None) and (record.ageDay <= 28)": "dx:main;age_days<=28",
    "True": "always",
    "True and record.zdList[0] in adrg_zd and record.ssList and intersect(record.ssList, adrg_ss) and intersect(record.ssList, adrg_ss1)": "dx:main;pr:any;pr1:any",
    "True and (not intersect(record.ssList, SS_VALID))": "or:none",
    "True and intersect(record.zdList, adrg_zd) and record.ssList and (record.ssList[0] in SS_VALID)": "dx:any;or:main",
}


MDC_RULES = {norm(k): v for k, v in MDC_RULES0.items()}
ADRG_RULES = {norm(k): v for k, v in ADRG_RULES0.items()}


def adrg_rule(text: str) -> str:
    t = norm(text)
    if t in ADRG_RULES:
        return ADRG_RULES[t]
    m = re.fullmatch(
        r"True and (?:(intersectrecord.zdList, adrg_zd|record.zdList\[0\] in adrg_zd) and )?record.weight"
        r" and (.*) and record.ageDay != None and record.ageDay <= 28",
        t,
    )
    if m:
        dx = {None: [], "i": ["dx:any"], "r": ["dx:main"]}[
            (m.group(1) or " ")[0] if m.group(1) else None
        ]
        parts = [
            p.replace("record.weight", "weight").replace(" ", "") for p in m.group(2).split(" and ")
        ]
        parts = [p.strip("()") for p in parts]
        return ";".join([*dx, *parts, "age_days<=28"])
    m = re.fullmatch(r"True and record.zdList\[0\] in adrg_zd and (.*)", t)
    if m and "ss_matched" in t:
        expr = m.group(1)
        expr = (
            re.sub(r"'(\d)' in ss_matched", r"\1", expr).replace(" and ", "&").replace(" or ", "|")
        )
        expr = expr
        return "dx:main;combo:" + expr
    raise SystemExit(f"unknown ADRG rule: {t}")


def drg_severity(text: str) -> str:
    t = norm(text)
    if t == "True":
        return "any"
    if t == norm("len(record.zdList) > 1 and has_mcc(record.zdList[0], record.zdList[1:])"):
        return "mcc"
    if t == norm(
        "len(record.zdList) > 1 and (has_mcc(record.zdList[0], record.zdList[1:]) or has_cc(record.zdList[0], record.zdList[1:]))"
    ):
        return "mcc_cc"
    raise SystemExit(f"unknown DRG rule: {t}")


def dat(src: Path, name: str) -> list[tuple[str, str]]:
    rows = []
    for line in (src / name).read_text(encoding="utf8").splitlines():
        code, _, rest = line.partition(" ")
        if code:
            rows.append((code, rest.strip()))
    return rows


def transcribe(src: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    drg_names = dict(dat(src, "DATA/DRG.dat"))
    # DRG severity functions
    drg_sev: dict[str, str] = {}
    for f in sorted((src / "DRG").glob("MDC*_DRG.py")):
        tree = ast.parse(f.read_text(encoding="utf8"))
        for fn in tree.body:
            if isinstance(fn, ast.FunctionDef):
                ret = fn.body[-1]
                assert isinstance(ret, ast.Return) and ret.value is not None
                drg_sev[fn.name.removesuffix("_group")] = drg_severity(ast.unparse(ret.value))

    top = ast.parse((src / "Grouper.py").read_text(encoding="utf8"))
    mdc_order = [c for c, _ in calls_in_order(top.body[-1], "group")]  # type: ignore[arg-type]

    mdc_rows, mdc_dx_rows, adrg_rows, code_rows, drg_rows = [], [], [], [], []
    for mseq, mdc in enumerate(mdc_order, 1):
        tree = ast.parse((src / "MDC" / f"{mdc}.py").read_text(encoding="utf8"))
        fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef))
        lists = lists_of(fn)
        rule = MDC_RULES[norm(condition_text(fn))]
        src_text = ast.unparse(fn)
        part = ""
        if "zd_matched" in src_text:
            rule = "dx:main;trauma_sites>=2"
        for code in lists.get("mdc_zd", []):
            if rule.startswith("dx:main;trauma") and code.endswith("创伤"):
                part = code
                continue
            mdc_dx_rows.append((mdc, code, part))
        # QY position: ADRG calls before the 'if False ... QY' are surgical
        qy_line = None
        for node in ast.walk(fn):
            if isinstance(node, ast.If) and "QY" in ast.unparse(node):
                qy_line = node.lineno
        name = {"MDCA": "先期分组疾病及相关操作"}.get(mdc, "")
        mdc_rows.append((mdc, mseq, rule, name))
        for aseq, (adrg, line) in enumerate(calls_in_order(fn, "group"), 1):
            kind = "surgical" if qy_line is None or line < qy_line else "medical"
            atree = ast.parse((src / "ADRG" / f"{adrg}.py").read_text(encoding="utf8"))
            afn = next(n for n in atree.body if isinstance(n, ast.FunctionDef))
            alists = lists_of(afn)
            arule = adrg_rule(condition_text(afn))
            fallback = ""
            for node in ast.walk(afn):
                returns_adrg = isinstance(node, ast.Return) and isinstance(node.value, ast.Constant)
                if returns_adrg and node.value.value == adrg:  # type: ignore[attr-defined]
                    fallback = "adrg"
            adrg_rows.append((adrg, mdc, aseq, kind, arule, fallback, drg_names.get(adrg, "")))
            labels = alists.get("adrg_ss1", []) if "combo:" in arule else None
            for lst, col in (
                ("adrg_zd", "dx"),
                ("adrg_zd1", "dx1"),
                ("adrg_ss", "pr"),
                ("adrg_ss1", "pr1"),
            ):
                if lst == "adrg_ss1" and labels is not None:
                    continue
                for i, code in enumerate(alists.get(lst, [])):
                    label = labels[i] if (labels is not None and lst == "adrg_ss") else ""
                    code_rows.append((adrg, col, code, label))
            drgs = sorted(
                (
                    (node.func.attr.removesuffix("_group"), node.lineno)
                    for node in ast.walk(afn)
                    if isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr.endswith("_group")
                ),
                key=lambda x: x[1],
            )
            for dseq, (drg, _) in enumerate(drgs, 1):
                drg_rows.append((drg, adrg, dseq, drg_sev[drg], drg_names.get(drg, "")))

    def write(name: str, header: list[str], rows: list[tuple[Any, ...]]) -> None:
        with open(out / name, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows)

    write("mdc.csv", ["mdc", "seq", "rule", "name"], mdc_rows)
    write("mdc_diagnoses.csv", ["mdc", "code", "site"], mdc_dx_rows)
    write("adrg.csv", ["adrg", "mdc", "seq", "kind", "rule", "fallback", "name"], adrg_rows)
    write("adrg_codes.csv", ["adrg", "list", "code", "label"], code_rows)
    write("drg.csv", ["drg", "adrg", "seq", "severity", "name"], drg_rows)
    cc = [(c, "MCC", t) for c, t in dat(src, "DATA/MCC.dat")] + [
        (c, "CC", t) for c, t in dat(src, "DATA/CC.dat")
    ]
    write("complications.csv", ["code", "level", "exclusion"], cc)
    write("exclusions.csv", ["code", "exclusion"], dat(src, "DATA/CCE.dat"))
    write("or_procedures.csv", ["code", "name"], dat(src, "DATA/SS_VALID.dat"))
    write("diagnoses.csv", ["code", "name"], dat(src, "ICD/ZD_INFO.dat"))
    write("procedures.csv", ["code", "name"], dat(src, "ICD/SS_INFO.dat"))


def subset_codes() -> tuple[set[str], set[str]]:
    """The diagnoses and procedures that ship: the synthetic catalogue's, the issue's oracle,
    and the tests' (未入组 Z00.000, 歧义组 81.5100)."""
    from yibao.synth.cases import CATALOGUE, COMORBIDITY

    dx = {t.main for t in CATALOGUE} | {c for c, _ in COMORBIDITY}
    dx |= {"K22.301", "K11.901", "E11.900", "I10.x05", "S06.000", "S72.000", "Z00.000", "P07.300"}
    pr = {p for t in CATALOGUE for p in t.procedures} | {"96.0800x005", "81.5100"}
    return dx, pr


def cut_subset(full: Path, out: Path, dx: set[str], pr: set[str]) -> None:
    """Every rule is a membership test on the case's own codes, so the rows of these codes
    group every case made of them exactly as the full table does."""
    out.mkdir(parents=True, exist_ok=True)
    keep: dict[str, Any] = {
        "mdc.csv": lambda r: True,
        "adrg.csv": lambda r: True,
        "drg.csv": lambda r: True,
        "mdc_diagnoses.csv": lambda r: r[1] in dx,
        "adrg_codes.csv": lambda r: r[2] in (dx if r[1].startswith("dx") else pr),
        "complications.csv": lambda r: r[0] in dx,
        "exclusions.csv": lambda r: r[0] in dx,
        "or_procedures.csv": lambda r: r[0] in pr,
        "diagnoses.csv": lambda r: r[0] in dx,
        "procedures.csv": lambda r: r[0] in pr,
    }
    for name, test in keep.items():
        with (full / name).open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        with (out / name).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(rows[0])
            writer.writerows(r for r in rows[1:] if test(r))


if __name__ == "__main__":
    transcribe(Path(sys.argv[1]), Path(sys.argv[2]))
    if len(sys.argv) > 3:
        cut_subset(Path(sys.argv[2]), Path(sys.argv[3]), *subset_codes())
