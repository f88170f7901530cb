"""Fund risk: balance months against 6–15, current-year deficit, DRG share against 枣庄 70%
and 内蒙古 50%."""

from __future__ import annotations

import polars as pl
import pytest

from yibao.engine.fund_risk import assess, balance_months_x100, drg_fund_share_bp


def test_balance_months_of_expenditure():
    # 120 000 000 fen spent a year = 10 000 000 a month; a balance of 55 000 000 covers 5.5
    assert balance_months_x100(55_000_000, 120_000_000) == 550
    assert balance_months_x100(1, 0) is None


@pytest.mark.parametrize(
    ("balance", "codes"),
    [
        (55_000_000, ["balance_low"]),
        (60_000_000, []),
        (150_000_000, []),
        (151_000_000, ["balance_high"]),
    ],
)
def test_balance_between_six_and_fifteen_months(library, balance, codes):
    report = assess(library.resolve("421200", 2023), 130_000_000, 120_000_000, balance)
    assert [w.code for w in report.warnings] == codes


def test_current_year_deficit(library):
    report = assess(library.resolve("421200", 2023), 119_999_999, 120_000_000, 100_000_000)
    assert [w.code for w in report.warnings] == ["current_deficit"]


def test_drg_share_below_zaozhuang_seventy_percent(library):
    s = pl.DataFrame(
        {
            "med_type": ["21", "21", "21", "11"],
            "hifp_pay": [690, 310, 0, 5_000],
            "drg": [True, False, True, False],
        }
    )
    share = drg_fund_share_bp(s)
    assert share == 6_900
    zaozhuang = assess(library.resolve("370400", 2023), 10, 1, 10, drg_share_bp=share)
    assert zaozhuang.drg_target_bp == 7_000
    assert "drg_share_below_target" in [w.code for w in zaozhuang.warnings]
    nmg = assess(library.resolve("150000", 2023), 10, 1, 10, drg_share_bp=share)
    assert nmg.drg_target_bp == 5_000
    assert "drg_share_below_target" not in [w.code for w in nmg.warnings]
    assert nmg.to_json()["drg_fund_share"] == "69%"
