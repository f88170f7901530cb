"""`yibao monitor fund --db` on a store the demo loaded for 池州 (CHS-DRG): the stored claims keep
their 病案首页 columns (JSON lists of strings), and the inpatient line as the fund pays it is the
one drg.statement.as_paid_for_year gives on the demo's own frames (issue 18)."""

from __future__ import annotations

import json
import time

import polars as pl
from typer.testing import CliRunner

from yibao.cli.main import app
from yibao.demo.run import run_demo
from yibao.drg.statement import as_paid_for_year
from yibao.monitoring.store_frames import claims_frame
from yibao.store import make_engine, session_factory, transaction, upgrade

REGION, YEAR = "341700", 2023


def test_the_store_path_gives_the_demo_frames_line(library, tmp_path):
    url = f"sqlite:///{tmp_path / 'drg.db'}"
    engine = make_engine(url)
    upgrade(engine)
    result = run_demo(REGION, YEAR, 400, 7, engine, library, lambda _: None, time.perf_counter)
    with transaction(session_factory(engine)) as s:
        stored = claims_frame(s, [REGION], YEAR).filter(pl.col("med_type") == "21")
    engine.dispose()
    assert stored.height > 0
    assert stored["diseinfo_diag_code"].null_count() == 0  # the 病案首页 were stored
    # The store keeps no `covered` flag: its 自费 (not covered) settlements are cases there, as
    # they are in the frames without the flag.
    frames = result.settlements.drop("covered")
    expected = as_paid_for_year(frames, result.year.claims, REGION, YEAR)
    assert expected is not None
    args = ["monitor", "fund", "--db", url, "--region", REGION, "--year", str(YEAR), "--json"]
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["inpatient_as_paid"] == expected.to_json()
