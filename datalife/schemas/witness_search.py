"""The search for witnesses: datasets valid under one schema version and invalid under another,
found by varying one thing at a time from a row the accepting version takes."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from datalife.engines.report import _plain
from datalife.schemas.candidates import candidate_values
from datalife.schemas.domain import ColumnSpace, column_space
from datalife.schemas.witness import (
    _DATA_ERRORS,
    _STRUCTURAL,
    Witness,
    _describe,
    _failure_cells,
    _only,
    _storable,
    _strip_unique,
    build_frame,
)

if TYPE_CHECKING:
    import pandera.api.pandas.container as pac

__all__ = ["WitnessSearch"]


@dataclass
class _Pool:
    values: dict[str, list[Any]] = field(default_factory=dict)
    base: dict[str, Any] = field(default_factory=dict)  # a value the valid schema accepts
    alt: dict[str, Any] = field(default_factory=dict)  # a second, different accepted value
    breaking: dict[str, list[Any]] = field(default_factory=dict)  # accepted, then rejected
    whole_fail: set[str] = field(default_factory=set)  # rejected whatever the value


_MISSING = object()


class WitnessSearch:
    """Search for datasets valid under ``valid`` and invalid under ``invalid``.

    Args:
        valid: the accepting schema.
        invalid: the rejecting schema.
        valid_label: e.g. ``penguins@1``.
        invalid_label: e.g. ``penguins@2``.
    """

    def __init__(
        self,
        valid: pac.DataFrameSchema,
        invalid: pac.DataFrameSchema,
        valid_label: str,
        invalid_label: str,
    ) -> None:
        self.valid = valid
        self.invalid = invalid
        self.valid_label = valid_label
        self.invalid_label = invalid_label
        self.spaces_valid = {c: column_space(col, valid) for c, col in valid.columns.items()}
        self.spaces_invalid = {c: column_space(col, invalid) for c, col in invalid.columns.items()}
        self._pool: _Pool | None = None
        self._other_pool: _Pool | None = None
        self.tries = 0

    # -- pools ---------------------------------------------------------------------------

    def _dtype(self, column: str, schema: pac.DataFrameSchema) -> str | None:
        dtype = schema.columns[column].dtype
        return None if dtype is None else str(dtype)

    def _make_pool(
        self,
        accept: pac.DataFrameSchema,
        reject: pac.DataFrameSchema,
        spaces: dict[str, ColumnSpace],
        others: dict[str, ColumnSpace],
    ) -> _Pool:
        pool = _Pool()
        for c, space in spaces.items():
            dtype = self._dtype(c, accept)
            values = [v for v in candidate_values(space, others.get(c)) if _storable(v, dtype)]
            pool.values[c] = values
        cols = [c for c in accept.columns if pool.values.get(c)]
        n = max((len(pool.values[c]) for c in cols), default=0)
        if n == 0:
            return pool
        rows = [{c: pool.values[c][i % len(pool.values[c])] for c in cols} for i in range(n)]
        dtypes = {c: self._dtype(c, accept) or "None" for c in cols}
        frame = build_frame(cols, rows, {k: v for k, v in dtypes.items() if v != "None"})
        bad_a, whole_a = _failure_cells(_strip_unique(accept), frame)
        reject_cols = [c for c in cols if c in reject.columns]
        bad_b, whole_b = (
            _failure_cells(_strip_unique(_only(reject, reject_cols)), frame[reject_cols])
            if reject_cols
            else (set(), set())
        )
        pool.whole_fail = whole_b
        for c in cols:
            if c in whole_a:
                continue
            k = len(pool.values[c])
            ok_a = [i for i in range(min(n, k)) if (c, i) not in bad_a]
            both = [i for i in ok_a if (c, i) not in bad_b and c not in whole_b]
            chosen = both or ok_a
            if chosen:
                pool.base[c] = pool.values[c][chosen[0]]
                for i in chosen[1:] + ok_a:
                    if repr(pool.values[c][i]) != repr(pool.base[c]):
                        pool.alt[c] = pool.values[c][i]
                        break
            if c in reject.columns:
                pool.breaking[c] = [
                    pool.values[c][i] for i in ok_a if (c, i) in bad_b or c in whole_b
                ]
        return pool

    @property
    def pool(self) -> _Pool:
        if self._pool is None:
            self._pool = self._make_pool(
                self.valid, self.invalid, self.spaces_valid, self.spaces_invalid
            )
        return self._pool

    @property
    def other_pool(self) -> _Pool:
        """Values the *invalid* schema accepts (for columns only it declares)."""
        if self._other_pool is None:
            self._other_pool = self._make_pool(
                self.invalid, self.valid, self.spaces_invalid, self.spaces_valid
            )
        return self._other_pool

    # -- frames --------------------------------------------------------------------------

    def _base_columns(self, include: Iterable[str] = (), exclude: Iterable[str] = ()) -> list[str]:
        """Columns of a minimal dataset the valid schema accepts, plus ``include``."""
        excl = set(exclude)
        want = set(include)
        cols = [
            c
            for c, col in self.valid.columns.items()
            if c not in excl
            and (
                col.required
                or c in want
                or (c in self.invalid.columns and self.invalid.columns[c].required)
            )
        ]
        if self.valid.strict is not True:
            cols += [
                c
                for c, col in self.invalid.columns.items()
                if c not in self.valid.columns and c not in excl and (col.required or c in want)
            ]
        return cols

    def _row(self, cols: Sequence[str], pool: _Pool | None = None) -> dict[str, Any] | None:
        p = pool or self.pool
        row: dict[str, Any] = {}
        for c in cols:
            if c in self.valid.columns:
                if c not in p.base:
                    return None
                row[c] = p.base[c]
            else:
                other = self.other_pool
                row[c] = other.base.get(c)
        return row

    def _dtypes(self, cols: Sequence[str]) -> dict[str, str]:
        out = {}
        for c in cols:
            schema = self.valid if c in self.valid.columns else self.invalid
            d = self._dtype(c, schema)
            if d is not None:
                out[c] = d
        return out

    def _verify(
        self,
        cols: Sequence[str],
        rows: Sequence[dict[str, Any]],
        dtypes: dict[str, str],
        accept: Callable[[Any], bool],
        note: str,
    ) -> Witness | None:
        """Run datalife.validate on the dataset under both versions; keep it if it is a witness."""
        from datalife.engines.base import validate_data as validate
        from datalife.errors import DatalifeError

        self.tries += 1
        expected: tuple[type[Exception], ...] = (*_DATA_ERRORS, DatalifeError)
        try:
            frame = build_frame(cols, rows, dtypes)
            good = validate(frame, self.valid)
            if not good.valid:
                return None
            bad = validate(frame, self.invalid)
        except expected:  # a frame pandas cannot build, or pandera cannot check
            return None
        if bad.valid:
            return None
        target = [f for f in bad.failures if accept(f)]
        if not target:
            return None
        first = target[0]
        return Witness(
            valid_under=self.valid_label,
            invalid_under=self.invalid_label,
            columns=tuple(cols),
            rows=tuple(dict(r) for r in rows),
            dtypes=dict(dtypes),
            failures=tuple(_describe(f) for f in bad.failures),
            column=first.column,
            check=first.check,
            note=note,
        )

    # -- searches ------------------------------------------------------------------------

    def values(self, column: str, *, rows_possible: bool = True, limit: int = 6) -> Witness | None:
        """A dataset whose ``column`` is accepted by the valid version, rejected by the other."""
        cols = self._base_columns(include=[column])
        dtypes = self._dtypes(cols)

        def on_column(f: Any) -> bool:
            return bool(f.column == column and f.check not in _STRUCTURAL)

        base = self._row(cols)
        if base is not None and rows_possible:
            candidates = list(self.pool.breaking.get(column, []))
            if column in self.pool.whole_fail:
                candidates = [base[column], *candidates]
            for value in candidates[:limit]:
                row = {**base, column: value}
                w = self._verify(
                    cols, [row], dtypes, on_column, f"column {column!r} = {_plain(value)!r}"
                )
                if w is not None:
                    return w
        # a dtype mismatch shows on an empty dataset too
        w = self._verify(cols, [], dtypes, on_column, "the dtype alone decides")
        if w is not None:
            return w
        return self._raw_dtype(column, cols, base if rows_possible else None, on_column)

    def _raw_dtype(
        self,
        column: str,
        cols: list[str],
        base: dict[str, Any] | None,
        accept: Callable[[Any], bool],
    ) -> Witness | None:
        """The column stored as another dtype that the valid version coerces."""
        value = base.get(column) if base is not None else self.pool.base.get(column, 0)
        alternatives: list[tuple[str, Any]] = []
        if isinstance(value, bool):
            alternatives += [("int64", int(value)), ("object", str(value))]
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if float(value).is_integer():
                alternatives += [("int64", int(value)), ("float64", float(value))]
            alternatives += [("object", str(value)), ("float32", float(value))]
        elif isinstance(value, str):
            alternatives += [("object", value), ("category", value), ("str", value)]
        elif value is not None:
            alternatives += [("object", value)]
        alternatives += [("int64", 0), ("float64", 0.0), ("object", "0")]
        current = self._dtype(column, self.valid)
        for dtype, v in alternatives:
            if dtype == current:
                continue
            dtypes = self._dtypes(cols)
            dtypes[column] = dtype
            rows = [{**base, column: v}] if base is not None else []
            w = self._verify(cols, rows, dtypes, accept, f"column {column!r} stored as {dtype}")
            if w is not None:
                return w
        return None

    def missing_column(self, column: str) -> Witness | None:
        """A dataset without ``column``."""
        cols = self._base_columns(exclude=[column])
        dtypes = self._dtypes(cols)

        def accept(f: Any) -> bool:
            return bool(f.column == column and f.check == "column_in_dataframe")

        base = self._row(cols)
        if base is not None:
            w = self._verify(cols, [base], dtypes, accept, f"without column {column!r}")
            if w is not None:
                return w
        return self._verify(cols, [], dtypes, accept, f"without column {column!r}")

    def extra_column(self, column: str) -> Witness | None:
        """A dataset that has ``column`` (one the valid version allows), rejected for it."""
        cols = self._base_columns(include=[column])
        if column not in cols:
            cols.append(column)
        base = self._row([c for c in cols if c != column])

        def accept(f: Any) -> bool:
            return bool(f.column == column)

        options: list[tuple[str | None, Any]] = []
        if column in self.valid.columns:
            value = self.pool.base.get(column, _MISSING)
            if value is not _MISSING:
                options.append((self._dtype(column, self.valid), value))
        options += [
            ("object", "x"),
            ("int64", 1),
            ("float64", 0.5),
            ("object", None),
            ("bool", True),
        ]
        for dtype, value in options:
            dtypes = self._dtypes([c for c in cols if c != column])
            if dtype is not None:
                dtypes[column] = dtype
            for rows in ([{**base, column: value}] if base is not None else [], []):
                w = self._verify(cols, rows, dtypes, accept, f"with column {column!r}")
                if w is not None:
                    return w
        return None

    def unexpected_column(self) -> Witness | None:
        """A dataset with a column neither version declares."""
        name = "unexpected_column"
        while name in self.valid.columns or name in self.invalid.columns:
            name += "_"
        cols = self._base_columns()
        base = self._row(cols)
        rows = [{**base, name: "x"}] if base is not None else []

        def accept(f: Any) -> bool:
            return bool(f.check == "column_in_schema")

        dtypes = {**self._dtypes(cols), name: "object"}
        return self._verify([*cols, name], rows, dtypes, accept, f"with an extra column {name!r}")

    def reordered(self) -> Witness | None:
        """The same dataset with its columns in another order."""
        cols = self._base_columns(include=list(self.invalid.columns))
        cols = [c for c in cols if c in self.valid.columns or self.valid.strict is not True]
        if len(cols) < 2:
            return None
        base = self._row(cols)
        dtypes = self._dtypes(cols)

        def accept(f: Any) -> bool:
            return bool(f.check == "column_ordered")

        orders = [list(reversed(cols))] + [
            list(p) for p in itertools.islice(itertools.permutations(cols), 1, 6)
        ]
        for order in orders:
            for rows in ([base] if base is not None else [], []):
                w = self._verify(order, rows, dtypes, accept, f"columns in the order {order}")
                if w is not None:
                    return w
        return None

    def duplicate(self, columns: Sequence[str]) -> Witness | None:
        """Two rows equal on ``columns``, different where the valid version needs uniqueness."""
        cols = self._base_columns(include=columns)
        base = self._row(cols)
        if base is None:
            return None
        second = dict(base)
        frame_unique = self.valid.unique
        needs = {
            c
            for c, col in self.valid.columns.items()
            if col.unique and c in cols and c not in columns
        }
        if frame_unique:
            combo = [frame_unique] if isinstance(frame_unique, str) else list(frame_unique)
            free = [c for c in combo if c not in columns and c in cols]
            if set(combo) <= set(columns) or (not free and combo):
                return None
            needs.update(free[:1])
        for c in needs:
            if c not in self.pool.alt:
                return None
            second[c] = self.pool.alt[c]
        dtypes = self._dtypes(cols)
        target = set(columns)

        def accept(f: Any) -> bool:
            return bool(f.check == "unique" and set(str(f.column or "").split(",")) & target)

        return self._verify(
            cols, [base, second], dtypes, accept, f"two rows with the same {', '.join(columns)}"
        )

    def any_rows(self) -> Witness | None:
        """A few datasets the valid version accepts, tried against the other (for opaque checks)."""

        def accept(f: Any) -> bool:
            return True

        cols = self._base_columns()
        base = self._row(cols)
        dtypes = self._dtypes(cols)
        if base is None:
            return self._verify(cols, [], dtypes, accept, "")
        for c in cols:
            for value in self.pool.values.get(c, [])[:8]:
                row = {**base, c: value}
                w = self._verify(cols, [row], dtypes, accept, f"column {c!r} = {_plain(value)!r}")
                if w is not None:
                    return w
        return None
