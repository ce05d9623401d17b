"""Rendering for the CLI: text (rich on a terminal, plain when piped) and JSON.

Both forms come from the same ``to_dict()`` of a library result.
"""

from __future__ import annotations

import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("text", "json")


def format_option(*extra: str) -> Callable[[F], F]:
    """The ``--format`` option shared by every command that reports."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice([*FORMATS, *extra]),
        default="text",
        show_default=True,
        help="Output format: text for people, json for programs.",
    )


def is_terminal(stream: Any = None) -> bool:
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("CI"):
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


# C0 controls but tab and newline, DEL, and C1 controls (ESC and CSI start terminal sequences)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    r"""``text`` with control characters shown as escapes (``\x1b``), so data printed to a
    terminal can neither move the cursor, recolour, retitle the window nor hide text.

    Examples:
        >>> printable("a\x1b[31mred\x07\nnext\tcol")
        'a\\x1b[31mred\\x07\nnext\tcol'
    """
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def echo(text: str = "", *, err: bool = False) -> None:
    click.echo(printable(text), err=err)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=_json_default))


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if hasattr(obj, "item"):
        return obj.item()
    return str(obj)


def table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    title: str | None = None,
    err: bool = False,
) -> None:
    """Print a table: a rich table on a terminal, aligned plain text when piped."""
    cells = [["" if v is None else printable(str(v)) for v in row] for row in rows]
    title = printable(title) if title else title
    if is_terminal(sys.stderr if err else sys.stdout):
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        t = Table(title=title, title_justify="left")
        for c in columns:
            # fold, never cut: a long cell (a file:line example, a path) wraps onto the next
            # lines whole, so every example stays readable in an 80-column terminal
            t.add_column(c, overflow="fold")
        for row in cells:
            t.add_row(*(Text(cell) for cell in row))  # data, never rich markup
        Console(stderr=err).print(t)
        return
    widths = [len(c) for c in columns]
    for row in cells:
        for i, v in enumerate(row):
            widths[i] = max(widths[i], len(v))
    lines = []
    if title:
        lines.append(title)
    lines.append("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    click.echo("\n".join(lines), err=err)


def report_error(exc: BaseException, *, json_mode: bool = False) -> int:
    """Show ``exc`` to a person (or as JSON) and return the exit code to use."""
    from datalife.errors import DatalifeError

    if isinstance(exc, DatalifeError):
        if json_mode:
            emit_json(exc.to_dict())
        else:
            click.echo(printable(f"datalife: error: {exc}"), err=True)
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        click.echo("datalife: interrupted", err=True)
        return 130
    detail = f"{type(exc).__name__}: {exc}"
    if os.environ.get("DATALIFE_DEBUG"):
        traceback.print_exception(exc)
    if json_mode:
        emit_json(
            {"error": "InternalError", "reason": "internal", "message": detail, "exit_code": 2}
        )
    else:
        click.echo(
            f"datalife: internal error: {printable(detail)}\n"
            "This is a bug in datalife. Set DATALIFE_DEBUG=1 for the traceback and report it.",
            err=True,
        )
    return 2
