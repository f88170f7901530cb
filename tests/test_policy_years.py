"""Policy files are keyed by the coverage year they govern (DESIGN.md "Policy years"), and every
region has a 2024 file: the notices' own numbers for the year each clause applies to."""

import datetime as dt

import pytest

from yibao.engine.eligibility import (
    EnrollmentEvent,
    collection_period,
    coverage_for,
    coverage_period,
)
from yibao.policy import default_library

D = dt.date
REGIONS = ("341700", "150000", "370400", "421200", "500243")
COUNTIES = ("341702", "341723", "150781", "370481", "421223", "421281")


@pytest.fixture(scope="module")
def lib():
    return default_library()


# ---------------------------------------------------------------- 池州 池医保发〔2023〕6号 一、3
def test_chizhou_yi_3_migrant_deadline_2024_02_29(lib):
    # 外出务工人员 … 筹资时间可延长到2024年2月底: 2024 is a leap year.
    policy = lib.resolve("341700", 2024)
    ok = coverage_for(EnrollmentEvent(2024, D(2024, 2, 29), "migrant_worker"), policy)
    late = coverage_for(EnrollmentEvent(2024, D(2024, 3, 1), "migrant_worker"), policy)
    assert (ok.rule, ok.coverage_begin, ok.coverage_end) == (
        "migrant_extension",
        D(2024, 1, 1),
        D(2024, 12, 31),
    )
    assert "截至2024-02-29" in ok.reason
    assert late.rule != "migrant_extension"
    param = policy.enrollment.migrant_worker_deadline_month
    assert (param.value, param.source, param.assumed) == (2, "池医保发〔2023〕6号", False)
    assert "2024年2月底" in param.clause and param.file == "341700/2024.yaml"


def test_chizhou_yi_3_collection_by_end_of_2023_for_coverage_year_2024(lib):
    # 在2023年底前完成2024年度居民医保缴费，保障周期为2024年1月1日至12月31日.
    policy = lib.resolve("341700", 2024)
    assert collection_period(policy)[1] == D(2023, 12, 31)
    assert coverage_period(policy) == (D(2024, 1, 1), D(2024, 12, 31))
    assert (policy.meta.coverage_from, policy.meta.coverage_to) == (D(2024, 1, 1), D(2024, 12, 31))
    on_time = coverage_for(EnrollmentEvent(2024, D(2023, 12, 31)), policy)
    assert (on_time.rule, on_time.coverage_begin) == ("on_time", D(2024, 1, 1))
    assert "2023年底前完成2024年度" in policy.enrollment.collection_end.clause


def test_chizhou_yi_3_is_not_the_2023_coverage_year(lib):
    # The 2023 file may not cite 一、3 as if it stated the 2023 collection.
    e = lib.resolve("341700", 2023).enrollment
    for name in ("collection_end", "migrant_worker_deadline_month", "continuation_grace_months"):
        param = getattr(e, name)
        assert param.assumed and "2024年度" in param.note, name


def test_chizhou_yi_3_continuation_3_months_in_2024(lib):
    e = lib.resolve("341700", 2024).enrollment
    assert (e.continuation_grace_months.value, e.continuation_waiting_months.value) == (3, 3)
    assert e.continuation_grace_months.clause.startswith("一、3")


# ---------------------------------------------------------------- 内蒙古 2023 notice 一, for 2024
def test_inner_mongolia_yi_2024_personal_contribution_at_least_400(lib):
    p = lib.resolve("150000", 2024).financing.personal_contribution
    assert p.value == {"1": 40000}
    assert not p.assumed and "原则上每人每年不低于400元" in p.clause
    assert p.file == "150000/2024.yaml"


def test_inner_mongolia_yi_shortfall_below_380_made_up_in_2024_collection(lib):
    f = lib.resolve("150000", 2024).financing
    assert f.previous_year_shortfall_standard.value == 38000
    assert "在征收2024年居民医保费时" in f.previous_year_shortfall_standard.clause
    assert lib.resolve("150000", 2023).financing.previous_year_shortfall_standard.value is None


# ---------------------------------------------------------------- every region in 2024
@pytest.mark.parametrize("code", (*REGIONS, *COUNTIES))
def test_every_region_resolves_2024_with_national_670_and_400(lib, code):
    # 医保发〔2024〕19号: 财政补助不低于670元，个人缴费不低于400元.
    p = lib.resolve(code, 2024)
    assert p.meta.year == 2024
    assert (p.meta.coverage_from, p.meta.coverage_to) == (D(2024, 1, 1), D(2024, 12, 31))
    assert p.financing.fiscal_subsidy_per_capita.value == 67000
    assert p.financing.personal_contribution.value["1"] == 40000
    assert p.fiscal_sharing.province_group.value is not None


def test_chongqing_2024_tier2_keeps_the_tier_gap_and_is_assumed(lib):
    p = lib.resolve("500243", 2024).financing.personal_contribution
    assert p.value == {"1": 40000, "2": 75500}
    assert p.assumed


def test_a_january_2024_settlement_of_a_december_admission_has_a_policy(lib):
    assert lib.resolve_at("341700", D(2024, 1, 10)).meta.year == 2024


def test_policy_years_of_every_region_include_2024(lib):
    for code in (*REGIONS, "340000", "370000", "420000", "500000", "000000"):
        assert 2024 in lib.years_of(code), code


def test_meta_coverage_is_derived_from_enrollment_dates(lib):
    for code, year in lib.check_all():
        p = lib.resolve(code, year)
        assert p.meta.coverage_from == coverage_period(p)[0], (code, year)
        assert p.meta.coverage_to == coverage_period(p)[1], (code, year)
