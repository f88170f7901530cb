"""目标: every target the notices set, compared with the year's actual figures.

One row per target of a region-year's policy: the target with its source and clause, the
actual figure computed from the settled claims (or the enrollment counts, or the policy itself
for a benefit level), as an exact numerator and denominator (fen or persons) and a ratio in
basis points, and whether it is met. A target the data cannot measure says why.

How a target is judged follows its wording (the cited clause):
- "左右" (稳定在70%左右, 60%左右): met when |actual − target| ≤ ``targets.about_tolerance``
  (an assumed ±2 points, with its note in the national defaults); both ends count;
- otherwise ("达到", "以上", "不低于", "达100%"): met when actual ≥ target.
Comparisons are exact in integers (numerator × 10000 against target × denominator); the ratio
shown is rounded once, half up (``yibao.money.divide_half_up``). A clause "到2025年…" gives the
year the target is due (``due_year``); a later-due target not yet reached is 未达到 with it.

Definitions (the ``definition`` of every row says the same):
- 政策范围内住院费用基金支付比例 = Σ hifp_pay / Σ inscp_scp_amt over the inpatient claims (the
  med_types the policy's ``med_type_pool`` maps to ``inpatient``: 21): the basic fund only, as
  the calibration check (yibao.synth.check) measures it;
- 县域 二级 / 一级: the same ratio over the inpatient claims at that level (``hosp_lv`` through
  ``benefits.hosp_level_map``, or a ``level`` column); every 二级/一级 institution of the claims
  counts as 县域 (the settlements carry no institution's county);
- 门诊慢特病: the same ratio over the ``chronic_outpatient`` pool (14);
- 大病保险政策范围内支付比例 = Σ hifmi_pay / Σ over person-years of the 大病 eligible amount above
  the person's 大病 deductible (Σ critical_eligible_delta − deductible, at least 0; the
  deductible of the person's categories as the settlement applies it);
- 参保率 = insured / eligible persons of the group;
- DRG付费基金支出占比: yibao.engine.fund_risk.drg_fund_share_bp (needs a ``drg`` column);
- 普通门诊报销额度: the policy's own 普通门诊统筹 annual cap (tier 1) against the target amount.

Pure: frames and the policy in, rows out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from yibao.codes import INPATIENT_MED_TYPES
from yibao.engine.settlement_rules import category_rules
from yibao.money import BP_PER_UNIT, bp_to_percent, divide_half_up, fen_to_json, format_yuan
from yibao.policy.model import LEVELS, Param, Policy

Status = Literal["met", "not_met", "not_measurable"]
Comparison = Literal["about", "at_least"]
Unit = Literal["ratio", "fen", "count", "flag"]
STATUS_LABELS: dict[str, str] = {"met": "达到", "not_met": "未达到", "not_measurable": "无法测算"}
COMPARISON_LABELS: dict[str, str] = {"about": "左右（±容差）", "at_least": "不低于"}
REQUIRED = ("med_type", "hifp_pay", "inscp_scp_amt")

# The enrollment targets and the group each counts (targets parameter → label).
ENROLLMENT_GROUPS: dict[str, str] = {
    "enrollment_rate": "全体城乡居民",
    "low_income_enrollment_rate": "农村低收入人口和脱贫人口",
    "eight_categories_enrollment_rate": "八类人员",
}

# Targets no settlement or enrollment figure measures, and what would be needed.
UNMEASURED: dict[str, tuple[str, str]] = {
    "drg_institution_coverage": (
        "DRG付费医疗机构覆盖率",
        "需要符合条件的开展住院服务的定点医疗机构名单（结算数据不含）",
    ),
    "drg_disease_coverage": (
        "DRG付费病种覆盖率",
        "需要DRG分组病种目录与付费病种名单（结算数据不含）",
    ),
    "smart_monitoring_coverage": (
        "智能监控系统医疗机构覆盖率",
        "需要一级以上定点医疗机构名单及其接入智能监控情况（结算数据不含）",
    ),
    "e_prescription_min_institutions": (
        "接入电子处方的二级以上定点医疗机构数",
        "需要电子处方中心接入记录（结算数据不含）",
    ),
    "e_prescription_min_pharmacies": (
        "接入电子处方的定点零售药店数",
        "需要电子处方中心接入记录（结算数据不含）",
    ),
    "cross_province_settlement_counties": (
        "门诊慢特病跨省直接结算县域覆盖",
        "需要跨省直接结算定点医疗机构的县域分布（结算数据不含）",
    ),
}


class TargetsError(ValueError):
    """Bad input to the targets report; the message names the field."""


@dataclass(frozen=True)
class EnrollmentCount:
    """参保 figures of one group: persons who should be insured and persons who are."""

    eligible: int
    insured: int


@dataclass(frozen=True)
class TargetRow:
    key: str  # the policy parameter (with the level for a per-level target)
    name: str  # Chinese
    unit: Unit
    comparison: Comparison
    target: int | bool  # bp for a ratio, fen for an amount, a count or a flag
    source: str
    clause: str
    assumed: bool
    note: str
    tolerance_bp: int | None  # "左右" only
    tolerance_source: str
    due_year: int | None
    definition: str
    numerator: int | None  # fen or persons (exact)
    denominator: int | None
    numerator_unit: str  # 分 / 人
    actual_bp: int | None  # the ratio, rounded half up; for an amount: the amount in fen
    status: Status
    reason: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def target_text(self) -> str:
        if self.unit == "ratio":
            assert isinstance(self.target, int)
            text = bp_to_percent(self.target)
            if self.tolerance_bp is not None:
                return f"{text}左右（±{bp_to_percent(self.tolerance_bp)}）"
            return f"≥{text}"
        if self.unit == "fen":
            return f"≥{format_yuan(int(self.target))}元"
        if self.unit == "flag":
            return "实现"
        return f"≥{self.target}"

    def actual_text(self) -> str:
        if self.actual_bp is None:
            return "—"
        if self.unit == "fen":
            return f"{format_yuan(self.actual_bp)}元"
        return bp_to_percent(self.actual_bp)

    def to_json(self) -> dict[str, Any]:
        money = self.numerator_unit == "分"
        return {
            "key": self.key,
            "name": self.name,
            "unit": self.unit,
            "comparison": self.comparison,
            "target": self.target_text(),
            "target_value": self.target,
            "tolerance": None if self.tolerance_bp is None else bp_to_percent(self.tolerance_bp),
            "tolerance_source": self.tolerance_source or None,
            "source": self.source,
            "clause": self.clause,
            "assumed": self.assumed,
            "note": self.note or None,
            "due_year": self.due_year,
            "definition": self.definition,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "numerator_unit": self.numerator_unit or None,
            "numerator_yuan": fen_to_json(self.numerator)
            if money and self.numerator is not None
            else None,
            "denominator_yuan": fen_to_json(self.denominator)
            if money and self.denominator is not None
            else None,
            "actual": None if self.actual_bp is None else self.actual_text(),
            "actual_bp": self.actual_bp if self.unit == "ratio" else None,
            "status": self.status,
            "status_label": self.status_label,
            "reason": self.reason or None,
        }


@dataclass(frozen=True)
class TargetsReport:
    region: str
    name: str
    year: int
    claims: int
    rows: tuple[TargetRow, ...]

    def to_json(self) -> dict[str, Any]:
        counts = {s: sum(1 for r in self.rows if r.status == s) for s in STATUS_LABELS}
        return {
            "region": self.region,
            "name": self.name,
            "year": self.year,
            "claims": self.claims,
            "summary": counts,
            "targets": [r.to_json() for r in self.rows],
        }


# ---------------------------------------------------------------- judging


def comparison_of(param: Param[Any]) -> Comparison:
    """ "左右" in the cited clause: within the tolerance; anything else: at least the target."""
    return "about" if "左右" in param.clause else "at_least"


def due_year_of(param: Param[Any]) -> int | None:
    found = re.search(r"到(\d{4})年", param.clause)
    return int(found.group(1)) if found else None


def judge_ratio(numerator: int, denominator: int, target_bp: int, tolerance_bp: int | None) -> bool:
    """Exact: ``tolerance_bp`` None means at least the target, else within it either side."""
    scaled, wanted = numerator * BP_PER_UNIT, target_bp * denominator
    if tolerance_bp is None:
        return scaled >= wanted
    return abs(scaled - wanted) <= tolerance_bp * denominator


def _cite(param: Param[Any]) -> dict[str, Any]:
    return {
        "source": param.source,
        "clause": param.clause,
        "assumed": param.assumed,
        "note": param.note,
        "due_year": due_year_of(param),
    }


def _ratio_row(
    key: str,
    name: str,
    param: Param[Any],
    target_bp: int,
    tolerance: Param[int],
    definition: str,
    figures: tuple[int, int] | None,
    unit: str,
    reason: str,
) -> TargetRow:
    """A ratio target; ``figures`` None (or a zero denominator) is not measurable."""
    about = comparison_of(param) == "about"
    tol = tolerance.value if about else None
    status: Status = "not_measurable"
    actual = numerator = denominator = None
    if figures is not None:
        numerator, denominator = figures
        if denominator > 0:
            actual = divide_half_up(numerator * BP_PER_UNIT, denominator)
            met = judge_ratio(numerator, denominator, target_bp, tol)
            status, reason = ("met" if met else "not_met"), ""
        elif not reason:
            reason = "分母为0（本年无此类结算或人员）"
    return TargetRow(
        key=key,
        name=name,
        unit="ratio",
        comparison="about" if about else "at_least",
        target=target_bp,
        tolerance_bp=tol,
        tolerance_source=tolerance.cite() if about else "",
        definition=definition,
        numerator=numerator,
        denominator=denominator,
        numerator_unit=unit,
        actual_bp=actual,
        status=status,
        reason=reason,
        **_cite(param),
    )


# ---------------------------------------------------------------- figures from the settlements


def _check(settlements: pl.DataFrame) -> None:
    for col in REQUIRED:
        if col not in settlements.columns:
            raise TargetsError(f"settlements: missing column {col}")
    for col in ("hifp_pay", "inscp_scp_amt", "hifmi_pay", "critical_eligible_delta"):
        if col in settlements.columns:
            dtype = settlements.schema[col]
            if not dtype.is_integer():
                raise TargetsError(f"settlements: {col} must be integer fen, not {dtype}")
            if settlements[col].null_count():
                raise TargetsError(f"settlements: {col} has empty values")


def _pool_med_types(policy: Policy, pool: str) -> list[str]:
    return [m for m, p in policy.benefits.med_type_pool.value.items() if p == pool]


def _sums(frame: pl.DataFrame, num: str, den: str) -> tuple[int, int]:
    if frame.height == 0:
        return 0, 0
    return int(frame[num].sum()), int(frame[den].sum())


def policy_ratio(frame: pl.DataFrame, policy: Policy, pool: str) -> tuple[int, int]:
    """Σ hifp_pay and Σ inscp_scp_amt (fen) of the claims of ``pool``: the one definition of
    政策范围内基金支付比例 (numerator, denominator)."""
    part = frame.filter(pl.col("med_type").cast(pl.String).is_in(_pool_med_types(policy, pool)))
    return _sums(part, "hifp_pay", "inscp_scp_amt")


def _levels(frame: pl.DataFrame, policy: Policy) -> pl.Series | None:
    """Each claim's level (三级/二级/一级) from ``level`` or ``hosp_lv``; None if neither."""
    if "level" in frame.columns:
        levels = frame["level"].cast(pl.String)
        bad = sorted(set(levels.drop_nulls().to_list()) - set(LEVELS))
        if bad or levels.null_count():
            raise TargetsError(f"settlements: level must be one of {LEVELS}, found {bad or [None]}")
        return levels
    if "hosp_lv" not in frame.columns:
        return None
    codes = frame["hosp_lv"].cast(pl.String)
    known = policy.benefits.hosp_level_map.value
    bad = sorted({c for c in codes.to_list() if c not in known}, key=str)
    if bad:
        raise TargetsError(
            f"settlements: hosp_lv {', '.join(map(repr, bad[:5]))} not in the policy's "
            f"hosp_level_map ({policy.meta.code} {policy.meta.year})"
        )
    return codes.replace_strict(known, return_dtype=pl.String)


def _categories(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(c for c in value.split("|") if c)
    return tuple(str(c) for c in value if c)


def critical_ratio(frame: pl.DataFrame, policy: Policy) -> tuple[int, int] | str:
    """Σ hifmi_pay and Σ over person-years of max(0, 大病 eligible − deductible) (fen), or the
    reason it cannot be measured."""
    missing = [
        c
        for c in ("psn_no", "hifmi_pay", "critical_eligible_delta", "categories")
        if c not in frame.columns
    ]
    if missing:
        return f"结算数据无 {', '.join(missing)} 列（大病起付线按人员类别确定）"
    keys = ["psn_no", "year"] if "year" in frame.columns else ["psn_no"]
    per_year = frame.group_by(keys).agg(
        pl.col("critical_eligible_delta").sum().alias("eligible"),
        pl.col("hifmi_pay").sum().alias("paid"),
        pl.col("categories").first().alias("categories"),
    )
    deductibles: dict[tuple[str, ...], int] = {}
    above = paid = 0
    for eligible, person_paid, cats in per_year.select(
        "eligible", "paid", "categories"
    ).iter_rows():
        key = _categories(cats)
        if key not in deductibles:
            try:
                deductibles[key] = category_rules(policy, key).critical_deductible
            except ValueError as exc:
                raise TargetsError(f"settlements: categories {key!r}: {exc}") from exc
        above += max(0, int(eligible) - deductibles[key])
        paid += int(person_paid)
    return paid, above


# ---------------------------------------------------------------- the report


def targets_report(
    policy: Policy,
    settlements: pl.DataFrame,
    enrollment: Mapping[str, EnrollmentCount] | None = None,
) -> TargetsReport:
    """Every target of ``policy`` against the settled claims (one row per claim: med_type,
    hifp_pay, inscp_scp_amt; optionally hosp_lv or level, drg, psn_no, year, hifmi_pay,
    critical_eligible_delta, categories) and the enrollment counts by targets parameter
    (``ENROLLMENT_GROUPS``)."""
    _check(settlements)
    for group, given in (enrollment or {}).items():
        if group not in ENROLLMENT_GROUPS:
            raise TargetsError(
                f"enrollment: unknown group {group!r}; known: {', '.join(ENROLLMENT_GROUPS)}"
            )
        if given.eligible < 0 or given.insured < 0 or given.insured > given.eligible:
            raise TargetsError(
                f"enrollment: {group}: insured ({given.insured}) must be within 0..eligible "
                f"({given.eligible})"
            )
    b, tol = policy.benefits, policy.targets.about_tolerance
    frame = settlements
    rows: list[TargetRow] = []
    ratio_def = "Σ hifp_pay（基本医保统筹基金支付）/ Σ inscp_scp_amt（政策范围内费用），{}"

    # The two pool-wide ratio targets: 住院 (70%左右) and 门诊慢特病 (枣庄 65% by 2025).
    pool_targets = (
        ("inpatient_policy_ratio_target", "政策范围内住院费用基金支付比例", "inpatient", "住院结算（med_type 21）"),
        ("chronic_outpatient_ratio_target", "门诊慢特病政策范围内基金支付比例", "chronic_outpatient", "门诊慢特病结算（med_type 14）"),
    )  # fmt: skip
    for name, label, pool, claims_text in pool_targets:
        param = getattr(b, name)
        if param.value is None:
            continue
        rows.append(
            _ratio_row(
                f"benefits.{name}",
                label,
                param,
                param.value,
                tol,
                ratio_def.format(claims_text),
                policy_ratio(frame, policy, pool),
                "分",
                "",
            )
        )

    county = b.county_inpatient_ratio_target
    if county.value:
        levels = _levels(frame, policy)
        leveled = frame if levels is None else frame.with_columns(levels.alias("level"))
        for level, bp in county.value.items():
            figures = None
            if levels is not None:
                at_level = leveled.filter(pl.col("level") == level)
                figures = policy_ratio(at_level, policy, "inpatient")
            rows.append(
                _ratio_row(
                    f"benefits.county_inpatient_ratio_target.{level}",
                    f"县域住院政策范围内基金支付比例（{level}医院）",
                    county,
                    bp,
                    tol,
                    ratio_def.format(
                        f"{level}定点医疗机构住院结算（hosp_lv 按 hosp_level_map 归级；"
                        "二级、一级医疗机构均计为县域）"
                    ),
                    figures,
                    "分",
                    "" if levels is not None else "结算数据无 hosp_lv（医院等级）列",
                )
            )

    cap_target = b.outpatient_cap_target
    if cap_target.value is not None:
        cap = b.pools["outpatient_general"].annual_cap.value.get("1")
        met = cap is None or cap >= cap_target.value
        rows.append(
            TargetRow(
                key="benefits.outpatient_cap_target",
                name="普通门诊统筹年度报销额度（一档）",
                unit="fen",
                comparison="at_least",
                target=cap_target.value,
                tolerance_bp=None,
                tolerance_source="",
                definition="本年政策文件的普通门诊统筹年度最高支付限额（一档，"
                "benefits.pools.outpatient_general.annual_cap）与目标额度比较；不取自结算数据",
                numerator=cap,
                denominator=None,
                numerator_unit="分",
                actual_bp=cap,
                status="met" if met else "not_met",
                reason="" if cap is not None else "不设限额",
                **_cite(cap_target),
            )
        )

    ci = policy.critical_illness.policy_ratio_target
    if ci.value is not None:
        measured = critical_ratio(frame, policy)
        rows.append(
            _ratio_row(
                "critical_illness.policy_ratio_target",
                "大病保险政策范围内支付比例",
                ci,
                ci.value,
                tol,
                "Σ hifmi_pay（大病保险支付）/ Σ 各人年度进入大病保险的合规费用超过其大病起付线的部分"
                "（Σ critical_eligible_delta − 起付线，不低于0；特殊人群起付线按政策降低）",
                None if isinstance(measured, str) else measured,
                "分",
                measured if isinstance(measured, str) else "",
            )
        )

    for group, label in ENROLLMENT_GROUPS.items():
        param = getattr(policy.targets, group)
        if param.value is None:
            continue
        count = (enrollment or {}).get(group)
        rows.append(
            _ratio_row(
                f"targets.{group}",
                f"参保率（{label}）",
                param,
                param.value,
                tol,
                f"已参保人数 / 应参保人数（{label}）",
                None if count is None else (count.insured, count.eligible),
                "人",
                "" if count is not None else f"未提供{label}的应参保、已参保人数",
            )
        )

    drg = policy.targets.drg_fund_share
    if drg.value is not None:
        figures = None
        if "drg" in frame.columns:
            inpatient = frame.filter(
                pl.col("med_type").cast(pl.String).is_in(sorted(INPATIENT_MED_TYPES))
            )
            total = int(inpatient["hifp_pay"].sum()) if inpatient.height else 0
            by_drg = inpatient.filter(pl.col("drg"))
            # fund_risk.drg_fund_share_bp's numerator and denominator (same filter, same sums)
            figures = (int(by_drg["hifp_pay"].sum()) if by_drg.height else 0, total)
        rows.append(
            _ratio_row(
                "targets.drg_fund_share",
                "DRG付费医保基金支出占住院医保基金支出比例",
                drg,
                drg.value,
                tol,
                "Σ DRG付费住院结算 hifp_pay / Σ 住院结算 hifp_pay（med_type 21、52；"
                "yibao.engine.fund_risk.drg_fund_share_bp）",
                figures,
                "分",
                "" if figures is not None else "结算数据无 drg 列（是否按DRG付费）",
            )
        )

    for key, (name, reason) in UNMEASURED.items():
        param = getattr(policy.targets, key)
        if param.value is None:
            continue
        value = param.value
        unit: Unit = (
            "flag" if isinstance(value, bool) else ("count" if key.startswith("e_") else "ratio")
        )
        rows.append(
            TargetRow(
                key=f"targets.{key}",
                name=name,
                unit=unit,
                comparison="at_least",
                target=value,
                tolerance_bp=None,
                tolerance_source="",
                definition="—",
                numerator=None,
                denominator=None,
                numerator_unit="",
                actual_bp=None,
                status="not_measurable",
                reason=reason,
                **_cite(param),
            )
        )
    return TargetsReport(
        region=policy.meta.code,
        name=policy.meta.name,
        year=policy.meta.year,
        claims=frame.height,
        rows=tuple(rows),
    )
