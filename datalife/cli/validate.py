"""``datalife validate PATH... [--schema NAME[@V]]``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from datalife._env import no_pydantic_plugins, single_threaded_blas
from datalife.cli._render import echo, emit_json, format_option, table


class EngineName(click.ParamType[str]):
    """An engine name, checked against the registry (built-in names import nothing)."""

    name = "engine"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        from datalife.engines.base import check_engine_name
        from datalife.errors import UnknownEngine

        try:
            return check_engine_name(str(value))
        except UnknownEngine as exc:
            self.fail(exc.message + (f"; {exc.hint}" if exc.hint else ""), param, ctx)


if TYPE_CHECKING:
    from datalife.config import Workspace


@click.command("validate")
@click.argument("paths", nargs=-1, required=False, type=click.Path())
@click.option(
    "--schema",
    "schema",
    default=None,
    help="Schema NAME[@VERSION] (default: the schema of the dataset whose globs match the paths).",
)
@click.option(
    "--engine",
    type=EngineName(),
    default="auto",
    show_default=True,
    help="duckdb: out of core; pandas: read into memory and use pandera; or an installed engine.",
)
@click.option(
    "--delimiter",
    default=None,
    metavar="CHAR",
    help="The CSV delimiter, where it cannot be told from the file.",
)
@click.option(
    "--table",
    default=None,
    metavar="NAME",
    help="Validate this table (or view) of Spark's catalog instead of files (Spark engine).",
)
@click.option("--no-record", is_flag=True, help="Do not append this run to the lineage log.")
@format_option()
def validate_cmd(
    paths: tuple[str, ...],
    schema: str | None,
    engine: str,
    delimiter: str | None,
    table: str | None,
    no_record: bool,
    fmt: str,
) -> int:
    """Validate data files that form one dataset against a schema version.

    PATHS are local files, directories or globs, or locations Spark reads (hdfs://...,
    s3a://..., abfss://..., file://...: the Spark engine validates them where they are).
    With --table, a table of Spark's catalog instead.

    Exit 0 when valid, 1 when the data fails its checks, 2 for unreadable input or config.
    """
    if table is not None:
        return _validate_table(table, paths, schema, engine, fmt)
    if not paths:
        raise click.UsageError("give the files to validate (PATHS), or --table NAME")
    from datalife.storage import prefetch_hashes

    prefetch_hashes(paths)  # the content hashes are computed while the modules load
    single_threaded_blas()
    no_pydantic_plugins()
    from datalife.config import Workspace

    found = Workspace.locate()
    ws = Workspace.load(found) if found else None
    if schema is None and not any("://" in p for p in paths):
        _schema_from_datasets(ws, paths)  # fails fast, before heavy imports
    from datalife.errors import InputError
    from datalife.validation import validate_files

    record = ws is not None and not no_record
    from datalife.cli._progress import progress, size_of

    try:
        with progress(f"validating {size_of(paths)}", fmt=fmt):
            report = validate_files(
                list(paths), schema, workspace=ws, engine=engine, record=record, delimiter=delimiter
            )
    except InputError as exc:
        if record and ws is not None:
            record_unreadable(ws, "validate", paths, exc)
        raise
    if record and ws is not None:
        _release(ws, report.schema)
    if fmt == "json":
        emit_json(report.to_dict())
    else:
        render_report(report)
    return 0 if report.valid else 1


def _validate_table(
    table: str, paths: tuple[str, ...], schema: str | None, engine: str, fmt: str
) -> int:
    from datalife.config import Workspace
    from datalife.errors import ConfigError
    from datalife.validation import validate_table

    if paths:
        raise click.UsageError("give either PATHS or --table, not both")
    if schema is None:
        raise ConfigError(
            f"table {table!r}: no --schema given", hint="pass `--schema NAME[@VERSION]`."
        )
    found = Workspace.locate()
    ws = Workspace.load(found) if found else None
    report = validate_table(table, schema, workspace=ws, engine=engine)
    if fmt == "json":
        emit_json(report.to_dict())
    else:
        render_report(report)
    return 0 if report.valid else 1


def record_unreadable(ws: Workspace, job: str, paths: Sequence[Any], exc: Exception) -> None:
    """An input that cannot be read still gets its run in the lineage log: a FAIL event of
    ``job`` with the error, naming (and hashing) each of the files that exist."""
    import contextlib
    from pathlib import Path

    from datalife import lineage
    from datalife.errors import DatalifeError

    with contextlib.suppress(DatalifeError), lineage.run(job, workspace=ws) as run:
        for p in paths:
            if Path(p).is_file():
                run.input(p)
        raise exc


def _release(ws: object, ref: str) -> None:
    """A schema version used by a recorded validation is released: record its content hash."""
    from datalife.config import Workspace
    from datalife.schemas.registry import SchemaRegistry

    assert isinstance(ws, Workspace)
    reg = SchemaRegistry(ws)
    if "@" in ref and ref.split("@", 1)[0] in reg.names():
        reg.release(ref)


def _schema_from_datasets(ws: object, paths: tuple[str, ...]) -> None:
    from datalife.config import Workspace
    from datalife.errors import ConfigError

    if not isinstance(ws, Workspace):
        raise ConfigError(
            "no --schema given and no datalife workspace here to find one",
            hint="pass `--schema NAME[@VERSION]`, or run inside a workspace (`datalife init`).",
        )
    for p in paths:
        if not ws.datasets_for(p):
            from pathlib import Path

            if Path(p).is_dir():
                continue  # a directory: the files inside are matched after expansion
            raise ConfigError(
                f"{p} belongs to no dataset in {ws.config_path.name}",
                path=p,
                hint=f"pass --schema NAME, or add a dataset: `datalife dataset add NAME {p}`.",
            )


def render_report(report: object) -> None:
    from datalife.engines.report import ValidationReport, _plain

    assert isinstance(report, ValidationReport)
    status = "valid" if report.valid else "INVALID"
    echo(f"{status}: {report.summary()}")
    if report.sources:
        echo(f"dataset version {report.dataset_version[:12]} ({report.engine} engine)")
    if not report.valid:
        table(
            ["column", "check", "failing", "examples", "what it means"],
            [
                [
                    f.column or "",
                    f.detail,
                    f.failure_count,
                    "; ".join(f"{e.where()}: {_plain(e.value)!r}" for e in f.examples[:3]),
                    f.message + (f" [{f.file}]" if f.file else ""),
                ]
                for f in report.failures
            ],
        )
    for note in report.notes:
        echo(f"note: {note}")
    hint = report.hint()
    if hint:
        echo(f"Fix: {hint}")
