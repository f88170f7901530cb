"""Past one machine: batch settlement and simulation on Apache Spark.

Spark only partitions by person, orders and groups; every rule runs in the same engine functions
as the local path (``yibao.engine.settlement.settle_year``, the ``yibao.synth`` generators).
PySpark is imported lazily so the rest of yibao never needs it.
"""
