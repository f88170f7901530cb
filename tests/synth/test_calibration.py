"""Each calibration figure has its source; assumptions say why."""

import pytest

from yibao.synth.calibration import CalibrationError, load_calibration


def test_2023_bulletin_inpatient_figures():
    c = load_calibration()
    assert c.figure(2023, "inpatient_rate").value == 0.207
    assert c.figure(2023, "inpatient_cost_per_admission").value == 7674
    assert c.figure(2023, "inpatient_policy_ratio_by_level").value == {
        "三级": 0.632,
        "二级": 0.724,
        "一级": 0.808,
    }
    assert "2023年全国医疗保障事业发展统计公报" in c.figure(2023, "inpatient_rate").source


def test_a_year_without_its_own_figure_uses_the_nearest_published_one():
    assert load_calibration().figure(2024, "inpatient_rate").year == 2023


def test_unknown_figure_is_an_error_naming_it():
    with pytest.raises(CalibrationError, match="no_such_figure"):
        load_calibration().figure(2023, "no_such_figure")


def test_every_assumption_has_a_note():
    for name, _value, note in load_calibration().assumptions():
        assert note, name


def test_pengshui_is_a_rural_county_profile():
    c = load_calibration()
    assert c.profile("500243") == "rural_county"
    assert c.profile("341700") == "prefecture"
