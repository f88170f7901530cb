"""Each encoded number checked against the notice that states it."""

import pytest

from yibao.policy import default_library
from yibao.policy.model import Policy


@pytest.fixture(scope="module")
def lib():
    return default_library()


def subsidy(policy: Policy, category: str):
    return next(r for r in policy.assistance_subsidy.rules.value if r.category == category)


def test_every_policy_file_resolves(lib):
    assert len(lib.check_all()) >= 14


def test_national_standards_by_year(lib):
    for year, fiscal, personal in (
        (2022, 61000, 35000),
        (2023, 64000, 38000),
        (2024, 67000, 40000),
    ):
        p = lib.resolve("000000", year)
        assert p.financing.fiscal_subsidy_per_capita.value == fiscal
        assert p.financing.personal_contribution.value["1"] == personal


def test_2024_is_added_by_a_file_alone(lib):
    p = lib.resolve("000000", 2024)
    assert p.meta.files[-1] == "000000/2024.yaml"
    assert p.financing.personal_contribution.source == "医保发〔2024〕19号"
    assert p.financing.personal_contribution_increase.value == 2000


def test_chizhou_2023(lib):
    p = lib.resolve("341700", 2023)
    assert p.financing.fiscal_subsidy_per_capita.value == 64000
    assert p.financing.personal_contribution.value == {"1": 38000}
    schemes = p.fiscal_sharing.schemes.value
    assert schemes["一般县区"].parts == {"central": 6, "provincial": 3, "municipal": 0, "county": 1}
    assert schemes["比照西部开发政策县"].parts == {
        "central": 8,
        "provincial": 2,
        "municipal": 0,
        "county": 0,
    }
    assert schemes["省属高校大学生"].parts == {"central": 6, "provincial": 4}
    assert schemes["市属高校大学生"].parts == {"central": 6, "provincial": 2, "municipal": 2}
    assert subsidy(p, "特困人员").share == 10000
    assert subsidy(p, "低保对象").share == 9000
    assert subsidy(p, "返贫致贫人口").share == 8000
    assert subsidy(p, "防止返贫监测对象").share == 5000
    assert p.enrollment.migrant_worker_deadline_month.value == 2
    assert p.enrollment.continuation_grace_months.value == 3
    assert p.enrollment.continuation_waiting_months.value == 3
    assert p.enrollment.newborn_grace_days.value == 90
    assert p.benefits.inpatient_policy_ratio_target.value == 7000
    assert p.financing.fiscal_subsidy_per_capita.source == "池医保发〔2023〕6号"


def test_inner_mongolia_2023(lib):
    p = lib.resolve("150000", 2023)
    assert p.financing.total_standard_min.value == 102000
    assert p.financing.next_year_personal_contribution_min.value == 40000
    assert p.financing.shortfall_makeup_next_year.value is True
    schemes = p.fiscal_sharing.schemes.value
    for name, provincial in (("一类地区", 3000), ("二类地区", 5000), ("三类地区", 7000)):
        steps = {s.level: s.share_of_remainder for s in schemes[name].cascade}
        assert steps["central"] == 8000
        assert steps["provincial"] == provincial
    assert p.targets.drg_disease_coverage.value == 8000
    assert p.targets.drg_fund_share.value == 5000
    assert p.targets.e_prescription_min_institutions.value == 5
    assert p.targets.e_prescription_min_pharmacies.value == 10


def test_zaozhuang_2023(lib):
    p = lib.resolve("370400", 2023)
    assert p.financing.personal_contribution.value["1"] == 38000
    assert subsidy(p, "特困人员").share == 10000
    assert p.enrollment.transfer_in_benefit_start.value == "next_month"
    assert p.benefits.outpatient_cap_target.value == 30000
    assert p.benefits.chronic_outpatient_ratio_target.value == 6500
    assert p.medical_assistance.application_lookback_months.value == 12
    assert p.medical_assistance.application_lookback_months.assumed is False
    assert p.targets.low_income_enrollment_rate.value == 9900
    assert p.targets.drg_fund_share.value == 7000
    assert p.fiscal_sharing.province_group.value == "3"


def test_xianning_2022(lib):
    p = lib.resolve("421200", 2022)
    assert p.financing.fiscal_subsidy_per_capita.value == 61000
    assert p.financing.personal_contribution.value["1"] == 35000
    assert subsidy(p, "特困人员").share == 10000  # 350 元 全额
    assert subsidy(p, "低保对象").share == 9000  # 315 元
    assert subsidy(p, "脱贫不稳定人口").share == 5000  # 175 元
    stable = subsidy(p, "稳定脱贫人口")
    assert (stable.share, stable.base_amount) == (8000, 16000)  # 80% × 160 = 128 元
    schemes = p.fiscal_sharing.schemes.value
    assert {s.level: s.share_of_remainder for s in schemes["脱贫县"].cascade}["provincial"] == 6000
    assert {s.level: s.share_of_remainder for s in schemes["一般县"].cascade}["provincial"] == 5000
    pools = p.benefits.pools.value
    # 二: 两病 50 元起付标准 is cancelled with the 2023 measures of the same sentence.
    assert pools["two_diseases"].deductible == {"三级": 5000, "二级": 5000, "一级": 5000}
    assert pools["maternity"].annual_cap["1"] == 90000
    assert "chronic_outpatient" in p.critical_illness.included_pools.value
    assert (
        p.assistance_subsidy.highest_applies.value and p.assistance_subsidy.no_double_subsidy.value
    )


def test_xianning_2023_outpatient_and_maternity(lib):
    p = lib.resolve("421200", 2023)
    pools = p.benefits.pools.value
    assert pools["outpatient_general"].annual_cap["1"] == 35000
    assert pools["outpatient_general"].daily_cap == {"二级": 5000}
    assert pools["maternity"].annual_cap["1"] == 100000
    assert p.financing.personal_contribution.value["1"] == 38000


def test_pengshui_2023(lib):
    p = lib.resolve("500243", 2023)
    assert subsidy(p, "特困人员").share == 10000
    assert subsidy(p, "低保对象").share == 9000
    for cat in (
        "低保边缘家庭成员",
        "返贫致贫人口",
        "脱贫不稳定人口",
        "边缘易致贫人口",
        "突发严重困难人口",
    ):
        rule = subsidy(p, cat)
        assert rule.share == 7000 and rule.tier2 == "share_of_tier1" and rule.tier2_share == 10000
    stable = subsidy(p, "稳定脱贫人口")
    assert (stable.kind, stable.amount, stable.fund) == ("fixed", 5000, "统筹衔接资金")
    assert p.assistance_subsidy.no_top_up_after_change.value is True
    pools = p.benefits.pools.value
    assert pools["outpatient_general"].annual_cap == {"1": 30000, "2": 50000}
    assert p.benefits.county_inpatient_ratio_target.value == {"二级": 7000, "一级": 8000}
    ci = p.critical_illness
    assert ci.deductible.value == 1690100 and ci.deductible.assumed is False
    assert (
        ci.special_deductible_factor.value,
        ci.special_ratio_add.value,
        ci.special_no_cap.value,
    ) == (5000, 500, True)
    assert set(ci.special_groups.value) == {"特困人员", "低保对象", "返贫致贫人口"}
    ratios = p.medical_assistance.ratio_by_category.value
    assert ratios["特困人员"] == ratios["低保对象"] == ratios["返贫致贫人口"] == 7000
    assert ratios["边缘易致贫人口"] == 6000
    assert p.monitoring.warning_multiple.value == 20000
    assert p.monitoring.followup_months_after_risk_eliminated.value == 12
    assert p.targets.enrollment_rate.value == 9500
    assert p.targets.eight_categories_enrollment_rate.value == 10000
    assert len(p.enrollment.no_waiting_categories.value) == 9
    assert p.assistance_subsidy.commercial_supplement.value["渝快保普惠款"]["监测对象"] == 6900


def test_every_value_has_a_source_and_assumed_ones_a_note(lib):
    for code, year in lib.check_all():
        for param in lib.resolve(code, year).params():
            assert param.source, (code, year, param.path)
            assert param.assumed or param.clause, (code, year, param.path)
            assert not param.assumed or param.note, (code, year, param.path)


def test_county_without_file_inherits_its_city(lib):
    p = lib.resolve("421222", 2022)
    assert p.meta.chain == ("000000", "420000", "421200", "421222")
    assert p.financing.personal_contribution.value["1"] == 35000
