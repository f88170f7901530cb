import json

from typer.testing import CliRunner

from yibao.cli.main import app

runner = CliRunner()


def test_policy_list_json():
    result = runner.invoke(app, ["policy", "list", "--json"])
    assert result.exit_code == 0
    codes = {j["code"] for j in json.loads(result.stdout)["jurisdictions"]}
    assert {"000000", "341700", "150000", "370400", "421200", "500243"} <= codes


def test_policy_show_marks_assumed_values():
    result = runner.invoke(app, ["policy", "show", "500243", "2023", "--json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    by_path = {p["path"]: p for p in doc["parameters"]}
    assert by_path["critical_illness.deductible"]["value"] == 16901
    assert by_path["critical_illness.deductible"]["assumed"] is False
    assert by_path["medical_assistance.annual_limit"]["assumed"] is True
    assert doc["assumed_count"] == sum(1 for p in doc["parameters"] if p["assumed"])


def test_policy_show_unknown_region_fails_clearly():
    result = runner.invoke(app, ["policy", "show", "123456", "2023", "--json"])
    assert result.exit_code != 0
    assert "unknown region" in result.stderr


def test_policy_diff_names_changed_leaves():
    result = runner.invoke(app, ["policy", "diff", "421200", "2022", "421200", "2023", "--json"])
    assert result.exit_code == 0
    paths = {c["path"] for c in json.loads(result.stdout)["changes"]}
    assert "benefits.pools.maternity.annual_cap.1" in paths
    assert "benefits.pools.outpatient_general.annual_cap.1" in paths
