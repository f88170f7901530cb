"""Umbrella categories in settlement (issue 14, 1): 大病 倾斜 special groups and the 医疗救助 ratio
and deductible for a person tagged 防止返贫监测对象 (监测对象) — what every narrow kind agrees on,
refused (SettlementError naming ``categories``) where they differ.

彭水 2023 三（二）3: 特困人员、低保对象、返贫致贫人口 不低于70%，其他低收入人口（监测对象 among them）
不低于60%. 三（二）2: the 大病 tilt (起付线降低50%, +5个百分点, 不设封顶线) is for 特困人员、低保对象、
返贫致贫人口 only.
"""

from __future__ import annotations

import pytest

from tests.enrollment.test_umbrella_categories import with_value
from yibao.engine.settlement_rules import SettlementError, category_rules

KINDS = ("脱贫不稳定人口", "边缘易致贫人口", "突发严重困难人口")


@pytest.fixture(scope="module")
def pengshui(library):
    return library.resolve("500243", 2023)


def without_umbrella_assistance(policy):
    """彭水's 救助 table with the narrow kinds only (no 防止返贫监测对象 entry)."""
    ma = policy.medical_assistance
    ratios = {k: v for k, v in ma.ratio_by_category.value.items() if k != "防止返贫监测对象"}
    deds = {k: v for k, v in ma.deductible_by_category.value.items() if k != "防止返贫监测对象"}
    policy = with_value(policy, "medical_assistance", "ratio_by_category", ratios)
    return with_value(policy, "medical_assistance", "deductible_by_category", deds)


def test_pengshui_umbrella_assistance_ratio_sixty_percent(pengshui):
    rules = category_rules(pengshui, ("防止返贫监测对象",))
    assert rules.assistance_ratio_bp == 6_000  # 其他低收入人口不低于60%
    assert rules.assistance_category == "防止返贫监测对象"


def test_pengshui_umbrella_assistance_through_the_narrow_kinds(pengshui):
    policy = without_umbrella_assistance(pengshui)
    rules = category_rules(policy, ("防止返贫监测对象",))
    assert rules.assistance_ratio_bp == 6_000
    assert rules.assistance_deductible == 100_000  # 1000 元 (assumed)
    assert rules.assistance_category in KINDS


def test_umbrella_assistance_refused_when_narrow_ratios_differ(pengshui):
    policy = without_umbrella_assistance(pengshui)
    ratios = dict(policy.medical_assistance.ratio_by_category.value)
    ratios["突发严重困难人口"] = 7_000
    policy = with_value(policy, "medical_assistance", "ratio_by_category", ratios)
    with pytest.raises(SettlementError) as exc:
        category_rules(policy, ("防止返贫监测对象",))
    message = str(exc.value)
    assert message.startswith("categories: 防止返贫监测对象 在本地按细类给予不同待遇")
    assert "脱贫不稳定人口 救助比例60%、起付1,000.00元" in message
    assert "突发严重困难人口 救助比例70%" in message
    # a narrow kind settles
    assert category_rules(policy, ("突发严重困难人口",)).assistance_ratio_bp == 7_000


def test_pengshui_umbrella_no_critical_tilt(pengshui):
    # 三（二）2: the tilt is not for 监测对象 — neither narrow kind nor umbrella gets it.
    rules = category_rules(pengshui, ("防止返贫监测对象",))
    assert rules.critical_special == "" and rules.critical_deductible == 1_690_100


def test_umbrella_critical_tilt_when_every_kind_has_it(pengshui):
    policy = with_value(
        pengshui, "critical_illness", "special_groups", ["特困人员", "低保对象", *KINDS]
    )
    rules = category_rules(policy, ("监测对象",))
    assert rules.critical_special == "脱贫不稳定人口"
    assert rules.critical_deductible == 845_050  # 16901 × 50%
    assert rules.critical_ratios == (6_500, 7_500)  # +5 个百分点


def test_umbrella_critical_tilt_refused_when_only_some_kinds_have_it(pengshui):
    policy = with_value(
        pengshui, "critical_illness", "special_groups", ["特困人员", "脱贫不稳定人口"]
    )
    with pytest.raises(SettlementError, match=r"^categories: 防止返贫监测对象 在本地按细类"):
        category_rules(policy, ("防止返贫监测对象",))
