"""Grouping tables as data: a CHS-DRG version is a folder of CSV files plus ``version.yaml``
(format in docs/drg.md), so a bureau drops in the full official table of its version.

The loader reads files (like policy/loader); the grouping itself (grouping.py) is pure."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from yibao import yamlfile

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "drg"

# Conditions an MDC or ADRG rule may state (semicolon-separated in the ``rule`` column).
MDC_TOKENS = {"dx:main", "dx:any", "or:main", "age=0", "sex=1", "sex=2", "trauma_sites>=2"}
ADRG_FIXED_TOKENS = {
    "always",
    "dx:main",
    "dx:any",
    "pr:main",
    "pr:any",
    "pr1:any",
    "or:main",
    "or:none",
    "age_days<=28",
}
SEVERITIES = {"mcc", "mcc_cc", "any"}
DRG_FILES = (
    "mdc.csv",
    "mdc_diagnoses.csv",
    "adrg.csv",
    "adrg_codes.csv",
    "drg.csv",
    "complications.csv",
    "exclusions.csv",
    "or_procedures.csv",
    "diagnoses.csv",
    "procedures.csv",
)


class TableError(ValueError):
    """A grouping table that cannot be read: names the file, the row and the column."""


@dataclass(frozen=True)
class MdcRule:
    mdc: str
    tokens: frozenset[str]
    diagnoses: frozenset[str]
    sites: dict[str, str]  # MDCZ: diagnosis → body site (多发伤 needs two sites)


@dataclass(frozen=True)
class AdrgRule:
    adrg: str
    mdc: str
    kind: str  # surgical | medical
    rule: str
    tokens: frozenset[str]
    weight_min: int | None
    weight_max: int | None  # exclusive
    combo: tuple[frozenset[str], ...]  # any one of these label sets, all labels present
    lists: dict[str, frozenset[str]]  # dx, dx1, pr, pr1
    labels: dict[str, str]  # procedure → label (combo rules)
    fallback: bool  # no DRG condition met: the ADRG itself is the result
    name: str


@dataclass(frozen=True)
class DrgRule:
    drg: str
    adrg: str
    severity: str
    name: str


@dataclass(frozen=True)
class DrgTable:
    version: str
    effective: dt.date
    source: str
    clause: str
    transcription: str
    subset: bool
    ambiguous_group: bool
    mdcs: tuple[MdcRule, ...]
    adrgs: dict[str, tuple[AdrgRule, ...]]  # by MDC, in order
    drgs: dict[str, tuple[DrgRule, ...]]  # by ADRG, in order
    mcc: dict[str, str]  # diagnosis → exclusion table
    cc: dict[str, str]
    exclusions: dict[str, str]  # main diagnosis → its exclusion table
    or_procedures: frozenset[str]
    diagnoses: dict[str, str]  # code → name
    procedures: dict[str, str]
    drg_names: dict[str, str] = field(default_factory=dict)
    # Memo of the MDCs and ADRGs a 主诊断 can reach (grouping.candidates); derived, not data.
    plans: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def meta(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "effective": self.effective.isoformat(),
            "source": self.source,
            "clause": self.clause,
            "transcription": self.transcription,
            "subset": self.subset,
        }


def read_meta(path: Path) -> dict[str, Any]:
    """A version.yaml, with a clear error naming the file."""
    try:
        doc = yamlfile.load(path.read_text(encoding="utf-8"))
    except Exception as exc:
        raise TableError(f"{path}: 不是合法的 YAML（{str(exc).splitlines()[0]}）") from exc
    if not isinstance(doc, dict):
        raise TableError(f"{path}: 应为映射（key: value）")
    return doc


def _rows(folder: Path, name: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    path = folder / name
    if not path.exists():
        raise TableError(f"{path}: 分组表文件不存在")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise TableError(f"{path}: 缺少列 {', '.join(missing)}")
        rows = []
        for line, row in enumerate(reader, start=2):
            for c in columns:
                if row[c] is None:
                    raise TableError(f"{path} 第 {line} 行: 列 {c} 为空")
            row["_line"] = str(line)
            rows.append(row)
        return rows


def _adrg_tokens(
    path: str, row: dict[str, str]
) -> tuple[set[str], int | None, int | None, tuple[frozenset[str], ...]]:
    tokens: set[str] = set()
    wmin: int | None = None
    wmax: int | None = None
    combo: tuple[frozenset[str], ...] = ()
    for token in filter(None, row["rule"].split(";")):
        if token.startswith("weight>="):
            wmin = int(token.removeprefix("weight>="))
        elif token.startswith("weight<"):
            wmax = int(token.removeprefix("weight<"))
        elif token.startswith("combo:"):
            combo = tuple(
                frozenset(alt.split("&")) for alt in token.removeprefix("combo:").split("|")
            )
        elif token in ADRG_FIXED_TOKENS:
            tokens.add(token)
        else:
            raise TableError(f"{path} 第 {row['_line']} 行: rule 条件 {token!r} 不认识")
    return tokens, wmin, wmax, combo


def load_drg_table(folder: Path) -> DrgTable:
    """A CHS-DRG version from its folder (version.yaml + the CSV files of docs/drg.md)."""
    meta_path = folder / "version.yaml"
    if not meta_path.exists():
        raise TableError(f"{meta_path}: 分组版本说明文件不存在")
    meta = read_meta(meta_path)
    for key in ("version", "effective", "source"):
        if key not in meta:
            raise TableError(f"{meta_path}: 缺少 {key}")

    dx_by_mdc: dict[str, set[str]] = {}
    sites: dict[str, dict[str, str]] = {}
    for row in _rows(folder, "mdc_diagnoses.csv", ("mdc", "code", "site")):
        dx_by_mdc.setdefault(row["mdc"], set()).add(row["code"])
        if row["site"]:
            sites.setdefault(row["mdc"], {})[row["code"]] = row["site"]
    mdcs = []
    for row in sorted(
        _rows(folder, "mdc.csv", ("mdc", "seq", "rule")), key=lambda r: int(r["seq"])
    ):
        tokens = frozenset(filter(None, row["rule"].split(";")))
        if not tokens <= MDC_TOKENS:
            raise TableError(f"mdc.csv 第 {row['_line']} 行: rule {row['rule']!r} 不认识")
        mdcs.append(
            MdcRule(
                row["mdc"],
                tokens,
                frozenset(dx_by_mdc.get(row["mdc"], ())),
                sites.get(row["mdc"], {}),
            )
        )

    lists: dict[str, dict[str, set[str]]] = {}
    labels: dict[str, dict[str, str]] = {}
    for row in _rows(folder, "adrg_codes.csv", ("adrg", "list", "code", "label")):
        if row["list"] not in ("dx", "dx1", "pr", "pr1"):
            raise TableError(f"adrg_codes.csv 第 {row['_line']} 行: list {row['list']!r} 不认识")
        lists.setdefault(row["adrg"], {}).setdefault(row["list"], set()).add(row["code"])
        if row["label"]:
            labels.setdefault(row["adrg"], {})[row["code"]] = row["label"]
    adrgs: dict[str, list[AdrgRule]] = {}
    columns = ("adrg", "mdc", "seq", "kind", "rule", "fallback", "name")
    for row in sorted(_rows(folder, "adrg.csv", columns), key=lambda r: (r["mdc"], int(r["seq"]))):
        wanted, wmin, wmax, combo = _adrg_tokens("adrg.csv", row)
        if row["kind"] not in ("surgical", "medical"):
            raise TableError(f"adrg.csv 第 {row['_line']} 行: kind {row['kind']!r} 不认识")
        mine = lists.get(row["adrg"], {})
        adrgs.setdefault(row["mdc"], []).append(
            AdrgRule(
                adrg=row["adrg"],
                mdc=row["mdc"],
                kind=row["kind"],
                rule=row["rule"],
                tokens=frozenset(wanted),
                weight_min=wmin,
                weight_max=wmax,
                combo=combo,
                lists={k: frozenset(v) for k, v in mine.items()},
                labels=labels.get(row["adrg"], {}),
                fallback=row["fallback"] == "adrg",
                name=row["name"],
            )
        )
    drgs: dict[str, list[DrgRule]] = {}
    names: dict[str, str] = {}
    drg_rows = _rows(folder, "drg.csv", ("drg", "adrg", "seq", "severity", "name"))
    for row in sorted(drg_rows, key=lambda r: (r["adrg"], int(r["seq"]))):
        if row["severity"] not in SEVERITIES:
            raise TableError(f"drg.csv 第 {row['_line']} 行: severity {row['severity']!r} 不认识")
        drgs.setdefault(row["adrg"], []).append(
            DrgRule(row["drg"], row["adrg"], row["severity"], row["name"])
        )
        names[row["drg"]] = row["name"]
    mcc: dict[str, str] = {}
    cc: dict[str, str] = {}
    for row in _rows(folder, "complications.csv", ("code", "level", "exclusion")):
        if row["level"] not in ("MCC", "CC"):
            raise TableError(f"complications.csv 第 {row['_line']} 行: level {row['level']!r}")
        (mcc if row["level"] == "MCC" else cc)[row["code"]] = row["exclusion"]
    exclusions = {
        r["code"]: r["exclusion"] for r in _rows(folder, "exclusions.csv", ("code", "exclusion"))
    }
    return DrgTable(
        version=str(meta["version"]),
        effective=dt.date.fromisoformat(str(meta["effective"])),
        source=str(meta["source"]),
        clause=str(meta.get("clause", "")),
        transcription=str(meta.get("transcription", "")),
        subset=bool(meta.get("subset", False)),
        ambiguous_group=bool(meta.get("ambiguous_group", False)),
        mdcs=tuple(mdcs),
        adrgs={k: tuple(v) for k, v in adrgs.items()},
        drgs={k: tuple(v) for k, v in drgs.items()},
        mcc=mcc,
        cc=cc,
        exclusions=exclusions,
        or_procedures=frozenset(
            r["code"] for r in _rows(folder, "or_procedures.csv", ("code", "name"))
        ),
        diagnoses={r["code"]: r["name"] for r in _rows(folder, "diagnoses.csv", ("code", "name"))},
        procedures={
            r["code"]: r["name"] for r in _rows(folder, "procedures.csv", ("code", "name"))
        },
        drg_names=names,
    )


def shipped_versions() -> dict[str, Path]:
    """The versions shipped in data/drg: version name → folder."""
    found = {}
    for meta in sorted(DATA_DIR.glob("*/version.yaml")):
        doc = yamlfile.load(meta.read_text(encoding="utf-8"))
        if doc.get("kind", "drg") == "drg":
            found[str(doc["version"])] = meta.parent
    return found


@cache
def shipped_table(version: str) -> DrgTable:
    versions = shipped_versions()
    if version not in versions:
        known = "、".join(versions) or "无"
        raise TableError(f"version: 分组版本 {version!r} 不存在（可用：{known}）")
    return load_drg_table(versions[version])
