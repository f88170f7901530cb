"""CHS-DRG grouping, pure: MDC by the 主诊断 (or, for MDCA, the 主要手术), ADRG by the 主诊断
and 主要手术/操作, then the final DRG by MCC/CC after the 排除表 (CHS-DRG 分组方案: 先期分组 →
MDC → ADRG → 细分组). The order of MDCs, ADRGs and DRGs is the table's; the trace says at each
step which list matched."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yibao.drg.case import Case, CaseError
from yibao.drg.tables import AdrgRule, DrgTable, MdcRule

GROUPED = "入组"
AMBIGUOUS = "歧义组"
UNGROUPED = "未入组"


_QY_MARK = AdrgRule("", "", "marker", "", frozenset(), None, None, (), {}, {}, False, "")


@dataclass(frozen=True)
class GroupResult:
    case_id: str
    status: str
    mdc: str | None
    adrg: str | None
    drg: str | None
    name: str
    reason: str
    trace: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "status": self.status,
            "mdc": self.mdc,
            "adrg": self.adrg,
            "drg": self.drg,
            "name": self.name,
            "reason": self.reason,
            "trace": list(self.trace),
        }


def check_codes(case: Case, table: DrgTable) -> None:
    """Every code must be in the version's diagnosis / procedure table."""
    who = f"病例 {case.case_id}: " if case.case_id else ""
    subset = "（本版本随附的是子集，完整官方表可用 --table 加载）" if table.subset else ""
    for i, code in enumerate(case.diagnoses):
        if code not in table.diagnoses:
            raise CaseError(
                f"{who}diagnoses[{i}]: 诊断编码 {code} 不在 {table.version} 的诊断表中{subset}"
            )
    for i, code in enumerate(case.procedures):
        if code not in table.procedures:
            raise CaseError(
                f"{who}procedures[{i}]: 手术操作编码 {code} 不在 {table.version} 的手术操作表中{subset}"
            )


def _enters_mdc(rule: MdcRule, case: Case, table: DrgTable, trace: list[str]) -> bool:
    main = case.diagnoses[0]
    if "or:main" in rule.tokens and not (
        case.procedures and case.procedures[0] in table.or_procedures
    ):
        return False
    if "dx:main" in rule.tokens and main not in rule.diagnoses:
        return False
    hits = [d for d in case.diagnoses if d in rule.diagnoses] if "dx:any" in rule.tokens else []
    if "dx:any" in rule.tokens and not hits:
        return False
    if "age=0" in rule.tokens and case.age != 0:
        return False
    if "sex=1" in rule.tokens and case.gend != "1":
        return False
    if "sex=2" in rule.tokens and case.gend != "2":
        return False
    if "trauma_sites>=2" in rule.tokens:
        sites = {rule.sites[d] for d in case.diagnoses if d in rule.sites}
        if len(sites) < 2:
            trace.append(f"{rule.mdc}: 创伤部位 {len(sites)} 个，多发伤需 2 个以上部位")
            return False
    why = {
        "or:main": "主要手术在手术室手术表内",
        "dx:main": f"主诊断 {main} 在 {rule.mdc} 主诊表内",
    }
    reasons = [why[t] for t in ("or:main", "dx:main") if t in rule.tokens]
    if hits:
        reasons.append(f"诊断 {hits[0]} 在 {rule.mdc} 主诊表内")
    if "age=0" in rule.tokens:
        reasons.append("年龄 0 岁")
    if "sex=1" in rule.tokens or "sex=2" in rule.tokens:
        reasons.append("性别相符")
    if "trauma_sites>=2" in rule.tokens:
        reasons.append("两个以上创伤部位")
    trace.append(f"{rule.mdc}: " + "，".join(reasons))
    return True


def _enters_adrg(rule: AdrgRule, case: Case, table: DrgTable) -> str | None:
    """Why the case enters the ADRG, or None."""
    main = case.diagnoses[0]
    procs = case.procedures
    t = rule.tokens
    lists = rule.lists
    why: list[str] = []
    if "always" in t:
        why.append("无条件")
    if "dx:main" in t:
        if main not in lists.get("dx", ()):
            return None
        why.append(f"主诊断 {main} 在 {rule.adrg} 诊断表内")
    if "dx:any" in t:
        hits = [d for d in case.diagnoses if d in lists.get("dx", ())]
        if not hits:
            return None
        why.append(f"诊断 {hits[0]} 在 {rule.adrg} 诊断表内")
    if "pr:main" in t:
        if not procs or procs[0] not in lists.get("pr", ()):
            return None
        why.append(f"主要手术/操作 {procs[0]} 在 {rule.adrg} 手术表内")
    if "pr:any" in t:
        hits = [p for p in procs if p in lists.get("pr", ())]
        if not hits:
            return None
        why.append(f"手术 {hits[0]} 在 {rule.adrg} 手术表一内")
    if "pr1:any" in t:
        hits = [p for p in procs if p in lists.get("pr1", ())]
        if not hits:
            return None
        why.append(f"手术 {hits[0]} 在 {rule.adrg} 手术表二内")
    if "or:main" in t:
        if not procs or procs[0] not in table.or_procedures:
            return None
        why.append(f"主要手术 {procs[0]} 为手术室手术")
    if "or:none" in t:
        if any(p in table.or_procedures for p in procs):
            return None
        why.append("无手术室手术")
    if "age_days<=28" in t:
        if case.age_days is None or case.age_days > 28:
            return None
        why.append(f"出生 {case.age_days} 天（≤28 天）")
    if rule.weight_min is not None or rule.weight_max is not None:
        w = case.weight
        if not w or (rule.weight_min is not None and w < rule.weight_min):
            return None
        if rule.weight_max is not None and w >= rule.weight_max:
            return None
        why.append(f"出生体重 {w} 克")
    if rule.combo:
        labels = {rule.labels[p] for p in procs if p in rule.labels}
        if not any(alt <= labels for alt in rule.combo):
            return None
        why.append(f"手术组合 {'+'.join(sorted(labels))} 符合")
    return "，".join(why)


def complication(case: Case, table: DrgTable, level: str) -> tuple[str, str] | None:
    """The first secondary diagnosis that is an MCC (or CC) not excluded by the 主诊断's 排除表:
    (code, its table's remark) or None."""
    main = case.diagnoses[0]
    own = table.exclusions.get(main)
    listing = table.mcc if level == "MCC" else table.cc
    for code in case.diagnoses[1:]:
        excl = listing.get(code)
        if excl is None:
            continue
        if own is not None and excl == own:
            continue
        return code, f"{code} 属于 {level}（排除表 {excl}），主诊断排除表 {own or '无'}，不排除"
    return None


def _final_drg(adrg: AdrgRule, case: Case, table: DrgTable, trace: list[str]) -> str | None:
    mcc = complication(case, table, "MCC")
    cc = complication(case, table, "CC")
    for rule in table.drgs.get(adrg.adrg, ()):
        if rule.severity == "mcc" and mcc:
            trace.append(f"{rule.drg}: 伴严重并发症或合并症（{mcc[1]}）")
            return rule.drg
        if rule.severity == "mcc_cc" and (mcc or cc):
            hit = mcc or cc
            assert hit is not None
            trace.append(f"{rule.drg}: 伴并发症或合并症（{hit[1]}）")
            return rule.drg
        if rule.severity == "any":
            trace.append(f"{rule.drg}: 不伴（或未另列）并发症或合并症")
            return rule.drg
    return None


def candidates(table: DrgTable, main: str) -> tuple[tuple[MdcRule, tuple[AdrgRule, ...]], ...]:
    """The MDCs a 主诊断 can enter and, in each, the ADRGs it can reach (those that require the
    主诊断 in their list and do not list it are left out): the same result as trying every MDC
    and ADRG in order, without the tries that cannot succeed. Where the MDC has medical ADRGs
    but none is left, a marker keeps the place of the 歧义组 check. Memoised per table."""
    plan = table.plans.get(main)
    if plan is None:
        steps = []
        for mdc in table.mdcs:
            if "dx:main" in mdc.tokens and main not in mdc.diagnoses:
                continue
            every = table.adrgs.get(mdc.mdc, ())
            kept = tuple(
                a for a in every if "dx:main" not in a.tokens or main in a.lists.get("dx", ())
            )
            has_medical = any(a.kind == "medical" for a in every)
            if has_medical and all(a.kind == "surgical" for a in kept):
                kept = (*kept, _QY_MARK)
            steps.append((mdc, kept))
        plan = tuple(steps)
        table.plans[main] = plan
    return plan


def group_case(case: Case, table: DrgTable) -> GroupResult:
    """The case's MDC, ADRG and DRG under the table's version, with the trace of why."""
    check_codes(case, table)
    trace: list[str] = [
        f"{table.version}: 主诊断 {case.diagnoses[0]} {table.diagnoses[case.diagnoses[0]]}"
    ]
    if case.procedures:
        trace.append(f"主要手术/操作 {case.procedures[0]} {table.procedures[case.procedures[0]]}")
    has_or = any(p in table.or_procedures for p in case.procedures)
    for mdc, adrgs in candidates(table, case.diagnoses[0]):
        if not _enters_mdc(mdc, case, table, trace):
            continue
        surgical_done = False
        for adrg in adrgs:
            if adrg.kind != "surgical" and not surgical_done:
                surgical_done = True
                if table.ambiguous_group and has_or:
                    code = f"{mdc.mdc[-1]}QY"
                    reason = "有手术室手术，但不符合本 MDC 任一手术 ADRG"
                    trace.append(f"{code}: {reason}")
                    return GroupResult(
                        case.case_id, AMBIGUOUS, mdc.mdc, None, code, "歧义组", reason, tuple(trace)
                    )
            if adrg is _QY_MARK:
                break
            why = _enters_adrg(adrg, case, table)
            if why is None:
                continue
            trace.append(f"{adrg.adrg}: {why}")
            drg = _final_drg(adrg, case, table, trace)
            if drg is None and adrg.fallback:
                drg = adrg.adrg
            if drg is not None:
                return GroupResult(
                    case.case_id,
                    GROUPED,
                    mdc.mdc,
                    adrg.adrg,
                    drg,
                    table.drg_names.get(drg, ""),
                    "",
                    tuple(trace),
                )
            trace.append(f"{adrg.adrg}: 无符合条件的细分组")
        trace.append(f"{mdc.mdc}: 不符合本 MDC 任一 ADRG 的入组条件")
    reason = "不符合所有 MDC 的入组条件"
    trace.append(reason)
    return GroupResult(case.case_id, UNGROUPED, None, None, None, "", reason, tuple(trace))
