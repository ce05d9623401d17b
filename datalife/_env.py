"""Process settings for datalife's own short-lived commands (standard library only).

Each helper only sets an environment variable the user has not set, and must run before the
library it concerns is imported or first used. They are called by the CLI commands and the
pre-commit hooks, never by the library, so a program importing datalife keeps its own setup.
"""

from __future__ import annotations

import os
import sys
import types

__all__ = ["no_pandera_pyspark_probe", "no_pydantic_plugins", "single_threaded_blas"]


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


class _NoPysparkPandasForPandera:
    """A meta-path finder that refuses ``pyspark.pandas`` to pandera's import-time probe.

    When pyspark is installed (``datalife[spark]``), ``import pandera.pandas`` imports
    ``pyspark.pandas`` only to let pyspark patch pandas' typing (pandera's
    ``external_config``): about 3 s and a FutureWarning under pandas 3, in every command that
    validates a frame, none of which uses pyspark.pandas. Only that probe is refused; any
    other import of ``pyspark.pandas`` (the user's, pyspark's own) goes through.
    """

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name not in ("pyspark", "pyspark.pandas"):
            return
        frame: types.FrameType | None = sys._getframe(1)
        while frame is not None:
            if frame.f_globals.get("__name__") == "pandera.external_config":
                raise ModuleNotFoundError("pyspark.pandas is not needed by datalife", name=name)
            frame = frame.f_back
        return


def no_pandera_pyspark_probe() -> None:
    """Install :class:`_NoPysparkPandasForPandera` once (unless
    ``DATALIFE_PANDERA_PYSPARK=1`` asks to keep pandera's probe)."""
    if os.environ.get("DATALIFE_PANDERA_PYSPARK") == "1":
        return
    if not any(isinstance(f, _NoPysparkPandasForPandera) for f in sys.meta_path):
        sys.meta_path.insert(0, _NoPysparkPandasForPandera())
