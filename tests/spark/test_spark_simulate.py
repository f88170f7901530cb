"""Issue #9: the synthetic year on Spark is the synth generator, one seed-derived shard per task,
so the year does not depend on how many workers made it."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from yibao.spark.simulate import shards, simulate_spark
from yibao.synth.county import SimulationError, simulate_chunks

pytestmark = pytest.mark.spark

HIVE = {"insuplc_admdvs": pl.String, "setl_month": pl.String}
REGION, YEAR, SEED, PERSONS, CHUNK = "500243", 2023, 11, 2_500, 1_000


def _read(out: Path, table: str) -> pl.DataFrame:
    frame = pl.read_parquet(
        f"{out}/{table}.parquet/**/*.parquet", hive_partitioning=True, hive_schema=HIVE
    )
    key = "setl_id" if table == "claims" else frame.columns[0]
    return frame.sort(key, maintain_order=True)


@pytest.fixture(scope="module")
def two_runs(spark, tmp_path_factory) -> tuple[Path, Path]:
    one = tmp_path_factory.mktemp("sim") / "one"
    three = tmp_path_factory.mktemp("sim") / "three"
    simulate_spark(REGION, YEAR, PERSONS, one, SEED, chunk=CHUNK, partitions=1, spark=spark)
    simulate_spark(REGION, YEAR, PERSONS, three, SEED, chunk=CHUNK, partitions=3, spark=spark)
    return one, three


def test_the_same_seed_gives_the_same_year_on_one_or_three_workers(two_runs):
    one, three = two_runs
    names = sorted(p.relative_to(one) for p in one.rglob("*.parquet") if p.is_file())
    assert names == sorted(p.relative_to(three) for p in three.rglob("*.parquet") if p.is_file())
    for table in ("persons", "enrollments", "contributions", "claims"):
        assert _read(one, table).equals(_read(three, table)), table


def test_spark_shards_are_the_local_generator_chunks(two_runs):
    one, _ = two_runs
    local = pl.concat(
        [part.claims for part in simulate_chunks(REGION, YEAR, PERSONS, SEED, chunk=CHUNK)]
    )
    spark_claims = _read(one, "claims")
    assert spark_claims.height == local.height
    local = local.sort("setl_id")
    for name in ("setl_id", "psn_no", "insuplc_admdvs", "med_type", "medfee_sumamt"):
        assert spark_claims[name].to_list() == local[name].to_list(), name
    assert (
        spark_claims["setl_time"]
        .cast(pl.Datetime("ms"))
        .equals(local["setl_time"].cast(pl.Datetime("ms")))
    )


def test_claims_are_partitioned_by_insurance_place_and_month(two_runs):
    one, _ = two_runs
    months = {p.name for p in Path(one, "claims.parquet", f"insuplc_admdvs={REGION}").iterdir()}
    assert months <= {f"setl_month={YEAR}-{m:02d}" for m in range(1, 13)}
    assert len(months) == 12


def test_shards_cut_the_population_like_the_local_chunks():
    cut = shards(2_500, 1_000)
    assert [(s.offset, s.persons) for s in cut] == [(0, 1000), (1000, 1000), (2000, 500)]
    with pytest.raises(SimulationError, match="persons: must be positive"):
        shards(0, 1_000)
