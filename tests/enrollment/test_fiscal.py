"""Fiscal subsidy sharing, each split as the notices print it."""

import pytest

from yibao.engine.fiscal import SharingError, choose_scheme, population_shares, split
from yibao.policy.model import SharingScheme

YUAN = 100


def shares(library, code, year, **kw):
    policy = library.resolve(code, year)
    choice = choose_scheme(policy, **kw)
    return choice.name, split(policy.financing.fiscal_subsidy_per_capita.value, choice.scheme)


def test_chizhou_6_3_1_of_640(library):
    name, s = shares(library, "341700", 2023)
    assert name == "一般县区"
    assert (s.central, s.provincial, s.municipal, s.county) == (
        384 * YUAN,
        192 * YUAN,
        0,
        64 * YUAN,
    )


def test_chizhou_western_policy_counties_8_2_0(library):
    _, s = shares(library, "341700", 2023, scheme="比照西部开发政策县")
    assert (s.central, s.provincial, s.municipal, s.county) == (512 * YUAN, 128 * YUAN, 0, 0)


def test_chizhou_provincial_university_students_6_4(library):
    name, s = shares(library, "341700", 2023, student="省属高校")
    assert name == "省属高校大学生"
    assert (s.central, s.provincial, s.municipal, s.county) == (384 * YUAN, 256 * YUAN, 0, 0)


def test_chizhou_municipal_university_students_6_2_2(library):
    _, s = shares(library, "341700", 2023, student="市属高校")
    assert (s.central, s.provincial, s.municipal, s.county) == (
        384 * YUAN,
        128 * YUAN,
        128 * YUAN,
        0,
    )


@pytest.mark.parametrize(
    ("city", "provincial", "local"),
    [("150100", 3840, 8960), ("150400", 6400, 6400), ("152200", 8960, 3840)],
)
def test_inner_mongolia_80_percent_central_then_30_50_70_percent_by_area_class(
    library, city, provincial, local
):
    # 640 元: central 80% = 512; the other 128 元: 自治区 30% / 50% / 70%, the rest 盟市+旗县.
    _, s = shares(library, city, 2023)
    assert s.central == 512 * YUAN
    assert s.provincial == provincial
    assert s.municipal + s.county == local


def test_inner_mongolia_county_inherits_its_league_class(library):
    name, _ = shares(library, "150781", 2023)  # 满洲里 in 呼伦贝尔 (二类)
    assert name == "二类地区"


def test_hubei_out_of_poverty_county_6_4_after_central_60_percent(library):
    # 咸宁 2022, 610 元: central 366; the local 244: province 60% = 146.40, county 97.60.
    name, s = shares(library, "421222", 2022)
    assert name == "脱贫县"
    assert (s.central, s.provincial, s.county) == (36600, 14640, 9760)


def test_hubei_other_county_5_5(library):
    name, s = shares(library, "421202", 2022)
    assert name == "一般县"
    assert (s.central, s.provincial, s.county) == (36600, 12200, 12200)


def test_shares_add_up_to_the_fen_on_an_awkward_amount():
    scheme = SharingScheme(parts={"central": 6, "provincial": 3, "county": 1})
    s = split(1, scheme)
    assert s.central + s.provincial + s.municipal + s.county == 1
    cascade = SharingScheme.model_validate(
        {
            "cascade": [
                {"level": "central", "share_of_remainder": 0.8},
                {"level": "provincial", "share_of_remainder": 0.3},
                {"level": "municipal", "share_of_remainder": 0.5},
                {"level": "county", "share_of_remainder": 1},
            ]
        }
    )
    for total in (1, 7, 99, 64001):
        t = split(total, cascade)
        assert t.central + t.provincial + t.municipal + t.county == total


def test_population_is_split_once_per_scheme_group(library):
    policy = library.resolve("341700", 2023)
    groups = population_shares(
        policy.financing.fiscal_subsidy_per_capita.value,
        {"一般县区": 1000, "比照西部开发政策县": 10},
        policy.fiscal_sharing.schemes.value,
    )
    assert groups["一般县区"].central == 384 * YUAN * 1000
    assert groups["比照西部开发政策县"].provincial == 128 * YUAN * 10


def test_unknown_scheme_is_rejected(library):
    with pytest.raises(SharingError, match="scheme"):
        shares(library, "341700", 2023, scheme="火星")


def test_unknown_student_kind_is_rejected(library):
    with pytest.raises(SharingError, match="student"):
        shares(library, "421200", 2022, student="省属高校")
