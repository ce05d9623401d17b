"""A function run in a thread of its own, its result or error collected later."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Background"]


class Background:
    """``fn()`` run in a daemon thread; :meth:`result` waits for it and re-raises its error.

    For work that releases the GIL (DuckDB queries, numpy sorts, hashing, file I/O) done
    beside the caller's own.

    Examples:
        >>> Background(lambda: 6 * 7).result()
        42
    """

    def __init__(self, fn: Callable[[], Any], *, name: str = "datalife-worker") -> None:
        self._fn = fn
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            self._error = exc

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value
