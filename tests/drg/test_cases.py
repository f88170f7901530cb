"""Synthetic 病案首页 for inpatient claims (issue 18 part 4): deterministic per claim, every case
groups under the shipped CHS-DRG 1.1 table, and the case mix follows the claim's cost."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from yibao.drg.grouping import GROUPED, group_case
from yibao.drg.payment import case_of
from yibao.drg.tables import shipped_table
from yibao.synth.cases import CATALOGUE, simulate_cases


def _claims(n: int = 400) -> pl.DataFrame:
    rows = []
    for i in range(n):
        birth_year = 1935 + i % 88  # ages 0 … 87 in 2023
        sex_digit = i % 2 + 1  # odd → male
        rows.append(
            {
                "setl_id": f"S{i:05d}-0001",
                "certno": f"341702{birth_year}0301{i % 100:02d}{sex_digit}X",
                "med_type": "21" if i % 10 else "11",
                "hosp_lv": ["02", "05", "08"][i % 3],
                "medfee_sumamt": 200_000 + (i * 7_919) % 4_000_000,
                "setl_time": dt.datetime(2023, 6, 20, 9),
                "begndate": dt.date(2023, 6, 20 - i % 15),
                "enddate": dt.date(2023, 6, 20),
            }
        )
    return pl.DataFrame(rows)


def test_only_inpatient_claims_get_cases():
    cases = simulate_cases(_claims())
    assert cases.height == 360  # every tenth claim is outpatient (11)


def test_a_claims_case_does_not_depend_on_the_other_claims():
    claims = _claims()
    whole = simulate_cases(claims)
    alone = simulate_cases(claims.slice(57, 1))
    assert alone.row(0) == whole.filter(pl.col("setl_id") == alone["setl_id"][0]).row(0)


def test_age_sex_and_los_come_from_the_claim():
    cases = simulate_cases(_claims()).filter(pl.col("setl_id") == "S00003-0001")
    # born 1938-03-01, female (17th digit even), a 3-day stay
    row = cases.row(0, named=True)
    assert (row["age"], row["gend"], row["los"]) == (85, "2", 3)


def test_every_synthetic_case_groups_under_the_shipped_table():
    table = shipped_table("CHS-DRG 1.1")
    for row in simulate_cases(_claims()).iter_rows(named=True):
        result = group_case(case_of(row), table)
        assert result.status == GROUPED, (row, result.trace)


def test_sex_specific_types_go_to_that_sex_only():
    male_only = {t.main for t in CATALOGUE if t.sex == "1"}
    cases = simulate_cases(_claims(2000))
    mains = cases.with_columns(pl.col("diagnoses").str.split("|").list.first().alias("main"))
    assert mains.filter(pl.col("main").is_in(list(male_only)) & (pl.col("gend") == "2")).height == 0


def test_dearer_claims_get_dearer_case_types():
    claims = _claims(3000)
    cases = simulate_cases(claims).join(claims.select("setl_id", "medfee_sumamt"), on="setl_id")
    operated = cases.filter(pl.col("procedures") != "")["medfee_sumamt"].mean()
    conservative = cases.filter(pl.col("procedures") == "")["medfee_sumamt"].mean()
    assert operated > conservative * 1.3


@pytest.mark.parametrize("code", [t.main for t in CATALOGUE])
def test_catalogue_codes_are_in_the_shipped_table(code: str):
    assert code in shipped_table("CHS-DRG 1.1").diagnoses


def test_age_is_whole_years_at_the_claim_day_for_a_newborn_and_after_the_birthday():
    claims = _claims(1).with_columns(
        pl.lit("341702202306020011").alias("certno"),
        pl.lit(dt.datetime(2023, 7, 20, 9)).alias("setl_time"),
        pl.lit("21").alias("med_type"),
    )
    row = simulate_cases(claims).row(0, named=True)
    assert (row["age"], row["age_days"], row["weight"]) == (0, 48, None)
    older = claims.with_columns(pl.lit("341702195012310011").alias("certno"))
    assert simulate_cases(older).row(0, named=True)["age"] == 72  # birthday 31 Dec not yet reached
