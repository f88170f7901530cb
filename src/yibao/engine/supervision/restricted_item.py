"""限性别 / 限年龄: an item restricted to one sex or an age range, billed to a person outside it.
Both are certain (明确) violations (monitoring-rules.md). The restrictions are the catalogue's
(``ItemCatalogue.restriction_frame``: the 医保目录's dated rows where it lists the item)."""

from __future__ import annotations

import polars as pl

from yibao.engine.supervision.catalogue import ItemCatalogue
from yibao.engine.supervision.hit import RuleMeta, finish
from yibao.engine.supervision.inputs import require


def _billed(
    claims: pl.DataFrame, details: pl.DataFrame, persons: pl.DataFrame, catalogue: ItemCatalogue
) -> pl.DataFrame:
    require(claims, ("setl_id", "psn_no"), "claims")
    require(details, ("setl_id", "line_no", "item_code", "date", "amount"), "details")
    require(persons, ("psn_no", "sex", "birth_date"), "persons")
    # The restriction of the item's version in force on the line's date (医保目录 rows are
    # dated; the rules file's own items are not).
    in_force = (pl.col("valid_from").is_null() | (pl.col("date") >= pl.col("valid_from"))) & (
        pl.col("valid_to").is_null() | (pl.col("date") <= pl.col("valid_to"))
    )
    return (
        details.join(catalogue.restriction_frame(), on="item_code", how="inner")
        .filter(in_force)
        .join(claims.select("setl_id", "psn_no"), on="setl_id", how="inner")
        .join(persons.select("psn_no", "sex", "birth_date"), on="psn_no", how="inner")
    )


def age_at(day: str, birth: str) -> pl.Expr:
    """Whole years of age on a day (the birthday itself counts)."""
    before_birthday = (pl.col(day).dt.month().cast(pl.Int32) * 100 + pl.col(day).dt.day()) < (
        pl.col(birth).dt.month().cast(pl.Int32) * 100 + pl.col(birth).dt.day()
    )
    return pl.col(day).dt.year() - pl.col(birth).dt.year() - before_birthday.cast(pl.Int32)


def restricted_sex(
    claims: pl.DataFrame,
    details: pl.DataFrame,
    persons: pl.DataFrame,
    catalogue: ItemCatalogue,
    meta: RuleMeta,
) -> pl.DataFrame:
    billed = _billed(claims, details, persons, catalogue)
    label = pl.when(pl.col("limit_sex") == "1").then(pl.lit("男性")).otherwise(pl.lit("女性"))
    found = billed.filter(
        pl.col("limit_sex").is_not_null() & (pl.col("sex") != pl.col("limit_sex"))
    ).select(
        "psn_no",
        "setl_id",
        pl.format("限{}项目{}收费给性别代码为{}的参保人", label, "item_code", "sex").alias(
            "vola_cont"
        ),
        pl.col("amount").alias("vola_amt"),
        pl.format("明细={}#{}", "setl_id", "line_no").alias("vola_evid"),
    )
    return finish(found, meta)


def restricted_age(
    claims: pl.DataFrame,
    details: pl.DataFrame,
    persons: pl.DataFrame,
    catalogue: ItemCatalogue,
    meta: RuleMeta,
) -> pl.DataFrame:
    billed = _billed(claims, details, persons, catalogue).with_columns(
        age_at("date", "birth_date").alias("age")
    )
    outside = (pl.col("age_min").is_not_null() & (pl.col("age") < pl.col("age_min"))) | (
        pl.col("age_max").is_not_null() & (pl.col("age") > pl.col("age_max"))
    )
    found = billed.filter(outside).select(
        "psn_no",
        "setl_id",
        pl.format(
            "项目{}限{}至{}岁，参保人{}岁",
            "item_code",
            pl.col("age_min").fill_null(0),
            pl.col("age_max").cast(pl.String).fill_null("不限"),
            "age",
        ).alias("vola_cont"),
        pl.col("amount").alias("vola_amt"),
        pl.format("明细={}#{}", "setl_id", "line_no").alias("vola_evid"),
    )
    return finish(found, meta)
