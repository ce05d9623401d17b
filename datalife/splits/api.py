"""``split()``: one function for frames and files, three modes."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.errors import SplitDataError
from datalife.splits._plan import Plan, make_plan
from datalife.splits._sources import Fetched, FileSource, FrameSource
from datalife.splits.params import SPLITS, SplitParams
from datalife.splits.result import (
    REPORT_FILE,
    SPLIT_ATTR,
    SplitResult,
    _dumps,
    commit,
    prepare_out_dir,
    provenance,
    remove_superseded,
    report_bytes,
    write_splits,
)

if TYPE_CHECKING:
    from concurrent.futures import Future

    import numpy as np
    import numpy.typing as npt
    import pandas as pd

__all__ = ["split"]

PathLike = str | os.PathLike[str]


def _is_frame(data: Any) -> bool:
    pd = sys.modules.get("pandas")  # no DataFrame can exist before pandas is imported
    return pd is not None and isinstance(data, pd.DataFrame)


def split(
    data: pd.DataFrame | PathLike | Sequence[PathLike],
    ratios: Sequence[float] = (0.8, 0.1, 0.1),
    *,
    stratify: str | Sequence[str] | None = None,
    group: str | None = None,
    key: str | None = None,
    seed: int = 0,
    rebalance: str | None = None,
    order_by: str | None = None,
    gap: float = 0.0,
    out: PathLike | None = None,
    check_duplicates: bool = True,
    provenance: Mapping[str, Any] | None = None,
    drift: bool = False,
    engine: str | None = None,
) -> SplitResult:
    """Split rows into train, dev and test: deterministic, stratified, group-aware or stable.

    Modes (picked from the arguments):

    * **exact** (default): each stratum's rows are dealt out so that every class's count in
      every split is within one row of ``rows × ratio``. Depends on the row order.
    * **group** (``group=COL``): whole groups go to one split; stratification then holds as
      closely as the groups allow (the report says how close).
    * **key** (``key=COL``): a row's split is a hash of its key against fixed thresholds,
      so appending rows never moves an existing row (stable splits); shares are within
      binomial noise of the targets. With ``group`` too, the group value is hashed.
    * **time** (``order_by=COL``): train gets the earliest rows, dev the next, test the
      latest (whole groups with ``group``, placed by their earliest row); ``gap`` leaves a
      share of the rows out after train and after dev. The report's ``time_order`` checks
      that no training row is later than the first evaluation row.

    Args:
        data: a pandas DataFrame, a Spark DataFrame, or one or more CSV / Parquet /
            JSON-lines files (read by DuckDB; only the named columns are loaded).
        ratios: shares of train, dev and test; each above 0, summing to 1.
        stratify: column(s) whose joint values are spread in proportion.
        group: a column whose values never appear in two splits.
        key: a column identifying rows (unique, not null): stable hash assignment.
        seed: changes the shuffle (exact, group) or the hash (key).
        rebalance: ``"downsample"``, ``"upsample"`` or ``"weight"`` (adds ``sample_weight``)
            to even out the classes of train only (needs ``stratify``); dev and test are
            never changed.
        order_by: a column ordering the rows in time (timestamps, dates, numbers, or strings
            that sort in time order such as ISO dates): a time-ordered split.
        gap: with ``order_by``, the share of the rows left out after train and after dev.
        out: write ``train/dev/test.parquet`` and ``split_report.json`` here. For files this
            streams the data through DuckDB without loading it. On Spark (required there):
            ``train/``, ``dev/`` and ``test/`` directories of Parquet parts.
        check_duplicates: look for exact-duplicate rows shared across splits (leakage).
        drift: compare dev and test with train column by column for the report's ``drift``
            (see ``datalife.drift.between_splits``; it reads every column of the splits
            again, so it is asked for). ``datalife run`` always includes it.
        provenance: caller-supplied provenance for the written files: ``schema``,
            ``run_id``, ``dataset_versions``, ``transforms``, ``extra``.
        engine: ``"spark"`` splits on Spark (the default for a Spark DataFrame): exact,
            group and key modes (with rebalancing; not ``order_by`` or ``drift``), written to ``out`` as a directory of Parquet parts per
            split; key mode assigns every row as the other engines do (see
            ``docs/spark-splits.md``). ``"duckdb"`` (files) and ``"pandas"`` (a DataFrame)
            are the in-process engines; None picks by the kind of ``data``.

    Returns:
        A :class:`SplitResult`: the frames (or files), the per-row assignment, the report.

    Raises:
        SplitConfigError: bad ratios or options, or a named column that does not exist.
        SplitDataError: the data cannot be split so (all-null column, one-row class,
            duplicate keys, a split that would be empty).
        InputError: an input file that cannot be read.
        OutputNotWritable: ``out`` cannot be written (nothing is written).

    The result's ``engine`` and ``engine_facet`` say which engine ran (the lineage facet
    ``datalife split`` records).

    Examples:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"y": ["a"] * 10 + ["b"] * 20, "x": range(30)})
        >>> result = split(df, stratify="y", seed=1)
        >>> result.report.rows
        {'train': 24, 'dev': 3, 'test': 3}
        >>> result.train["y"].value_counts().to_dict()
        {'b': 16, 'a': 8}
    """
    params = SplitParams.build(
        ratios=ratios,
        stratify=stratify,
        group=group,
        key=key,
        seed=seed,
        rebalance=rebalance,
        order_by=order_by,
        gap=gap,
    )
    name = _engine_name(data, engine)
    if name == "spark":
        return _split_spark(data, params, out, check_duplicates, provenance, drift)
    out_dir = prepare_out_dir(out) if out is not None else None
    if _is_frame(data):
        result = _split_frame(
            data,  # type: ignore[arg-type]
            params,
            out_dir,
            check_duplicates,
            provenance,
            drift,
        )
        return _ran_on(result, "pandas")
    if isinstance(data, str | os.PathLike):
        paths: list[PathLike] = [data]
    else:
        paths = list(data)  # type: ignore[arg-type]
    try:
        result = _split_files(paths, params, out_dir, check_duplicates, provenance)
    except SplitDataError as exc:
        _naming_inputs(exc, paths)
        raise
    if drift:
        result = _with_drift(result)
    return _ran_on(result, "duckdb")


_ENGINES = ("duckdb", "pandas", "spark")


def _engine_name(data: Any, engine: str | None) -> str:
    """The engine that splits ``data``: ``engine`` if given (checked), else ``spark`` for a
    Spark DataFrame, ``pandas`` for a pandas one and ``duckdb`` for files."""
    from datalife.splits._spark import is_spark_frame

    spark_frame = is_spark_frame(data)
    if engine is None or engine == "auto":
        return "spark" if spark_frame else "pandas" if _is_frame(data) else "duckdb"
    if engine not in _ENGINES:
        from datalife.errors import SplitConfigError

        raise SplitConfigError(
            f"unknown split engine {engine!r}",
            hint=f"use one of {', '.join(_ENGINES)}.",
        )
    if spark_frame and engine != "spark":
        from datalife.errors import SplitConfigError

        raise SplitConfigError(
            f"a Spark DataFrame is split on Spark, not with engine {engine!r}",
            hint="pass engine='spark' (or none), or convert the frame first (toPandas()).",
        )
    return engine


def _ran_on(result: SplitResult, engine: str) -> SplitResult:
    from dataclasses import replace

    from datalife.lineage.facets import engine_facet

    return replace(result, engine=engine, engine_facet=engine_facet(engine))


def _split_spark(
    data: Any,
    params: SplitParams,
    out: PathLike | None,
    check_duplicates: bool,
    supplied: Mapping[str, Any] | None,
    drift: bool,
) -> SplitResult:
    """On Spark (:mod:`datalife.splits._spark`): what Spark cannot do is refused
    before the output directory is touched or a session starts."""
    from datalife.splits._spark import check_supported, is_spark_frame, split_on_spark

    check_supported(params, drift=drift, out=out)
    assert out is not None
    out_dir = prepare_out_dir(out)
    if _is_frame(data):  # a pandas frame handed to Spark
        import pyarrow as pa

        from datalife.engines.spark.session import get_session, placement

        table = pa.Table.from_pandas(data, preserve_index=False)
        data = get_session(placement()).createDataFrame(table)
    if is_spark_frame(data):
        return split_on_spark(
            data, params, out_dir, check_duplicates=check_duplicates, supplied=supplied
        )
    paths = [data] if isinstance(data, str | os.PathLike) else list(data)
    try:
        return split_on_spark(
            paths, params, out_dir, check_duplicates=check_duplicates, supplied=supplied
        )
    except SplitDataError as exc:
        _naming_inputs(exc, paths)
        raise


def _naming_inputs(exc: SplitDataError, paths: Sequence[PathLike]) -> None:
    """Name the input files in the data error when it does not name one already."""
    if exc.path is not None or any(os.fspath(p) in exc.message for p in paths):
        return
    names = ", ".join(os.fspath(p) for p in paths[:3]) + (", ..." if len(paths) > 3 else "")
    exc.path = os.fspath(paths[0])
    exc.message = f"{names}: {exc.message}"
    exc.args = (exc.message,)


def _with_drift(result: SplitResult) -> SplitResult:
    """The result with the report's per-column drift figures (and its report file rewritten)."""
    from dataclasses import replace

    from datalife.drift.between_splits import split_drift
    from datalife.storage import atomic_write_bytes

    if result.frames is not None:
        parts: dict[str, Any] = dict(result.frames)
    else:
        parts = {name: result.files[name] for name in SPLITS}
    report = replace(result.report, drift=split_drift(parts))
    result = replace(result, report=report)
    if "report" in result.files:
        files = {k: v for k, v in result.files.items() if k != "report"}
        atomic_write_bytes(
            result.files["report"],
            report_bytes(report, files, result.inputs, result.dataset_versions),
        )
    return result


def _split_frame(
    frame: pd.DataFrame,
    params: SplitParams,
    out_dir: Path | None,
    check_duplicates: bool,
    supplied: Mapping[str, Any] | None,
    drift: bool = True,
) -> SplitResult:
    source = FrameSource(frame)
    params.check_columns(source.columns, "the DataFrame")
    exclude = [params.key] if params.key else []
    fetched = source.fetch(params.columns, hash_exclude=exclude if check_duplicates else None)
    plan = make_plan(fetched, params, source.columns)
    frames = {}
    for j, name in enumerate(SPLITS):
        part = frame.take(plan.rows_of(j))
        if j == 0 and plan.weights is not None and plan.weight_column:
            part = part.assign(**{plan.weight_column: plan.weights[plan.rows_of(0)]})
        part.attrs[SPLIT_ATTR] = name
        frames[name] = part
    result = SplitResult(report=plan.report, frames=frames, assignment=plan.assign, source=frame)
    if drift:
        result = _with_drift(result)
    if out_dir is not None:
        result = write_splits(result, out_dir, provenance=supplied)
    return result


def _split_files(
    paths: Sequence[PathLike],
    params: SplitParams,
    out_dir: Path | None,
    check_duplicates: bool,
    supplied: Mapping[str, Any] | None,
) -> SplitResult:
    from concurrent.futures import ThreadPoolExecutor

    source = FileSource(paths)
    pool = ThreadPoolExecutor(1, thread_name_prefix="datalife-hash")
    try:
        params.check_columns(source.columns, source.describe())
        # the inputs' content hashes (provenance) are computed while the data is read
        hashing = pool.submit(_hash_inputs, source.paths)
        exclude = [params.key] if params.key else []
        if (
            out_dir is not None
            and params.mode == "key"
            and params.group is None
            and params.rebalance is None
        ):
            return _split_key_files(source, params, out_dir, check_duplicates, hashing, supplied)
        inputs, versions = hashing.result()
        fetched = source.fetch(params.columns, hash_exclude=exclude if check_duplicates else None)
        plan = make_plan(fetched, params, source.columns)
        del fetched  # free the columns and hashes before the outputs are written
        if out_dir is None:
            frames = _read_frames(source, plan)
            return SplitResult(
                report=plan.report,
                frames=frames,
                assignment=plan.assign,
                inputs=inputs,
                dataset_versions=versions,
            )
        files = _write_files(source, plan, out_dir, inputs, versions, supplied)
        return SplitResult(
            report=plan.report,
            frames=None,
            assignment=plan.assign,
            files=files,
            inputs=inputs,
            dataset_versions=versions,
        )
    finally:
        pool.shutdown(wait=True)
        source.close()


def _hash_inputs(paths: Sequence[Path]) -> tuple[list[dict[str, str]], list[str]]:
    """The input files with their BLAKE3 content hashes, and their dataset version id."""
    from datalife.storage import dataset_version_id, hash_file

    hashes = [hash_file(p) for p in paths]
    inputs = [{"path": Path(p).as_posix(), "blake3": h} for p, h in zip(paths, hashes, strict=True)]
    return inputs, [dataset_version_id(hashes)]


def _split_key_files(
    source: FileSource,
    params: SplitParams,
    out_dir: Path,
    check_duplicates: bool,
    hashing: Future[tuple[list[dict[str, str]], list[str]]],
    supplied: Mapping[str, Any] | None,
) -> SplitResult:
    """Key mode written in one pass over the input (without group or rebalancing, a row's
    split is known as soon as its key is read).

    The rows are routed to their files while they are read; the columns the checks and the
    report need are collected on the way, and the checks run at the end, before any file is
    renamed into place.
    """
    import numpy as np

    assert params.key is not None
    plans: list[Plan] = []

    def finish(fetched: Fetched, streamed: npt.NDArray[np.int8]) -> dict[int, str]:
        plan = make_plan(fetched, params, source.columns)
        if not np.array_equal(plan.assign, streamed):  # the two must agree by construction
            raise RuntimeError("internal error: key-mode rows were routed to the wrong split")
        plans.append(plan)
        return _metadata(plan, *hashing.result(), supplied)

    exclude = [params.key]
    with _staged_outputs(out_dir) as (temps, finals):
        source.write_key_splits(
            params.columns,
            key=params.key,
            seed=params.seed,
            fractions=params.fractions,
            targets={j: temps[n] for j, n in enumerate(SPLITS)},
            hash_exclude=exclude if check_duplicates else None,
            finish=finish,
        )
        plan = plans[0]
        inputs, versions = hashing.result()
        temps["report"].write_bytes(report_bytes(plan.report, finals, inputs, versions))
    return SplitResult(
        report=plan.report,
        frames=None,
        assignment=plan.assign,
        files=finals,
        inputs=inputs,
        dataset_versions=versions,
    )


def _metadata(
    plan: Plan,
    inputs: list[dict[str, str]],
    versions: list[str],
    supplied: Mapping[str, Any] | None,
) -> dict[int, str]:
    """Each split file's ``datalife`` provenance (JSON)."""
    counts = {name: plan.count(j) for j, name in enumerate(SPLITS)}
    return {
        j: _dumps(
            provenance(
                plan.report.params,
                counts,
                split=name,
                inputs=inputs,
                dataset_versions=versions,
                supplied=supplied,
            )
        )
        for j, name in enumerate(SPLITS)
    }


def _read_frames(source: FileSource, plan: Plan) -> dict[str, pd.DataFrame]:
    tables = source.read_splits(
        plan.assign, reps=plan.reps, weights=plan.weights, weight_column=plan.weight_column
    )
    frames = {}
    for name, table in zip(SPLITS, tables, strict=True):
        frame = table.to_pandas()
        frame.attrs[SPLIT_ATTR] = name
        frames[name] = frame
    return frames


def _write_files(
    source: FileSource,
    plan: Plan,
    out_dir: Path,
    inputs: list[dict[str, str]],
    versions: list[str],
    supplied: Mapping[str, Any] | None,
) -> dict[str, Path]:
    meta = _metadata(plan, inputs, versions, supplied)
    with _staged_outputs(out_dir) as (temps, finals):
        source.write_splits(
            plan.assign,
            {j: temps[n] for j, n in enumerate(SPLITS)},
            meta,
            reps=plan.reps,
            weights=plan.weights,
            weight_column=plan.weight_column,
        )
        temps["report"].write_bytes(report_bytes(plan.report, finals, inputs, versions))
    return finals


@contextlib.contextmanager
def _staged_outputs(out_dir: Path) -> Iterator[tuple[dict[str, Path], dict[str, Path]]]:
    """``(temporary paths, final paths)`` of the three splits and the report: the caller
    writes the temporary files; they replace the finals together when the block ends without
    an error (else they are removed and the finals are untouched)."""

    from datalife.errors import WriteFailed
    from datalife.storage import remove_stale_temporaries, temp_name

    finals = {name: out_dir / f"{name}.parquet" for name in SPLITS}
    finals["report"] = out_dir / REPORT_FILE
    remove_stale_temporaries(out_dir)  # left by a killed split (their process is gone)
    temps = {k: out_dir / temp_name(v) for k, v in finals.items()}
    try:
        try:
            for tmp in temps.values():
                tmp.touch(mode=0o600, exist_ok=False)
            yield temps, finals
            commit({temps[k]: finals[k] for k in finals})
            remove_superseded(out_dir, kept="files")  # a Spark split's train/ ... of before
        finally:
            for tmp in temps.values():
                with contextlib.suppress(OSError):
                    tmp.unlink()
    except WriteFailed:
        raise
    except OSError as exc:
        raise WriteFailed.from_os_error(getattr(exc, "filename", None) or out_dir, exc) from exc
