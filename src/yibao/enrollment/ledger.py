"""应保尽保 ledger: who on the low-income roster is not insured in the year, and the
enrollment rate (参保率) by township and category against the policy's targets.

A roster person counts as insured when any enrollment of theirs (resident 390 or employee 310,
in any region: 异地参保 and 职工医保 both satisfy 应保尽保) overlaps the year. Rates are
insured / roster; a rate meets its target when insured × 10000 >= target_bp × roster (exact,
no rounding). A person listed under two categories counts once in each category's row and
once in the township and overall rows.

Targets (policy.targets): eight_categories_enrollment_rate for the eight groups (彭水 100%),
else low_income_enrollment_rate for low-income and monitored people (99%), else
enrollment_rate (彭水 95%).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from yibao.categories import EIGHT_CATEGORIES, all_categories
from yibao.enrollment.records import in_year
from yibao.idcard import mask
from yibao.money import BP_PER_UNIT, bp_to_percent, divide_half_up
from yibao.policy.model import Param, Policy

LOW_INCOME_GROUPS = ("低收入人口", "监测对象", "脱贫人口")


@dataclass(frozen=True)
class Target:
    bp: int | None
    param: str  # which targets parameter
    source: str
    clause: str
    assumed: bool


def _target(name: str, param: Param[Any]) -> Target:
    return Target(param.value, name, param.source, param.clause, param.assumed)


def target_for(policy: Policy, category: str | None) -> Target:
    """The enrollment-rate target for a category (None: the whole roster)."""
    t = policy.targets
    eight = _target("eight_categories_enrollment_rate", t.eight_categories_enrollment_rate)
    low = _target("low_income_enrollment_rate", t.low_income_enrollment_rate)
    general = _target("enrollment_rate", t.enrollment_rate)
    if category is not None:
        cat = all_categories()[category]
        in_eight = category in EIGHT_CATEGORIES or any(c in EIGHT_CATEGORIES for c in cat.includes)
        if in_eight and eight.bp is not None:
            return eight
        if cat.group in LOW_INCOME_GROUPS and low.bp is not None:
            return low
        return general
    return low if low.bp is not None else general


@dataclass(frozen=True)
class Ledger:
    region: str
    year: int
    uninsured: pl.DataFrame  # township, category, certno, psn_name
    rates: pl.DataFrame  # township, category ("" = all), roster, insured, uninsured, ...
    targets: dict[str, Target]

    def to_json(self, unmask: bool = False) -> dict[str, Any]:
        people = self.uninsured.to_dicts()
        if not unmask:
            for p in people:
                p["certno"] = mask(p["certno"])
        return {
            "region": self.region,
            "year": self.year,
            "uninsured_count": len(people),
            "uninsured": people,
            "rates": [
                {**r, "rate": _percent(r["rate_bp"]), "target": _percent(r["target_bp"])}
                for r in self.rates.to_dicts()
            ],
            "targets": {
                k: {
                    "value": _percent(v.bp),
                    "param": v.param,
                    "source": v.source,
                    "clause": v.clause,
                    "assumed": v.assumed,
                }
                for k, v in self.targets.items()
            },
        }


def _percent(bp: int | None) -> str | None:
    return None if bp is None else bp_to_percent(bp)


def build_ledger(roster: pl.DataFrame, enrollments: pl.DataFrame, policy: Policy) -> Ledger:
    """The ledger for ``policy``'s region and year from a validated roster and enrollments."""
    year = policy.meta.year
    insured_ids = in_year(enrollments, year).select("certno").unique()
    marked = roster.join(
        insured_ids.with_columns(pl.lit(True).alias("insured")), on="certno", how="left"
    ).with_columns(pl.col("insured").fill_null(False))
    uninsured = (
        marked.filter(~pl.col("insured"))
        .select("township", "category", "certno", "psn_name")
        .unique(maintain_order=True)
        .sort("township", "category", "certno")
    )

    def summarise(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
        persons = frame.unique(subset=[*keys, "certno"])
        if keys:
            grouped = persons.group_by(keys)
        else:
            grouped = persons.with_columns(pl.lit(0).alias("_all")).group_by("_all")
        out = grouped.agg(
            pl.len().cast(pl.Int64).alias("roster"),
            pl.col("insured").sum().cast(pl.Int64).alias("insured"),
        )
        for key in ("township", "category"):
            if key not in keys:
                out = out.with_columns(pl.lit("").alias(key))
        return out.select("township", "category", "roster", "insured")

    rates = pl.concat(
        [
            summarise(marked, ["township", "category"]),
            summarise(marked, ["township"]),
            summarise(marked, ["category"]),
            summarise(marked, []),
        ]
    ).sort("township", "category")
    targets: dict[str, Target] = {"全部": target_for(policy, None)}
    for category in sorted(set(roster["category"].to_list())):
        targets[category] = target_for(policy, category)
    rows = []
    for r in rates.to_dicts():
        target = targets[r["category"] or "全部"]
        rate_bp = divide_half_up(r["insured"] * BP_PER_UNIT, r["roster"]) if r["roster"] else 0
        meets = None if target.bp is None else r["insured"] * BP_PER_UNIT >= target.bp * r["roster"]
        rows.append(
            {
                **r,
                "uninsured": r["roster"] - r["insured"],
                "rate_bp": rate_bp,
                "target_bp": target.bp,
                "meets_target": meets,
            }
        )
    schema = {
        "township": pl.Utf8,
        "category": pl.Utf8,
        "roster": pl.Int64,
        "insured": pl.Int64,
        "uninsured": pl.Int64,
        "rate_bp": pl.Int64,
        "target_bp": pl.Int64,
        "meets_target": pl.Boolean,
    }
    return Ledger(
        region=policy.meta.code,
        year=year,
        uninsured=uninsured,
        rates=pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema),
        targets=targets,
    )
