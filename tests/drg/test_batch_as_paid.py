"""`yibao batch settle` and `yibao monitor fund` show the inpatient line as the fund pays it
where the region pays by DRG/DIP (issue 18): 池州 (CHS-DRG) gets it, 彭水 (no params file) not;
the figures are those of drg.statement.as_paid_for_year on the same claims and settlements."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from yibao.cli.main import app
from yibao.drg.statement import as_paid_for_year
from yibao.synth import simulate_county
from yibao.synth.parquet import write_year

runner = CliRunner()


@pytest.fixture(scope="module")
def chizhou(library, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("chizhou")
    write_year(simulate_county("341700", 2023, 1500, seed=5, library=library), out)
    result = runner.invoke(
        app,
        ["batch", "settle", str(out / "claims.parquet"), "--out", str(out / "settled.parquet"),
         "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout)


def test_batch_settle_prints_the_inpatient_line_as_the_fund_pays_it(chizhou):
    out, doc = chizhou
    (year,) = doc["years"]
    ip = year["fund_statement"]["inpatient_as_paid"]
    settled = pl.read_parquet(out / "settled.parquet")
    claims = pl.read_parquet(out / "claims.parquet")
    expected = as_paid_for_year(settled, claims, "341700", 2023)
    assert expected is not None and ip == expected.to_json()
    covered = settled.filter(pl.col("covered") & (pl.col("med_type") == "21"))
    assert round(ip["claim_level"] * 100) == int(covered["hifp_pay"].sum())
    assert round((ip["paid_by_points"] + ip["paid_by_project"]) * 100) == round(ip["as_paid"] * 100)
    assert ip["method"] == "drg"


def test_the_table_shows_the_line(chizhou):
    out, _ = chizhou
    result = runner.invoke(
        app,
        ["batch", "settle", str(out / "claims.parquet"), "--out", str(out / "again.parquet")],
    )
    assert result.exit_code == 0, result.output
    assert "按 DRG 实际支付" in result.output


def test_a_region_without_drg_params_has_no_such_line(library, tmp_path):
    write_year(simulate_county("500243", 2023, 300, seed=3, library=library), tmp_path)
    result = runner.invoke(
        app,
        ["batch", "settle", str(tmp_path / "claims.parquet"), "--out",
         str(tmp_path / "settled.parquet"), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (year,) = json.loads(result.stdout)["years"]
    assert "inpatient_as_paid" not in year["fund_statement"]


def test_monitor_fund_shows_the_line_from_the_batch_files(chizhou):
    out, doc = chizhou
    (year,) = doc["years"]
    args = ["monitor", "fund", "--settlements", str(out / "settled.parquet"), "--region",
            "341700", "--year", "2023", "--contributions", str(out / "contributions.parquet")]  # fmt: skip
    without = runner.invoke(app, [*args, "--json"])
    assert without.exit_code == 0, without.output
    assert "需要 --claims" in json.loads(without.stdout)["inpatient_as_paid_note"]
    given = runner.invoke(app, [*args, "--claims", str(out / "claims.parquet"), "--json"])
    assert given.exit_code == 0, given.output
    assert (
        json.loads(given.stdout)["inpatient_as_paid"] == year["fund_statement"]["inpatient_as_paid"]
    )
    text = runner.invoke(app, [*args, "--claims", str(out / "claims.parquet")])
    assert "按 DRG 实际支付" in text.output


def test_the_spark_engines_folders_are_read_like_the_files(chizhou, tmp_path):
    """OUT/settlements and claims.parquet as folders partitioned by insuplc_admdvs and
    setl_month, with Spark's .crc files beside the data."""
    from yibao.batch.settle import inpatient_frames

    out, _ = chizhou
    month = pl.col("setl_time").dt.strftime("%Y-%m").alias("setl_month")
    for name, source in (("claims", "claims.parquet"), ("settled", "settled.parquet")):
        frame = pl.read_parquet(out / source)
        assert "setl_time" in frame.columns  # the settlements carry it (batch.settle.CARRIED)
        if "insuplc_admdvs" not in frame.columns:
            frame = frame.with_columns(pl.lit("341700").alias("insuplc_admdvs"))
        folder = tmp_path / name / ("settlements" if name == "settled" else "")
        frame.with_columns(month).write_parquet(
            folder, partition_by=["insuplc_admdvs", "setl_month"]
        )
        (folder / ".part-0.crc").write_bytes(b"crc")
    as_files = inpatient_frames(out / "claims.parquet", out / "settled.parquet", "341700", 2023)
    as_folders = inpatient_frames(tmp_path / "claims", tmp_path / "settled", "341700", 2023)
    for a, b in zip(as_files, as_folders, strict=True):
        assert b.sort("setl_id").select(a.columns).equals(a.sort("setl_id"))


def test_the_line_can_be_left_out(chizhou):
    out, _ = chizhou
    args = ["batch", "settle", str(out / "claims.parquet"), "--out", str(out / "no.parquet")]
    result = runner.invoke(app, [*args, "--no-as-paid", "--json"])
    assert result.exit_code == 0, result.output
    (year,) = json.loads(result.stdout)["years"]
    assert "inpatient_as_paid" not in year["fund_statement"]
