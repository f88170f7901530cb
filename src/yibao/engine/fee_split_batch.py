"""The fee-detail split for many lines at once (polars): the same rules, in the same order, as
``engine.fee_split`` (which is the reference: tests hold the two equal line by line), for the
synthetic year and bulk uploads. Whole-unit quantities only; a bad line is reported by the
single-line path, so the messages are the same.

Input columns: ``feedetl_sn`` (str), ``item_code``, ``date``, ``qty`` (Int64), ``price``,
``det_item_fee_sumamt`` (fen), and per line the visit: ``hosp_lv``, ``med_type``, ``sex``,
``age``; optionally ``hosp_appr_flag`` (医院审批标志). Output: the input with ``hilist_name``, ``chrgitm_lv``, ``fulamt_ownpay_amt``,
``overlmt_amt``, ``preselfpay_amt``, ``inscp_scp_amt``, ``pric_uplmt_amt``, ``selfpay_prop``
(bp) and ``lmt_used_flag``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from yibao.catalogue.model import LEVELS, Catalogue
from yibao.engine.fee_split import (
    APPROVAL_FLAGS,
    FULL_SELFPAY_BP,
    INPATIENT_MED_TYPES,
    FeeLine,
    FeeSplitError,
    Visit,
    split_line,
)
from yibao.money import BP_PER_UNIT, divide_half_up

LINE_COLUMNS = (
    "feedetl_sn", "item_code", "date", "qty", "price", "det_item_fee_sumamt", "hosp_lv",
    "med_type", "sex", "age",
)  # fmt: skip
_LEVEL_FLAGS = {level: f"_lv{i}" for i, level in enumerate(LEVELS)}


def _versions(catalogue: Catalogue) -> pl.DataFrame:
    rows = [e for code in catalogue.codes() for e in catalogue.versions(code)]
    r = [e.restriction for e in rows]
    return pl.DataFrame(
        {
            "item_code": [e.hilist_code for e in rows],
            "_from": [e.begndate for e in rows],
            "_to": [e.enddate for e in rows],
            "hilist_name": [e.hilist_name for e in rows],
            "list_type": [e.list_type for e in rows],
            "chrgitm_lv": [e.chrgitm_lv for e in rows],
            "_own_prop": [e.selfpay_prop for e in rows],
            "_sex": [x.sex for x in r],
            "_age_min": [x.age_min for x in r],
            "_age_max": [x.age_max for x in r],
            "_scope": [x.med_scope for x in r],
            **{
                flag: [not x.hosp_levels or level in x.hosp_levels for x in r]
                for level, flag in _LEVEL_FLAGS.items()
            },
            "lmt_used_flag": [e.lmt_used_flag for e in rows],
        },
        schema_overrides={
            "_from": pl.Date,
            "_to": pl.Date,
            "_own_prop": pl.Int64,
            "_sex": pl.String,
            "_age_min": pl.Int64,
            "_age_max": pl.Int64,
            "_scope": pl.String,
        },
    )


def _ceilings(catalogue: Catalogue) -> pl.DataFrame:
    rows = [p for code in catalogue.codes() for p in catalogue.prices.get(code, ())]
    return pl.DataFrame(
        {
            "item_code": [p.hilist_code for p in rows],
            "_c_from": [p.begndate for p in rows],
            "_c_to": [p.enddate for p in rows],
            "_ceiling": [p.hilist_pric_uplmt_amt for p in rows],
            "_specific": [bool(p.levels) for p in rows],
            **{
                f"_c{flag}": [not p.levels or level in p.levels for p in rows]
                for level, flag in _LEVEL_FLAGS.items()
            },
        },
        schema_overrides={"_c_from": pl.Date, "_c_to": pl.Date, "_ceiling": pl.Int64},
    )


def _within(day: str, start: str, end: str) -> pl.Expr:
    return (pl.col(day) >= pl.col(start)) & (pl.col(end).is_null() | (pl.col(day) <= pl.col(end)))


def _level_flag(prefix: str) -> pl.Expr:
    expr: pl.Expr = pl.lit(False)
    for level, flag in _LEVEL_FLAGS.items():
        expr = pl.when(pl.col("_level") == level).then(pl.col(f"{prefix}{flag}")).otherwise(expr)
    return expr


def _report(lines: pl.DataFrame, i: int, catalogue: Catalogue, levels: Mapping[str, str]) -> None:
    """Raise the single-line path's error for line ``i`` (the same message and field)."""
    row: dict[str, Any] = lines.row(i, named=True)
    line = FeeLine(
        row["feedetl_sn"], row["item_code"], row["date"], row["qty"], row["price"],
        row["det_item_fee_sumamt"], row.get("hosp_appr_flag"),
    )  # fmt: skip
    visit = Visit(row["hosp_lv"], row["med_type"], row["sex"], row["age"], catalogue.region)
    split_line(line, visit, catalogue, levels)
    raise AssertionError(
        f"line {row['feedetl_sn']}: the batch split refused what the line split takes"
    )


def split_frame(
    lines: pl.DataFrame,
    catalogue: Catalogue,
    hosp_level_map: Mapping[str, str],
    mdtrtarea_admvs: str,
) -> pl.DataFrame:
    """Split every line against the 就医地's catalogue; the first bad line raises FeeSplitError."""
    if mdtrtarea_admvs != catalogue.region:
        raise FeeSplitError(
            "",
            "mdtrtarea_admvs",
            f"mdtrtarea_admvs：就医地 {mdtrtarea_admvs} 与所用目录的地区 {catalogue.region} 不一致"
            "（费用明细按就医地目录拆分）",
        )
    missing = [c for c in LINE_COLUMNS if c not in lines.columns]
    if missing:
        raise FeeSplitError("", missing[0], f"费用明细缺少列 {', '.join(missing)}")
    base = lines.with_row_index("_i")
    qty, price, amount = (base[c].to_numpy() for c in ("qty", "price", "det_item_fee_sumamt"))
    bad = (qty < 0) | (price < 0) | (amount < 0) | (qty * price != amount)
    bad |= ~base["hosp_lv"].is_in(list(hosp_level_map)).to_numpy()
    approval = "hosp_appr_flag" in lines.columns
    if approval:
        flag = base["hosp_appr_flag"]
        bad |= (flag.is_not_null() & ~flag.is_in(list(APPROVAL_FLAGS))).to_numpy()
    if bad.any():
        _report(lines, int(np.flatnonzero(bad)[0]), catalogue, hosp_level_map)
    base = base.with_columns(
        pl.col("hosp_lv")
        .replace_strict(dict(hosp_level_map), return_dtype=pl.String)
        .alias("_level")
    )
    joined = (
        base.join(_versions(catalogue), on="item_code", how="inner")
        .filter(_within("date", "_from", "_to"))
        .sort("_i")
    )
    if joined.height != base.height:
        found = np.zeros(base.height, dtype=bool)
        found[joined["_i"].to_numpy()] = True
        _report(lines, int(np.flatnonzero(~found)[0]), catalogue, hosp_level_map)
    ceilings = (
        joined.select("_i", "item_code", "date", "_level")
        .join(_ceilings(catalogue), on="item_code", how="inner")
        .filter(_within("date", "_c_from", "_c_to") & _level_flag("_c"))
        .sort("_i", "_specific", descending=[False, True])
        .group_by("_i", maintain_order=True)
        .agg(pl.col("_ceiling").first())
    )
    inpatient = pl.col("med_type").is_in(list(INPATIENT_MED_TYPES))
    scope = pl.when(inpatient).then(pl.lit("住院")).otherwise(pl.lit("门诊"))
    unmet = (
        (pl.col("_sex").is_not_null() & (pl.col("sex") != pl.col("_sex")))
        | (pl.col("_age_min").is_not_null() & (pl.col("age") < pl.col("_age_min")))
        | (pl.col("_age_max").is_not_null() & (pl.col("age") > pl.col("_age_max")))
        | ~_level_flag("")
        | (pl.col("_scope").is_not_null() & (pl.col("_scope") != scope))
    )
    rules = [
        pl.when(
            (pl.col("date") >= rule.begndate)
            & (pl.lit(rule.enddate is None) | (pl.col("date") <= (rule.enddate or rule.begndate)))
            & (pl.lit(not rule.list_types) | pl.col("list_type").is_in(sorted(rule.list_types)))
        ).then(pl.lit(rule.selfpay_prop, dtype=pl.Int64))
        for rule in catalogue.selfpay_rules
    ]
    frame = joined.join(ceilings, on="_i", how="left").with_columns(
        unmet.alias("_unmet"), pl.coalesce(["_own_prop", *rules]).alias("_prop")
    )
    lv = frame["chrgitm_lv"].to_numpy()
    self_paid = (lv == "03") | frame["_unmet"].to_numpy()
    if approval:  # 医院审批标志 (fee_split._declined)
        flags = frame["hosp_appr_flag"].fill_null("").to_numpy()
        limited = frame["lmt_used_flag"].to_numpy() == "1"
        self_paid |= (limited & ((flags == "0") | (flags == "2"))) | (flags == "2")
    class_b = (lv == "02") & ~self_paid
    prop_b = frame["_prop"].to_numpy()
    no_prop = class_b & frame["_prop"].is_null().to_numpy()
    if no_prop.any():
        _report(lines, int(frame["_i"][int(np.flatnonzero(no_prop)[0])]), catalogue, hosp_level_map)
    qty, price, amount = (frame[c].to_numpy() for c in ("qty", "price", "det_item_fee_sumamt"))
    ceiling_raw = frame["_ceiling"]
    has_ceiling = ceiling_raw.is_not_null().to_numpy() & ~self_paid
    ceiling = ceiling_raw.fill_null(0).to_numpy()
    over = np.where(has_ceiling & (price > ceiling), amount - qty * ceiling, 0)
    prop = np.where(self_paid, FULL_SELFPAY_BP, np.where(class_b, np.nan_to_num(prop_b), 0))
    prop = prop.astype(np.int64)
    pre = np.where(class_b, divide_half_up((amount - over) * prop, BP_PER_UNIT), 0)
    full = np.where(self_paid, amount, 0)
    return frame.select(
        *lines.columns,
        "hilist_name",
        "chrgitm_lv",
        pl.Series("fulamt_ownpay_amt", full, dtype=pl.Int64),
        pl.Series("overlmt_amt", over, dtype=pl.Int64),
        pl.Series("preselfpay_amt", pre, dtype=pl.Int64),
        pl.Series("inscp_scp_amt", amount - full - over - pre, dtype=pl.Int64),
        pl.Series("pric_uplmt_amt", np.where(has_ceiling, ceiling, 0), dtype=pl.Int64)
        .replace(0, None)
        .alias("pric_uplmt_amt"),
        pl.Series("selfpay_prop", prop, dtype=pl.Int32),
        "lmt_used_flag",
    )
