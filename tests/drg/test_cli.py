"""The CLI contract of issue 18: yibao drg|dip group … --json and settle … --json."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from yibao.cli.main import app

runner = CliRunner()
ORACLE = {
    "gend": "2",
    "age": 88,
    "age_days": None,
    "weight": None,
    "los": 94,
    "leaving_type": "1",
    "diagnoses": ["K22.301", "K11.901", "E11.900", "I10.x05"],
    "procedures": ["96.0800x005"],
}


def test_drg_group_oracle_from_stdin():
    result = runner.invoke(
        app, ["drg", "group", "-", "--version", "CHS-DRG 1.1", "--json"], input=json.dumps(ORACLE)
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["mdc"], doc["adrg"], doc["drg"]) == ("MDCG", "GZ1", "GZ13")
    assert doc["trace"] and doc["trace"][-1].startswith("GZ13")


def test_dip_group_core_and_comprehensive(tmp_path: Path):
    cases = [
        {
            "case_id": "a",
            "gend": "1",
            "age": 30,
            "los": 5,
            "diagnoses": ["K35.800x001"],
            "procedures": ["47.0901"],
        },
        {
            "case_id": "b",
            "gend": "1",
            "age": 30,
            "los": 5,
            "diagnoses": ["K35.800x001"],
            "procedures": ["51.2300"],
        },
        {"case_id": "c", "gend": "1", "age": 30, "los": 5, "diagnoses": ["Z00.000"]},
    ]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases), encoding="utf-8")
    result = runner.invoke(app, ["dip", "group", str(path), "--json"])
    assert result.exit_code == 0, result.output
    a, b, c = json.loads(result.stdout)
    assert a["drg"] == "K35.8-47.0901" and a["status"] == "入组"
    assert b["drg"] == "K35-综合-手术"
    assert c["status"] == "未入组" and "Z00.0" in c["reason"]


def test_group_error_names_the_field():
    bad = {**ORACLE, "diagnoses": ["K22.301", "Q99.999"]}
    result = runner.invoke(app, ["drg", "group", "-", "--json"], input=json.dumps(bad))
    assert result.exit_code == 2
    assert "diagnoses[1]" in result.stderr and "Q99.999" in result.stderr


def _year(tmp_path: Path, region: str, n: int = 60) -> Path:
    """A small settled year: n inpatient claims at three hospitals of three levels."""
    levels = ["02", "05", "08"]
    rows = []
    for i in range(n):
        lv = levels[i % 3]
        fee = 300_000 + 7_919 * i * (3 - i % 3)
        rows.append(
            {
                "setl_id": f"P{i:03d}-0001",
                "certno": f"34170219{50 + i % 40:02d}0101123{i % 10}",
                "insuplc_admdvs": region,
                "med_type": "21",
                "hosp_lv": lv,
                "fixmedins_code": f"H{region}{lv}",
                "setl_time": dt.datetime(2023, 1 + i % 12, 15, 10),
                "begndate": dt.date(2023, 1 + i % 12, 5),
                "enddate": dt.date(2023, 1 + i % 12, 5 + 3 + i % 9),
                "medfee_sumamt": fee,
                "hifp_pay": fee * 6 // 10,
                "covered": True,
            }
        )
    frame = pl.DataFrame(rows)
    frame.drop("hifp_pay", "covered").write_parquet(tmp_path / "claims.parquet")
    frame.select("setl_id", "med_type", "medfee_sumamt", "hifp_pay", "covered").write_parquet(
        tmp_path / "settled.parquet"
    )
    return tmp_path / "settled.parquet"


@pytest.mark.parametrize(("method", "region"), [("drg", "341700"), ("dip", "421200")])
def test_settle_with_budget_payments_add_to_the_budget(tmp_path: Path, method: str, region: str):
    settled = _year(tmp_path, region)
    excel = tmp_path / "statement.xlsx"
    args = [
        method,
        "settle",
        str(settled),
        "--region",
        region,
        "--year",
        "2023",
        "--budget",
        "123456.78",
    ]
    result = runner.invoke(app, [*args, "--excel", str(excel), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    hospitals = doc["hospitals"]
    assert {h["fixmedins_code"] for h in hospitals} == {
        f"H{region}02",
        f"H{region}05",
        f"H{region}08",
    }
    assert sum(h["cases"] for h in hospitals) == 60
    total_fen = sum(round(h["payment"] * 100) for h in hospitals)
    assert abs(total_fen - 12_345_678) <= len(hospitals)
    assert doc["point_value"] > 0 and doc["total_points"] > 0
    assert doc["coverage"] == {
        "cases": "100.00%",
        "hospitals": "100.00%",
        "fund_expenditure": "100.00%",
    }
    from openpyxl import load_workbook

    sheet = load_workbook(excel)["医院结算单"]
    assert sheet["A2"].value == "定点医疗机构"
    by_code = {r[0]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    first = hospitals[0]
    assert by_code[first["fixmedins_code"]][7] == first["payment"]
    assert by_code[first["fixmedins_code"]][5] == first["gain_loss"]


def test_settle_bad_budget_writes_nothing(tmp_path: Path):
    settled = _year(tmp_path, "341700")
    excel = tmp_path / "statement.xlsx"
    args = ["drg", "settle", str(settled), "--region", "341700", "--year", "2023", "--budget", "0"]
    result = runner.invoke(app, [*args, "--excel", str(excel), "--json"])
    assert result.exit_code == 2
    assert "budget" in result.stderr
    assert not excel.exists()


def test_settle_with_a_cases_file_joined_on_setl_id(tmp_path: Path):
    settled = _year(tmp_path, "341700", n=6)
    cases = pl.DataFrame(
        {
            "setl_id": [f"P{i:03d}-0001" for i in range(6)],
            "gend": ["2"] * 6,
            "age": [88] * 6,
            "age_days": [None] * 6,
            "weight": [None] * 6,
            "los": [9] * 6,
            "leaving_type": ["1"] * 6,
            "diagnoses": ["K22.301|K11.901"] * 3 + ["K22.301"] * 3,
            "procedures": [""] * 6,
        },
        schema_overrides={"age_days": pl.Int32, "weight": pl.Int32},
    )
    cases_path = tmp_path / "my_cases.parquet"
    cases.write_parquet(cases_path)
    args = [
        "drg",
        "settle",
        str(settled),
        "--region",
        "341700",
        "--year",
        "2023",
        "--cases",
        str(cases_path),
        "--json",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["cases_source"] == str(cases_path)
    assert doc["cases"]["grouped"] == 6
    assert doc["coverage"]["cases"] == "100.00%"
    # Three GZ13 (with the CC K11.901) and three GZ15 cases: the 基准点数 table of the year.
    assert {g: v["cases"] for g, v in doc["groups"].items()} == {"GZ13": 3, "GZ15": 3}


def test_ungrouped_cases_are_paid_by_project_and_lower_the_coverage(tmp_path: Path):
    settled = _year(tmp_path, "341700", n=6)
    pl.DataFrame(
        {"setl_id": [f"P{i:03d}-0001" for i in range(6)], "gend": ["1"] * 6, "age": [50] * 6,
         "los": [5] * 6, "leaving_type": ["1"] * 6,
         "diagnoses": ["J18.900"] * 4 + ["Z00.000"] * 2, "procedures": [""] * 6}
    ).write_parquet(tmp_path / "cases.parquet")  # fmt: skip
    result = runner.invoke(
        app, ["drg", "settle", str(settled), "--region", "341700", "--year", "2023", "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["cases"]["grouped"], doc["cases"]["ungrouped"]) == (4, 2)
    assert doc["coverage"]["cases"] == "66.67%"
    assert [c["setl_id"] for c in doc["not_paid_by_points"]] == ["P004-0001", "P005-0001"]
    assert doc["not_paid_by_points"][0]["reason"] == "不符合所有 MDC 的入组条件"
    # Without --budget the fund pays by points what it paid on the grouped claims, so the
    # inpatient line as paid equals the claim-level one; the ungrouped are paid 按项目.
    fund = doc["fund"]
    assert fund["inpatient_as_paid"] == fund["inpatient_claim_level"]
    assert round(fund["paid_by_points"] + fund["paid_by_project"], 2) == fund["inpatient_as_paid"]
    assert fund["paid_by_project"] > 0 and fund["difference"] == 0


def test_settle_case_without_main_diagnosis_is_named(tmp_path: Path):
    settled = _year(tmp_path, "341700", n=3)
    cases = pl.DataFrame(
        {"setl_id": [f"P{i:03d}-0001" for i in range(3)], "gend": ["1"] * 3, "age": [50] * 3,
         "los": [5] * 3, "leaving_type": ["1"] * 3, "diagnoses": ["J18.900", "", "J18.900"], "procedures": [""] * 3}
    )  # fmt: skip
    cases.write_parquet(tmp_path / "cases.parquet")
    result = runner.invoke(
        app, ["drg", "settle", str(settled), "--region", "341700", "--year", "2023", "--json"]
    )
    assert result.exit_code == 2
    assert "病例 P001-0001" in result.stderr and "diagnoses" in result.stderr


def test_dip_diagnosis_not_in_the_version_is_named():
    bad = {"gend": "1", "age": 30, "los": 5, "diagnoses": ["K35.800x001", "Q99.999"]}
    result = runner.invoke(app, ["dip", "group", "-", "--json"], input=json.dumps(bad))
    assert result.exit_code == 2
    assert "diagnoses[1]: 编码 Q99.999 不在 DIP 421200 2022" in result.stderr


def test_group_refuses_a_case_that_is_not_an_object():
    result = runner.invoke(app, ["drg", "group", "-", "--json"], input="[1]")
    assert result.exit_code == 2
    assert "CASE[0]: 病例应为 JSON 对象" in result.stderr


def test_settle_without_budget_pays_what_the_fund_paid_and_bands_move_it(tmp_path: Path):
    settled = _year(tmp_path, "341700")
    base = ["drg", "settle", str(settled), "--region", "341700", "--year", "2023", "--json"]
    plain = json.loads(runner.invoke(app, base).stdout)
    fund_paid = sum(round(h["fund_claims"] * 100) for h in plain["hospitals"])
    assert sum(round(h["payment"] * 100) for h in plain["hospitals"]) == fund_paid
    banded = json.loads(runner.invoke(app, [*base, "--bands"]).stdout)
    assert banded["bands_applied"] is True
    for h in banded["hospitals"]:  # the bands pull each amount towards the project amount
        before = next(x for x in plain["hospitals"] if x["fixmedins_code"] == h["fixmedins_code"])
        assert abs(h["gain_loss"]) <= abs(before["gain_loss"])


def test_monthly_prepayment_on_a_given_provisional_point_value(tmp_path: Path):
    settled = _year(tmp_path, "341700")
    args = ["drg", "settle", str(settled), "--region", "341700", "--year", "2023"]
    doc = json.loads(
        runner.invoke(app, [*args, "--provisional-point-value", "50", "--json"]).stdout
    )
    assert doc["provisional_point_value"] == 50.0
    for h in doc["hospitals"]:
        assert round(sum(h["monthly_prepayment"].values()), 2) == h["prepaid"]
        assert round(h["prepaid"] + h["year_end_settlement"], 2) == h["payment"]


def test_group_takes_the_regions_version_of_the_year():
    args = ["drg", "group", "-", "--region", "341700", "--json"]
    old = json.loads(runner.invoke(app, [*args, "--year", "2021"], input=json.dumps(ORACLE)).stdout)
    new = json.loads(runner.invoke(app, [*args, "--year", "2023"], input=json.dumps(ORACLE)).stdout)
    assert (old["version"], old["drg"]) == ("CHS-DRG 1.0", "GS19")
    assert (new["version"], new["drg"]) == ("CHS-DRG 1.1", "GZ13")


def test_cases_command_writes_the_file_settle_then_uses(tmp_path: Path):
    settled = _year(tmp_path, "341700", n=12)
    out = tmp_path / "cases.parquet"
    made = runner.invoke(
        app, ["drg", "cases", str(tmp_path / "claims.parquet"), "--out", str(out), "--json"]
    )
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["cases"] == 12
    args = ["drg", "settle", str(settled), "--region", "341700", "--year", "2023", "--json"]
    doc = json.loads(runner.invoke(app, args).stdout)
    assert doc["cases_source"] == str(out)
    assert doc["cases"]["total"] == 12


def test_settle_reads_the_cases_from_the_claims_when_they_carry_them(tmp_path: Path):
    from yibao.claims import CASE_FIELDS
    from yibao.synth.cases import with_case_fields

    settled = _year(tmp_path, "341700", n=24)
    claims_path = tmp_path / "claims.parquet"
    plain = pl.read_parquet(claims_path)
    args = ["drg", "settle", str(settled), "--region", "341700", "--year", "2023", "--json"]
    derived = json.loads(runner.invoke(app, args).stdout)
    assert derived["cases_source"].startswith("synthetic")
    with_case_fields(plain).write_parquet(claims_path)
    carried = json.loads(runner.invoke(app, args).stdout)
    assert carried["cases_source"].startswith("claims")
    assert carried["groups"] == derived["groups"]  # the same draws, carried on the claims
    # what the claims say is what is grouped: every case moved to one 主诊断
    with_case_fields(plain).with_columns(
        pl.lit("K35.800x001").alias("dscg_maindiag_code"),
        pl.lit(["K35.800x001"]).alias("diseinfo_diag_code"),
        pl.lit(["47.0901"]).alias("oprninfo_oprn_oprt_code"),
    ).write_parquet(claims_path)
    moved = json.loads(runner.invoke(app, args).stdout)
    assert set(moved["groups"]) == {"GD25"}  # 阑尾切除, no complication
    made = runner.invoke(
        app, ["drg", "cases", str(claims_path), "--out", str(tmp_path / "c.parquet"), "--json"]
    )
    assert json.loads(made.stdout)["cases_source"].startswith("claims")
    assert set(CASE_FIELDS) <= set(pl.read_parquet(claims_path).columns)
