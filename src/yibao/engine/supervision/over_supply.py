"""超量开药: an outpatient prescription whose days of supply exceed the limit (7 days; long
prescriptions for chronic disease up to 12 weeks), or the same drug dispensed again before most
of the previous supply can have been used (monitoring-rules.md)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from yibao.engine.supervision.hit import RuleMeta, finish
from yibao.engine.supervision.inputs import require
from yibao.money import BP_PER_UNIT, divide_half_up


@dataclass(frozen=True)
class OverSupplyParams:
    outpatient_med_types: tuple[str, ...]
    max_days_supply: int  # 处方管理办法 第十九条
    chronic_med_types: tuple[str, ...]
    chronic_max_days_supply: int  # 长期处方管理规范（试行）
    refill_min_used_share_bp: int
    drug_item_type: str = "药品"


def _prescriptions(
    claims: pl.DataFrame, details: pl.DataFrame, p: OverSupplyParams
) -> pl.DataFrame:
    require(claims, ("setl_id", "psn_no", "med_type"), "claims")
    require(
        details,
        ("setl_id", "line_no", "item_code", "item_type", "date", "amount", "days_supply"),
        "details",
    )
    return (
        details.filter(
            (pl.col("item_type") == p.drug_item_type) & pl.col("days_supply").is_not_null()
        )
        .join(claims.select("setl_id", "psn_no", "med_type"), on="setl_id", how="inner")
        .filter(pl.col("med_type").is_in(p.outpatient_med_types))
        .with_columns(
            pl.when(pl.col("med_type").is_in(p.chronic_med_types))
            .then(pl.lit(p.chronic_max_days_supply))
            .otherwise(pl.lit(p.max_days_supply))
            .alias("limit")
        )
    )


def over_supply(
    claims: pl.DataFrame, details: pl.DataFrame, params: OverSupplyParams, meta: RuleMeta
) -> pl.DataFrame:
    rx = _prescriptions(claims, details, params)
    rows: list[dict[str, object]] = []
    # Days of supply above the limit: the share of the line beyond the limit is at issue.
    for r in rx.filter(pl.col("days_supply") > pl.col("limit")).iter_rows(named=True):
        extra = int(r["days_supply"]) - int(r["limit"])
        rows.append(
            {
                "psn_no": r["psn_no"],
                "setl_id": r["setl_id"],
                "vola_cont": f"{r['item_code']} 开药{r['days_supply']}天，超过限量{r['limit']}天",
                "vola_amt": divide_half_up(int(r["amount"]) * extra, int(r["days_supply"])),
                "vola_evid": f"明细={r['setl_id']}#{r['line_no']}",
            }
        )
    # Dispensed again before min_used_share of the previous supply was used: the leftover.
    # Lines of one drug within one claim are one dispensing (two packs are not a refill).
    dispensings = rx.group_by("psn_no", "item_code", "setl_id").agg(
        pl.col("date").min(),
        pl.col("days_supply").max(),
        pl.col("amount").sum(),
        pl.col("line_no").min(),
    )
    refills = (
        dispensings.sort("psn_no", "item_code", "date", "setl_id", "line_no")
        .with_columns(
            pl.col("date").shift(1).over("psn_no", "item_code").alias("prev_date"),
            pl.col("days_supply").shift(1).over("psn_no", "item_code").alias("prev_supply"),
            pl.format("{}#{}", "setl_id", "line_no")
            .shift(1)
            .over("psn_no", "item_code")
            .alias("prev_line"),
        )
        .with_columns((pl.col("date") - pl.col("prev_date")).dt.total_days().alias("since"))
        .filter(
            pl.col("prev_date").is_not_null()
            & (
                pl.col("since") * BP_PER_UNIT
                < pl.col("prev_supply") * params.refill_min_used_share_bp
            )
        )
    )
    for r in refills.iter_rows(named=True):
        leftover = min(int(r["prev_supply"]) - int(r["since"]), int(r["days_supply"]))
        rows.append(
            {
                "psn_no": r["psn_no"],
                "setl_id": r["setl_id"],
                "vola_cont": (
                    f"{r['item_code']} 上次开药{r['prev_supply']}天，{r['since']}天后再次开药"
                ),
                "vola_amt": divide_half_up(int(r["amount"]) * leftover, int(r["days_supply"])),
                "vola_evid": f"前次={r['prev_line']}; 本次={r['setl_id']}#{r['line_no']}",
            }
        )
    found = pl.DataFrame(
        rows,
        schema={
            "psn_no": pl.String,
            "setl_id": pl.String,
            "vola_cont": pl.String,
            "vola_amt": pl.Int64,
            "vola_evid": pl.String,
        },
    )
    return finish(found, meta)
