"""The simulated year meets the figures it is calibrated to (住院率 20.7%, 次均 7,674 元)."""

import pytest

from yibao.batch import settle_file
from yibao.synth import simulate_county
from yibao.synth.calibration import load_calibration
from yibao.synth.check import calibration_check
from yibao.synth.parquet import write_year


@pytest.fixture(scope="module")
def checked(library, tmp_path_factory):
    year = simulate_county("500243", 2023, 12_000, seed=21, library=library)
    out = tmp_path_factory.mktemp("cal")
    paths = write_year(year, out)
    result = settle_file(paths["claims"], out / "settled.parquet")
    policy = library.resolve("500243", 2023)
    rows = calibration_check(result.sums, year.contributions.height, policy, load_calibration())
    return {r.metric: r for r in rows}


def test_inpatient_rate_within_tolerance_of_20_7_percent(checked):
    assert checked["住院率"].target == 0.207
    assert checked["住院率"].within


def test_cost_per_admission_within_tolerance_of_7674_yuan(checked):
    assert checked["次均住院费用（元）"].target == 7674
    assert checked["次均住院费用（元）"].within


def test_benefit_uses_per_person_within_tolerance(checked):
    assert checked["人均享受待遇人次"].within


def test_policy_ratio_is_reported_against_the_70_percent_target(checked):
    row = checked["政策范围内住院基金支付比例（通知目标）"]
    assert row.target == 0.7
    assert not row.calibrated
    assert 0.3 < row.simulated < 0.95
