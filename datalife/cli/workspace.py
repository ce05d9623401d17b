"""``datalife init`` and ``datalife dataset ...``."""

from __future__ import annotations

from pathlib import Path

import click

from datalife.cli._render import echo, emit_json, format_option, table


@click.command("init")
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False))
def init_cmd(directory: str) -> int:
    """Create a workspace in DIRECTORY (default: here): datalife.toml, schemas/, lineage/."""
    from datalife.config import init_workspace

    path = init_workspace(directory)
    echo(f"created {path}")
    echo("next: `datalife dataset add NAME GLOB...` then `datalife schema infer --name NAME`")
    return 0


@click.group("dataset")
def dataset_group() -> None:
    """Declare and list the workspace's datasets."""


@dataset_group.command("add")
@click.argument("name")
@click.argument("globs", nargs=-1, required=True)
@click.option("--schema", "schema", default=None, help="Schema name (default: the dataset's name).")
def dataset_add(name: str, globs: tuple[str, ...], schema: str | None) -> int:
    """Add dataset NAME made of the files matching GLOBS (relative to the workspace root)."""
    from datalife.config import Workspace

    ws = Workspace.find()
    ws.add_dataset(name, globs, schema)
    files = ws.dataset_files(name)
    echo(f"added dataset {name!r} to {ws.config_path} ({len(files)} files match now)")
    if not files:
        echo("warning: no file matches these globs yet", err=True)
    return 0


@dataset_group.command("list")
@format_option()
def dataset_list(fmt: str) -> int:
    """List datasets, their globs, schema and matching files."""
    from datalife.config import Workspace

    ws = Workspace.find()
    rows = []
    for name, ds in ws.config.datasets.items():
        files = [ws.relpath(p) for p in ws.dataset_files(name)]
        rows.append(
            {"name": name, "files": ds.files, "schema": ws.schema_for(name), "matching": files}
        )
    if fmt == "json":
        emit_json({"workspace": str(ws.root), "datasets": rows})
    else:
        table(
            ["dataset", "globs", "schema", "files"],
            [[r["name"], " ".join(r["files"]), r["schema"], len(r["matching"])] for r in rows],
            title=f"datasets in {Path(ws.config_path).name}",
        )
    return 0
