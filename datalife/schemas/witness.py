"""Witnesses: concrete datasets that are valid under one schema version and invalid under another.

A witness is built from the two schemas (:class:`~datalife.schemas.witness_search.WitnessSearch`):
for each column, datalife takes *candidate* values (:mod:`datalife.schemas.candidates`), keeps
a base row that the accepting version takes, then varies one thing at a time (a value, a
missing column, an extra column, a duplicated row, a column order, a column stored as another
dtype). Every witness is checked by running :func:`datalife.validate` (pandera on pandas) on
it against both versions before it is returned, so a printed witness is never a guess.

This module holds the witness itself and the frames it is built as.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from datalife.engines.report import _plain

if TYPE_CHECKING:
    import pandas as pd
    import pandera.api.pandas.container as pac


__all__ = ["Witness", "build_frame"]

_STRUCTURAL = frozenset({"column_in_dataframe", "column_in_schema", "column_ordered"})
# what pandas and pandera raise for values they cannot store or check (pandera has bugs of this
# kind with pandas 3, e.g. coercing a category column); anything else is a real error
_DATA_ERRORS: tuple[type[Exception], ...] = (
    TypeError,
    ValueError,
    OverflowError,
    KeyError,
    IndexError,
    AttributeError,
    NotImplementedError,
)


@dataclass(frozen=True)
class Witness:
    """A dataset valid under ``valid_under`` and invalid under ``invalid_under``.

    Attributes:
        valid_under: the version that accepts it (``name@version``).
        invalid_under: the version that rejects it.
        columns: the dataset's columns, in order.
        rows: its rows (``None`` is a missing value); may be empty when only columns matter.
        dtypes: the dtype each column is stored as.
        failures: what ``invalid_under`` reports, one line per failure.
        column: the column the failure is about (None for dataframe-level failures).
        check: the failing check (``in_range``, ``isin``, ``column_in_dataframe``, ...).
        note: what was varied to build it, for a person.
    """

    valid_under: str
    invalid_under: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    dtypes: dict[str, str]
    failures: tuple[str, ...]
    column: str | None
    check: str | None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid_under": self.valid_under,
            "invalid_under": self.invalid_under,
            "columns": list(self.columns),
            "rows": [{k: _plain(v) for k, v in r.items()} for r in self.rows],
            "dtypes": dict(self.dtypes),
            "column": self.column,
            "check": self.check,
            "failures": list(self.failures),
            "note": self.note,
        }

    def to_frame(self) -> pd.DataFrame:
        """The witness as a pandas DataFrame (with the recorded dtypes)."""
        return build_frame(list(self.columns), list(self.rows), self.dtypes)

    def describe(self) -> str:
        """One paragraph for a person."""
        shown = [{k: _plain(v) for k, v in r.items()} for r in self.rows]
        if len(shown) == 1:
            what = f"this row is valid under {self.valid_under} and invalid under {self.invalid_under}: {shown[0]}"
        elif shown:
            what = (
                f"these {len(shown)} rows are valid under {self.valid_under} and invalid under "
                f"{self.invalid_under}: " + ", ".join(str(r) for r in shown)
            )
        else:
            what = (
                f"a dataset with columns {list(self.columns)} and no rows is valid under "
                f"{self.valid_under} and invalid under {self.invalid_under}"
            )
        lines = [what]
        if self.note and not (self.note.startswith("column ") and " = " in self.note):
            lines.append(f"  ({self.note})")
        lines.extend(f"  {self.invalid_under}: {f}" for f in self.failures)
        return "\n".join(lines)


def build_frame(
    columns: Sequence[str], rows: Sequence[dict[str, Any]], dtypes: dict[str, str]
) -> pd.DataFrame:
    """A DataFrame with ``columns`` in order, each stored as ``dtypes[column]`` when given."""
    import pandas as pd

    data: dict[str, Any] = {}
    for c in columns:
        values = [r.get(c) for r in rows]
        data[c] = _series(values, dtypes.get(c))
    return pd.DataFrame(data, columns=list(columns))


def _series(values: list[Any], dtype: str | None) -> pd.Series[Any]:
    import pandas as pd

    if dtype in (None, "None"):
        if all(v is None for v in values):
            return pd.Series(values, dtype=object)
        return pd.Series(values)
    if dtype.lower().startswith(("datetime64", "timestamp")):
        return pd.Series(pd.to_datetime(values), dtype=dtype)
    return pd.Series(values, dtype=dtype)


def _storable(value: Any, dtype: str | None) -> bool:
    try:
        s = _series([value], dtype)
    except (TypeError, ValueError, OverflowError, ImportError):
        return False
    if value is None:
        return bool(s.isna().iloc[0])
    got = s.iloc[0]
    try:
        return bool(got == value) or (
            isinstance(value, float) and isinstance(got, float) and math.isinf(value)
        )
    except (TypeError, ValueError):
        return False


def _strip_unique(schema: pac.DataFrameSchema) -> pac.DataFrameSchema:
    import copy

    s = copy.deepcopy(schema)
    for col in s.columns.values():
        col.unique = False
    s.unique = None
    return s


def _failure_cells(
    schema: pac.DataFrameSchema, frame: pd.DataFrame
) -> tuple[set[tuple[str, int]], set[str]]:
    """(failing (column, row) cells, columns failing as a whole) under pandera, lazily."""
    import warnings

    import pandera.errors as pe

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            schema.validate(frame, lazy=True)
        return set(), set()
    except (pe.SchemaErrors, pe.SchemaError) as exc:
        cases = exc.failure_cases
    except _DATA_ERRORS:  # a check that raises on these values fails them all
        return set(), set(map(str, frame.columns))
    cells: set[tuple[str, int]] = set()
    whole: set[str] = set()
    if cases is None or not len(cases):
        return cells, whole
    for col, check, idx in zip(cases["column"], cases["check"], cases["index"], strict=True):
        if col is None or col != col:
            continue
        name = str(check).split("(", 1)[0]
        if name in _STRUCTURAL:
            continue
        if idx is None or idx != idx:
            whole.add(str(col))
        else:
            cells.add((str(col), int(idx)))
    return cells, whole


def _only(schema: pac.DataFrameSchema, columns: Sequence[str]) -> pac.DataFrameSchema:
    """``schema`` restricted to ``columns``, without dataframe-level constraints."""
    import copy

    s = copy.deepcopy(schema)
    drop = [c for c in s.columns if c not in columns]
    s = s.remove_columns(drop) if drop else s
    s.strict = False
    s.ordered = False
    s.checks = []
    return s


def _describe(failure: Any) -> str:
    text: str = failure.describe()
    return text
