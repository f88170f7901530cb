"""The fund statement: revenue by source and level, expenditure by layer, balance."""

import polars as pl
import pytest

from yibao.engine.fund import FundError, fund_statement


def contributions(n: int, personal: int, subsidy: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "psn_no": [f"p{i}" for i in range(n)],
            "personal_paid": [personal] * n,
            "subsidy": [subsidy] * n,
            "subsidy_fund": ["医疗救助基金"] * n,
            "fiscal_central": [51_200] * n,
            "fiscal_provincial": [6_400] * n,
            "fiscal_municipal": [0] * n,
            "fiscal_county": [6_400] * n,
        }
    )


SETTLED = pl.DataFrame(
    {
        "med_type": ["21", "21", "11"],
        "medfee_sumamt": [1_000_000, 500_000, 10_000],
        "hifp_pay": [600_000, 300_000, 5_000],
        "hifmi_pay": [20_000, 0, 0],
        "maf_pay": [10_000, 0, 0],
    }
)


@pytest.fixture(scope="module")
def pengshui_policy(library):
    return library.resolve("500243", 2023)


def test_revenue_is_contributions_subsidies_and_fiscal_640(pengshui_policy):
    # 彭水 2023: 10 低保对象 pay 38 元 each, 医疗救助 pays 342 元 each; fiscal 640 元 each.
    s = fund_statement(SETTLED, contributions(10, 3_800, 34_200), pengshui_policy)
    assert s.personal_paid == 38_000
    assert s.assistance_subsidy == {"医疗救助基金": 342_000}
    assert sum(s.fiscal_subsidy.values()) == 640_000
    assert s.revenue == 10 * (38_000 + 64_000)


def test_expenditure_by_layer_and_med_type(pengshui_policy):
    s = fund_statement(SETTLED, contributions(10, 38_000, 0), pengshui_policy)
    assert s.expenditure_by_layer == {"hifp_pay": 905_000, "hifmi_pay": 20_000, "maf_pay": 10_000}
    assert s.expenditure_by_med_type["21"]["claims"] == 2
    assert s.expenditure_by_med_type["21"]["hifp_pay"] == 900_000


def test_basic_fund_pays_hifp_and_the_critical_illness_financing(pengshui_policy):
    s = fund_statement(SETTLED, contributions(10, 38_000, 0), pengshui_policy)
    per_capita = pengshui_policy.financing.critical_illness_financing_per_capita.value
    assert s.expenditure == 905_000 + 10 * per_capita
    assert s.surplus == s.revenue - s.expenditure


def test_months_covered_by_the_closing_balance(pengshui_policy):
    s = fund_statement(SETTLED, contributions(10, 38_000, 0), pengshui_policy, opening_balance=0)
    closing = s.surplus
    assert s.closing_balance == closing
    assert s.months_covered_tenths == round(closing * 120 / s.expenditure)


def test_missing_column_is_an_error_naming_it(pengshui_policy):
    with pytest.raises(FundError, match="hifmi_pay"):
        fund_statement(SETTLED.drop("hifmi_pay"), contributions(1, 1, 0), pengshui_policy)
