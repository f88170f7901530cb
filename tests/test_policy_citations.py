"""Assumptions may not look like facts: each value a held text does not state is assumed with a
note, and each citation names the clause that states that very value (the notices' numbers)."""

import pytest

from yibao.engine.contribution import quote
from yibao.policy import default_library
from yibao.policy.model import Policy

YUAN = 100


@pytest.fixture(scope="module")
def lib():
    return default_library()


def rule(policy: Policy, category: str):
    return next(r for r in policy.assistance_subsidy.rules.value if r.category == category)


# ---------------------------------------------------------------- 咸宁 咸医保发〔2022〕22号 三
def test_xianning_san_2023_dibao_342_is_assumed_not_cited_to_the_2022_315(lib):
    p = lib.resolve("421200", 2023)
    r = rule(p, "低保对象")
    assert r.assumed and "342元" in r.note and "315" not in r.clause
    assert (
        p.assistance_subsidy.rules.assumed and p.assistance_subsidy.rules.file == "421200/2023.yaml"
    )
    assert quote(p, ["低保对象"], 1).assistance_subsidy == 342 * YUAN
    # 2022 keeps the notice's own 315 with its clause.
    r22 = rule(lib.resolve("421200", 2022), "低保对象")
    assert not r22.assumed and "90%（315元）" in r22.clause


def test_xianning_san_stable_out_of_poverty_phases_out_128_then_assumed_80(lib):
    # 持续实行…稳定脱贫人口资助参保渐退政策: 2022 80% × 160 = 128; 2023 may not stay 128.
    q22 = quote(lib.resolve("421200", 2022), ["稳定脱贫人口"], 1)
    q23 = quote(lib.resolve("421200", 2023), ["稳定脱贫人口"], 1)
    assert q22.assistance_subsidy == 128 * YUAN
    assert q23.assistance_subsidy == 80 * YUAN
    r23 = rule(lib.resolve("421200", 2023), "稳定脱贫人口")
    assert r23.assumed and "渐退" in r23.note


def test_xianning_san_2024_shares_of_400_are_assumed(lib):
    p = lib.resolve("421200", 2024)
    amounts = {
        c: quote(p, [c], 1).assistance_subsidy for c in ("特困人员", "低保对象", "边缘易致贫人口")
    }
    assert amounts == {"特困人员": 400 * YUAN, "低保对象": 360 * YUAN, "边缘易致贫人口": 200 * YUAN}
    assert all(r.assumed for r in p.assistance_subsidy.rules.value)


def test_xianning_san_other_special_groups_listed_with_their_clause(lib):
    for year in (2022, 2023, 2024):
        g = lib.resolve("421200", year).assistance_subsidy.other_groups
        assert g.value == [
            "丧失劳动能力的残疾人",
            "严重精神障碍患者",
            "计划生育特殊困难家庭中经核定的特困家庭夫妻及其伤残子女",
        ]
        assert g.clause.startswith("三") and "咸政办发〔2017〕35号" in g.clause


def test_xianning_er_two_diseases_50_yuan_deductible_ends_with_2022(lib):
    # 二: 取消“两病”门诊50元起付标准, with the 2023 measures of the same sentence.
    by_year = {
        y: lib.resolve("421200", y).benefits.pools["two_diseases"].deductible
        for y in (2022, 2023, 2024)
    }
    assert by_year[2022].value == {"三级": 5000, "二级": 5000, "一级": 5000}
    assert by_year[2022].assumed  # the year it ends is read from the sentence
    assert by_year[2023].value == by_year[2024].value == {"三级": 0, "二级": 0, "一级": 0}
    assert not by_year[2023].assumed and "取消“两病”门诊50元起付标准" in by_year[2023].clause


def test_xianning_2023_increases_cite_the_2023_national_notice(lib):
    f = lib.resolve("421200", 2023).financing
    assert (f.personal_contribution_increase.value, f.personal_contribution_increase.source) == (
        3000,
        "医保发〔2023〕24号",
    )


# ---------------------------------------------------------------- 内蒙古 2023 notice 一
def test_inner_mongolia_yi_league_classes_not_attributed_to_46(lib):
    cs = lib.resolve("150000", 2023).fiscal_sharing.county_schemes
    assert cs.assumed and cs.source == "yibao"
    assert "内政发〔2018〕46号" in cs.note and "未持有" in cs.note


def test_inner_mongolia_yi_central_80_percent_from_the_notice(lib):
    g = lib.resolve("150000", 2023).fiscal_sharing.province_group
    assert (g.value, g.source, g.assumed) == ("1", "内蒙古医保局〔2023〕居民医保通知", False)
    assert "80%由中央财政补助" in g.clause


def test_inner_mongolia_yi_league_banner_halves_are_assumed(lib):
    schemes = lib.resolve("150000", 2023).fiscal_sharing.schemes
    assert schemes.assumed and "各半" in schemes.note


# ---------------------------------------------------------------- 池州 池医保发〔2023〕6号 一、1 and 二、7
def test_chizhou_yi_1_no_county_list_for_8_2_0(lib):
    cs = lib.resolve("341700", 2023).fiscal_sharing.county_schemes
    assert cs.value == {} and cs.assumed and "6:3:1" in cs.note


def test_chizhou_yi_1_central_60_percent_from_6_3_1(lib):
    g = lib.resolve("341700", 2023).fiscal_sharing.province_group
    assert (g.value, g.source, g.assumed) == ("2", "池医保发〔2023〕6号", False)
    assert "6:3:1" in g.clause


def test_chizhou_er_7_two_diseases_and_chronic_outpatient_exclusive(lib):
    for year in (2023, 2024):
        ex = lib.resolve("341700", year).benefits.exclusive_pools
        assert ex.value == [["two_diseases", "chronic_outpatient"]]
        assert ex.clause.startswith("二、7") and "避免重复报销" in ex.clause
    assert lib.resolve("421200", 2023).benefits.exclusive_pools.value == []


# ---------------------------------------------------------------- provinces without a held text
@pytest.mark.parametrize(("code", "group"), [("370000", "3"), ("420000", "2"), ("500000", "1")])
def test_province_groups_of_67_are_assumed_where_no_held_text_states_them(lib, code, group):
    g = lib.resolve(code, 2023).fiscal_sharing.province_group
    assert g.value == group and g.assumed and "67号" in g.note


# ---------------------------------------------------------------- 000000/2022.yaml notes
def test_national_2022_notes_do_not_speak_of_later_years(lib):
    p = lib.resolve("000000", 2022)
    for param in p.params():
        if param.file != "000000/2022.yaml" or param.path.startswith("monitoring."):
            continue  # monitoring: another section's notes
        for later in ("2023年", "2024年", "640", "1020"):
            assert later not in param.note, (param.path, param.note)
    assert "610+350" in p.financing.total_standard_min.note
