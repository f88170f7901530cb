"""Points, 点值 and hospital payments (issue 18): integer arithmetic, one rounding rule, the
payments add to the budget, 高倍率/低倍率 (咸宁 DIP: 2× and 0.5×), 特例单议, bands, errors."""

from __future__ import annotations

import dataclasses

import pytest

from yibao.drg.params import ParamsError, payment_params
from yibao.drg.points import HIGH, LOW, NORMAL, SPECIAL, base_points, case_points
from yibao.drg.settlement import PaidCase, SettlementError, apply_bands, settle_year


@pytest.fixture()
def drg():
    return payment_params("341700", "drg")


@pytest.fixture()
def dip():
    return payment_params("421200", "dip")


def test_base_points_are_group_average_over_all_average_times_100():
    # Group A: two cases of 10,000 yuan; B: one of 40,000. Mean 20,000: A 50 points, B 200.
    bases = base_points(["A", "A", "B"], [1_000_000, 1_000_000, 4_000_000], 100)
    assert bases["A"].base_points == 50 * 10_000
    assert bases["B"].base_points == 200 * 10_000


def test_base_points_round_half_up_once():
    # A: 1 fen, B: 2 fen → mean 1.5; A = 1/1.5 × 100 = 66.66666… → 66.6667 points.
    assert base_points(["A", "B"], [1, 2], 100)["A"].base_points == 666_667


def test_drg_high_ratio_case_gets_the_excess_points(drg):
    base = base_points(["A"] * 4, [100_000] * 4, 100)["A"]  # 100 points, mean 1,000 yuan
    # 5× the mean, threshold 3×: 100 × 1.0 + (5 − 3) × 100 = 300 points.
    pts = case_points(base, 500_000, 5, 10_000, drg, all_cases=4, all_cost=400_000)
    assert (pts.kind, pts.points) == (HIGH, 300 * 10_000)


def test_drg_low_ratio_case_is_paid_by_its_cost(drg):
    base = base_points(["A"] * 4, [100_000] * 4, 100)["A"]
    # 0.3× the mean (< 0.4×): 100 × 0.3 = 30 points.
    pts = case_points(base, 30_000, 5, 10_000, drg, all_cases=4, all_cost=400_000)
    assert (pts.kind, pts.points) == (LOW, 30 * 10_000)


def test_drg_normal_case_takes_the_cost_coefficient(drg):
    base = base_points(["A"] * 4, [100_000] * 4, 100)["A"]
    pts = case_points(base, 100_000, 5, 9_000, drg, all_cases=4, all_cost=400_000)
    assert (pts.kind, pts.points) == (NORMAL, 90 * 10_000)


def test_xianning_dip_thresholds_are_2x_and_half(dip):
    assert (dip.high_ratio_bp, dip.low_ratio_bp) == (20_000, 5_000)
    base = base_points(["K"] * 2, [200_000] * 2, 1000)["K"]  # 1000 分
    # 3× the mean: [(3 − 2) + 1] × 1000 = 2000 分, × 二级 0.85 = 1700.
    high = case_points(base, 600_000, 5, 8_500, dip, all_cases=2, all_cost=400_000)
    assert (high.kind, high.points) == (HIGH, 1700 * 10_000)
    # 2× exactly is not 超高: normal 1000 × 0.85.
    edge = case_points(base, 400_000, 5, 8_500, dip, all_cases=2, all_cost=400_000)
    assert (edge.kind, edge.points) == (NORMAL, 850 * 10_000)
    # 0.4× (< 0.5×): 0.4 × 1000 × 0.85 = 340 分.
    low = case_points(base, 80_000, 5, 8_500, dip, all_cases=2, all_cost=400_000)
    assert (low.kind, low.points) == (LOW, 340 * 10_000)


def test_long_stay_is_special_and_paid_by_cost(drg):
    base = base_points(["A"] * 4, [100_000] * 4, 100)["A"]
    pts = case_points(base, 250_000, 61, 10_000, drg, all_cases=4, all_cost=400_000)
    assert (pts.kind, pts.points) == (SPECIAL, 250 * 10_000)


def _cases() -> list[PaidCase]:
    # Three hospitals with points that do not divide the pool evenly.
    return [
        PaidCase("H1", 1, 333_333, 50_000, 30_000, 20_000),
        PaidCase("H2", 2, 333_333, 60_000, 40_000, 20_000),
        PaidCase("H3", 3, 333_334, 70_000, 50_000, 20_000),
        PaidCase("H1", 6, 100_001, 10_000, 6_000, 4_000),
    ]


def test_payments_add_to_the_budget_exactly(drg):
    year = settle_year(_cases(), drg, budget_fen=10_000_001)
    assert sum(h.payment_fen for h in year.hospitals) == 10_000_001
    for h in year.hospitals:  # points × 点值 − others, within a fen of the exact share
        exact = year.pool_fen * h.points / year.total_points - h.others_fen
        assert abs(h.payment_fen - exact) <= 1


def test_without_budget_the_fund_pays_what_it_paid_on_the_claims(drg):
    year = settle_year(_cases(), drg)
    assert year.budget_fen == 126_000
    assert sum(h.payment_fen for h in year.hospitals) == 126_000


def test_monthly_prepayment_then_year_end_settlement(drg):
    year = settle_year(_cases(), drg, budget_fen=10_000_000)
    h1 = next(h for h in year.hospitals if h.fixmedins_code == "H1")
    assert set(h1.monthly) == {1, 6}
    # 预拨 90% of (points × provisional 点值 − others), then 清算 pays the rest.
    assert h1.prepaid_fen == sum(h1.monthly.values())
    assert h1.payment_fen - h1.prepaid_fen > 0


def test_bands_keep_part_of_a_surplus_and_share_part_of_a_deficit(drg):
    # Surplus 30% of a 100,000 project amount: 10% kept fully, the other 20% half → 120,000.
    assert apply_bands(130_000, 100_000, drg) == 120_000
    # Deficit 20%: the fund shares 70% of the first 10% → 80,000 + 7,000.
    assert apply_bands(80_000, 100_000, drg) == 87_000


def test_budget_leaving_point_value_undefined_is_an_error(drg):
    with pytest.raises(SettlementError, match="budget: 预算 0.0 元不为正"):
        settle_year(_cases(), drg, budget_fen=0)
    with pytest.raises(SettlementError, match="total_points"):
        settle_year([dataclasses.replace(c, points=0) for c in _cases()], drg, budget_fen=1)


def test_hospital_without_cost_coefficient_is_named(drg):
    with pytest.raises(ParamsError, match="医院 H9 的等级 '99' 没有成本系数"):
        drg.coefficient("H9", "99")


def test_region_without_parameters_is_an_error():
    with pytest.raises(ParamsError, match="region: 500243 没有 DRG/DIP 付费参数"):
        payment_params("500243", "drg")


def test_drg_high_ratio_threshold_falls_with_the_groups_points(drg):
    # A: one case of 9,000 yuan among six averaging 2,500 → 360 points (> 200: 高倍率 above 1.5×).
    # At 2× A's average: 360 + (2 − 1.5) × 360 = 540 points.
    bases = base_points(["A", "B", "B", "B", "B", "B"], [900_000] + [120_000] * 5, 100)
    assert bases["A"].base_points == 360 * 10_000
    base = bases["A"]
    pts = case_points(base, 1_800_000, 5, 10_000, drg, all_cases=6, all_cost=1_500_000)
    assert (pts.kind, pts.points) == (HIGH, 360 * 10_000 + 180 * 10_000)
    assert drg.high_ratio_for(100 * 10_000, 10_000) == 30_000
    assert drg.high_ratio_for(150 * 10_000, 10_000) == 20_000


def test_a_hospitals_own_coefficient_overrides_its_level(drg):
    mine = dataclasses.replace(drg, hospital_coefficient={"H341700020001": 10_500})
    assert mine.coefficient("H341700020001", "05") == 10_500
    assert mine.coefficient("H341700020002", "05") == 9_000  # 二级 by level


def test_the_grouping_version_is_dated_per_region(drg):
    assert drg.table_for(2023) == "CHS-DRG 1.1"
    assert drg.table_for(2021) == "CHS-DRG 1.0"
    with pytest.raises(ParamsError, match="year: 341700 在 2019 年没有 drg 分组版本"):
        drg.table_for(2019)
