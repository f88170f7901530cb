"""Category shares of a rural county (彭水) are those of the calibration table."""

import polars as pl


def share(persons: pl.DataFrame, category: str) -> float:
    return persons["categories"].str.split("|").list.contains(category).mean()


def test_dibao_between_3_and_6_percent(pengshui):
    assert 0.03 <= share(pengshui.persons, "低保对象") <= 0.06


def test_tekun_about_half_a_percent(pengshui):
    assert 0.001 <= share(pengshui.persons, "特困人员") <= 0.012


def test_stable_out_of_poverty_about_8_percent(pengshui):
    assert 0.05 <= share(pengshui.persons, "稳定脱贫人口") <= 0.11


def test_monitored_households_about_1_percent(pengshui):
    monitored = sum(
        share(pengshui.persons, c) for c in ("脱贫不稳定人口", "边缘易致贫人口", "突发严重困难人口")
    )
    assert 0.003 <= monitored <= 0.025


def test_eight_categories_are_all_enrolled(pengshui):
    from yibao.categories import EIGHT_CATEGORIES

    listed = pengshui.persons.filter(
        pl.col("categories")
        .str.split("|")
        .list.eval(pl.element().is_in(EIGHT_CATEGORIES))
        .list.any()
    )
    enrolled = set(pengshui.enrollments.filter(pl.col("insutype") == "390")["psn_no"])
    assert set(listed["psn_no"]) <= enrolled
