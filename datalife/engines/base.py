"""The engine contract: what every engine is, what it reads, and the registry of engines.

An engine is where rows are processed. Every engine receives the same two things — the data,
read as :mod:`datalife.reading` decided (format, dialect, null spellings, column types), and
a :class:`~datalife.plan.compile.CheckPlan` compiled once from the schema version — and returns
the same :class:`~datalife.engines.report.ValidationReport`. An engine never decides on its own
what a column's type is or how a file is parsed; that is what makes "one schema, one verdict"
hold across engines, and what the conformance suite (``tests/conformance/``) checks.

Engines are registered by name: the built-in ones here, third-party ones through the
``datalife.engines`` entry-point group (``name = "package.module:EngineClass"``), and others
in-process with :func:`register_engine`. An unknown name is an :class:`UnknownEngine` error
that lists the known ones.

Examples:
    >>> from datalife.engines import engine_names, get_engine
    >>> sorted(engine_names())[:2]
    ['duckdb', 'pandas']
    >>> get_engine("duckdb").name
    'duckdb'
    >>> get_engine("dukdb")
    Traceback (most recent call last):
    ...
    datalife.errors.UnknownEngine: unknown engine 'dukdb' (known engines: duckdb, pandas, spark)
    Fix: use one of duckdb, pandas, spark (did you mean 'duckdb'?), or install the package that provides it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from datalife.errors import UnknownEngine

if TYPE_CHECKING:
    from datalife.engines.report import ValidationReport
    from datalife.plan.compile import CheckPlan
    from datalife.reading import Source

__all__ = [
    "AUTO",
    "Data",
    "Engine",
    "engine_for",
    "engine_names",
    "finish",
    "get_engine",
    "register_engine",
    "unavailable",
    "validate_data",
]

AUTO = "auto"
ENTRY_POINT_GROUP = "datalife.engines"

#: the engines that ship with datalife (imported only when used)
_BUILTIN: dict[str, str] = {
    "duckdb": "datalife.engines.duckdb:DuckDBEngine",
    "pandas": "datalife.engines.pandas:PandasEngine",
    "spark": "datalife.engines.spark:SparkEngine",
}
_REGISTERED: dict[str, Callable[[], Engine]] = {}
_INSTANCES: dict[str, Engine] = {}


@dataclass
class Data:
    """What an engine reads: files described by :mod:`datalife.reading`, or one frame.

    Attributes:
        sources: the input files, each with the reading decided for it.
        names: how each source is named in reports (relative to the workspace).
        frame: an in-memory table (pandas or polars DataFrame, Arrow table), if not files.
        kind: ``files``, ``pandas``, ``polars``, ``arrow`` (or an engine's own kind, e.g.
            ``spark``).
    """

    sources: Sequence[Source] = ()
    names: Sequence[str] = ()
    frame: Any = None
    kind: str = "files"
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of_frame(cls, frame: Any) -> Data:
        """``frame`` as engine input (its kind taken from the library it comes from)."""
        module = type(frame).__module__.split(".")[0]
        kinds = {"pandas": "pandas", "polars": "polars", "pyarrow": "arrow", "pyspark": "spark"}
        kind = kinds.get(module, module)
        return cls(frame=frame, kind=kind)


@runtime_checkable
class Engine(Protocol):
    """What an engine must provide.

    Attributes:
        name: the registry name (``--engine NAME``).
        reads: the kinds of :class:`Data` it reads (``files``, ``pandas``, ``polars``,
            ``arrow``...).
    """

    name: str
    reads: frozenset[str]

    # Optional: ``available(self) -> str | None`` says why the engine cannot run here (a
    # missing optional dependency, no Java...), None when it can; see :func:`unavailable`.

    def validate(self, data: Data, plan: CheckPlan, *, ref: str) -> ValidationReport:
        """Evaluate every check of ``plan`` on ``data``; never raise for invalid data.

        Unreadable input raises :class:`~datalife.errors.InputError` naming the file; a check
        the engine cannot express raises :class:`~datalife.errors.UnsupportedCheck` before any
        row is read.
        """
        ...


def register_engine(name: str, factory: Callable[[], Engine]) -> None:
    """Register an engine under ``name`` in this process (replacing one of the same name)."""
    _REGISTERED[name] = factory
    _INSTANCES.pop(name, None)


def _entry_points() -> dict[str, Any]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def engine_names() -> list[str]:
    """Every engine that can be named: built-in, registered in-process, and installed."""
    names = dict.fromkeys([*_BUILTIN, *_REGISTERED])
    names.update(dict.fromkeys(_entry_points()))
    return list(names)


def get_engine(name: str) -> Engine:
    """The engine registered as ``name`` (:class:`UnknownEngine` if there is none)."""
    cached = _INSTANCES.get(name)
    if cached is not None:
        return cached
    engine: Engine
    if name in _REGISTERED:
        engine = _REGISTERED[name]()
    elif name in _BUILTIN:
        module, attr = _BUILTIN[name].split(":")
        engine = getattr(importlib.import_module(module), attr)()
    else:
        ep = _entry_points().get(name)
        if ep is None:
            raise UnknownEngine.from_name(name, engine_names())
        engine = ep.load()()
    _INSTANCES[name] = engine
    return engine


def unavailable(name: str) -> str | None:
    """Why engine ``name`` cannot run on this machine (None: it can). Engines that depend on
    something optional say so through an ``available()`` method."""
    try:
        engine = get_engine(name)
    except ImportError as exc:
        return f"engine {name!r} cannot be imported: {exc}"
    check = getattr(engine, "available", None)
    reason: str | None = check() if callable(check) else None
    return reason


def check_engine_name(name: str) -> str:
    """``name`` if an engine (or ``auto``) has it, else :class:`UnknownEngine`; cheap for
    built-in names (nothing imported)."""
    if name == AUTO or name in _BUILTIN or name in _REGISTERED:
        return name
    if name in _entry_points():
        return name
    raise UnknownEngine.from_name(name, engine_names())


def engine_for(data: Data, name: str = AUTO) -> Engine:
    """The engine ``name`` names, or for ``auto`` the default for ``data``'s kind: pandera
    (``pandas``) for pandas frames, DuckDB for files, polars and Arrow tables."""
    if name == AUTO:
        name = {"pandas": "pandas", "spark": "spark"}.get(data.kind, "duckdb")
    engine = get_engine(name)
    if data.kind not in engine.reads:
        from datalife.errors import DatalifeError

        raise DatalifeError(
            f"engine {engine.name!r} cannot read {data.kind} data",
            hint=f"engine {engine.name!r} reads {', '.join(sorted(engine.reads))}; "
            "choose another engine (--engine) or pass the data in one of those forms.",
        )
    return engine


def finish(plan: CheckPlan, report: ValidationReport) -> ValidationReport:
    """What every engine's report goes through: failures of warning-level checks move to
    ``report.warnings`` (their checks count as passed), the same way for every engine."""
    from dataclasses import replace

    warned = [f for f in report.failures if plan.is_warning(f.column, f.check, f.detail)]
    if not warned:
        return report
    keys = {(f.column, f.check, f.detail) for f in warned}
    report.failures = [f for f in report.failures if (f.column, f.check, f.detail) not in keys]
    report.warnings.extend(warned)
    report.checks = [
        replace(c, passed=True) if (c.column, c.check, c.detail) in keys else c
        for c in report.checks
    ]
    return report


def validate_data(
    data: Any,
    schema: Any,
    *,
    ref: str | None = None,
    engine: str = AUTO,
    display: Callable[[Any], str] | None = None,
) -> ValidationReport:
    """Validate a frame, or files forming one dataset, against a schema (a
    :class:`~datalife.plan.spec.SchemaSpec`, something with a ``spec``, or a pandera schema):
    the engine work alone, with no workspace, content hashes or lineage (see
    :func:`datalife.validate` for those). ``display`` names each file in the report."""
    from pathlib import Path

    from datalife.plan.compile import compile_plan

    spec = getattr(schema, "spec", schema)
    plan = compile_plan(spec)
    label = ref or getattr(schema, "ref", None) or getattr(schema, "name", None) or "<schema>"
    if isinstance(data, str | Path) or (
        isinstance(data, list | tuple) and data and all(isinstance(d, str | Path) for d in data)
    ):
        from datalife.reading import resolve_sources

        items = [data] if isinstance(data, str | Path) else list(data)
        sources = resolve_sources(items)
        shown = [display(s.path) if display else str(s.path) for s in sources]
        frame = Data(sources, shown)
    else:
        frame = Data.of_frame(data)
    return finish(plan, engine_for(frame, engine).validate(frame, plan, ref=str(label)))
