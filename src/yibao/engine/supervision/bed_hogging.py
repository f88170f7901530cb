"""挂床住院: inpatient days with only bed, nursing or consultation charges and no drug, exam,
treatment or material line, when such idle days reach a share of the stay (monitoring-rules.md)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from yibao.engine.supervision.hit import RuleMeta, finish
from yibao.engine.supervision.inputs import CLAIM_COLUMNS, require, stay_days
from yibao.money import BP_PER_UNIT


@dataclass(frozen=True)
class BedHoggingParams:
    inpatient_med_types: tuple[str, ...]
    min_stay_days: int
    idle_day_share_bp: int
    idle_item_types: tuple[str, ...]


def bed_hogging(
    claims: pl.DataFrame, details: pl.DataFrame, params: BedHoggingParams, meta: RuleMeta
) -> pl.DataFrame:
    require(claims, CLAIM_COLUMNS, "claims")
    require(details, ("setl_id", "date", "item_type", "amount"), "details")
    stays = (
        claims.filter(pl.col("med_type").is_in(params.inpatient_med_types))
        .with_columns(stay_days().alias("stay_days"))
        .filter(pl.col("stay_days") >= params.min_stay_days)
    )
    # Each day of the stay, admission day up to the day before discharge.
    days = stays.select(
        "setl_id",
        "psn_no",
        "stay_days",
        pl.date_ranges(
            "begndate", pl.col("begndate") + pl.duration(days=pl.col("stay_days") - 1)
        ).alias("date"),
    ).explode("date")
    is_idle_line = pl.col("item_type").is_in(params.idle_item_types)
    per_day = details.group_by("setl_id", "date").agg(
        (~is_idle_line).any().alias("active"),
        pl.col("amount").filter(is_idle_line).sum().alias("idle_amount"),
    )
    idle = (
        days.join(per_day, on=["setl_id", "date"], how="left")
        .filter(~pl.col("active").fill_null(False))
        .group_by("setl_id", "psn_no", "stay_days")
        .agg(
            pl.len().alias("idle_days"),
            pl.col("idle_amount").fill_null(0).sum().alias("vola_amt"),
            pl.col("date").sort().cast(pl.String).str.join(",").alias("idle_dates"),
        )
        .filter(pl.col("idle_days") * BP_PER_UNIT >= pl.col("stay_days") * params.idle_day_share_bp)
    )
    found = idle.select(
        "psn_no",
        "setl_id",
        pl.format(
            "住院{}天，其中{}天只有床位、护理、诊察费，无药品、检查、治疗", "stay_days", "idle_days"
        ).alias("vola_cont"),
        "vola_amt",
        pl.format("setl_id={}; 空床日={}", "setl_id", "idle_dates").alias("vola_evid"),
    )
    return finish(found, meta)
