"""Slices, and the counts that summarise a batch per slice.

A slice definition is one or more columns (a slice per combination of their values, named
``species=Adelie``) or a boolean SQL expression (one slice: the rows where it is true). They
come from the schema (``slices:``), from the command line (``--slice COL``), and, for a label
column, by default: every class of the label is a slice, so rare classes are audited on their
own.

:func:`summarise` counts each binned column once over the batch, keyed by every slice column
(and each ``where`` flag) and the column's bin, into a small table; the slices are then
``GROUPING SETS`` over that table, so adding slices costs almost nothing. Numbers are counted in
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
    "compare_groups",
    "summarise",
]

#: The pooled bucket of the values a categorical column's reference did not list.
OTHER = "(other values)"
#: Categorical values kept per column (by reference frequency); the rest are pooled.
MAX_VALUES = 20
#: A categorical column with more distinct values than this is not summarised (an identifier).
MAX_DISTINCT = 1000
#: Two columns share a pass over the batch when (key combinations) x (bins)^2 stays below this.
PAIR_LIMIT = 2_000_000
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
    """Per slice value: rows, and each column's counts on ``binning`` (one pass per column).

    Two stages. The binned columns are counted by ``GROUP BY`` passes over the batch, keyed by
    every column the slices use (and each ``where`` flag) plus the columns' bins (two columns
    per pass when the key combinations are few): tables of at most a few thousand rows. The
    slices are then ``GROUPING SETS`` over those small tables, so their number costs almost
    nothing.

    Returns ``{"all": group, "slices": {slice_name: {value: group}}}`` where a group is
    ``{"rows": n, "cols": {col: {"n", "hist"}}, "confusion": {...}}`` or ``"errors": [n, sae,
    sse]`` for a regression label.
    """
    import duckdb

    from datalife.io import sql_ident, sql_str

    check_columns(slices, [c for c, _ in scan.columns], _label_of(scan))
    present = {c for c, _ in scan.columns}
    key_cols = list(dict.fromkeys(c for s in slices for c in s.columns))
    wheres = [(i, s) for i, s in enumerate(slices) if s.where is not None]
    keys = [f"{sql_ident(c)} AS __k{j}" for j, c in enumerate(key_cols)]
    keys += [f"coalesce(({s.where}), false) AS __w{i}" for i, s in wheres]
    key_names = [f"__k{j}" for j in range(len(key_cols))] + [f"__w{i}" for i, _ in wheres]
    parts: list[tuple[str, str, str]] = [("__rows__", "''", "count(*), NULL, NULL")]
    for name, edges in binning.numeric.items():
        if name in present:
            parts.append((name, f"({_bin_sql(name, edges)})::VARCHAR", "count(*), NULL, NULL"))
    for name, values in binning.categorical.items():
        if name in present:
            parts.append((name, _cat_sql(name, values), "count(*), NULL, NULL"))
    y, p = binning.label, binning.prediction
    model = y is not None and p is not None and y in present and p in present
    if model:
        assert y is not None
        assert p is not None
        yi, pi = sql_ident(y), sql_ident(p)
        both = f"{yi} IS NOT NULL AND {pi} IS NOT NULL"
        if binning.task == "regression":
            e = f"({yi}::DOUBLE - {pi}::DOUBLE)"
            parts.append(
                (
                    "__errors__",
                    "''",
                    f"count(*) FILTER ({both}), sum(abs({e})) FILTER ({both}), "
                    f"sum({e} * {e}) FILTER ({both})",
                )
            )
        else:
            parts.append(
                (
                    "__confusion__",
                    f"CASE WHEN {both} THEN {yi}::VARCHAR || chr(31) || {pi}::VARCHAR END",
                    "count(*), NULL, NULL",
                )
            )
    select_keys = "".join(", " + k for k in keys)
    try:
        scan.execute(
            "CREATE OR REPLACE TEMP TABLE _slice_counts (col VARCHAR, b VARCHAR, n BIGINT, "
            f"s1 DOUBLE, s2 DOUBLE{''.join(', ' + k + ' ' + t for k, t in _key_types(scan, key_cols, wheres))})",
            convert_errors=False,
        )
        keys_sql = "".join(", " + k for k in key_names)
        plain = [part for part in parts if part[2] == "count(*), NULL, NULL"]
        other = [part for part in parts if part[2] != "count(*), NULL, NULL"]
        # the rows pass first: how many key combinations there are decides whether two
        # columns can share a pass (their joint bins times the keys stay a small table)
        rows_part, plain = plain[0], plain[1:]
        for col, bin_sql, aggs in [rows_part, *other]:
            scan.execute(
                f"INSERT INTO _slice_counts SELECT {sql_str(col)}, __b, {aggs}{keys_sql} "
                f"FROM (SELECT *, {bin_sql} AS __b{select_keys} FROM src) "
                f"GROUP BY __b{keys_sql}",
                convert_errors=False,
            )
        combos = int(scan.execute("SELECT count(*) FROM _slice_counts")[0][0])
        step = 2 if combos * (MAX_VALUES + 1) ** 2 <= PAIR_LIMIT else 1
        for start in range(0, len(plain), step):
            group = plain[start : start + step]
            bins = ", ".join(f"{b} AS __b{j}" for j, (_, b, _) in enumerate(group))
            names = ", ".join(f"__b{j}" for j in range(len(group)))
            scan.execute(
                f"CREATE OR REPLACE TEMP TABLE _slice_pass AS SELECT {names}{keys_sql}, "
                f"count(*) AS n FROM (SELECT *, {bins}{select_keys} FROM src) "
                f"GROUP BY {names}{keys_sql}",
                convert_errors=False,
            )
            for j, (col, _, _) in enumerate(group):
                scan.execute(
                    f"INSERT INTO _slice_counts SELECT {sql_str(col)}, __b{j}, sum(n), NULL, "
                    f"NULL{keys_sql} FROM _slice_pass GROUP BY __b{j}{keys_sql}",
                    convert_errors=False,
                )
        scan.execute("DROP TABLE IF EXISTS _slice_pass", convert_errors=False)
    except duckdb.Error as exc:
        _raise_slice_error(exc, scan, slices)
    sets = ["(col, b)"]
    exprs = []
    for i, s in enumerate(slices):
        if s.where is not None:
            exprs.append(f"CASE WHEN _w{i} THEN {sql_str(s.name)} END AS _s{i}")
        else:
            exprs.append(f"{_key_sql(s, key_cols)} AS _s{i}")
        sets.append(f"(col, b, _s{i})")
    groupings = [f"grouping(_s{i})" for i in range(len(slices))]
    rows = scan.execute(
        f"SELECT col, b, {', '.join([*groupings, *(f'_s{i}' for i in range(len(slices)))] or ['0'])}, "
        f"sum(n), sum(s1), sum(s2) FROM (SELECT *{''.join(', ' + e for e in exprs)} "
        f"FROM _slice_counts) GROUP BY GROUPING SETS ({', '.join(sets)})",
        convert_errors=False,
    )
    scan.execute("DROP TABLE _slice_counts", convert_errors=False)
    n = len(slices)
    out: dict[str, Any] = {"all": _empty(), "slices": {s.name: {} for s in slices}}
    for row in rows:
        col, b = row[0], row[1]
        flags = row[2 : 2 + n] if n else ()
        slice_keys = row[2 + n : 2 + 2 * n] if n else ()
        cnt, s1, s2 = row[-3], row[-2], row[-1]
        which = [i for i, g in enumerate(flags) if g == 0]
        if not which:
            group = out["all"]
        else:
            i = which[0]
            if slice_keys[i] is None:  # rows outside a `where` slice
                continue
            group = out["slices"][slices[i].name].setdefault(str(slice_keys[i]), _empty())
        _add(group, col, b, int(cnt or 0), s1, s2)
    return out


def _key_types(
    scan: Scan, key_cols: list[str], wheres: list[tuple[int, SliceDef]]
) -> list[tuple[str, str]]:
    types = dict(scan.columns)
    out = [(f"_k{j}", types.get(c, "VARCHAR")) for j, c in enumerate(key_cols)]
    out += [(f"_w{i}", "BOOLEAN") for i, _ in wheres]
    return out


def _key_sql(s: SliceDef, key_cols: list[str]) -> str:
    from datalife.io import sql_str

    parts = [
        f"{sql_str(c + '=')} || coalesce(_k{key_cols.index(c)}::VARCHAR, '(missing)')"
        for c in s.columns
    ]
    return parts[0] if len(parts) == 1 else f"concat_ws(', ', {', '.join(parts)})"


def _raise_slice_error(exc: Exception, scan: Scan, slices: Sequence[SliceDef]) -> None:
    import duckdb

    bad = [s for s in slices if s.where is not None]
    detail = str(exc).splitlines()[0]
    if bad and isinstance(exc, duckdb.ParserException | duckdb.BinderException):
        raise MonitorInputError(
            f"a slice expression cannot be evaluated on {_label_of(scan)}: {detail}",
            details=[f"slice {s.name!r}: where {s.where}" for s in bad],
            hint="write `where:` as a boolean SQL expression over the data's columns.",
        ) from exc
    from datalife.io import input_error_from_duckdb

    if scan.sources:
        raise input_error_from_duckdb(exc, scan.sources) from exc
    raise exc


def _empty() -> dict[str, Any]:
    return {"rows": 0, "cols": {}}


def _add(group: dict[str, Any], col: str, b: str | None, n: int, s1: Any, s2: Any) -> None:
    if col == "__rows__":
        group["rows"] += n
    elif col == "__confusion__":
        if b is not None:
            conf = group.setdefault("confusion", {})
            conf[b] = conf.get(b, 0) + n
    elif col == "__errors__":
        errors = group.setdefault("errors", [0, 0.0, 0.0])
        errors[0] += n
        errors[1] += float(s1 or 0.0)
        errors[2] += float(s2 or 0.0)
    else:
        c = group["cols"].setdefault(col, {"n": 0, "hist": {}})
        if b is not None:
            c["n"] += n
            c["hist"][b] = c["hist"].get(b, 0) + n


def _label_of(scan: Scan) -> str:
    if scan.source.files:
        return ", ".join(f.path for f in scan.source.files)
    return "the data"


def compare_groups(
    ref: dict[str, Any], cur: dict[str, Any], binning: Binning, exclude: Sequence[str]
) -> dict[str, dict[str, float | None]]:
    """Per column of two groups of a summary (a slice of the reference, the same slice of the
    batch): ``psi`` (and ``linf`` for categories), the chi-square ``p``, ``missing_share``."""
    from datalife.monitor.measures import chi2_pvalue, linf, psi

    out: dict[str, dict[str, float | None]] = {}
    for name, cc in cur["cols"].items():
        rc = ref["cols"].get(name)
        if rc is None or name in exclude:
            continue
        numbers: dict[str, float | None] = {
            "psi": psi(rc["hist"], cc["hist"]),
            "p": chi2_pvalue(rc["hist"], cc["hist"]),
            "missing_share": 1 - cc["n"] / cur["rows"] if cur["rows"] else None,
        }
        if name in binning.categorical:
            numbers["linf"] = linf(rc["hist"], cc["hist"])
        out[name] = numbers
    return out
