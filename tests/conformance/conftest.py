"""The conformance suite with the Spark engine: one local[2] session for the whole test
session, fewer hypothesis examples for Spark, and the ``spark`` marker.

- ``$DATALIFE_SPARK_MASTER`` defaults to ``local[2]`` here (unless the suite runs through
  Spark Connect, ``$DATALIFE_SPARK_REMOTE``), so every test that uses the
  engine shares the one session it caches (starting a JVM costs seconds).
- A Spark validation is a few Spark jobs (about a second on two quiet cores, where DuckDB
  takes milliseconds), so the hypothesis tests run :data:`SPARK_EXAMPLES` examples for Spark
  (``$DATALIFE_SPARK_TEST_EXAMPLES``) and their full count for every other engine. The
  assertions are the suite's own, unchanged: only the number of generated cases differs. The
  mixed-format test, which loops over the engines itself, runs twice: every other engine with
  the full count, then Spark alone with the smaller one.
- Tests that run Spark carry the ``spark`` marker (``-m "not spark"`` leaves them out);
  where Spark cannot run (no Java 17+, no pyspark) they are skipped with that reason, by
  ``tests.conftest.engine_params``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

if not os.environ.get("DATALIFE_SPARK_REMOTE"):
    os.environ.setdefault("DATALIFE_SPARK_MASTER", "local[2]")

SPARK_EXAMPLES = int(os.environ.get("DATALIFE_SPARK_TEST_EXAMPLES", "3"))
_LOOPS_OVER_ENGINES = "test_mixed_formats_give_the_verdict_of_one_format"


def _engine(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    value = callspec.params.get("engine") if callspec is not None else None
    return value if isinstance(value, str) else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _engine(item) == "spark" or item.name == _LOOPS_OVER_ENGINES:
            item.add_marker(pytest.mark.spark)


def _call(item: pytest.Function) -> None:
    names = item._fixtureinfo.argnames
    item.obj(**{name: item.funcargs[name] for name in names})


def _fewer_examples(fn: Any) -> Any:
    """``fn``'s hypothesis settings, and the same with :data:`SPARK_EXAMPLES` examples."""
    from hypothesis import settings

    before = getattr(fn, "_hypothesis_internal_use_settings", None)
    if before is None:
        return None, None
    return before, settings(before, max_examples=min(before.max_examples, SPARK_EXAMPLES))


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    fn = pyfuncitem.obj
    if _engine(pyfuncitem) == "spark":
        before, fewer = _fewer_examples(fn)
        if before is None:
            return None
        fn._hypothesis_internal_use_settings = fewer
        try:
            _call(pyfuncitem)
        finally:
            fn._hypothesis_internal_use_settings = before
        return True
    if pyfuncitem.name != _LOOPS_OVER_ENGINES:
        return None
    module: Any = sys.modules[fn.__module__]
    engines = list(module.ENGINES)
    spark = [p for p in engines if p.values[0] == "spark"]
    before, fewer = _fewer_examples(fn)
    if not spark or before is None:
        return None
    try:
        module.ENGINES = [p for p in engines if p.values[0] != "spark"]
        _call(pyfuncitem)
        module.ENGINES = spark
        fn._hypothesis_internal_use_settings = fewer
        _call(pyfuncitem)
    finally:
        module.ENGINES = engines
        fn._hypothesis_internal_use_settings = before
    return True


@pytest.fixture(scope="session", autouse=True)
def _spark_connect_is_real() -> Iterator[None]:
    """Where the suite runs through Spark Connect (``$DATALIFE_SPARK_REMOTE``, as
    tests/conformance/test_spark_connect.py runs it), check that the engine's session is a
    Connect one (not a classic session that happened to exist)."""
    yield
    if os.environ.get("DATALIFE_SPARK_REMOTE") and "pyspark" in sys.modules:
        from datalife.engines.spark.session import _SESSIONS

        for session in _SESSIONS.values():
            assert type(session).__module__.startswith("pyspark.sql.connect"), session
