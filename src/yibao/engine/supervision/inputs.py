"""The tables the rules read: claims (CLAIM_SCHEMA), fee details (费用明细) and persons."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

# 费用明细 as the synthetic generator and the hospital interface emit it (money in fen).
FEE_DETAIL_SCHEMA: dict[str, Any] = {
    "setl_id": pl.String,
    "line_no": pl.Int32,
    "item_code": pl.String,
    "item_name": pl.String,
    "item_type": pl.String,  # 药品/检查/治疗/床位/护理/诊察/材料
    "chrgitm_lv": pl.String,
    "date": pl.Date,
    "qty": pl.Float64,
    "price": pl.Int64,
    "amount": pl.Int64,
    "days_supply": pl.Int32,  # drugs: days the dispensed quantity lasts; null otherwise
}
PERSON_SCHEMA: dict[str, Any] = {
    "psn_no": pl.String,
    "sex": pl.String,  # "1" 男 / "2" 女
    "birth_date": pl.Date,
    "township": pl.String,
    "categories": pl.String,  # canonical names joined by "|"
}
CLAIM_COLUMNS = (
    "setl_id",
    "psn_no",
    "med_type",
    "fixmedins_code",
    "dise_codg",
    "begndate",
    "enddate",
    "medfee_sumamt",
)


def require(frame: pl.DataFrame, columns: Iterable[str], table: str) -> None:
    """A missing column is an error that names it (never a silent empty result)."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{table}: missing column(s) {', '.join(missing)}")


def stay_days() -> pl.Expr:
    """住院天数: discharge date minus admission date, at least 1 (a same-day stay is a day)."""
    return (pl.col("enddate") - pl.col("begndate")).dt.total_days().clip(lower_bound=1)


def diagnosis_prefix(column: str, length: int) -> pl.Expr:
    """The ICD-10 category of a diagnosis code (first characters, dot removed, upper case)."""
    return (
        pl.col(column)
        .str.replace_all(".", "", literal=True)
        .str.to_uppercase()
        .str.slice(0, length)
    )
