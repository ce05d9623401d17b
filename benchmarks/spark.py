"""The Spark engine next to the DuckDB engine: validating (or profiling) the same file, in
fresh processes.

``python -m benchmarks.spark [validate|profile|split] [--rows 10M] [--masters local[2],local[1]] [--repeat N]``

Each run is the real command, ``datalife validate FILE --schema bench@1 --no-record --format
json --engine E``, on the clean Parquet table of :mod:`benchmarks.generate` (10 columns, the
``bench@1`` schema's 27 checks), in the same session of this script: DuckDB, then Spark with
``$DATALIFE_SPARK_MASTER`` set to each master. "wall" is the whole process (for Spark: the JVM's
start, about 8 s on two quiet cores, is in it); "peak RSS" is the Python process's high-water
mark, and the driver JVM's (in local mode it runs the executors too) is read from its
``VmHWM`` before the command exits. The
verdicts (valid, rows, failing counts) must agree between the engines. Results go to
``benchmarks/results/``.

``split`` times ``datalife split FILE --key id --out DIR --no-record --format json --engine E``
(the stable key-hash split: each engine must put the same rows in train, dev and test, so the
split sizes must be equal; Spark writes each split as a directory of Parquet parts).

``profile`` times ``datalife stats FILE --format json --engine E`` instead; the profiles must
agree: every field equal, except the floating-point moments (within 1e-9 relative: Spark merges
them from partitions) and the counts of a string column with more distinct values than the
value table keeps (merged from partitions: an HLL distinct count and bounded top counts).
"""

from __future__ import annotations

import argparse
import json
import math
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


_MOMENTS = ("mean", "std", "m2")


def _close(a: Any, b: Any, key: str = "") -> bool:
    """Two profile JSON values agree: equal, the moments within 1e-9 relative."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], k) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, key) for x, y in zip(a, b, strict=True))
    if key in _MOMENTS and isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return bool(a == b)


# what a column whose value table was cut (more distinct values than max_values) may state
# differently when merged from partitions: an HLL distinct count and bounded top counts
_CUT = ("distinct", "distinct_method", "top", "top_count_error")


def _profile(stdout: str) -> dict[str, Any] | None:
    """The profile a run printed, without what legitimately differs between the engines
    (where it was computed; the counts of a value table that was cut)."""
    text = "\n".join(line for line in stdout.splitlines() if not line.startswith("BENCH_RESULT"))
    try:
        data: dict[str, Any] = json.loads(text)
    except ValueError:
        return None
    data.pop("computed_by", None)
    for c in data.get("columns", []):
        values = c.get("state", {}).get("values")
        if values is not None and (not values["complete"] or c["distinct_method"] == "hll"):
            for key in _CUT:
                c.pop(key, None)
            c["state"].pop("values")
    return data


def _sizes(stdout: str) -> list[tuple[str, int]] | None:
    """The rows of each split in ``datalife split --format json`` output (None: no report)."""
    text = "\n".join(line for line in stdout.splitlines() if not line.startswith("BENCH_RESULT"))
    try:
        report = json.loads(text)
        return [(str(s["split"]), int(s["rows"])) for s in report["sizes"]]
    except (ValueError, KeyError, TypeError):
        return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", nargs="?", choices=["validate", "profile", "split"], default="validate")
    ap.add_argument("--rows", default="10M", help="rows of the table (10M, 1M, 250k...)")
    ap.add_argument("--masters", default="local[2],local[1]")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    rows = _parse_rows(args.rows)
    path = generate(rows, "parquet")
    root = ensure_workspace()
    busy = warn_if_busy()
    if args.what == "profile":
        cmd = [sys.executable, "-c", _CHILD, "stats", str(path), "--format", "json"]
    elif args.what == "split":
        out = root / "split-out"  # each run replaces the previous run's splits
        cmd = [sys.executable, "-c", _CHILD, "split", str(path), "--key", "id", "--out", str(out)]
        cmd += ["--no-record", "--format", "json"]
    else:
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
    if args.what == "split":
        base_sizes = _sizes(runs["duckdb"][0].stdout)

        def same(r: Any) -> bool:
            return base_sizes is not None and _sizes(r.stdout) == base_sizes
    elif args.what == "profile":
        base_profile = _profile(runs["duckdb"][0].stdout)

        def same(r: Any) -> bool:
            got = _profile(r.stdout)
            return base_profile is not None and got is not None and _close(base_profile, got)
    else:
        reference = _verdict(runs["duckdb"][0].stdout)

        def same(r: Any) -> bool:
            return reference is not None and _verdict(r.stdout) == reference

    table = []
    base = median([r.wall_s for r in runs["duckdb"]])
    for label, done in runs.items():
        wall = median([r.wall_s for r in done])
        rss = median([float(r.peak_rss) for r in done])
        jvm = median([float((r.result or {}).get("jvm_peak_rss") or 0) for r in done])
        agree = all(same(r) for r in done)
        ratio = None if wall is None or base is None else wall / base
        shown = fmt_bytes(jvm) if jvm else "-"
        table.append([label, fmt_seconds(wall), fmt_bytes(rss), shown, fmt_ratio(ratio), agree])
    info = machine_info()
    print(describe_machine(info))
    if busy:
        print(busy)
    print_table(
        [
            "engine",
            "wall",
            "peak RSS (Python)",
            "driver JVM peak RSS",
            "x DuckDB",
            {"profile": "same profile", "split": "same splits"}.get(args.what, "same verdict"),
        ],
        table,
        title=f"validate {rows:,} rows ({path.name}, {SCHEMA_REF})"
        if args.what == "validate"
        else f"{args.what} {rows:,} rows ({path.name})",
    )
    write_results(
        "spark" if args.what == "validate" else f"spark_{args.what}",
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
