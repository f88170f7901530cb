"""Run one population under a base policy and a reform, and report the differences: fund
expenditure by layer, revenue and the year's balance, persons flagged by early warning, and
average out-of-pocket by category. Money in fen inside, yuan in ``to_json``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from yibao.engine.settlement import settle_year
from yibao.engine.warning import early_warnings
from yibao.money import divide_half_up, fen_to_json
from yibao.policy.model import Policy
from yibao.simulation.overlay import OverlayLibrary
from yibao.synth.enrollment import contributions

LAYERS = ("hifp_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt")
NO_CATEGORY = "一般居民"


@dataclass(frozen=True)
class ScenarioResult:
    label: str
    persons: int
    claims: int
    revenue: int  # contributions + assistance subsidies + fiscal subsidies (fen)
    layers: dict[str, int]
    flagged: int
    out_of_pocket_by_category: dict[str, int]  # average per person with claims (fen)

    @property
    def balance(self) -> int:
        """The year's balance of the basic fund (大病 is financed from it): revenue − (basic +
        大病) expenditure. Medical assistance is a separate fund."""
        return self.revenue - self.layers["hifp_pay"] - self.layers["hifmi_pay"]

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "persons": self.persons,
            "claims": self.claims,
            "revenue": fen_to_json(self.revenue),
            "expenditure": {k: fen_to_json(v) for k, v in self.layers.items()},
            "balance": fen_to_json(self.balance),
            "flagged": self.flagged,
            "average_out_of_pocket_by_category": {
                k: fen_to_json(v) for k, v in self.out_of_pocket_by_category.items()
            },
        }


def _people_from_claims(claims: pl.DataFrame) -> pl.DataFrame:
    return (
        claims.sort("setl_time")
        .group_by("psn_no", maintain_order=True)
        .agg(pl.col("tier").last(), pl.col("categories").last())
        .with_columns(pl.lit("").alias("township"))
    )


def _by_category(settled: pl.DataFrame, people: pl.DataFrame) -> dict[str, int]:
    per_person = settled.group_by("psn_no").agg(pl.col("psn_part_amt").sum())
    rows = (
        per_person.join(people.select("psn_no", "categories"), on="psn_no", how="left")
        .with_columns(pl.col("categories").fill_null("").str.split("|"))
        .explode("categories")
        .with_columns(
            pl.when(pl.col("categories") == "")
            .then(pl.lit(NO_CATEGORY))
            .otherwise(pl.col("categories"))
            .alias("category")
        )
        .group_by("category")
        .agg(pl.col("psn_part_amt").sum().alias("total"), pl.len().alias("n"))
        .sort("category")
    )
    return {r["category"]: divide_half_up(int(r["total"]), int(r["n"])) for r in rows.to_dicts()}


def run_scenario(
    label: str,
    claims: pl.DataFrame,
    people: pl.DataFrame,
    policy: Policy,
    base_library: Any,
) -> ScenarioResult:
    """Settle the year under ``policy`` (for its region and year) and measure it.
    ``people``: psn_no, tier, categories, township — the enrolled population."""
    library = OverlayLibrary(base_library, policy.meta.code, policy.meta.year, policy)
    settled, _ = settle_year(claims, library)  # type: ignore[arg-type]
    paid = contributions(people.select("psn_no", "tier", "categories"), policy)
    revenue = int(
        paid.select(
            (pl.col("personal_paid") + pl.col("subsidy") + pl.col("fiscal_subsidy")).sum()
        ).item()
        or 0
    )
    flagged = early_warnings(settled, people, policy, as_of=policy.meta.coverage_to)
    return ScenarioResult(
        label=label,
        persons=people.height,
        claims=settled.height,
        revenue=revenue,
        layers={k: int(settled[k].sum() or 0) for k in LAYERS},
        flagged=flagged.height,
        out_of_pocket_by_category=_by_category(settled, people),
    )


@dataclass(frozen=True)
class Comparison:
    base: ScenarioResult
    reform: ScenarioResult
    reform_name: str
    changed: tuple[str, ...]  # parameter paths the reform sets

    def to_json(self) -> dict[str, Any]:
        b, r = self.base, self.reform
        cats = sorted(set(b.out_of_pocket_by_category) | set(r.out_of_pocket_by_category))
        return {
            "reform": self.reform_name,
            "changed_parameters": list(self.changed),
            "base": b.to_json(),
            "reformed": r.to_json(),
            "difference": {
                "revenue": fen_to_json(r.revenue - b.revenue),
                "expenditure": {k: fen_to_json(r.layers[k] - b.layers[k]) for k in LAYERS},
                "balance": fen_to_json(r.balance - b.balance),
                "flagged": r.flagged - b.flagged,
                "average_out_of_pocket_by_category": {
                    c: fen_to_json(
                        r.out_of_pocket_by_category.get(c, 0)
                        - b.out_of_pocket_by_category.get(c, 0)
                    )
                    for c in cats
                },
            },
        }


def compare(
    claims: pl.DataFrame,
    people: pl.DataFrame | None,
    base: Policy,
    reformed: Policy,
    base_library: Any,
    reform_name: str,
    changed: tuple[str, ...],
) -> Comparison:
    """The same claims and people under both policies. Without ``people`` the population is
    the persons who have claims (revenue then counts only them)."""
    people = people if people is not None else _people_from_claims(claims)
    return Comparison(
        base=run_scenario("base", claims, people, base, base_library),
        reform=run_scenario("reform", claims, people, reformed, base_library),
        reform_name=reform_name,
        changed=changed,
    )
