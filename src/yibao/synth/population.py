"""Synthetic households and persons: ages, sexes, ID numbers, names, townships, categories, tiers.

Everything is drawn with numpy from one generator, column by column, so 50,000 or 5,000,000
people take the same code path and the same seed gives the same people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from yibao.categories import all_categories
from yibao.idcard import CHECK_CHARS, WEIGHTS
from yibao.synth.calibration import Calibration
from yibao.synth.places import GIVEN, SURNAMES

# 七类 household statuses of the notices, in the order a person's categories are written.
CATEGORY_ORDER = tuple(all_categories())
SEQUENCES_PER_SEX = 500  # 3-digit 顺序码: odd for men, even for women
VARIANTS_PER_CHUNK = 8


@dataclass(frozen=True)
class PopulationSpec:
    region: str
    year: int
    persons: int
    townships: tuple[str, ...]
    has_tier2: bool
    offset: int = 0  # first person index: lets several runs make distinct people


def _band_ages(rng: np.random.Generator, n: int, bands: list[dict[str, float]]) -> np.ndarray:
    shares = np.array([b["share"] for b in bands], dtype=float)
    band = rng.choice(len(bands), size=n, p=shares / shares.sum())
    lower = np.array([b["lower"] for b in bands])[band]
    upper = np.array([b["upper"] for b in bands])[band]
    return lower + rng.random(n) * (upper - lower)


def _household_sizes(rng: np.random.Generator, n: int, dist: dict[int, float]) -> np.ndarray:
    sizes = np.array(list(dist), dtype=np.int64)
    probs = np.array(list(dist.values()), dtype=float)
    draws = rng.choice(sizes, size=n // 2 + 8, p=probs / probs.sum())
    ends = np.cumsum(draws)
    count = int(np.searchsorted(ends, n)) + 1
    out = draws[:count].copy()
    out[-1] -= int(ends[count - 1]) - n  # the last household is cut to fit exactly n persons
    return out


def certnos(regions: np.ndarray, birth_days: np.ndarray, sequence: np.ndarray) -> pl.Series:
    """Valid GB 11643 numbers, vectorised: region (6 digits), birth date, sequence, check digit."""
    days = birth_days.astype("datetime64[D]")
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    months = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    mdays = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    region_num = regions.astype(np.int64)
    first17 = (
        (region_num * 10**11) + (years * 10**7) + (months * 10**5) + (mdays * 10**3) + sequence
    )
    digits = (first17[:, None] // (10 ** np.arange(16, -1, -1, dtype=np.int64))) % 10
    check = (digits * np.array(WEIGHTS, dtype=np.int64)).sum(axis=1) % 11
    chars = np.array(list(CHECK_CHARS))[check]
    return pl.Series(first17.astype(str).astype(object) + chars.astype(object), dtype=pl.String)


def simulate_population(
    rng: np.random.Generator, spec: PopulationSpec, calib: Calibration
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(households, persons) for one region and year."""
    n = spec.persons
    profile = calib.profile(spec.region)
    year_start = np.datetime64(f"{spec.year}-01-01")
    year_days = int((np.datetime64(f"{spec.year + 1}-01-01") - year_start).astype(int))

    # Households and who lives in them.
    sizes = _household_sizes(
        rng, n, {int(k): v for k, v in calib.assumption("household_size").items()}
    )
    h = len(sizes)
    household = np.repeat(np.arange(h), sizes)
    township = rng.integers(0, len(spec.townships), size=h)
    statuses = calib.assumption("household_status", profile)
    status_names = ["", *statuses]
    status_p = np.array([1.0 - sum(statuses.values()), *statuses.values()])
    hh_status = rng.choice(len(status_names), size=h, p=status_p)
    hh_dibao_too = (np.array(status_names)[hh_status] == "稳定脱贫人口") & (
        rng.random(h) < calib.assumption("dibao_among_tuopin")
    )

    # Ages on 1 January; newborns of the year at the national birth rate (七普 age bands).
    age = _band_ages(rng, n, calib.assumption("age_bands"))
    birth = year_start - np.round(age * 365.25).astype("timedelta64[D]") - np.timedelta64(1, "D")
    births = int(rng.binomial(n, calib.figure(spec.year, "birth_rate").value))
    young = np.flatnonzero(age < 7)
    newborn = np.zeros(n, dtype=bool)
    if births and len(young):
        chosen = rng.choice(young, size=min(births, len(young)), replace=False)
        newborn[chosen] = True
        birth[chosen] = year_start + rng.integers(0, year_days, size=len(chosen)).astype(
            "timedelta64[D]"
        )
    male = rng.random(n) < calib.assumption("sex_male_share")
    age_years = (year_start - birth).astype(np.int64) / 365.25

    # Categories: the household's status for every member, then the personal ones.
    status_of = np.array(status_names, dtype=object)[hh_status[household]]
    flags: dict[str, np.ndarray] = {name: status_of == name for name in statuses}
    flags["低保对象"] = flags.get("低保对象", np.zeros(n, bool)) | hh_dibao_too[household]
    children = age_years < 18
    flags["孤儿"] = children & (rng.random(n) < calib.assumption("orphan_share_of_children"))
    fisher_share = calib.assumption("fisher_share").get(spec.region, 0.0)
    flags["退捕渔民"] = (~children) & (rng.random(n) < fisher_share)
    flags["在校学生"] = (age_years >= 6) & (age_years < 18)
    flags["新生儿"] = newborn
    tier2 = spec.has_tier2 & (rng.random(n) < calib.assumption("tier2_share"))

    # Names: most members share the household's surname.
    surname = rng.integers(0, len(SURNAMES), size=h)[household]
    own = rng.random(n) < 0.15
    surname[own] = rng.integers(0, len(SURNAMES), size=int(own.sum()))
    g1 = rng.integers(0, len(GIVEN), size=n)
    g2 = np.where(rng.random(n) < 0.7, rng.integers(0, len(GIVEN), size=n), -1)
    given = np.array(GIVEN, dtype=object)
    names = (
        np.array(SURNAMES, dtype=object)[surname]
        + given[g1]
        + np.where(g2 >= 0, given[np.maximum(g2, 0)], "")
    )

    persons = pl.DataFrame(
        {
            "idx": np.arange(n, dtype=np.int64) + spec.offset,
            "birth_date": birth.astype("datetime64[D]"),
            "male": male,
            "household": household,
            "name": pl.Series(names, dtype=pl.String),
            **{f"c_{name}": flags[name] for name in CATEGORY_ORDER if name in flags},
            "tier": np.where(tier2, 2, 1).astype(np.int8),
        }
    )
    # 顺序码: unique within (birth date, sex). Beyond 500 a day, and in every further chunk of a
    # large population, the person was born in another place of the same province: the region
    # code's last four digits move on by a prime step, so no two people share a number.
    persons = persons.with_columns(
        pl.int_range(pl.len()).over(["birth_date", "male"]).alias("rank")
    )
    rank = persons["rank"].to_numpy()
    sequence = (rank % SEQUENCES_PER_SEX) * 2 + np.where(male, 1, 0)
    overflow = rank // SEQUENCES_PER_SEX
    if overflow.max(initial=0) >= VARIANTS_PER_CHUNK:
        raise ValueError(f"persons: {n} in one chunk is too many for unique ID numbers; use chunks")
    variant = (spec.offset // max(n, 1)) * VARIANTS_PER_CHUNK + overflow
    base_region = int(spec.region)
    province, rest = divmod(base_region, 10_000)
    birth_region = province * 10_000 + (rest + variant * 37) % 10_000
    cert = certnos(birth_region, persons["birth_date"].to_numpy().astype("datetime64[D]"), sequence)

    cat_cols = [c for c in persons.columns if c.startswith("c_")]
    persons = persons.with_columns(
        pl.concat_str(
            [pl.when(pl.col(c)).then(pl.lit(c[2:])) for c in cat_cols],
            separator="|",
            ignore_nulls=True,
        ).alias("categories"),
        pl.Series("certno", cert),
    ).select(
        (pl.lit(spec.region) + pl.col("idx").cast(pl.String).str.zfill(10)).alias("psn_no"),
        "certno",
        "name",
        pl.when(pl.col("male")).then(pl.lit("1")).otherwise(pl.lit("2")).alias("sex"),
        "birth_date",
        (
            pl.lit(f"H{spec.region}")
            + (pl.col("household") + spec.offset).cast(pl.String).str.zfill(9)
        ).alias("household_id"),
        pl.Series(
            "township", np.array(spec.townships, dtype=object)[township[household]], dtype=pl.String
        ),
        "categories",
        "tier",
        pl.lit(spec.region).alias("insuplc_admdvs"),
    )
    households = pl.DataFrame(
        {
            "household_id": persons["household_id"].unique(maintain_order=True),
            "township": pl.Series(
                np.array(spec.townships, dtype=object)[township], dtype=pl.String
            ),
            "status": pl.Series(np.array(status_names, dtype=object)[hh_status], dtype=pl.String),
            "size": sizes,
        }
    ).with_columns(pl.lit(spec.region).alias("insuplc_admdvs"))
    return households, persons
