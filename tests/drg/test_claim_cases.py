"""The cases come from the claims' own 病案首页 columns when they carry them (the synthetic year
does), else they are derived (issue 18): errors name the claim and the field; nothing drawn for
what a claim says itself."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from yibao.claims import CASE_FIELDS, CLAIM_SCHEMA
from yibao.drg.case import CaseError
from yibao.drg.claim_cases import (
    FROM_CLAIMS,
    SYNTHETIC,
    carries_cases,
    case_frame,
    cases_from_claims,
    derived_count,
    with_cases,
)
from yibao.synth.cases import case_fields, simulate_cases, with_case_fields


def _claims(n: int = 6) -> pl.DataFrame:
    rows = [
        {
            "setl_id": f"S{i}",
            "certno": f"34170219{50 + i}0301001{i % 2 + 1}",
            "med_type": "21" if i % 3 else "11",
            "medfee_sumamt": 300_000 + 50_000 * i,
            "setl_time": dt.datetime(2023, 6, 20, 9),
            "begndate": dt.date(2023, 6, 14),
            "enddate": dt.date(2023, 6, 20),
        }
        for i in range(n)
    ]
    return pl.DataFrame(rows)


def test_the_synthetic_cases_round_trip_through_the_claim_columns():
    claims = with_case_fields(_claims())
    assert carries_cases(claims)
    inpatient = claims.filter(pl.col("med_type") == "21")
    assert inpatient["diseinfo_diag_code"].null_count() == 0
    assert claims.filter(pl.col("med_type") != "21")["diseinfo_diag_code"].null_count() == 2
    cases, source = case_frame(claims)
    assert source == FROM_CLAIMS
    assert cases.equals(simulate_cases(_claims()))


def test_the_claim_columns_are_lists_of_strings_main_code_first():
    fields = case_fields(simulate_cases(_claims()))
    row = fields.row(0, named=True)
    assert row["dscg_maindiag_code"] == row["diseinfo_diag_code"][0]
    assert all(
        isinstance(c, str) for c in row["diseinfo_diag_code"] + row["oprninfo_oprn_oprt_code"]
    )
    assert fields.columns == ["setl_id", *CASE_FIELDS]


def test_claims_without_the_columns_get_derived_cases():
    cases, source = case_frame(_claims())
    assert source == SYNTHETIC
    assert cases.equals(simulate_cases(_claims()))


def test_only_the_case_columns_are_added_and_the_rest_is_unchanged():
    claims = _claims()
    added = with_case_fields(claims)
    assert added.select(claims.columns).equals(claims)
    assert added.columns == [*claims.columns, *CASE_FIELDS]


def test_what_the_claim_says_is_used_and_the_gaps_are_the_claims_own_facts():
    claims = _claims().with_columns(
        pl.lit(None, pl.String).alias("gend"),
        pl.lit(None, pl.Int32).alias("age"),
        pl.lit(None, pl.Int32).alias("act_ipt_days"),
        pl.lit("5").alias("dscg_way"),
        pl.lit(None, pl.String).alias("dscg_maindiag_code"),
        pl.lit(["K35.800x001", "E11.900"]).alias("diseinfo_diag_code"),
        pl.lit(["47.0901"]).alias("oprninfo_oprn_oprt_code"),
    )
    row = cases_from_claims(claims).row(0, named=True)
    # S1: born 1951-03-01, odd 17th digit (male), 14 → 20 June
    assert row == {
        "setl_id": "S1", "gend": "1", "age": 72, "age_days": None, "weight": None, "los": 6,
        "leaving_type": "5", "diagnoses": "K35.800x001|E11.900", "procedures": "47.0901",
    }  # fmt: skip


def test_an_inpatient_claim_with_an_empty_diagnosis_list_is_an_error_naming_it():
    claims = with_case_fields(_claims()).with_columns(
        pl.when(pl.col("setl_id") == "S2")
        .then(pl.lit([], pl.List(pl.String)))
        .otherwise(pl.col("diseinfo_diag_code"))
        .alias("diseinfo_diag_code")
    )
    with pytest.raises(CaseError, match="病例 S2: diseinfo_diag_code"):
        case_frame(claims)


def test_claims_without_the_columns_next_to_claims_with_them_are_derived_and_counted():
    claims = with_case_fields(_claims()).with_columns(
        pl.when(pl.col("setl_id") == "S2")
        .then(pl.lit(None, pl.List(pl.String)))
        .otherwise(pl.col("diseinfo_diag_code"))
        .alias("diseinfo_diag_code")
    )
    cases, source = case_frame(claims)
    assert source.startswith(FROM_CLAIMS) and SYNTHETIC in source
    assert derived_count(source) == 1 and derived_count(FROM_CLAIMS) == 0
    assert derived_count(SYNTHETIC) == -1
    # the derived case is the one a claim file without any 病案首页 gives (same year's claims)
    whole = simulate_cases(_claims())
    assert cases.sort("setl_id").equals(whole.sort("setl_id"))


def test_a_main_diagnosis_that_is_not_the_first_is_an_error_naming_it():
    claims = with_case_fields(_claims()).with_columns(
        pl.when(pl.col("setl_id") == "S4")
        .then(pl.lit("Z00.000"))
        .otherwise(pl.col("dscg_maindiag_code"))
        .alias("dscg_maindiag_code")
    )
    with pytest.raises(CaseError, match="病例 S4: dscg_maindiag_code"):
        case_frame(claims)


def test_joining_drops_the_claims_case_columns_for_the_cases():
    claims = with_case_fields(_claims()).filter(pl.col("med_type") == "21")
    joined, source = with_cases(claims)
    assert source == FROM_CLAIMS
    assert not (set(CASE_FIELDS) - {"gend", "age"}) & set(joined.columns)
    assert {"diagnoses", "procedures", "los", "gend", "age"} <= set(joined.columns)
    assert joined["setl_id"].to_list() == claims["setl_id"].to_list()


def test_the_case_columns_are_part_of_the_claim_schema_and_optional():
    names = CLAIM_SCHEMA.names
    assert names[-len(CASE_FIELDS) :] == list(CASE_FIELDS)
    assert all(CLAIM_SCHEMA.field(n).nullable for n in CASE_FIELDS)


def test_claims_with_only_a_diagnosis_list_group_with_the_rest_from_the_claim():
    claims = _claims().with_columns(pl.lit(["N39.000"]).alias("diseinfo_diag_code"))
    cases = cases_from_claims(claims)
    assert cases["procedures"].to_list() == [""] * cases.height
    assert cases["leaving_type"].null_count() == cases.height  # parse_case defaults to 1
    assert cases.equals(cases_from_claims(claims.with_columns(pl.lit(None).alias("gend"))))


def test_claims_without_a_needed_column_are_an_error_naming_it():
    claims = (
        _claims().drop("setl_time").with_columns(pl.lit(["N39.000"]).alias("diseinfo_diag_code"))
    )
    with pytest.raises(CaseError, match="setl_time"):
        cases_from_claims(claims)
