"""Monitoring rules that work on groups (pure), in the platform's audit shape (HIT_COLUMNS):

- DRG01 高套分组: a case grouped with a complication (…1 MCC / …3 CC) whose cost is below the
  average cost of its ADRG's group without one: the complication did not cost anything, the
  points did. Amount at issue: its points over the plain group's, at the year's 点值.
- DRG02 低标准入院: a 低倍率 case discharged on order (离院方式 1) after at most a couple of days:
  an admission the condition did not need. Amount at issue: the case's points at the 点值.

Thresholds in data/drg/params (monitoring: …, assumed). 分解住院 is the general rule set's
(engine/supervision)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from yibao.drg.params import MonitoringParams
from yibao.drg.points import LOW, POINT_UNIT, GroupBase
from yibao.money import apply_ratio, divide_half_up, fen_to_json


@dataclass(frozen=True)
class PricedCase:
    setl_id: str
    psn_no: str
    fixmedins_code: str
    adrg: str | None
    group: str
    kind: str  # 正常 / 高倍率 / 低倍率 / 特例单议
    points: int
    coefficient_bp: int
    cost: int
    los: int
    leaving_type: str


def scan(
    cases: Sequence[PricedCase],
    bases: dict[str, GroupBase],
    plain_group: Callable[[str], str | None],
    params: MonitoringParams,
    *,
    pool_fen: int,
    total_points: int,
) -> list[dict[str, Any]]:
    """The hits of both rules, in setl_id order."""
    hits: list[dict[str, Any]] = []

    def at_point_value(points: int) -> int:
        return divide_half_up(points * pool_fen, total_points)

    for c in cases:
        plain = plain_group(c.group) if c.adrg else None
        base = bases.get(plain) if plain else None
        if plain and base is not None and base.cases and plain != c.group:
            limit = apply_ratio(base.cost_sum, params.upcoding_cost_ratio_bp)
            if c.cost * base.cases < limit:
                plain_points = apply_ratio(base.base_points, c.coefficient_bp)
                gained = max(c.points - plain_points, 0)
                hits.append(
                    _hit(
                        "DRG01", "高套分组", c, at_point_value(gained), "高套分组",
                        f"入组 {c.group}（伴并发症或合并症），费用 {fen_to_json(c.cost)} 元低于 "
                        f"{plain} 均次费用 {fen_to_json(divide_half_up(base.cost_sum, base.cases))} 元",
                        f"{c.setl_id}; {c.group}→{plain}; 点数 {c.points / POINT_UNIT:.4f}",
                    )
                )  # fmt: skip
        if c.kind == LOW and c.los <= params.low_standard_max_los and c.leaving_type == "1":
            hits.append(
                _hit(
                    "DRG02", "低标准入院", c, at_point_value(c.points), "低标准入院",
                    f"住院 {c.los} 天，低倍率病例（{c.group}），医嘱离院",
                    f"{c.setl_id}; {c.group}; 费用 {fen_to_json(c.cost)} 元",
                )
            )  # fmt: skip
    return sorted(hits, key=lambda h: (h["setl_id"], h["rule_id"]))


def _hit(
    rule_id: str, name: str, c: PricedCase, amount: int, behaviour: str, content: str, evidence: str
) -> dict[str, Any]:
    return {
        "rule_id": rule_id,
        "rule_name": name,
        "psn_no": c.psn_no,
        "setl_id": c.setl_id,
        "fixmedins_code": c.fixmedins_code,
        "vola_cont": content,
        "vola_amt": fen_to_json(amount),
        "sev_deg": "可疑",
        "vola_evid": evidence,
        "vola_bhvr_type": behaviour,
    }
