"""How close a settled synthetic year comes to the published national figures and to the
notices' targets (政策范围内住院费用基金支付比例 70% 左右 …).

Inputs are the batch runner's sums (per region, year, med_type, hosp_lv) and the number of
insured, so the check costs nothing on a year of any size. Figures the generator is calibrated
to (rates, costs) should be met within tolerance; ratios are outcomes of the local policy and are
reported against both the national bulletin and the local target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from yibao.policy.model import Policy
from yibao.synth.calibration import Calibration

OUTPATIENT = ("11", "12", "13")
CHRONIC = ("14",)


@dataclass(frozen=True)
class CheckRow:
    metric: str
    simulated: float
    target: float
    source: str
    tolerance: float  # relative; 0 for report-only rows
    calibrated: bool  # True: an input of the generator, must be met; False: a policy outcome

    @property
    def within(self) -> bool:
        if self.target == 0:
            return self.simulated == 0
        return abs(self.simulated - self.target) / abs(self.target) <= self.tolerance

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "simulated": round(self.simulated, 4),
            "target": self.target,
            "source": self.source,
            "tolerance": self.tolerance,
            "calibrated": self.calibrated,
            "within": self.within,
        }


def _with_level(sums: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    levels = policy.benefits.hosp_level_map.value
    return sums.with_columns(
        pl.col("hosp_lv").replace_strict(levels, default="一级").alias("level")
    )


def _ratio(frame: pl.DataFrame, num: str, den: str) -> float:
    d = int(frame[den].sum()) if frame.height else 0
    return int(frame[num].sum()) / d if d else 0.0


def calibration_check(
    sums: pl.DataFrame, insured: int, policy: Policy, calib: Calibration, tolerance: float = 0.1
) -> list[CheckRow]:
    """Rows comparing the simulated year with the bulletin and the notice's targets."""
    year = policy.meta.year
    frame = _with_level(sums, policy)
    inpatient = frame.filter(pl.col("med_type") == "21")
    admissions = int(inpatient["claims"].sum()) if inpatient.height else 0
    rows: list[CheckRow] = []

    def figure(name: str) -> tuple[Any, str]:
        f = calib.figure(year, name)
        return f.value, f"{f.source} {f.clause}（{f.year}）"

    value, source = figure("inpatient_rate")
    rows.append(CheckRow("住院率", admissions / max(insured, 1), value, source, tolerance, True))
    value, source = figure("inpatient_cost_per_admission")
    cost = int(inpatient["medfee_sumamt"].sum()) / 100 / max(admissions, 1) if admissions else 0.0
    rows.append(CheckRow("次均住院费用（元）", cost, value, source, tolerance, True))
    uses, source = figure("benefit_uses")
    insured_national, _ = figure("insured_residents")
    per_person = int(frame["claims"].sum()) / max(insured, 1)
    rows.append(
        CheckRow("人均享受待遇人次", per_person, uses * 1e8 / insured_national, source, 0.25, True)
    )
    value, source = figure("inpatient_policy_ratio")
    rows.append(
        CheckRow("政策范围内住院基金支付比例", _ratio(inpatient, "hifp_pay", "inscp_scp_amt"), value, source, tolerance, False)
    )  # fmt: skip
    target = policy.benefits.inpatient_policy_ratio_target
    rows.append(
        CheckRow(
            "政策范围内住院基金支付比例（通知目标）",
            _ratio(inpatient, "hifp_pay", "inscp_scp_amt"),
            target.value / 10_000,
            target.cite(),
            0.05,
            False,
        )
    )
    by_level, source = figure("inpatient_policy_ratio_by_level")
    for level, value in by_level.items():
        part = inpatient.filter(pl.col("level") == level)
        rows.append(
            CheckRow(f"政策范围内住院基金支付比例·{level}", _ratio(part, "hifp_pay", "inscp_scp_amt"), value, source, tolerance, False)
        )  # fmt: skip
    county = policy.benefits.county_inpatient_ratio_target
    for level, bp in county.value.items():
        part = inpatient.filter(pl.col("level") == level)
        rows.append(
            CheckRow(
                f"县域住院政策范围内支付比例·{level}（通知目标）",
                _ratio(part, "hifp_pay", "inscp_scp_amt"),
                bp / 10_000,
                county.cite(),
                0.05,
                False,
            )
        )
    expenditure, source = figure("fund_expenditure")
    per_capita = (int(frame["hifp_pay"].sum()) / 100) / max(insured, 1)
    rows.append(
        CheckRow(
            "人均基本医保基金支出（元）",
            per_capita,
            expenditure * 1e8 / insured_national,
            source,
            0.25,
            False,
        )
    )
    return rows
