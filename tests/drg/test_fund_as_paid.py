"""The fund statement's inpatient line as the fund pays it (issue 18): the DRG/DIP figures are
computed by yibao.drg.statement and passed into the pure engine; the existing figures stay."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from yibao.drg.statement import (
    inpatient_as_paid,
    pay_settlements,
    region_method,
    region_params,
)
from yibao.engine.fund import FISCAL_COLUMNS, InpatientAsPaid, fund_statement
from yibao.synth.county import simulate_county

REGION, YEAR = "500243", 2023


def _contributions() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "personal_paid": [38000, 38000],
            "subsidy": [0, 38000],
            "subsidy_fund": ["", "医疗救助基金"],
            **{col: [64000, 64000] for col in FISCAL_COLUMNS.values()},
        }
    )


def _spent() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "med_type": ["11", "21", "21"],
            "hifp_pay": [5000, 600000, 400000],
            "hifmi_pay": [0, 0, 0],
            "maf_pay": [0, 10000, 0],
        }
    )


def test_the_inpatient_line_as_paid_adds_its_figures_with_real_numbers(library):
    policy = library.resolve(REGION, YEAR)
    # The fund paid 10,000.00 on the inpatient claims; by points it pays 9,200.50 to hospitals
    # and 300.00 按项目 on an ungrouped case: 799.50 less than the claims add up to.
    paid = InpatientAsPaid(
        method="drg", claim_level_fen=1_000_000, by_points_fen=920_050, by_project_fen=30_000,
        point_value=Decimal("86.69746"), budget_fen=920_050,
    )  # fmt: skip
    st = fund_statement(_spent(), _contributions(), policy, inpatient_as_paid=paid)
    assert paid.as_paid_fen == 950_050
    assert paid.difference_fen == -49_950
    doc = st.to_json()["inpatient_as_paid"]
    assert doc == {
        "method": "drg", "claim_level": 10000.0, "paid_by_points": 9200.5,
        "paid_by_project": 300.0, "as_paid": 9500.5, "difference": -499.5,
        "point_value": 86.6975, "budget": 9200.5,
    }  # fmt: skip


def test_without_the_figure_the_statement_is_unchanged(library):
    policy = library.resolve(REGION, YEAR)
    plain = fund_statement(_spent(), _contributions(), policy).to_json()
    paid = InpatientAsPaid("drg", 1_000_000, 1_000_000, 0, Decimal(1), 1_000_000)
    given = fund_statement(_spent(), _contributions(), policy, inpatient_as_paid=paid).to_json()
    assert "inpatient_as_paid" not in plain
    assert {k: v for k, v in given.items() if k != "inpatient_as_paid"} == plain
    assert plain["expenditure"]["by_layer"]["hifp_pay"] == 10050.0


@pytest.fixture(scope="module")
def settled(library) -> pl.DataFrame:
    """A small county's inpatient claims with a basic-fund payment of 60% (fen, integers)."""
    county = simulate_county(REGION, YEAR, 600, seed=8, library=library)
    claims = county.claims.filter(pl.col("med_type") == "21")
    assert claims.height > 20
    return claims.with_columns((pl.col("medfee_sumamt") * 6 // 10).alias("hifp_pay"))


def test_the_fund_pays_the_budget_by_points_and_the_difference_is_against_the_claims(settled):
    assert region_method(REGION) is None  # 彭水: no params file, the national defaults
    claim_level = int(settled["hifp_pay"].sum())
    budget = claim_level - 123_456_78  # the budget: 123,456.78 yuan less than the claims
    result, doc = pay_settlements(settled, REGION, YEAR, budget_fen=budget)
    paid = inpatient_as_paid(result, "drg")
    assert paid.claim_level_fen == claim_level
    # The hospitals' payments add up to the budget to the fen; ungrouped cases are 按项目.
    assert paid.by_points_fen == budget
    assert paid.as_paid_fen == budget + paid.by_project_fen
    assert paid.difference_fen == budget + paid.by_project_fen - claim_level
    assert doc["fund"]["difference"] == paid.difference_fen / 100
    assert doc["cases_source"].startswith("claims")  # the synthetic year carries its 病案首页
    assert doc["params_region"] == "000000"


def test_claims_without_a_medical_record_get_derived_cases_and_say_so(settled):
    from yibao.claims import CASE_FIELDS

    _, with_fields = pay_settlements(settled, REGION, YEAR)
    _, derived = pay_settlements(settled.drop(CASE_FIELDS), REGION, YEAR)
    assert derived["cases_source"].startswith("synthetic")
    # The carried fields are the same draws as the derivation over the same year's claims.
    assert derived["groups"] == with_fields["groups"]


def test_without_a_budget_the_total_is_the_claims_and_hospitals_differ(settled):
    result, _ = pay_settlements(settled, REGION, YEAR)
    paid = inpatient_as_paid(result, "drg")
    assert paid.difference_fen == 0  # budget_rule fund_paid: the grouped cases' hifp_pay
    assert any(h.payment_fen != h.fund_claims_fen for h in result.settlement.hospitals)


def test_the_method_is_the_regions_and_a_region_without_a_file_gets_the_national_defaults():
    assert region_method("421200") == "dip"  # 咸宁 pays by DIP
    assert region_method("341700") == "drg"  # 池州 by CHS-DRG
    assert region_params(REGION, "drg").region == "000000"
    assert region_params("341700", "drg").region == "341700"


def test_as_paid_for_year_on_the_demos_frames(library):
    """The call the demo makes: settle_year's settlements and the year's claims."""
    from yibao.drg.statement import as_paid_for_year
    from yibao.engine.settlement import settle_year

    county = simulate_county(REGION, YEAR, 600, seed=8, library=library)
    settlements, _ = settle_year(county.claims, library)
    assert as_paid_for_year(settlements, county.claims, REGION, YEAR) is None  # no params file
    paid = as_paid_for_year(settlements, county.claims, REGION, YEAR, assume_drg=True)
    assert paid is not None and paid.method == "drg"
    inpatient = settlements.filter(pl.col("covered") & (pl.col("med_type") == "21"))
    assert paid.claim_level_fen == int(inpatient["hifp_pay"].sum())
    assert paid.difference_fen == 0  # budget_rule fund_paid
    other_year = as_paid_for_year(settlements, county.claims, REGION, YEAR + 1, assume_drg=True)
    assert other_year is None  # no inpatient case settled that year


def test_the_json_point_value_is_rounded_half_up_by_the_one_rule():
    from decimal import Decimal

    from yibao.engine.fund import InpatientAsPaid

    tie = InpatientAsPaid("drg", 100, 100, 0, Decimal("1.23445"), 100)
    assert tie.to_json()["point_value"] == 1.2345  # half-even would give 1.2344
