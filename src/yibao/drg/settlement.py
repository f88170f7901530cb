"""Settlement with hospitals on points (pure): 年终清算 and 月度预结算.

点值 = (the fund's DRG/DIP budget + what patients and the other layers paid on those cases) ÷
the year's total points, so that each hospital's payment = its points × 点值 − what patients and
the other layers paid, and the payments add up to the budget. The hospitals' gross amounts are
split by largest remainder (money.allocate): exact to the fen. 结余留用 / 超支分担 bands then
move each hospital's amount towards its project-based amount (按项目付费金额)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from yibao.drg.params import Band, PaymentParams
from yibao.drg.points import POINT_UNIT
from yibao.money import allocate, apply_ratio, divide_half_up, fen_to_json, round_ratio


class SettlementError(ValueError):
    pass


@dataclass(frozen=True)
class PaidCase:
    fixmedins_code: str
    month: int  # 1..12, the settlement month
    points: int  # POINT_UNIT ths
    project_fen: int  # medfee_sumamt: what 按项目 would bill
    fund_fen: int  # hifp_pay: the basic fund's claim-level payment
    others_fen: int  # what patients and the other layers paid (medfee − hifp_pay)


@dataclass
class HospitalStatement:
    fixmedins_code: str
    cases: int = 0
    points: int = 0
    project_fen: int = 0
    fund_claims_fen: int = 0
    others_fen: int = 0
    gross_fen: int = 0  # points × 点值
    adjusted_fen: int = 0  # after the bands
    payment_fen: int = 0  # the fund pays: adjusted − others
    prepaid_fen: int = 0  # Σ 月度预结算
    monthly: dict[int, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "fixmedins_code": self.fixmedins_code,
            "cases": self.cases,
            "points": points_json(self.points),
            "payment": fen_to_json(self.payment_fen),
            "drg_amount": fen_to_json(self.adjusted_fen),
            "project_amount": fen_to_json(self.project_fen),
            "gain_loss": fen_to_json(self.adjusted_fen - self.project_fen),
            "fund_claims": fen_to_json(self.fund_claims_fen),
            "patients_and_other_layers": fen_to_json(self.others_fen),
            "monthly_prepayment": {
                f"{m:02d}": fen_to_json(v) for m, v in sorted(self.monthly.items())
            },
            "prepaid": fen_to_json(self.prepaid_fen),
            "year_end_settlement": fen_to_json(self.payment_fen - self.prepaid_fen),
        }


@dataclass(frozen=True)
class YearSettlement:
    budget_fen: int
    pool_fen: int  # budget + others: what the points share
    total_points: int
    hospitals: tuple[HospitalStatement, ...]
    bands: bool
    provisional_fen_per_point: Decimal

    @property
    def point_value(self) -> Decimal:
        """Yuan per point (exact ratio; shown with 4 decimals)."""
        return Decimal(self.pool_fen * POINT_UNIT) / Decimal(self.total_points) / 100

    def to_json(self) -> dict[str, Any]:
        return {
            "point_value": float(
                round_ratio(Fraction(self.pool_fen * POINT_UNIT, self.total_points * 100), 4)
            ),
            "total_points": points_json(self.total_points),
            "budget": fen_to_json(self.budget_fen),
            "bands_applied": self.bands,
            "provisional_point_value": float(
                round_ratio(Fraction(self.provisional_fen_per_point) / 100, 4)
            ),
            "hospitals": [h.to_json() for h in self.hospitals],
        }


def points_json(points: int) -> float:
    return float(round_ratio(Fraction(points, POINT_UNIT), 4))


def _band_amount(diff: int, project: int, bands: Sequence[Band]) -> int:
    """The part of a difference (≥ 0) that counts, band by band (shares of the project amount)."""
    counted = 0
    lower = 0
    for band in bands:
        upper = diff if band.up_to_bp is None else min(diff, apply_ratio(project, band.up_to_bp))
        if upper > lower:
            counted += apply_ratio(upper - lower, band.share_bp)
        lower = max(lower, upper)
        if lower >= diff:
            break
    return counted


def apply_bands(gross: int, project: int, params: PaymentParams) -> int:
    """结余留用: the hospital keeps a share of (gross − project); 超支分担: the fund shares a part
    of (project − gross)."""
    if gross >= project:
        return project + _band_amount(gross - project, project, params.surplus_bands)
    return gross + _band_amount(project - gross, project, params.deficit_bands)


def settle_year(
    cases: Sequence[PaidCase],
    params: PaymentParams,
    *,
    budget_fen: int | None = None,
    bands: bool = False,
    provisional_fen_per_point: Decimal | None = None,
) -> YearSettlement:
    """年终清算 (and the 月度预结算 it settles) of one region-year's pooled cases."""
    if not cases:
        raise SettlementError("cases: 没有按点数付费的入组病例")
    total_points = sum(c.points for c in cases)
    if total_points <= 0:
        raise SettlementError("total_points: 总点数为 0，点值无法确定")
    if budget_fen is None:
        if params.budget_rule != "fund_paid":
            raise SettlementError(
                f"budget_rule: {params.budget_rule!r} 不认识；请用 --budget 给出预算"
            )
        budget_fen = sum(c.fund_fen for c in cases)
    if budget_fen <= 0:
        raise SettlementError(f"budget: 预算 {fen_to_json(budget_fen)} 元不为正，点值无法确定")
    others = sum(c.others_fen for c in cases)
    pool = budget_fen + others
    by_hospital: dict[str, HospitalStatement] = {}
    month_points: dict[tuple[str, int], list[int]] = {}
    for c in cases:
        h = by_hospital.setdefault(c.fixmedins_code, HospitalStatement(c.fixmedins_code))
        h.cases += 1
        h.points += c.points
        h.project_fen += c.project_fen
        h.fund_claims_fen += c.fund_fen
        h.others_fen += c.others_fen
        acc = month_points.setdefault((c.fixmedins_code, c.month), [0, 0])
        acc[0] += c.points
        acc[1] += c.others_fen
    hospitals = sorted(by_hospital.values(), key=lambda h: h.fixmedins_code)
    shares = allocate(pool, [h.points for h in hospitals])
    if provisional_fen_per_point is None:
        provisional_fen_per_point = Decimal(pool) / Decimal(total_points) * POINT_UNIT
    # Provisional 点值 in fen per POINT_UNIT ths of a point, as an exact fraction num/den.
    num, den = provisional_fen_per_point.as_integer_ratio()
    for h, gross in zip(hospitals, shares, strict=True):
        h.gross_fen = gross
        h.adjusted_fen = apply_bands(gross, h.project_fen, params) if bands else gross
        h.payment_fen = h.adjusted_fen - h.others_fen
        for (code, month), (pts, oth) in month_points.items():
            if code != h.fixmedins_code:
                continue
            month_gross = divide_half_up(pts * num, den * POINT_UNIT)
            h.monthly[month] = apply_ratio(month_gross - oth, params.prepay_ratio_bp)
        h.prepaid_fen = sum(h.monthly.values())
    return YearSettlement(
        budget_fen=budget_fen,
        pool_fen=pool,
        total_points=total_points,
        hospitals=tuple(hospitals),
        bands=bands,
        provisional_fen_per_point=provisional_fen_per_point,
    )
