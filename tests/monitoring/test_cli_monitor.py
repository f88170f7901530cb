"""The CLI contracts: yibao monitor warnings | rules | fund | assist and yibao compare, each
with --json printing one document; bad input names the option and exits non-zero."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
from openpyxl import load_workbook
from typer.testing import CliRunner

from yibao.cli.main import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def _settlements(tmp_path):
    s = pl.DataFrame(
        {
            "setl_id": ["s1", "s2", "s3"],
            "psn_no": ["A", "B", "B"],
            "year": [2023, 2023, 2023],
            "med_type": ["21", "21", "11"],
            "setl_time": [dt.datetime(2023, 3, 1, 9)] * 3,
            "medfee_sumamt": [5_000_000, 900_000, 10_000],
            "fulamt_ownpay_amt": [0, 0, 0],
            "overlmt_selfpay": [0, 0, 0],
            "preselfpay_amt": [0, 0, 0],
            "hifp_pay": [3_000_000, 600_000, 5_000],
            "hifmi_pay": [400_000, 0, 0],
            "maf_pay": [0, 0, 0],
            "fund_pay_sumamt": [3_400_000, 600_000, 5_000],
            "psn_part_amt": [1_600_000, 300_000, 5_000],
        }
    )
    p = pl.DataFrame(
        {"psn_no": ["A", "B"], "township": ["保家镇", "郁山镇"], "categories": ["低保对象", ""]}
    )
    s.write_parquet(tmp_path / "s.parquet")
    p.write_parquet(tmp_path / "p.parquet")
    return tmp_path / "s.parquet", tmp_path / "p.parquet"


def test_monitor_warnings_json_and_township_workbook(tmp_path):
    s, p = _settlements(tmp_path)
    out = tmp_path / "out"
    r = run("monitor", "warnings", "--settlements", str(s), "--persons", str(p),
            "--region", "500243", "--year", "2023", "--out", str(out), "--json")  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["flagged"] == 1 and doc["townships"][0]["township"] == "保家镇"
    assert doc["townships"][0]["persons"][0]["out_of_pocket"] == 16000.0
    wb = load_workbook(out / "warnings.xlsx")
    assert wb.sheetnames == ["汇总", "保家镇"]
    assert wb["保家镇"]["A2"].value == "A"
    assert json.loads((out / "warnings.json").read_text(encoding="utf-8"))["flagged"] == 1


def test_monitor_fund_json(tmp_path):
    s, _ = _settlements(tmp_path)
    r = run("monitor", "fund", "--settlements", str(s), "--region", "370400", "--year", "2023",
            "--revenue", "50000", "--opening-balance", "10000", "--json")  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["expenditure"] == 40050.0
    assert doc["balance"] == 19950.0
    assert doc["balance_months"] == 5.98  # 19950 / 40050 × 12
    assert {w["code"] for w in doc["warnings"]} == {"balance_low"}


def test_monitor_assist_json(tmp_path):
    s, _ = _settlements(tmp_path)
    r = run("monitor", "assist", "--settlements", str(s), "--psn-no", "A", "--region", "370400",
            "--application-date", "2023-09-10", "--json")  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["eligible"] == 16000.0 and doc["claims"] == ["s1"]


def test_monitor_rules_json(tmp_path):
    from yibao.monitoring.clean_sample import clean_sample
    from yibao.synth.anomalies import inject

    claims, details, persons = clean_sample(120, seed=4)
    claims, details, truth = inject(claims, details, persons, rate=0.01, seed=4)
    claims.write_parquet(tmp_path / "c.parquet")
    details.write_parquet(tmp_path / "d.parquet")
    persons.write_parquet(tmp_path / "p.parquet")
    r = run("monitor", "rules", "--claims", str(tmp_path / "c.parquet"), "--details",
            str(tmp_path / "d.parquet"), "--persons", str(tmp_path / "p.parquet"), "--json")  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert {h["setl_id"] for h in doc["hits"]} == set(truth["setl_id"].to_list())
    assert doc["hit_count"] == len(doc["hits"]) >= truth.height


def test_bad_input_names_the_option(tmp_path):
    r = run("monitor", "warnings", "--settlements", str(tmp_path / "none.parquet"), "--persons",
            str(tmp_path / "none.parquet"), "--region", "500243", "--year", "2023", "--json")  # fmt: skip
    assert r.exit_code != 0 and "--settlements" in r.stderr
    r = run("compare", "--base", "500243", "--reform", "x.yaml", "--persons", "5", "--json")
    assert r.exit_code != 0 and "--base" in r.stderr


def test_compare_json_contract(tmp_path):
    from pathlib import Path

    reform = Path(__file__).resolve().parents[2] / "examples" / "reform_contribution_plus30.yaml"
    r = run("compare", "--base", "500243:2023", "--reform", str(reform), "--persons", "150",
            "--seed", "1", "--json")  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["difference"]["revenue"] == 30.0 * doc["base"]["persons"]
    assert set(doc["difference"]) >= {"expenditure", "balance", "flagged"}
    assert doc["changed_parameters"] == ["financing.personal_contribution"]
