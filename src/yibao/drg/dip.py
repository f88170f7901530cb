"""DIP grouping as data (病种目录库): 核心病种 by the 主诊断's 亚目 (ICD-10 four characters, e.g.
K35.8) and the combination of its 手术操作; 综合病种 by the 类目 (three characters) and whether
there was an operation (保守治疗 / 手术) for the rest (DIP 技术规范 病种组合: 核心病种、综合病种).

Table folder: version.yaml (kind: dip) + groups.csv ``code,kind,dx,procedures,name`` where kind
is core or comprehensive, dx the 亚目 (core) or 类目 (comprehensive), procedures the "|"-joined
codes of a core group ("" = 保守治疗) or, for a comprehensive group, ``conservative`` or
``operative``. Scores (分值) are not in the table: they are computed from the cases' costs
(points.base_points with the DIP scale), like DRG 基准点数. Optional diagnoses.csv and
procedures.csv (code,name) are the version's code lists: a code outside them is an error."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from yibao import yamlfile
from yibao.drg.case import Case, CaseError
from yibao.drg.grouping import GROUPED, UNGROUPED, GroupResult
from yibao.drg.tables import DATA_DIR, TableError, read_meta


@dataclass(frozen=True)
class DipTable:
    version: str
    region: str
    effective: dt.date
    source: str
    assumed: bool
    core: dict[tuple[str, frozenset[str]], tuple[str, str]]  # (亚目, procedures) → (code, name)
    comprehensive: dict[tuple[str, str], tuple[str, str]]  # (类目, conservative|operative) → …
    diagnoses: dict[str, str] | None  # the version's code lists (optional files): code → name
    procedures: dict[str, str] | None


def load_dip_table(folder: Path) -> DipTable:
    meta_path = folder / "version.yaml"
    if not meta_path.exists():
        raise TableError(f"{meta_path}: DIP 目录库说明文件不存在")
    meta = read_meta(meta_path)
    path = folder / "groups.csv"
    if not path.exists():
        raise TableError(f"{path}: DIP 目录库文件不存在")
    core: dict[tuple[str, frozenset[str]], tuple[str, str]] = {}
    comp: dict[tuple[str, str], tuple[str, str]] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        for line, row in enumerate(reader, start=2):
            for col in ("code", "kind", "dx", "procedures", "name"):
                if row.get(col) is None:
                    raise TableError(f"{path} 第 {line} 行: 缺少列 {col}")
            if row["kind"] == "core":
                key = (row["dx"], frozenset(filter(None, row["procedures"].split("|"))))
                core[key] = (row["code"], row["name"])
            elif row["kind"] == "comprehensive":
                if row["procedures"] not in ("conservative", "operative"):
                    raise TableError(
                        f"{path} 第 {line} 行: procedures 应为 conservative 或 operative"
                    )
                comp[(row["dx"], row["procedures"])] = (row["code"], row["name"])
            else:
                raise TableError(
                    f"{path} 第 {line} 行: kind {row['kind']!r} 应为 core 或 comprehensive"
                )
    return DipTable(
        diagnoses=_codes(folder / "diagnoses.csv"),
        procedures=_codes(folder / "procedures.csv"),
        version=str(meta["version"]),
        region=str(meta.get("region", "")),
        effective=dt.date.fromisoformat(str(meta["effective"])),
        source=str(meta["source"]),
        assumed=bool(meta.get("assumed", False)),
        core=core,
        comprehensive=comp,
    )


def _codes(path: Path) -> dict[str, str] | None:
    if not path.exists():
        return None
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return {row["code"]: row["name"] for row in csv.DictReader(fh)}


def check_dip_codes(case: Case, table: DipTable) -> None:
    """With the version's code lists present, every code must be in them."""
    who = f"病例 {case.case_id}: " if case.case_id else ""
    for field, codes, known in (
        ("diagnoses", case.diagnoses, table.diagnoses),
        ("procedures", case.procedures, table.procedures),
    ):
        if known is None:
            continue
        for i, code in enumerate(codes):
            if code not in known:
                raise CaseError(f"{who}{field}[{i}]: 编码 {code} 不在 {table.version} 的编码表中")


def group_dip(case: Case, table: DipTable) -> GroupResult:
    """核心病种 when the 亚目 and the procedure combination are in the 目录库; else the 综合病种 of
    the 类目; else 未入组 with the reason."""
    check_dip_codes(case, table)
    main = case.diagnoses[0]
    sub, cat = main[:5], main[:3]
    procs = frozenset(case.procedures)
    trace = [
        f"{table.version}: 主诊断 {main}，亚目 {sub}，手术操作 {'、'.join(case.procedures) or '无（保守治疗）'}"
    ]
    hit = table.core.get((sub, procs))
    if hit:
        trace.append(f"核心病种 {hit[0]}: 亚目 {sub} 与手术操作组合相符")
        return GroupResult(case.case_id, GROUPED, None, sub, hit[0], hit[1], "", tuple(trace))
    trace.append(f"亚目 {sub} 与该手术操作组合不在核心病种内")
    kind = "operative" if case.procedures else "conservative"
    hit = table.comprehensive.get((cat, kind))
    if hit:
        trace.append(
            f"综合病种 {hit[0]}: 类目 {cat}，{'手术' if kind == 'operative' else '保守治疗'}"
        )
        return GroupResult(case.case_id, GROUPED, None, cat, hit[0], hit[1], "", tuple(trace))
    reason = f"亚目 {sub} 不在核心病种内，类目 {cat} 也无{'手术' if kind == 'operative' else '保守治疗'}综合病种"
    trace.append(reason)
    return GroupResult(case.case_id, UNGROUPED, None, None, None, "", reason, tuple(trace))


def shipped_dip_versions() -> dict[str, Path]:
    found = {}
    for meta in sorted(DATA_DIR.glob("*/version.yaml")):
        doc = yamlfile.load(meta.read_text(encoding="utf-8"))
        if doc.get("kind") == "dip":
            found[str(doc["version"])] = meta.parent
    return found


@cache
def shipped_dip_table(version: str) -> DipTable:
    versions = shipped_dip_versions()
    if version not in versions:
        raise TableError(
            f"version: DIP 目录库 {version!r} 不存在（可用：{'、'.join(versions) or '无'}）"
        )
    return load_dip_table(versions[version])
