"""A SparkSession: local mode that suits a small box (2 cores, ~24 GiB) and tests, or the
cluster's when run under spark-submit.

On a real cluster the session comes from ``spark-submit`` (see docs/scale.md); ``get_session``
then only adds the settings yibao relies on, and leaves master and memory to the submitter.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Settings every yibao job needs, local or on a cluster.
REQUIRED_CONF: dict[str, str] = {
    # Claims carry naive local times (setl_time): read and write them as TIMESTAMP_NTZ, in UTC,
    # so no machine's time zone ever shifts a claim into another month.
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    # Output files are (region, month) partitions: overwrite only the ones this run writes.
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    # Partition folders hold codes ("341700", "2023-06"): keep them strings when read back.
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    # Fewer, larger Arrow batches to and from the Python workers (a settle chunk is 200,000
    # claims, so 10,000-row batches only added per-batch overhead).
    "spark.sql.execution.arrow.maxRecordsPerBatch": "50000",
    # Only at Int.MaxValue (no byte limit) does Spark skip re-measuring the whole Arrow batch
    # after every row it sends to Python (~5 % of the JVM's time); batches stay 50,000 rows.
    "spark.sql.execution.arrow.maxBytesPerBatch": "2147483647",
    # The settled rows are cached once and read by three jobs: gathering compression statistics
    # for every cached column cost more CPU than reading it uncompressed from memory saves.
    "spark.sql.inMemoryColumnarStorage.compressed": "false",
    # Workers fork from a daemon that has imported the engine and parsed the policies already.
    "spark.python.daemon.module": "yibao.spark.daemon",
    # One task slot is one core: keep polars inside a task to one thread.
    "spark.executorEnv.POLARS_MAX_THREADS": "1",
}

# Local-mode defaults: few shuffle partitions (the default 200 is for clusters), no UI.
LOCAL_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.driver.memory": "6g",
    "spark.sql.adaptive.enabled": "false",  # keep the requested partitioning (by person)
    "spark.python.worker.reuse": "true",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
}


def default_master() -> str | None:
    """None under spark-submit (it chose the master); else $YIBAO_SPARK_MASTER or local[*]."""
    if os.environ.get("PYSPARK_GATEWAY_PORT"):  # set by spark-submit for the Python driver
        return None
    return os.environ.get("YIBAO_SPARK_MASTER") or "local[*]"


def get_session(
    master: str | None = "auto",
    app_name: str = "yibao",
    conf: dict[str, Any] | None = None,
) -> SparkSession:
    """The active session, or a new one: local mode with small settings when ``master`` is given.

    ``master="auto"`` follows ``default_master()``; ``None`` means the master was chosen by
    spark-submit, and only REQUIRED_CONF is applied. Python workers run the interpreter that
    runs this (so they see the same yibao and engine).
    """
    from pyspark.sql import SparkSession

    if master == "auto":
        master = default_master()
    builder = SparkSession.builder.appName(app_name)
    settings: dict[str, Any] = dict(REQUIRED_CONF)
    if master is not None:
        builder = builder.master(master)
    if master is not None and master.startswith("local"):
        # Local workers are this interpreter; on a cluster the submitter names the Python.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        settings.update(LOCAL_CONF)
    settings.update(conf or {})
    for key, value in settings.items():
        builder = builder.config(key, str(value))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
