"""过度检查: the same large-equipment exam (CT/MRI of the same site) repeated within N days, or
an inpatient claim whose exam share is far above its peers of the same hospital level and
diagnosis category (monitoring-rules.md).

Two findings, one rule:

* Repeated exam. "The same exam" is the catalogue's ``exam_group`` (CT-胸部, MRI-腰椎 …: one
  modality, one site), so 平扫 and 增强 of one site are the same exam and a CT and an MRI of one
  site are not. The lines of one exam group in one claim on one day are one examination (a
  平扫+增强 session, or one exam billed as several units — the unit count is 重复收费's concern),
  so only a later day, or another claim, is a repetition. Each examination is compared with the
  person's previous one of the group, in any claim and institution (互认 applies across them);
  within ``repeat_window_days`` days (inclusive) the repeat's amount is at issue.
* Exam share. Per inpatient claim, the share of exam lines in the claim's lines; peers are the
  inpatient claims of the same ``hosp_lv`` and ICD-10 category. A peer group smaller than
  ``min_peer_claims`` is not judged (its median says little). A claim is flagged when its
  share is above both the peer median × ``share_over_median`` and ``min_exam_share``; the exam
  amount above what the median share would give is at issue. Shares are compared exactly in
  integers; the median is of whole basis points (each claim's share truncated, a statistic,
  not money).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from yibao.engine.supervision.catalogue import ItemCatalogue
from yibao.engine.supervision.hit import RuleMeta, finish
from yibao.engine.supervision.inputs import diagnosis_prefix, require
from yibao.money import BP_PER_UNIT, apply_ratio, bp_to_percent, divide_half_up


@dataclass(frozen=True)
class OverExaminationParams:
    repeat_window_days: int
    inpatient_med_types: tuple[str, ...]
    exam_item_types: tuple[str, ...]
    diagnosis_prefix: int  # 0: peers by hospital level only
    min_peer_claims: int
    share_over_median_bp: int  # 20 000 = twice the peer median
    min_exam_share_bp: int


FOUND_SCHEMA = {
    "psn_no": pl.String,
    "setl_id": pl.String,
    "vola_cont": pl.String,
    "vola_amt": pl.Int64,
    "vola_evid": pl.String,
}


def repeated_exams(
    claims: pl.DataFrame,
    details: pl.DataFrame,
    catalogue: ItemCatalogue,
    params: OverExaminationParams,
) -> pl.DataFrame:
    """The examinations of an exam group done again within the window (FOUND_SCHEMA)."""
    require(claims, ("setl_id", "psn_no"), "claims")
    require(details, ("setl_id", "line_no", "item_code", "date", "amount"), "details")
    exams = (
        details.join(catalogue.exam_groups(), on="item_code", how="inner")
        .join(claims.select("setl_id", "psn_no"), on="setl_id", how="inner")
        .group_by("psn_no", "exam_group", "setl_id", "date")
        .agg(
            pl.col("amount").sum(),
            pl.col("line_no").min().alias("first_line"),
            pl.format("{}#{}", "setl_id", "line_no").sort().str.join(",").alias("lines"),
            pl.col("item_code").unique().sort().str.join(",").alias("items"),
        )
        .sort("psn_no", "exam_group", "date", "setl_id", "first_line")
    )
    previous = pl.col("date").shift(1).over("psn_no", "exam_group")
    return (
        exams.with_columns(
            previous.alias("prev_date"),
            pl.col("lines").shift(1).over("psn_no", "exam_group").alias("prev_lines"),
        )
        .with_columns((pl.col("date") - pl.col("prev_date")).dt.total_days().alias("gap"))
        .filter(
            pl.col("prev_date").is_not_null()
            & pl.col("gap").is_between(0, params.repeat_window_days)
        )
        .select(
            "psn_no",
            "setl_id",
            pl.format(
                "{}：{}已检查，{}天后（{}）再次检查（{}）",
                "exam_group",
                "prev_date",
                "gap",
                "date",
                "items",
            ).alias("vola_cont"),
            pl.col("amount").alias("vola_amt"),
            pl.format("前次={}; 本次={}", "prev_lines", "lines").alias("vola_evid"),
        )
        .cast(FOUND_SCHEMA)  # type: ignore[arg-type]
    )


def _median_bp(share_bp: pl.Expr) -> pl.Expr:
    """The middle value, or the two middle ones' mean (rounded by divide_half_up later)."""
    ordered = share_bp.sort()
    return ordered.gather((pl.len() - 1) // 2) + ordered.gather(pl.len() // 2)


def exam_share_outliers(
    claims: pl.DataFrame, details: pl.DataFrame, params: OverExaminationParams
) -> pl.DataFrame:
    """Inpatient claims whose exam share is far above their peers' median (FOUND_SCHEMA)."""
    require(claims, ("setl_id", "psn_no", "med_type", "hosp_lv", "dise_codg"), "claims")
    require(details, ("setl_id", "item_type", "amount"), "details")
    is_exam = pl.col("item_type").is_in(params.exam_item_types)
    per_claim = details.group_by("setl_id").agg(
        pl.col("amount").sum().alias("total"),
        pl.col("amount").filter(is_exam).sum().alias("exam"),
    )
    stays = (
        claims.filter(pl.col("med_type").is_in(params.inpatient_med_types))
        .select(
            "setl_id",
            "psn_no",
            "hosp_lv",
            diagnosis_prefix("dise_codg", params.diagnosis_prefix).fill_null("").alias("dx"),
        )
        .join(per_claim, on="setl_id", how="inner")
        .filter(pl.col("total") > 0)
        .with_columns((pl.col("exam") * BP_PER_UNIT // pl.col("total")).alias("share_bp"))
    )
    peers = (
        stays.group_by("hosp_lv", "dx")
        .agg(pl.len().alias("peers"), _median_bp(pl.col("share_bp")).first().alias("mid2"))
        .filter(pl.col("peers") >= params.min_peer_claims)
    )
    judged = stays.join(peers, on=["hosp_lv", "dx"], how="inner")
    if judged.is_empty():
        return pl.DataFrame(schema=FOUND_SCHEMA)
    judged = judged.with_columns(
        pl.Series("median_bp", divide_half_up(judged["mid2"].to_numpy().astype(np.int64), 2))
    )
    exam_bp2 = pl.col("exam") * BP_PER_UNIT * BP_PER_UNIT
    flagged = judged.filter(
        (exam_bp2 > pl.col("total") * pl.col("median_bp") * params.share_over_median_bp)
        & (pl.col("exam") * BP_PER_UNIT > pl.col("total") * params.min_exam_share_bp)
    )
    if flagged.is_empty():
        return pl.DataFrame(schema=FOUND_SCHEMA)
    at_median = apply_ratio(
        flagged["total"].to_numpy().astype(np.int64),
        flagged["median_bp"].to_numpy().astype(np.int64),
    )
    rows = []
    for r, expected in zip(flagged.iter_rows(named=True), at_median.tolist(), strict=True):
        group = f"医院等级{r['hosp_lv']}" + (f"、诊断{r['dx']}" if r["dx"] else "")
        rows.append(
            {
                "psn_no": r["psn_no"],
                "setl_id": r["setl_id"],
                "vola_cont": (
                    f"检查费用占{bp_to_percent(r['share_bp'])}，同组（{group}，{r['peers']}例）"
                    f"中位数{bp_to_percent(r['median_bp'])}"
                ),
                "vola_amt": int(r["exam"]) - int(expected),
                "vola_evid": (
                    f"setl_id={r['setl_id']}; 检查{r['exam']}分/明细合计{r['total']}分; "
                    f"按中位数应为{expected}分"
                ),
            }
        )
    return pl.DataFrame(rows, schema=FOUND_SCHEMA)


def over_examination(
    claims: pl.DataFrame,
    details: pl.DataFrame,
    catalogue: ItemCatalogue,
    params: OverExaminationParams,
    meta: RuleMeta,
) -> pl.DataFrame:
    found = pl.concat(
        [
            repeated_exams(claims, details, catalogue, params),
            exam_share_outliers(claims, details, params),
        ]
    )
    return finish(found, meta)
