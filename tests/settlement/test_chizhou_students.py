"""池州 二、9: 大中小学学生 care at the 学籍地, 户籍地, 就业见习地 or 实习地 is paid at the 参保地's
local rates (享受参保地规定的本地就医时的标准).

yibao has no 异地就医 reduction yet (it comes with the hospital-interface issue): every claim of a
池州 insured is paid at 池州's local rates today, wherever the care was. The clause is therefore
policy data, ``benefits.student_local_places``, for the 异地 reduction to read when it exists (a
student's care in one of these places is then exempt from it). Until then these tests pin that a
池州 在校学生 is paid exactly like any local resident, and that the parameter says where.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.settlement.conftest import claim, fen, settle
from yibao.policy import default_library

PLACES = ["学籍地", "户籍地", "就业见习地", "实习地"]


def _amounts(s):
    return {k: v for k, v in s.setlinfo.items() if k not in ("setl_id", "psn_no")}


@pytest.mark.parametrize("year", [2023, 2024])
@pytest.mark.parametrize(
    ("hosp_lv", "total"),
    [("02", 300000), ("05", 20000), ("08", 5000)],  # 三级 (with 大病), 二级, 一级
)
def test_student_inpatient_claim_paid_like_a_local_resident(year, hosp_lv, total):
    when = dt.datetime(year, 6, 1, 10)
    resident, _ = settle(claim("341700", total=total, hosp_lv=hosp_lv, when=when))
    student, _ = settle(
        claim("341700", total=total, hosp_lv=hosp_lv, when=when, categories="在校学生")
    )
    assert _amounts(student) == _amounts(resident)


def test_student_secondary_hospital_hand_checked():
    # 二级 (assumed 安徽 values): (20000 − 500) × 80 % = 15600; below the 大病 deductible.
    s, _ = settle(claim("341700", total=20000, hosp_lv="05", categories="在校学生"))
    i = s.setlinfo
    assert (i["act_pay_dedc"], i["hifp_pay"], i["hifmi_pay"], i["psn_part_amt"]) == (
        fen(500),
        fen(15600),
        0,
        fen(4400),
    )


def test_the_clause_is_policy_data():
    lib = default_library()
    p23 = lib.resolve("341700", 2023).benefits.student_local_places
    assert p23.value == PLACES
    assert (p23.source, p23.assumed) == ("池医保发〔2023〕6号", False)
    assert p23.clause.startswith("二、9")
    p24 = lib.resolve("341700", 2024).benefits.student_local_places
    assert p24.value == PLACES and p24.assumed  # a 2023 notice's value, carried into 2024
    for county in ("341702", "341723"):  # 市级统筹: the counties inherit it
        assert lib.resolve(county, 2023).benefits.student_local_places.value == PLACES


def test_elsewhere_the_default_is_empty():
    national = default_library().resolve("000000", 2022).benefits.student_local_places
    assert national.value == [] and national.assumed
    assert default_library().resolve("500243", 2023).benefits.student_local_places.value == []
