"""目标: the notices' targets against hand-made settlements whose ratios are known exactly
(彭水 二级 70.00% met and 一级 79.00% not met by 三（二）1; 大病 60% 左右; 枣庄 DRG 70% （七）,
慢特病 65% by 2025, 普通门诊 300 元), the CLI with --json and --excel, and bad input."""

from __future__ import annotations

import json

import polars as pl
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from yibao.cli.main import app
from yibao.engine.fund_risk import drg_fund_share_bp
from yibao.engine.targets import EnrollmentCount, TargetsError, judge_ratio, targets_report
from yibao.policy import default_library
from yibao.synth.calibration import load_calibration
from yibao.synth.check import calibration_check

runner = CliRunner()


@pytest.fixture(scope="module")
def lib():
    return default_library()


def pengshui_settled() -> pl.DataFrame:
    """彭水 2023: A (一般居民) at a 三级 and a 二级 hospital, B (低保对象) at a 一级 one.

    三级 61.00%, 二级 70.00%, 一级 79.00%; all inpatient 2 100 000 / 3 000 000 = 70.00%.
    大病: A's eligible 26 901 元 is 10 000 元 above the 16 901 元 deductible, paid 6 000 元;
    B's 18 450.50 元 is 10 000 元 above the halved 8 450.50 元 (三（二）2 起付线降低50%), paid
    6 300 元: 12 300 / 20 000 = 61.50%.
    """
    return pl.DataFrame(
        {
            "setl_id": ["s1", "s2", "s3", "s4"],
            "psn_no": ["A", "A", "B", "B"],
            "year": [2023] * 4,
            "med_type": ["21", "21", "21", "11"],
            "hosp_lv": ["02", "05", "08", "08"],
            "categories": ["", "", "低保对象", "低保对象"],
            "inscp_scp_amt": [1_000_000, 1_000_000, 1_000_000, 10_000],
            "hifp_pay": [610_000, 700_000, 790_000, 6_000],
            "hifmi_pay": [600_000, 0, 630_000, 0],
            "maf_pay": [0, 0, 0, 0],
            "critical_eligible_delta": [2_690_100, 0, 1_845_050, 0],
        }
    )


ENROLLED = {
    "enrollment_rate": EnrollmentCount(eligible=1000, insured=950),
    "eight_categories_enrollment_rate": EnrollmentCount(eligible=200, insured=199),
}


def by_key(report):
    return {r.key: r for r in report.rows}


def test_pengshui_county_level_two_70_percent_is_met(lib):
    rows = by_key(targets_report(lib.resolve("500243", 2023), pengshui_settled()))
    r = rows["benefits.county_inpatient_ratio_target.二级"]
    assert (r.numerator, r.denominator, r.actual_bp) == (700_000, 1_000_000, 7000)
    assert r.target == 7000 and r.comparison == "at_least" and r.status == "met"
    assert r.clause.startswith("三（二）1") and r.assumed is False


def test_pengshui_county_level_one_79_percent_misses_80(lib):
    rows = by_key(targets_report(lib.resolve("500243", 2023), pengshui_settled()))
    r = rows["benefits.county_inpatient_ratio_target.一级"]
    assert (r.numerator, r.denominator, r.actual_bp) == (790_000, 1_000_000, 7900)
    assert r.target == 8000 and r.status == "not_met" and r.status_label == "未达到"


def test_inpatient_ratio_70_about_uses_the_assumed_tolerance(lib):
    policy = lib.resolve("500243", 2023)
    r = by_key(targets_report(policy, pengshui_settled()))["benefits.inpatient_policy_ratio_target"]
    assert (r.numerator, r.denominator, r.actual_bp) == (2_100_000, 3_000_000, 7000)
    assert r.comparison == "about" and r.tolerance_bp == 200 and r.status == "met"
    assert "假定值" in r.tolerance_source
    assert policy.targets.about_tolerance.assumed and policy.targets.about_tolerance.note


def test_about_tolerance_includes_its_ends_exactly():
    # 70% 左右 ±2 points: 72.00% and 68.00% are met, 72.01% and 67.99% are not
    assert judge_ratio(7200, 10_000, 7000, 200)
    assert judge_ratio(6800, 10_000, 7000, 200)
    assert not judge_ratio(7201, 10_000, 7000, 200)
    assert not judge_ratio(6799, 10_000, 7000, 200)
    # 达到: at least, exactly: 2/3 is below 66.67% though it rounds to it
    assert not judge_ratio(2, 3, 6667, None)
    assert judge_ratio(2, 3, 6666, None)


def test_critical_illness_ratio_uses_the_special_groups_halved_deductible(lib):
    r = by_key(targets_report(lib.resolve("500243", 2023), pengshui_settled()))[
        "critical_illness.policy_ratio_target"
    ]
    assert (r.numerator, r.denominator, r.actual_bp) == (1_230_000, 2_000_000, 6150)
    assert r.comparison == "about" and r.status == "met"  # 彭水 三（二）2 60%左右


def test_critical_illness_not_measurable_without_categories(lib):
    settled = pengshui_settled().drop("categories")
    r = by_key(targets_report(lib.resolve("500243", 2023), settled))[
        "critical_illness.policy_ratio_target"
    ]
    assert r.status == "not_measurable" and "categories" in r.reason


def test_enrollment_rates_against_95_and_100_percent(lib):
    rows = by_key(targets_report(lib.resolve("500243", 2023), pengshui_settled(), ENROLLED))
    general = rows["targets.enrollment_rate"]
    assert (general.numerator, general.denominator, general.actual_bp) == (950, 1000, 9500)
    assert general.status == "met" and general.numerator_unit == "人"
    eight = rows["targets.eight_categories_enrollment_rate"]
    assert eight.target == 10_000 and eight.actual_bp == 9950 and eight.status == "not_met"
    low = rows["targets.low_income_enrollment_rate"]  # 99%, national: no figures given
    assert low.status == "not_measurable" and "未提供" in low.reason


def test_county_targets_not_measurable_without_hosp_lv(lib):
    rows = by_key(targets_report(lib.resolve("500243", 2023), pengshui_settled().drop("hosp_lv")))
    for level in ("二级", "一级"):
        r = rows[f"benefits.county_inpatient_ratio_target.{level}"]
        assert r.status == "not_measurable" and "hosp_lv" in r.reason


def zaozhuang_settled(drg: bool) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "setl_id": ["z1", "z2", "z3"],
            "psn_no": ["C", "D", "D"],
            "med_type": ["21", "21", "14"],
            "hosp_lv": ["02", "05", "05"],
            "inscp_scp_amt": [1_000_000, 500_000, 100_000],
            "hifp_pay": [700_000, 300_000, 64_999],
            "hifmi_pay": [0, 0, 0],
        }
    )
    return frame.with_columns(pl.Series("drg", [True, False, False])) if drg else frame


def test_zaozhuang_drg_share_without_drg_column_is_not_measurable(lib):
    rows = by_key(targets_report(lib.resolve("370400", 2023), zaozhuang_settled(drg=False)))
    r = rows["targets.drg_fund_share"]
    assert r.status == "not_measurable" and "drg" in r.reason and r.clause.startswith("（七）")


def test_zaozhuang_drg_share_70_percent_met_as_fund_risk_computes_it(lib):
    settled = zaozhuang_settled(drg=True)
    r = by_key(targets_report(lib.resolve("370400", 2023), settled))["targets.drg_fund_share"]
    assert (r.numerator, r.denominator) == (700_000, 1_000_000) and r.status == "met"
    assert r.actual_bp == drg_fund_share_bp(settled) == 7000


def test_zaozhuang_chronic_65_percent_by_2025_and_outpatient_cap_300(lib):
    rows = by_key(targets_report(lib.resolve("370400", 2023), zaozhuang_settled(drg=False)))
    chronic = rows["benefits.chronic_outpatient_ratio_target"]
    assert (chronic.numerator, chronic.denominator, chronic.actual_bp) == (64_999, 100_000, 6500)
    assert chronic.status == "not_met" and chronic.due_year == 2025  # 64.999% < 65% exactly
    cap = rows["benefits.outpatient_cap_target"]
    assert (cap.target, cap.actual_bp, cap.status) == (30_000, 25_000, "not_met")


def test_targets_no_data_measures_say_why(lib):
    rows = by_key(targets_report(lib.resolve("370400", 2023), zaozhuang_settled(drg=True)))
    for key in (
        "targets.drg_institution_coverage",
        "targets.smart_monitoring_coverage",
        "targets.cross_province_settlement_counties",
    ):
        assert rows[key].status == "not_measurable" and rows[key].reason
    assert "targets.enrollment_rate" not in rows  # 枣庄 sets none; the national one is null


def test_inpatient_ratio_is_the_calibration_checks_definition(lib):
    policy = lib.resolve("500243", 2023)
    settled = pengshui_settled()
    sums = settled.group_by("med_type", "hosp_lv").agg(
        pl.len().alias("claims"),
        pl.col("inscp_scp_amt", "hifp_pay").sum(),
        pl.lit(0).alias("medfee_sumamt"),
    )
    check = calibration_check(sums, 1000, policy, load_calibration())
    checked = next(c for c in check if c.metric.endswith("（通知目标）"))
    ours = by_key(targets_report(policy, settled))["benefits.inpatient_policy_ratio_target"]
    assert ours.numerator / ours.denominator == pytest.approx(checked.simulated, abs=1e-12)


def test_bad_settlements_name_the_field(lib):
    policy = lib.resolve("500243", 2023)
    with pytest.raises(TargetsError, match="inscp_scp_amt"):
        targets_report(policy, pengshui_settled().drop("inscp_scp_amt"))
    with pytest.raises(TargetsError, match="hifp_pay must be integer fen"):
        targets_report(policy, pengshui_settled().with_columns(pl.col("hifp_pay") / 100))
    with pytest.raises(TargetsError, match="hosp_lv '99'"):
        targets_report(policy, pengshui_settled().with_columns(pl.lit("99").alias("hosp_lv")))
    with pytest.raises(TargetsError, match="enrollment: eight_categories_enrollment_rate"):
        targets_report(
            policy,
            pengshui_settled(),
            {"eight_categories_enrollment_rate": EnrollmentCount(eligible=1, insured=2)},
        )


# ---------------------------------------------------------------- CLI


def _files(tmp_path):
    settled = tmp_path / "settled.parquet"
    pengshui_settled().write_parquet(settled)
    counts = tmp_path / "enrolled.csv"
    counts.write_text(
        "group,eligible,insured\n全体城乡居民,1000,950\neight_categories_enrollment_rate,200,199\n",
        encoding="utf-8",
    )
    return settled, counts


def test_cli_targets_json_is_one_document(tmp_path):
    settled, counts = _files(tmp_path)
    r = runner.invoke(app, ["monitor", "targets", "--region", "500243", "--year", "2023",
                            "--settled", str(settled), "--enrollments", str(counts), "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    rows = {t["key"]: t for t in doc["targets"]}
    level2 = rows["benefits.county_inpatient_ratio_target.二级"]
    assert level2["actual"] == "70%" and level2["status"] == "met"
    assert level2["numerator"] == 700_000 and level2["numerator_yuan"] == 7000.0
    assert rows["benefits.county_inpatient_ratio_target.一级"]["status"] == "not_met"
    assert rows["targets.enrollment_rate"]["actual"] == "95%"
    assert rows["targets.eight_categories_enrollment_rate"]["status_label"] == "未达到"
    assert doc["summary"]["not_met"] >= 2 and doc["excel"] is None


def test_cli_targets_excel_has_the_rows_as_numbers(tmp_path):
    settled, counts = _files(tmp_path)
    out = tmp_path / "targets.xlsx"
    r = runner.invoke(app, ["monitor", "targets", "--region", "500243", "--year", "2023",
                            "--settled", str(settled), "--enrollments", str(counts),
                            "--excel", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "县域住院政策范围内基金支付比例（一级医院）" in r.stdout
    sheet = load_workbook(out)["目标"]
    header = [c.value for c in sheet[4]]
    assert header[:6] == ["目标", "政策参数", "判定方式", "目标值", "容差（左右）", "实际值"]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=5)}
    level1 = rows["县域住院政策范围内基金支付比例（一级医院）"]
    assert level1[3].value == pytest.approx(0.8) and level1[3].number_format == "0.00%"
    assert level1[5].value == pytest.approx(0.79) and level1[5].number_format == "0.00%"
    assert level1[6].value == 7900.0 and level1[7].value == 10000.0  # yuan
    assert level1[9].value == "未达到"
    inpatient = rows["政策范围内住院费用基金支付比例"]
    assert inpatient[4].value == pytest.approx(0.02) and inpatient[9].value == "达到"
    assert rows["参保率（全体城乡居民）"][6].value == 950


def test_cli_targets_bad_input_names_the_option(tmp_path):
    settled, _ = _files(tmp_path)
    base = ["monitor", "targets", "--region", "500243", "--year", "2023"]
    r = runner.invoke(app, [*base, "--settled", str(tmp_path / "none.parquet")])
    assert r.exit_code == 2 and "--settled" in r.output
    pengshui_settled().drop("hifp_pay").write_parquet(tmp_path / "bad.parquet")
    r = runner.invoke(app, [*base, "--settled", str(tmp_path / "bad.parquet")])
    assert r.exit_code == 2 and "--settled: missing column hifp_pay" in r.output
    bad = tmp_path / "bad.csv"
    bad.write_text("group,eligible,insured\n全体城乡居民,1000,九百\n", encoding="utf-8")
    r = runner.invoke(app, [*base, "--settled", str(settled), "--enrollments", str(bad)])
    assert r.exit_code == 2 and "--enrollments: row 2: insured" in r.output
    r = runner.invoke(app, [*base, "--settled", str(settled), "--excel", str(tmp_path / "t.csv")])
    assert r.exit_code == 2 and "--excel" in r.output
    assert not (tmp_path / "t.csv").exists()


def test_cli_targets_joins_hosp_lv_from_claims(tmp_path):
    settled = tmp_path / "settled.parquet"
    claims = tmp_path / "claims.parquet"
    frame = pengshui_settled()
    frame.drop("hosp_lv", "categories").write_parquet(settled)
    frame.select("setl_id", "hosp_lv", "categories").write_parquet(claims)
    r = runner.invoke(app, ["monitor", "targets", "--region", "500243", "--year", "2023",
                            "--settled", str(settled), "--claims", str(claims), "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    rows = {t["key"]: t for t in json.loads(r.stdout)["targets"]}
    assert rows["benefits.county_inpatient_ratio_target.二级"]["actual_bp"] == 7000
    assert rows["critical_illness.policy_ratio_target"]["actual_bp"] == 6150
