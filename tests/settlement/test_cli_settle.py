"""yibao settle FILE|- [--json]."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from yibao.cli.main import app

DATA = Path(__file__).parent / "data"
PENGSHUI = DATA / "pengshui_dibao_inpatient.json"
runner = CliRunner()


def test_settle_json_pengshui_dibao_inpatient_60000():
    result = runner.invoke(app, ["settle", str(PENGSHUI), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    info = doc["setlinfo"]
    assert (info["hifp_pay"], info["hifmi_pay"], info["maf_pay"]) == (44775.0, 4403.43, 7575.1)
    assert info["psn_part_amt"] == 3246.47
    assert [d["fund_pay_type"] for d in doc["setldetail"]] == ["390100", "390200", "610100"]
    assert all("clause" in e and "source" in e for e in doc["explanation"])
    assert doc["accumulators_after"]["assistance_paid"] == 7575.1
    assert doc["policy"]["files"][-1] == "500243/2023.yaml"


def test_settle_reads_stdin_and_ytd_running_totals():
    claim = json.loads(PENGSHUI.read_text(encoding="utf-8"))
    claim["ytd"] = {"assistance_paid": 59000}
    result = runner.invoke(app, ["settle", "-", "--json"], input=json.dumps(claim))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["setlinfo"]["maf_pay"] == 1000.0


def test_settle_prints_a_readable_chinese_table():
    result = runner.invoke(app, ["settle", str(PENGSHUI)])
    assert result.exit_code == 0, result.output
    for text in ("医疗救助基金", "大病保险", "3,246.47", "三（二）2"):
        assert text in result.stdout


def test_settle_bad_input_names_the_field():
    claim = json.loads(PENGSHUI.read_text(encoding="utf-8"))
    for field, value in (("hosp_lv", "99"), ("med_type", "77"), ("medfee_sumamt", -5)):
        bad = {**claim, field: value}
        result = runner.invoke(app, ["settle", "-", "--json"], input=json.dumps(bad))
        assert result.exit_code != 0
        assert field in result.stderr
        assert result.stdout == ""


def test_settle_claim_without_coverage_is_an_error():
    claim = json.loads(PENGSHUI.read_text(encoding="utf-8"))
    claim["coverage_end"] = "2022-12-31"
    claim["coverage_begin"] = "2022-01-01"
    result = runner.invoke(app, ["settle", "-", "--json"], input=json.dumps(claim))
    assert result.exit_code != 0
    assert "no coverage" in result.stderr
