"""Start-up guard: light CLI commands import none of the heavy data libraries.

Each command runs in a fresh ``python -X importtime -m datalife ...`` process; the module
names of its importtime report (exact names, not substrings) must contain none of pandas,
pandera, pyarrow, polars or duckdb. The speed itself is measured by ``benchmarks/startup.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from datalife.cli import cli
from datalife.config import init_workspace

pytestmark = pytest.mark.e2e

FORBIDDEN = frozenset({"pandas", "pandera", "pyarrow", "polars", "duckdb"})


def imported_modules(importtime_stderr: str) -> set[str]:
    """Every module name in ``-X importtime`` output (``import time: self | cum | name``)."""
    names: set[str] = set()
    for line in importtime_stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line.split("|")
        if len(parts) != 3:
            continue
        name = parts[2].strip()
        if name and name != "imported package":  # the header line
            names.add(name)
    return names


def heavy(modules: set[str]) -> set[str]:
    """The modules that belong to a forbidden package (``pandas`` or ``pandas.x``, not
    ``pandas_stubs``)."""
    return {m for m in modules if m.split(".")[0] in FORBIDDEN}


def run_importtime(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "datalife", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _help_paths() -> list[tuple[str, ...]]:
    """Every command path of the CLI, groups included (the root is ``()``)."""

    def walk(cmd: click.Command, path: tuple[str, ...], ctx: click.Context) -> None:
        paths.append(path)
        if not isinstance(cmd, click.Group):
            return
        for name in cmd.list_commands(ctx):
            try:
                sub = cmd.get_command(ctx, name)
            except Exception:  # noqa: BLE001 - a broken command still gets its --help run
                sub = None
            if sub is None:
                paths.append((*path, name))
                continue
            walk(sub, (*path, name), click.Context(sub, parent=ctx, info_name=name))

    paths: list[tuple[str, ...]] = []
    walk(cli, (), click.Context(cli, info_name="datalife"))
    return paths


HELP_PATHS = _help_paths()


# -- the parser itself -----------------------------------------------------------------------


def test_parser_takes_exact_module_names() -> None:
    stderr = (
        "import time: self [us] | cumulative | imported package\n"
        "import time:       120 |        120 |   pandas_stubs\n"
        "import time:        80 |         80 |     mypandas\n"
        "import time:        50 |         50 | _duckdb_shim\n"
        "import time:       300 |        900 |     pyarrow.lib\n"
        "datalife: error: something unrelated that mentions pandas\n"
    )
    modules = imported_modules(stderr)
    assert modules == {"pandas_stubs", "mypandas", "_duckdb_shim", "pyarrow.lib"}
    assert heavy(modules) == {"pyarrow.lib"}


def test_guard_sees_a_heavy_import(tmp_path: Path) -> None:
    """The positive control: the same parsing finds duckdb when it is imported."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import duckdb"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "duckdb" in heavy(imported_modules(out.stderr))


# -- the commands ----------------------------------------------------------------------------


def test_the_cli_has_commands_to_check() -> None:
    assert ("validate",) in HELP_PATHS
    assert ("schema",) in HELP_PATHS
    assert len(HELP_PATHS) > 4


@pytest.mark.parametrize("args", [["--version"], ["-V"], ["--help"], ["-h"]], ids=" ".join)
def test_top_level_options_import_nothing_heavy(args: list[str], tmp_path: Path) -> None:
    out = run_importtime(args, tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    modules = imported_modules(out.stderr)
    assert "datalife.cli" in modules  # the report covers the datalife imports
    assert heavy(modules) == set()
    assert out.stdout.strip()


@pytest.mark.parametrize(
    "path", [p for p in HELP_PATHS if p], ids=lambda p: " ".join(p) + " --help"
)
def test_subcommand_help_imports_nothing_heavy(path: tuple[str, ...], tmp_path: Path) -> None:
    out = run_importtime([*path, "--help"], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Usage:" in out.stdout
    assert heavy(imported_modules(out.stderr)) == set()


@pytest.fixture
def bare_workspace(tmp_path: Path) -> Path:
    """A workspace with one dataset over ``data/*.parquet``, and a CSV outside it."""
    root = tmp_path / "ws"
    config = init_workspace(root)
    config.write_text(
        config.read_text(encoding="utf-8")
        + '\n[datasets.events]\nfiles = ["data/*.parquet"]\nschema = "events"\n',
        encoding="utf-8",
    )
    (root / "x.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    return root


@pytest.mark.parametrize(
    "args",
    [["validate", "x.csv"], ["validate", "x.csv", "--format", "json"]],
    ids=" ".join,
)
def test_validate_on_unmatched_path_imports_nothing_heavy(
    args: list[str], bare_workspace: Path
) -> None:
    out = run_importtime(args, bare_workspace)
    assert out.returncode == 2, out.stderr[-2000:]
    assert "belongs to no dataset" in out.stdout + out.stderr
    modules = imported_modules(out.stderr)
    assert "datalife.config" in modules  # it did read the workspace
    assert heavy(modules) == set()


def test_validate_with_workspace_option_imports_nothing_heavy(
    bare_workspace: Path, tmp_path: Path
) -> None:
    out = run_importtime(["-C", str(bare_workspace), "validate", "x.csv"], tmp_path)
    assert out.returncode == 2, out.stderr[-2000:]
    assert heavy(imported_modules(out.stderr)) == set()
