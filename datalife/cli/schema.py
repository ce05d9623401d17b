"""``datalife schema ...``: list, show and infer versioned schemas."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import click

from datalife.cli import LazyGroup
from datalife.cli._render import echo, emit_json, format_option, table

# subcommands defined in other modules: name -> "module:attribute"
SCHEMA_COMMANDS: dict[str, str] = {
    "diff": "datalife.cli.governance:diff_cmd",
    "compat": "datalife.cli.governance:compat_cmd",
    "evolve": "datalife.cli.governance:evolve_cmd",
    "bump": "datalife.cli.governance:bump_cmd",
}


@click.group("schema", cls=LazyGroup, lazy=SCHEMA_COMMANDS)
def schema_group() -> None:
    """Versioned schemas: list, show, infer (and diff, compat, evolve, bump)."""


@schema_group.command("list")
@format_option()
def schema_list(fmt: str) -> int:
    """List schema names and their versions."""
    from datalife.schemas.registry import SchemaRegistry

    reg = SchemaRegistry.for_workspace()
    listing = reg.list()
    if fmt == "json":
        emit_json({"schemas": [{"name": n, "versions": v} for n, v in listing.items()]})
    elif not listing:
        echo("no schemas yet: create one with `datalife schema infer PATH... --name NAME`")
    else:
        table(
            ["schema", "versions", "latest"],
            [[n, ", ".join(map(str, v)), f"{n}@{v[-1]}"] for n, v in listing.items()],
        )
    return 0


@schema_group.command("show")
@click.argument("ref")
@format_option()
def schema_show(ref: str, fmt: str) -> int:
    """Print schema REF (NAME, NAME@VERSION or NAME@latest)."""
    from pathlib import Path

    from datalife.schemas.registry import SchemaRegistry

    reg = SchemaRegistry.for_workspace()
    sv = reg.load(ref)
    if fmt == "json":
        emit_json(
            {
                "schema": sv.ref,
                "path": sv.path,
                "meta": sv.meta.model_dump(mode="json"),
                "body": sv.body,
            }
        )
    else:
        echo(Path(sv.path or "").read_text(encoding="utf-8").rstrip())
    return 0


@schema_group.command("infer")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--name", "name", required=True, help="Name of the schema to create.")
@click.option("--dry-run", is_flag=True, help="Print the schema instead of writing it.")
@click.option(
    "--max-categories",
    type=click.IntRange(0),
    default=None,
    help="A string column with at most this many distinct values gets a category set. "
    "Default: [infer] max_categories in datalife.toml, else 20.",
)
@click.option(
    "--ranges",
    type=click.Choice(["strict", "tolerant", "off"]),
    default=None,
    help="Range policy: tolerant (hard bounds only where the data supports them, the observed "
    "range as a warning), strict (the observed range fails) or off. Default: [infer] ranges "
    "in datalife.toml, else tolerant.",
)
@click.option("--label", "labels", multiple=True, help="Declare COLUMN the label (repeatable).")
@click.option(
    "--prediction", "predictions", multiple=True, help="Declare COLUMN a prediction (repeatable)."
)
@click.option(
    "--role",
    "role_args",
    multiple=True,
    metavar="COLUMN=ROLE",
    help="Declare a column's role (identifier, timestamp, category, measurement, free_text, "
    "label, prediction).",
)
@click.option("--no-key-search", is_flag=True, help="Do not look for keys of 2-3 columns.")
@click.option("--description", default="", help="Description stored in the schema file.")
@click.option("--no-record", is_flag=True, help="Do not append this run to the lineage log.")
@format_option()
def schema_infer(
    paths: tuple[str, ...],
    name: str,
    dry_run: bool,
    max_categories: int | None,
    ranges: str | None,
    labels: tuple[str, ...],
    predictions: tuple[str, ...],
    role_args: tuple[str, ...],
    no_key_search: bool,
    description: str,
    no_record: bool,
    fmt: str,
) -> int:
    """Infer version 1 of schema NAME from data files (CSV, Parquet, JSON lines).

    Every column's dtype, role and range decision is explained.
    """
    from datalife.config import Workspace
    from datalife.errors import DatalifeError
    from datalife.schemas.infer import infer_schema
    from datalife.schemas.io import dump_schema, serialize_body
    from datalife.schemas.model import parse_ref
    from datalife.schemas.registry import SchemaRegistry

    parse_ref(name)
    found = Workspace.locate()
    ws = Workspace.load(found) if found else None
    if not dry_run and ws is None:
        raise DatalifeError(
            "no datalife workspace here to write the schema into",
            hint="run `datalife init` first, or use --dry-run to print the schema.",
        )
    reg = SchemaRegistry(ws) if ws else None
    if reg is not None and reg.versions(name) and not dry_run:
        raise DatalifeError(
            f"schema {name!r} already exists (versions {reg.versions(name)})",
            hint=f"propose the next version with `datalife schema evolve {name} --from PATH...`, "
            "or pick another name.",
        )
    roles = _declared_roles(labels, predictions, role_args)
    configured = ws.config.infer if ws is not None else None
    policy = ranges or (configured.ranges if configured else "tolerant")
    if max_categories is None:
        max_categories = configured.max_categories if configured else 20
    with _progress_reporter(fmt) as progress:
        inference = infer_schema(
            list(paths),
            name,
            max_categories=max_categories,
            description=description,
            ranges=policy,
            roles=roles,
            key_search=not no_key_search,
            progress=progress,
        )
    uncovered = [p for p in paths if ws is not None and not ws.datasets_for(p)]
    if dry_run or reg is None:
        meta = inference.meta(description=description)
        text = dump_schema(meta, serialize_body(inference.schema))
        if fmt == "json":
            emit_json({"schema": f"{name}@1", "written": None, "text": text, **inference.to_dict()})
        else:
            echo(text.rstrip())
            echo(inference.explain(), err=True)
        return 0
    from datalife import lineage

    extra = inference.meta().model_dump(include={"min_rows", "columns"})
    # the schema version is derived from these files: record it like any other artifact
    with lineage.run("schema-infer", workspace=ws, record=not no_record) as run:
        run.input(list(paths))
        sv = reg.save(inference.schema, name, version=1, description=description, extra=extra)
        run.output(sv.path)
    if fmt == "json":
        emit_json({"schema": sv.ref, "written": sv.path, **inference.to_dict()})
    else:
        echo(inference.explain())
        echo(f"wrote {ws.relpath(sv.path) if ws and sv.path else sv.path}")
    if uncovered and ws is not None:
        echo(
            f"note: no dataset covers {', '.join(uncovered)}; add one so `datalife validate` finds "
            f"this schema: `datalife dataset add {name} {' '.join(uncovered)} --schema {name}`",
            err=True,
        )
    return 0


def _declared_roles(
    labels: tuple[str, ...], predictions: tuple[str, ...], role_args: tuple[str, ...]
) -> dict[str, str]:
    from datalife.errors import DatalifeError

    roles: dict[str, str] = {}
    for arg in role_args:
        column, sep, role = arg.partition("=")
        if not sep or not column or not role:
            raise DatalifeError(
                f"--role {arg!r}: expected COLUMN=ROLE",
                hint="for example --role user_id=identifier",
            )
        roles[column] = role
    roles.update(dict.fromkeys(labels, "label"))
    roles.update(dict.fromkeys(predictions, "prediction"))
    return roles


@contextlib.contextmanager
def _progress_reporter(fmt: str) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar on a terminal for long inferences (None when stderr is not one)."""
    from datalife.cli._progress import phased_progress

    labels = {
        "scan": "scanning columns",
        "types": "reading types",
        "values": "counting values",
        "keys": "looking for keys",
    }
    with phased_progress(labels, fmt=fmt) as report:
        yield report
