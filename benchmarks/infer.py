"""Schema inference against DuckDB's ``SUMMARIZE`` on the same file, ratios from the same run.

``python -m benchmarks.infer [--only tall wide1k wide10k] [--rows 10M] [--repeat 1] [--timeout 900]``

* ``tall``: the 10-column table of :mod:`benchmarks.generate` as Parquet (10M rows by
  default). ``datalife schema infer FILE --name bench --dry-run --format json`` against
  ``SUMMARIZE SELECT * FROM read_parquet(FILE)``. Target: datalife wall <= 2x SUMMARIZE's.
* ``wide1k``: a CSV of 1,000 columns x 10,000 rows (ints, floats, 4-value strings, numeric
  strings, uniform floats; deterministic). Targets: datalife <= 5 s and <= 3x SUMMARIZE on the
  same CSV (``read_csv`` with its type sniffing).
* ``wide10k``: 10,000 columns x 10,000 rows, the same mix. Targets: datalife <= 60 s, peak
  RSS <= 2 GB (SUMMARIZE is run too, for the ratio).

On the wide CSVs two more engines measure the floor, what reading the file once costs DuckDB:
``read-text`` (``SELECT count(*) FROM read_csv(FILE, all_varchar=true)``, every field parsed as
text) and ``read-typed`` (``CREATE TABLE t AS SELECT * FROM read_csv(FILE)``: sniffed types,
parsed and stored, as inference's own load does). ``--no-floor`` skips them.

Every engine runs in a fresh process, round-robin; "wall" is the whole process (interpreter,
imports, work), "work" what the child timed after its imports. Results go to
``benchmarks/results/``. Big runs take minutes: run them once, not in a loop.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks._common import (
    Run,
    RunsSummary,
    compile_datalife,
    describe_machine,
    emit_result,
    fmt_bytes,
    fmt_ratio,
    fmt_seconds,
    machine_info,
    print_table,
    run_process,
    warn_if_busy,
    write_results,
)
from benchmarks.generate import DATA_DIR, generate, rows_arg

__all__ = ["main", "wide_csv"]

TASKS = ("tall", "wide1k", "wide10k")
ENGINES = ("summarize", "datalife")
FLOORS = ("read-text", "read-typed")
TALL_TARGET = 2.0
WIDE_RATIO_TARGET = 3.0
WIDE1K_SECONDS = 5.0
WIDE10K_SECONDS = 60.0
WIDE10K_RSS = 2e9
WIDE_ROWS = 10_000


def wide_csv(columns: int, rows: int = WIDE_ROWS, seed: int = 0) -> Path:
    """A deterministic CSV of ``columns`` x ``rows`` (written once, then reused)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pc

    path = DATA_DIR / f"wide_{columns}x{rows}_s{seed}.csv"
    if path.exists():
        return path
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    arrays: dict[str, Any] = {}
    letters = np.array(["a", "b", "c", "d"])
    for j in range(columns):
        kind = j % 5
        if kind == 0:
            arrays[f"c{j}"] = rng.integers(0, 1000, rows)
        elif kind == 1:
            arrays[f"c{j}"] = np.round(rng.normal(50, 10, rows), 3)
        elif kind == 2:
            arrays[f"c{j}"] = letters[rng.integers(0, 4, rows)]
        elif kind == 3:
            arrays[f"c{j}"] = rng.random(rows)
        else:
            arrays[f"c{j}"] = rng.integers(0, 10**6, rows).astype(str)
    tmp = path.with_suffix(".tmp")
    pc.write_csv(pa.table(arrays), tmp)
    tmp.replace(path)
    return path


# --------------------------------------------------------------------------------------------
# children


def _child_summarize(path: Path) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    t0 = time.perf_counter()
    rows = con.execute(f"SUMMARIZE SELECT * FROM '{path}'").fetchall()
    return {"work_s": time.perf_counter() - t0, "columns": len(rows)}


def _child_floor(engine: str, path: Path) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    t0 = time.perf_counter()
    if engine == "read-text":
        (row,) = con.execute(
            f"SELECT count(*) FROM read_csv('{path}', all_varchar = true)"
        ).fetchall()
        rows = int(row[0])
    else:
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}')")
        rows = int(con.execute("SELECT count(*) FROM t").fetchall()[0][0])
    return {"work_s": time.perf_counter() - t0, "rows": rows}


def _child_datalife(path: Path) -> dict[str, Any]:
    import duckdb  # noqa: F401  (imported by the command anyway: not timed)
    import pandera.pandas  # noqa: F401

    import datalife.schemas.infer  # noqa: F401
    from datalife.cli import main as cli_main

    buf = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(buf):
        code = cli_main(
            ["schema", "infer", str(path), "--name", "bench", "--dry-run", "--format", "json"]
        )
    work = time.perf_counter() - t0
    out = json.loads(buf.getvalue())
    return {
        "work_s": work,
        "exit_code": code,
        "rows": out["rows"],
        "columns": len(out["columns"]),
        "unique": out.get("unique") if len(out.get("unique") or []) < 20 else "every column",
    }


def _child(engine: str, path: Path) -> int:
    if engine == "summarize":
        result = _child_summarize(path)
    elif engine in FLOORS:
        result = _child_floor(engine, path)
    else:
        result = _child_datalife(path)
    emit_result(result)
    return 0


# --------------------------------------------------------------------------------------------
# parent


@dataclass
class Group(RunsSummary):
    task: str
    engine: str
    runs: list[Run]


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def _verdict(ok: bool | None) -> str:
    return {True: "PASS", False: "FAIL", None: "-"}[ok]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.infer", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--rows", type=rows_arg, default=10_000_000, help="rows of `tall`")
    parser.add_argument("--repeat", type=int, default=1, help="fresh-process runs per engine")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    parser.add_argument("--only", nargs="*", choices=TASKS, default=None, help="a subset")
    parser.add_argument(
        "--no-floor", action="store_true", help="skip DuckDB's reading of the wide CSVs alone"
    )
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        engine, path = args.child
        return _child(engine, Path(path))

    tasks = list(args.only or TASKS)
    info = machine_info()
    print(describe_machine(info))
    compile_datalife()
    busy = warn_if_busy()
    if busy:
        print(busy)
    data: dict[str, Path] = {}
    if "tall" in tasks:
        data["tall"] = generate(args.rows, "parquet")
    if "wide1k" in tasks:
        data["wide1k"] = wide_csv(1_000)
    if "wide10k" in tasks:
        data["wide10k"] = wide_csv(10_000)
    for task, path in data.items():
        print(f"{task}: {path} ({path.stat().st_size / 1e6:.0f} MB)")
    repo = Path(__file__).resolve().parent.parent
    env = {
        "PYTHONPATH": os.pathsep.join([str(repo), *filter(None, [os.environ.get("PYTHONPATH")])])
    }
    groups = {
        (t, e): Group(t, e, [])
        for t in tasks
        for e in (*ENGINES, *(FLOORS if t != "tall" and not args.no_floor else ()))
    }
    for i in range(args.repeat):
        for (task, engine), group in groups.items():
            print(f"  [{i + 1}/{args.repeat}] {task} {engine} ...", end=" ", flush=True)
            run = run_process(
                [sys.executable, "-m", "benchmarks.infer", "--child", engine, str(data[task])],
                label=f"{task}-{engine}",
                env=env,
                cwd=repo,
                timeout=args.timeout,
            )
            group.runs.append(run)
            tail = (run.stderr.strip().splitlines() or ["(no output)"])[-1]
            print(
                f"{fmt_seconds(run.wall_s)} wall, {fmt_seconds(run.work_s)} work, "
                f"{fmt_bytes(run.peak_rss)}" + ("" if run.result else f"  FAILED: {tail}"),
                flush=True,
            )
    rows = [
        [t, e, fmt_seconds(g.wall), fmt_seconds(g.work), fmt_bytes(g.rss)]
        for (t, e), g in groups.items()
    ]
    print_table(
        ["task", "engine", "wall", "work", "peak RSS"],
        rows,
        title=f"schema inference (median of {args.repeat} fresh processes)",
    )
    targets: list[list[Any]] = []

    def pair(task: str) -> tuple[Group, Group] | None:
        if (task, "datalife") not in groups:
            return None
        return groups[(task, "datalife")], groups[(task, "summarize")]

    found = pair("tall")
    if found:
        dl, sm = found
        r = _ratio(dl.wall, sm.wall)
        targets.append(
            [
                f"tall ({args.rows:,} rows): datalife / SUMMARIZE",
                fmt_ratio(r),
                f"<= {TALL_TARGET}x",
                r is not None and r <= TALL_TARGET,
            ]
        )
    found = pair("wide1k")
    if found:
        dl, sm = found
        r = _ratio(dl.wall, sm.wall)
        targets.append(
            [
                "wide1k: datalife / SUMMARIZE",
                fmt_ratio(r),
                f"<= {WIDE_RATIO_TARGET}x",
                r is not None and r <= WIDE_RATIO_TARGET,
            ]
        )
        targets.append(
            [
                "wide1k: datalife wall",
                fmt_seconds(dl.wall),
                f"<= {WIDE1K_SECONDS:g} s",
                dl.wall is not None and dl.wall <= WIDE1K_SECONDS,
            ]
        )
    found = pair("wide10k")
    if found:
        dl, sm = found
        targets.append(
            [
                "wide10k: datalife wall",
                fmt_seconds(dl.wall),
                f"<= {WIDE10K_SECONDS:g} s",
                dl.wall is not None and dl.wall <= WIDE10K_SECONDS,
            ]
        )
        targets.append(
            [
                "wide10k: datalife peak RSS",
                fmt_bytes(dl.rss),
                f"<= {fmt_bytes(WIDE10K_RSS)}",
                dl.rss is not None and dl.rss <= WIDE10K_RSS,
            ]
        )
        r = _ratio(dl.wall, sm.wall)
        targets.append(["wide10k: datalife / SUMMARIZE", fmt_ratio(r), "(info)", None])
    for task in ("wide1k", "wide10k"):
        found = pair(task)
        for floor in FLOORS:
            if found and (task, floor) in groups:
                fl = groups[(task, floor)]
                r = _ratio(found[0].wall, fl.wall)
                targets.append(
                    [f"{task}: datalife / {floor} (the floor)", fmt_ratio(r), "(info)", None]
                )
    if targets:
        print_table(
            ["target", "value", "limit", "verdict"],
            [[a, b, c, _verdict(d)] for a, b, c, d in targets],
            title="targets (issue 15)",
        )
    payload = {
        "benchmark": "infer",
        "rows": args.rows,
        "repeat": args.repeat,
        "data": {t: str(p) for t, p in data.items()},
        "machine": info,
        "groups": {
            f"{t}/{e}": {
                "wall_s": g.wall,
                "work_s": g.work,
                "peak_rss": g.rss,
                "result": g.result,
                "runs": [r.to_dict() for r in g.runs],
            }
            for (t, e), g in groups.items()
        },
        "targets": [{"name": a, "value": b, "limit": c, "passed": d} for a, b, c, d in targets],
    }
    written = write_results("infer", payload, tag="-".join(tasks))
    print(f"\nresults: {written}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
