"""重复收费: for the same person and day, an item billed more times than its daily limit, or a
package item billed together with a sub-item it already contains (monitoring-rules.md)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from yibao.engine.supervision.catalogue import ItemCatalogue
from yibao.engine.supervision.hit import RuleMeta, empty_hits, finish
from yibao.engine.supervision.inputs import require


@dataclass(frozen=True)
class DuplicateChargeParams:
    use_daily_limits: bool
    use_included_items: bool


def _lines(claims: pl.DataFrame, details: pl.DataFrame) -> pl.DataFrame:
    require(claims, ("setl_id", "psn_no"), "claims")
    require(
        details, ("setl_id", "line_no", "item_code", "date", "qty", "price", "amount"), "details"
    )
    return details.join(claims.select("setl_id", "psn_no"), on="setl_id", how="inner")


def over_daily_limit(lines: pl.DataFrame, catalogue: ItemCatalogue) -> pl.DataFrame:
    limits = catalogue.frame().select("item_code", "daily_limit").drop_nulls()
    per_day = (
        lines.join(limits, on="item_code", how="inner")
        .group_by("psn_no", "date", "item_code", "daily_limit")
        .agg(
            pl.col("qty").sum().alias("qty"),
            pl.col("price").max().alias("price"),
            pl.col("setl_id").max().alias("setl_id"),
            pl.format("{}#{}", "setl_id", "line_no").sort().str.join(",").alias("lines"),
        )
        .filter(pl.col("qty") > pl.col("daily_limit"))
    )
    # Units are whole for limited items (services, beds); the excess units are at issue.
    excess = (pl.col("qty") - pl.col("daily_limit")).ceil().cast(pl.Int64)
    return per_day.select(
        "psn_no",
        "setl_id",
        pl.format(
            "{} 项目{}当日计费{}次，超过每日限{}次", "date", "item_code", "qty", "daily_limit"
        ).alias("vola_cont"),
        (excess * pl.col("price")).alias("vola_amt"),
        pl.format("明细={}", "lines").alias("vola_evid"),
    )


def included_sub_items(lines: pl.DataFrame, catalogue: ItemCatalogue) -> pl.DataFrame:
    inclusions = catalogue.inclusions()
    if inclusions.is_empty():
        return (
            lines.select("psn_no", "setl_id")
            .clear()
            .with_columns(
                pl.lit("").alias("vola_cont"),
                pl.lit(0).alias("vola_amt"),
                pl.lit("").alias("vola_evid"),
            )
        )
    packages = lines.join(inclusions, on="item_code", how="inner").select(
        "psn_no",
        "date",
        "sub_code",
        pl.col("item_code").alias("package_code"),
        pl.format("{}#{}", "setl_id", "line_no").alias("package_line"),
    )
    subs = lines.rename({"item_code": "sub_code"})
    return (
        subs.join(packages, on=["psn_no", "date", "sub_code"], how="inner")
        .unique(["setl_id", "line_no"], keep="first", maintain_order=True)
        .select(
            "psn_no",
            "setl_id",
            pl.format(
                "{} 已收{}（含{}）又单独收取{}", "date", "package_code", "sub_code", "sub_code"
            ).alias("vola_cont"),
            pl.col("amount").alias("vola_amt"),
            pl.format("套餐={}; 子项={}#{}", "package_line", "setl_id", "line_no").alias(
                "vola_evid"
            ),
        )
    )


def duplicate_charge(
    claims: pl.DataFrame,
    details: pl.DataFrame,
    catalogue: ItemCatalogue,
    params: DuplicateChargeParams,
    meta: RuleMeta,
) -> pl.DataFrame:
    lines = _lines(claims, details)
    parts = []
    if params.use_daily_limits:
        parts.append(over_daily_limit(lines, catalogue))
    if params.use_included_items:
        parts.append(included_sub_items(lines, catalogue))
    if not parts:
        return empty_hits()
    return finish(pl.concat([p.cast({"vola_amt": pl.Int64}) for p in parts]), meta)
