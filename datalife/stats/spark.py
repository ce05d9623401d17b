"""Statistics profiles computed on Spark: the same :class:`~datalife.stats.Profile` as the DuckDB
engine gives, for a Spark DataFrame or for files Spark reads.

How: Spark distributes the rows, and DuckDB computes each partition's partial profile with the
very code the DuckDB engine runs (:func:`datalife.stats.engine.profile_scan`, see
:mod:`~datalife.stats.spark_tasks`); the partials are merged with
:func:`datalife.stats.merge_profiles`. ``df.mapInArrow`` hands each task its partition as Arrow
record batches (in classic Spark and through Spark Connect alike) and returns one row per task:
the partial profile as JSON. With more partitions than :data:`MERGE_GROUPS` (or when the count
is not known, as through Spark Connect), a second ``mapInArrow`` over the partials, grouped
into at most :data:`MERGE_GROUPS` groups, merges them on the executors first, so the driver
never holds more than :data:`MERGE_GROUPS` partial profiles. Nothing but those comes back.

Why not Spark SQL aggregates: the numeric buckets are ``floor(S * log2|x|)``, and Java's
``log2`` differs from the C library's DuckDB calls in the last bit for some values, which moves
values at bucket edges (powers of two) to another bucket; the HyperLogLog registers are made
from DuckDB's ``hash()``, which Spark does not have. Computing every partial with the same
DuckDB code makes "same bins, same registers" true by construction, so a Spark profile and a
DuckDB profile merge, and give the same drift numbers.

What differs from a profile DuckDB computes over the whole data in one piece: the mean and the
variance are merged with Chan et al.'s formulas (equal up to floating-point rounding, the last
bits); and a string column with more than ``max_values`` distinct values, or whose parts'
value tables were cut, gets its distinct count from HyperLogLog (``distinct_method: hll``,
standard error 1.6%) and its top counts a stated ``top_count_error`` bound, where one DuckDB
pass counts them exactly. Buckets, histograms, quantiles, counts, min/max and registers are
equal.

Files are read as :mod:`datalife.engines.spark.reading` reads them for validation (CSV dialect
and missing-value tokens from :mod:`datalife.reading`, every CSV and JSON lines column as text),
then typed on the executors as the DuckDB engine types them: each CSV column gets the type
DuckDB's sniffer gives it (numbers, dates and timestamps typed with the sniffed formats,
booleans never: yes/no stays text); a value late in a file that does not fit the type sniffed
from its head makes the whole file be sniffed again, as the DuckDB engine does. Parquet columns
are cast to the types DuckDB reads from the footers. The files' content hashes (the dataset
version) are computed on the driver, as the DuckDB engine computes them. A Spark DataFrame's
dataset version is :func:`~datalife.engines.spark.engine.frame_version`'s hash, computed in the
same pass as the profile.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.errors import ConfigError, InputError
from datalife.stats.spark_tasks import (
    CONVERSION_MARK,
    OUTPUT_SCHEMA,
    ROW_HASH,
    SOURCE_INDEX,
    PartialSpec,
    combine,
    merge_partials,
    profile_partition,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from datalife.config import Workspace
    from datalife.reading import Source
    from datalife.stats.profile import Profile, ProfileSettings

__all__ = [
    "MERGE_GROUPS",
    "PROFILE_ENGINES",
    "TASK_MEMORY_LIMIT",
    "check_profile_engine",
    "is_spark_frame",
    "profile_on_spark",
    "where",
]

#: the engines that compute profiles
PROFILE_ENGINES = ("duckdb", "spark")
#: partial profiles merged on the executors beyond this many partitions
MERGE_GROUPS = 32
#: integer text as DuckDB's CSV reader takes it for a BIGINT column
_INTEGER = r"\s*[+-]?[0-9]+\s*"
#: DuckDB's memory limit in each task (it spills to the executor's temporary directory)
TASK_MEMORY_LIMIT = "512MB"


def is_spark_frame(data: Any) -> bool:
    """``data`` is a Spark DataFrame (classic or Spark Connect); pyspark is not imported."""
    return type(data).__module__.startswith("pyspark") and hasattr(data, "mapInArrow")


def check_profile_engine(name: str | None, data: Any) -> str:
    """The engine that profiles ``data``: ``name``, or Spark for a Spark DataFrame and DuckDB
    for anything else; a :class:`~datalife.errors.ConfigError` for an engine that cannot."""
    from datalife.engines.base import AUTO, check_engine_name

    spark_frame = is_spark_frame(data)
    if name is None or name == AUTO:
        return "spark" if spark_frame else "duckdb"
    check_engine_name(name)
    if name not in PROFILE_ENGINES:
        raise ConfigError(
            f"engine {name!r} does not compute profiles",
            hint=f"the engines that profile data are {', '.join(PROFILE_ENGINES)} "
            "(--engine duckdb or --engine spark).",
        )
    if spark_frame and name != "spark":
        raise ConfigError(
            "a Spark DataFrame is profiled on Spark",
            hint="pass engine='spark', or leave engine out.",
        )
    return name


def where(spark: SparkSession | None = None) -> str:
    """``Spark 4.0.1 (master local[2])``: the version and place of the session profiles run in."""
    from datalife.engines.spark.engine import _where

    spark = spark or _session(None)
    return f"Spark {spark.version} ({_where(spark)})"


def profile_on_spark(
    data: Any,
    *,
    settings: ProfileSettings,
    dataset: str | None = None,
    workspace: Workspace | None = None,
    memory_limit: str | None = None,
) -> Profile:
    """The profile of ``data`` (a Spark DataFrame, or paths Spark reads), computed on Spark.

    Raises:
        InputError: unreadable files, or data Spark cannot read (Spark's message attached).
        ConfigError: Spark cannot start, or its executors cannot import datalife or duckdb.
    """
    limit = memory_limit or TASK_MEMORY_LIMIT
    if is_spark_frame(data):
        return _profile_frame(data, settings, dataset, limit)
    if isinstance(data, str | Path) or (
        isinstance(data, list | tuple) and data and all(isinstance(d, str | Path) for d in data)
    ):
        items = [data] if isinstance(data, str | Path) else list(data)
        return _profile_files(items, settings, dataset, workspace, limit)
    raise InputError(
        f"cannot profile a {type(data).__name__} on Spark",
        hint="the Spark engine profiles files and Spark DataFrames; profile an in-memory "
        "frame without engine= (DuckDB).",
    )


def _session(workspace: Workspace | None) -> SparkSession:
    from datalife.engines.spark.session import get_session, placement

    place = placement(workspace.root if workspace is not None else None)
    if (place.remote or place.master or "").startswith("local"):
        # local executors run Python workers on this machine: this interpreter has datalife
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return get_session(place)


class _Resniff(Exception):
    """A value does not fit the type sniffed from the head of its file."""


def _partitions(df: DataFrame) -> int | None:
    try:
        return int(df.rdd.getNumPartitions())
    except Exception:  # noqa: BLE001 - Spark Connect has no RDDs: not known
        return None


def _collect(df: DataFrame, spec: PartialSpec) -> list[tuple[int, str, str]]:
    """Run the partial profiles (and the merge of groups of them) and return the rows."""
    from pyspark.sql import functions as F  # noqa: N812 - PySpark's own convention

    with warnings.catch_warnings():
        # pyspark 4.x warns that it does not yet fully support pandas 3 when mapInArrow is
        # planned; only Arrow batches cross here, never pandas
        warnings.simplefilter("ignore", FutureWarning)
        out = df.mapInArrow(functools.partial(profile_partition, spec), OUTPUT_SCHEMA)
        n = _partitions(df)
        if n is None or n > MERGE_GROUPS:
            group = (F.col("part") % MERGE_GROUPS).alias("g")
            out = (
                out.select("*", group)
                .repartition(MERGE_GROUPS, "g")
                .drop("g")
                .mapInArrow(merge_partials, OUTPUT_SCHEMA)
            )
    try:
        got = out.collect()
    except Exception as exc:
        text = str(exc)
        if CONVERSION_MARK in text:
            raise _Resniff(text) from None
        for module in ("datalife", "duckdb", "pyarrow"):
            if f"No module named '{module}'" in text:
                raise ConfigError(
                    f"the Spark executors' Python cannot import {module}",
                    hint="install datalife (with duckdb and pyarrow) in the Python the "
                    "executors run (see docs/scaling.md), or set $PYSPARK_PYTHON to one "
                    "that has it.",
                ) from None
        raise
    return sorted((int(r[0]), str(r[1]), str(r[2] or "")) for r in got)


def _merged(rows: list[tuple[int, str, str]]) -> tuple[Profile | None, str]:
    if not rows:
        return None, ""
    profile, hash_sum = combine(rows)
    merged: Profile = profile
    return merged, hash_sum


# -- Spark DataFrames ------------------------------------------------------------------------


def _profile_frame(
    df: DataFrame, settings: ProfileSettings, dataset: str | None, limit: str
) -> Profile:
    from pyspark.sql import functions as F  # noqa: N812

    from datalife.engines.spark.engine import frame_version
    from datalife.engines.spark.reading import col
    from datalife.engines.spark.validate import spark_action
    from datalife.stats.profile import ProfileSource

    hidden = {ROW_HASH, SOURCE_INDEX} & set(df.columns)
    if hidden:
        raise InputError(
            f"the DataFrame has a column named {sorted(hidden)[0]!r}, which datalife uses itself",
            hint="rename the column before profiling.",
        )
    hashed = bool(df.columns)
    data = (
        df.select("*", F.xxhash64(*[col(c) for c in df.columns]).alias(ROW_HASH)) if hashed else df
    )
    spec = PartialSpec(settings.model_dump_json(), None, None, limit, hashed)
    rows = spark_action(["<frame>"], functools.partial(_collect, data, spec))
    profile, hash_sum = _merged(rows)
    if profile is None:
        profile = _empty_frame_profile(df, spec)
    if hashed:
        # frame_version's text, from the same pass (an order-independent sum of row hashes)
        total = hash_sum if profile.rows else "None"
        text = f"{profile.rows}:{total}:{df.schema.simpleString()}"
        version = "spark:" + hashlib.sha256(text.encode()).hexdigest()[:32]
    else:
        version = frame_version(df)
    source = ProfileSource(dataset=dataset, dataset_version=version, frame=True)
    copied: Profile = profile.model_copy(update={"source": source})
    return copied


def _empty_frame_profile(df: DataFrame, spec: PartialSpec) -> Profile:
    """The profile of a DataFrame without rows (no task returned a partial): its columns'
    Arrow types profiled here."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import to_arrow_schema

    schema = to_arrow_schema(df.schema, timezone="UTC")
    empty = pa.RecordBatch.from_pylist([], schema=schema)
    return _local_partial(PartialSpec(spec.settings, None, None, spec.memory_limit, False), [empty])


def _local_partial(spec: PartialSpec, batches: list[Any]) -> Profile:
    """A partial profile computed here, on the driver (of no rows: cheap)."""
    from datalife.stats.profile import Profile

    out = next(profile_partition(spec, iter(batches)))
    return Profile.model_validate_json(out.column("profile")[0].as_py())


# -- files ---------------------------------------------------------------------------------


def _profile_files(
    items: list[str | Path],
    settings: ProfileSettings,
    dataset: str | None,
    workspace: Workspace | None,
    limit: str,
) -> Profile:
    from datalife.engines.spark.validate import spark_action
    from datalife.reading import resolve_sources

    sources = resolve_sources(items)
    formats = sorted({s.format for s in sources})
    if len(formats) > 1:
        raise InputError(
            f"the files mix formats ({', '.join(formats)})",
            path=sources[0].path,
            hint="profile files of one format together (convert the others first).",
        )
    names = [workspace.relpath(s.path) if workspace is not None else str(s.path) for s in sources]
    spark = _session(workspace)
    profile: Profile | None = None
    for sample_all in (False, True):
        select, columns = _file_plan(sources, sample_all=sample_all)
        spec = PartialSpec(settings.model_dump_json(), select, tuple(columns), limit, False)
        df = spark_action(names, functools.partial(_read, spark, sources), sources)
        try:
            rows = spark_action(names, functools.partial(_collect, df, spec), sources)
        except _Resniff as exc:
            if sample_all or formats[0] != "csv":
                raise InputError(
                    f"{', '.join(names)}: a value does not fit its column's type: "
                    + str(exc).rsplit(CONVERSION_MARK + ": ", 1)[-1].splitlines()[0][:400],
                    path=names[0],
                    hint="profile the file with the DuckDB engine to see the row, or fix it.",
                ) from None
            continue
        profile, _ = _merged(rows)
        if profile is None:  # no task ran (no partitions): the columns, no rows
            profile = _local_partial(spec, [])
        break
    assert profile is not None
    return profile.model_copy(update={"source": _file_source(sources, names, dataset)})


def _read(spark: SparkSession, sources: Sequence[Source]) -> DataFrame:
    """Every source as :func:`~datalife.engines.spark.reading.scan` reads it (CSV and JSON
    lines rows tagged with their file's index), in one DataFrame."""
    from pyspark.sql import functions as F  # noqa: N812

    from datalife.engines.spark.reading import scan

    frames = []
    for i, src in enumerate(sources):
        df = scan(spark, src)
        if src.format != "parquet" and len(sources) > 1:
            df = df.withColumn(SOURCE_INDEX, F.lit(i))
        frames.append(df)
    out = frames[0]
    for df in frames[1:]:
        out = out.unionByName(df, allowMissingColumns=True)
    return out


def _file_source(sources: Sequence[Source], names: Sequence[str], dataset: str | None) -> Any:
    """The files and their content hashes, as the DuckDB engine records them (hashed here,
    on the driver, where the files are)."""
    from datalife.stats.profile import FileRef, ProfileSource
    from datalife.storage import dataset_version_id, hash_file

    refs = []
    for s, shown in zip(sources, names, strict=True):
        s.content_hash = s.content_hash or hash_file(s.path)
        refs.append(FileRef(path=Path(shown).as_posix(), content_hash=s.content_hash))
    version = dataset_version_id(r.content_hash for r in refs)
    return ProfileSource(dataset=dataset, dataset_version=version, files=refs)


def _file_plan(sources: Sequence[Source], *, sample_all: bool) -> tuple[str, list[tuple[str, str]]]:
    """The select list that types the rows Spark read as the DuckDB engine types the files,
    and the resulting ``(column, type)``: the union's types from DuckDB's own reading of the
    files (sniffed CSV, Parquet footers), each file's text converted to its own sniffed type
    (with its date and timestamp formats) before the cast to the union's."""
    import duckdb

    from datalife.io import connect, input_error_from_duckdb, sql_ident, sql_str
    from datalife.reading import PARQUET_SCAN_OPTIONS, auto_types_sql

    types = auto_types_sql() if sample_all else auto_types_sql().replace("sample_size=-1, ", "")
    paths = "[" + ", ".join(sql_str(str(s.path)) for s in sources) + "]"
    fmt = sources[0].format
    con = connect()
    try:
        if fmt == "parquet":
            union_sql = f"read_parquet({paths}, union_by_name = true, {PARQUET_SCAN_OPTIONS})"
        elif fmt == "csv":
            union_sql = (
                f"read_csv({paths}, {sources[0].csv_options()}, {types}, union_by_name = true)"
            )
        else:
            union_sql = f"read_json({paths}, format = 'newline_delimited', union_by_name = true)"
        try:
            union = [
                (str(r[0]), str(r[1]))
                for r in con.execute(f"DESCRIBE SELECT * FROM {union_sql}").fetchall()
            ]
            per_file = [_file_types(con, s, types) for s in sources] if fmt != "parquet" else []
        except duckdb.Error as exc:
            raise input_error_from_duckdb(exc, list(sources)) from None
    finally:
        con.close()
    exprs = []
    for name, target in union:
        c = sql_ident(name)
        if fmt == "parquet":
            expr = f"CAST({c} AS {target})"
        else:
            conv = [_convert(c, target, f.get(name)) for f in per_file]
            if len(conv) == 1:
                expr = conv[0]
            else:
                idx = sql_ident(SOURCE_INDEX)
                whens = " ".join(f"WHEN {i} THEN {e}" for i, e in enumerate(conv))
                expr = f"CASE {idx} {whens} END"
        exprs.append(f"{expr} AS {c}")
    return ", ".join(exprs), union


def _file_types(con: Any, src: Source, types: str) -> dict[str, tuple[str, str | None]]:
    """Each column of one text file: the type DuckDB reads it as, and the date or timestamp
    format its sniffer found (None: ISO 8601)."""
    from datalife.io import sql_str

    p = sql_str(str(src.path))
    if src.format == "csv":
        cols, date_fmt, ts_fmt = con.execute(
            "SELECT Columns, DateFormat, TimestampFormat FROM "
            f"sniff_csv({p}, {src.csv_options()}, {types})"
        ).fetchall()[0]
        out: dict[str, tuple[str, str | None]] = {}
        for c in cols:
            t = str(c["type"])
            fmt = date_fmt if t == "DATE" else ts_fmt if t.startswith("TIMESTAMP") else None
            out[str(c["name"])] = (t, fmt)
        return out
    rows = con.execute(
        f"DESCRIBE SELECT * FROM read_json({p}, format = 'newline_delimited')"
    ).fetchall()
    return {str(r[0]): (str(r[1]), None) for r in rows}


def _convert(c: str, target: str, own: tuple[str, str | None] | None) -> str:
    """SQL converting text column ``c`` to the file's own type, then to ``target``."""
    from datalife.io import sql_str
    from datalife.stats.engine import column_kind

    if own is None:
        return f"CAST(NULL AS {target})"
    t, fmt = own
    if t == "VARCHAR":
        value = c
    elif fmt is not None and t in ("DATE", "TIMESTAMP"):
        value = f"CAST(strptime({c}, {sql_str(fmt)}) AS {t})"
    elif t == "JSON":
        value = f"CAST(to_json({c}) AS JSON)"
    elif column_kind(t) == "other":
        value = f"CAST(CAST({c} AS JSON) AS {t})"
    elif t == "BIGINT":
        # DuckDB's cast rounds '2.5' to 3 where its CSV reader refuses it (and sniffs again)
        bad = sql_str(f"{CONVERSION_MARK}: not an integer: ")
        value = (
            f"CASE WHEN {c} IS NULL OR regexp_full_match({c}, {sql_str(_INTEGER)}) "
            f"THEN CAST({c} AS BIGINT) ELSE CAST(error({bad} || {c}) AS BIGINT) END"
        )
    else:
        value = f"CAST({c} AS {t})"
    return value if t == target else f"CAST({value} AS {target})"
