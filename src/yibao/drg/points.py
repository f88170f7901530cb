"""Points (DRG 点数) and scores (DIP 分值) per case, in exact integer arithmetic.

Points are integers in POINT_UNIT ths of a point (万分之一点). The group's 基准点数 is its average
cost over all its cases against the average over all grouped cases, times the scale (DRG 100,
DIP 1000): bp_g = (sum_g / n_g) / (sum / n) × scale, rounded once half up (yibao.money).
A case's points follow its kind: 正常, 高倍率 (费用超高), 低倍率 (费用过低), 特例单议."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from yibao.drg.params import PaymentParams
from yibao.money import BP_PER_UNIT, apply_ratio, divide_half_up

POINT_UNIT = 10_000
NORMAL, HIGH, LOW, SPECIAL = "正常", "高倍率", "低倍率", "特例单议"


@dataclass(frozen=True)
class GroupBase:
    group: str
    cases: int
    cost_sum: int  # fen
    base_points: int  # POINT_UNIT ths


@dataclass(frozen=True)
class CasePoints:
    kind: str
    points: int  # POINT_UNIT ths


def base_points(groups: Sequence[str], costs: Sequence[int], scale: int) -> dict[str, GroupBase]:
    """基准点数 of each group from the cases' costs (fen)."""
    if len(groups) != len(costs):
        raise ValueError("groups and costs differ in length")
    n_all = len(costs)
    sum_all = sum(costs)
    if n_all == 0 or sum_all <= 0:
        raise ValueError("total_cost: 没有费用为正的入组病例，基准点数无法计算")
    sums: dict[str, int] = {}
    counts: dict[str, int] = {}
    for g, c in zip(groups, costs, strict=True):
        sums[g] = sums.get(g, 0) + c
        counts[g] = counts.get(g, 0) + 1
    return {
        g: GroupBase(
            g,
            counts[g],
            sums[g],
            divide_half_up(sums[g] * n_all * scale * POINT_UNIT, counts[g] * sum_all),
        )
        for g in sums
    }


def case_points(
    base: GroupBase,
    cost: int,
    los: int,
    coefficient_bp: int,
    params: PaymentParams,
    *,
    all_cases: int,
    all_cost: int,
) -> CasePoints:
    """One case's points under its group's base, its hospital's coefficient and the region's
    high/low thresholds."""
    bp = base.base_points
    if los >= params.special_los_days:
        # 特例单议: the cost against the average over all cases, as points (no coefficient).
        return CasePoints(
            SPECIAL, divide_half_up(cost * all_cases * params.point_scale * POINT_UNIT, all_cost)
        )
    normal = apply_ratio(bp, coefficient_bp)
    n_g, sum_g = base.cases, base.cost_sum
    scaled = cost * n_g * BP_PER_UNIT  # cost / average, in bp, times sum_g
    if sum_g <= 0:
        return CasePoints(NORMAL, normal)
    high_bp = params.high_ratio_for(bp, POINT_UNIT)
    if scaled > high_bp * sum_g:
        if params.high_formula == "dip":
            # [(费用÷次均费用 − 2) + 1] × 分值 × 机构系数 (the "−2 +1" is the 2× threshold).
            excess = cost * n_g * BP_PER_UNIT - (high_bp - BP_PER_UNIT) * sum_g
            return CasePoints(
                HIGH, apply_ratio(divide_half_up(bp * excess, sum_g * BP_PER_UNIT), coefficient_bp)
            )
        extra = divide_half_up(bp * (scaled - high_bp * sum_g), sum_g * BP_PER_UNIT)
        return CasePoints(HIGH, normal + extra)
    if scaled < params.low_ratio_bp * sum_g:
        by_cost = divide_half_up(bp * cost * n_g, sum_g)
        if params.high_formula == "dip":
            return CasePoints(LOW, apply_ratio(by_cost, coefficient_bp))
        return CasePoints(LOW, min(by_cost, normal))
    return CasePoints(NORMAL, normal)
