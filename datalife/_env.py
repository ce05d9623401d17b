"""Process settings for datalife's own short-lived commands (standard library only).

Each helper only sets an environment variable the user has not set, and must run before the
library it concerns is imported or first used. They are called by the CLI commands and the
pre-commit hooks, never by the library, so a program importing datalife keeps its own setup.
"""

from __future__ import annotations

import os
import sys

__all__ = ["no_pydantic_plugins", "single_threaded_blas"]


def single_threaded_blas() -> None:
    """Ask numpy's OpenBLAS for no worker threads (unless the user chose a number).

    For commands that use numpy without linear algebra (validation, splits): OpenBLAS
    starts a thread per core when numpy is imported, and they spin for a while, which is
    CPU taken from DuckDB on a small machine. Must run before numpy is imported.
    """
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def no_pydantic_plugins() -> None:
    """Skip pydantic's plugin discovery (unless the user set ``PYDANTIC_DISABLE_PLUGINS``).

    At its first model, pydantic reads the entry points of every installed distribution to
    find plugins (~12 ms in a typical environment); datalife's config models need none. For
    the commands whose start-up counts (validate, the hooks). Must run before the config is
    loaded.
    """
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "1")
