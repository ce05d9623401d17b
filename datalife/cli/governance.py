"""Schema governance commands: ``schema diff|compat|evolve|bump`` and ``datalife check``."""

from __future__ import annotations

from typing import Any

import click

from datalife._env import single_threaded_blas
from datalife.cli._render import echo, emit_json, format_option
from datalife.cli.validate import EngineName

_MODES = [
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
]


def _load(arg: str, ws: Any) -> Any:
    """A schema version from a reference (``penguins@2``) or a schema file path."""

    from datalife.schemas.io import load_schema_file
    from datalife.schemas.registry import SchemaRegistry

    if arg.endswith((".yaml", ".yml")):
        return load_schema_file(arg)  # a clear "no such schema file" when it is missing
    reg = SchemaRegistry.for_workspace(ws)
    return reg.load(arg)


def _workspace() -> Any:
    from datalife.config import Workspace

    return Workspace.find()


@click.command("diff")
@click.argument("old")
@click.argument("new")
@format_option()
def diff_cmd(old: str, new: str, fmt: str) -> int:
    """Show every change from schema OLD to NEW (NAME@VERSION, or a schema file path).

    Changes are typed (column added / removed / probably renamed, dtype widened or narrowed,
    nullable, required, unique, checks added / removed / tightened / loosened, strict,
    ordered), in the new version's column order. Use `schema compat` for the verdict.
    """
    from datalife.schemas.diff import diff

    ws = _workspace()
    d = diff(_load(old, ws), _load(new, ws), workspace=ws)
    if fmt == "json":
        emit_json(d.to_dict())
    else:
        echo(d.to_text())
    return 0


@click.command("compat")
@click.argument("old")
@click.argument("new")
@click.option(
    "--mode",
    type=click.Choice(_MODES, case_sensitive=False),
    default=None,
    help="Mode that decides the exit code (default: NEW's policy, else the workspace's).",
)
@click.option("--all-witnesses", is_flag=True, help="Print witnesses for every mode, in full.")
@format_option()
def compat_cmd(old: str, new: str, mode: str | None, all_witnesses: bool, fmt: str) -> int:
    """Is schema NEW compatible with OLD? The verdict per mode, what breaks it, and a witness.

    A witness is a concrete dataset valid under one version and invalid under the other,
    checked by running datalife.validate on it. The transitive modes compare NEW with every
    version of the same schema up to OLD. Exit 0 if the mode (default: NEW's policy) holds,
    1 if it does not or cannot be decided (unknown counts as breaking).
    """
    from datalife.governance import policy_of
    from datalife.schemas.compat import compatibility
    from datalife.schemas.registry import SchemaRegistry

    ws = _workspace()
    a, b = _load(old, ws), _load(new, ws)
    history: list[Any] = []
    if a.name == b.name:
        reg = SchemaRegistry.for_workspace(ws)
        history = [reg.load(f"{a.name}@{v}") for v in reg.versions(a.name) if v < a.version]
    policy = mode.upper() if mode else policy_of(b, ws)
    report = compatibility(a, b, history=history, policy=policy)
    if fmt == "json":
        emit_json(report.to_dict())
    else:
        echo(report.to_text(all_witnesses=all_witnesses))
    return 0 if report.ok else 1


@click.command("evolve")
@click.argument("name")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--from",
    "sources",
    multiple=True,
    type=click.Path(),
    help="New data (CSV, Parquet, JSON lines); repeat, or list more paths after NAME.",
)
@click.option("--write", is_flag=True, help="Write schemas/NAME/<n+1>.yaml.")
@click.option("--no-record", is_flag=True, help="Do not append the write to the lineage log.")
@format_option()
def evolve_cmd(
    name: str,
    paths: tuple[str, ...],
    sources: tuple[str, ...],
    write: bool,
    no_record: bool,
    fmt: str,
) -> int:
    """Propose the next version of schema NAME that accepts new data, with the smallest loosening.

    New categories are added, ranges widened to the observed values, columns made nullable or
    optional, new columns added as optional ones. Shows the diff and the compatibility
    verdict; --write adds the new version file. Exit 0 when the proposal accepts the data (or
    it already was valid), 1 when some failure cannot be loosened.
    """
    from datalife.errors import DatalifeError
    from datalife.schemas.evolve import evolve

    files = [*sources, *paths]
    if not files:
        raise DatalifeError(
            "no data given",
            hint=f"pass the new data: `datalife schema evolve {name} --from PATH...`",
        )
    ws = _workspace()
    evo = evolve(name, files, workspace=ws, write=write, record=not no_record)
    if fmt == "json":
        emit_json(evo.to_dict())
    else:
        echo(evo.to_text())
        if evo.needed and evo.resolved:
            if evo.written:
                echo(f"wrote {ws.relpath(evo.written)}")
            else:
                echo(f"run again with --write to write schemas/{evo.name}/{evo.version}.yaml")
    return 0 if (not evo.needed or evo.resolved) else 1


@click.command("bump")
@click.argument("name")
@format_option()
def bump_cmd(name: str, fmt: str) -> int:
    """Copy the latest version of schema NAME to a new version file, to edit by hand.

    Released versions never change: edit the new file, then commit it; the schema-check hook
    checks it against the compatibility policy.
    """
    from datalife.schemas.evolve import bump

    ws = _workspace()
    sv = bump(name, workspace=ws)
    written = ws.relpath(sv.path) if sv.path else None
    if fmt == "json":
        emit_json({"schema": sv.ref, "from": f"{sv.name}@{sv.version - 1}", "written": written})
    else:
        echo(f"wrote {written}: a copy of {sv.name}@{sv.version - 1} to edit as {sv.ref}")
    return 0


def _check_base(root: Any, base: str) -> None:
    """An explicit --base must be a commit git can find (outside git, only the default)."""
    from datalife.errors import ConfigError
    from datalife.governance import find_git_root

    if base == "HEAD":
        return
    if base.startswith("-") or not base.strip():
        raise ConfigError(
            f"--base {base!r} is not a git revision", hint="pass a commit, e.g. --base HEAD."
        )
    if find_git_root(root) is None:
        raise ConfigError(
            f"--base {base!r}: {root} is not in a git repository",
            hint="run `datalife check` inside the repository, or leave out --base.",
        )


@click.command("check")
@click.option(
    "--base",
    default="HEAD",
    show_default=True,
    help="Git commit whose schema files are released (in CI: the target branch, e.g. origin/main).",
)
@click.option("--no-data", is_flag=True, help="Check schema files only.")
@click.option("--no-schemas", is_flag=True, help="Validate data files only.")
@click.option(
    "--engine",
    type=EngineName(),
    default="auto",
    show_default=True,
    help="The engine that validates the data files (duckdb, pandas, spark, ...).",
)
@format_option("github")
def check_cmd(base: str, no_data: bool, no_schemas: bool, engine: str, fmt: str) -> int:
    """Check the whole workspace, for CI: every schema file and every dataset.

    Schema files must parse, match their path, have no version gaps; released versions
    (held by the base commit, or recorded in the lineage log) must be unchanged and present;
    versions not released yet must meet their compatibility policy. Every dataset's files are
    validated against the latest version of its schema. Nothing is written.

    --format github prints `::error file=...` lines that GitHub Actions turns into
    annotations. Exit 0 ok, 1 a check fails, 2 input that cannot be checked.
    """
    import sys

    from datalife.governance import check_workspace

    sys.dont_write_bytecode = True  # a check never writes into the repository
    single_threaded_blas()
    ws = _workspace()
    _check_base(ws.root, base)
    report = check_workspace(ws, base=base, data=not no_data, schemas=not no_schemas, engine=engine)
    if not no_schemas:  # released versions recorded by the registry are unchanged too
        from datalife.schemas.immutability import release_problems

        seen = {p.path for p in report.problems if p.kind == "released_changed" and p.path}
        report.problems.extend(release_problems(ws.schemas_dir, ws.root, seen))
    if fmt == "json":
        emit_json(report.to_dict())
    elif fmt == "github":
        echo(report.to_github())
    else:
        echo(report.to_text())
    return report.exit_code
