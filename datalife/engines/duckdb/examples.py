"""The example rows of failing checks: short queries that stop at the first few matches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from datalife.engines.report import MAX_EXAMPLES, Example, Failure
from datalife.errors import DatalifeError
from datalife.plan.compile import PlannedCheck
from datalife.reading import Source

if TYPE_CHECKING:
    import duckdb

__all__ = ["first_rows", "in_pool", "python_check"]

_T = TypeVar("_T")

_J = TypeVar("_J")


def in_pool(
    jobs: Sequence[_J],
    workers: int,
    run: Callable[[duckdb.DuckDBPyConnection, _J], _T],
    con: duckdb.DuckDBPyConnection,
) -> list[_T]:
    """``[run(cursor, job) for job in jobs]`` on ``workers`` threads, each job on a cursor of
    ``con`` of its own (on ``con`` itself with one worker); the first error is raised once
    the running jobs end, and the jobs not started are dropped."""
    if workers <= 1 or len(jobs) <= 1:
        return [run(con, job) for job in jobs]
    from concurrent.futures import ThreadPoolExecutor

    def on_cursor(job: _J) -> _T:
        cur = con.cursor()
        try:
            return run(cur, job)
        finally:
            cur.close()

    with ThreadPoolExecutor(min(workers, len(jobs)), thread_name_prefix="datalife") as pool:
        futures = [pool.submit(on_cursor, job) for job in jobs]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def first_rows(
    con: duckdb.DuckDBPyConnection,
    sources: Sequence[Source],
    scan_of: Callable[[int], str],
    cond: str,
    exprs: Sequence[str],
    limit: int = MAX_EXAMPLES,
    *,
    ordered: bool = False,
) -> list[tuple[Any, ...]]:
    """``(file index, row, *exprs)`` of the first ``limit`` rows, in file order, where ``cond``
    (``scan_of(i)`` reads source ``i`` as the typed union does).

    Each file is scanned on its own with a plain ``LIMIT``: the connection preserves insertion
    order through scans, filters and the row-number window, so DuckDB returns the first
    matches in order and stops reading once it has them (an ``ORDER BY ... LIMIT`` reads every
    row). ``ordered=True`` adds the ``ORDER BY`` for conditions with a join (``IN (SELECT
    ...)``), whose output order DuckDB does not keep. Only failing checks get here, so a clean
    file never pays for examples.
    """
    out: list[tuple[Any, ...]] = []
    for i in range(len(sources)):
        need = limit - len(out)
        if need <= 0:
            break
        scan = scan_of(i)
        out.extend(
            con.execute(
                f"SELECT __file, __row, {', '.join(exprs)} FROM ({scan}) WHERE {cond} "
                + ("ORDER BY __row " if ordered else "")
                + f"LIMIT {need}"
            ).fetchall()
        )
    return out


_BATCH = 200_000


def python_check(
    con: duckdb.DuckDBPyConnection,
    p: PlannedCheck,
    typed: str,
    union: str,
    sources: Sequence[Source],
    names: Sequence[str],
) -> Failure | None:
    import pandas as pd

    fn = p.obj.fn if p.obj is not None else None
    if fn is None:
        return None
    reader = con.sql(
        f"SELECT __file, __row, {typed} AS v FROM ({union}) WHERE {typed} IS NOT NULL"
    ).to_arrow_reader(_BATCH)
    count = 0
    exs: list[Example] = []
    for batch in reader:
        frame = batch.to_pandas()
        series: pd.Series[Any] = frame["v"]
        try:
            ok = fn(series)
        except Exception as exc:  # noqa: BLE001 - user check code may raise anything
            raise DatalifeError(
                f"check {p.detail} on column {p.column!r} raised {type(exc).__name__}: {exc}",
                column=p.column,
                hint="fix the check function.",
            ) from None
        passed = getattr(ok, "check_passed", ok)
        passed = getattr(ok, "check_output", passed)
        mask = ~pd.Series(passed).astype(bool).to_numpy()
        bad = frame[mask]
        count += len(bad)
        for f_idx, r, v in bad.head(MAX_EXAMPLES - len(exs)).itertuples(index=False):
            src = sources[int(f_idx)]
            line = (int(r) + 2) if src.format == "csv" else None
            exs.append(Example(v, int(r), names[int(f_idx)], line))
    if not count:
        return None
    return Failure(p.column, p.check, p.detail, count, tuple(exs), f"failed {p.detail}")
