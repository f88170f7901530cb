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


def test_policy_show_assumed_counts_per_region_on_the_chain():
    doc = json.loads(
        runner.invoke(app, ["policy", "show", "421200", "2023", "--assumed", "--json"]).stdout
    )
    counts = doc["assumed_by_region"]
    assert list(counts) == ["000000", "420000", "421200"]  # chain order
    # 421200: the 2023 subsidy rules (one assumed parameter) and the 2022 values carried on.
    assert counts["420000"] == 2 and counts["421200"] >= 1
    assert doc["assumed_count"] == sum(counts.values())
    text = runner.invoke(app, ["policy", "show", "421200", "2023", "--assumed"]).stdout
    parts = ", ".join(f"{c}: {n}" for c, n in counts.items())
    assert f"假定值 {doc['assumed_count']} 项（{parts}）" in text


def test_policy_show_assumed_counts_an_assumed_rule_in_a_cited_list():
    # 池州 一、4: the list is cited, its 退捕渔民 rule (no ratio given) is assumed.
    doc = json.loads(
        runner.invoke(app, ["policy", "show", "341700", "2023", "--assumed", "--json"]).stdout
    )
    paths = {p["path"] for p in doc["parameters"]}
    assert "assistance_subsidy.rules" in paths
    assert doc["assumed_by_region"]["341700"] >= 1
