"""drg settle --engine spark: the cases grouped per partition by the same engine give the same
year as the local path (issue 18: the batch path and Spark with the same engine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.drg.test_cli import _year
from yibao.cli.main import app

pytest.importorskip("pyspark")
pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_spark_grouping_gives_the_local_year(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # local[2,2] as tests/spark: a session made here is reused by those tests (getOrCreate), and
    # theirs retries a failed task once
    monkeypatch.setenv("YIBAO_SPARK_MASTER", "local[2,2]")
    settled = _year(tmp_path, "341700", n=90)
    args = ["drg", "settle", str(settled), "--region", "341700", "--year", "2023", "--json"]
    runner = CliRunner()
    local = runner.invoke(app, args)
    spark = runner.invoke(app, [*args, "--engine", "spark"])
    assert local.exit_code == 0 and spark.exit_code == 0, spark.output
    a, b = json.loads(local.stdout), json.loads(spark.stdout)
    assert a["cases"]["total"] == 90
    for key in ("point_value", "total_points", "hospitals", "groups", "monitoring", "fund"):
        assert a[key] == b[key], key
