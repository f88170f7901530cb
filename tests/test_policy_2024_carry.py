"""2023 notices carried into 2024 (issue 14 part 5): a 2024 file extends its 2023 file, so a
value a 2023 notice states comes along still cited to it. A 2023 notice governs 2024 only where
its clause says so; everything else it states is an assumption for 2024.

The check, over the resolved parameters of every region's 2024 policy (``Policy.params()``, the
same walk as ``render.flatten_policy``):

* a *2023 notice* is a document (``meta.documents``) whose title names 2023年 as the year it is
  for (关于做好2023年…的通知, 重庆市2023年度…通知); the code tables (医保办发〔2023〕国家编码,
  dated 2023 but for no year) are not;
* a parameter whose ``source`` is a 2023 notice must be ``assumed: true`` or have a ``clause``
  that names a year from 2024 on (到2025年, 2024年度, 保障周期为2024年1月1日至12月31日);
* in a list-valued parameter (资助 rules), each item that carries its own citation is checked
  the same way, with the parameter's source when the item names none, unless the parameter is
  assumed as a whole.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from yibao.policy import default_library
from yibao.policy.model import Param, Policy

YEAR = 2024


def _is_2023_notice(policy: Policy, source: str) -> bool:
    return "2023年" in policy.meta.documents.get(source, {}).get("title", "")


def _names_period_from(clause: str, year: int) -> bool:
    return any(int(y) >= year for y in re.findall(r"(20\d\d)年", clause))


def carried_2023_citations(policy: Policy) -> list[str]:
    """The values that cite a 2023 notice for ``policy``'s year without saying so or being
    assumed: ``path (source clause)``."""
    bad: list[str] = []

    def check(path: str, source: str, clause: str, assumed: bool) -> None:
        if assumed or not _is_2023_notice(policy, source):
            return
        if not _names_period_from(clause, policy.meta.year):
            bad.append(f"{path} ({source} {clause})")

    for param in policy.params():
        check(param.path, param.source, param.clause, param.assumed)
        if param.assumed or not isinstance(param.value, list):
            continue
        for i, item in enumerate(param.value):
            if hasattr(item, "clause") and hasattr(item, "assumed"):
                source = getattr(item, "source", "") or param.source
                check(f"{param.path}[{i}]", source, item.clause, item.assumed)
    return bad


def _regions(lib: Any) -> list[str]:
    return [region.code for region, years in lib.available() if YEAR in years]


@pytest.fixture(scope="module")
def lib():
    return default_library()


def test_every_region_has_2024(lib):
    assert {"000000", "150000", "341700", "370400", "421200", "500243"} <= set(_regions(lib))


@pytest.mark.parametrize(
    "code",
    (
        "000000",
        "150000",
        "340000",
        "341700",
        "370000",
        "370400",
        "420000",
        "421200",
        "500000",
        "500243",
    ),
)
def test_no_2023_value_cited_as_if_it_governed_2024(lib, code):
    policy = lib.resolve(code, YEAR)
    assert carried_2023_citations(policy) == []


def test_all_2024_regions_are_checked(lib):
    for code in _regions(lib):
        assert carried_2023_citations(lib.resolve(code, YEAR)) == [], code


def test_the_check_flags_a_2023_value_in_2024():
    # 2023 policies cite their own notices: seen as 2024, those are what the check must catch.
    lib = default_library()
    policy = lib.resolve("500243", 2023)
    as_2024 = policy.model_copy(update={"meta": policy.meta.model_copy(update={"year": YEAR})})
    flagged = carried_2023_citations(as_2024)
    assert any(p.startswith("benefits.county_inpatient_ratio_target ") for p in flagged)


def test_period_in_clause():
    assert _names_period_from("（四）（到2025年门诊慢特病平均支付比例达到65%）", 2024)
    assert _names_period_from("一、3（原则上，在2023年底前完成2024年度居民医保缴费）", 2024)
    assert not _names_period_from("二、6（住院费用基金支付比例稳定在70%左右）", 2024)
    assert not _names_period_from("五（2023年覆盖全部符合条件的医疗机构）", 2024)


def _param(policy: Policy, path: str) -> Param[Any]:
    return next(p for p in policy.params() if p.path == path)


@pytest.mark.parametrize(
    ("code", "path"),
    [
        ("341700", "benefits.inpatient_policy_ratio_target"),  # 二、6 70%左右
        ("500243", "benefits.county_inpatient_ratio_target"),  # 三（二）1 县域 70/80%
        ("500243", "targets.enrollment_rate"),  # 二 参保完成率95%
        ("500243", "critical_illness.deductible"),  # 三（二）2 16901元
        ("150000", "targets.drg_institution_coverage"),  # 五 2023年
        ("370400", "targets.low_income_enrollment_rate"),  # （六）99%
    ],
)
def test_carried_values_keep_value_and_become_assumed(lib, code, path):
    p23, p24 = _param(lib.resolve(code, 2023), path), _param(lib.resolve(code, YEAR), path)
    assert not p23.assumed
    assert p24.assumed and p24.value == p23.value
    assert p24.file == f"{code}/2024.yaml"
    assert "2024年无本地文件，沿用" in p24.note
    assert (p24.source, p24.clause) == (p23.source, p23.clause)  # still says where it came from


@pytest.mark.parametrize(
    ("code", "path"),
    [
        ("370400", "benefits.chronic_outpatient_ratio_target"),  # 到2025年 65%
        ("370400", "benefits.outpatient_cap_target"),  # 到2025年 300元
        ("341700", "enrollment.migrant_worker_deadline_month"),  # 2024年2月底
        ("341700", "enrollment.continuation_grace_months"),  # 一、3 the 2024 collection
    ],
)
def test_values_stated_for_2024_keep_their_citation(lib, code, path):
    assert not _param(lib.resolve(code, YEAR), path).assumed
