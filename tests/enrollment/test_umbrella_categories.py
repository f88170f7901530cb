"""Umbrella categories (issue 14, 1): a roster tag 监测对象 / 防止返贫监测对象 gets what every narrow
rule under it (脱贫不稳定人口、边缘易致贫人口、突发严重困难人口) agrees on; where they disagree the
input is refused, naming ``categories`` and asking for the narrow kind.

彭水 2023 三（一）1: 脱贫不稳定户、边缘易致贫户、突发严重困难户 按一档个人缴费标准的70%定额资助
(380 × 70% = 266 元); 二档 统一按一档标准的100%资助 (380 元). 三（一）2: the eight groups have no
waiting period. 咸宁 三: 脱贫不稳定人口、边缘易致贫人口、突发严重困难人口 按50%（2022: 175 元）.
"""

from __future__ import annotations

import datetime as dt

import pytest

from yibao.categories import CategoryError, applicable
from yibao.engine.contribution import QuoteError, quote
from yibao.engine.eligibility import EligibilityError, EnrollmentEvent, coverage_for

D = dt.date
KINDS = ("脱贫不稳定人口", "边缘易致贫人口", "突发严重困难人口")


def with_value(policy, section, name, value):
    """The policy with one parameter's value replaced (internal units: fen, basis points)."""
    part = getattr(policy, section)
    param = getattr(part, name).model_copy(update={"value": value})
    return policy.model_copy(update={section: part.model_copy(update={name: param})})


def with_rule_share(policy, category, share_bp):
    rules = [
        r.model_copy(update={"share": share_bp}) if r.category == category else r
        for r in policy.assistance_subsidy.rules.value
    ]
    return with_value(policy, "assistance_subsidy", "rules", rules)


# ---------------------------------------------------------------- the resolution function
def test_applicable_umbrella_through_its_narrow_kinds():
    found = applicable(list(KINDS), ["监测对象"])
    assert [a.index for a in found] == [0]
    assert found[0].person_category == "防止返贫监测对象" and found[0].through == KINDS


def test_applicable_umbrella_refused_when_a_kind_has_no_rule():
    with pytest.raises(
        CategoryError, match=r"^categories: 防止返贫监测对象 在本地按细类给予不同待遇"
    ):
        applicable(["脱贫不稳定人口"], ["防止返贫监测对象"])


def test_applicable_umbrella_rule_itself_is_preferred():
    found = applicable(["脱贫不稳定人口", "防止返贫监测对象"], ["防止返贫监测对象"])
    assert [(a.rule_category, a.through) for a in found] == [("防止返贫监测对象", ())]


def test_applicable_broad_rule_still_covers_a_narrow_tag():
    found = applicable(["防止返贫监测对象"], ["边缘易致贫户"])
    assert [(a.rule_category, a.person_category) for a in found] == [
        ("防止返贫监测对象", "边缘易致贫人口")
    ]


# ---------------------------------------------------------------- 彭水 subsidy
def test_pengshui_san_yi_umbrella_监测对象_subsidy(library):
    policy = library.resolve("500243", 2023)
    q = quote(policy, ["监测对象"], "1")
    assert q.standard == 38_000
    assert q.assistance_subsidy == 26_600  # 380 × 70%
    assert q.personal_due == 11_400
    assert q.subsidy_fund == "医疗救助基金"  # 低收入人口参保资助资金由医疗救助资金解决
    assert q.categories == ("防止返贫监测对象",)
    # the same as each narrow kind
    for kind in KINDS:
        assert quote(policy, [kind], "1").assistance_subsidy == 26_600


def test_pengshui_san_yi_umbrella_监测对象_tier2_gets_tier1_standard(library):
    policy = library.resolve("500243", 2023)
    q = quote(policy, ["防止返贫监测对象"], "2")
    assert q.assistance_subsidy == 38_000  # 一档个人缴费标准的100%
    assert q.personal_due == q.standard - 38_000


def test_pengshui_umbrella_with_dibao_highest_applies(library):
    # 就高不就低: 低保 90% (342 元) over the umbrella's 70% (266 元).
    q = quote(library.resolve("500243", 2023), ["监测对象", "低保对象"], "1")
    assert q.assistance_subsidy == 34_200 and q.applied_category == "低保对象"


# ---------------------------------------------------------------- 咸宁: the narrow rules agree
def test_xianning_umbrella_accepted_when_narrow_rules_agree(library):
    q2022 = quote(library.resolve("421200", 2022), ["防止返贫监测对象"], "1")
    assert q2022.assistance_subsidy == 17_500  # 350 × 50% = 175 元
    q2023 = quote(library.resolve("421200", 2023), ["监测对象"], "1")
    assert q2023.assistance_subsidy == 19_000  # 380 × 50%


def test_xianning_umbrella_refused_when_narrow_rules_differ(library):
    # Were 边缘易致贫人口 at 60% (210 元) and the other two at 50% (175 元), the umbrella could not
    # be quoted: the error names the field and each kind's amount.
    policy = with_rule_share(library.resolve("421200", 2022), "边缘易致贫人口", 6_000)
    with pytest.raises(QuoteError) as exc:
        quote(policy, ["防止返贫监测对象"], "1")
    message = str(exc.value)
    assert message.startswith("categories: 防止返贫监测对象 在本地按细类给予不同待遇")
    assert "脱贫不稳定人口 175.00元" in message and "边缘易致贫人口 210.00元" in message
    assert "请登记具体类别" in message
    # the narrow kinds themselves are quoted
    assert quote(policy, ["边缘易致贫人口"], "1").assistance_subsidy == 21_000


# ---------------------------------------------------------------- 彭水 waiting period
def test_pengshui_no_waiting_for_监测对象(library):
    policy = library.resolve("500243", 2023)
    event = EnrollmentEvent(2023, D(2023, 4, 10), categories=("监测对象",))
    c = coverage_for(event, policy)
    assert c.rule == "no_waiting_category"
    assert c.coverage_begin == D(2023, 4, 11) and c.waiting_until is None


def test_umbrella_waits_where_only_some_kinds_are_exempt(library):
    policy = library.resolve("500243", 2023)
    listed = [c for c in policy.enrollment.no_waiting_categories.value if c != "突发严重困难人口"]
    policy = with_value(policy, "enrollment", "no_waiting_categories", listed)
    with pytest.raises(EligibilityError, match=r"^categories: 防止返贫监测对象"):
        coverage_for(EnrollmentEvent(2023, D(2023, 4, 10), categories=("监测对象",)), policy)
