"""The fund statement (基金收支) of a policy year: revenue by source and government level,
expenditure by layer and by med_type, the balance and the months of expenditure it covers.

Which fund pays what (国办发〔2021〕42号; 医保发〔2023〕24号):
- 居民医保基金 collects personal contributions (including the part the assistance funds pay on a
  person's behalf, 资助参保) and the fiscal subsidies; it pays the basic layer (hifp_pay) and
  finances 大病保险 at ``critical_illness_financing_per_capita`` per insured person.
- 大病保险 pays hifmi_pay out of that financing; 医疗救助基金 pays maf_pay (a separate fund).
- A subsidy towards a commercial supplementary insurance (彭水 三（一）3 渝快保) is an outlay of
  the fund that pays it (``commercial_supplement_fund``, 统筹衔接资金), towards a premium paid to
  the insurer: it is neither revenue nor expenditure of the 居民医保基金, and is shown apart.

Pure: frames and the policy in, a statement out. The expenditure frame may be one row per claim
or already summed (a ``claims`` column, as the batch runner keeps it per chunk).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl

from yibao.money import divide_half_up, fen_to_json, round_ratio
from yibao.policy.model import GOVERNMENT_LEVELS, Policy

LAYERS = ("hifp_pay", "hifmi_pay", "maf_pay")
SUMMED = ("medfee_sumamt", "inscp_scp_amt", *LAYERS, "fund_pay_sumamt", "psn_part_amt")
FISCAL_COLUMNS = {level: f"fiscal_{level}" for level in GOVERNMENT_LEVELS}


class FundError(ValueError):
    pass


@dataclass(frozen=True)
class InpatientAsPaid:
    """The inpatient fund expenditure as the fund pays it where the region pays by DRG/DIP
    (computed by yibao.drg.statement and passed in): points × 点值 for the grouped cases, 按项目
    (their hifp_pay) for the 未入组 / 歧义组; against the claim-level sum of hifp_pay."""

    method: str  # drg | dip
    claim_level_fen: int  # Σ hifp_pay of the inpatient (21) settlements
    by_points_fen: int  # Σ the hospitals' payments (points × 点值 − patients and other layers)
    by_project_fen: int  # Σ hifp_pay of the cases not paid by points
    point_value: Decimal  # yuan per point
    budget_fen: int  # the budget the 点值 was set on

    @property
    def as_paid_fen(self) -> int:
        return self.by_points_fen + self.by_project_fen

    @property
    def difference_fen(self) -> int:
        """As paid minus claim level (negative: the fund pays less than the claims add up to)."""
        return self.as_paid_fen - self.claim_level_fen

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "claim_level": fen_to_json(self.claim_level_fen),
            "paid_by_points": fen_to_json(self.by_points_fen),
            "paid_by_project": fen_to_json(self.by_project_fen),
            "as_paid": fen_to_json(self.as_paid_fen),
            "difference": fen_to_json(self.difference_fen),
            "point_value": float(round_ratio(self.point_value, 4)),
            "budget": fen_to_json(self.budget_fen),
        }


@dataclass(frozen=True)
class FundStatement:
    region: str
    year: int
    insured: int  # persons who contributed
    personal_paid: int  # fen: paid by the insured themselves
    assistance_subsidy: dict[str, int]  # fen by paying fund (医疗救助基金, 统筹衔接资金 …)
    fiscal_subsidy: dict[str, int]  # fen by government level
    expenditure_by_layer: dict[str, int]  # hifp_pay, hifmi_pay, maf_pay
    expenditure_by_med_type: dict[str, dict[str, int]]  # med_type → claims + SUMMED columns
    critical_illness_financing: int  # fen moved from the basic fund to 大病保险
    opening_balance: int | None = None
    # fen by paying fund, then product (统筹衔接资金 → 渝快保普惠款 …): outside the basic fund
    supplement_subsidy: dict[str, dict[str, int]] = field(default_factory=dict)
    # Where the region pays hospitals by DRG/DIP: the inpatient line as the fund pays it.
    inpatient_as_paid: InpatientAsPaid | None = None

    @property
    def revenue(self) -> int:
        """Revenue of the 居民医保基金 (fen)."""
        return (
            self.personal_paid
            + sum(self.assistance_subsidy.values())
            + sum(self.fiscal_subsidy.values())
        )

    @property
    def expenditure(self) -> int:
        """Expenditure of the 居民医保基金: the basic layer and the 大病保险 financing."""
        return self.expenditure_by_layer["hifp_pay"] + self.critical_illness_financing

    @property
    def surplus(self) -> int:
        return self.revenue - self.expenditure

    @property
    def closing_balance(self) -> int | None:
        return None if self.opening_balance is None else self.opening_balance + self.surplus

    @property
    def months_covered_tenths(self) -> int | None:
        """累计结存可支付月数 × 10 (closing balance over the monthly expenditure)."""
        closing = self.closing_balance
        if closing is None or self.expenditure <= 0:
            return None
        return divide_half_up(closing * 12 * 10, self.expenditure)

    @property
    def critical_illness_result(self) -> int:
        """大病保险: financing minus what it paid (fen)."""
        return self.critical_illness_financing - self.expenditure_by_layer["hifmi_pay"]

    def to_json(self) -> dict[str, Any]:
        months = self.months_covered_tenths
        closing = self.closing_balance
        doc = {
            "region": self.region,
            "year": self.year,
            "insured": self.insured,
            "revenue": {
                "total": fen_to_json(self.revenue),
                "personal_contributions": fen_to_json(self.personal_paid),
                "assistance_subsidies": {
                    k: fen_to_json(v) for k, v in self.assistance_subsidy.items()
                },
                "fiscal_subsidies": {k: fen_to_json(v) for k, v in self.fiscal_subsidy.items()},
            },
            "expenditure": {
                "total": fen_to_json(self.expenditure),
                "basic_fund": fen_to_json(self.expenditure_by_layer["hifp_pay"]),
                "critical_illness_financing": fen_to_json(self.critical_illness_financing),
                "by_layer": {k: fen_to_json(v) for k, v in self.expenditure_by_layer.items()},
                "by_med_type": {
                    med: {k: (v if k == "claims" else fen_to_json(v)) for k, v in row.items()}
                    for med, row in self.expenditure_by_med_type.items()
                },
            },
            "outside_fund": {
                "commercial_supplement_subsidies": {
                    fund: {product: fen_to_json(v) for product, v in by_product.items()}
                    for fund, by_product in self.supplement_subsidy.items()
                },
            },
            "surplus": fen_to_json(self.surplus),
            "critical_illness_result": fen_to_json(self.critical_illness_result),
            "opening_balance": None
            if self.opening_balance is None
            else fen_to_json(self.opening_balance),
            "closing_balance": None if closing is None else fen_to_json(closing),
            "months_covered": None if months is None else months / 10,
        }
        if self.inpatient_as_paid is not None:  # added only where given: the others unchanged
            doc["inpatient_as_paid"] = self.inpatient_as_paid.to_json()
        return doc


def _sum(frame: pl.DataFrame, column: str) -> int:
    return int(frame[column].sum()) if frame.height else 0


def fund_statement(
    settlements: pl.DataFrame,
    contributions: pl.DataFrame,
    policy: Policy,
    opening_balance: int | None = None,
    inpatient_as_paid: InpatientAsPaid | None = None,
) -> FundStatement:
    """The year's statement from settlements (per claim or summed) and contributions (one row
    per insured person: personal_paid, subsidy, subsidy_fund, fiscal_<level>; optionally
    supplement_subsidy, supplement_fund, supplement_product for 渝快保 and the like).
    ``inpatient_as_paid`` (yibao.drg.statement.inpatient_as_paid) where the region pays by DRG/DIP."""
    for name in ("med_type", *LAYERS):
        if name not in settlements.columns:
            raise FundError(f"settlements: missing column {name}")
    for name in ("personal_paid", "subsidy", "subsidy_fund", *FISCAL_COLUMNS.values()):
        if name not in contributions.columns:
            raise FundError(f"contributions: missing column {name}")
    spent = settlements
    if "claims" not in spent.columns:
        spent = spent.with_columns(pl.lit(1, pl.Int64).alias("claims"))
    present = [c for c in SUMMED if c in spent.columns]
    by_med = (
        spent.group_by("med_type")
        .agg(pl.col("claims").sum(), *[pl.col(c).sum() for c in present])
        .sort("med_type")
    )
    by_med_type = {
        str(row["med_type"]): {k: int(v) for k, v in row.items() if k != "med_type"}
        for row in by_med.iter_rows(named=True)
    }
    subsidies = (
        contributions.filter(pl.col("subsidy") > 0)
        .group_by("subsidy_fund")
        .agg(pl.col("subsidy").sum())
        .sort("subsidy_fund")
    )
    insured = contributions.height
    supplement = _supplement_outlays(contributions)
    return FundStatement(
        region=policy.meta.code,
        year=policy.meta.year,
        insured=insured,
        personal_paid=_sum(contributions, "personal_paid"),
        assistance_subsidy={str(f): int(v) for f, v in subsidies.iter_rows()},
        fiscal_subsidy={level: _sum(contributions, col) for level, col in FISCAL_COLUMNS.items()},
        expenditure_by_layer={layer: _sum(spent, layer) for layer in LAYERS},
        expenditure_by_med_type=by_med_type,
        critical_illness_financing=insured
        * policy.financing.critical_illness_financing_per_capita.value,
        opening_balance=opening_balance,
        supplement_subsidy=supplement,
        inpatient_as_paid=inpatient_as_paid,
    )


SUPPLEMENT_COLUMNS = ("supplement_subsidy", "supplement_fund", "supplement_product")


def _supplement_outlays(contributions: pl.DataFrame) -> dict[str, dict[str, int]]:
    """Commercial supplement subsidies by paying fund and product (fen); none without the
    columns. A subsidy with no paying fund is an error (every outlay has its payer)."""
    present = [c for c in SUPPLEMENT_COLUMNS if c in contributions.columns]
    if not present:
        return {}
    if len(present) != len(SUPPLEMENT_COLUMNS):
        missing = next(c for c in SUPPLEMENT_COLUMNS if c not in present)
        raise FundError(f"contributions: missing column {missing}")
    paid = contributions.filter(pl.col("supplement_subsidy") > 0)
    unpaid = paid.filter(pl.col("supplement_fund").fill_null("") == "")
    if unpaid.height:
        raise FundError("contributions: supplement_fund: a supplement subsidy without its fund")
    sums = (
        paid.group_by("supplement_fund", "supplement_product")
        .agg(pl.col("supplement_subsidy").sum())
        .sort("supplement_fund", "supplement_product")
    )
    out: dict[str, dict[str, int]] = {}
    for fund, product, amount in sums.iter_rows():
        out.setdefault(str(fund), {})[str(product)] = int(amount)
    return out
