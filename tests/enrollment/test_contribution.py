"""Contribution quotes, one test per rule, with the notices' own numbers."""

import pytest

from yibao.categories import CategoryError
from yibao.engine.contribution import QuoteError, quote

YUAN = 100


def q(library, code, year, *categories, tier=1, **kw):
    return quote(library.resolve(code, year), categories, tier, **kw)


# ---------------------------------------------------------------- 咸宁 2022 (咸医保发〔2022〕22号 三)
def test_xianning_2022_standard_is_350(library):
    assert q(library, "421200", 2022).standard == 350 * YUAN


def test_xianning_2022_tekun_full_subsidy_350(library):
    r = q(library, "421200", 2022, "特困人员")
    assert (r.assistance_subsidy, r.personal_due) == (350 * YUAN, 0)


def test_xianning_2022_orphan_counts_as_tekun_350(library):
    assert q(library, "421200", 2022, "孤儿").assistance_subsidy == 350 * YUAN


def test_xianning_2022_dibao_90_percent_315(library):
    r = q(library, "421200", 2022, "低保对象")
    assert (r.assistance_subsidy, r.personal_due) == (315 * YUAN, 35 * YUAN)


def test_xianning_2022_fanpin_zhipin_90_percent_315(library):
    assert q(library, "421200", 2022, "返贫致贫人口").assistance_subsidy == 315 * YUAN


@pytest.mark.parametrize("category", ["脱贫不稳定人口", "边缘易致贫人口", "突发严重困难人口"])
def test_xianning_2022_monitored_50_percent_175(library, category):
    assert q(library, "421200", 2022, category).assistance_subsidy == 175 * YUAN


def test_xianning_2022_stable_out_of_poverty_80_percent_of_2021_standard_128(library):
    r = q(library, "421200", 2022, "稳定脱贫人口")
    assert (r.assistance_subsidy, r.personal_due) == (128 * YUAN, 222 * YUAN)


def test_xianning_highest_applies_and_no_double_subsidy(library):
    # 就高不就低、不重复资助: 低保 315 beats 稳定脱贫 128; they are not added.
    r = q(library, "421200", 2022, "稳定脱贫人口", "低保对象")
    assert r.assistance_subsidy == 315 * YUAN
    assert r.applied_category == "低保对象"
    assert sorted(c.amount for c in r.candidates) == [128 * YUAN, 315 * YUAN]


def test_tie_goes_to_the_rule_listed_first(library):
    # 咸宁 lists 低保对象 before 返贫致贫人口, both 315.
    r = q(library, "421200", 2022, "返贫致贫人口", "低保对象")
    assert r.applied_category == "低保对象"


# ---------------------------------------------------------------- 池州 2023 (池医保发〔2023〕6号 一、4)
@pytest.mark.parametrize(
    ("category", "subsidy"),
    [("特困人员", 380), ("低保对象", 342), ("返贫致贫人口", 304), ("防止返贫监测对象", 190)],
)
def test_chizhou_category_shares_of_380(library, category, subsidy):
    # 特困 100%, 低保 90%, 返贫致贫 80%, 监测对象 50% of 380 元.
    r = q(library, "341700", 2023, category)
    assert r.standard == 380 * YUAN
    assert r.assistance_subsidy == subsidy * YUAN
    assert r.personal_due == (380 - subsidy) * YUAN


@pytest.mark.parametrize("kind", ["脱贫不稳定人口", "边缘易致贫人口", "突发严重困难人口"])
def test_chizhou_monitoring_rule_covers_its_three_kinds(library, kind):
    r = q(library, "341700", 2023, kind)
    assert r.assistance_subsidy == 190 * YUAN
    assert r.applied_category == "防止返贫监测对象"


def test_chizhou_fishermen_subsidy_only_in_guichi_and_dongzhi(library):
    assert q(library, "341702", 2023, "退捕渔民").assistance_subsidy == 380 * YUAN
    assert q(library, "341721", 2023, "退捕渔民").assistance_subsidy == 380 * YUAN
    assert q(library, "341722", 2023, "退捕渔民").assistance_subsidy == 0
    assert q(library, "341702", 2023, "退捕渔民").subsidy_fund == "退捕渔民安置保障资金"


def test_general_resident_pays_the_standard(library):
    r = q(library, "341700", 2023, "一般居民")
    assert (r.assistance_subsidy, r.personal_due, r.applied_category) == (0, 380 * YUAN, None)


# ---------------------------------------------------------------- 彭水 2023 (三（一）1)
@pytest.mark.parametrize(
    ("category", "subsidy"),
    [
        ("特困人员", 380),
        ("低保对象", 342),
        ("低保边缘家庭成员", 266),
        ("返贫致贫人口", 266),
        ("脱贫不稳定人口", 266),
        ("边缘易致贫人口", 266),
        ("突发严重困难人口", 266),
    ],
)
def test_pengshui_tier1_100_90_70_percent(library, category, subsidy):
    r = q(library, "500243", 2023, category, tier=1)
    assert r.assistance_subsidy == subsidy * YUAN
    assert r.personal_due == (380 - subsidy) * YUAN


@pytest.mark.parametrize("category", ["特困人员", "低保对象", "边缘易致贫人口"])
def test_pengshui_tier2_gets_100_percent_of_tier1_standard_and_pays_the_rest(library, category):
    r = q(library, "500243", 2023, category, tier=2)
    standard2 = library.resolve("500243", 2023).financing.personal_contribution.value["2"]
    assert r.standard == standard2
    assert r.assistance_subsidy == 380 * YUAN
    assert r.personal_due == standard2 - 380 * YUAN


@pytest.mark.parametrize("tier", [1, 2])
def test_pengshui_stable_out_of_poverty_fixed_50_from_linkage_funds(library, tier):
    r = q(library, "500243", 2023, "稳定脱贫人口", tier=tier)
    assert r.assistance_subsidy == 50 * YUAN
    assert r.subsidy_fund == "统筹衔接资金"


def test_pengshui_tier2_standard_is_marked_assumed(library):
    r = q(library, "500243", 2023, "低保对象", tier=2)
    assert any(c.item == "personal_contribution" for c in r.assumed)


# ---------------------------------------------------------------- 枣庄, 内蒙古
def test_zaozhuang_tekun_full_subsidy(library):
    assert q(library, "370400", 2023, "特困人员").personal_due == 0


def test_zaozhuang_dibao_fixed_subsidy_is_an_assumed_70_percent(library):
    r = q(library, "370400", 2023, "低保对象")
    assert r.assistance_subsidy == 266 * YUAN
    assert any(c.item == "assistance_subsidy.低保对象" for c in r.assumed)


def test_inner_mongolia_uses_national_rules_tekun_full(library):
    assert q(library, "150000", 2023, "特困人员").assistance_subsidy == 380 * YUAN


# ---------------------------------------------------------------- errors
def test_tier_that_does_not_exist_is_rejected(library):
    with pytest.raises(QuoteError, match="tier: 2"):
        q(library, "341700", 2023, tier=2)


def test_unknown_category_is_rejected(library):
    with pytest.raises(CategoryError, match="category"):
        q(library, "341700", 2023, "贵族")


def test_quote_json_contract(library):
    j = q(library, "421200", 2022, "低保对象").to_json()
    for key in (
        "region",
        "year",
        "tier",
        "standard",
        "assistance_subsidy",
        "personal_due",
        "applied_category",
        "fiscal_subsidy",
        "fiscal_shares",
        "sources",
    ):
        assert key in j
    assert set(j["fiscal_shares"]) == {"central", "provincial", "municipal", "county"}
    assert j["personal_due"] == 35.0
    assert j["fiscal_subsidy"] == 610.0
