"""防止因病返贫 early warning, 彭水 2023 三（三）2: out-of-pocket after the three layers at 2 × the
monitoring standard (7200 yuan → 14400) or more is pushed to the township; risk-eliminated
persons keep assistance 12 months."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from yibao.engine.warning import (
    early_warnings,
    followup_until,
    keeps_assistance,
    warning_lines,
    warnings_to_json,
)

D = dt.date


@pytest.fixture(scope="module")
def pengshui(library):
    return library.resolve("500243", 2023)


def settlements(rows):
    """rows: (setl_id, psn_no, psn_part_amt fen)."""
    return pl.DataFrame(
        {
            "setl_id": [r[0] for r in rows],
            "psn_no": [r[1] for r in rows],
            "year": [2023] * len(rows),
            "medfee_sumamt": [r[2] * 3 for r in rows],
            "fulamt_ownpay_amt": [0] * len(rows),
            "hifp_pay": [r[2] * 2 for r in rows],
            "hifmi_pay": [0] * len(rows),
            "maf_pay": [0] * len(rows),
            "fund_pay_sumamt": [r[2] * 2 for r in rows],
            "psn_part_amt": [r[2] for r in rows],
        }
    )


PERSONS = pl.DataFrame(
    {
        "psn_no": ["A", "B", "C", "D"],
        "township": ["保家镇", "保家镇", "郁山镇", "郁山镇"],
        "categories": ["稳定脱贫人口", "低保对象", "", "一般居民"],
        "risk_eliminated_date": [D(2023, 2, 15), None, None, None],
    }
)


def test_pengshui_line_is_twice_the_standard(pengshui):
    lines = warning_lines(pengshui)
    assert lines.standard == 720_000 and lines.multiple_bp == 20_000
    assert lines.watched == 1_440_000  # 14400 yuan
    assert lines.general == 2_000_000


def test_pengshui_warning_at_two_times_standard(pengshui):
    s = settlements(
        [("s1", "A", 1_000_000), ("s2", "A", 440_000), ("s3", "B", 1_439_999)]
    )  # A reaches 14400.00 over two claims; B is one fen short
    flagged = early_warnings(s, PERSONS, pengshui, as_of=D(2023, 12, 31))
    assert flagged["psn_no"].to_list() == ["A"]
    row = flagged.row(0, named=True)
    assert row["psn_part_amt"] == 1_440_000 and row["standard_multiple_bp"] == 20_000
    assert list(row["top_claims"]) == ["s1", "s2"]
    assert row["basis"] == "监测标准倍数"


def test_ordinary_residents_against_the_general_line(library):
    # 池州 二、8 分类监测 (warning_scope watched_categories); 彭水 judges everyone against 2 × the
    # standard (tests/monitoring/test_warning_every_resident.py).
    chizhou = library.resolve("341700", 2023)
    s = settlements([("s1", "C", 1_999_999), ("s2", "D", 2_000_000)])
    flagged = early_warnings(s, PERSONS, chizhou, as_of=D(2023, 12, 31))
    assert flagged["psn_no"].to_list() == ["D"]
    assert flagged["basis"][0] == "一般居民"


def test_risk_eliminated_keeps_assistance_twelve_months(pengshui):
    months = pengshui.monitoring.followup_months_after_risk_eliminated.value
    assert months == 12
    assert followup_until(D(2023, 2, 15), months) == D(2024, 2, 14)
    assert keeps_assistance(D(2023, 2, 15), D(2024, 2, 14), months)
    assert not keeps_assistance(D(2023, 2, 15), D(2024, 2, 15), months)
    assert not keeps_assistance(None, D(2023, 6, 1), months)
    assert followup_until(D(2023, 1, 31), 1) == D(2023, 2, 27)  # month end clips


def test_warning_list_by_township_in_yuan(pengshui):
    s = settlements([("s1", "A", 1_500_000), ("s2", "D", 2_500_000)])
    flagged = early_warnings(s, PERSONS, pengshui, as_of=D(2023, 12, 31))
    doc = warnings_to_json(flagged, pengshui)
    assert doc["watched_line"] == 14400.0 and doc["flagged"] == 2
    towns = {t["township"]: t for t in doc["townships"]}
    assert towns["保家镇"]["persons"][0]["out_of_pocket"] == 15000.0
    assert towns["保家镇"]["persons"][0]["in_followup"] is True
    assert towns["郁山镇"]["persons"][0]["psn_no"] == "D"
    assert any("彭水" in src for src in doc["sources"])


def test_missing_settlement_column_is_named(pengshui):
    s = settlements([("s1", "A", 1)]).drop("psn_part_amt")
    with pytest.raises(ValueError, match="psn_part_amt"):
        early_warnings(s, PERSONS, pengshui, as_of=D(2023, 12, 31))


def test_who_is_watched_against_the_standard_is_policy_data(library):
    from yibao.engine.warning import watched_categories

    policy = library.resolve("500243", 2023)
    watched = watched_categories(policy)
    assert policy.monitoring.watched_categories.assumed is True
    assert {"低保对象", "稳定脱贫人口", "边缘易致贫人口"} <= set(watched)
    assert "一般居民" not in watched and "在校学生" not in watched
