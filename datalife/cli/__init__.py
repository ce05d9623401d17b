"""The ``datalife`` command line.

Start-up is kept cheap: this module imports only click. Each command lives in its own
module, imported when the command runs (or when its help is shown), and imports the
library inside the command function.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from datalife._version import __version__

__all__ = ["cli", "main"]

# name -> "module:attribute". A command module must stay light at import time.
COMMANDS: dict[str, str] = {
    "init": "datalife.cli.workspace:init_cmd",
    "dataset": "datalife.cli.workspace:dataset_group",
    "schema": "datalife.cli.schema:schema_group",
    "validate": "datalife.cli.validate:validate_cmd",
    "run": "datalife.cli.run:run_cmd",
    "check": "datalife.cli.governance:check_cmd",
    "split": "datalife.cli.split:split_cmd",
    "lineage": "datalife.cli.lineage:lineage_group",
    "report": "datalife.cli.report:report_cmd",
    "card": "datalife.cli.report:card_cmd",
    "stats": "datalife.cli.stats:stats_cmd",
    "drift": "datalife.cli.stats:drift_cmd",
    "skew": "datalife.cli.stats:skew_cmd",
    "monitor": "datalife.cli.monitor:monitor_group",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module_name, attr = self.lazy[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attr)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", "-V", prog_name="datalife")
@click.option(
    "-C",
    "--workspace",
    "workspace",
    type=click.Path(file_okay=False),
    default=None,
    help="Run as if started in DIR (the workspace root or any folder inside it).",
)
@click.pass_context
def cli(ctx: click.Context, workspace: str | None) -> None:
    """datalife: versioned schemas, validation, lineage and reproducible splits for ML data.

    Exit codes: 0 ok, 1 data fails its checks, 2 usage, config or unreadable input.
    """
    if workspace is not None:
        if not Path(workspace).is_dir():
            raise click.BadParameter(f"{workspace} is not a directory", param_hint="-C")
        os.chdir(workspace)
    ctx.ensure_object(dict)


def _wants_json(argv: Sequence[str]) -> bool:
    for i, arg in enumerate(argv):
        if arg == "--format" and i + 1 < len(argv) and argv[i + 1] == "json":
            return True
        if arg == "--format=json":
            return True
    return False


def _broken_pipe() -> int:
    """The reader of stdout went away: send what is left to /dev/null (no error at exit)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return (and exit with) its exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    from datalife.cli._render import report_error

    try:
        code = cli.main(args=args, prog_name="datalife", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        code = 130
    except click.ClickException as exc:
        exc.show()
        code = 2 if exc.exit_code == 1 else exc.exit_code
    except BrokenPipeError:
        code = _broken_pipe()
    except SystemExit as exc:
        # click turns a broken pipe (EPIPE) into exit 1 after wrapping stdout; a reader that
        # stops early (`datalife ... | head -1`) is not an error: exit 0 quietly, like Unix tools
        if not type(sys.stdout).__name__.endswith("PacifyFlushWrapper"):
            raise
        code = _broken_pipe() if exc.code == 1 else exc.code
    except Exception as exc:  # noqa: BLE001 - the last resort: no traceback for users
        code = report_error(exc, json_mode=_wants_json(args))
    if argv is None:
        # what is left needs no cycle collection: frozen, it is skipped by the interpreter's
        # final collections over every loaded module's objects (35 ms after a validation)
        gc.freeze()
        sys.exit(code or 0)
    return int(code or 0)
