"""依申请救助 in 彭水 (issue 14, 4): 三（三）1 建立依申请救助机制，将发生高额医疗费用的易返贫致贫人口、
因高额医疗费用支出导致家庭基本生活出现严重困难的大病患者（因病致贫重病患者）纳入医疗救助范围 — both may
apply; 易返贫致贫人口 is the 防止返贫监测对象 (its three kinds). 枣庄 （六） names only 因病致贫重病患者."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.monitoring.test_application_assistance import claims
from yibao.categories import canonical
from yibao.engine.application_assistance import application_assistance

D = dt.date
ROWS = [("a", D(2022, 10, 3), 2_000_000, 0, 0)]  # 20000 元 policy-scope burden in the window


@pytest.fixture(scope="module")
def pengshui(library):
    return library.resolve("500243", 2023)


def test_yi_fan_pin_zhi_pin_is_the_monitored_umbrella():
    assert canonical("易返贫致贫人口") == "防止返贫监测对象"


@pytest.mark.parametrize(
    "tag", ["易返贫致贫人口", "脱贫不稳定人口", "边缘易致贫户", "因病致贫重病患者"]
)
def test_pengshui_san_san_1_yi_fan_pin_zhi_pin_may_apply(pengshui, tag):
    got = application_assistance("Z", [tag], D(2023, 9, 18), claims(ROWS), pengshui)
    ma = pengshui.medical_assistance
    assert got.eligible == 2_000_000
    # (20000 − 5000) × 50% = 7500 元 with the assumed national deductible and ratio
    expected = (2_000_000 - ma.application_deductible.value) * ma.application_ratio.value // 10_000
    assert got.assistance == expected == 750_000
    assert any("彭水" in s and "三（三）1" in s for s in got.sources)


def test_zaozhuang_liu_only_the_seriously_ill_may_apply(library):
    zaozhuang = library.resolve("370400", 2023)
    with pytest.raises(ValueError, match=r"^categories: Z is not a recognised 因病致贫重病患者"):
        application_assistance("Z", ["易返贫致贫人口"], D(2023, 9, 18), claims(ROWS), zaozhuang)


def test_pengshui_ordinary_resident_may_not_apply(pengshui):
    with pytest.raises(ValueError, match="categories"):
        application_assistance("Z", ["一般居民"], D(2023, 9, 18), claims(ROWS), pengshui)
