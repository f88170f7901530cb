"""The national 2022 file cites 医保发〔2022〕20号, a notice we do not hold (issue 14 part 5).

A search of the stored public pages and documentation for its text ("医保发〔2022〕20号 居民医保
2022年 人均财政补助 610元 个人缴费 350元", "关于做好2022年城乡居民基本医疗保障工作的通知 国家医保局")
found no page that states its figures or its clause numbering. So every value the file takes from
it is assumed, with a note saying what it rests on: the summary of the national notices in
/work/shared/seeds/README.md (2022: 610 and 350) for the standards, common knowledge (and the held
local notices that say the same) for the rest.
"""

from __future__ import annotations

from typing import Any

import pytest

from yibao.policy import default_library
from yibao.policy.model import Param

NOTICE = "医保发〔2022〕20号"
FILE = "000000/2022.yaml"


@pytest.fixture(scope="module")
def national_2022() -> list[Param[Any]]:
    policy = default_library().resolve("000000", 2022)
    return [p for p in policy.params() if p.file == FILE and p.source == NOTICE]


def test_values_from_the_unheld_notice_are_assumed(national_2022):
    assert national_2022, "the file still takes values from 医保发〔2022〕20号"
    cited = [p.path for p in national_2022 if not p.assumed]
    assert cited == []


def test_each_note_says_the_notice_is_not_held_and_what_the_value_rests_on(national_2022):
    for param in national_2022:
        assert "原文未持有" in param.note, param.path
        assert "条款号未核实" in param.note, param.path
        assert "README.md" in param.note or "常识" in param.note, param.path


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("financing.fiscal_subsidy_per_capita", 610_00),
        ("financing.personal_contribution", {"1": 350_00}),
        ("financing.fiscal_subsidy_increase", 30_00),
        ("financing.personal_contribution_increase", 30_00),
    ],
)
def test_standards_are_the_seeds_summary(national_2022, path, value):
    param = next(p for p in national_2022 if p.path == path)
    assert param.value == value
    assert "/work/shared/seeds/README.md" in param.note
    assert "610" in param.note and "350" in param.note


def test_the_2022_standards_still_resolve_for_a_region_of_2022():
    # 咸宁 2022 states the same standards in a text we hold (咸医保发〔2022〕22号 一).
    policy = default_library().resolve("421200", 2022)
    assert policy.financing.fiscal_subsidy_per_capita.value >= 610_00
