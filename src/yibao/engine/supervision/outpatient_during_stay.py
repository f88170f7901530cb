"""住院期间门诊结算: an outpatient or pharmacy settlement dated strictly inside an inpatient
stay of the same person (after admission day, before discharge day; monitoring-rules.md)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from yibao.engine.supervision.hit import RuleMeta, finish
from yibao.engine.supervision.inputs import CLAIM_COLUMNS, require


@dataclass(frozen=True)
class OutpatientDuringStayParams:
    inpatient_med_types: tuple[str, ...]
    outpatient_med_types: tuple[str, ...]


def outpatient_during_stay(
    claims: pl.DataFrame, params: OutpatientDuringStayParams, meta: RuleMeta
) -> pl.DataFrame:
    require(claims, CLAIM_COLUMNS, "claims")
    visits = claims.filter(pl.col("med_type").is_in(params.outpatient_med_types)).select(
        "psn_no", "setl_id", "med_type", pl.col("begndate").alias("visit_date"), "medfee_sumamt"
    )
    stays = claims.filter(pl.col("med_type").is_in(params.inpatient_med_types)).select(
        "psn_no",
        pl.col("setl_id").alias("stay_setl_id"),
        pl.col("begndate").alias("stay_begin"),
        pl.col("enddate").alias("stay_end"),
    )
    found = (
        visits.join(stays, on="psn_no", how="inner")
        .filter(
            (pl.col("visit_date") > pl.col("stay_begin"))
            & (pl.col("visit_date") < pl.col("stay_end"))
        )
        .sort("setl_id", "stay_begin")
        .unique("setl_id", keep="first", maintain_order=True)
        .select(
            "psn_no",
            "setl_id",
            pl.format(
                "住院期间（{}至{}）发生门诊结算（med_type {}）",
                "stay_begin",
                "stay_end",
                "med_type",
            ).alias("vola_cont"),
            pl.col("medfee_sumamt").alias("vola_amt"),
            pl.format(
                "门诊setl_id={}（{}）; 住院setl_id={}", "setl_id", "visit_date", "stay_setl_id"
            ).alias("vola_evid"),
        )
    )
    return finish(found, meta)
