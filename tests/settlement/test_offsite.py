"""异地就医 (issue 17): 就医地目录、参保地政策 — the 参保地's pool and ratio, lowered by the points
of the person's 备案 kind (benefits.offsite_ratio_reduction, 医保发〔2022〕22号 caps a 临时外出
reduction at 10 points; the values are assumed), and a deductible level apart from the
hospital's own (dedc_hosp_lv). 彭水 2023 住院 二级: 起付线 300, 75 %; 一级 起付线 100."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from tests.settlement.conftest import claim, fen, settle
from yibao.claims import CLAIM_SCHEMA
from yibao.engine.settlement import Accumulators, settle_claim, settle_year
from yibao.engine.settlement_rules import SettlementError
from yibao.policy import default_library


def test_local_claim_is_paid_at_the_full_ratio():
    s, _ = settle(claim(total=60000, hosp_lv="05"))
    assert s.setlinfo["hifp_pay"] == fen(44775)  # (60000 − 300) × 75 %


def test_temporary_offsite_care_is_paid_10_points_lower():
    s, _ = settle(claim(total=60000, hosp_lv="05", offsite_kind="其他临时外出就医人员"))
    assert s.setlinfo["hifp_pay"] == fen(38805)  # (60000 − 300) × 65 %
    assert s.setlinfo["pool_prop_selfpay"] == 3500
    entry = next(e for e in s.explanation if e["step"] == "异地就医")
    assert entry["source"] == "医保发〔2022〕22号" and entry["assumed"] is True
    assert "10 个百分点" in entry["value"]


def test_unfiled_offsite_care_is_paid_20_points_lower():
    s, _ = settle(claim(total=60000, hosp_lv="05", offsite_kind="未备案"))
    assert s.setlinfo["hifp_pay"] == fen(32835)  # (60000 − 300) × 55 %


def test_long_term_residents_elsewhere_keep_the_local_ratio():
    s, _ = settle(claim(total=60000, hosp_lv="05", offsite_kind="异地长期居住人员"))
    assert s.setlinfo["hifp_pay"] == fen(44775)


def test_deductible_taken_at_another_level_than_the_hospital():
    # a 二级 hospital, the deductible at 一级 (dedc_hosp_lv 08): (60000 − 100) × 75 %
    s, _ = settle(claim(total=60000, hosp_lv="05", dedc_hosp_lv="08"))
    assert s.setlinfo["act_pay_dedc"] == fen(100)
    assert s.setlinfo["hifp_pay"] == fen(44925)


@pytest.mark.parametrize(("field", "value"), [("offsite_kind", "外星就医"), ("dedc_hosp_lv", "99")])
def test_unknown_offsite_kind_or_deductible_level_is_refused_naming_the_field(field, value):
    with pytest.raises(SettlementError, match=f"^{field}: unknown"):
        settle(claim(total=1000, **{field: value}))
    rows = [claim(total=1000, **{field: value})]
    with pytest.raises(SettlementError, match=f"^{field}: unknown.*setl_id c1"):
        settle_year(pa.Table.from_pylist(rows, schema=CLAIM_SCHEMA), default_library())


def test_batch_settles_offsite_claims_as_real_time_does():
    kinds = ["", "其他临时外出就医人员", "未备案", "异地转诊人员", None]
    rows = []
    for i in range(40):
        rows.append(
            claim(
                total=3000 + 997 * i,
                hosp_lv=("02", "05", "08")[i % 3],
                offsite_kind=kinds[i % len(kinds)],
                dedc_hosp_lv="08" if i % 7 == 0 else None,
                categories="低保对象" if i % 4 == 0 else "",
                psn_no=f"P{i % 6}",
                setl_id=f"c{i:02d}",
                when=dt.datetime(2023, 1 + i % 12, 1 + i % 27, 9),
            )
        )
    library = default_library()
    settled, _ = settle_year(pa.Table.from_pylist(rows, schema=CLAIM_SCHEMA), library)
    by_id = {r["setl_id"]: r for r in settled.iter_rows(named=True)}
    accs: dict[str, Accumulators] = {}
    policy = library.resolve("500243", 2023)
    for row in sorted(rows, key=lambda r: (r["psn_no"], r["setl_time"], r["setl_id"])):
        s, accs[row["psn_no"]] = settle_claim(row, policy, accs.get(row["psn_no"], Accumulators()))
        got = by_id[row["setl_id"]]
        for name in ("act_pay_dedc", "hifp_pay", "hifmi_pay", "maf_pay", "psn_part_amt"):
            assert got[name] == s.setlinfo[name], (row["setl_id"], name)
    reduced = [r for r in rows if r["offsite_kind"] == "未备案"]
    assert reduced and all(by_id[r["setl_id"]]["pool_prop_selfpay"] > 2500 for r in reduced)


# ---------------------------------------------------------------- 池州 二、9
def test_chizhou_student_at_the_school_place_is_paid_at_local_rates():
    local, _ = settle(claim("341700", total=20000, hosp_lv="05", categories="在校学生"))
    school, _ = settle(
        claim("341700", total=20000, hosp_lv="05", categories="在校学生", offsite_kind="学籍地")
    )
    away, _ = settle(
        claim(
            "341700",
            total=20000,
            hosp_lv="05",
            categories="在校学生",
            offsite_kind="其他临时外出就医人员",
        )
    )
    assert school.setlinfo["hifp_pay"] == local.setlinfo["hifp_pay"] > away.setlinfo["hifp_pay"]
    assert away.setlinfo["pool_prop_selfpay"] == local.setlinfo["pool_prop_selfpay"] + 1000


def test_chizhou_school_place_is_refused_for_someone_not_a_student():
    row = claim("341700", total=20000, hosp_lv="05", offsite_kind="实习地")
    with pytest.raises(SettlementError, match="^offsite_kind: 实习地 .*在校学生"):
        settle(row)
    with pytest.raises(SettlementError, match="^offsite_kind: 实习地 .*setl_id c1"):
        settle_year(pa.Table.from_pylist([row], schema=CLAIM_SCHEMA), default_library())


def test_school_places_are_chizhou_only():
    with pytest.raises(SettlementError, match="^offsite_kind: unknown '学籍地'"):
        settle(claim(total=1000, categories="在校学生", offsite_kind="学籍地"))


# ---------------------------------------------------------------- 中途结算
def test_a_stays_later_part_is_not_charged_the_admission_deductible_again():
    # 彭水 住院 二级: 起付线 300 per admission. Part one pays it; part two (the same stay) does not.
    first, _ = settle(claim(total=20000, hosp_lv="05"))
    second, _ = settle(claim(total=10000, hosp_lv="05", dedc_paid_in_stay=fen(300)))
    partly, _ = settle(claim(total=10000, hosp_lv="05", dedc_paid_in_stay=fen(100)))
    assert first.setlinfo["act_pay_dedc"] == fen(300)
    assert second.setlinfo["act_pay_dedc"] == 0
    assert second.setlinfo["hifp_pay"] == fen(7500)  # 10000 × 75 %
    assert partly.setlinfo["act_pay_dedc"] == fen(200)


def test_a_negative_deductible_paid_in_stay_is_refused_on_both_paths():
    row = claim(total=1000, dedc_paid_in_stay=-1)
    with pytest.raises(SettlementError, match="^dedc_paid_in_stay: must not be negative"):
        settle(row)
    with pytest.raises(SettlementError, match="^dedc_paid_in_stay: must not be negative"):
        settle_year(pa.Table.from_pylist([row], schema=CLAIM_SCHEMA), default_library())
