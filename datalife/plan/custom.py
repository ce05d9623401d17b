"""Custom checks that survive a save/load round trip.

pandera serializes a check only when it is registered by name with its parameters
("statistics"). :func:`register_check` does that, and can also give the SQL form of the check
so the out-of-core DuckDB engine evaluates it in the database; without one, the DuckDB engine
streams the column through the Python function in bounded batches.

Examples:
    >>> import datalife
    >>> @datalife.register_check("multiple_of", statistics=["factor"],
    ...                          sql=lambda col, factor: f"({col} % {factor} = 0)")
    ... def multiple_of(series, *, factor):
    ...     return series % factor == 0
    >>> "multiple_of" in registered_checks()
    True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["CustomCheck", "register_check", "registered_checks"]

SqlFn = Callable[..., str]


@dataclass(frozen=True)
class CustomCheck:
    """A check registered through :func:`register_check`."""

    name: str
    fn: Callable[..., Any]
    statistics: tuple[str, ...]
    sql: SqlFn | None
    element_wise: bool


_REGISTRY: dict[str, CustomCheck] = {}


def registered_checks() -> dict[str, CustomCheck]:
    """The custom checks registered in this process, by name."""
    return dict(_REGISTRY)


def register_check(
    name: str,
    *,
    statistics: Sequence[str] = (),
    sql: SqlFn | None = None,
    element_wise: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a custom check by ``name`` with named parameters (``statistics``).

    The decorated function takes a pandas Series (or a scalar when ``element_wise``) and the
    parameters as keyword arguments, and returns booleans. Once registered, a schema can use
    ``pandera.Check.<name>(**params)``, and schema files can name it. ``sql``, if given, maps a
    quoted column expression and the parameters to a SQL boolean expression for DuckDB.

    Registering the same name twice with a different function is refused.
    """
    from datalife.errors import DatalifeError

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        import pandera.pandas as pa
        from pandera.api import extensions as ext

        existing = _REGISTRY.get(name)
        if existing is not None:
            if (
                existing.fn.__qualname__ == fn.__qualname__
                and existing.fn.__module__ == fn.__module__
            ):
                return fn  # the same module imported again
            raise DatalifeError(
                f"a check named {name!r} is already registered (by {existing.fn.__module__})",
                hint="give the check another name.",
            )
        if hasattr(pa.Check, name):
            raise DatalifeError(
                f"{name!r} is a built-in pandera check", hint="give the custom check another name."
            )
        ext.register_check_method(
            statistics=list(statistics),
            check_type="element_wise" if element_wise else "vectorized",
        )(fn)
        # pandera registers under the function's name; expose the chosen name too.
        if fn.__name__ != name:
            setattr(pa.Check, name, getattr(pa.Check, fn.__name__))
        _REGISTRY[name] = CustomCheck(name, fn, tuple(statistics), sql, element_wise)
        return fn

    return decorator
