"""政策仿真: a reform overlay only overrides keys the base defines; the inpatient +5 points
reform raises basic-fund expenditure and lowers out-of-pocket; +30 yuan raises revenue by
30 yuan a person."""

from __future__ import annotations

from pathlib import Path

import pytest

from yibao.policy.errors import PolicyError
from yibao.simulation.compare import compare
from yibao.simulation.overlay import apply_reform, load_reform
from yibao.synth.county import simulate_county

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def pengshui(library):
    return library.resolve("500243", 2023)


@pytest.fixture(scope="module")
def county(library):
    y = simulate_county("500243", 2023, 400, 3, library=library)
    people = y.contributions.select("psn_no", "tier", "categories").join(
        y.persons.select("psn_no", "township"), on="psn_no", how="left"
    )
    return y.claims, people


def test_inpatient_plus5_overlay_changes_only_the_ratio(pengshui):
    reform = load_reform(EXAMPLES / "reform_inpatient_plus5.yaml")
    new = apply_reform(pengshui, reform)
    assert new.benefits.pools["inpatient"].ratio.value["1"] == {
        "三级": 5500,
        "二级": 8000,
        "一级": 9000,
    }
    assert new.benefits.pools["inpatient"].ratio.source == "政策仿真方案（示例）"
    changed = {p.path for p, q in zip(new.params(), pengshui.params(), strict=True) if p != q}
    assert changed == {"benefits.pools.inpatient.ratio"}


def test_reform_may_not_add_a_key(tmp_path, pengshui):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "document: 方案\nparameters:\n  financing:\n    new_thing: {value: 1, clause: x}\n",
        encoding="utf-8",
    )
    with pytest.raises(PolicyError, match="financing.new_thing"):
        apply_reform(pengshui, load_reform(bad))


def test_reform_value_is_validated(tmp_path, pengshui):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "document: 方案\nparameters:\n  financing:\n    personal_contribution: {value: {'2': 1}}\n",
        encoding="utf-8",
    )
    with pytest.raises(PolicyError, match="personal_contribution"):
        apply_reform(pengshui, load_reform(bad))


def test_inpatient_plus5_spends_more_and_lowers_out_of_pocket(library, pengshui, county):
    claims, people = county
    reform = load_reform(EXAMPLES / "reform_inpatient_plus5.yaml")
    result = compare(claims, people, pengshui, apply_reform(pengshui, reform), library, "r", ())
    b, r = result.base, result.reform
    assert r.layers["hifp_pay"] > b.layers["hifp_pay"]
    assert r.layers["psn_part_amt"] < b.layers["psn_part_amt"]
    assert r.revenue == b.revenue and r.balance < b.balance
    # money is conserved: what the funds pay more, people pay less
    assert r.layers["fund_pay_sumamt"] - b.layers["fund_pay_sumamt"] == (
        b.layers["psn_part_amt"] - r.layers["psn_part_amt"]
    )
    assert result.to_json()["difference"]["revenue"] == 0.0


def test_contribution_plus30_raises_revenue_thirty_yuan_a_person(library, pengshui, county):
    claims, people = county
    reform = load_reform(EXAMPLES / "reform_contribution_plus30.yaml")
    result = compare(claims, people, pengshui, apply_reform(pengshui, reform), library, "r", ())
    assert result.reform.revenue - result.base.revenue == 3_000 * people.height
    assert result.reform.layers == result.base.layers
