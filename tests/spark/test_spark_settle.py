"""Issue #9: the batch settlement on Spark is the local engine, partitioned by person.

Spark only repartitions, orders and chunks; these tests hold it to the local ``settle_year``
to the fen, show a retried task changes nothing, and check the partitioned output layout.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from yibao.batch.settle import GROUP, BatchResult, settle_table
from yibao.engine.settlement import SettlementError, accumulators_from_frame, settle_year
from yibao.spark.settle import SETTLEMENT_SCHEMA, settle_parquet_spark

pytestmark = pytest.mark.spark

HIVE = {"insuplc_admdvs": pl.String, "setl_month": pl.String}
CHUNK = 64  # small, so one partition is settled in several engine calls, cut between persons


def _settlements(out: str) -> pl.DataFrame:
    frame = pl.read_parquet(
        f"{out}/settlements/**/*.parquet", hive_partitioning=True, hive_schema=HIVE
    )
    return frame.select(SETTLEMENT_SCHEMA.names).sort("setl_id")


def _accumulators(out: str) -> pl.DataFrame:
    return pl.read_parquet(
        f"{out}/accumulators/**/*.parquet", hive_partitioning=True, hive_schema={"year": pl.Int64}
    )


@pytest.fixture(scope="module")
def clean_result(spark, claims_path, tmp_path_factory) -> tuple[str, BatchResult]:
    out = str(tmp_path_factory.mktemp("spark") / "clean")
    result = settle_parquet_spark(claims_path, out, partitions=3, spark=spark, chunk_rows=CHUNK)
    return out, result


@pytest.fixture(scope="module")
def clean_run(clean_result) -> str:
    return clean_result[0]


@pytest.fixture(scope="module")
def local(claims, library) -> tuple[pl.DataFrame, pl.DataFrame]:
    return settle_year(claims, library)


def test_spark_settles_every_claim_as_the_local_engine_does_to_the_fen(clean_run, local):
    settled, _ = local
    spark_rows = _settlements(clean_run)
    expected = settled.sort("setl_id")
    assert spark_rows.height == expected.height
    for name in expected.columns:
        assert spark_rows[name].to_list() == expected[name].to_list(), name
    # the three layers and the person still add up in every row (一站式结算)
    assert (
        spark_rows["hifp_pay"] + spark_rows["hifmi_pay"] + spark_rows["maf_pay"]
        == spark_rows["fund_pay_sumamt"]
    ).all()
    assert (
        spark_rows["fund_pay_sumamt"] + spark_rows["psn_part_amt"] == spark_rows["medfee_sumamt"]
    ).all()


def test_spark_year_end_accumulators_equal_the_local_engine(clean_run, local):
    _, accs = local
    assert accumulators_from_frame(_accumulators(clean_run)) == accumulators_from_frame(accs)


def test_fund_statement_sums_equal_the_local_batch(clean_result, claims, library):
    """The sums per (region, year, med_type, hosp_lv) the fund statement reads."""
    _, result = clean_result
    _, accs, sums = settle_table(claims, library)
    assert result.sums.equals(sums.sort(GROUP))
    assert result.claims == claims.num_rows
    assert result.persons == accs.height


def test_output_is_partitioned_by_insurance_place_and_settlement_month(clean_run, claims):
    folders = {
        (p.parent.name, p.name) for p in Path(clean_run, "settlements").glob("*/*") if p.is_dir()
    }
    frame = pl.from_arrow(claims)
    expected = {
        (f"insuplc_admdvs={code}", f"setl_month={month}")
        for code, month in frame.select(
            "insuplc_admdvs", pl.col("setl_time").dt.strftime("%Y-%m")
        ).iter_rows()
    }
    assert folders == expected
    # every row sits in the folder of its own region and month
    rows = _settlements(clean_run)
    assert set(rows["insuplc_admdvs"]) == set(claims["insuplc_admdvs"].to_pylist())
    assert (rows["setl_time"].dt.strftime("%Y-%m") == rows["setl_month"]).all()


def test_a_task_that_fails_once_and_is_retried_writes_the_same_output(
    spark, claims_path, clean_run, tmp_path
):
    fired = tmp_path / "fired"
    fired.mkdir()
    marker = str(fired)

    def fail_first_attempt(stage: str) -> None:
        # Fail partition 1 after it has produced its rows, on its first attempt only: Spark
        # must drop that attempt's output and the retry must write the same rows.
        from pyspark import TaskContext

        ctx = TaskContext.get()
        if stage == "end" and ctx.partitionId() == 1 and ctx.attemptNumber() == 0:
            Path(marker, f"stage{ctx.stageId()}-attempt0").touch()
            raise RuntimeError("injected executor loss")

    out = str(tmp_path / "retried")
    summary = settle_parquet_spark(
        claims_path, out, partitions=3, spark=spark, chunk_rows=CHUNK, fault=fail_first_attempt
    )
    assert list(fired.iterdir()), "the injected failure never fired"
    assert _settlements(out).equals(_settlements(clean_run))
    assert _accumulators(out).sort("psn_no").equals(_accumulators(clean_run).sort("psn_no"))
    assert summary.claims == _settlements(clean_run).height


def test_a_bad_claim_fails_the_run_with_the_engine_message_naming_the_field(
    spark, claims, tmp_path
):
    bad = claims.slice(0, 20).to_pylist()
    bad[3]["medfee_sumamt"] = -100
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.Table.from_pylist(bad, schema=claims.schema), path)
    out = tmp_path / "out"
    with pytest.raises(SettlementError, match="medfee_sumamt: must not be negative"):
        settle_parquet_spark(str(path), str(out), partitions=2, spark=spark)
    assert not (out / "settlements").exists() or not list((out / "settlements").rglob("*.parquet"))
