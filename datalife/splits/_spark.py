"""``split(..., engine="spark")``: train/dev/test splits computed and written by Spark.

The rows stay on the cluster; the driver receives only counts (rows per stratum and split,
the splits of each group, the keys that repeat), the few examples an error shows, and one
line per part file written.

1. **Read**: files are read by Spark as :mod:`datalife.reading` decided (the CSV dialect,
   the null tokens), and each column converted, with the strict casts of
   :mod:`datalife.engines.spark.reading`, to the type the DuckDB engine gives it (DuckDB
   types the columns on the driver: numbers, dates and timestamps are typed, ``yes``/``no``
   stays text). A value the cast refuses is an error naming the column and the file, never
   a silent null. A Spark DataFrame is split as it is.
2. **Assign** (:mod:`~datalife.splits._spark_modes`): key mode with datalife's own
   hash on the executors (the same split as the DuckDB engine, row for row); exact and group
   modes from counts Spark aggregates, allocated on the driver.
3. **Check and report** (:mod:`~datalife.splits._spark_report`): null or repeated
   keys, one-row classes and empty splits are errors before anything is written; the report
   has the DuckDB engine's fields.
4. **Write** (:mod:`~datalife.splits._spark_write`): each split a directory of Parquet
   parts written by the executors with pyarrow, each part with datalife's provenance in its
   footer, committed into ``out`` only when every part is written.

Time-ordered splits (``order_by``) and ``drift`` are not available on Spark
(:func:`check_supported` says so before anything runs).
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import numpy as np

from datalife.errors import DatalifeError, InputError, OutputNotWritable, SplitConfigError
from datalife.splits._spark_write import SPLIT_COLUMN
from datalife.splits.params import SPLITS, SplitParams

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

    from datalife.reading import Source
    from datalife.splits.result import SplitResult

__all__ = ["check_supported", "is_spark_frame", "split_on_spark"]

FILE = "__datalife_file"
BAD = "__datalife_bad"
_T = TypeVar("_T")


def is_spark_frame(data: Any) -> bool:
    """Whether ``data`` is a Spark DataFrame (classic or Spark Connect); pyspark is not
    imported to find out."""
    return any(
        c.__name__ == "DataFrame" and c.__module__.startswith("pyspark.sql")
        for c in type(data).__mro__
    )


def check_supported(params: SplitParams, *, drift: bool = False, out: Any = "") -> None:
    """Raise :class:`SplitConfigError` (exit 2) for what the Spark engine cannot do, before
    any session starts or any row is read."""
    modes = "exact (--stratify), group (--group) and key (--key)"
    for given, option in (
        (params.order_by is not None, "--order-by (a time-ordered split)"),
        (drift, "--drift"),
    ):
        if given:
            raise SplitConfigError(
                f"{option} is not available with the Spark engine, which splits in {modes} modes",
                hint="drop the option, or split with --engine duckdb.",
            )
    if out is None:
        raise SplitConfigError(
            "a split on Spark is written by the executors: it needs an output directory",
            hint="pass out='DIR' (the CLI's --out).",
        )


@dataclass
class _Input:
    """The rows to split, typed, and what is known of them."""

    spark: SparkSession
    df: DataFrame  # the data columns, then FILE and BAD
    columns: list[str]
    types: dict[str, pa.DataType]  # per column, the Arrow type the outputs are written in
    schema: pa.Schema | None  # the outputs' schema (None: as Spark hands the rows over)
    names: list[str]
    sources: list[Source] = field(default_factory=list)
    inputs: list[dict[str, str]] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    #: a Spark DataFrame's schema (``simpleString``): its version is computed on the way
    frame_schema: str | None = None

    def describe(self) -> str:
        if len(self.names) == 1:
            return self.names[0]
        return f"{len(self.names)} files ({self.names[0]}, ...)"


def _is_spark_error(exc: BaseException) -> bool:
    return type(exc).__module__.startswith(("pyspark", "py4j", "grpc"))


_TRACEBACK = "Traceback (most recent call last):"


def _spark_message(exc: BaseException) -> str:
    r"""Spark's message on one line. A Python function that failed on an executor comes back
    with its traceback: only the exception's own line is kept (``OSError: [Errno 28] ...``).

    Examples:
        >>> _spark_message(RuntimeError("An exception was thrown from the Python worker.\n"
        ...     "Traceback (most recent call last):\n  File \"w.py\", line 1, in f\n"
        ...     "    raise\nOSError: [Errno 28] No space left on device\n"))
        'An exception was thrown from the Python worker: OSError: [Errno 28] No space left on device'
    """
    text = str(exc)
    if _TRACEBACK in text:
        head, _, tail = text.rpartition(_TRACEBACK)
        last = [ln for ln in tail.splitlines() if ln.strip() and not ln.startswith((" ", "\t"))]
        lead = " ".join(head.split()).rstrip(".:")
        text = f"{lead}: {last[0]}" if last else lead
    text = " ".join(text.split())
    return text[:600] + ("..." if len(text) > 600 else "")


def _action(data: _Input, what: Callable[[], _T]) -> _T:
    """A Spark job; a failure on the executors becomes an :class:`InputError` with Spark's
    message (a file Spark cannot read is diagnosed as
    :func:`datalife.engines.spark.validate.spark_action` does)."""
    from datalife.engines.spark.validate import spark_action

    try:
        return what()
    except DatalifeError:
        raise
    except Exception as exc:
        if not _is_spark_error(exc):
            raise
        if _TRACEBACK not in str(exc):  # Spark's reading: diagnosed by the reference reader
            spark_action(data.names, functools.partial(_reraise, exc), data.sources)
            raise  # not reached: spark_action raises the error it diagnosed
        raise InputError(
            f"{data.describe()}: Spark failed while splitting: {_spark_message(exc)}",
            path=data.names[0] if data.sources else None,
            hint="the message above is the executor's; check the data (and that datalife is "
            "installed on the executors).",
        ) from None


def _reraise(exc: BaseException) -> NoReturn:
    raise exc


def _read(spark: SparkSession, paths: Sequence[str | os.PathLike[str]]) -> _Input:
    from pyspark.sql import functions as F  # noqa: N812

    from datalife.engines.spark.reading import col, scan, spark_type, strict_cast
    from datalife.engines.spark.validate import spark_action
    from datalife.splits._sources import FileSource
    from datalife.splits._spark_dates import parse_text, sniffed_formats
    from datalife.splits.api import _hash_inputs

    source = FileSource(paths)
    formats: dict[str, str] = {}
    try:
        duck = source.types  # the DuckDB engine's types (CSV: typed over the whole file)
        schema = source.output_schema()
        if source.format == "csv" and {"DATE", "TIMESTAMP"} & set(duck.values()):
            formats = source._run(functools.partial(sniffed_formats, source))
    finally:
        source.close()
    columns = list(duck)
    frames = []
    for i, src in enumerate(source.sources):
        raw = spark_action([str(src.path)], functools.partial(scan, spark, src), [src])
        stored = src.stored_types()
        out = []
        bad = []
        for c in columns:
            if c not in src.columns:
                out.append(F.lit(None).cast(spark_type(duck[c])).alias(c))
                continue
            cast = None
            if stored[c] == "VARCHAR" and duck[c] in formats:  # dates as the sniffer read them
                cast = parse_text(col(c), duck[c], formats)
            if cast is None:
                cast = strict_cast(col(c), stored[c], duck[c])
            if cast is None:
                out.append(col(c))
                continue
            out.append(cast.alias(c))
            bad.append(F.when(col(c).isNotNull() & cast.isNull(), F.lit(c)))
        flag = F.concat_ws(", ", *bad) if bad else F.lit("")
        out.append(F.lit(i).alias(FILE))
        out.append(F.when(flag != "", flag).alias(BAD))
        frames.append(raw.select(*out))
    df = frames[0]
    for other in frames[1:]:
        df = df.unionByName(other)
    inputs, versions = _hash_inputs(source.paths)
    return _Input(
        spark,
        df,
        columns,
        {f.name: f.type for f in schema},
        schema,
        [str(s.path) for s in source.sources],
        list(source.sources),
        inputs,
        versions,
    )


def _frame(df: DataFrame) -> _Input:
    from pyspark.sql import functions as F  # noqa: N812

    from datalife.engines.spark.reading import col

    spark: SparkSession = df.sparkSession
    columns = list(df.columns)
    typed = df.select(
        *[col(c) for c in columns], F.lit(0).alias(FILE), F.lit(None).cast("string").alias(BAD)
    )
    return _Input(
        spark, typed, columns, {}, None, ["<frame>"], frame_schema=df.schema.simpleString()
    )


def split_on_spark(
    data: Any,
    params: SplitParams,
    out_dir: Path,
    *,
    check_duplicates: bool = True,
    supplied: Mapping[str, Any] | None = None,
) -> SplitResult:
    """Split ``data`` (a Spark DataFrame, or paths) on Spark into ``out_dir``.

    Raises:
        SplitConfigError: a mode Spark does not run, a named column the data lacks.
        SplitDataError: null or repeated keys, one-row classes, a split that would be empty.
        InputError: a file Spark cannot read, a value that does not have the column's type.
        OutputNotWritable: the executors could not write the parts (nothing is committed).
    """
    from datalife.lineage.facets import engine_facet

    check_supported(params, out=out_dir)
    if is_spark_frame(data):
        source = _frame(data)
    else:
        from datalife.engines.spark.session import get_session, placement

        paths = [data] if isinstance(data, str | os.PathLike) else list(data)
        source = _read(get_session(placement()), paths)
    params.check_columns(source.columns, source.describe())
    from datalife.splits._spark_assign import assign

    assigned, report, counts = assign(source, params, check_duplicates)
    files = _write(source, assigned, params, counts, out_dir, report, supplied)
    from datalife.splits.result import SplitResult

    return SplitResult(
        report=report,
        frames=None,
        assignment=np.zeros(0, dtype=np.int8),
        files=files,
        inputs=source.inputs,
        dataset_versions=list((supplied or {}).get("dataset_versions", source.versions)),
        engine="spark",
        engine_facet=engine_facet("spark", source.spark),
    )


def _write(
    source: _Input,
    assigned: DataFrame,
    params: SplitParams,
    counts: Mapping[str, int],
    out_dir: Path,
    report: Any,
    supplied: Mapping[str, Any] | None,
) -> dict[str, Path]:
    """Write the parts into a staging directory, then commit them into ``out_dir``."""
    import shutil

    from pyspark.sql import functions as F  # noqa: N812
    from pyspark.sql.types import ByteType, IntegerType, LongType, StructField, StructType

    from datalife.errors import WriteFailed
    from datalife.splits import _spark_write as split_write
    from datalife.splits._spark_write import commit_staged, recover_out_dir, staging_dir
    from datalife.splits.result import REPORT_FILE, _dumps, provenance, report_bytes

    versions = list(source.versions)
    layout = {name: f"{name}/" for name in SPLITS}
    meta = {
        j: _dumps(
            provenance(
                params,
                counts,
                split=name,
                inputs=source.inputs,
                dataset_versions=versions,
                supplied=supplied,
                files=layout,
            )
        )
        for j, name in enumerate(SPLITS)
    }
    recover_out_dir(out_dir)
    try:
        staging = staging_dir(out_dir)
    except OSError as exc:
        raise OutputNotWritable.from_path(out_dir, exc.strerror or str(exc)) from exc
    try:
        from datalife.engines.spark.reading import col
        from datalife.splits.params import WEIGHT_COLUMN

        weight = WEIGHT_COLUMN if params.rebalance == "weight" else None
        extra = [F.col(weight)] if weight else []
        rows = assigned.select(*[col(c) for c in source.columns], *extra, F.col(SPLIT_COLUMN))
        fn = functools.partial(
            split_write.write_parts,
            staging=str(staging.resolve()),  # the executors' working folder is not ours
            schema=source.schema,
            metadata=meta,
            weight_column=weight,
        )
        result_schema = StructType(
            [
                StructField("partition", IntegerType(), False),
                StructField("split", ByteType(), False),
                StructField("rows", LongType(), False),
            ]
        )
        with quiet():
            parts = rows.mapInArrow(fn, result_schema)
        written = _run_write(parts.toArrow, out_dir)
        got = dict.fromkeys(SPLITS, 0)
        for split, n in zip(
            written.column("split").to_pylist(), written.column("rows").to_pylist(), strict=True
        ):
            got[SPLITS[int(split)]] += int(n)
        if got != dict(counts):
            raise DatalifeError(
                f"internal error: Spark wrote {got} rows where the split counted {dict(counts)}",
                hint="nothing was replaced; run the split again, and report this if it repeats.",
            )
        files = {name: out_dir / name for name in SPLITS}
        files["report"] = out_dir / REPORT_FILE
        (staging / REPORT_FILE).write_bytes(report_bytes(report, files, source.inputs, versions))
        try:
            return commit_staged(staging, out_dir, REPORT_FILE)
        except OSError as exc:
            raise WriteFailed.from_os_error(out_dir, exc) from exc
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """pyspark 4 warns, when a ``mapInArrow`` function is declared, that it does not fully
    support pandas 3; the split's functions exchange Arrow batches, never pandas objects."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        yield


def _run_write(what: Callable[[], _T], out_dir: Path) -> _T:
    """The write job; a failure on an executor is an :class:`OutputNotWritable` with
    Spark's message (the staging directory is removed: nothing is committed)."""
    try:
        return what()
    except DatalifeError:
        raise
    except Exception as exc:
        if not _is_spark_error(exc):
            raise
        raise OutputNotWritable(
            f"{out_dir}: Spark could not write the splits: {_spark_message(exc)}",
            path=out_dir,
            hint="check that every executor can write to this directory (a shared file system "
            "on a cluster) and has space; the previous outputs were left as they were.",
        ) from None
