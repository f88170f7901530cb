"""Monitoring rules on groups (issue 18 part 4): DRG01 高套分组, DRG02 低标准入院."""

from __future__ import annotations

from yibao.drg.params import MonitoringParams
from yibao.drg.points import LOW, NORMAL, GroupBase
from yibao.drg.supervision import PricedCase, scan

PARAMS = MonitoringParams(upcoding_cost_ratio_bp=10_000, low_standard_max_los=2)
# ES31 (伴严重并发症) 150 points, average 6,000 yuan; ES35 (不伴) 100 points, average 4,000 yuan.
BASES = {
    "ES31": GroupBase("ES31", 2, 1_200_000, 150 * 10_000),
    "ES35": GroupBase("ES35", 4, 1_600_000, 100 * 10_000),
}
PLAIN = {"ES31": "ES35", "ES35": "ES35"}.get


def _case(setl_id: str, group: str, cost: int, kind: str = NORMAL, los: int = 7) -> PricedCase:
    points = BASES[group].base_points
    return PricedCase(setl_id, "P1", "H1", "ES3", group, kind, points, 10_000, cost, los, "1")


def test_complication_group_cheaper_than_the_plain_group_is_upcoding():
    # 3,500 yuan in ES31 while ES35 averages 4,000: 50 points gained, 点值 10 yuan → 500 yuan.
    hits = scan(
        [_case("S1", "ES31", 350_000)], BASES, PLAIN, PARAMS, pool_fen=1_000, total_points=10_000
    )
    assert [(h["rule_id"], h["setl_id"], h["vola_amt"]) for h in hits] == [("DRG01", "S1", 500.0)]
    assert "ES35 均次费用 4000.0 元" in hits[0]["vola_cont"]


def test_complication_group_as_dear_as_the_plain_group_is_not_flagged():
    assert (
        scan([_case("S2", "ES31", 400_000)], BASES, PLAIN, PARAMS, pool_fen=1, total_points=1) == []
    )


def test_short_low_ratio_stay_discharged_on_order_is_low_standard_admission():
    short = _case("S3", "ES35", 100_000, kind=LOW, los=2)
    longer = _case("S4", "ES35", 100_000, kind=LOW, los=3)
    hits = scan([short, longer], BASES, PLAIN, PARAMS, pool_fen=1_000, total_points=10_000)
    assert [(h["rule_id"], h["setl_id"], h["vola_amt"]) for h in hits] == [("DRG02", "S3", 1000.0)]


def test_dip_cases_have_no_adrg_and_no_upcoding_rule():
    case = PricedCase("S5", "P1", "H1", None, "ES31", NORMAL, 1, 10_000, 1, 7, "1")
    assert scan([case], BASES, PLAIN, PARAMS, pool_fen=1, total_points=1) == []
