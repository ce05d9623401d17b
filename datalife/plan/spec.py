"""What a schema checks, as plain data, read without importing pandera.

Validating files needs only what each column must satisfy (dtype, nullability, uniqueness,
built-in checks and their parameters); it runs as SQL in DuckDB. Deserializing the schema body
into a pandera ``DataFrameSchema`` would import pandera and pandas (about half a second) only
to read those facts back. :meth:`SchemaSpec.from_body` reads them straight from the body of the
schema file when the body uses only what this reader knows — the shape datalife writes, which
is pandera's own ``to_yaml`` output — and returns ``None`` otherwise, so that anything unusual
(a custom check, an index, a dtype alias, a non-default option) goes through pandera as before.
A property test asserts that both readings agree on every body the light reader accepts.

Examples:
    >>> body = {"columns": {"x": {"dtype": "int64", "in_range": {"min_value": 0, "max_value": 9}}}}
    >>> spec = SchemaSpec.from_body(body)
    >>> spec.columns["x"].checks[0].detail
    'in_range(0, 9)'
    >>> SchemaSpec.from_body({"columns": {"x": {"dtype": "int64", "my_check": 3}}}) is None
    True
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandera.api.pandas.container as pac

__all__ = ["CheckSpec", "ColumnSpec", "SchemaSpec"]


@dataclass(frozen=True)
class CheckSpec:
    """One value check: pandera's name, parameters (``statistics``) and error text."""

    name: str
    statistics: Mapping[str, Any]
    detail: str
    fn: Any = field(default=None, compare=False, repr=False)  # the pandera Check, when known
    #: a warning-level check (pandera's ``raise_warning``): reported, never a failure
    warning: bool = False


@dataclass(frozen=True)
class ColumnSpec:
    """What one column must satisfy."""

    name: str
    dtype: str | None = None
    nullable: bool = False
    unique: bool = False
    coerce: bool = False
    required: bool = True
    checks: tuple[CheckSpec, ...] = ()
    #: what the column is for (``identifier``, ``timestamp``, ``label``...), if declared
    role: str | None = None
    #: text spellings a bool column accepts besides true/false (any case)
    true_values: tuple[str, ...] = ()
    false_values: tuple[str, ...] = ()


@dataclass(frozen=True)
class SchemaSpec:
    """What a whole schema checks, with the attribute names of pandera's ``DataFrameSchema``."""

    columns: dict[str, ColumnSpec]
    strict: bool | str = False
    ordered: bool = False
    coerce: bool = False
    unique: tuple[str, ...] | None = None
    checks: tuple[CheckSpec, ...] = ()
    #: the fewest rows a valid dataset has (datalife metadata, not pandera's)
    min_rows: int = 0

    def remove_columns(self, names: Iterable[str]) -> SchemaSpec:
        """This spec without ``names``."""
        drop = set(names)
        return replace(self, columns={k: v for k, v in self.columns.items() if k not in drop})

    @classmethod
    def from_pandera(cls, schema: pac.DataFrameSchema) -> SchemaSpec:
        """The spec of a pandera ``DataFrameSchema``."""
        columns = {
            str(name): ColumnSpec(
                name=str(name),
                dtype=None if col.dtype is None else str(col.dtype),
                nullable=bool(col.nullable),
                unique=bool(col.unique),
                coerce=bool(col.coerce),
                required=bool(col.required),
                checks=tuple(_from_check(c) for c in col.checks),
            )
            for name, col in schema.columns.items()
        }
        unique = schema.unique
        return cls(
            columns=columns,
            strict=schema.strict,
            ordered=bool(schema.ordered),
            coerce=bool(schema.coerce),
            unique=None if not unique else (unique,) if isinstance(unique, str) else tuple(unique),
            checks=tuple(_from_check(c) for c in schema.checks),
        )

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> SchemaSpec | None:
        """The spec of a serialized pandera body, or None where only pandera can read it."""
        if not isinstance(body, Mapping):
            return None
        for key, value in body.items():
            if key in _SCHEMA_IGNORED:
                continue
            if key not in _SCHEMA_KEYS or not _SCHEMA_KEYS[key](value):
                return None
        columns_body = body.get("columns") or {}
        if not isinstance(columns_body, Mapping):
            return None
        columns: dict[str, ColumnSpec] = {}
        for name, col in columns_body.items():
            spec = _column_from_body(name, col)
            if spec is None:
                return None
            columns[name] = spec
        unique = body.get("unique")
        return cls(
            columns=columns,
            strict=body.get("strict", False),
            ordered=bool(body.get("ordered", False)),
            coerce=bool(body.get("coerce", False)),
            unique=None if not unique else (unique,) if isinstance(unique, str) else tuple(unique),
        )


def _from_check(check: Any) -> CheckSpec:
    return CheckSpec(
        name=str(check.name),
        statistics=dict(check.statistics or {}),
        detail=str(check.error or check.name),
        fn=check,
        warning=bool(getattr(check, "raise_warning", False)),
    )


# -- the light reader ----------------------------------------------------------------------

# dtype names whose pandera reading prints back unchanged (aliases such as "str" or "int" are
# left to pandera, which maps them differently across pandas versions)
_DTYPES = frozenset(
    {
        *(f"{p}{n}" for p in ("int", "uint", "Int", "UInt") for n in (8, 16, 32, 64)),
        "float16",
        "float32",
        "float64",
        "Float32",
        "Float64",
        "bool",
        "boolean",
        "string[python]",
        "string[pyarrow]",
        "object",
        "category",
        "datetime64[ns]",
        "date",
    }
)


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool)


def _is_name(v: Any) -> bool:
    return isinstance(v, str) and bool(v)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v == v


def _is_scalar(v: Any) -> bool:
    return isinstance(v, str | int | float | bool) and v == v


def _false(v: Any) -> bool:
    return v is None or v is False


_SCHEMA_IGNORED = frozenset(
    {"name", "title", "description", "version", "metadata", "report_duplicates"}
)
_SCHEMA_KEYS: dict[str, Any] = {
    "schema_type": lambda v: v in (None, "dataframe"),
    "api": lambda v: v in (None, "pandas"),
    "columns": lambda v: v is None or isinstance(v, Mapping),
    "index": lambda v: v is None,
    "checks": lambda v: not v,
    "dtype": lambda v: v is None,
    "coerce": _is_bool,
    "strict": lambda v: _is_bool(v) or v == "filter",
    "ordered": _is_bool,
    "unique": lambda v: (
        v is None
        or _is_name(v)
        or (isinstance(v, list) and bool(v) and all(_is_name(x) for x in v))
    ),
    "unique_column_names": _false,
    "add_missing_columns": _false,
    "drop_invalid_rows": _false,
}
_COLUMN_IGNORED = frozenset({"title", "description", "metadata", "name", "report_duplicates"})
_COLUMN_FLAGS = {"nullable": False, "unique": False, "coerce": False, "required": True}
_COLUMN_DEFAULTS: dict[str, Any] = {"regex": False, "default": None, "drop_invalid_rows": False}


def _column_from_body(name: Any, col: Any) -> ColumnSpec | None:
    if not isinstance(name, str):
        return None
    if col is None:
        col = {}
    if not isinstance(col, Mapping):
        return None
    dtype = col.get("dtype")
    if dtype is not None and dtype not in _DTYPES:
        return None
    flags: dict[str, bool] = {}
    checks: list[CheckSpec] = []
    for key, value in col.items():
        if key == "dtype" or key in _COLUMN_IGNORED:
            continue
        if key in _COLUMN_FLAGS:
            if not _is_bool(value):
                return None
            flags[key] = value
            continue
        if key in _COLUMN_DEFAULTS:
            if value != _COLUMN_DEFAULTS[key]:
                return None
            continue
        if key == "checks":
            if value:
                return None  # the list form: left to pandera
            continue
        if dtype is not None and dtype.startswith(("datetime", "date")):
            return None  # pandera turns these parameters into timestamps
        check = _check_from_body(key, value)
        if check is None:
            return None
        checks.append(check)
    return ColumnSpec(
        name=name,
        dtype=dtype,
        checks=tuple(checks),
        nullable=flags.get("nullable", False),
        unique=flags.get("unique", False),
        coerce=flags.get("coerce", False),
        required=flags.get("required", True),
    )


_UNARY = {
    "equal_to": ("value", _is_scalar),
    "not_equal_to": ("value", _is_scalar),
    "greater_than": ("min_value", _is_number),
    "greater_than_or_equal_to": ("min_value", _is_number),
    "less_than": ("max_value", _is_number),
    "less_than_or_equal_to": ("max_value", _is_number),
    "str_startswith": ("string", lambda v: isinstance(v, str)),
    "str_endswith": ("string", lambda v: isinstance(v, str)),
}


def _check_from_body(name: str, value: Any) -> CheckSpec | None:
    if name in _UNARY:
        stat, ok = _UNARY[name]
        if isinstance(value, Mapping):
            if set(value) != {stat}:
                return None
            value = value[stat]
        if not ok(value):
            return None
        shown = f"'{value}'" if name.startswith("str_") else f"{value}"
        return CheckSpec(name, {stat: value}, f"{name}({shown})")
    if name in ("isin", "notin"):
        stat = "allowed_values" if name == "isin" else "forbidden_values"
        if isinstance(value, Mapping):
            if set(value) != {stat}:
                return None
            value = value[stat]
        if not isinstance(value, list) or not all(_is_scalar(v) for v in value):
            return None
        return CheckSpec(name, {stat: value}, f"{name}({value})")
    if name in ("str_matches", "str_contains"):
        if isinstance(value, Mapping):
            if set(value) != {"pattern"}:
                return None
            value = value["pattern"]
        if not isinstance(value, str):
            return None
        try:
            re.compile(value)
        except re.error:
            return None
        return CheckSpec(name, {"pattern": value}, f"{name}('{value}')")
    if name == "in_range":
        if not isinstance(value, Mapping) or not {"min_value", "max_value"} <= set(value):
            return None
        if not set(value) <= {"min_value", "max_value", "include_min", "include_max"}:
            return None
        lo, hi = value["min_value"], value["max_value"]
        inc_lo, inc_hi = value.get("include_min", True), value.get("include_max", True)
        if not (_is_number(lo) and _is_number(hi) and _is_bool(inc_lo) and _is_bool(inc_hi)):
            return None
        if hi < lo or (lo == hi and not (inc_lo and inc_hi)):
            return None  # pandera's error for an empty interval
        stats = {"min_value": lo, "max_value": hi, "include_min": inc_lo, "include_max": inc_hi}
        return CheckSpec(name, stats, f"in_range({lo}, {hi})")
    return None
