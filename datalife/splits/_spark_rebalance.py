"""Rebalancing train on Spark (``rebalance=``): dev and test are never changed.

* ``weight``: every train row gets ``sample_weight``, its class's weight
  ``train rows / (classes × class rows)``, computed on the driver from the counts (the DuckDB
  engine's formula, so the same rows get the same weights: in key mode, the same files).
* ``downsample`` / ``upsample``: every class of train is cut to the smallest class's rows, or
  repeated up to the largest's. Which rows are kept (or repeated once more) is decided by a
  seeded hash of their values within the class (as exact mode orders rows on Spark), not by
  their position: reproducible whatever the partitioning, but not the DuckDB engine's rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from datalife.splits._spark_write import SPLIT_COLUMN
from datalife.splits.params import WEIGHT_COLUMN, SplitParams
from datalife.splits.report import RebalanceStats

if TYPE_CHECKING:
    import numpy.typing as npt
    from pyspark.sql import DataFrame

    from datalife.splits._spark import _Input
    from datalife.splits._spark_report import Strata

__all__ = ["rebalance"]


def rebalance(
    source: _Input,
    assigned: DataFrame,
    params: SplitParams,
    mat: npt.NDArray[np.int64],
    strata: Strata,
) -> tuple[DataFrame, RebalanceStats]:
    """The rows with train rebalanced as ``params.rebalance`` says, and what was done."""
    from pyspark.sql import functions as F  # noqa: N812

    method = params.rebalance
    assert method is not None
    counts = mat[:, 0]
    present = np.flatnonzero(counts > 0)
    n_train = int(counts.sum())
    labels = strata.labels
    classes: dict[str, dict[str, float]] = {
        labels[int(c)]: {"before": int(counts[c])} for c in present
    }
    train = assigned.filter(F.col(SPLIT_COLUMN) == 0)
    other = assigned.filter(F.col(SPLIT_COLUMN) != 0)
    if method == "weight":
        weights = np.zeros(len(counts), dtype=np.float64)
        weights[present] = n_train / (len(present) * counts[present])
        for c in present:
            classes[labels[int(c)]].update({"after": int(counts[c]), "weight": float(weights[c])})
        weighted = _with_weights(source, train, params, strata, weights)
        nulls = other.withColumn(WEIGHT_COLUMN, F.lit(None).cast("double"))
        return weighted.unionByName(nulls), RebalanceStats(method, n_train, n_train, classes)
    target = int(counts[present].min() if method == "downsample" else counts[present].max())
    for c in present:
        classes[labels[int(c)]]["after"] = target
    repeated = _resampled(source, train, params, target, method)
    stats = RebalanceStats(method, n_train, target * len(present), classes)
    return repeated.unionByName(other), stats


def _with_weights(
    source: _Input,
    train: DataFrame,
    params: SplitParams,
    strata: Strata,
    weights: npt.NDArray[np.float64],
) -> DataFrame:
    """Train's rows with their class's weight (a broadcast join on the stratum's values)."""
    import pyarrow as pa
    from pyspark.sql import functions as F  # noqa: N812

    from datalife.engines.spark.reading import col

    _, first = np.unique(strata.codes, return_index=True)  # a row of each code, in code order
    table: dict[str, Any] = {
        f"__s{i}": strata.raw.column(c).take(pa.array(first)) for i, c in enumerate(params.stratify)
    }
    table["__w"] = pa.array(weights, pa.float64())
    info = source.spark.createDataFrame(pa.table(table))
    cond = [col(c).eqNullSafe(F.col(f"__s{i}")) for i, c in enumerate(params.stratify)]
    joined = train.join(F.broadcast(info), on=cond, how="inner")
    joined = joined.withColumn(WEIGHT_COLUMN, F.col("__w"))
    return joined.drop("__w", *[f"__s{i}" for i in range(len(params.stratify))])


def _resampled(
    source: _Input, train: DataFrame, params: SplitParams, target: int, method: str
) -> DataFrame:
    """Train's rows, each class cut to (or repeated up to) ``target`` rows: the class's rows
    ranked by a seeded hash of their values; a row is kept if its rank is within the target
    (downsample), or written ``target // rows`` times and once more if its rank is within
    ``target % rows`` (upsample)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F  # noqa: N812

    from datalife.engines.spark.reading import col
    from datalife.splits._spark_modes import row_hashes

    h1, h2 = row_hashes(source.columns, params.seed)
    by = [col(c) for c in params.stratify]
    ranked = train.withColumn("__h1", h1).withColumn("__h2", h2)
    ranked = ranked.withColumn(
        "__rk", F.row_number().over(Window.partitionBy(*by).orderBy("__h1", "__h2"))
    ).withColumn("__nc", F.count(F.lit(1)).over(Window.partitionBy(*by)))
    rank, rows = F.col("__rk"), F.col("__nc")
    if method == "downsample":
        reps = F.when(rank <= target, 1).otherwise(0)
    else:
        reps = F.floor(F.lit(target) / rows) + F.when(rank <= F.lit(target) % rows, 1).otherwise(0)
    out = ranked.withColumn("__rep", F.explode(F.array_repeat(F.lit(0), reps.cast("int"))))
    return out.drop("__h1", "__h2", "__rk", "__nc", "__rep")
