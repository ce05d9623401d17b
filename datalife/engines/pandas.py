"""The pandas engine: the check plan rendered as pandera checks on an in-memory frame.

Files are read into memory through :mod:`datalife.reading` (the same conversion to the
schema's types as every engine, with the rows whose values do not convert); a pandas frame
whose columns already have the schema's types is used as it is, one that needs converting
goes through the same reading. Structure and stored-type mismatches come from
:mod:`datalife.engines.structure`, as for every engine; this module evaluates the value checks
— pandera's own ``Check`` objects on each column's non-missing values — nullability,
uniqueness and the row minimum.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from datalife.engines.report import MAX_EXAMPLES, Example, Failure, ValidationReport
from datalife.engines.structure import dtype_mismatches, merge_structural, structure_failures
from datalife.errors import DatalifeError, UnsupportedCheck
from datalife.plan.compile import STRUCTURAL, CheckPlan, PlannedCheck, describe_failure

if TYPE_CHECKING:
    import pandas as pd

    from datalife.engines.base import Data
    from datalife.reading import Source

__all__ = ["PandasEngine"]


class PandasEngine:
    """pandera on a pandas frame in memory."""

    name = "pandas"
    reads: frozenset[str] = frozenset({"files", "pandas", "polars", "arrow"})

    def validate(self, data: Data, plan: CheckPlan, *, ref: str) -> ValidationReport:
        import functools

        from datalife.engines.outcome import conclude

        frame, sources, names = _typed(data, plan)
        failures = merge_structural(
            structure_failures(plan.spec, [s.columns for s in sources], names), len(sources)
        )
        mismatched = dtype_mismatches(plan, [s.stored_types() for s in sources], names)
        failures += mismatched
        failures += _evaluate(frame, plan, sources, names, {str(f.column) for f in mismatched})
        rows = len(frame)
        if data.kind == "files" and rows:
            counts = {int(str(k)): int(v) for k, v in frame["__file"].value_counts().items()}
            per_source = [counts.get(i, 0) for i in range(len(sources))]
        else:
            per_source = [rows] + [0] * (len(sources) - 1)
        failures, checks, info, notes = conclude(plan, failures, sources, names, per_source)
        report = ValidationReport(ref, rows, self.name, failures, checks, info, notes)
        if data.kind != "files":
            from datalife.storage import frame_hash

            original = data.frame
            report._version_fn = functools.partial(frame_hash, original)
        return report


def _typed(data: Data, plan: CheckPlan) -> tuple[pd.DataFrame, Sequence[Source], Sequence[str]]:
    """The rows as a pandas frame of the schema's types, with ``__file``/``__row`` and, for
    converted columns, ``__bad:<col>`` / ``__raw:<col>``; the sources and their names."""
    from datalife.engines.duckdb.engine import FrameSource, to_arrow
    from datalife.io import connect, input_error_from_duckdb
    from datalife.reading import cast_columns, typed_columns, typed_union_sql

    typing = typed_columns(plan.spec)
    if data.kind == "pandas" and _already_typed(data.frame, typing):
        out = data.frame.reset_index(drop=True).copy(deep=False)
        out["__file"] = 0
        out["__row"] = range(len(out))
        src: Any = _PandasSource(data.frame)
        return out, [src], ["<frame>"]
    con = connect()
    try:
        if data.kind == "files":
            sources: Sequence[Source] = list(data.sources)
            names: Sequence[str] = list(data.names)
        else:
            frame = data.frame
            table = to_arrow(frame)
            con.register("__frame", table)
            sources = [FrameSource(table, con)]
            names = ["<frame>"]
        present = [c for c in plan.columns if any(c in s.columns for s in sources)]
        sql = typed_union_sql(sources, present, typing, casts=cast_columns(sources, typing))
        import duckdb

        try:
            result: pd.DataFrame = con.execute(f"SELECT * FROM ({sql})").df()
        except duckdb.Error as exc:
            raise input_error_from_duckdb(exc, sources) from None
        return result, sources, names
    finally:
        con.close()


def _already_typed(frame: pd.DataFrame, typing: dict[str, Any]) -> bool:
    """Whether every schema column of ``frame`` already has the schema's type family (then
    the frame is checked as it is, with no conversion)."""
    from pandas.api import types as t

    from datalife.reading import FLOAT_TYPES, INT_TYPES, type_family

    for c, (target, _, _) in typing.items():
        if c not in frame.columns:
            continue
        dtype = frame[c].dtype
        fam = type_family(target)
        ok = (
            (fam in INT_TYPES and t.is_integer_dtype(dtype) and str(dtype).lower() == _INT[fam])
            or (fam in FLOAT_TYPES and t.is_float_dtype(dtype))
            or (fam == "BOOLEAN" and t.is_bool_dtype(dtype))
            or (fam == "VARCHAR" and _is_text(frame[c], dtype))
        )
        if not ok:
            return False
    return True


_INT = {
    "TINYINT": "int8",
    "SMALLINT": "int16",
    "INTEGER": "int32",
    "BIGINT": "int64",
    "UTINYINT": "uint8",
    "USMALLINT": "uint16",
    "UINTEGER": "uint32",
    "UBIGINT": "uint64",
}


def _is_text(series: Any, dtype: Any) -> bool:
    """Text, or categories of text (not categories of numbers)."""
    import pandas as pd
    from pandas.api import types as t

    if isinstance(dtype, pd.CategoricalDtype):
        return bool(t.is_string_dtype(dtype.categories.dtype))
    return bool(t.is_string_dtype(dtype)) and t.infer_dtype(series, skipna=True) in (
        "string",
        "empty",
    )


class _PandasSource:
    """A pandas frame seen as a source (for structure and stored types)."""

    format = "frame"
    size = 0
    on_disk = False

    def __init__(self, frame: pd.DataFrame) -> None:
        self.columns = [str(c) for c in frame.columns]
        self._frame = frame

    def stored_types(self) -> dict[str, str]:
        return {}  # checked by _already_typed: every typed column has the schema's family


def _evaluate(
    frame: pd.DataFrame,
    plan: CheckPlan,
    sources: Sequence[Any],
    names: Sequence[str],
    mismatched: set[str],
) -> list[Failure]:

    failures: list[Failure] = []

    def examples(mask: Any, values: pd.Series[Any]) -> tuple[Example, ...]:
        picked = frame.loc[mask].head(MAX_EXAMPLES)
        out = []
        for idx in picked.index:
            f_idx, r = int(frame.at[idx, "__file"]), int(frame.at[idx, "__row"])  # type: ignore[arg-type]
            fmt = getattr(sources[f_idx], "format", "")
            line = r + 2 if fmt == "csv" else (r + 1 if fmt == "jsonl" else None)
            name = names[f_idx] if names[f_idx] != "<frame>" else None
            value = values.at[idx]
            out.append(Example(None if _is_na(value) else value, r, name, line))
        return tuple(out)

    for p in plan.checks:
        if p.check in STRUCTURAL or p.check == "min_rows":
            continue
        if p.check == "unique":
            keys = [c for c in str(p.column).split(",") if p.column]
            if not keys or not all(c in frame.columns for c in keys):
                continue
            sub = frame[keys]
            dup = sub.notna().all(axis=1) & sub.duplicated(keep=False)
            if dup.any():
                shown = sub[keys[0]] if len(keys) == 1 else sub.apply(tuple, axis=1)
                n_keys = int(sub[dup].drop_duplicates().shape[0])
                failures.append(
                    Failure(
                        p.column,
                        "unique",
                        p.detail,
                        int(dup.sum()),
                        examples(dup, shown),
                        f"duplicate values where values must be unique ({n_keys} values repeated)",
                    )
                )
            continue
        if p.column is None:
            raise UnsupportedCheck(
                f"dataframe-level check {p.detail} is not supported",
                hint="move the check to a column.",
            )
        if p.column not in frame.columns:
            continue
        series = frame[p.column]
        bad_col = f"__bad:{p.column}"
        bad = frame[bad_col].fillna(False).astype(bool) if bad_col in frame.columns else None
        if p.check in ("dtype", "coerce_dtype"):
            if bad is None or p.column in mismatched or not bad.any():
                continue
            raw = frame[f"__raw:{p.column}"]
            failures.append(
                Failure(
                    p.column,
                    p.check,
                    p.detail,
                    int(bad.sum()),
                    examples(bad, raw),
                    describe_failure(p.check, p.detail, p.column, p.obj),
                )
            )
            continue
        missing = series.isna()
        if bad is not None:
            missing &= ~bad
        if p.check == "not_nullable":
            if missing.any():
                failures.append(
                    Failure(
                        p.column,
                        p.check,
                        p.detail,
                        int(missing.sum()),
                        examples(missing, series),
                        describe_failure(p.check, p.detail, p.column, p.obj),
                    )
                )
            continue
        fails = _value_check(p, series)
        if fails is not None and fails.any():
            failures.append(
                Failure(
                    p.column,
                    p.check,
                    p.detail,
                    int(fails.sum()),
                    examples(fails, series),
                    describe_failure(p.check, p.detail, p.column, p.obj),
                )
            )
    return failures


def _value_check(p: PlannedCheck, series: pd.Series[Any]) -> pd.Series[Any] | None:
    """Where ``series``'s non-missing values fail the check (pandera evaluates it)."""
    import pandas as pd
    import pandera.pandas as pa

    check = p.obj.fn if p.obj is not None else None
    if check is None or not isinstance(check, pa.Check):
        factory = getattr(pa.Check, p.check, None)
        if factory is None or p.obj is None:
            raise UnsupportedCheck(
                f"check {p.detail} on column {p.column!r} is not known to pandera here",
                column=p.column,
                hint="register it with @datalife.register_check before validating.",
            )
        check = factory(**dict(p.obj.statistics))
    import numpy as np

    notna = series.notna().to_numpy()
    present = series[notna]
    if not len(present):
        return None
    try:
        result = check(present)
    except Exception as exc:  # noqa: BLE001 - user check code may raise anything
        raise DatalifeError(
            f"check {p.detail} on column {p.column!r} raised {type(exc).__name__}: {exc}",
            column=p.column,
            hint="fix the check function, or the column's type in the schema.",
        ) from None
    output = result.check_output
    passed = np.asarray(
        output.fillna(False) if hasattr(output, "fillna") else output, dtype=bool
    ).reshape(-1)
    fails = np.zeros(len(series), dtype=bool)
    fails[notna] = ~passed
    return pd.Series(fails, index=series.index)


def _is_na(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
