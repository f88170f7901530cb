"""彭水 2023 三（三）2: 将经基本医保、大病保险和医疗救助等报销后，自付费用达到乡村振兴部门确定的
监测标准2倍及以上人员，及时推送……全面、精准将符合条件的对象纳入防止返贫监测范围 — every resident,
ordinary residents included, against 7,200 × 2 = 14,400 元 (issue 14, 2). Elsewhere the notices
only ask for 分类监测 (池州 二、8): the watched categories against 2 × the standard, the others
against the general line. An umbrella tag is watched when all its narrow kinds are (issue 14, 1).
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from tests.enrollment.test_umbrella_categories import with_value
from yibao.categories import CategoryError
from yibao.engine.warning import early_warnings, warning_lines, warnings_to_json

D = dt.date
AS_OF = D(2023, 12, 31)


def settlements(rows):
    """rows: (setl_id, psn_no, psn_part_amt fen)."""
    n = len(rows)
    return pl.DataFrame(
        {
            "setl_id": [r[0] for r in rows],
            "psn_no": [r[1] for r in rows],
            "year": [2023] * n,
            "medfee_sumamt": [r[2] * 3 for r in rows],
            "fulamt_ownpay_amt": [0] * n,
            "hifp_pay": [r[2] * 2 for r in rows],
            "hifmi_pay": [0] * n,
            "maf_pay": [0] * n,
            "fund_pay_sumamt": [r[2] * 2 for r in rows],
            "psn_part_amt": [r[2] for r in rows],
        }
    )


def persons(categories):
    return pl.DataFrame(
        {
            "psn_no": [f"P{i}" for i in range(len(categories))],
            "township": ["汉葭街道"] * len(categories),
            "categories": list(categories),
        }
    )


@pytest.fixture(scope="module")
def pengshui(library):
    return library.resolve("500243", 2023)


def test_pengshui_san_san_2_ordinary_resident_warned_at_twice_the_standard(pengshui):
    lines = warning_lines(pengshui)
    assert lines.watched == 1_440_000 and lines.every_resident  # 7200 × 2 = 14400 元
    people = persons(["", "一般居民", "在校学生", "一般居民"])
    s = settlements(
        [
            ("s1", "P0", 1_500_000),
            ("s2", "P1", 1_440_000),
            ("s3", "P2", 1_500_000),
            ("s4", "P3", 1_439_999),  # one fen short
        ]
    )
    flagged = early_warnings(s, people, pengshui, as_of=AS_OF)
    assert sorted(flagged["psn_no"].to_list()) == ["P0", "P1", "P2"]
    assert set(flagged["basis"]) == {"监测标准倍数"}
    assert set(flagged["threshold"]) == {1_440_000}
    row = flagged.filter(pl.col("psn_no") == "P0").row(0, named=True)
    assert row["psn_part_amt"] == 1_500_000 and row["standard_multiple_bp"] == 20_833
    doc = warnings_to_json(flagged, pengshui)
    assert doc["warning_scope"] == "every_resident" and doc["watched_line"] == 14400.0
    assert any("warning_scope" in src and "三（三）2" in src for src in doc["sources"])


def test_chizhou_fen_lei_ordinary_resident_against_the_general_line(library):
    chizhou = library.resolve("341700", 2023)
    assert not warning_lines(chizhou).every_resident
    s = settlements([("s1", "P0", 1_500_000), ("s2", "P1", 1_500_000)])
    flagged = early_warnings(s, persons(["一般居民", "低保对象"]), chizhou, as_of=AS_OF)
    assert flagged["psn_no"].to_list() == ["P1"]


def test_umbrella_tag_warned_at_the_watched_line(library):
    # 池州 judges categories separately; a 监测对象 tag is watched (its kinds all are).
    chizhou = library.resolve("341700", 2023)
    narrow_only = [
        c for c in chizhou.monitoring.watched_categories.value if c != "防止返贫监测对象"
    ]
    policy = with_value(chizhou, "monitoring", "watched_categories", narrow_only)
    s = settlements([("s1", "P0", 1_500_000)])
    flagged = early_warnings(s, persons(["监测对象"]), policy, as_of=AS_OF)
    assert flagged["psn_no"].to_list() == ["P0"]
    assert flagged["basis"][0] == "监测标准倍数"


def test_umbrella_tag_refused_when_only_some_kinds_are_watched(library):
    chizhou = library.resolve("341700", 2023)
    policy = with_value(chizhou, "monitoring", "watched_categories", ["低保对象", "脱贫不稳定人口"])
    s = settlements([("s1", "P0", 1_500_000)])
    with pytest.raises(CategoryError, match=r"^categories: 防止返贫监测对象 .*psn_no P0"):
        early_warnings(s, persons(["防止返贫监测对象"]), policy, as_of=AS_OF)
