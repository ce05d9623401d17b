"""The Spark engine: the check plan rendered as PySpark Column expressions and run by Apache
Spark (pyspark 4, classic or Spark Connect) — for data beyond one machine.

Modules: :mod:`~datalife.engines.spark.session` decides where it runs (``[engine.spark]``,
``$DATALIFE_SPARK_MASTER`` / ``$DATALIFE_SPARK_REMOTE``), :mod:`~datalife.engines.spark.reading`
renders :mod:`datalife.reading`'s decision (scans, strict casts),
:mod:`~datalife.engines.spark.checks` renders the value checks, and
:mod:`~datalife.engines.spark.validate` runs the phases. pyspark is imported only when the
engine validates something (``pip install 'datalife[spark]'``).
"""

from __future__ import annotations

from datalife.engines.spark.engine import SparkEngine

__all__ = ["SparkEngine"]
