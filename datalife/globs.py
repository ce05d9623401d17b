"""Path globs and workspace discovery with the standard library only.

The pre-commit hooks decide from file names whether there is anything to do before importing
pydantic, click or the data stack; they and :mod:`datalife.config` share these helpers.

Examples:
    >>> bool(glob_to_regex("sample_data/*.csv").match("sample_data/2007.csv"))
    True
    >>> bool(glob_to_regex("sample_data/*.csv").match("sample_data/x/2007.csv"))
    False
    >>> bool(glob_to_regex("data/**/*.parquet").match("data/a/b/c.parquet"))
    True
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

__all__ = ["CONFIG_FILE", "PYPROJECT", "find_config", "glob_to_regex"]

CONFIG_FILE = "datalife.toml"
PYPROJECT = "pyproject.toml"


@lru_cache(maxsize=1024)
def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """Compile a path glob (``*``, ``?``, ``**``, ``[abc]``, ``[!abc]``) to a regex over POSIX paths."""
    i, out = 0, []
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


def find_config(start: Path) -> Path | None:
    """The config file of the nearest workspace at or above the folder ``start``, or None."""
    for directory in (start, *start.parents):
        candidate = directory / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = directory / PYPROJECT
        if pyproject.is_file() and b"[tool.datalife" in pyproject.read_bytes():
            return pyproject
    return None
