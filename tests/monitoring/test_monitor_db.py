"""`yibao monitor … --db` and `yibao compare --db` (issue 16): on a store built the way the
console's is (a settled synthetic year loaded by the demo, one more claim settled in real time,
one loaded settlement reversed) every command prints the same document, to the fen, as the
same command on the equivalent Parquet files (`batch settle`'s output of the same claims),
on SQLite and on PostgreSQL; the store is only read."""

from __future__ import annotations

import datetime as dt
import json
import time

import polars as pl
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.store.databases import database
from yibao.cli.main import app
from yibao.demo.run import run_demo
from yibao.monitoring.reports import CLAIM_LEVEL_RULES
from yibao.policy import default_library
from yibao.services.reviews import CLAIM_ONLY_RULES
from yibao.store import ledger, make_engine, session_factory, transaction, upgrade
from yibao.store.audit import Actor
from yibao.store.models import AuditEntry, Settlement
from yibao.store.review_models import WarningRecord

REGION, YEAR = "500243", 2023
REFORM = "examples/reform_inpatient_plus5.yaml"
CLERK = Actor("clerk", "经办")
REVIEWER = Actor("reviewer", "审核")


def _big_claim(claims: pl.DataFrame) -> dict:
    """A December inpatient stay of the first person with a claim, 30,000 元 of it wholly
    self-paid: beyond every fund, so the person reaches the warning line."""
    row = claims.filter(pl.col("med_type") == "21").sort("setl_id").row(0, named=True)
    row.update(
        setl_id=f"{row['psn_no']}-DB01",
        setl_time=dt.datetime(YEAR, 12, 20, 9),
        begndate=dt.date(YEAR, 12, 10),
        enddate=dt.date(YEAR, 12, 19),
        medfee_sumamt=4_000_000,
        fulamt_ownpay_amt=3_000_000,
        overlmt_selfpay=0,
        preselfpay_amt=0,
    )
    return row


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    """(store URL, folder of the equivalent Parquet files, person with the big claim)."""
    folder = tmp_path_factory.mktemp(f"monitor_db_{request.param}")
    library = default_library()
    with database(request.param, folder, "monitordb") as url:
        engine = make_engine(url)
        upgrade(engine)
        result = run_demo(REGION, YEAR, 300, 5, engine, library, lambda _: None, time.perf_counter)
        claims = result.year.claims
        big = _big_claim(claims)
        gone = claims.filter(pl.col("med_type") == "11").sort("setl_id")["setl_id"][0]
        factory = session_factory(engine)
        with transaction(factory) as s:
            ledger.settle(s, library, dict(big), CLERK)
        with transaction(factory) as s:
            ledger.reverse(s, gone, REVIEWER, "录入错误")
        engine.dispose()
        # The same claims as Parquet: the loaded year less the reversed one, plus the new one.
        kept = claims.filter(pl.col("setl_id") != gone)
        both = pl.concat([kept, pl.DataFrame([big], schema=claims.schema)])
        both.write_parquet(folder / "claims.parquet")
        persons = result.year.persons
        persons.write_parquet(folder / "persons.parquet")
        result.year.contributions.write_parquet(folder / "contributions.parquet")
        enrolled = (
            result.year.enrollments.filter(pl.col("insutype") == "390", pl.col("year") == YEAR)
            .select("psn_no")
            .unique()
        )
        persons.join(enrolled, on="psn_no").select(
            "psn_no", "tier", "categories", "township"
        ).write_parquet(folder / "people.parquet")
        settled = _ok("batch", "settle", folder / "claims.parquet", "--out", folder / "s.parquet")
        assert settled["claims"] == both.height
        yield url, folder, big["psn_no"]


def _ok(*args) -> dict:
    out = CliRunner().invoke(app, [*map(str, args), "--json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def _both(world, command: list[str], files: list[str], store: list[str] | None = None):
    url, folder, _ = world
    parquet = _ok(*command, *(a.format(d=folder) for a in files))
    stored = _ok(*command, "--db", url, *(store or []))
    return parquet, stored


def test_warnings_read_only_on_the_store_equal_the_parquet_path(world):
    parquet, stored = _both(
        world,
        ["monitor", "warnings", "--region", REGION, "--year", str(YEAR)],
        ["--settlements", "{d}/s.parquet", "--persons", "{d}/persons.parquet"],
        ["--read-only"],
    )
    assert parquet == stored
    flagged = {p["psn_no"]: p for t in stored["townships"] for p in t["persons"]}
    big = flagged[world[2]]  # 30,000 元 self-paid: above 14,400 元
    assert big["out_of_pocket"] >= 30_000 and big["threshold"] == 14_400.0


def test_warnings_read_only_stores_nothing(world):
    url = world[0]

    def counts() -> tuple[int, int]:
        engine = make_engine(url)
        with engine.connect() as conn:
            stored = conn.scalar(select(func.count()).select_from(WarningRecord))
            audited = conn.scalar(select(func.count()).select_from(AuditEntry))
        engine.dispose()
        return stored, audited

    before = counts()  # (the demo store holds the records of its own scan)
    _ok("monitor", "warnings", "--region", REGION, "--year", YEAR, "--db", url, "--read-only")
    assert counts() == before
    audited = before[1]
    _ok("monitor", "targets", "--region", REGION, "--year", YEAR, "--db", url)
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(AuditEntry)) == audited
    engine.dispose()


def test_rules_on_the_store_equal_the_parquet_claims_and_name_the_skipped_rules(world):
    parquet, stored = _both(
        world,
        ["monitor", "rules"],
        ["--claims", "{d}/claims.parquet", "--persons", "{d}/persons.parquet"],
        ["--region", REGION, "--year", str(YEAR)],
    )
    assert stored["claims"] == parquet["claims"] and stored["claims"] > 900
    assert stored["rules_run"] == list(CLAIM_LEVEL_RULES)
    assert {r["rule_id"] for r in stored["rules_skipped"]} == {
        "JK001", "JK004", "JK005", "JK006", "JK007", "JK008", "JK009"
    }  # fmt: skip
    assert all("--details" in r["reason"] for r in stored["rules_skipped"])
    # the parquet path names its options, the store path --details too: only the hits compared
    assert stored["hits"] == parquet["hits"] and stored["by_rule"] == parquet["by_rule"]


def test_the_claim_level_rules_are_the_review_scans_own():
    assert CLAIM_LEVEL_RULES == CLAIM_ONLY_RULES


def test_fund_on_the_store_equals_the_parquet_path(world):
    parquet, stored = _both(
        world,
        ["monitor", "fund", "--region", REGION, "--year", str(YEAR), "--opening-balance", "50000"],
        ["--settlements", "{d}/s.parquet", "--contributions", "{d}/contributions.parquet"],
    )
    assert parquet == stored
    settled = pl.read_parquet(world[1] / "s.parquet")
    spent = int(settled["hifp_pay"].sum() + settled["hifmi_pay"].sum())
    assert round(stored["expenditure"] * 100) == spent


def test_fund_with_drg_institutions_on_the_store_equals_the_parquet_path(world):
    claims = pl.read_parquet(world[1] / "claims.parquet")
    top = claims.filter(pl.col("med_type") == "21")["fixmedins_code"].mode().sort()[0]
    parquet, stored = _both(
        world,
        ["monitor", "fund", "--region", REGION, "--year", str(YEAR), "--revenue", "300000",
         "--drg-institution", top],
        ["--settlements", "{d}/s.parquet", "--claims", "{d}/claims.parquet"],
    )  # fmt: skip
    assert parquet == stored
    assert any("DRG" in w["message"] for w in stored["warnings"]) or stored["drg_fund_share"]


def test_targets_on_the_store_equal_the_parquet_path(world):
    parquet, stored = _both(
        world,
        ["monitor", "targets", "--region", REGION, "--year", str(YEAR)],
        ["--settled", "{d}/s.parquet"],
    )
    assert parquet == stored
    measured = [r for r in stored["targets"] if r["status"] != "not_measurable"]
    assert len(measured) >= 3


def test_assist_on_the_store_equals_the_parquet_path(world):
    psn_no = world[2]
    parquet, stored = _both(
        world,
        ["monitor", "assist", "--psn-no", psn_no, "--region", REGION,
         "--application-date", f"{YEAR + 1}-01-05"],
        ["--settlements", "{d}/s.parquet"],
    )  # fmt: skip
    assert parquet == stored
    assert f"{psn_no}-DB01" in stored["claims"] and stored["eligible"] > 0


def test_compare_on_the_store_equals_the_parquet_path(world):
    parquet, stored = _both(
        world,
        ["compare", "--base", f"{REGION}:{YEAR}", "--reform", REFORM],
        ["--claims", "{d}/claims.parquet", "--people", "{d}/people.parquet"],
    )
    assert parquet == stored
    assert stored["base"]["claims"] == pl.read_parquet(world[1] / "claims.parquet").height
    assert stored["difference"]["expenditure"]["hifp_pay"] > 0  # +5 points inpatient


def test_the_store_path_leaves_out_reversed_settlements(world):
    url = world[0]
    engine = make_engine(url)
    with engine.connect() as conn:
        reversed_n = conn.scalar(
            select(func.count()).select_from(Settlement).where(Settlement.status == "reversed")
        )
    engine.dispose()
    doc = _ok("monitor", "targets", "--region", REGION, "--year", YEAR, "--db", url)
    parquet = pl.read_parquet(world[1] / "s.parquet").height
    assert reversed_n == 1 and doc["claims"] == parquet


def test_a_sqlite_store_may_be_named_by_its_path(world):
    url = world[0]
    if not url.startswith("sqlite:///"):
        pytest.skip("a path names a SQLite file only")
    by_url = _ok("monitor", "targets", "--region", REGION, "--year", YEAR, "--db", url)
    by_path = _ok("monitor", "targets", "--region", REGION, "--year", YEAR,
                  "--db", url.removeprefix("sqlite:///"))  # fmt: skip
    assert by_path == by_url
