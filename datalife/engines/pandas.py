"""In-memory validation of pandas DataFrames with pandera's pandas backend.

pandera does the checking; this module only turns its failure cases into datalife's
:class:`~datalife.engines.report.Failure` records, so every engine reports alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from datalife.engines.report import MAX_EXAMPLES, CheckResult, Example, Failure, _plain
from datalife.plan.compile import describe_failure, plan_checks, rename_candidates

if TYPE_CHECKING:
    import pandas as pd
    import pandera.api.pandas.container as pac

__all__ = ["run_pandas_validation"]

_NAME_MAP = {
    "field_uniqueness": "unique",
    "multiple_fields_uniqueness": "unique",
    "dataframe_column_labels_unique": "unique",
}


def _check_name(raw: str) -> str:
    name = raw.split("(", 1)[0]
    return _NAME_MAP.get(name, name)


def run_pandas_validation(
    schema: pac.DataFrameSchema, df: pd.DataFrame
) -> tuple[int, list[Failure], list[CheckResult]]:
    """Validate ``df``; return ``(rows, failures, checks)``."""
    import pandera.errors as pe

    plan = plan_checks(schema)
    try:
        schema.validate(df, lazy=True, inplace=False)
        cases = None
    except pe.SchemaErrors as exc:
        cases = exc.failure_cases
    except pe.SchemaError as exc:  # raised for some dataframe-level problems even when lazy
        cases = exc.failure_cases
    failures: list[Failure] = []
    failed: set[tuple[str | None, str]] = set()
    if cases is not None and len(cases):
        failures = _normalise(cases, schema, list(df.columns), plan)
        failures = _after_coercion(failures, schema, df, plan)
        failed = {(f.column if f.check != "column_in_schema" else None, f.check) for f in failures}
    checks = []
    seen = set()
    for p in plan:
        key = (p.column, p.check, p.detail)
        if key in seen:
            continue
        seen.add(key)
        checks.append(CheckResult(p.column, p.check, p.detail, (p.column, p.check) not in failed))
    return len(df), failures, checks


def _after_coercion(
    failures: list[Failure], schema: pac.DataFrameSchema, df: pd.DataFrame, plan: Any
) -> list[Failure]:
    """Report a column that failed to coerce as the out-of-core engine does.

    When values cannot be coerced, pandera also reports the column's dtype and lets checks
    fail with a ``TypeError``. Those are consequences of the same bad values: keep the
    ``coerce_dtype`` failure, and run the value checks on the values that did parse.
    """
    import pandas as pd

    broken = {f.column for f in failures if f.check == "coerce_dtype" and f.column is not None}
    if not broken:
        return failures
    out: list[Failure] = []
    objs = {(p.column, p.check): p for p in plan}
    for f in failures:
        if f.column not in broken or f.check == "coerce_dtype":
            out.append(f)
            continue
        if f.check == "dtype":
            continue
        errored = any(str(e.value).startswith(("TypeError(", "ValueError(")) for e in f.examples)
        planned = objs.get((f.column, f.check))
        numeric = str(schema.columns[f.column].dtype).lower().startswith(("int", "uint", "float"))
        fn = planned.obj.fn if planned is not None and planned.obj is not None else None
        if not errored or not numeric or fn is None:
            out.append(f)
            continue
        series = pd.to_numeric(df[f.column], errors="coerce")
        result = fn(series.dropna())
        passed = result.check_output
        bad = series.dropna()[~passed.astype(bool).to_numpy()]
        if len(bad):
            exs = tuple(
                Example(value=_plain(v), row=_row(i)) for i, v in bad.head(MAX_EXAMPLES).items()
            )
            out.append(Failure(f.column, f.check, f.detail, len(bad), exs, f.message))
    return out


def _normalise(
    cases: pd.DataFrame, schema: pac.DataFrameSchema, have: list[Any], plan: Any
) -> list[Failure]:
    details = {(p.column, p.check): (p.detail, p.obj) for p in plan}
    missing = [str(c) for c in cases.loc[cases["check"] == "column_in_dataframe", "failure_case"]]
    extra = [str(c) for c in cases.loc[cases["check"] == "column_in_schema", "failure_case"]]
    renames = rename_candidates(missing, extra)
    out: list[Failure] = []
    cases = cases.assign(_name=cases["check"].astype(str).map(_check_name))
    structural = cases["_name"].isin(["column_in_dataframe", "column_in_schema", "column_ordered"])
    for _, row in cases[structural].iterrows():
        name = row["_name"]
        column = str(row["failure_case"])
        if name == "column_in_dataframe":
            msg = "required column is missing"
            if column in renames:
                msg += f"; column {renames[column]!r} looks like it was renamed from it"
        elif name == "column_in_schema":
            msg = "column is not in the schema (the schema is strict)"
            back = [m for m, e in renames.items() if e == column]
            if back:
                msg += f"; it looks like a rename of {back[0]!r}"
        else:
            msg, column = "columns are not in the schema's order", ""
        out.append(Failure(column or None, name, name, 1, (Example(column),), msg))
    rest = cases[~structural]
    if len(rest):
        cols = rest["column"].where(rest["column"].notna(), None)
        for (gcol, name), group in rest.assign(column=cols).groupby(
            ["column", "_name"], sort=False, dropna=False
        ):
            col = None if gcol is None or gcol != gcol else str(gcol)
            if name == "unique" and col is None:
                unique = schema.unique
                col = unique if isinstance(unique, str) else ",".join(unique or [])
            detail, obj = details.get((col, name), (str(group["check"].iloc[0]), None))
            if name == "dtype":
                exs: tuple[Example, ...] = (Example(str(group["failure_case"].iloc[0])),)
                msg = f"stored as {group['failure_case'].iloc[0]}, the schema says {detail.split(chr(39))[1] if chr(39) in detail else detail}"
                out.append(Failure(col, name, detail, 1, exs, msg))
                continue
            head = group.head(MAX_EXAMPLES)
            exs = tuple(
                Example(value=_plain(v), row=_row(i))
                for v, i in zip(head["failure_case"], head["index"], strict=True)
            )
            n = int(group["index"].nunique()) if name == "unique" else len(group)
            out.append(Failure(col, name, detail, n, exs, describe_failure(name, detail, col, obj)))
    order = list(schema.columns)
    out.sort(key=lambda f: (order.index(f.column) if f.column in order else len(order), f.check))
    return out


def _row(index: Any) -> int | None:
    try:
        if index is None or index != index:
            return None
        return int(index)
    except (TypeError, ValueError):
        return None
