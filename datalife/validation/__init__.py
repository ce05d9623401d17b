"""Validate data against a versioned schema.

Examples:
    >>> import pandas as pd, pandera.pandas as pa, datalife
    >>> schema = pa.DataFrameSchema({"x": pa.Column(int, pa.Check.ge(0))}, name="demo")
    >>> report = datalife.validate(pd.DataFrame({"x": [1, -2, 3]}), schema)
    >>> report.valid, report.failures[0].column, report.failures[0].failure_count
    (False, 'x', 1)
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from datalife.engines.report import CheckResult, Example, Failure, ValidationReport
from datalife.errors import DatalifeError
from datalife.plan.compile import compile_plan

if TYPE_CHECKING:
    import pandera.api.pandas.container as pac

    from datalife.config import Workspace
    from datalife.plan.spec import SchemaSpec
    from datalife.schemas.model import SchemaVersion

__all__ = [
    "CheckResult",
    "Example",
    "Failure",
    "ValidationReport",
    "resolve_schema",
    "validate",
    "validate_files",
    "validate_table",
    "validates",
]

F = TypeVar("F", bound=Callable[..., Any])


def resolve_schema(
    schema: Any, workspace: Workspace | str | Path | None = None
) -> tuple[pac.DataFrameSchema, str, SchemaVersion | None]:
    """``(pandera schema, reference, SchemaVersion or None)`` for a reference or schema object."""
    import pandera.pandas as pa

    from datalife.schemas.model import SchemaVersion
    from datalife.schemas.registry import load_schema

    if isinstance(schema, SchemaVersion):
        return schema.schema, schema.ref, schema
    if isinstance(schema, pa.DataFrameSchema):
        return schema, schema.name or "<inline schema>", None
    if isinstance(schema, type) and issubclass(schema, pa.DataFrameModel):
        s = schema.to_schema()
        return s, s.name or schema.__name__, None
    if isinstance(schema, str):
        sv = load_schema(schema, workspace)
        return sv.schema, sv.ref, sv
    raise DatalifeError(
        f"cannot validate against a {type(schema).__name__}",
        hint="pass a schema reference such as 'penguins@2', a SchemaVersion, or a pandera schema.",
    )


def _resolve_spec(
    schema: Any, workspace: Workspace | str | Path | None
) -> tuple[SchemaSpec | pac.DataFrameSchema, str, SchemaVersion | None]:
    """Like :func:`resolve_schema`, but a schema file is not read into pandera when its
    :attr:`~datalife.schemas.model.SchemaVersion.spec` is enough (validating files)."""
    from datalife.plan.spec import SchemaSpec
    from datalife.schemas.model import SchemaVersion

    if isinstance(schema, SchemaSpec):
        return schema, "<inline schema>", None
    if isinstance(schema, str):
        from datalife.schemas.registry import load_schema

        schema = load_schema(schema, workspace)
    if isinstance(schema, SchemaVersion):
        return schema.spec, schema.ref, schema
    return resolve_schema(schema, workspace)


def _is_paths(data: Any) -> bool:
    if isinstance(data, str | Path):
        return True
    return (
        isinstance(data, list | tuple)
        and bool(data)
        and all(isinstance(d, str | Path) for d in data)
    )


def validate(
    data: Any,
    schema: Any = None,
    *,
    workspace: Workspace | str | Path | None = None,
    engine: str = "auto",
    record: bool | None = None,
) -> ValidationReport:
    """Validate ``data`` against ``schema`` and return a :class:`ValidationReport`.

    Args:
        data: a pandas DataFrame, a polars DataFrame or LazyFrame, or one or more paths (CSV,
            Parquet, JSON lines) that together form one dataset.
        schema: ``"name"``, ``"name@3"``, a :class:`SchemaVersion` or a pandera schema. For
            paths it may be omitted: the workspace dataset whose globs match the paths gives it.
        workspace: the workspace to resolve references in (default: the current one).
        engine: a registered engine name (:func:`datalife.engines.engine_names`): ``auto``
            (pandas frames: pandera; polars frames, Arrow tables and files: DuckDB),
            ``pandas`` (in memory, pandera), ``duckdb`` (out of core), or an installed one.
            An unknown name raises :class:`~datalife.errors.UnknownEngine`.
        record: True: append the validation to the workspace's lineage log (into the open
            ``lineage.run`` if there is one, else as a run of its own); None (default): only
            into an open run; False: never.

    The report never raises for invalid data; call ``report.raise_for_errors()`` for that.
    Unreadable input raises :class:`~datalife.errors.InputError`.
    """
    if _is_paths(data):
        paths = [data] if isinstance(data, str | Path) else list(data)
        return validate_files(paths, schema, workspace=workspace, engine=engine, record=record)
    if schema is None:
        raise DatalifeError(
            "no schema given",
            hint="pass a schema reference such as 'penguins@2' or a pandera schema.",
        )
    from datalife.engines.base import Data, check_engine_name, engine_for, finish

    module = type(data).__module__.split(".")[0]
    if module not in ("pandas", "polars", "pyarrow", "pyspark"):
        raise DatalifeError(
            f"cannot validate a {type(data).__name__}",
            hint="pass a pandas or polars DataFrame, a polars LazyFrame, an Arrow table, "
            "a Spark DataFrame, or file paths.",
        )
    check_engine_name(engine)
    spec, ref, _ = _resolve_spec(schema, workspace)
    plan = compile_plan(spec)
    frame = Data.of_frame(data)
    report = finish(plan, engine_for(frame, engine).validate(frame, plan, ref=ref))
    _record(report, workspace, data, record)
    return report


def validate_files(
    paths: Sequence[str | Path],
    schema: Any = None,
    *,
    workspace: Workspace | str | Path | None = None,
    engine: str = "auto",
    record: bool | None = None,
    delimiter: str | None = None,
) -> ValidationReport:
    """Validate files that form one dataset (see :func:`validate`); ``delimiter`` names the
    CSV delimiter where sniffing cannot tell."""
    from datalife._threads import Background
    from datalife.engines.base import Data, check_engine_name, engine_for, finish
    from datalife.engines.duckdb.keys import sorts_keys
    from datalife.io import connect
    from datalife.reading import resolve_sources
    from datalife.storage import dataset_version_id

    check_engine_name(engine)
    ws = _workspace_or_none(workspace)
    from datalife.engines.spark.locations import is_location

    if any(is_location(p) for p in paths):
        return _validate_locations(
            [str(p) for p in paths], schema, ws, workspace, engine, delimiter
        )
    # the engine's connection also reads the Parquet footers that describe the sources; it
    # parses each footer once, not once per query (it only reads, and lives for this call)
    con = connect()
    con.execute("SET parquet_metadata_cache = true")
    if delimiter is None and ws is not None:
        delimiter = _dataset_delimiter(ws, paths)
    sources = resolve_sources(paths, con, delimiter=delimiter)
    if schema is None:
        schema = _schema_for_paths(ws, [s.path for s in sources])
    spec, ref, _ = _resolve_spec(schema, ws if ws is not None else workspace)
    plan = compile_plan(spec)
    display = [ws.relpath(s.path) if ws else str(s.path) for s in sources]
    data = Data(sources, display, extra={"connection": con})
    chosen = engine_for(data, engine)
    # the content hashes (the dataset version) are computed while the engine works: BLAKE3
    # and DuckDB both release the GIL, and the engine has single-threaded stretches
    # (numpy too, when a large integer key will be sorted: its import then costs nothing)
    warm = chosen.name == "duckdb" and sorts_keys(plan.spec, sources)
    hashing = Background(lambda: _hash_all([s.path for s in sources], warm_numpy=warm))
    report = finish(plan, chosen.validate(data, plan, ref=ref))
    hashes = hashing.result()
    if len(report.sources) != len(sources):
        report.sources = [
            {"path": d, "format": s.format, "bytes": s.size}
            for d, s in zip(display, sources, strict=True)
        ]
    for item, h in zip(report.sources, hashes, strict=True):
        item["content_hash"] = h
    report._version = dataset_version_id(hashes)
    if report.rows == 0:
        report.notes.append("no data rows: only the header was checked")
    _record(report, ws if ws is not None else workspace, None, record)
    return report


def _spark_engine(engine: str, what: str) -> Any:
    """The Spark engine, which alone reads ``what``; a usage error if another is asked for or
    Spark cannot run here."""
    from datalife.engines.base import get_engine, unavailable
    from datalife.errors import ConfigError

    if engine not in ("auto", "spark"):
        raise ConfigError(
            f"{what} is read by the Spark engine, not {engine!r}",
            hint="use --engine spark (or leave --engine out).",
        )
    reason = unavailable("spark")
    if reason:
        raise ConfigError(f"{what} needs the Spark engine, which cannot run here: {reason}")
    return get_engine("spark")


def _validate_locations(
    paths: list[str],
    schema: Any,
    ws: Workspace | None,
    workspace: Workspace | str | Path | None,
    engine: str,
    delimiter: str | None,
) -> ValidationReport:
    """Files at locations only Spark reaches (``hdfs://``, ``s3a://``...), validated there
    (see :mod:`datalife.engines.spark.locations`)."""
    from datalife.engines.base import Data, finish
    from datalife.engines.spark.locations import is_location, resolve_locations
    from datalife.errors import ConfigError
    from datalife.storage import dataset_version_id

    local = [p for p in paths if not is_location(p)]
    if local:
        raise ConfigError(
            f"{local[0]}: local paths and locations (hdfs://, s3a://...) cannot be validated "
            "together",
            hint="name local files as file:// locations, or validate them separately.",
        )
    if schema is None:
        raise ConfigError(
            f"{paths[0]}: no --schema given (datasets are matched to local files only)",
            hint="pass `--schema NAME[@VERSION]`.",
        )
    chosen = _spark_engine(engine, paths[0])
    spec, ref, _ = _resolve_spec(schema, ws if ws is not None else workspace)
    plan = compile_plan(spec)
    spark = chosen.session()
    sources = resolve_locations(spark, paths, delimiter)
    report = finish(plan, chosen.validate(Data(sources, [s.uri for s in sources]), plan, ref=ref))
    hashes = [s.fingerprint() for s in sources]
    for item, h in zip(report.sources, hashes, strict=True):
        item["content_hash"] = h
    report._version = dataset_version_id(hashes)
    report.notes.append(
        "files read by Spark at their location: their identity is their listing (location, "
        "size, modification time), and the lineage log does not record them"
    )
    return report


def validate_table(
    name: str,
    schema: Any,
    *,
    workspace: Workspace | str | Path | None = None,
    engine: str = "auto",
) -> ValidationReport:
    """Validate table (or view) ``name`` of Spark's catalog against ``schema``, on Spark.

    The same as ``validate(spark.table(name), schema)``; the lineage log does not record it.
    """
    from datalife.engines.spark.locations import read_table

    chosen = _spark_engine(engine, f"table {name!r}")
    report = validate(read_table(chosen.session(), name), schema, workspace=workspace)
    report.notes.append(f"table {name!r} of Spark's catalog")
    return report


def _dataset_delimiter(ws: Workspace, paths: Sequence[str | Path]) -> str | None:
    """The ``delimiter`` the dataset of ``paths`` declares in the workspace config, if any."""
    for p in paths:
        for name in ws.datasets_for(p):
            declared = ws.config.datasets[name].delimiter
            if declared:
                return declared
    return None


def _hash_all(paths: Sequence[Path], *, warm_numpy: bool) -> list[str]:
    from datalife.storage import hash_file

    if warm_numpy:
        import numpy  # noqa: F401
    return [hash_file(p) for p in paths]


def _workspace_or_none(workspace: Workspace | str | Path | None) -> Workspace | None:
    from datalife.config import Workspace

    if isinstance(workspace, Workspace):
        return workspace
    if workspace is not None:
        return Workspace.find(workspace)
    found = Workspace.locate()
    return Workspace.load(found) if found else None


def _schema_for_paths(ws: Workspace | None, paths: Sequence[Path]) -> str:
    from datalife.errors import ConfigError

    if ws is None:
        raise ConfigError(
            "no --schema given and no datalife workspace here to find one",
            hint="pass `--schema NAME[@VERSION]`, or run inside a workspace (`datalife init`).",
        )
    chosen: set[str] = set()
    for p in paths:
        names = ws.datasets_for(p)
        if len(names) > 1:
            raise ConfigError(
                f"{ws.relpath(p)} matches several datasets: {', '.join(names)}",
                path=p,
                hint="make the datasets' globs disjoint in datalife.toml, or pass --schema.",
            )
        if not names:
            raise ConfigError(
                f"{ws.relpath(p)} belongs to no dataset in {ws.config_path.name}",
                path=p,
                hint=f"pass --schema NAME, or add one: `datalife dataset add NAME {ws.relpath(p)}`.",
            )
        chosen.add(ws.schema_for(names[0]))
    if len(chosen) > 1:
        raise ConfigError(
            f"the files belong to datasets with different schemas ({', '.join(sorted(chosen))})",
            hint="validate each dataset's files separately.",
        )
    return chosen.pop()


def _record(report: ValidationReport, workspace: Any, frame: Any, record: bool | None) -> None:
    """Record this validation: into the caller's open lineage run, or (``record``) a run of its own.

    A validation that fails is recorded as a FAIL event of its own run; the report says why.
    """
    if record is False:
        return
    from datalife import lineage
    from datalife.errors import ValidationFailed

    current = lineage.current_run()
    if current is None and not record:
        return  # nothing to record: skip to_dict(), whose dataset version hashes the whole frame
    data = report.to_dict()
    if current is not None:
        _add_to_run(current, report, data, frame)
        return
    ws = _workspace_or_none(workspace)
    with contextlib.suppress(ValidationFailed), lineage.run("validate", workspace=ws) as run:
        _add_to_run(run, report, data, frame)
        if not report.valid:
            raise ValidationFailed(report)


def _add_to_run(run: Any, report: ValidationReport, data: dict[str, Any], frame: Any) -> None:
    session = None
    if report.engine == "spark":
        from datalife.engines.base import get_engine

        session = (
            frame.sparkSession
            if type(frame).__module__.startswith("pyspark")
            else get_engine("spark").session()  # type: ignore[attr-defined]
        )
    run.engine(report.engine, session)
    if report.sources:
        run.validated(data)
    elif frame is not None:
        version = str(data.get("dataset_version") or "")
        run.input(
            frame,
            rows=report.rows,
            schema_ref=report.schema,
            validation=data,
            # a Spark frame's version, which Spark computed for the report (the part after
            # ``spark:``); the recorder hashes other frames itself
            content_hash=version.split(":", 1)[1] if version.startswith("spark:") else None,
        )


def validates(
    returns: Any = None, *, workspace: Workspace | str | Path | None = None, **inputs: Any
) -> Callable[[F], F]:
    """Decorate a function so its frame arguments and its result are validated.

    Examples:
        >>> import pandas as pd, pandera.pandas as pa, datalife
        >>> pos = pa.DataFrameSchema({"x": pa.Column(int, pa.Check.ge(0))}, name="pos")
        >>> @datalife.validates(df=pos, returns=pos)
        ... def double(df):
        ...     return df * 2
        >>> double(pd.DataFrame({"x": [1, 2]}))["x"].tolist()
        [2, 4]
        >>> try:
        ...     double(pd.DataFrame({"x": [-1]}))
        ... except datalife.ValidationFailed as exc:
        ...     print(exc.report.failures[0].describe())
        column 'x': values below 0 (row 0: -1)

    Args:
        returns: schema for the return value (None: not checked).
        **inputs: parameter name -> schema, for the arguments to check.
    """

    def decorator(fn: F) -> F:
        sig = inspect.signature(fn)
        unknown = set(inputs) - set(sig.parameters)
        if unknown:
            raise DatalifeError(
                f"@validates names {', '.join(sorted(unknown))}, which {fn.__qualname__} does not take",
                hint=f"use the parameter names of {fn.__qualname__}: {', '.join(sig.parameters)}.",
            )

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = sig.bind(*args, **kwargs)
            for param, schema in inputs.items():
                if param in bound.arguments:
                    validate(bound.arguments[param], schema, workspace=workspace).raise_for_errors()
            result = fn(*args, **kwargs)
            if returns is not None:
                validate(result, returns, workspace=workspace).raise_for_errors()
            return result

        return wrapper  # type: ignore[return-value]

    return decorator
