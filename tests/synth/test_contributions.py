"""Contributions come from the engine's quote (彭水 2023: 一档 380 元; 低保 资助 90%)."""

import polars as pl


def test_ordinary_resident_pays_the_tier1_standard_380(pengshui):
    ordinary = pengshui.contributions.filter((pl.col("categories") == "") & (pl.col("tier") == 1))
    assert (ordinary["personal_paid"] == 38_000).all()
    assert (ordinary["subsidy"] == 0).all()


def test_dibao_gets_90_percent_so_pays_38(pengshui):
    dibao = pengshui.contributions.filter(
        (pl.col("categories") == "低保对象") & (pl.col("tier") == 1)
    )
    assert dibao.height > 0
    assert (dibao["subsidy"] == 34_200).all()
    assert (dibao["personal_paid"] == 3_800).all()


def test_fiscal_subsidy_640_split_to_the_fen(pengshui):
    c = pengshui.contributions
    assert (c["fiscal_subsidy"] == 64_000).all()
    levels = (
        c["fiscal_central"] + c["fiscal_provincial"] + c["fiscal_municipal"] + c["fiscal_county"]
    )
    assert (levels == c["fiscal_subsidy"]).all()


def test_enrollment_amounts_equal_contributions(pengshui):
    joined = pengshui.enrollments.filter(pl.col("insutype") == "390").join(
        pengshui.contributions, on="psn_no", suffix="_c"
    )
    assert (joined["personal_paid"] == joined["personal_paid_c"]).all()
    assert (joined["subsidy"] == joined["subsidy_c"]).all()
