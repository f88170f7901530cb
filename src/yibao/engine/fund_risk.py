"""Fund risk warnings for a region-year, on top of the fund statement: how many months of
expenditure the accumulated balance covers, a current-year deficit, and the DRG share of
inpatient fund expenditure against the notices' targets.

Thresholds are policy (``fund_risk``: balance_months_min 6, balance_months_max 15,
current_year_deficit_warning; ``targets.drg_fund_share``: 枣庄 70% （七）, 内蒙古 50% 五).
以收定支、收支平衡、略有结余 (彭水 2023 三（二）, 咸宁 2022) is why both too little and too much
balance are warned about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from yibao.codes import INPATIENT_MED_TYPES
from yibao.money import BP_PER_UNIT, bp_to_percent, divide_half_up, fen_to_json, format_yuan
from yibao.policy.model import Policy

LAYERS = ("hifp_pay", "hifmi_pay", "maf_pay")


@dataclass(frozen=True)
class RiskWarning:
    code: str
    message: str
    value: str
    threshold: str
    source: str

    def to_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "message": self.message,
            "value": self.value,
            "threshold": self.threshold,
            "source": self.source,
        }


@dataclass(frozen=True)
class FundRiskReport:
    region: str
    year: int
    revenue: int  # fen, basic fund revenue of the year
    expenditure: int  # fen, basic fund expenditure of the year
    balance: int  # fen, accumulated balance at year end
    balance_months_x100: int | None  # months of expenditure the balance covers, × 100
    drg_share_bp: int | None
    drg_target_bp: int | None
    warnings: tuple[RiskWarning, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "year": self.year,
            "revenue": fen_to_json(self.revenue),
            "expenditure": fen_to_json(self.expenditure),
            "current_surplus": fen_to_json(self.revenue - self.expenditure),
            "balance": fen_to_json(self.balance),
            "balance_months": None
            if self.balance_months_x100 is None
            else self.balance_months_x100 / 100,
            "drg_fund_share": None
            if self.drg_share_bp is None
            else bp_to_percent(self.drg_share_bp),
            "drg_fund_share_target": None
            if self.drg_target_bp is None
            else bp_to_percent(self.drg_target_bp),
            "warnings": [w.to_json() for w in self.warnings],
        }


def balance_months_x100(balance: int, expenditure: int, months: int = 12) -> int | None:
    """Months of average monthly expenditure the balance pays (× 100, half up); None when
    nothing was spent."""
    if expenditure <= 0:
        return None
    return divide_half_up(balance * months * 100, expenditure)


def drg_fund_share_bp(settlements: pl.DataFrame) -> int | None:
    """DRG-paid share of the basic fund's inpatient expenditure (hifp_pay), in basis points.
    ``settlements`` need med_type, hifp_pay and a boolean ``drg`` (paid by DRG)."""
    for col in ("med_type", "hifp_pay", "drg"):
        if col not in settlements.columns:
            raise ValueError(f"settlements: missing column {col}")
    inpatient = settlements.filter(pl.col("med_type").is_in(sorted(INPATIENT_MED_TYPES)))
    total = int(inpatient["hifp_pay"].sum() or 0)
    if total <= 0:
        return None
    drg = int(inpatient.filter(pl.col("drg"))["hifp_pay"].sum() or 0)
    return divide_half_up(drg * BP_PER_UNIT, total)


def expenditure_by(settlements: pl.DataFrame) -> pl.DataFrame:
    """Fund expenditure by med_type and layer (fen): the statement's expenditure side."""
    return (
        settlements.group_by("med_type")
        .agg(pl.len().alias("claims"), *[pl.col(c).sum() for c in (*LAYERS, "fund_pay_sumamt")])
        .sort("med_type")
    )


def assess(
    policy: Policy,
    revenue: int,
    expenditure: int,
    balance: int,
    drg_share_bp: int | None = None,
    months: int = 12,
) -> FundRiskReport:
    """The risk warnings of a region-year from its statement figures (fen)."""
    fr, target = policy.fund_risk, policy.targets.drg_fund_share
    months_x100 = balance_months_x100(balance, expenditure, months)
    warnings: list[RiskWarning] = []
    if months_x100 is not None:
        shown = f"{months_x100 / 100:.2f}个月"
        if months_x100 < fr.balance_months_min.value * 100:
            warnings.append(
                RiskWarning(
                    "balance_low",
                    "累计结余可支付月数低于下限，基金运行风险",
                    shown,
                    f"≥{fr.balance_months_min.value}个月",
                    fr.balance_months_min.cite(),
                )
            )
        if months_x100 > fr.balance_months_max.value * 100:
            warnings.append(
                RiskWarning(
                    "balance_high",
                    "累计结余可支付月数高于上限，结余过多",
                    shown,
                    f"≤{fr.balance_months_max.value}个月",
                    fr.balance_months_max.cite(),
                )
            )
    if fr.current_year_deficit_warning.value and revenue < expenditure:
        warnings.append(
            RiskWarning(
                "current_deficit",
                "当期收不抵支",
                f"{format_yuan(revenue - expenditure)}元",
                "当期收入≥当期支出",
                fr.current_year_deficit_warning.cite(),
            )
        )
    if target.value is not None and drg_share_bp is not None and drg_share_bp < target.value:
        warnings.append(
            RiskWarning(
                "drg_share_below_target",
                "DRG付费基金支出占住院基金支出比例未达目标",
                bp_to_percent(drg_share_bp),
                f"≥{bp_to_percent(target.value)}",
                target.cite(),
            )
        )
    return FundRiskReport(
        region=policy.meta.code,
        year=policy.meta.year,
        revenue=revenue,
        expenditure=expenditure,
        balance=balance,
        balance_months_x100=months_x100,
        drg_share_bp=drg_share_bp,
        drg_target_bp=target.value,
        warnings=tuple(warnings),
    )
