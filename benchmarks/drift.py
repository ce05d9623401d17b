"""What SciPy costs ``datalife drift``: its p-values, against the same command without them.

``python -m benchmarks.drift [--rows 10k] [--repeat 5] [--timeout 120]``

The drift p-values (``ks_pvalue`` for numbers, ``chi2_pvalue`` for categories) are SciPy's own:
``scipy.stats.kstwo`` and ``scipy.special.chdtrc``, imported when the first p-value is computed.
Nothing else in ``datalife drift`` needs SciPy, so the import is paid by the commands that
report a p-value, once per process. On two versions of the table of :mod:`benchmarks.generate`
(CSV, ``--rows`` rows each: seeds 0 and 1, the same distributions), each task runs in a fresh
process, round-robin:

* ``drift-profiles``: ``datalife drift a.json b.json --format json`` on the two saved profiles
  (made by the parent before the runs, not timed);
* ``drift-profiles-no-p``: the same with p-values not asked for (the command's call made as
  ``drift(..., pvalues=False)``): on these two versions no column is over a threshold, so no
  p-value is computed and SciPy is not imported (the child reports it). The baseline: what the
  command costs without SciPy;
* ``drift-files`` and ``drift-files-no-p``: the same on the two CSV files (profiled by the
  command: DuckDB and numpy are imported too);
* ``scipy-imports``: after numpy, ``import scipy.special`` and then ``import scipy.stats``,
  each timed on its own (what the chi-square and the KS p-values add to a process).

"wall" is the whole process; "work" is what the child timed around the command (after
importing the CLI); "CPU" is the process's CPU time (user + system, all threads) from its start
to the end of the command, steadier than wall time on a busy machine; "again" is the same
command run a second time in the same process (SciPy already imported: what a notebook or a
pipeline pays per further comparison). The ratios are each task's wall and CPU time over its
baseline's, measured in the same run. Results go to
``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

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

__all__ = ["main"]

DRIFT_TASKS = ("drift-profiles", "drift-profiles-no-p", "drift-files", "drift-files-no-p")
TASKS = (*DRIFT_TASKS, "scipy-imports")
LABELS = {
    "drift-profiles": "datalife drift, two saved profiles",
    "drift-profiles-no-p": "  the same, p-values not asked for",
    "drift-files": "datalife drift, two CSV files",
    "drift-files-no-p": "  the same, p-values not asked for",
    "scipy-imports": "import scipy.special, then scipy.stats",
}
#: the baseline of each task that computes p-values
BASELINE = {"drift-profiles": "drift-profiles-no-p", "drift-files": "drift-files-no-p"}
PROFILE_DIR = DATA_DIR / "drift_profiles"


# --------------------------------------------------------------------------------------------
# children


def _ask_for_no_pvalues() -> None:
    """Make the CLI's call ``drift(..., pvalues=False)`` (the command has no such option)."""
    import datalife.drift

    datalife.drift.drift = functools.partial(datalife.drift.drift, pvalues=False)


def _drift_once(base: Path, current: Path) -> tuple[float, int, dict[str, Any]]:
    from datalife.cli import main as cli_main

    buf = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(buf):
        code = cli_main(["drift", str(base), str(current), "--format", "json"])
    took = time.perf_counter() - t0
    out: dict[str, Any] = json.loads(buf.getvalue())
    return took, code, out


def _child_drift(task: str, base: Path, current: Path) -> dict[str, Any]:
    import datalife.cli
    import datalife.drift.metrics  # noqa: F401  (numpy: imported by the command anyway)

    if task.endswith("-no-p"):
        _ask_for_no_pvalues()
    work, code, out = _drift_once(base, current)
    cpu = _cpu_seconds()
    scipy_stats_first = "scipy.stats" in sys.modules
    again, _, _ = _drift_once(base, current)
    columns = out["columns"]
    return {
        "work_s": work,
        "cpu_s": cpu,
        "again_s": again,
        "exit_code": code,
        "scipy_special": "scipy.special" in sys.modules,
        "scipy_stats": scipy_stats_first,
        "drifted_columns": out["drifted_columns"],
        "pvalues": {
            c["column"]: c["ks_pvalue"] if c["ks_pvalue"] is not None else c["chi2_pvalue"]
            for c in columns
            if c["status"] in ("ok", "drift")
        },
    }


def _cpu_seconds() -> float:
    """CPU time of this process so far (user + system, every thread)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child_imports() -> dict[str, Any]:
    import numpy  # noqa: F401

    c0, t0 = _cpu_seconds(), time.perf_counter()
    import scipy.special

    c1, t1 = _cpu_seconds(), time.perf_counter()
    import scipy.stats  # noqa: F401

    c2, t2 = _cpu_seconds(), time.perf_counter()
    return {
        "work_s": t2 - t0,
        "cpu_s": c2,
        "scipy_special_s": t1 - t0,
        "scipy_stats_s": t2 - t1,
        "scipy_special_cpu_s": c1 - c0,
        "scipy_stats_cpu_s": c2 - c1,
    }


def _child(task: str, base: Path, current: Path) -> int:
    if task in DRIFT_TASKS:
        result = _child_drift(task, base, current)
    elif task == "scipy-imports":
        result = _child_imports()
    else:
        raise SystemExit(f"unknown task {task!r}")
    emit_result(result)
    return 0


# --------------------------------------------------------------------------------------------
# parent


@dataclass
class Group(RunsSummary):
    task: str
    runs: list[Run]
    ok_codes: ClassVar[tuple[int, ...]] = (0, 1)  # drift exits 1 when it finds drift

    def median_of(self, key: str) -> float | None:
        values = [r.result.get(key) for r in self.ok_runs if r.result is not None]
        present = sorted(float(v) for v in values if v is not None)
        if not present:
            return None
        mid = len(present) // 2
        return present[mid] if len(present) % 2 else (present[mid - 1] + present[mid]) / 2

    @property
    def error(self) -> str | None:
        bad = [r for r in self.runs if r.returncode not in self.ok_codes or r.result is None]
        if not bad:
            return None
        tail = (bad[0].stderr.strip().splitlines() or ["(no output)"])[-1]
        return f"exit {bad[0].returncode}: {tail}"


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def _save_profiles(paths: Sequence[Path], env: dict[str, str], cwd: Path) -> list[Path]:
    PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    out = []
    for p in paths:
        target = PROFILE_DIR / f"{p.stem}.json"
        cmd = [sys.executable, "-m", "datalife", "stats", str(p), "--out", str(target)]
        run = run_process([*cmd, "--format", "json"], env=env, cwd=cwd)
        if run.returncode != 0:
            raise SystemExit(f"could not profile {p}: {run.stderr[-500:]}")
        out.append(target)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.drift", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--rows", type=rows_arg, default=10_000, help="rows per file (10k, ...)")
    parser.add_argument("--repeat", type=int, default=5, help="fresh-process runs per task")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per run")
    parser.add_argument(
        "--child", nargs=3, metavar=("TASK", "BASE", "CURRENT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        task, base, current = args.child
        return _child(task, Path(base), Path(current))

    info = machine_info()
    print(describe_machine(info))
    compile_datalife()
    busy = warn_if_busy()
    if busy:
        print(busy)
    files = [generate(args.rows, "csv", seed=seed) for seed in (0, 1)]
    print(f"data: {files[0].name}, {files[1].name} ({args.rows:,} rows each)")
    repo = Path(__file__).resolve().parent.parent
    env = {
        "PYTHONPATH": os.pathsep.join([str(repo), *filter(None, [os.environ.get("PYTHONPATH")])])
    }
    groups = {t: Group(t, []) for t in TASKS}
    # outside any workspace: the default thresholds, no dataset lookup
    with tempfile.TemporaryDirectory(prefix="datalife-bench-drift-") as tmp:
        cwd = Path(tmp)
        profiles = _save_profiles(files, env, cwd)
        for i in range(args.repeat):
            for task, group in groups.items():
                a, b = profiles if task.startswith("drift-profiles") else files
                print(f"  [{i + 1}/{args.repeat}] {LABELS[task].strip()} ...", end=" ", flush=True)
                run = run_process(
                    [sys.executable, "-m", "benchmarks.drift", "--child", task, str(a), str(b)],
                    label=task,
                    env=env,
                    cwd=cwd,
                    timeout=args.timeout,
                )
                group.runs.append(run)
                print(
                    f"{fmt_seconds(run.wall_s)} wall, {fmt_seconds(run.work_s)} work, "
                    f"{fmt_bytes(run.peak_rss)}"
                    + ("" if run.result else f"  FAILED: {group.error}"),
                    flush=True,
                )

    rows = []
    for task, g in groups.items():
        ref = groups.get(BASELINE.get(task, ""))
        cpu = g.median_of("cpu_s")
        vs = ""
        if ref:
            ratios = (_ratio(g.wall, ref.wall), _ratio(cpu, ref.median_of("cpu_s")))
            vs = f"{fmt_ratio(ratios[0])} / {fmt_ratio(ratios[1])}"
        again = g.median_of("again_s")
        rows.append(
            [
                LABELS[task],
                fmt_seconds(g.wall),
                fmt_seconds(g.work),
                fmt_seconds(cpu),
                fmt_seconds(again) if again is not None else "",
                fmt_bytes(g.rss),
                vs,
            ]
        )
    print_table(
        ["task", "wall", "work", "CPU", "again", "peak RSS", "vs baseline (wall / CPU)"],
        rows,
        title=f"drift of {args.rows:,} rows, and SciPy (median of {args.repeat} fresh processes)",
    )
    imports = groups["scipy-imports"]
    paid: list[list[Any]] = []
    for what, key in (("wall", "_s"), ("CPU", "_cpu_s")):
        paid += [
            [
                f"import scipy.special (after numpy), {what}",
                fmt_seconds(imports.median_of(f"scipy_special{key}")),
            ],
            [
                f"import scipy.stats (after scipy.special), {what}",
                fmt_seconds(imports.median_of(f"scipy_stats{key}")),
            ],
        ]
    for task, base_task in BASELINE.items():
        for what, with_p, without in (
            ("wall", groups[task].wall, groups[base_task].wall),
            ("CPU", groups[task].median_of("cpu_s"), groups[base_task].median_of("cpu_s")),
        ):
            d = None if with_p is None or without is None else with_p - without
            paid.append([f"{LABELS[task]}: {what} - baseline {what}", fmt_seconds(d)])
    print_table(["what SciPy costs", "time"], paid, title="where the import is paid")
    for task in DRIFT_TASKS:
        found = groups[task].result
        if found:
            print(
                f"{LABELS[task].strip()}: scipy.special imported {found.get('scipy_special')}, "
                f"scipy.stats {found.get('scipy_stats')}, "
                f"drifted columns {found.get('drifted_columns')}"
            )
    payload = {
        "benchmark": "drift",
        "rows": args.rows,
        "repeat": args.repeat,
        "data": [str(f) for f in files],
        "machine": info,
        "groups": {
            t: {
                "label": LABELS[t].strip(),
                "wall_s": g.wall,
                "work_s": g.work,
                "cpu_s": g.median_of("cpu_s"),
                "again_s": g.median_of("again_s"),
                "peak_rss": g.rss,
                "result": g.result,
                "runs": [r.to_dict() for r in g.runs],
            }
            for t, g in groups.items()
        },
        "scipy_special_s": imports.median_of("scipy_special_s"),
        "scipy_stats_s": imports.median_of("scipy_stats_s"),
        "scipy_special_cpu_s": imports.median_of("scipy_special_cpu_s"),
        "scipy_stats_cpu_s": imports.median_of("scipy_stats_cpu_s"),
    }
    written = write_results("drift", payload, tag=f"{args.rows}")
    print(f"\nresults: {written}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
