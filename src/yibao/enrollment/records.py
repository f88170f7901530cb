"""The two tables this package works on, and their validation.

Enrollments (one row per enrollment, national platform names): certno (18-digit ID),
insutype (390 居民医保, 310 职工医保), insuplc_admdvs (region code), begndate, enddate (the
coverage period). A file may give ``year`` instead of the two dates: the whole calendar year.

Roster (低收入人口台账): certno, psn_name, category, township.

Validation turns bad input into one clear error naming the row (1-based, as in a spreadsheet
with its header on row 1) and the field; it never drops rows silently.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from yibao.categories import CategoryError, canonical
from yibao.idcard import IdNumberError, parse_id

INSUTYPES = {"390": "城乡居民基本医疗保险", "310": "职工基本医疗保险"}

ENROLLMENT_SCHEMA = {
    "certno": pl.Utf8,
    "insutype": pl.Utf8,
    "insuplc_admdvs": pl.Utf8,
    "begndate": pl.Date,
    "enddate": pl.Date,
}
ROSTER_SCHEMA = {
    "certno": pl.Utf8,
    "psn_name": pl.Utf8,
    "category": pl.Utf8,
    "township": pl.Utf8,
}

# Header names people actually use, mapped to ours.
ALIASES = {
    "身份证号": "certno",
    "身份证号码": "certno",
    "公民身份号码": "certno",
    "证件号码": "certno",
    "idcard": "certno",
    "险种": "insutype",
    "险种类型": "insutype",
    "参保地": "insuplc_admdvs",
    "参保地区划": "insuplc_admdvs",
    "admdvs": "insuplc_admdvs",
    "开始日期": "begndate",
    "参保开始日期": "begndate",
    "结束日期": "enddate",
    "参保结束日期": "enddate",
    "年度": "year",
    "姓名": "psn_name",
    "name": "psn_name",
    "类别": "category",
    "人员类别": "category",
    "身份类别": "category",
    "乡镇": "township",
    "乡镇（街道）": "township",
    "乡镇街道": "township",
}


class RecordError(ValueError):
    """A row or column that cannot be used: the message names the row and field."""


def rename_aliases(df: pl.DataFrame) -> pl.DataFrame:
    mapping = {c: ALIASES[c.strip()] for c in df.columns if c.strip() in ALIASES}
    mapping.update({c: c.strip() for c in df.columns if c not in mapping and c != c.strip()})
    return df.rename(mapping) if mapping else df


def _require(df: pl.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise RecordError(
            f"{what}: missing column(s) {', '.join(missing)} (have: {', '.join(df.columns)})"
        )


def _check_ids(df: pl.DataFrame, what: str) -> pl.Series:
    """Validated, upper-cased ID numbers; the first bad one is an error naming its row."""
    out: list[str] = []
    for i, value in enumerate(df["certno"].to_list()):
        try:
            out.append(parse_id("" if value is None else str(value), "certno").number)
        except IdNumberError as exc:
            raise RecordError(f"{what} row {i + 2}: {exc}") from None
    return pl.Series("certno", out, dtype=pl.Utf8)


def _as_date(df: pl.DataFrame, column: str, what: str) -> pl.Series:
    s = df[column]
    if s.dtype == pl.Date:
        return s
    if s.dtype == pl.Datetime:
        return s.dt.date()
    text = s.cast(pl.Utf8).str.strip_chars()
    parsed = text.str.to_date("%Y-%m-%d", strict=False)
    bad = parsed.is_null() & text.is_not_null() | text.is_null()
    if bad.any():
        i = int(bad.arg_max() or 0)
        raise RecordError(f"{what} row {i + 2}: {column}: {text[i]!r} is not a date (YYYY-MM-DD)")
    return parsed.alias(column)


def validate_enrollments(df: pl.DataFrame, what: str = "enrollments") -> pl.DataFrame:
    """Enrollments in ENROLLMENT_SCHEMA, validated (IDs, insutype, dates in order)."""
    df = rename_aliases(df)
    if "begndate" not in df.columns and "enddate" not in df.columns and "year" in df.columns:
        years = df["year"].cast(pl.Int32, strict=False)
        if years.is_null().any():
            i = int(years.is_null().arg_max() or 0)
            raise RecordError(f"{what} row {i + 2}: year: {df['year'][i]!r} is not a year")
        df = df.with_columns(
            pl.date(years, 1, 1).alias("begndate"), pl.date(years, 12, 31).alias("enddate")
        )
    _require(df, list(ENROLLMENT_SCHEMA), what)
    certno = _check_ids(df, what)
    insutype = df["insutype"].cast(pl.Utf8).str.strip_chars()
    bad_type = ~insutype.is_in(list(INSUTYPES)) | insutype.is_null()
    if bad_type.any():
        i = int(bad_type.arg_max() or 0)
        raise RecordError(
            f"{what} row {i + 2}: insutype: {insutype[i]!r} is not one of {', '.join(INSUTYPES)}"
        )
    admdvs = df["insuplc_admdvs"].cast(pl.Utf8).str.strip_chars()
    bad_region = ~admdvs.str.contains(r"^\d{6}$") | admdvs.is_null()
    if bad_region.any():
        i = int(bad_region.arg_max() or 0)
        raise RecordError(
            f"{what} row {i + 2}: insuplc_admdvs: {admdvs[i]!r} is not a 6-digit region code"
        )
    begin = _as_date(df, "begndate", what)
    end = _as_date(df, "enddate", what)
    backwards = begin > end
    if backwards.any():
        i = int(backwards.arg_max() or 0)
        raise RecordError(f"{what} row {i + 2}: enddate: {end[i]} is before begndate {begin[i]}")
    return pl.DataFrame(
        {
            "certno": certno,
            "insutype": insutype,
            "insuplc_admdvs": admdvs,
            "begndate": begin,
            "enddate": end,
        },
        schema=ENROLLMENT_SCHEMA,
    )


def validate_roster(df: pl.DataFrame, what: str = "roster") -> pl.DataFrame:
    """The roster in ROSTER_SCHEMA with canonical category names."""
    df = rename_aliases(df)
    _require(df, list(ROSTER_SCHEMA), what)
    certno = _check_ids(df, what)
    categories: list[str] = []
    for i, value in enumerate(df["category"].cast(pl.Utf8).to_list()):
        try:
            categories.append(canonical(value or ""))
        except CategoryError as exc:
            raise RecordError(f"{what} row {i + 2}: {exc}") from None
    township = df["township"].cast(pl.Utf8).str.strip_chars()
    if township.is_null().any() or (township == "").any():
        i = int((township.is_null() | (township == "")).arg_max() or 0)
        raise RecordError(f"{what} row {i + 2}: township: empty")
    return pl.DataFrame(
        {
            "certno": certno,
            "psn_name": df["psn_name"].cast(pl.Utf8).fill_null(""),
            "category": categories,
            "township": township,
        },
        schema=ROSTER_SCHEMA,
    )


def in_year(enrollments: pl.DataFrame, year: int) -> pl.DataFrame:
    """Enrollments overlapping the calendar year, with their coverage clipped to it
    (columns year_begin, year_end)."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return (
        enrollments.with_row_index("record")
        .with_columns(
            pl.max_horizontal(pl.col("begndate"), pl.lit(first)).alias("year_begin"),
            pl.min_horizontal(pl.col("enddate"), pl.lit(last)).alias("year_end"),
        )
        .filter(pl.col("year_begin") <= pl.col("year_end"))
    )
