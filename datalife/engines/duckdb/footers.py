"""What the Parquet footers of the sources settle without a scan (null counts, ranges,
key bounds)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from datalife.engines.duckdb.sql import check_sql
from datalife.io import sql_str
from datalife.plan.compile import PlannedCheck
from datalife.reading import INT_TYPES, Source

if TYPE_CHECKING:
    import duckdb

__all__ = ["RANGE_CHECKS", "footer_facts", "nested"]

# checks whose passing values form an interval: they hold for [min, max] if they hold at both ends
RANGE_CHECKS = frozenset(
    {
        "in_range",
        "between",
        "greater_than",
        "gt",
        "greater_than_or_equal_to",
        "ge",
        "less_than",
        "lt",
        "less_than_or_equal_to",
        "le",
    }
)

NUMERIC = frozenset({*INT_TYPES, "FLOAT", "DOUBLE"})


def footer_facts(
    con: duckdb.DuckDBPyConnection,
    sources: Sequence[Source],
    null_columns: Sequence[str],
    range_checks: dict[int, tuple[PlannedCheck, str, str]],
    key_columns: Sequence[str] = (),
) -> tuple[dict[str, int], set[int], int | None, dict[str, int]]:
    """What the Parquet footers of ``sources`` settle, in one read of them.

    Returns the null counts of the ``null_columns`` whose every row group of every file
    records one (top-level, non-nested columns), and the keys of the ``range_checks``
    (``{key: (check, column, its SQL type)}``) that every row group's exact min and max pass,
    the number of rows (None when the footers cannot be read), and the smallest value of each
    integer ``key_columns`` whose values all lie within 2**32 of it (exact statistics in every
    row group).
    Writers leave NaN out of float statistics; a NaN never fails a range check here either.
    """
    import duckdb

    if not all(s.format == "parquet" and s.on_disk for s in sources):
        return {}, set(), None, {}
    nulls = [c for c in dict.fromkeys(null_columns) if "." not in c]
    nulls = [c for c in nulls if all(c in s.columns for s in sources)]
    aggs = [
        "count(DISTINCT (file_name, row_group_id)) AS groups",
        "sum(row_group_num_rows) FILTER (WHERE column_id = 0) AS rows",
    ]
    for k, c in enumerate(nulls):
        where = f"path_in_schema = {sql_str(c)}"
        aggs += [
            f"count_if({where}) AS nc{k}",
            f"count_if({where} AND stats_null_count IS NOT NULL) AS ns{k}",
            f"coalesce(sum(stats_null_count) FILTER (WHERE {where}), 0) AS nn{k}",
        ]
    exact = "coalesce(min_is_exact, TRUE) AND coalesce(max_is_exact, TRUE)"
    for i, (p, column, sql_type) in range_checks.items():
        lo = check_sql(p, f"TRY_CAST(stats_min_value AS {sql_type})")
        hi = check_sql(p, f"TRY_CAST(stats_max_value AS {sql_type})")
        if lo is not None and hi is not None:
            aggs.append(
                f"count_if(path_in_schema = {sql_str(column)} "
                f"AND COALESCE({lo} AND {hi} AND {exact}, FALSE)) AS p{i}"
            )

    keys = [c for c in dict.fromkeys(key_columns) if "." not in c]
    for k, c in enumerate(keys):
        where = f"path_in_schema = {sql_str(c)} AND {exact}"
        aggs += [
            f"count_if({where} AND stats_min_value IS NOT NULL "
            f"AND stats_max_value IS NOT NULL) AS kc{k}",
            f"min(TRY_CAST(stats_min_value AS HUGEINT)) FILTER (WHERE {where}) AS klo{k}",
            f"max(TRY_CAST(stats_max_value AS HUGEINT)) FILTER (WHERE {where}) AS khi{k}",
        ]

    files = ", ".join(sql_str(str(s.path)) for s in sources)
    try:
        cur = con.execute(f"SELECT {', '.join(aggs)} FROM parquet_metadata([{files}])")
        row = cur.fetchall()[0]
        desc = [d[0] for d in cur.description or []]
    except duckdb.Error:
        # the scan settles everything (and reports an unreadable file)
        return {}, set(), None, {}
    got = dict(zip(desc, row, strict=True))
    groups = int(got.pop("groups") or 0)
    rows = got.pop("rows")
    if not groups:
        return {}, set(), None if rows is None else int(rows), {}
    ranges = {
        c: int(got[f"klo{k}"])
        for k, c in enumerate(keys)
        if got.pop(f"kc{k}") == groups
        and got[f"klo{k}"] is not None
        and got[f"khi{k}"] is not None
        and int(got[f"khi{k}"]) - int(got[f"klo{k}"]) < 1 << 32
    }
    for k in range(len(keys)):
        got.pop(f"klo{k}", None)
        got.pop(f"khi{k}", None)
    counted = {
        c: int(got[f"nn{k}"])
        for k, c in enumerate(nulls)
        if got[f"nc{k}"] == groups and got[f"ns{k}"] == groups
    }
    proven = {int(key[1:]) for key, n in got.items() if key.startswith("p") and n == groups}
    return counted, proven, None if rows is None else int(rows), ranges


def nested(sql_type: str) -> bool:
    return sql_type.endswith("]") or sql_type.startswith(("STRUCT", "MAP", "UNION"))
