"""Duplicate enrollment (重复参保): persons insured twice in a year, by ID number.

Two enrollments of one person overlap when their coverage, clipped to the year, shares at
least one day: max(begins) <= min(ends). Resident insurance in two regions (390 + 390) and
resident plus employee insurance (390 + 310) both count; the national notices ask for
duplicate enrollment to be cleared (减少重复参保).
"""

from __future__ import annotations

import polars as pl

from yibao.enrollment.records import in_year


def duplicate_pairs(enrollments: pl.DataFrame, year: int) -> pl.DataFrame:
    """One row per overlapping pair of enrollments of the same person in ``year``.

    ``enrollments`` is a validated table (records.validate_enrollments). Columns: certno,
    a_/b_ insutype, insuplc_admdvs, begndate, enddate, overlap_begin, overlap_end, overlap_days,
    kind (居民+职工 / 居民+居民 / 职工+职工), sorted by certno.
    """
    rows = in_year(enrollments, year)
    keep = ["record", "certno", "insutype", "insuplc_admdvs", "begndate", "enddate"]
    keep += ["year_begin", "year_end"]
    left = rows.select(keep)
    right = left.rename({c: f"b_{c}" for c in keep if c != "certno"})
    left = left.rename({c: f"a_{c}" for c in keep if c != "certno"})
    pairs = (
        left.join(right, on="certno")
        .filter(pl.col("a_record") < pl.col("b_record"))
        .with_columns(
            pl.max_horizontal("a_year_begin", "b_year_begin").alias("overlap_begin"),
            pl.min_horizontal("a_year_end", "b_year_end").alias("overlap_end"),
        )
        .filter(pl.col("overlap_begin") <= pl.col("overlap_end"))
        .with_columns(
            ((pl.col("overlap_end") - pl.col("overlap_begin")).dt.total_days() + 1)
            .cast(pl.Int64)
            .alias("overlap_days"),
            pl.when(pl.col("a_insutype") != pl.col("b_insutype"))
            .then(pl.lit("居民+职工"))
            .when(pl.col("a_insutype") == "390")
            .then(pl.lit("居民+居民"))
            .otherwise(pl.lit("职工+职工"))
            .alias("kind"),
        )
    )
    columns = ["certno"]
    for side in ("a", "b"):
        columns += [f"{side}_{c}" for c in ("insutype", "insuplc_admdvs", "begndate", "enddate")]
    columns += ["overlap_begin", "overlap_end", "overlap_days", "kind"]
    return pairs.sort("certno", "a_record", "b_record").select(columns)


def duplicate_persons(pairs: pl.DataFrame) -> pl.DataFrame:
    """Per person: number of overlapping pairs, regions involved, longest overlap in days."""
    if pairs.is_empty():
        return pl.DataFrame(
            schema={
                "certno": pl.Utf8,
                "pairs": pl.UInt32,
                "regions": pl.List(pl.Utf8),
                "max_overlap_days": pl.Int64,
            }
        )
    return (
        pairs.group_by("certno")
        .agg(
            pl.len().alias("pairs"),
            pl.col("a_insuplc_admdvs")
            .append(pl.col("b_insuplc_admdvs"))
            .unique()
            .sort()
            .alias("regions"),
            pl.col("overlap_days").max().alias("max_overlap_days"),
        )
        .sort("certno")
    )
