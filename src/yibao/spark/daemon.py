"""PySpark's worker daemon, with yibao imported once before it forks the workers.

Spark starts ``python -m <spark.python.daemon.module>`` per executor and forks a worker per task
slot; with the stock daemon every worker imports polars, the engine and the policy files again
(seconds each). Importing them here first lets every fork start warm. Nothing is computed here
and no thread pool is started (PySpark forbids threads before fork): only modules and parsed,
resolved policies are inherited.
"""

from __future__ import annotations

import contextlib
import os

# One task slot is one core: the engine's numpy and polars must not each spread over all of them.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("POLARS_MAX_THREADS", "1")

import pyspark.daemon
import pyspark.worker

import yibao.engine.settlement
import yibao.spark.settle
import yibao.spark.simulate
import yibao.synth.county  # noqa: F401


def _warm_policies() -> None:
    """Parse and resolve every packaged policy year (pure Python: no threads)."""
    from yibao.policy.errors import PolicyError
    from yibao.spark.settle import _library

    # A bad file is left to the task that needs it: it reports the file and the key.
    with contextlib.suppress(PolicyError):
        _library(None).check_all()


if __name__ == "__main__":
    _warm_policies()
    pyspark.daemon.manager()
