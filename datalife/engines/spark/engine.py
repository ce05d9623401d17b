"""The Spark engine on the contract: files Spark reads, Spark DataFrames, and pandas, polars
or Arrow frames handed to Spark."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from datalife.engines.report import ValidationReport
from datalife.errors import DatalifeError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from datalife.engines.base import Data
    from datalife.engines.spark.validate import Inputs
    from datalife.plan.compile import CheckPlan

__all__ = ["SparkEngine"]


class SparkEngine:
    """The plan as PySpark Column expressions, run by Spark (see
    :mod:`datalife.engines.spark.validate`)."""

    name = "spark"
    reads: frozenset[str] = frozenset({"files", "spark", "pandas", "polars", "arrow"})

    def available(self) -> str | None:
        """Why Spark cannot run here (None: it can): pyspark missing, or no Java 17+ where
        the session would run a JVM on this machine."""
        from datalife.engines.spark.session import (
            Placement,
            placement,
            pyspark_problem,
        )

        try:
            where = placement()
        except DatalifeError:
            where = Placement(master="local[*]")
        return pyspark_problem() or (_java_problem_cached() if where.needs_java else None)

    def session(self, data: Data | None = None) -> SparkSession:
        """The session ``data`` is validated in: a Spark DataFrame's own, else the one
        ``[engine.spark]`` and the environment name (made once, then reused)."""
        from datalife.engines.spark.session import get_session, placement

        if data is not None and data.kind == "spark":
            session: SparkSession = data.frame.sparkSession
            return session
        return get_session(placement())

    def validate(self, data: Data, plan: CheckPlan, *, ref: str) -> ValidationReport:
        from datalife.engines.outcome import check_results, min_rows_failure
        from datalife.engines.spark.checks import unsupported
        from datalife.engines.spark.validate import run_validation
        from datalife.engines.structure import (
            dtype_mismatches,
            merge_structural,
            structure_failures,
        )
        from datalife.reading import zero_rows_error

        unsupported(plan)  # before a session starts or a row is read
        spark = self.session(data)
        inputs = _inputs(spark, data, plan.columns)
        names = inputs.names
        failures = merge_structural(
            structure_failures(plan.spec, inputs.columns, names), len(names)
        )
        mismatched = dtype_mismatches(plan, inputs.stored, names)
        failures += mismatched
        result = run_validation(plan, inputs, {str(f.column) for f in mismatched})
        failures += result.failures
        info: list[dict[str, Any]] = []
        if data.kind == "files":
            for src, display, n in zip(data.sources, names, result.per_source, strict=True):
                if n == 0 and _has_data_lines(spark, src):
                    raise zero_rows_error(src, display)
                info.append({"path": display, "format": src.format, "bytes": src.size, "rows": n})
        if plan.spec.min_rows and result.rows < plan.spec.min_rows:
            failures.append(min_rows_failure(plan.spec.min_rows, result.rows))
        order = plan.columns
        failures.sort(
            key=lambda f: (order.index(f.column) if f.column in order else len(order), f.check)
        )
        notes = []
        if "csv" in inputs.formats:
            notes.append(
                "CSV values "
                + ", ".join(repr(t) for t in ("", "NA", "N/A", "n/a", "NaN", "null"))
                + " (and the other pandas defaults) are read as missing"
            )
        notes.append(f"run on Spark {spark.version} ({_where(spark)})")
        report = ValidationReport(
            ref, result.rows, self.name, failures, check_results(plan, failures), info, notes
        )
        if data.kind != "files":
            frame = inputs.frames[0]
            report._version_fn = functools.partial(frame_version, frame)
        return report


def _has_data_lines(spark: SparkSession, src: Any) -> bool:
    from datalife.engines.spark.locations import LocationSource, has_more_than_header
    from datalife.reading import has_data_lines

    if isinstance(src, LocationSource):
        return has_more_than_header(spark, src)
    return has_data_lines(src)


@functools.lru_cache(maxsize=4)
def _java_problem_cached() -> str | None:
    from datalife.engines.spark.session import java_problem

    return java_problem()


def _where(spark: SparkSession) -> str:
    """``master local[2]`` or ``Spark Connect``: where the session runs."""
    from pyspark.sql.utils import is_remote

    if is_remote():
        return "Spark Connect"
    return f"master {spark.sparkContext.master}"


def _inputs(spark: SparkSession, data: Data, wanted: list[str]) -> Inputs:
    """One DataFrame per source, as stored (the ``wanted`` columns it has), with its stored
    types (of every column: structure and type checks look at all) and its name."""
    from datalife.engines.spark.reading import scan, stored_of_schema
    from datalife.engines.spark.validate import Inputs, spark_action

    if data.kind == "files":
        names = list(data.names) or [str(s.path) for s in data.sources]
        frames = [
            spark_action([n], functools.partial(scan, spark, s, wanted), [s])
            for s, n in zip(data.sources, names, strict=True)
        ]
        return Inputs(
            frames,
            [s.stored_types() for s in data.sources],
            names,
            [s.format for s in data.sources],
            list(data.sources),
        )
    if data.kind == "spark":
        df: DataFrame = data.frame
        return Inputs([df], [stored_of_schema(df.schema)], ["<frame>"], ["frame"])
    from datalife.engines.duckdb.engine import FrameSource, to_arrow
    from datalife.io import connect

    table = to_arrow(data.frame)
    con = connect()
    try:
        con.register("__frame", table)
        stored = FrameSource(table, con).stored_types()
    finally:
        con.close()
    import warnings

    with warnings.catch_warnings():
        # pyspark 4.x imports pyspark.pandas here, which warns about pandas 3 (not used)
        warnings.simplefilter("ignore", FutureWarning)
        frame = spark.createDataFrame(table)
    return Inputs([frame], [stored], ["<frame>"], ["frame"])


def frame_version(df: DataFrame) -> str:
    """A content hash of a Spark DataFrame, computed by Spark (an order-independent sum of
    each row's 64-bit hash, with the row count and the schema): no row comes to the driver."""
    import hashlib

    from pyspark.sql import functions as F  # noqa: N812

    if not df.columns:
        return "spark:" + hashlib.sha256(b"empty").hexdigest()[:32]
    h = F.xxhash64(*[F.col("`" + c.replace("`", "``") + "`") for c in df.columns])
    row = df.agg(F.count(F.lit(1)), F.sum(h.cast("decimal(38,0)"))).collect()[0]
    text = f"{row[0]}:{row[1]}:{df.schema.simpleString()}"
    return "spark:" + hashlib.sha256(text.encode()).hexdigest()[:32]
