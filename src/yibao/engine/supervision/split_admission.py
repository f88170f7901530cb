"""分解住院: the same person readmitted within N days of discharge for the same main diagnosis
(ICD-10 category), excluding planned chemo/radiotherapy courses and same-day transfers to
another institution (monitoring-rules.md)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from yibao.engine.supervision.hit import RuleMeta, finish
from yibao.engine.supervision.inputs import CLAIM_COLUMNS, diagnosis_prefix, require


@dataclass(frozen=True)
class SplitAdmissionParams:
    inpatient_med_types: tuple[str, ...]
    window_days: int
    diagnosis_prefix: int
    exempt_diagnoses: tuple[str, ...]


def _exempt(column: str, codes: tuple[str, ...]) -> pl.Expr:
    if not codes:
        return pl.lit(False)
    norm = pl.col(column).str.replace_all(".", "", literal=True).str.to_uppercase()
    return pl.any_horizontal(
        [norm.str.starts_with(c.replace(".", "").upper()) for c in codes]
    ).fill_null(False)


def split_admission(
    claims: pl.DataFrame, params: SplitAdmissionParams, meta: RuleMeta
) -> pl.DataFrame:
    require(claims, CLAIM_COLUMNS, "claims")
    stays = (
        claims.filter(pl.col("med_type").is_in(params.inpatient_med_types))
        .select(
            "psn_no",
            "setl_id",
            "fixmedins_code",
            "dise_codg",
            "begndate",
            "enddate",
            "medfee_sumamt",
        )
        .sort("psn_no", "begndate", "enddate", "setl_id")
        .with_columns(
            diagnosis_prefix("dise_codg", params.diagnosis_prefix).alias("dx"),
        )
        .with_columns(
            pl.col("setl_id").shift(1).over("psn_no").alias("prev_setl_id"),
            pl.col("enddate").shift(1).over("psn_no").alias("prev_enddate"),
            pl.col("dx").shift(1).over("psn_no").alias("prev_dx"),
            pl.col("dise_codg").shift(1).over("psn_no").alias("prev_dise_codg"),
            pl.col("fixmedins_code").shift(1).over("psn_no").alias("prev_fixmedins_code"),
        )
        .with_columns((pl.col("begndate") - pl.col("prev_enddate")).dt.total_days().alias("gap"))
    )
    transfer = (pl.col("gap") == 0) & (pl.col("fixmedins_code") != pl.col("prev_fixmedins_code"))
    found = stays.filter(
        pl.col("prev_setl_id").is_not_null()
        & pl.col("gap").is_between(0, params.window_days)
        & (pl.col("dx") == pl.col("prev_dx"))
        & ~_exempt("dise_codg", params.exempt_diagnoses)
        & ~_exempt("prev_dise_codg", params.exempt_diagnoses)
        & ~transfer
    ).select(
        "psn_no",
        "setl_id",
        pl.format("出院{}天后因同一诊断（{}）再次入院", "gap", "dx").alias("vola_cont"),
        pl.col("medfee_sumamt").alias("vola_amt"),
        pl.format(
            "前次setl_id={}（出院{}）; 本次setl_id={}（入院{}）",
            "prev_setl_id",
            "prev_enddate",
            "setl_id",
            "begndate",
        ).alias("vola_evid"),
    )
    return finish(found, meta)
