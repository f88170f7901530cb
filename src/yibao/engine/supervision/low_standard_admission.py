"""低标准入院: a short, cheap stay made mostly of exam and lab lines, for a diagnosis that is
treatable as an outpatient (monitoring-rules.md)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from yibao.engine.supervision.hit import RuleMeta, finish
from yibao.engine.supervision.inputs import CLAIM_COLUMNS, diagnosis_prefix, require, stay_days
from yibao.money import BP_PER_UNIT


@dataclass(frozen=True)
class LowStandardAdmissionParams:
    inpatient_med_types: tuple[str, ...]
    max_stay_days: int
    max_total: int  # fen
    exam_item_types: tuple[str, ...]
    min_exam_share_bp: int
    outpatient_treatable_diagnoses: tuple[str, ...]  # ICD-10 categories (3 characters)


def low_standard_admission(
    claims: pl.DataFrame,
    details: pl.DataFrame,
    params: LowStandardAdmissionParams,
    meta: RuleMeta,
) -> pl.DataFrame:
    require(claims, CLAIM_COLUMNS, "claims")
    require(details, ("setl_id", "item_type", "amount"), "details")
    exam = details.group_by("setl_id").agg(
        pl.col("amount").sum().alias("lines_total"),
        pl.col("amount")
        .filter(pl.col("item_type").is_in(params.exam_item_types))
        .sum()
        .alias("exam_amt"),
    )
    found = (
        claims.filter(pl.col("med_type").is_in(params.inpatient_med_types))
        .with_columns(stay_days().alias("stay_days"), diagnosis_prefix("dise_codg", 3).alias("dx"))
        .filter(
            (pl.col("stay_days") <= params.max_stay_days)
            & (pl.col("medfee_sumamt") <= params.max_total)
            & pl.col("dx").is_in(params.outpatient_treatable_diagnoses)
        )
        .join(exam, on="setl_id", how="inner")
        .filter(
            (pl.col("lines_total") > 0)
            & (pl.col("exam_amt") * BP_PER_UNIT >= pl.col("lines_total") * params.min_exam_share_bp)
        )
        .select(
            "psn_no",
            "setl_id",
            pl.format(
                "住院{}天，总费用{}分，检查检验{}分，诊断{}可门诊治疗",
                "stay_days",
                "medfee_sumamt",
                "exam_amt",
                "dx",
            ).alias("vola_cont"),
            pl.col("medfee_sumamt").alias("vola_amt"),
            pl.format("setl_id={}; 诊断={}", "setl_id", "dise_codg").alias("vola_evid"),
        )
    )
    return finish(found, meta)
