"""彭水 三（一）3 渝快保 in the synthetic year: eligible persons buy 普惠款, 升级款 or nothing
(assumed shares, calibration ``commercial_supplement_uptake``) from a stream of their own; the
subsidy is the quote's, its own outlay, and nothing else in the year moves."""

import numpy as np
import polars as pl

from yibao.engine.contribution import quote
from yibao.engine.fund import fund_statement
from yibao.synth import simulate_county
from yibao.synth.calibration import Calibration, load_calibration


def _names(categories: str) -> list[str]:
    return [c for c in categories.split("|") if c]


def test_buyers_get_exactly_the_quote_per_product_and_group(pengshui, library):
    policy = library.resolve("500243", 2023)
    c = pengshui.contributions
    buyers = c.filter(pl.col("supplement_product") != "")
    assert set(buyers["supplement_product"]) == {"渝快保普惠款", "渝快保升级款"}
    groups: set[str] = set()
    for (tier, cats, product), rows in buyers.group_by("tier", "categories", "supplement_product"):
        s = quote(policy, _names(cats), str(tier), supplement_product=product).supplement
        assert s is not None and s.group is not None and s.subsidy > 0
        groups.add(s.group)
        assert (rows["supplement_subsidy"] == s.subsidy).all()
        assert (rows["supplement_fund"] == s.fund).all()
    assert groups == {"脱贫人口", "监测对象"}
    # 2023: 脱贫人口 50 元 either product; 监测对象 69 元 普惠款, 150 元 升级款.
    assert set(buyers["supplement_subsidy"]) == {5_000, 6_900, 15_000}
    rest = c.filter(pl.col("supplement_product") == "")
    assert (rest["supplement_subsidy"] == 0).all() and (rest["supplement_fund"] == "").all()


def test_only_eligible_persons_buy(pengshui, library):
    policy = library.resolve("500243", 2023)
    for cats in pengshui.contributions.filter(pl.col("supplement_product") != "")[
        "categories"
    ].unique():
        assert any(
            quote(policy, _names(cats), supplement_product=p).supplement.group  # type: ignore[union-attr]
            for p in policy.assistance_subsidy.commercial_supplement.value
        )


def test_fund_statement_carries_the_outlay_outside_the_fund(pengshui, library):
    policy = library.resolve("500243", 2023)
    c = pengshui.contributions
    without = c.drop("supplement_product", "supplement_subsidy", "supplement_fund")
    empty = pl.DataFrame(
        schema={
            "med_type": pl.String,
            "hifp_pay": pl.Int64,
            "hifmi_pay": pl.Int64,
            "maf_pay": pl.Int64,
        }
    )
    st = fund_statement(empty, c, policy)
    base = fund_statement(empty, without, policy)
    expected = {
        product: int(c.filter(pl.col("supplement_product") == product)["supplement_subsidy"].sum())
        for product in ("渝快保普惠款", "渝快保升级款")
    }
    assert st.supplement_subsidy == {"统筹衔接资金": expected}
    assert st.revenue == base.revenue


def test_same_seed_same_buyers():
    a = simulate_county("500243", 2023, 2000, seed=3).contributions
    b = simulate_county("500243", 2023, 2000, seed=3).contributions
    other = simulate_county("500243", 2023, 2000, seed=4).contributions
    cols = ["psn_no", "supplement_product", "supplement_subsidy"]
    assert a.select(cols).equals(b.select(cols))
    assert (a["supplement_product"] != "").sum() > 0
    assert not a.select(cols).equals(other.select(cols))


def test_other_regions_buy_none():
    for region in ("341700", "421200"):
        c = simulate_county(region, 2023, 1500, seed=2).contributions
        assert (c["supplement_product"] == "").all()
        assert (c["supplement_subsidy"] == 0).all()
        assert (c["supplement_fund"] == "").all()


def test_the_new_stream_changes_nothing_else():
    """No one buying (shares 0) and the assumed shares give the same year but the supplement."""
    calib = load_calibration()
    raw = dict(calib.raw)
    raw["assumptions"] = dict(raw["assumptions"]) | {
        "commercial_supplement_uptake": {"value": {}, "assumed": True, "note": "none"}
    }
    none = simulate_county("500243", 2023, 2000, seed=3, calibration=Calibration(raw))
    some = simulate_county("500243", 2023, 2000, seed=3, calibration=calib)
    assert (none.contributions["supplement_product"] == "").all()
    assert (some.contributions["supplement_product"] != "").sum() > 0
    for name in ("households", "persons", "enrollments", "claims"):
        assert getattr(none, name).equals(getattr(some, name)), name
    keep = [c for c in some.contributions.columns if not c.startswith("supplement_")]
    assert none.contributions.select(keep).equals(some.contributions.select(keep))
    total = some.claims["medfee_sumamt"].sum()
    assert total > 0 and total == none.claims["medfee_sumamt"].sum()


def test_spawning_a_fifth_stream_keeps_the_first_four():
    four = np.random.SeedSequence([3, 0]).spawn(4)
    five = np.random.SeedSequence([3, 0]).spawn(5)
    for a, b in zip(four, five[:4], strict=True):
        assert a.generate_state(4).tolist() == b.generate_state(4).tolist()


def test_uptake_is_a_documented_assumption():
    node = load_calibration().raw["assumptions"]["commercial_supplement_uptake"]
    assert node["assumed"] and node["note"]
    assert all(sum(shares.values()) <= 1 for shares in node["value"].values())
