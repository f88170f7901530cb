"""The Parquet pipeline chains (issue 16): `yibao simulate` → `yibao batch settle` → every
`yibao monitor` command → `yibao compare`, each reading the files the steps before it wrote,
with no join by hand; and the errors on the way name the option, file and column in Chinese
and write nothing."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from yibao.cli.main import app
from yibao.engine.warning import early_warnings
from yibao.policy import default_library

REGION, YEAR = "500243", 2023


def _run(*args) -> tuple[int, str, str]:
    out = CliRunner().invoke(app, [*map(str, args)])
    return out.exit_code, out.stdout, out.stderr


def _ok(*args) -> dict:
    code, stdout, stderr = _run(*args, "--json")
    assert code == 0, stdout + stderr
    return json.loads(stdout)


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    """simulate (with 费用明细) and batch settle, as a user runs them."""
    d = tmp_path_factory.mktemp("pipeline")
    _ok("simulate", "--region", REGION, "--year", YEAR, "--persons", 600, "--seed", 2,
        "--out", d / "sim", "--fee-detail")  # fmt: skip
    _ok("batch", "settle", d / "sim/claims.parquet", "--out", d / "settled.parquet")
    return d


def test_batch_settle_output_carries_what_the_monitor_commands_read(year):
    settled = pl.read_parquet(year / "settled.parquet")
    claims = pl.read_parquet(year / "sim/claims.parquet")
    joined = settled.join(
        claims.select("setl_id", pl.col("setl_time").alias("t"), pl.col("hosp_lv").alias("h")),
        on="setl_id",
    )
    assert joined.height == claims.height
    assert (joined["setl_time"] == joined["t"]).all() and (joined["hosp_lv"] == joined["h"]).all()
    assert settled.schema["setl_time"] == pl.Datetime("ms")
    assert settled.schema["hifp_pay"] == pl.Int64  # the existing columns keep their types


def test_warnings_on_the_settled_output_and_the_simulated_persons(year):
    doc = _ok("monitor", "warnings", "--settlements", year / "settled.parquet",
              "--persons", year / "sim/persons.parquet", "--region", REGION, "--year", YEAR,
              "--out", year / "warnings")  # fmt: skip
    policy = default_library().resolve(REGION, YEAR)
    flagged = early_warnings(
        pl.read_parquet(year / "settled.parquet"),
        pl.read_parquet(year / "sim/persons.parquet"),
        policy,
        policy.meta.coverage_to,
    )
    assert doc["flagged"] == flagged.height
    assert (year / "warnings/warnings.xlsx").is_file()


def test_assist_runs_on_the_settled_output_alone(year):
    settled = pl.read_parquet(year / "settled.parquet")
    psn_no = (
        settled.group_by("psn_no")
        .agg(pl.col("psn_part_amt").sum())
        .sort("psn_part_amt", descending=True)["psn_no"][0]
    )
    doc = _ok("monitor", "assist", "--settlements", year / "settled.parquet", "--psn-no", psn_no,
              "--region", REGION, "--application-date", f"{YEAR}-12-15")  # fmt: skip
    window = settled.filter(pl.col("psn_no") == psn_no, pl.col("setl_time").dt.month() <= 11).sort(
        "setl_time", "setl_id"
    )
    assert doc["claims"] == window["setl_id"].to_list() and doc["claims"]


def test_rules_without_fee_detail_run_the_claim_level_rules_and_name_the_rest(year):
    doc = _ok("monitor", "rules", "--claims", year / "sim/claims.parquet")
    assert doc["rules_run"] == ["split_admission", "outpatient_during_stay"]
    skipped = {r["rule_id"]: r["reason"] for r in doc["rules_skipped"]}
    assert sorted(skipped) == ["JK001", "JK004", "JK005", "JK006", "JK007", "JK008", "JK009"]
    assert "费用明细（--details）" in skipped["JK001"]
    with_detail = _ok("monitor", "rules", "--claims", year / "sim/claims.parquet",
                      "--details", year / "sim/fee_detail.parquet",
                      "--persons", year / "sim/persons.parquet")  # fmt: skip
    assert len(with_detail["rules_run"]) == 9 and with_detail["rules_skipped"] == []
    claim_level = [h for h in with_detail["hits"] if h["rule_id"] in ("JK002", "JK003")]
    assert claim_level == doc["hits"]  # the same claim-level hits with or without the detail


def test_fund_on_the_settled_output_and_the_contributions(year):
    doc = _ok("monitor", "fund", "--settlements", year / "settled.parquet",
              "--contributions", year / "sim/contributions.parquet",
              "--region", REGION, "--year", YEAR)  # fmt: skip
    settled = pl.read_parquet(year / "settled.parquet")
    paid = pl.read_parquet(year / "sim/contributions.parquet")
    revenue = int(
        paid.select(pl.sum("personal_paid") + pl.sum("subsidy") + pl.sum("fiscal_subsidy")).item()
    )
    assert round(doc["revenue"] * 100) == revenue
    assert round(doc["expenditure"] * 100) == int(
        settled["hifp_pay"].sum() + settled["hifmi_pay"].sum()
    )


def test_targets_on_the_settled_output_alone_equal_those_joined_to_the_claims(year):
    alone = _ok("monitor", "targets", "--settled", year / "settled.parquet",
                "--region", REGION, "--year", YEAR)  # fmt: skip
    joined = _ok("monitor", "targets", "--settled", year / "settled.parquet",
                 "--claims", year / "sim/claims.parquet", "--region", REGION, "--year", YEAR)  # fmt: skip
    assert alone == joined
    county = [t for t in alone["targets"] if t["key"].startswith("benefits.county_inpatient")]
    assert county and all(t["status"] != "not_measurable" for t in county)


def test_compare_on_the_simulated_claims_and_persons(year):
    doc = _ok("compare", "--base", f"{REGION}:{YEAR}", "--reform",
              "examples/reform_contribution_plus30.yaml", "--claims", year / "sim/claims.parquet",
              "--people", year / "sim/persons.parquet")  # fmt: skip
    persons = pl.read_parquet(year / "sim/persons.parquet").height
    assert doc["base"]["persons"] == persons
    assert doc["difference"]["revenue"] == 30 * persons  # +30 元 for everyone given


# ---------------------------------------------------------------- errors
def test_assist_on_an_output_without_setl_time_names_the_option_and_column(year, tmp_path):
    old = tmp_path / "old.parquet"
    pl.read_parquet(year / "settled.parquet").drop("setl_time").write_parquet(old)
    code, _, err = _run("monitor", "assist", "--settlements", old, "--psn-no", "x",
                        "--region", REGION, "--application-date", "2023-12-01")  # fmt: skip
    assert code == 2 and "--settlements: 缺少列 setl_time" in err


def test_warnings_with_a_bad_persons_file_write_nothing(year, tmp_path):
    bad = tmp_path / "persons.parquet"
    pl.read_parquet(year / "sim/persons.parquet").drop("township").write_parquet(bad)
    out = tmp_path / "out"
    code, _, err = _run("monitor", "warnings", "--settlements", year / "settled.parquet",
                        "--persons", bad, "--region", REGION, "--year", YEAR, "--out", out)  # fmt: skip
    assert code == 2 and "--persons: 缺少列 township" in err
    assert not out.exists()


def test_a_missing_store_is_refused_and_not_created(tmp_path):
    db = tmp_path / "none.db"
    code, _, err = _run("monitor", "targets", "--db", f"sqlite:///{db}", "--region", REGION,
                        "--year", YEAR)  # fmt: skip
    assert code == 2 and "--db: 数据库文件不存在" in err and not db.exists()
    code, _, err = _run("compare", "--base", f"{REGION}:{YEAR}", "--reform",
                        "examples/reform_inpatient_plus5.yaml", "--db", f"sqlite:///{db}")  # fmt: skip
    assert code == 2 and "--db: 数据库文件不存在" in err and not db.exists()


def test_a_database_that_is_not_yibaos_is_refused(tmp_path):
    import sqlite3

    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("create table t (x int)").connection.commit()
    code, _, err = _run("monitor", "fund", "--db", f"sqlite:///{other}", "--region", REGION,
                        "--year", YEAR, "--revenue", "1")  # fmt: skip
    assert code == 2 and "不是 yibao 的数据库" in err and "settlements" in err


def test_db_and_files_together_are_refused(year):
    code, _, err = _run("monitor", "fund", "--db", "sqlite:///x.db", "--settlements",
                        year / "settled.parquet", "--region", REGION, "--year", YEAR)  # fmt: skip
    assert code == 2 and "--db: 不能与 --settlements 同时使用" in err


def test_rules_with_db_need_the_region_and_year(tmp_path):
    code, _, err = _run("monitor", "rules", "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert code == 2 and "--region 和 --year" in err


def test_an_unknown_rule_is_named(year):
    code, _, err = _run("monitor", "rules", "--claims", year / "sim/claims.parquet",
                        "--rule", "nosuch")  # fmt: skip
    assert code == 2 and "--rule: 没有规则 nosuch" in err
