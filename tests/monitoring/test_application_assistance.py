"""依申请救助 (枣庄 2023 （六）): a recognised 因病致贫重病患者 gets assistance recomputed on the
personal burden of the 12 months before the application month."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from yibao.engine.application_assistance import application_assistance, lookback_window

D = dt.date


@pytest.fixture(scope="module")
def zaozhuang(library):
    return library.resolve("370400", 2023)


def claims(rows):
    """rows: (setl_id, day, psn_part_amt, fulamt_ownpay_amt, maf_pay) in fen."""
    return pl.DataFrame(
        {
            "setl_id": [r[0] for r in rows],
            "psn_no": ["Z"] * len(rows),
            "setl_time": [dt.datetime.combine(r[1], dt.time(9)) for r in rows],
            "psn_part_amt": [r[2] for r in rows],
            "fulamt_ownpay_amt": [r[3] for r in rows],
            "overlmt_selfpay": [0] * len(rows),
            "preselfpay_amt": [0] * len(rows),
            "maf_pay": [r[4] for r in rows],
        }
    )


def test_zaozhuang_window_is_the_twelve_months_before_the_application_month():
    assert lookback_window(D(2023, 9, 18), 12) == (D(2022, 9, 1), D(2023, 8, 31))
    assert lookback_window(D(2023, 1, 5), 12) == (D(2022, 1, 1), D(2022, 12, 31))


def test_recomputed_assistance_on_the_window(zaozhuang):
    ma = zaozhuang.medical_assistance
    assert ma.application_lookback_months.value == 12
    rows = claims(
        [
            ("old", D(2022, 8, 31), 900_000, 0, 0),  # before the window
            ("a", D(2022, 10, 3), 1_800_000, 300_000, 0),  # 15000 policy-scope burden
            ("b", D(2023, 5, 9), 500_000, 0, 0),
            ("late", D(2023, 9, 2), 700_000, 0, 0),  # in the application month
        ]
    )
    got = application_assistance("Z", ["因病致贫重病患者"], D(2023, 9, 18), rows, zaozhuang)
    assert got.claims == ("a", "b")
    assert got.eligible == 2_000_000
    expected = (2_000_000 - ma.application_deductible.value) * ma.application_ratio.value // 10_000
    assert got.computed == expected and got.assistance == expected
    assert got.to_json()["window"] == {"from": "2022-09-01", "to": "2023-08-31"}


def test_assistance_already_paid_counts_against_it(zaozhuang):
    rows = claims([("a", D(2023, 3, 1), 2_000_000, 0, 400_000)])
    got = application_assistance("Z", ["因病致贫重病患者"], D(2023, 9, 1), rows, zaozhuang)
    assert got.eligible == 2_400_000 and got.already_paid == 400_000
    assert got.assistance == got.computed - 400_000


def test_only_a_recognised_patient_can_apply(zaozhuang):
    with pytest.raises(ValueError, match="categories"):
        application_assistance("Z", ["一般居民"], D(2023, 9, 1), claims([]), zaozhuang)
