"""pre-commit entry points: ``datalife-hook validate FILES...`` and ``datalife-hook schema-check FILES...``.

``validate`` checks the staged data files that match a dataset's globs in the workspace
config against that dataset's latest schema version; other files are ignored. ``schema-check``
checks the staged schema files (layout, parsing, name/version, gaps, released versions
unchanged, new versions meeting their compatibility policy) and that no released version was
deleted.

Both decide from the file names first, with the standard library only (``tomllib`` for the
config): a run whose files match nothing returns before importing pandas, pandera, pyarrow,
duckdb or pydantic; its arguments are parsed by click, as the CLI's are (about 20 ms of
start-up). Neither writes anything into the repository (no lineage, no cache, no
``__pycache__``).

Options: ``-C DIR`` / ``--workspace DIR`` picks the workspace (default:
the one around the current directory); ``--base REF`` (schema-check) is the commit whose
schema files are released (default ``HEAD``).

Exit codes: 0 ok, 1 a check fails, 2 bad input (not in a git repository or a workspace, a file
two datasets claim, a schema file that cannot be checked).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from datalife.globs import PYPROJECT, find_config, glob_to_regex

__all__ = ["main"]


class HookError(Exception):
    """Bad input found on the fast path (exit 2)."""


# -- the fast path: standard library only --------------------------------------------------------


def _git_root(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def _dataset_globs(config: Path) -> dict[str, list[str]] | None:
    """``{dataset: globs}`` from the config, or None if it is not what we expect (let the full
    loader report it)."""
    import tomllib

    try:
        with config.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return None
    if config.name == PYPROJECT:
        data = data.get("tool", {}).get("datalife", {})
    datasets = data.get("datasets", {})
    if not isinstance(datasets, dict):
        return None
    out: dict[str, list[str]] = {}
    for name, spec in datasets.items():
        files = spec.get("files") if isinstance(spec, dict) else None
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            return None
        out[str(name)] = files
    return out


def _rel(path: str, root: Path) -> str | None:
    absolute = os.path.normpath(Path.cwd() / path)
    rel = os.path.relpath(absolute, root)
    if rel.startswith(".."):
        return None
    return rel.replace(os.sep, "/")


def _locate(workspace: str | None) -> tuple[Path, Path]:
    """(git root, config file) or a HookError."""
    cwd = Path.cwd()
    start = Path(workspace).resolve() if workspace else cwd
    if workspace and not start.is_dir():
        raise HookError(f"{workspace} is not a directory")
    repo = _git_root(start)
    if repo is None:
        raise HookError(
            f"not inside a git repository ({start}): the datalife hooks run from pre-commit in a "
            "git repository\nFix: run `git init`, or use `datalife validate` / `datalife check` "
            "outside git."
        )
    config = find_config(start)
    if config is None:
        raise HookError(
            f"no datalife workspace at {start} or any parent directory (no datalife.toml or "
            "[tool.datalife] in pyproject.toml)\nFix: run `datalife init` at the repository "
            "root, or pass `-C DIR` in the hook's `args` to point at the workspace."
        )
    return repo, config


def _validate(files: Sequence[str], workspace: str | None) -> int:
    _repo, config = _locate(workspace)
    root = config.parent
    globs = _dataset_globs(config)
    if globs is None:
        return _validate_heavy(config, files)  # the full loader explains what is wrong
    patterns = [(name, glob_to_regex(g)) for name, gs in globs.items() for g in gs]
    matched: list[str] = []
    for f in files:
        rel = _rel(f, root)
        if rel is None or rel.startswith(("schemas/", "lineage/")):
            continue
        names = {name for name, rx in patterns if rx.match(rel)}
        if len(names) > 1:
            raise HookError(
                f"{rel}: matched by the globs of several datasets: {', '.join(sorted(names))}\n"
                f"Fix: make the datasets' `files` globs in {config.name} disjoint: a file "
                "belongs to one dataset."
            )
        if names:
            matched.append(f)
    if not matched:
        return 0
    return _validate_heavy(config, matched)


def _check_base(repo: Path, base: str) -> None:
    """A --base that git cannot find is an error, not "nothing released" (a typo would pass)."""
    import subprocess

    if base == "HEAD":
        return  # the default: a repository without commits yet has nothing released
    if base.startswith("-") or not base.strip():
        raise HookError(
            f"--base {base!r} is not a git revision\nFix: pass a commit, e.g. --base HEAD"
        )
    proc = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise HookError(
            f"git cannot find the base commit {base!r} in {repo}\nFix: fetch it first (in CI: "
            "`actions/checkout` with `fetch-depth: 0`), or fix --base in the hook's `args`."
        )


def _schema_check(files: Sequence[str], workspace: str | None, base: str) -> int:
    repo, config = _locate(workspace)
    _check_base(repo, base)
    root = config.parent
    schemas = root / "schemas"
    staged = [f for f in files if (_rel(f, root) or "").startswith("schemas/")]
    if not staged:
        from datalife.governance import released_schema_blobs

        released = released_schema_blobs(repo, base, schemas)
        if all((repo / rel).exists() for rel in released):
            return 0
    return _schema_check_heavy(config, staged, base)


# -- the heavy path ------------------------------------------------------------------------------


def _validate_heavy(config: Path, files: Sequence[str]) -> int:
    from datalife._env import no_pydantic_plugins, single_threaded_blas

    no_pydantic_plugins()
    single_threaded_blas()
    from datalife.config import Workspace
    from datalife.governance import CheckReport, check_data_files, datasets_of

    ws = Workspace.load(config)
    groups, problems = datasets_of(ws, files)
    report = CheckReport(problems=problems)
    if not problems:
        report.extend(check_data_files(ws, groups))
    _print(report)
    return report.exit_code


def _schema_check_heavy(config: Path, files: Sequence[str], base: str) -> int:
    from datalife.config import Workspace
    from datalife.governance import check_schema_files
    from datalife.schemas.immutability import release_problems

    ws = Workspace.load(config)
    report = check_schema_files(ws, files, base=base)
    seen = {p.path for p in report.problems if p.kind == "released_changed" and p.path}
    report.problems.extend(release_problems(ws.schemas_dir, ws.root, seen))
    _print(report)
    return report.exit_code


def _print(report: object) -> None:
    from datalife.governance import CheckReport

    assert isinstance(report, CheckReport)
    if report.problems or report.notes:
        print(report.to_text())


# -- entry point: click, as the CLI ------------------------------------------------------------


class _Hooks(click.Group):
    """The hook ids; an unknown one is a usage error naming it."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if self.get_command(ctx, name) is None and not name.startswith("-"):
            raise click.UsageError(f"unknown hook {name!r}", ctx)
        return super().resolve_command(ctx, args)


_WORKSPACE = click.option(
    "-C",
    "--workspace",
    metavar="DIR",
    help="the workspace (default: the one around the current directory)",
)
_FILES = click.argument("files", nargs=-1, type=click.Path())


@click.group(
    cls=_Hooks,
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    epilog="Exit codes: 0 ok, 1 a check fails, 2 bad input.",
)
def hooks() -> None:
    """pre-commit hooks of datalife (see .pre-commit-hooks.yaml)."""


@hooks.command("validate", short_help="validate staged data files against their dataset's schema")
@_WORKSPACE
@_FILES
def validate_hook(workspace: str | None, files: tuple[str, ...]) -> None:
    """validate staged data files against their dataset's latest schema version"""
    raise SystemExit(_validate(files, workspace))


@hooks.command("schema-check", short_help="check staged schema files (released ones unchanged)")
@_WORKSPACE
@click.option(
    "--base",
    default="HEAD",
    show_default=True,
    metavar="REF",
    help="the commit whose schema files are released",
)
@_FILES
def schema_check_hook(workspace: str | None, base: str, files: tuple[str, ...]) -> None:
    """check staged schema files: parse, name/version, released versions unchanged, new
    versions meet their compatibility policy"""
    raise SystemExit(_schema_check(files, workspace, base))


def main(argv: Sequence[str] | None = None) -> int:
    """Run a hook; return its exit code (and exit with it when called as a script)."""
    sys.dont_write_bytecode = True  # hooks never write into the repository, not even __pycache__
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        hooks.main(args=args, prog_name="datalife-hook", standalone_mode=False)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    except click.exceptions.Exit as exc:  # --help
        code = exc.exit_code
    except click.exceptions.NoArgsIsHelpError as exc:  # no hook named: the usage, exit 2
        exc.show()
        code = 2
    except click.ClickException as exc:
        exc.show()
        code = 2
    except HookError as exc:
        print(f"datalife-hook: error: {exc}", file=sys.stderr)
        code = 2
    except Exception as exc:  # noqa: BLE001 - a hook reports, it never shows a traceback
        code = _report_exception(exc)
    if argv is None:
        sys.exit(code)
    return code


def _report_exception(exc: Exception) -> int:
    from datalife.errors import DatalifeError

    if isinstance(exc, DatalifeError):
        print(f"datalife-hook: error: {exc}", file=sys.stderr)
        return exc.exit_code
    if os.environ.get("DATALIFE_DEBUG"):
        import traceback

        traceback.print_exception(exc)
    print(
        f"datalife-hook: internal error: {type(exc).__name__}: {exc}\n"
        "This is a bug in datalife. Set DATALIFE_DEBUG=1 for the traceback and report it.",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    main()
