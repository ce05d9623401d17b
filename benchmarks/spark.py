"""The Spark engine next to the DuckDB engine: validating the same file, in fresh processes.

``python -m benchmarks.spark [--rows 10M] [--masters local[2],local[1]] [--repeat N]``

Each run is the real command, ``datalife validate FILE --schema bench@1 --no-record --format
json --engine E``, on the clean Parquet table of :mod:`benchmarks.generate` (10 columns, the
``bench@1`` schema's 27 checks), in the same session of this script: DuckDB, then Spark with
``$DATALIFE_SPARK_MASTER`` set to each master. "wall" is the whole process (for Spark: the JVM's
start, about 8 s on two quiet cores, is in it); "peak RSS" is the largest process's high-water
mark (for Spark in local mode that is the driver's JVM, which runs the executors too). The
verdicts (valid, rows, failing counts) must agree between the engines. Results go to
``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from benchmarks._common import (
    describe_machine,
    fmt_bytes,
    fmt_ratio,
    fmt_seconds,
    machine_info,
    median,
    print_table,
    run_process,
    warm_page_cache,
    warn_if_busy,
    write_results,
)
from benchmarks.generate import SCHEMA_REF, _parse_rows, ensure_workspace, generate


def _verdict(stdout: str) -> tuple[Any, ...] | None:
    try:
        data = json.loads(stdout)
    except ValueError:
        return None
    failures = sorted((f["column"], f["check"], f["failure_count"]) for f in data["failures"])
    return data["valid"], data["rows"], tuple(failures)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="10M", help="rows of the table (10M, 1M, 250k...)")
    ap.add_argument("--masters", default="local[2],local[1]")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    rows = _parse_rows(args.rows)
    path = generate(rows, "parquet")
    root = ensure_workspace()
    busy = warn_if_busy()
    cmd = [sys.executable, "-m", "datalife", "validate", str(path), "--schema", SCHEMA_REF]
    cmd += ["--no-record", "--format", "json"]
    runs: dict[str, list[Any]] = {}
    plan = [("duckdb", {})] + [
        (f"spark {m}", {"DATALIFE_SPARK_MASTER": m}) for m in args.masters.split(",")
    ]
    for _ in range(args.repeat):
        for label, env in plan:
            warm_page_cache([path])
            engine = "duckdb" if label == "duckdb" else "spark"
            run = run_process([*cmd, "--engine", engine], label=label, cwd=root, env=env)
            runs.setdefault(label, []).append(run)
            print(f"{label}: {fmt_seconds(run.wall_s)}, {fmt_bytes(run.peak_rss)}", flush=True)
    reference = _verdict(runs["duckdb"][0].stdout)
    table = []
    base = median([r.wall_s for r in runs["duckdb"]])
    for label, done in runs.items():
        wall = median([r.wall_s for r in done])
        rss = median([float(r.peak_rss) for r in done])
        same = all(_verdict(r.stdout) == reference for r in done)
        ratio = None if wall is None or base is None else wall / base
        table.append([label, fmt_seconds(wall), fmt_bytes(rss), fmt_ratio(ratio), same])
    info = machine_info()
    print(describe_machine(info))
    if busy:
        print(busy)
    print_table(
        ["engine", "wall", "peak RSS", "x DuckDB", "same verdict"],
        table,
        title=f"validate {rows:,} rows ({path.name}, {SCHEMA_REF})",
    )
    write_results(
        "spark",
        {
            "rows": rows,
            "machine": info,
            "busy": busy,
            "runs": {k: [r.to_dict() for r in v] for k, v in runs.items()},
        },
        tag=str(rows),
    )
    return 0 if all(row[-1] for row in table) else 1


if __name__ == "__main__":
    raise SystemExit(main())
