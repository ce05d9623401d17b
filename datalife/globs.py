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

__all__ = [
    "CONFIG_FILE",
    "PYPROJECT",
    "find_config",
    "glob_to_regex",
    "list_files",
    "literal_prefix",
]

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


_WILDCARDS = frozenset("*?[")


def literal_prefix(pattern: str) -> str:
    """The folders at the start of ``pattern`` that hold no wildcard (where listing starts).

    Examples:
        >>> literal_prefix("data/raw/*.csv"), literal_prefix("**/x.csv"), literal_prefix("a.csv")
        ('data/raw', '', '')
    """
    parts = pattern.split("/")[:-1]
    fixed: list[str] = []
    for part in parts:
        if _WILDCARDS & set(part):
            break
        fixed.append(part)
    return "/".join(fixed)


def list_files(root: Path, pattern: str) -> list[Path]:
    """The regular files under ``root`` whose POSIX path relative to ``root`` matches ``pattern``.

    The same matcher as :func:`glob_to_regex` decides (so ``data/**`` lists exactly what it
    matches, files at any depth, unlike :meth:`pathlib.Path.glob`). Folders are walked
    without following symbolic links; a linked file counts only if it resolves inside
    ``root``. Nothing outside ``root`` is ever listed.

    Examples:
        >>> import tempfile; root = Path(tempfile.mkdtemp())
        >>> (root / "data" / "a").mkdir(parents=True)
        >>> for rel in ("data/x.csv", "data/a/y.csv", "z.csv"): _ = (root / rel).write_text("")
        >>> [p.relative_to(root).as_posix() for p in list_files(root, "data/**")]
        ['data/a/y.csv', 'data/x.csv']
    """
    import os

    regex = glob_to_regex(pattern)
    start = root / literal_prefix(pattern) if literal_prefix(pattern) else root
    if ".." in Path(pattern).parts or not start.is_dir():
        return []
    real_root = os.path.realpath(root)
    found: list[Path] = []
    for folder, dirs, names in os.walk(start):
        dirs.sort()
        rel_folder = os.path.relpath(folder, root).replace(os.sep, "/")
        for name in sorted(names):
            rel = name if rel_folder == "." else f"{rel_folder}/{name}"
            if not regex.match(rel):
                continue
            path = Path(folder) / name
            if not path.is_file():
                continue
            if path.is_symlink():
                target = os.path.realpath(path)
                if os.path.commonpath([target, real_root]) != real_root:
                    continue
            found.append(path)
    return sorted(found)


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
