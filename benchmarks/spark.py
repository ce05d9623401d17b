"""The Spark engine next to the DuckDB engine: validating the same file, in fresh processes.

``python -m benchmarks.spark [--rows 10M] [--masters local[2],local[1]] [--repeat N]``

Each run is the real command, ``datalife validate FILE --schema bench@1 --no-record --format
json --engine E``, on the clean Parquet table of :mod:`benchmarks.generate` (10 columns, the
``bench@1`` schema's 27 checks), in the same session of this script: DuckDB, then Spark with
``$DATALIFE_SPARK_MASTER`` set to each master. "wall" is the whole process (for Spark: the JVM's
start, about 8 s on two quiet cores, is in it); "peak RSS" is the Python process's high-water
mark, and the driver JVM's (in local mode it runs the executors too) is read from its
``VmHWM`` before the command exits. The
verdicts (valid, rows, failing counts) must agree between the engines. Results go to
``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
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

# the CLI run in-process, then the peak RSS (VmHWM) of this process's children: the JVM that
# pyspark starts is a child the process never waits for, so GNU time does not count it
_CHILD = """
import sys, psutil
from benchmarks._common import emit_result
from datalife.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
peak = 0
for kid in psutil.Process().children(recursive=True):
    try:
        with open(f"/proc/{kid.pid}/status") as fh:
            hwm = [l for l in fh if l.startswith("VmHWM:")]
        peak = max(peak, int(hwm[0].split()[1]) * 1024 if hwm else 0)
    except OSError:
        pass
emit_result({"jvm_peak_rss": peak})
sys.exit(code or 0)
"""


def _verdict(stdout: str) -> tuple[Any, ...] | None:
    text = "\n".join(line for line in stdout.splitlines() if not line.startswith("BENCH_RESULT"))
    try:
        data = json.loads(text)
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
    cmd = [sys.executable, "-c", _CHILD, "validate", str(path), "--schema", SCHEMA_REF]
    cmd += ["--no-record", "--format", "json"]
    runs: dict[str, list[Any]] = {}
    # the child imports benchmarks._common from this checkout (it runs in the workspace)
    repo = {"PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    plan: list[tuple[str, dict[str, str]]] = [("duckdb", repo)] + [
        (f"spark {m}", {**repo, "DATALIFE_SPARK_MASTER": m}) for m in args.masters.split(",")
    ]
    for _ in range(args.repeat):
        for label, env in plan:
            warm_page_cache([path])
            engine = "duckdb" if label == "duckdb" else "spark"
            run = run_process([*cmd, "--engine", engine], label=label, cwd=root, env=env)
            runs.setdefault(label, []).append(run)
            jvm = (run.result or {}).get("jvm_peak_rss") or 0
            shown = f"{fmt_bytes(run.peak_rss)} (JVM {fmt_bytes(jvm)})"
            print(f"{label}: {fmt_seconds(run.wall_s)}, {shown}", flush=True)
    reference = _verdict(runs["duckdb"][0].stdout)
    table = []
    base = median([r.wall_s for r in runs["duckdb"]])
    for label, done in runs.items():
        wall = median([r.wall_s for r in done])
        rss = median([float(r.peak_rss) for r in done])
        jvm = median([float((r.result or {}).get("jvm_peak_rss") or 0) for r in done])
        same = reference is not None and all(_verdict(r.stdout) == reference for r in done)
        ratio = None if wall is None or base is None else wall / base
        shown = fmt_bytes(jvm) if jvm else "-"
        table.append([label, fmt_seconds(wall), fmt_bytes(rss), shown, fmt_ratio(ratio), same])
    info = machine_info()
    print(describe_machine(info))
    if busy:
        print(busy)
    print_table(
        ["engine", "wall", "peak RSS (Python)", "driver JVM peak RSS", "x DuckDB", "same verdict"],
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
