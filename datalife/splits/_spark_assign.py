"""The Spark split's checks and assignment, per mode, with the report: everything that can
go wrong with the data (a value of the wrong type, null or repeated keys, one-row classes,
too few groups, an empty split) is found here, before anything is written."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from datalife.errors import InputError, SplitDataError
from datalife.splits._spark_write import SPLIT_COLUMN
from datalife.splits.params import SPLITS, SplitParams
from datalife.splits.report import MAX_EXAMPLES

if TYPE_CHECKING:
    import numpy.typing as npt
    import pyarrow as pa
    from pyspark.sql import Column, DataFrame

    from datalife.splits._spark import _Input
    from datalife.splits._spark_report import Check, Strata
    from datalife.splits.report import GroupStats, SplitReport

__all__ = ["assign"]

K = len(SPLITS)


def _col(name: str) -> Column:
    from datalife.engines.spark.reading import col

    return col(name)


def assign(
    source: _Input, params: SplitParams, check_duplicates: bool
) -> tuple[DataFrame, SplitReport, dict[str, int]]:
    """The rows with their split (:data:`SPLIT_COLUMN`), the report, and rows per split."""
    from datalife.splits._spark import _action
    from datalife.splits._spark_report import (
        build_report,
        duplicate_stats,
        group_stats,
        run_checks,
    )

    mode = params.mode
    warnings: list[str] = []
    groups: GroupStats | None = None
    unit_sq: float | None = None
    checks: dict[str, Check] = {}
    if mode == "key":
        assert params.key is not None
        assigned, mat, strata = _key(source, params, warnings)
        unit_sq = float(mat.sum())
        checks["keys"] = _duplicate_keys(source, params.key)
        if params.group is not None:
            checks["groups"] = group_stats(assigned, [params.group], params.group)
    elif mode == "exact":
        assigned, mat, strata = _exact(source, params)
    else:
        assigned, mat, strata, groups = _group(source, params, warnings)
    counts = {name: int(mat[:, j].sum()) for j, name in enumerate(SPLITS)}
    excluded = [params.key] if params.key else []
    leakage = duplicate_stats(assigned, source.columns, excluded, params.key)
    if check_duplicates and leakage is not None:
        checks["duplicates"] = leakage
    found = _action(source, lambda: run_checks(checks))  # one Spark job for all of them
    if mode == "key":  # after the key checks, as the DuckDB engine checks them
        _check_nonempty(
            mat.sum(axis=0),
            f"with {int(mat.sum()):,} rows no key hashed into its range "
            "(key mode shares are random)",
        )
    if "groups" in found:
        groups, unit_sq = found["groups"]
    if "duplicates" in found:
        dup = found["duplicates"]
    else:
        from datalife.splits.report import DuplicateStats

        pairs = {f"{a}/{b}": 0 for i, a in enumerate(SPLITS) for b in SPLITS[i + 1 :]}
        dup = DuplicateStats(checked=False, excluded_columns=excluded, pairs=pairs)
    report = build_report(
        params, mat, strata.labels, groups, dup, source.columns, warnings, unit_sq
    )
    if params.rebalance is not None:  # train only; dev and test are never changed
        from dataclasses import replace

        from datalife.splits._spark_rebalance import rebalance

        assigned, stats = rebalance(source, assigned, params, mat, strata)
        report = replace(report, rebalance=stats)
        counts["train"] = stats.rows_after
    return assigned, report, counts


# -- shared checks -------------------------------------------------------------------------


def _no_rows() -> SplitDataError:
    return SplitDataError("there are no rows to split", hint="check the input is not empty.")


def _check_types(source: _Input, bad_rows: int) -> None:
    """A value the strict cast refused: an error naming the column(s) and the file."""
    if not bad_rows:
        return
    from pyspark.sql import functions as F  # noqa: N812

    from datalife.splits._spark import BAD, FILE, _action

    seen = _action(
        source,
        lambda: (
            source.df.filter(F.col(BAD).isNotNull()).select(BAD, FILE).limit(MAX_EXAMPLES).collect()
        ),
    )
    cols = sorted({c for r in seen for c in str(r[BAD]).split(", ")})
    files = sorted({source.names[int(r[FILE])] for r in seen})
    raise InputError(
        f"{', '.join(files)}: {bad_rows:,} row(s) have a value in column(s) "
        f"{', '.join(map(repr, cols))} that is not of the type the column was read as",
        path=files[0],
        column=cols[0],
        hint="the column's type was decided from the whole file; fix or remove the odd "
        "values (datalife validate shows them), or split with --engine duckdb to see the "
        "line.",
    )


def _strata_counts(
    source: _Input,
    by: list[Column],
    extra: list[Column] | None = None,
    rows: DataFrame | None = None,
) -> tuple[pa.Table, pa.Table]:
    """One Spark job: rows per distinct value of ``by`` (and the rows whose value did not
    convert), as an Arrow table in Spark's types and the same in the output types.
    ``rows``: the rows to count (default: the source's)."""
    from pyspark.sql import functions as F  # noqa: N812

    from datalife.splits._spark import BAD, _action

    aggs = [
        F.count(F.lit(1)).alias("__n"),
        F.count(F.col(BAD)).alias("__bad"),
        *(extra or []),
    ]
    if source.frame_schema is not None:  # a Spark DataFrame: its content hash on the way
        hashed = F.xxhash64(*[_col(c) for c in source.columns])
        aggs.append(F.sum(hashed.cast("decimal(38,0)")).alias("__version"))
    df = source.df if rows is None else rows
    grouped = df.groupBy(*by).agg(*aggs) if by else df.agg(*aggs)
    table: pa.Table = _action(source, grouped.toArrow)
    if source.frame_schema is not None:
        source.versions = [_frame_version(source, table)]
    return table, _as_types(table, source.types)


def _frame_version(source: _Input, table: pa.Table) -> str:
    """:func:`datalife.engines.spark.engine.frame_version` of the frame, from the per-group
    row counts and sums of row hashes of the first job (no job of its own)."""
    import hashlib

    count = sum(int(v) for v in table.column("__n").to_pylist())
    total = sum(v for v in table.column("__version").to_pylist() if v is not None)
    text = f"{count}:{total if count else None}:{source.frame_schema}"
    return "spark:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _as_types(table: pa.Table, types: dict[str, pa.DataType]) -> pa.Table:
    """Columns of ``table`` cast to the types the DuckDB engine reads them as (so labels and
    hashes are those of the DuckDB engine)."""
    for i, f in enumerate(table.schema):
        want = types.get(f.name)
        if want is not None and want != f.type:
            table = table.set_column(i, f.name, table.column(i).cast(want))
    return table


def _check_nonempty(counts: npt.NDArray[np.int64], why: str) -> None:
    empty = [s for j, s in enumerate(SPLITS) if counts[j] == 0]
    if empty:
        n = int(counts.sum())
        raise SplitDataError(
            f"{' and '.join(empty)} would be empty: {why}",
            hint=f"split more data (now {n:,} rows), or give {' and '.join(empty)} a larger ratio.",
        )


def _matrix(codes: npt.NDArray[np.int64], splits: Any, rows: Any, n_strata: int) -> Any:
    mat = np.zeros((n_strata, K), dtype=np.int64)
    np.add.at(mat, (codes, np.asarray(splits, dtype=np.int64)), np.asarray(rows, dtype=np.int64))
    return mat


def _all_null(source: _Input, table: pa.Table, column: str, role: str) -> None:
    col = table.column(column)
    n = int(np.asarray(table.column("__n")).sum())
    if len(col) and col.null_count == len(col):
        raise SplitDataError(
            f"{role} column {column!r} is null in all {n:,} rows",
            column=column,
            hint=f"{role} by a column that has values, or fill this one first.",
        )


# -- key mode ------------------------------------------------------------------------------


def _key(
    source: _Input, params: SplitParams, warnings: list[str]
) -> tuple[DataFrame, npt.NDArray[np.int64], Strata]:
    from pyspark.sql import functions as F  # noqa: N812

    from datalife.splits._spark_modes import key_splits
    from datalife.splits._spark_report import Strata

    key = params.key
    assert key is not None
    assigned = key_splits(
        source.df,
        key=key,
        group=params.group,
        types=source.types,
        seed=params.seed,
        fractions=params.fractions,
    )
    by = [F.col(SPLIT_COLUMN), *[_col(c) for c in params.stratify]]
    extra = [F.count_if(_col(key).isNull()).alias("__null_keys")]
    raw, table = _strata_counts(source, by, extra, rows=assigned)
    n = int(np.asarray(table.column("__n")).sum()) if table.num_rows else 0
    if n == 0:
        raise _no_rows()
    _check_types(source, int(np.asarray(table.column("__bad")).sum()))
    for c in params.stratify:
        _all_null(source, table, c, "stratify")
    nulls = int(np.asarray(table.column("__null_keys")).sum())
    if nulls:
        _null_keys(source, key, nulls, n)
    strata = Strata(table, params.stratify)
    mat = _matrix(
        strata.codes, table.column(SPLIT_COLUMN).to_numpy(), table.column("__n"), strata.count
    )
    if params.stratify:
        single = int((mat.sum(axis=1) == 1).sum())
        if single:
            warnings.append(f"{single} class(es) have a single row")
    strata.raw = raw
    return assigned, mat, strata


def _files_of(source: _Input, file_ids: Any) -> list[str]:
    return sorted({source.names[int(i)] for i in file_ids or []})


def _null_keys(source: _Input, key: str, nulls: int, n: int) -> None:
    from pyspark.sql import functions as F  # noqa: N812

    from datalife.splits._spark import FILE, _action

    rows = _action(
        source,
        lambda: source.df.filter(_col(key).isNull()).groupBy(FILE).count().collect(),
    )
    files = _files_of(source, [r[FILE] for r in rows])
    del F
    raise SplitDataError(
        f"key column {key!r} is null in {nulls:,} of {n:,} rows"
        + (f" (in {', '.join(files)})" if source.sources else ""),
        column=key,
        path=files[0] if source.sources and files else None,
        hint="every row needs a key: fill the missing keys, or split without --key.",
    )


def _duplicate_keys(source: _Input, key: str) -> Check:
    """The keys that appear more than once (with the files they are in): a check whose
    reading raises :class:`SplitDataError` naming them."""
    from pyspark.sql import functions as F  # noqa: N812

    from datalife.splits._spark import FILE

    per_key = (
        source.df.groupBy(_col(key).alias("__k"))
        .agg(F.count(F.lit(1)).alias("n"), F.array_sort(F.collect_set(FILE)).alias("f"))
        .filter(F.col("n") > 1)
    )
    shown = F.struct(F.col("__k").cast("string").alias("k"), "n", "f")
    agg = per_key.agg(
        F.count(F.lit(1)).alias("keys"),
        F.slice(F.array_sort(F.collect_list(shown)), 1, MAX_EXAMPLES).alias("ex"),
    )

    def parse(row: dict[str, Any]) -> None:
        dups = int(row.get("keys") or 0)
        if not dups:
            return
        shown = row.get("ex") or []
        details = []
        for ex in shown:
            where = f" in {', '.join(_files_of(source, ex.get('f')))}" if source.sources else ""
            details.append(f"key {ex.get('k')!r}: {int(ex.get('n') or 0)} rows{where}")
        files = _files_of(source, [f for ex in shown for f in ex.get("f") or []])
        raise SplitDataError(
            f"key column {key!r} has duplicates: {dups:,} key(s) appear more than once",
            column=key,
            path=files[0] if source.sources and files else None,
            details=details,
            hint="a key must identify one row: deduplicate the data, pick a unique column, "
            "or use --group for a column shared by related rows.",
        )

    return agg, parse


# -- exact mode ----------------------------------------------------------------------------


def _exact(source: _Input, params: SplitParams) -> tuple[DataFrame, npt.NDArray[np.int64], Strata]:
    import pyarrow as pa
    from pyspark.sql import functions as F  # noqa: N812

    from datalife.splits._assign import allocate
    from datalife.splits._spark_modes import BUCKET, exact_splits, with_buckets
    from datalife.splits._spark_report import Strata

    bucketed = with_buckets(source.df, source.columns, params.seed)
    by = [*[_col(c) for c in params.stratify], F.col(BUCKET)]
    raw, table = _strata_counts(source, by, rows=bucketed)
    sizes_raw = np.asarray(table.column("__n").to_numpy(), dtype=np.int64)
    n = int(sizes_raw.sum())
    if n == 0:
        raise _no_rows()
    _check_types(source, int(np.asarray(table.column("__bad")).sum()))
    for c in params.stratify:
        _all_null(source, table, c, "stratify")
    strata = Strata(table, params.stratify)
    sizes = np.bincount(strata.codes, weights=sizes_raw, minlength=strata.count).astype(np.int64)
    if params.stratify:
        single = np.flatnonzero(sizes == 1)
        if len(single):
            shown = [f"class {strata.labels[int(c)]!r}: 1 row" for c in single[:MAX_EXAMPLES]]
            raise SplitDataError(
                f"{len(single)} class(es) of {', '.join(params.stratify)} have a single row, "
                "which cannot be in train and in dev/test at once",
                column=params.stratify[0],
                details=shown,
                hint="drop these rows or merge rare classes into one (for example 'other'), "
                "or split without stratify.",
            )
    alloc = allocate(sizes, params.fractions)
    totals = alloc.sum(axis=0)
    if (totals == 0).any():
        empty = [s for j, s in enumerate(SPLITS) if totals[j] == 0]
        raise SplitDataError(
            f"{' and '.join(empty)} would be empty: {n:,} rows × "
            + ", ".join(f"{params.ratios[SPLITS.index(s)]:g}" for s in empty)
            + " is less than one row",
            hint="split more rows, or give that split a larger ratio.",
        )
    cum = np.cumsum(alloc, axis=1)
    # per (stratum, bucket): the rows of the stratum's earlier buckets
    buckets = np.asarray(table.column(BUCKET).to_numpy(), dtype=np.int64)
    order = np.lexsort((buckets, strata.codes))
    before = np.cumsum(sizes_raw[order]) - sizes_raw[order]
    first = np.searchsorted(strata.codes[order], strata.codes[order], side="left")
    offsets = np.empty(len(order), dtype=np.int64)
    offsets[order] = before - before[first]
    arrays: dict[str, Any] = {f"__s{i}": raw.column(c) for i, c in enumerate(params.stratify)}
    arrays["__b"] = pa.array(buckets, pa.int32())
    arrays["__o"] = pa.array(offsets, pa.int64())
    arrays["__c1"] = pa.array(cum[strata.codes, 0], pa.int64())
    arrays["__c2"] = pa.array(cum[strata.codes, 1], pa.int64())
    cuts = source.spark.createDataFrame(pa.table(arrays))
    assigned = exact_splits(bucketed, params.stratify, cuts)
    strata.raw = raw
    return assigned, alloc, strata


# -- group mode ----------------------------------------------------------------------------


def _group(
    source: _Input, params: SplitParams, warnings: list[str]
) -> tuple[DataFrame, npt.NDArray[np.int64], Strata, GroupStats]:
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyspark.sql import functions as F  # noqa: N812

    from datalife.splits._arrow import hash_values
    from datalife.splits._assign import deal_groups
    from datalife.splits._plan import NULL_LABEL, encode
    from datalife.splits._spark_modes import GROUP_ID, group_splits, row_hashes
    from datalife.splits._spark_report import Strata
    from datalife.splits.report import GroupStats

    group = params.group
    assert group is not None
    h1, _ = row_hashes(source.columns, params.seed)
    df = source.df.withColumn(GROUP_ID, F.when(_col(group).isNull(), h1))
    by = [_col(group), F.col(GROUP_ID), *[_col(c) for c in params.stratify if c != group]]
    spark_table, table = _strata_counts(source, by, rows=df)
    n = int(np.asarray(table.column("__n")).sum()) if table.num_rows else 0
    if n == 0:
        raise _no_rows()
    _check_types(source, int(np.asarray(table.column("__bad")).sum()))
    _all_null(source, table, group, "group")
    for c in params.stratify:
        _all_null(source, table, c, "stratify")
    # the groups: each value, and each row without one (by its GROUP_ID)
    gvals = table.column(group)
    gnull = np.asarray(pc.is_null(gvals).to_numpy(zero_copy_only=False), dtype=bool)
    gid = np.asarray(table.column(GROUP_ID).fill_null(0).to_numpy(), dtype=np.int64).view(np.uint64)
    codes, labels = encode(gvals)
    if gnull.any():
        null_code = len(labels) - 1
        uniq_ids, inverse = np.unique(gid[gnull], return_inverse=True)
        codes = codes.copy()
        codes[gnull] = null_code + inverse
        labels = labels[:-1] + [f"{NULL_LABEL}#{int(i):016x}" for i in uniq_ids]
        warnings.append(
            f"{int(np.asarray(table.column('__n'))[gnull].sum()):,} rows have no {group!r} "
            "value; each is treated as its own group"
        )
    n_groups = len(labels)
    if n_groups < K:
        raise SplitDataError(
            f"group column {group!r} has {n_groups} distinct value(s); "
            f"whole groups cannot fill {K} splits",
            column=group,
            hint="group by a finer column, or split without --group.",
        )
    _, first = np.unique(codes, return_index=True)
    ghash = hash_values(gvals.take(pa.array(first)), params.seed)
    ghash = np.where(gnull[first], gid[first], ghash)
    strata = Strata(table, params.stratify)
    rows = np.asarray(table.column("__n").to_numpy(), dtype=np.int64)
    g_split = deal_groups(
        codes, strata.codes, rows, n_groups, strata.count, ghash, params.fractions
    )
    per_pair = g_split[codes]
    mat = _matrix(strata.codes, per_pair, rows, strata.count)
    _check_nonempty(mat.sum(axis=0), f"{n_groups:,} groups could not be spread over 3 splits")
    # the rows join with their group's split (one row per group, in Spark's own types)
    mapping = pa.table(
        {
            "__g": spark_table.column(group).take(pa.array(first)),
            "__gid": spark_table.column(GROUP_ID).take(pa.array(first)),
            SPLIT_COLUMN: pa.array(g_split, pa.int8()),
        }
    )
    assigned = group_splits(df, group, source.spark.createDataFrame(mapping))
    per_split = {s: int(np.count_nonzero(g_split == j)) for j, s in enumerate(SPLITS)}
    stats = GroupStats(column=group, count=n_groups, per_split=per_split, overlap=0)
    strata.raw = spark_table
    return assigned, mat, strata, stats
