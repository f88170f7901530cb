"""yibao simulate and yibao batch settle: the CLI contracts (--json, errors naming the field)."""

import json

from typer.testing import CliRunner

from yibao.cli.main import app

runner = CliRunner()


def test_simulate_then_batch_settle_json(tmp_path):
    r = runner.invoke(
        app,
        ["simulate", "--region", "500243", "--year", "2023", "--persons", "300", "--out", str(tmp_path), "--seed", "2", "--json"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["counts"]["persons"] == 300
    r = runner.invoke(
        app,
        ["batch", "settle", str(tmp_path / "claims.parquet"), "--out", str(tmp_path / "s.parquet"), "--opening-balance", "100000", "--json"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["claims"] > 0
    (year,) = doc["years"]
    assert year["region"] == "500243"
    assert year["fund_statement"]["insured"] > 0
    assert {row["metric"] for row in year["calibration"]} >= {"住院率", "次均住院费用（元）"}


def test_simulate_rejects_non_positive_persons(tmp_path):
    r = runner.invoke(
        app,
        [
            "simulate",
            "--region",
            "500243",
            "--year",
            "2023",
            "--persons",
            "0",
            "--out",
            str(tmp_path),
        ],
    )
    assert r.exit_code != 0
    assert "persons" in r.stderr


def test_batch_settle_missing_file_names_claims(tmp_path):
    r = runner.invoke(
        app, ["batch", "settle", str(tmp_path / "no.parquet"), "--out", str(tmp_path / "o.parquet")]
    )
    assert r.exit_code != 0
    assert "claims" in r.stderr
