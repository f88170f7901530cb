"""The demo year is calibrated near balance (issue 16), as the 2023 bulletin reports for the
national resident fund: 收入10569.71亿, 支出10457.65亿, 当期结存112.06亿 (1.1 % of revenue).
The demo's own year (彭水 500243, 2023, 50,000 people, seed 1) is within ±3 % of balance."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from yibao.engine.fund import fund_statement
from yibao.engine.settlement import settle_year
from yibao.services.register import register_records, registered_claims
from yibao.synth.calibration import load_calibration
from yibao.synth.county import simulate_county


def _statement(library, persons: int, seed: int):
    year = simulate_county("500243", 2023, persons, seed, library=library)
    register = register_records(year.persons, year.enrollments, dt.date(2023, 1, 1))
    year = dataclasses.replace(year, claims=registered_claims(year.claims, register))
    settlements, _ = settle_year(year.claims, library)
    return fund_statement(settlements, year.contributions, library.resolve("500243", 2023))


def test_the_bulletin_reports_a_small_surplus():
    calib = load_calibration()
    revenue = calib.figure(2023, "fund_revenue").value
    surplus = calib.figure(2023, "fund_surplus").value
    assert surplus == pytest.approx(revenue - calib.figure(2023, "fund_expenditure").value)
    assert 0 < surplus / revenue < 0.03


@pytest.mark.slow
def test_the_demo_year_is_within_3_percent_of_balance(library):
    st = _statement(library, 50_000, 1)  # `yibao demo`'s defaults
    share = st.surplus / st.revenue
    assert -0.03 <= share <= 0.03, f"当期结余占收入 {share:.2%}"
