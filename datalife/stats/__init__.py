"""Statistics profiles of datasets: ``datalife.profile(data) -> Profile`` (:func:`stats` here).

A profile holds, per column: rows, missing, distinct (exact for categories; a HyperLogLog
estimate, standard error 1.6%, for numbers and timestamps), and

- numbers: min, max, mean, std, zeros, NaN and infinite counts, quantiles p1..p99 and a 20-bin
  histogram;
- strings, categories and booleans: the top values with counts and shares, and string lengths;
- timestamps and dates: min, max and a 20-bin histogram.

Profiles of partitions merge into the profile of the whole (:func:`merge_profiles`), are saved as
small JSON files (:meth:`Profile.save`, :meth:`Profile.load`), and are enough to compute drift
later without the raw data (:func:`datalife.drift`). See ``docs/stats.md``.

Examples:
    >>> import pandas as pd
    >>> from datalife.stats import stats
    >>> profile = stats(pd.DataFrame({"x": [1.0, 2.0, 4.0], "c": ["a", "b", "a"]}))
    >>> profile["x"].max, profile["c"].distinct
    (4.0, 2)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from datalife.stats.merge import merge_profiles
from datalife.stats.profile import (
    FORMAT_VERSION,
    QUANTILES,
    CategoricalColumn,
    ColumnProfile,
    Histogram,
    NumericColumn,
    OtherColumn,
    Profile,
    ProfileSettings,
    ProfileSource,
    TimestampColumn,
)
from datalife.stats.store import (
    PROFILES_DIR,
    find_profile,
    load_profile,
    profile_path,
    save_profile,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from datalife.config import Workspace

__all__ = [
    "FORMAT_VERSION",
    "PROFILES_DIR",
    "QUANTILES",
    "CategoricalColumn",
    "ColumnProfile",
    "Histogram",
    "NumericColumn",
    "OtherColumn",
    "Profile",
    "ProfileSettings",
    "ProfileSource",
    "TimestampColumn",
    "find_profile",
    "load_profile",
    "merge_profiles",
    "profile_path",
    "save_profile",
    "stats",
]


def stats(
    data: Any,
    *,
    top_k: int = 10,
    max_values: int = 1000,
    max_buckets: int = 2048,
    dataset: str | None = None,
    workspace: Workspace | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
    engine: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Profile:
    """Profile ``data``: a pandas or polars DataFrame, a pyarrow Table, a Spark DataFrame, or
    file paths.

    Args:
        data: a frame, or one or more paths (CSV, TSV, Parquet, JSON lines; directories expand to
            the data files in them) read together as one dataset. A Spark DataFrame is
            profiled on Spark.
        top_k: top values shown per categorical column.
        max_values: most frequent values kept per categorical column (beyond this, counts carry a
            stated error after merging, and drift pools the rest).
        max_buckets: most non-empty buckets kept per numeric or timestamp column.
        dataset: the dataset name to record in the profile's source.
        workspace: paths are recorded relative to this workspace's root.
        memory_limit: DuckDB's memory limit (default 512MB; it spills to disk beyond it; on
            Spark, in each task).
        threads: DuckDB threads (default: all cores; on Spark, one per task).
        engine: ``"duckdb"`` (the default for everything but a Spark DataFrame) or ``"spark"``
            (paths read by Spark, where ``[engine.spark]`` and ``$DATALIFE_SPARK_MASTER`` say;
            the same profile, see :mod:`datalife.stats.spark`).
        progress: called with ``(columns done, columns)`` as the DuckDB engine profiles
            (a progress bar's update, say).

    Returns:
        The :class:`Profile`, the same for the same data on every run.

    Raises:
        InputError: a path that is missing, empty, of an unknown format or unreadable, or an
            object that is not a frame.
        ConfigError: an engine that does not compute profiles, or Spark that cannot start.
    """
    settings = ProfileSettings(top_k=top_k, max_values=max_values, max_buckets=max_buckets)
    if engine not in (None, "duckdb") or type(data).__module__.startswith("pyspark"):
        from datalife.stats.spark import check_profile_engine, profile_on_spark

        if check_profile_engine(engine, data) == "spark":
            return profile_on_spark(
                data,
                settings=settings,
                dataset=dataset,
                workspace=workspace,
                memory_limit=memory_limit,
            )
    from datalife.stats.engine import DEFAULT_MEMORY_LIMIT, open_scan, profile_scan

    with open_scan(
        data,
        memory_limit=memory_limit or DEFAULT_MEMORY_LIMIT,
        threads=threads,
        workspace=workspace,
        dataset=dataset,
    ) as scan:
        return profile_scan(scan, settings, progress=progress)
