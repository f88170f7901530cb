"""``yibao simulate --engine spark`` then ``yibao batch settle --engine spark``: one JSON document
each on stdout, and the same claims settled as the local engine settles them."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from yibao.batch.settle import settle_table
from yibao.cli.main import app

pytestmark = pytest.mark.spark


def test_simulate_then_batch_settle_on_spark_from_the_cli(spark, tmp_path, library):
    runner = CliRunner()
    out = tmp_path / "year"
    sim = runner.invoke(
        app,
        f"simulate --region 341700 --year 2023 --persons 600 --seed 9 --chunk 300 --out {out}"
        " --engine spark --json".split(),
    )
    assert sim.exit_code == 0, sim.output
    made = json.loads(sim.stdout)
    assert made["engine"] == "spark" and made["shards"] == 2

    settled = runner.invoke(
        app,
        f"batch settle {out}/claims.parquet --out {tmp_path}/settled --engine spark --json".split(),
    )
    assert settled.exit_code == 0, settled.output
    doc = json.loads(settled.stdout)
    assert doc["claims"] == made["counts"]["claims"]
    claims = pl.read_parquet(
        out / "claims.parquet",
        hive_partitioning=True,
        hive_schema={"insuplc_admdvs": pl.String, "setl_month": pl.String},
    )
    _, accs, sums = settle_table(claims.drop("setl_month"), library)
    assert doc["persons"] == accs.height
    layers = doc["years"][0]["fund_statement"]["expenditure"]["by_layer"]
    assert round(layers["hifp_pay"] * 100) == sums["hifp_pay"].sum()


def test_an_unknown_engine_is_refused_naming_the_option(tmp_path):
    result = CliRunner().invoke(
        app,
        f"simulate --region 341700 --year 2023 --persons 10 --out {tmp_path} --engine hadoop"
        " --json".split(),
    )
    assert result.exit_code != 0
    assert "engine" in result.output
