"""The CLI contracts: yibao quote, yibao enroll duplicates | ledger | coverage (--json)."""

import json

import pytest
from typer.testing import CliRunner

from yibao.cli.main import app

runner = CliRunner()


def run_json(*args):
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("category", "subsidy", "due"),
    [
        ("特困人员", 350.0, 0.0),
        ("低保对象", 315.0, 35.0),
        ("边缘易致贫人口", 175.0, 175.0),
        ("稳定脱贫人口", 128.0, 222.0),
    ],
)
def test_quote_xianning_2022_four_amounts(category, subsidy, due):
    doc = run_json("quote", "--region", "421200", "--year", "2022", "--category", category)
    assert (doc["standard"], doc["assistance_subsidy"], doc["personal_due"]) == (
        350.0,
        subsidy,
        due,
    )
    assert doc["applied_category"] == category


def test_quote_contract_keys_and_fiscal_shares():
    doc = run_json("quote", "--region", "341700", "--year", "2023", "--student", "市属高校")
    assert {"region", "year", "tier", "standard", "assistance_subsidy", "personal_due"} <= set(doc)
    assert {"applied_category", "fiscal_subsidy", "fiscal_shares", "sources"} <= set(doc)
    assert doc["fiscal_shares"] == {
        "central": 384.0,
        "provincial": 128.0,
        "municipal": 128.0,
        "county": 0.0,
    }


def test_quote_county_scheme_and_population():
    doc = run_json(
        "quote", "--region", "421200", "--county", "421223", "--year", "2022", "--persons", "1000"
    )
    assert doc["fiscal_scheme"] == "脱贫县"
    assert doc["population"]["fiscal_shares"]["provincial"] == 146400.0
    assert doc["population"]["fiscal_subsidy_total"] == 610000.0


def test_quote_lists_assumed_values():
    doc = run_json("quote", "--region", "500243", "--year", "2023", "--tier", "2")
    assert any(a["item"] == "personal_contribution" for a in doc["assumed"])


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--region", "341700", "--year", "2023", "--tier", "2"], "tier"),
        (["--region", "341700", "--year", "2023", "--county", "421222"], "county"),
        (["--region", "341700", "--year", "2023", "--category", "贵族"], "category"),
        (["--region", "341700", "--year", "2023", "--scheme", "火星"], "scheme"),
        (["--region", "341700", "--year", "2030"], "2030"),
    ],
)
def test_quote_errors_name_the_field(args, field):
    result = runner.invoke(app, ["quote", *args, "--json"])
    assert result.exit_code != 0
    assert field in result.stderr
    assert result.stdout == ""


def write_csv(path, header, rows):
    path.write_text(
        "\n".join([",".join(header), *(",".join(r) for r in rows)]) + "\n", encoding="utf-8"
    )
    return path


def test_enroll_duplicates_csv(tmp_path, ids):
    f = write_csv(
        tmp_path / "e.csv",
        ["certno", "insutype", "insuplc_admdvs", "begndate", "enddate"],
        [
            [ids[0], "390", "500243", "2023-01-01", "2023-12-31"],
            [ids[0], "310", "421202", "2023-10-01", "2024-09-30"],
            [ids[1], "390", "500243", "2023-01-01", "2023-12-31"],
        ],
    )
    doc = run_json("enroll", "duplicates", str(f), "--year", "2023", "--unmask")
    assert doc["duplicate_persons"] == 1
    assert doc["persons"][0]["certno"] == ids[0]
    assert doc["pairs"][0]["overlap_days"] == 92


def test_enroll_duplicates_bad_id_rejected(tmp_path):
    f = write_csv(
        tmp_path / "e.csv",
        ["certno", "insutype", "insuplc_admdvs", "begndate", "enddate"],
        [["500243196001011230", "390", "500243", "2023-01-01", "2023-12-31"]],
    )
    result = runner.invoke(app, ["enroll", "duplicates", str(f), "--year", "2023", "--json"])
    assert result.exit_code != 0
    assert "row 2: certno" in result.stderr


def test_enroll_ledger_writes_excel(tmp_path, ids):
    roster = write_csv(
        tmp_path / "r.csv",
        ["身份证号", "姓名", "类别", "乡镇"],
        [[ids[0], "甲", "低保对象", "保家镇"], [ids[1], "乙", "特困人员", "保家镇"]],
    )
    enrollments = write_csv(
        tmp_path / "e.csv",
        ["certno", "insutype", "insuplc_admdvs", "year"],
        [[ids[0], "390", "500243", "2023"]],
    )
    out = tmp_path / "ledger.xlsx"
    doc = run_json(
        "enroll",
        "ledger",
        "--roster",
        str(roster),
        "--enrollments",
        str(enrollments),
        "--region",
        "500243",
        "--year",
        "2023",
        "--out",
        str(out),
    )
    assert doc["uninsured_count"] == 1
    assert doc["uninsured"][0]["category"] == "特困人员"
    assert out.exists()


def test_enroll_coverage_claim_in_waiting_period():
    doc = run_json(
        "enroll",
        "coverage",
        "--region",
        "341700",
        "--year",
        "2023",
        "--payment-date",
        "2023-06-16",
        "--situation",
        "continuation",
        "--previous-end",
        "2023-03-15",
        "--event",
        "职工医保中断",
        "--claim-date",
        "2023-08-01",
    )
    assert doc["rule"] == "continuation_waiting"
    assert doc["claim"]["payable"] is False
    assert "等待期" in doc["claim"]["reason"]


def test_enroll_coverage_newborn_birth_date_from_id_number():
    from yibao.idcard import make_id

    baby = make_id("341702", __import__("datetime").date(2023, 3, 1), 5)
    doc = run_json(
        "enroll", "coverage", "--region", "341700", "--year", "2023",
        "--payment-date", "2023-05-30", "--situation", "newborn", "--certno", baby,
    )  # fmt: skip
    assert (doc["rule"], doc["coverage_begin"]) == ("newborn_from_birth", "2023-03-01")


def test_enroll_coverage_bad_id_number_rejected():
    result = runner.invoke(
        app,
        ["enroll", "coverage", "--region", "341700", "--year", "2023",
         "--payment-date", "2023-05-30", "--certno", "341702202303010051", "--json"],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "certno" in result.stderr
