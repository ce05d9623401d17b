"""CLI start-up time: ``datalife --help``, ``--version`` and a no-op ``validate``, vs ``python``.

``python -m benchmarks.startup [--runs 20] [--warmup 2]``

Like hyperfine: each command runs ``--warmup`` times unmeasured, then ``--runs`` times in fresh
processes; the median is reported with min/max and peak RSS. The commands:

* ``python -c pass``: the floor, the interpreter alone;
* ``datalife --version`` and ``datalife --help`` (the console script of this environment);
* ``datalife validate x.csv`` in a workspace where ``x.csv`` belongs to no dataset: what a
  pre-commit hook pays when a commit touches a file no dataset covers (it exits 2);
* for scale, ``python -c "import X"`` for pandas, pandera.pandas and duckdb: what each
  command would pay if it imported them.

Target (issue 2): ``datalife --help`` <= 0.25 s wall. Each datalife command also runs once
under ``python -X importtime`` to list the heavy packages it imported (there should be none).
``--rows`` is accepted, and ignored, so ``python -m benchmarks --rows N`` can pass it to all.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._common import (
    Run,
    compile_datalife,
    datalife_cmd,
    describe_machine,
    fmt_bytes,
    fmt_ratio,
    fmt_seconds,
    machine_info,
    print_table,
    run_process,
    warn_if_busy,
    write_results,
)

__all__ = ["HEAVY", "heavy_imports", "main"]

HELP_TARGET = 0.25  # seconds
HEAVY = ("pandas", "pandera", "pyarrow", "polars", "duckdb", "networkx", "numpy")


def heavy_imports(importtime_stderr: str, heavy: Sequence[str] = HEAVY) -> list[str]:
    """The top-level packages in ``heavy`` that ``-X importtime`` output shows imported.

    Examples:
        >>> heavy_imports("import time:  10 |  10 |   pandas_stubs\\nimport time: 5 | 9 | duckdb")
        ['duckdb']
    """
    found: set[str] = set()
    for line in importtime_stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line.split("|")
        if len(parts) < 3:
            continue
        module = parts[2].strip()
        top = module.split(".")[0]
        if top in heavy:
            found.add(top)
    return sorted(found)


def _workspace() -> Path:
    from datalife.config import init_workspace

    root = Path(tempfile.mkdtemp(prefix="datalife-startup-"))
    init_workspace(root)
    (root / "x.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    return root


def _stats(runs: Sequence[Run]) -> dict[str, Any]:
    walls = [r.wall_s for r in runs]
    return {
        "median_s": statistics.median(walls),
        "mean_s": statistics.fmean(walls),
        "stdev_s": statistics.stdev(walls) if len(walls) > 1 else 0.0,
        "min_s": min(walls),
        "max_s": max(walls),
        "peak_rss_bytes": max(r.peak_rss for r in runs),
        "exit_codes": sorted({r.returncode for r in runs}),
        "runs": len(runs),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.startup", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--runs", type=int, default=20, help="measured runs per command")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured runs first")
    parser.add_argument("--rows", default=None, help=argparse.SUPPRESS)  # uniform interface
    args = parser.parse_args(argv)

    info = machine_info()
    print(f"machine: {describe_machine(info)}")
    compile_datalife()
    busy = warn_if_busy()
    if busy:
        print(busy)
    ws = _workspace()
    try:
        return _run(args, info, ws)
    finally:
        shutil.rmtree(ws, ignore_errors=True)


def _run(args: argparse.Namespace, info: dict[str, Any], ws: Path) -> int:
    dl = datalife_cmd()
    py = sys.executable
    ref_runs = max(3, args.runs // 4)
    commands: list[tuple[str, list[str], int, list[str] | None]] = [
        # (name, command, runs, the same under `python -X importtime -m datalife`)
        ("python -c pass", [py, "-c", "pass"], args.runs, None),
        ("datalife --version", [*dl, "--version"], args.runs, ["--version"]),
        ("datalife --help", [*dl, "--help"], args.runs, ["--help"]),
        (
            "datalife validate x.csv (no dataset)",
            [*dl, "validate", "x.csv"],
            args.runs,
            ["validate", "x.csv"],
        ),
        ('python -c "import duckdb"', [py, "-c", "import duckdb"], ref_runs, None),
        ('python -c "import pandas"', [py, "-c", "import pandas"], ref_runs, None),
        ('python -c "import pandera.pandas"', [py, "-c", "import pandera.pandas"], ref_runs, None),
    ]
    results: list[dict[str, Any]] = []
    print(f"\n{args.runs} runs per datalife command after {args.warmup} warm-up runs (cwd {ws})")
    for name, cmd, runs, importtime_args in commands:
        for _ in range(args.warmup):
            run_process(cmd, cwd=ws)
        measured = [run_process(cmd, label=name, cwd=ws) for _ in range(runs)]
        stats = _stats(measured)
        heavy: list[str] | None = None
        if importtime_args is not None:
            traced = run_process(
                [py, "-X", "importtime", "-m", "datalife", *importtime_args], cwd=ws
            )
            heavy = heavy_imports(traced.stderr)
        results.append({"command": name, "argv": cmd, **stats, "heavy_imports": heavy})
        print(f"  {name}: median {fmt_seconds(stats['median_s'])}", flush=True)

    floor = results[0]["median_s"]
    rows = []
    for r in results:
        heavy = r["heavy_imports"]
        rows.append(
            [
                r["command"],
                fmt_seconds(r["median_s"]),
                f"{r['stdev_s'] * 1000:.1f} ms",
                f"{fmt_seconds(r['min_s'])} .. {fmt_seconds(r['max_s'])}",
                fmt_bytes(r["peak_rss_bytes"]),
                fmt_ratio(r["median_s"] / floor),
                f"+{(r['median_s'] - floor) * 1000:.0f} ms",
                ",".join(map(str, r["exit_codes"])),
                "-" if heavy is None else (", ".join(heavy) or "none"),
            ]
        )
    print_table(
        [
            "command",
            "median",
            "stdev",
            "range",
            "peak RSS",
            "vs python",
            "overhead",
            "exit",
            "heavy imports",
        ],
        rows,
        title="Start-up (fresh processes)",
    )
    help_s = next(r["median_s"] for r in results if r["command"] == "datalife --help")
    passed = help_s <= HELP_TARGET
    print(
        f"\ntarget: datalife --help <= {HELP_TARGET} s: {fmt_seconds(help_s)} "
        f"{'PASS' if passed else 'FAIL'}"
    )
    clean = all(not r["heavy_imports"] for r in results if r["heavy_imports"] is not None)
    print(f"no heavy imports in the datalife commands: {'PASS' if clean else 'FAIL'}")
    payload = {
        "benchmark": "startup",
        "runs": args.runs,
        "warmup": args.warmup,
        "machine": info,
        "results": results,
        "targets": [
            {
                "name": "datalife --help wall",
                "value": help_s,
                "limit": HELP_TARGET,
                "passed": passed,
            },
            {"name": "no heavy imports", "passed": clean},
        ],
    }
    path = write_results("startup", payload)
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
