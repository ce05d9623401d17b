"""Recording runs: ``with datalife.lineage.run("job") as run: run.input(...); run.output(...)``.

A :class:`Run` writes a START event when it is entered, and a COMPLETE event (with every
input, output, code fingerprint and parameter declared inside the block) when the block
ends normally, or a FAIL event with the error message when it raises; the exception always
propagates. ``record=False`` gives a :class:`NullRun` with the same methods that writes
nothing, so callers need no ``if``.

Recording needs only the standard library, blake3 and pydantic: no networkx, pandas or
pyarrow (a frame's hash imports pyarrow, but only when a frame is passed).
"""

from __future__ import annotations

import contextvars
import math
import os
import traceback
import uuid
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from datalife.errors import InputError, LineageError
from datalife.lineage.events import DatasetRecord, namespace_for, run_event

if TYPE_CHECKING:
    from datalife.config import Workspace
    from datalife.lineage.store import LineageStore

__all__ = ["NullRun", "Run", "current_run", "run"]

_CURRENT: contextvars.ContextVar[Run | None] = contextvars.ContextVar("datalife_run", default=None)

PathLike = str | os.PathLike[str]
ColumnLineage = Mapping[str, Sequence[str | tuple[str, str]]]


def current_run() -> Run | None:
    """The run being recorded in this context (innermost ``with lineage.run(...)``), or None.

    Library steps use it to record into the user's run: "records when asked or inside a
    run context".
    """
    return _CURRENT.get()


def run(
    job: str,
    *,
    workspace: Workspace | str | os.PathLike[str] | None = None,
    record: bool = True,
    parameters: Mapping[str, Any] | None = None,
) -> Run | NullRun:
    """A run of ``job`` to record in the workspace's lineage log (use it with ``with``).

    Args:
        job: the job name, e.g. ``validate``, ``split`` or your own step's name.
        workspace: a :class:`~datalife.config.Workspace`, a folder inside one, or None for the
            workspace holding the current directory.
        record: False gives a no-op recorder with the same API.
        parameters: run parameters (also settable with :meth:`Run.parameters`).

    Examples:
        >>> with run("my-step", record=False) as r:
        ...     r.parameters({"seed": 1})
        >>> r.recording
        False
    """
    if not record:
        return NullRun(job)
    if not isinstance(job, str) or not job.strip():
        raise LineageError(f"a run needs a job name, got {job!r}", hint='e.g. lineage.run("clean")')
    return Run(job, workspace=workspace, parameters=parameters)


def _workspace(workspace: Workspace | str | os.PathLike[str] | None) -> Workspace:
    from datalife.config import Workspace

    if isinstance(workspace, Workspace):
        return workspace
    return Workspace.find(None if workspace is None else Path(workspace))


def _jsonable(value: Any) -> Any:
    """``value`` as plain JSON: NaN/inf -> None, paths/sets/numpy scalars/dates -> JSON."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_jsonable(v) for v in items]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return _jsonable(value.item())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class NullRun:
    """A recorder that records nothing (``record=False``): every method is a no-op."""

    recording = False

    def __init__(self, job: str = "") -> None:
        self.job = job
        self.id = ""

    def __enter__(self) -> NullRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def input(self, data: Any, **kwargs: Any) -> str:
        """Records nothing and returns "" (see :meth:`Run.input`)."""
        return ""

    def output(self, data: Any, **kwargs: Any) -> str:
        """Records nothing and returns "" (see :meth:`Run.output`)."""
        return ""

    def validated(self, report: Mapping[str, Any], **kwargs: Any) -> str:
        """Records nothing and returns "" (see :meth:`Run.validated`)."""
        return ""

    def code(self, name: str, fingerprint: str, version: str | None = None) -> None:
        """Does nothing (see :meth:`Run.code`)."""

    def parameters(self, params: Mapping[str, Any]) -> None:
        """Does nothing (see :meth:`Run.parameters`)."""

    def engine(self, name: str, session: Any = None) -> None:
        """Does nothing (see :meth:`Run.engine`)."""

    def complete_event(self) -> None:
        """Nothing is recorded: None (see :meth:`Run.complete_event`)."""

    namespace = ""


class Run:
    """A run being recorded (made by :func:`run`; use it as a context manager).

    Attributes:
        id: the run's UUID.
        job: the job name.
        workspace: the workspace whose ``lineage/`` receives the events.
    """

    recording = True

    def __init__(
        self,
        job: str,
        *,
        workspace: Workspace | str | os.PathLike[str] | None = None,
        parameters: Mapping[str, Any] | None = None,
    ) -> None:
        self.job = job
        self.id = str(uuid.uuid4())
        self._workspace_arg = workspace
        self._ws: Workspace | None = None
        self._store: LineageStore | None = None
        self._inputs: list[DatasetRecord] = []
        self._outputs: list[DatasetRecord] = []
        self._code: list[dict[str, Any]] = []
        self._params: dict[str, Any] = dict(_jsonable(parameters or {}))
        self._token: contextvars.Token[Run | None] | None = None
        self._parent: tuple[str, str, str] | None = None
        self._namespace = ""
        self._started = False
        self._finished = False
        self._complete: dict[str, Any] | None = None
        self._engine: dict[str, Any] | None = None
        self._marker: Path | None = None
        self.recovered: list[Any] = []  # runs killed earlier that entering this one closed

    def __repr__(self) -> str:
        return f"Run({self.job!r}, id={self.id!r})"

    @property
    def workspace(self) -> Workspace:
        if self._ws is None:
            self._ws = _workspace(self._workspace_arg)
        return self._ws

    # -- context ---------------------------------------------------------------------------

    def __enter__(self) -> Run:
        from datalife.lineage.store import LineageStore

        if self._started:
            raise LineageError(f"run {self.id} of {self.job!r} was already started")
        ws = self.workspace
        self._store = LineageStore(ws.lineage_dir, ws.root)
        self._namespace = namespace_for(ws.root.name)
        outer = _CURRENT.get()
        if outer is not None:
            self._parent = (outer.id, outer._namespace, outer.job)
        from datalife.lineage.journal import open_marker, sweep_dead_runs

        self.recovered = sweep_dead_runs(self._store)  # runs killed earlier get their ABORT
        self._marker = open_marker(self._store, self.id, self.job, self._namespace)
        self._store.append(self._event("START"))
        self._started = True
        self._token = _CURRENT.set(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._token is not None:
            _CURRENT.reset(self._token)
            self._token = None
        if self._finished or self._store is None:
            return
        self._finished = True
        from datalife.lineage.journal import close_marker

        if exc is None:
            self._store.append(self._complete or self._event("COMPLETE"))
            close_marker(self._marker)
            return
        message = f"{type(exc).__name__}: {exc}"
        stack = "".join(traceback.format_exception(exc_type, exc, tb))[-8000:]
        try:
            self._store.append(self._event("FAIL", error=(message, stack)))
        except Exception as write_error:  # noqa: BLE001  (never hide the user's exception behind ours)
            warnings.warn(f"could not record the FAIL event: {write_error}", stacklevel=2)
        else:
            close_marker(self._marker)

    def complete_event(self) -> dict[str, Any]:
        """The COMPLETE event this run will append when its block ends (built now, once).

        A caller that journals its writes stores it, so an interrupted run can be completed
        with the very event it would have written (:mod:`datalife.lineage.journal`).
        """
        if self._complete is None:
            self._complete = self._event("COMPLETE")
        return self._complete

    @property
    def namespace(self) -> str:
        """The job namespace of this run's events."""
        return self._ns()

    def _event(
        self, event_type: str, error: tuple[str, str | None] | None = None
    ) -> dict[str, Any]:
        final = event_type != "START"
        event = run_event(
            event_type,
            run_id=self.id,
            job_namespace=self._namespace,
            job_name=self.job,
            inputs=self._inputs if final else (),
            outputs=self._outputs if final else (),
            parameters=self._params if final else None,
            code=self._code if final else (),
            error=error,
            parent=self._parent,
        )
        if final and self._engine is not None:
            event["run"]["facets"]["datalife_engine"] = dict(self._engine)
        return event

    def engine(self, name: str, session: Any = None) -> None:
        """Record the engine that read the run's data (``duckdb``, ``pandas``, ``spark``; for
        Spark, ``session`` gives the master or Connect URL and the version): the
        ``datalife_engine`` run facet of the run's final event."""
        from datalife.lineage.facets import engine_facet

        self._engine = engine_facet(name, session)

    # -- declaring -------------------------------------------------------------------------

    def input(
        self,
        data: Any,
        *,
        name: str | None = None,
        rows: int | None = None,
        fields: Sequence[tuple[str, str]] | None = None,
        schema_ref: str | None = None,
        validation: Mapping[str, Any] | None = None,
        content_hash: str | None = None,
    ) -> str:
        """Record that the run read ``data``.

        Args:
            data: a path; a list of paths forming one dataset (recorded as one dataset
                version whose members are the files); or a pandas/polars DataFrame.
            name: the dataset's name (default: the path relative to the workspace; for a
                list of paths, the workspace dataset they belong to; for a frame, ``frame``).
            rows: number of rows, if known.
            fields: ``[(column, type), ...]`` (taken from a frame when None).
            schema_ref: ``name@version`` of the schema the data was validated against.
            validation: a ``ValidationReport.to_dict()``: becomes ``dataQualityAssertions``
                and a ``datalife_validation`` facet.
            content_hash: BLAKE3 hex; computed (files) or taken from the frame when None.

        Returns:
            The dataset's node id in the lineage graph, e.g. ``dataset:raw/a.csv@3f2a9c1d0a1b``.
        """
        record = self._dataset(data, name, rows, fields, schema_ref, validation, content_hash)
        self._inputs.append(record)
        return _node_id(record)

    def output(
        self,
        data: Any,
        *,
        name: str | None = None,
        rows: int | None = None,
        fields: Sequence[tuple[str, str]] | None = None,
        schema_ref: str | None = None,
        validation: Mapping[str, Any] | None = None,
        content_hash: str | None = None,
        column_lineage: ColumnLineage | None = None,
    ) -> str:
        """Record that the run wrote ``data`` (a path, paths, or a frame): see :meth:`input`.

        Args:
            column_lineage: ``{"out_col": ["in_col", ...]}``, or with the input named:
                ``{"out_col": [("dataset name", "in_col")]}``. A bare column refers to the
                input(s) that have it (or to the only input).
        """
        record = self._dataset(data, name, rows, fields, schema_ref, validation, content_hash)
        if column_lineage:
            record.column_lineage = self._column_lineage(column_lineage)
        self._outputs.append(record)
        return _node_id(record)

    def validated(self, report: Mapping[str, Any], *, name: str | None = None) -> str:
        """Record the input(s) of a ``ValidationReport.to_dict()``, with its verdict.

        One source file becomes one input; several become one dataset made of those files.
        """
        sources = [
            s for s in report.get("sources") or () if isinstance(s, Mapping) and s.get("path")
        ]
        schema_ref = report.get("schema")
        if not sources:
            raise LineageError(
                "the validation report names no source files to record",
                hint="record frames with run.input(df, validation=report.to_dict()).",
            )
        if len(sources) == 1:
            src = sources[0]
            return self.input(
                src["path"],
                name=name,
                rows=src.get("rows", report.get("rows")),
                schema_ref=schema_ref,
                validation=report,
                content_hash=src.get("content_hash"),
            )
        members = [(str(s["path"]), s.get("content_hash"), s.get("rows")) for s in sources]
        record = self._files_dataset(members, name, report.get("rows"), None, schema_ref, report)
        self._inputs.append(record)
        return _node_id(record)

    def code(self, name: str, fingerprint: str, version: str | None = None) -> None:
        """Record code that ran in this run (a transform: ``name@fingerprint``)."""
        if not name or not fingerprint:
            raise LineageError("run.code() needs a name and a fingerprint")
        entry = {"name": str(name), "fingerprint": str(fingerprint), "version": version}
        if entry not in self._code:
            self._code.append(entry)

    def parameters(self, params: Mapping[str, Any]) -> None:
        """Record run parameters (merged with earlier ones): split ratios, seed, ..."""
        self._params.update(_jsonable(dict(params)))

    # -- helpers ---------------------------------------------------------------------------

    def _dataset(
        self,
        data: Any,
        name: str | None,
        rows: int | None,
        fields: Sequence[tuple[str, str]] | None,
        schema_ref: str | None,
        validation: Mapping[str, Any] | None,
        content_hash: str | None,
    ) -> DatasetRecord:
        if schema_ref is None and validation is not None and validation.get("schema"):
            schema_ref = str(validation["schema"])
        if isinstance(data, str | os.PathLike):
            return self._file_dataset(
                data, name, rows, fields, schema_ref, validation, content_hash
            )
        if isinstance(data, list | tuple) and all(isinstance(p, str | os.PathLike) for p in data):
            if not data:
                raise LineageError("an empty list of paths is not a dataset")
            if len(data) == 1:
                return self._file_dataset(
                    data[0], name, rows, fields, schema_ref, validation, content_hash
                )
            members = [(os.fspath(p), None, None) for p in data]
            return self._files_dataset(members, name, rows, fields, schema_ref, validation)
        return self._frame_dataset(data, name, rows, fields, schema_ref, validation, content_hash)

    def _file_dataset(
        self,
        path: PathLike,
        name: str | None,
        rows: int | None,
        fields: Sequence[tuple[str, str]] | None,
        schema_ref: str | None,
        validation: Mapping[str, Any] | None,
        content_hash: str | None,
    ) -> DatasetRecord:
        p = self._abs(path)
        size, digest = _stat_and_hash(p, content_hash)
        return DatasetRecord(
            name=name or self.workspace.relpath(p),
            namespace=self._ns(),
            content_hash=digest,
            storage="file",
            rows=rows,
            bytes=size,
            fields=_fields(fields),
            schema_ref=schema_ref,
            validation=validation,
        )

    def _files_dataset(
        self,
        members: Sequence[tuple[str, str | None, int | None]],
        name: str | None,
        rows: int | None,
        fields: Sequence[tuple[str, str]] | None,
        schema_ref: str | None,
        validation: Mapping[str, Any] | None,
    ) -> DatasetRecord:
        from datalife.storage import dataset_version_id

        files: list[dict[str, Any]] = []
        total = 0
        for path, digest, member_rows in members:
            p = self._abs(path)
            size, h = _stat_and_hash(p, digest)
            total += size
            entry: dict[str, Any] = {
                "path": self.workspace.relpath(p),
                "contentHash": h,
                "bytes": size,
            }
            if member_rows is not None:
                entry["rows"] = int(member_rows)
            files.append(entry)
        files.sort(key=lambda f: f["path"])
        if name is None:
            found = self.workspace.datasets_for(self._abs(members[0][0]))
            name = found[0] if found else "+".join(f["path"] for f in files)
        return DatasetRecord(
            name=name,
            namespace=self._ns(),
            content_hash=dataset_version_id(f["contentHash"] for f in files),
            storage="files",
            rows=rows,
            bytes=total,
            fields=_fields(fields),
            schema_ref=schema_ref,
            validation=validation,
            files=files,
        )

    def _frame_dataset(
        self,
        frame: Any,
        name: str | None,
        rows: int | None,
        fields: Sequence[tuple[str, str]] | None,
        schema_ref: str | None,
        validation: Mapping[str, Any] | None,
        content_hash: str | None,
    ) -> DatasetRecord:
        if type(frame).__name__ == "LazyFrame":
            raise LineageError(
                "cannot record a polars LazyFrame: its content is not known until collected",
                hint="record the files it scans (run.input(paths)), or the collected DataFrame.",
            )
        if not hasattr(frame, "columns"):
            raise LineageError(
                f"cannot record {type(frame).__name__} as a dataset",
                hint="pass a path, a list of paths, or a pandas/polars DataFrame.",
            )
        if type(frame).__module__.startswith("pyspark"):
            # a Spark DataFrame: its version is computed by Spark (no row comes here)
            if content_hash is None:
                from datalife.engines.spark.engine import frame_version

                content_hash = frame_version(frame).split(":", 1)[1]
            if fields is None:
                fields = [(str(n), str(t)) for n, t in frame.dtypes]
            if rows is None:
                rows = int(frame.count())
        if content_hash is None:
            content_hash = _frame_hash(frame)
        if fields is None:
            fields = _frame_fields(frame)
        if rows is None:
            rows = len(frame)
        return DatasetRecord(
            name=name or "frame",
            namespace=self._ns(),
            content_hash=content_hash,
            storage="memory",
            rows=rows,
            fields=_fields(fields),
            schema_ref=schema_ref,
            validation=validation,
        )

    def _column_lineage(self, mapping: ColumnLineage) -> dict[str, list[tuple[str, str, str]]]:
        out: dict[str, list[tuple[str, str, str]]] = {}
        for out_col, sources in mapping.items():
            if isinstance(sources, str):
                sources = [sources]
            resolved: list[tuple[str, str, str]] = []
            for src in sources:
                if isinstance(src, tuple | list):
                    ds_name, col = str(src[0]), str(src[1])
                    resolved.append((self._ns(), self._input_name(ds_name), col))
                    continue
                col = str(src)
                having = [
                    d
                    for d in self._inputs
                    if d.fields is not None and col in {f for f, _ in d.fields}
                ]
                if not having:
                    having = self._inputs if len(self._inputs) == 1 else []
                if not having:
                    raise LineageError(
                        f"column lineage of {out_col!r}: cannot tell which input {col!r} comes from",
                        hint="record the inputs first (with fields), or name the input: "
                        f'{{"{out_col}": [("input name", "{col}")]}}.',
                    )
                resolved.extend((d.namespace, d.name, col) for d in having)
            out[str(out_col)] = resolved
        return out

    def _input_name(self, ds_name: str) -> str:
        names = {d.name for d in self._inputs}
        if ds_name in names:
            return ds_name
        rel = self.workspace.relpath(ds_name)
        return rel if rel in names else ds_name

    def _abs(self, path: PathLike) -> Path:
        p = Path(path)
        return p if p.is_absolute() else Path.cwd() / p

    def _ns(self) -> str:
        if not self._namespace:
            self._namespace = namespace_for(self.workspace.root.name)
        return self._namespace


def _stat_and_hash(path: Path, digest: str | None) -> tuple[int, str]:
    from datalife.storage import hash_file

    try:
        size = path.stat().st_size
        return size, digest or hash_file(path)
    except FileNotFoundError as exc:
        raise InputError(
            f"cannot record {path} in lineage: no such file",
            path=path,
            hint="record an output after writing it, and an input that exists.",
        ) from exc
    except IsADirectoryError as exc:
        raise InputError(
            f"cannot record {path} in lineage: it is a directory",
            path=path,
            hint="record the data files in it (a list of paths is one dataset).",
        ) from exc
    except OSError as exc:
        raise InputError(
            f"cannot record {path} in lineage: {exc.strerror}",
            path=path,
            hint="fix the file's permissions.",
        ) from exc


def _fields(fields: Sequence[tuple[str, str]] | None) -> list[tuple[str, str]] | None:
    if fields is None:
        return None
    return [(str(n), str(t)) for n, t in fields]


def _frame_fields(frame: Any) -> list[tuple[str, str]]:
    schema = getattr(frame, "schema", None)
    if schema is not None and hasattr(schema, "items") and not hasattr(frame, "dtypes"):
        return [(str(c), str(t)) for c, t in schema.items()]
    dtypes = getattr(frame, "dtypes", None)
    if dtypes is not None and hasattr(dtypes, "items"):  # pandas
        return [(str(c), str(t)) for c, t in dtypes.items()]
    if dtypes is not None:  # polars: a list aligned with columns
        return [(str(c), str(t)) for c, t in zip(frame.columns, dtypes, strict=False)]
    return [(str(c), "unknown") for c in frame.columns]


def _frame_hash(frame: Any) -> str:
    from datalife.storage import frame_hash, table_hash

    if type(frame).__module__.startswith("polars"):
        return table_hash(frame.to_arrow())
    return frame_hash(frame)


def _node_id(record: DatasetRecord) -> str:
    from datalife.storage import short

    return f"dataset:{record.name}@{short(record.content_hash)}"
