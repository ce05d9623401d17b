"""Each row's split on Spark, per mode: a column :data:`SPLIT_COLUMN` added to the rows.

* **key**: the split of a row is computed by datalife's own numpy functions
  (:func:`datalife.splits._arrow.hash_values`, the thresholds of
  :func:`datalife.splits._assign.assign_key`) inside a ``mapInArrow`` function, batch by
  batch on the executors. It is not re-written as Spark SQL, for two reasons: the SplitMix64
  finaliser multiplies 64-bit integers modulo 2**64, which ANSI Spark SQL does not express
  (its ``bigint`` arithmetic raises on overflow, and decimals do not wrap); and one
  implementation cannot drift from the other. A row therefore goes to the same split as with
  the DuckDB and pandas engines, by construction.
* **exact** (stratified): Spark counts the rows of each stratum; the driver allocates each
  stratum's rows to the splits with :func:`datalife.splits._assign.allocate` (the DuckDB
  engine's allocation); within a stratum the rows are ranked by a seeded hash of the row's
  values (two independent 64- and 32-bit hashes, so only identical rows tie, and identical
  rows are interchangeable) and the first ranks go to train, the next to dev, the rest to
  test. Each stratum is ranked in :data:`BUCKETS` hash buckets in parallel, the driver's
  per-bucket counts turning a rank in a bucket into the rank in the stratum. Row position is not stable on Spark (it depends on how the input is partitioned), so
  the ranking never uses it: the assignment is reproducible for a seed whatever the
  partitioning, with every stratum's counts within one row of rows × ratio, but it differs
  row by row from the DuckDB engine's position-based shuffle.
* **group**: Spark counts the rows of each (group, stratum); the driver deals whole groups
  to the splits with the DuckDB engine's greedy rule (largest groups first, ties by the key
  hash of the group value, each to the split where it best keeps the strata in proportion)
  and the rows are joined with the group's split. A row without a group value is a group of
  its own (identified by a hash of its values).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from datalife.splits._spark_write import SPLIT_COLUMN

if TYPE_CHECKING:
    import numpy.typing as npt
    import pyarrow as pa
    from pyspark.sql import Column, DataFrame

__all__ = [
    "BUCKETS",
    "exact_splits",
    "group_splits",
    "key_splits",
    "row_hashes",
    "with_buckets",
]

GROUP_ID = "__datalife_gid"


def _col(name: str) -> Column:
    from datalife.engines.spark.reading import col

    return col(name)


def row_hashes(columns: Sequence[str], seed: int) -> tuple[Column, Column]:
    """Two independent seeded hashes of a row's values (Spark's xxhash64 and murmur3)."""
    from pyspark.sql import functions as F  # noqa: N812

    cols = [_col(c) for c in columns]
    return F.xxhash64(F.lit(int(seed)), *cols), F.hash(F.lit(int(seed) ^ 0x5EED), *cols)


# -- key mode --------------------------------------------------------------------------------


def key_split_batch(
    batch: pa.RecordBatch,
    *,
    key: str,
    group: str | None,
    key_type: pa.DataType | None,
    group_type: pa.DataType | None,
    seed: int,
    fractions: Sequence[Fraction],
) -> npt.NDArray[np.int8]:
    """The split of every row of ``batch`` (the DuckDB engine's key-mode rule): the key's
    :func:`hash_values` (with ``group``: the group value's, a row without one its key's)
    against :func:`assign_key`'s thresholds. ``key_type``/``group_type``: the type the
    DuckDB engine reads the column as (Spark's type is cast back to it before hashing)."""
    import pyarrow.compute as pc

    from datalife.splits._arrow import chunked_numpy, hash_values
    from datalife.splits._assign import assign_key

    def typed(name: str, to: pa.DataType | None) -> pa.Array:
        arr = batch.column(batch.schema.get_field_index(name))
        return arr if to is None or arr.type == to else arr.cast(to)

    hashes = hash_values(typed(key, key_type), seed)
    if group is not None:
        garr = typed(group, group_type)
        ghash = hash_values(garr, seed)
        if garr.null_count:
            nulls = np.asarray(chunked_numpy(pc.is_null(garr)), dtype=bool)
            ghash = np.where(nulls, hashes, ghash)
        hashes = ghash
    return assign_key(hashes, fractions)


def _key_map(
    batches: Iterator[pa.RecordBatch],
    *,
    key: str,
    group: str | None,
    key_type: pa.DataType | None,
    group_type: pa.DataType | None,
    seed: int,
    fractions: Sequence[Fraction],
) -> Iterator[pa.RecordBatch]:
    """``mapInArrow``: every batch with its rows' split appended as :data:`SPLIT_COLUMN`."""
    import pyarrow as pa

    for batch in batches:
        split = key_split_batch(
            batch,
            key=key,
            group=group,
            key_type=key_type,
            group_type=group_type,
            seed=seed,
            fractions=fractions,
        )
        yield batch.append_column(SPLIT_COLUMN, pa.array(split, pa.int8()))


def key_splits(
    df: DataFrame,
    *,
    key: str,
    group: str | None,
    types: dict[str, pa.DataType],
    seed: int,
    fractions: Sequence[Fraction],
) -> DataFrame:
    """``df`` with each row's key-mode split (computed on the executors)."""
    import functools

    from pyspark.sql.types import ByteType, StructField, StructType

    schema = StructType([*df.schema.fields, StructField(SPLIT_COLUMN, ByteType(), False)])
    fn = functools.partial(
        _key_map,
        key=key,
        group=group,
        key_type=types.get(key),
        group_type=types.get(group) if group else None,
        seed=seed,
        fractions=list(fractions),
    )
    from datalife.splits._spark import quiet

    with quiet():
        return df.mapInArrow(fn, schema)


# -- exact mode ------------------------------------------------------------------------------


#: exact mode: each stratum's rows are ranked in this many hash buckets, in parallel (part of
#: the assignment: changing it changes which rows go where)
BUCKETS = 64
BUCKET = "__datalife_bucket"


def with_buckets(df: DataFrame, columns: Sequence[str], seed: int) -> DataFrame:
    """``df`` with the two row hashes (``__h1``, ``__h2``) and each row's bucket."""
    from pyspark.sql import functions as F  # noqa: N812

    h1, h2 = row_hashes(columns, seed)
    out = df.withColumn("__h1", h1).withColumn("__h2", h2)
    return out.withColumn(BUCKET, F.pmod(F.col("__h1"), F.lit(BUCKETS)).cast("int"))


def exact_splits(df: DataFrame, stratify: Sequence[str], cuts: DataFrame) -> DataFrame:
    """``df`` (from :func:`with_buckets`) with each row's exact-mode split: its rank within
    its stratum against the stratum's cut ranks.

    A stratum's rows are in the order (bucket, ``__h1``, ``__h2``): each (stratum, bucket) is
    ranked by a task of its own, and ``cuts`` (one row per stratum and bucket: the stratum's
    values as ``__s0``, ``__s1``..., the bucket ``__b``, the rows of the stratum's earlier
    buckets ``__o``, the stratum's cut ranks ``__c1`` and ``__c2``) turns that rank into the
    rank within the stratum. So one large class is not sorted by one task.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F  # noqa: N812

    window = Window.partitionBy(*[_col(c) for c in stratify], F.col(BUCKET)).orderBy("__h1", "__h2")
    ranked = df.withColumn("__rank", F.row_number().over(window))
    cond = [_col(c).eqNullSafe(F.col(f"__s{i}")) for i, c in enumerate(stratify)]
    cond.append(F.col(BUCKET) == F.col("__b"))
    ranked = ranked.join(F.broadcast(cuts), on=cond, how="left")
    rank = F.col("__rank") + F.col("__o")
    split = F.when(rank <= F.col("__c1"), 0).when(rank <= F.col("__c2"), 1).otherwise(2)
    out = ranked.withColumn(SPLIT_COLUMN, split.cast("tinyint"))
    helpers = [f"__s{i}" for i in range(len(stratify))]
    return out.drop(*helpers, "__b", "__o", "__c1", "__c2", "__h1", "__h2", "__rank", BUCKET)


# -- group mode ------------------------------------------------------------------------------


def group_splits(df: DataFrame, group: str, mapping: DataFrame) -> DataFrame:
    """``df`` joined with each group's split (``mapping``: the group value, the
    :data:`GROUP_ID` of rows without one, and :data:`SPLIT_COLUMN`)."""
    from pyspark.sql import functions as F  # noqa: N812

    cond = [_col(group).eqNullSafe(F.col("__g")), F.col(GROUP_ID).eqNullSafe(F.col("__gid"))]
    joined = df.join(mapping, on=cond, how="inner")
    return joined.drop("__g", "__gid", GROUP_ID)
