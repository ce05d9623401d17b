"""Slices and the one grouped scan that summarises a batch per slice.

A slice definition is one or more columns (a slice per combination of their values, named
``species=Adelie``) or a boolean SQL expression (one slice: the rows where it is true). They
come from the schema (``slices:``), from the command line (``--slice COL``), and, for a label
column, by default: every class of the label is a slice, so rare classes are audited on their
own.

:func:`summarise` reads the data **once**: a ``GROUP BY GROUPING SETS`` over the whole batch and
every slice definition, with DuckDB's ``histogram`` aggregate per column. Numbers are counted in
the reference's quantile bins, categories over the reference's most frequent values (the rest
pooled), and label/prediction pairs into a confusion table (classification) or error sums
(regression). The summary is plain JSON, so the reference's is kept in the history store.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from datalife.monitor.errors import MonitorInputError

if TYPE_CHECKING:
    from datalife.stats.engine import Scan
    from datalife.stats.profile import Profile

__all__ = [
    "OTHER",
    "Binning",
    "SliceDef",
    "binning_from_profile",
    "summarise",
]

#: The pooled bucket of the values a categorical column's reference did not list.
OTHER = "(other values)"
#: Categorical values kept per column (by reference frequency); the rest are pooled.
MAX_VALUES = 20
#: A categorical column with more distinct values than this is not summarised (an identifier).
MAX_DISTINCT = 1000
#: Separates label and prediction in the confusion keys.
SEP = "\x1f"


@dataclass(frozen=True)
class SliceDef:
    """One slice definition: ``columns`` (a slice per value combination) or ``where``."""

    name: str
    columns: tuple[str, ...] = ()
    where: str | None = None
    origin: str = "schema"

    def key_sql(self) -> str:
        from datalife.io import sql_ident, sql_str

        if self.where is not None:
            return f"CASE WHEN ({self.where}) THEN {sql_str(self.name)} END"
        parts = [
            f"{sql_str(c + '=')} || coalesce({sql_ident(c)}::VARCHAR, '(missing)')"
            for c in self.columns
        ]
        return parts[0] if len(parts) == 1 else f"concat_ws(', ', {', '.join(parts)})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "columns": list(self.columns),
            "where": self.where,
            "origin": self.origin,
        }


@dataclass
class Binning:
    """How each column is counted: numeric bin edges, categorical values kept."""

    numeric: dict[str, list[float]] = field(default_factory=dict)
    categorical: dict[str, list[str]] = field(default_factory=dict)
    label: str | None = None
    prediction: str | None = None
    task: str | None = None  # "classification" | "regression"

    def to_dict(self) -> dict[str, Any]:
        return {
            "numeric": self.numeric,
            "categorical": self.categorical,
            "label": self.label,
            "prediction": self.prediction,
            "task": self.task,
        }


def binning_from_profile(
    profile: Profile,
    *,
    skip: Sequence[str] = (),
    label: str | None = None,
    prediction: str | None = None,
    task: str | None = None,
) -> Binning:
    """Bins from the reference profile: its quantiles p1..p99 as edges, its top values."""
    from datalife.stats.profile import CategoricalColumn, NumericColumn

    b = Binning(label=label, prediction=prediction, task=task)
    for col in profile.columns:
        if col.name in skip:
            continue
        if isinstance(col, NumericColumn):
            edges = sorted({float(v) for v in col.quantiles.values() if math.isfinite(v)})
            if edges:
                b.numeric[col.name] = edges
        elif isinstance(col, CategoricalColumn):
            table = col.state.values
            if not table.complete and (col.distinct or 0) > MAX_DISTINCT:
                continue
            b.categorical[col.name] = [v for v, _ in table.items[:MAX_VALUES]]
    return b


def _bin_sql(column: str, edges: list[float]) -> str:
    from datalife.io import sql_ident

    x = f"{sql_ident(column)}::DOUBLE"
    terms = " + ".join(f"({x} > {e!r})::INTEGER" for e in edges)
    return f"CASE WHEN isfinite({x}) THEN {terms} END"


def _cat_sql(column: str, values: list[str]) -> str:
    from datalife.io import sql_ident, sql_str

    v = f"{sql_ident(column)}::VARCHAR"
    if not values:
        return f"CASE WHEN {v} IS NOT NULL THEN {sql_str(OTHER)} END"
    listed = ", ".join(sql_str(x) for x in values)
    return f"CASE WHEN {v} IN ({listed}) THEN {v} WHEN {v} IS NOT NULL THEN {sql_str(OTHER)} END"


def check_columns(slices: Sequence[SliceDef], available: Sequence[str], where: str) -> None:
    """Every column a slice needs is in the data, or a :class:`MonitorInputError`."""
    from datalife.errors import closest

    for s in slices:
        for c in s.columns:
            if c not in available:
                near = closest(c, available)
                hint = f"did you mean {', '.join(map(repr, near))}? " if near else ""
                raise MonitorInputError(
                    f"{where}: slice {s.name!r} ({s.origin}) needs column {c!r}, which the data "
                    "does not have",
                    path=where,
                    column=c,
                    details=[f"columns: {', '.join(available)}"],
                    hint=f"{hint}fix the slice (schema `slices:` or --slice), or the data.",
                )


def summarise(scan: Scan, slices: Sequence[SliceDef], binning: Binning) -> dict[str, Any]:
    """One scan of ``src``: per slice value, rows and each column's counts on ``binning``.

    Returns ``{"all": group, "slices": {slice_name: {value: group}}}`` where a group is
    ``{"rows": n, "cols": {col: {"n", "mean", "hist"}}, "confusion": {...}, "errors": [...]}``.
    """
    import duckdb

    from datalife.io import sql_ident

    check_columns(slices, [c for c, _ in scan.columns], _label_of(scan))
    present = {c for c, _ in scan.columns}
    keys = [f"{s.key_sql()} AS _s{i}" for i, s in enumerate(slices)]
    aggs = ["count(*) AS rows"]
    cols: list[tuple[str, str]] = []
    for name, edges in binning.numeric.items():
        if name in present:
            c = sql_ident(name)
            aggs += [
                f"count({c})",
                f"avg({c}::DOUBLE) FILTER (isfinite({c}::DOUBLE))",
                f"histogram({_bin_sql(name, edges)})",
            ]
            cols.append((name, "numeric"))
    for name, values in binning.categorical.items():
        if name in present:
            aggs += [f"count({sql_ident(name)})", "NULL", f"histogram({_cat_sql(name, values)})"]
            cols.append((name, "categorical"))
    y, p = binning.label, binning.prediction
    model = y is not None and p is not None and y in present and p in present
    if model:
        assert y is not None
        assert p is not None
        yi, pi = sql_ident(y), sql_ident(p)
        both = f"{yi} IS NOT NULL AND {pi} IS NOT NULL"
        if binning.task == "regression":
            e = f"({yi}::DOUBLE - {pi}::DOUBLE)"
            aggs += [
                f"count(*) FILTER ({both})",
                f"sum(abs({e})) FILTER ({both})",
                f"sum({e} * {e}) FILTER ({both})",
            ]
        else:
            aggs.append(
                f"histogram(CASE WHEN {both} THEN {yi}::VARCHAR || chr(31) || {pi}::VARCHAR END)"
            )
    groupings = [f"grouping(_s{i})" for i in range(len(slices))]
    sets = ", ".join(["()", *(f"(_s{i})" for i in range(len(slices)))])
    select_keys = [f"_s{i}" for i in range(len(slices))]
    sql = (
        f"SELECT {', '.join([*groupings, *select_keys, *aggs])} "
        f"FROM (SELECT *{''.join(', ' + k for k in keys)} FROM src) "
        f"GROUP BY GROUPING SETS ({sets})"
    )
    try:
        rows = scan.execute(sql, convert_errors=False)
    except duckdb.Error as exc:
        bad = [s for s in slices if s.where is not None]
        detail = str(exc).splitlines()[0]
        if bad and isinstance(exc, duckdb.ParserException | duckdb.BinderException):
            raise MonitorInputError(
                f"a slice expression cannot be evaluated on {_label_of(scan)}: {detail}",
                details=[f"slice {s.name!r}: where {s.where}" for s in bad],
                hint="write `where:` as a boolean SQL expression over the data's columns.",
            ) from None
        from datalife.io import input_error_from_duckdb

        if scan.sources:
            raise input_error_from_duckdb(exc, scan.sources) from None
        raise
    out: dict[str, Any] = {"all": None, "slices": {s.name: {} for s in slices}}
    n = len(slices)
    for row in rows:
        flags, keys_, agg = row[:n], row[n : 2 * n], row[2 * n :]
        group = _group(agg, cols, model, binning.task)
        which = [i for i, g in enumerate(flags) if g == 0]
        if not which:
            out["all"] = group
        else:
            i = which[0]
            if keys_[i] is None:  # rows outside a `where` slice
                continue
            out["slices"][slices[i].name][str(keys_[i])] = group
    if out["all"] is None:
        out["all"] = {"rows": 0, "cols": {}}
    return out


def _label_of(scan: Scan) -> str:
    if scan.source.files:
        return ", ".join(f.path for f in scan.source.files)
    return "the data"


def _group(
    agg: Sequence[Any], cols: list[tuple[str, str]], model: bool, task: str | None
) -> dict[str, Any]:
    group: dict[str, Any] = {"rows": int(agg[0]), "cols": {}}
    i = 1
    for name, _ in cols:
        count, mean, hist = agg[i : i + 3]
        i += 3
        group["cols"][name] = {
            "n": int(count),
            "mean": float(mean) if mean is not None and math.isfinite(mean) else None,
            "hist": {str(k): int(v) for k, v in (hist or {}).items()},
        }
    if model:
        if task == "regression":
            cnt, sae, sse = agg[i : i + 3]
            group["errors"] = [int(cnt), float(sae or 0.0), float(sse or 0.0)]
        else:
            group["confusion"] = {str(k): int(v) for k, v in (agg[i] or {}).items()}
    return group
