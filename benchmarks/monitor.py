"""Monitoring: one batch with five slices against one ``datalife stats``; a 10,000-batch history.

``python -m benchmarks.monitor [--rows 10M] [--repeat 3] [--batches 10000] [--only TASK ...]``

Tasks (fresh processes, round-robin, medians):

* ``stats``: ``datalife stats BATCH --format json``: one full profile of the batch file.
* ``monitor``: ``datalife monitor bench BATCH --format json`` with five slice definitions
  (``category``, ``channel``, ``channel,label``, ``amount > 500``, and the label's classes),
  against a reference whose profile and slice summary are already in the history store (as
  after the first batch of a real deployment). Every repeat starts from a copy of that store, so
  the batch is new each time. Target: monitor wall <= 2x stats wall, in the same run.
* ``history``: ``datalife monitor history bench`` (the last 20 batches) on a store holding
  10,000 batches (each with the values of 10 columns and 5 slices, ~310 rows of metrics:
  3.1M rows), and ``history-json``: ``--all --format json`` (every batch). Target: <= 200 ms.
  ``history-work`` is the library call alone, timed in this process.

The batch is :mod:`benchmarks.generate`'s table with seed 1; the reference the same table with
seed 0. Results go to ``benchmarks/results/monitor-*.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._common import (
    compile_datalife,
    datalife_cmd,
    fmt_seconds,
    machine_info,
    print_table,
    run_process,
    warn_if_busy,
    write_results,
)
from benchmarks.generate import DATA_DIR, generate, rows_arg

__all__ = ["main"]

TASKS = ("stats", "monitor", "history", "history-json")
TARGET_RATIO = 2.0
TARGET_HISTORY_S = 0.2
SCHEMA = """\
format_version: 1
name: bench
version: 1
columns:
  label: {role: label}
  id: {role: identifier}
  created_at: {role: timestamp}
slices:
- columns: [category]
- columns: [channel]
- columns: [channel, label]
- name: large_amount
  where: amount > 500
schema:
  schema_type: dataframe
  columns: {}
"""


def _workspace(root: Path, reference: Path) -> Path:
    """A workspace whose dataset ``bench`` is the reference file (hard-linked in)."""
    if root.exists():
        shutil.rmtree(root)
    (root / "ref").mkdir(parents=True)
    (root / "schemas" / "bench").mkdir(parents=True)
    # a hard link: the dataset globs skip symbolic links
    (root / "ref" / "bench.parquet").hardlink_to(reference.resolve())
    (root / "datalife.toml").write_text(
        'format_version = 1\n[datasets.bench]\nfiles = ["ref/*.parquet"]\n', encoding="utf-8"
    )
    (root / "schemas" / "bench" / "1.yaml").write_text(SCHEMA, encoding="utf-8")
    return root


def _history_store(path: Path, batches: int) -> None:
    """A store with ``batches`` synthetic batches (SQL-generated, the real tables)."""
    import duckdb

    from datalife.monitor.store import open_store

    path.unlink(missing_ok=True)
    open_store(path).close()
    con = duckdb.connect(str(path))
    con.execute(
        "INSERT INTO batches SELECT 'bench', s, md5(s::VARCHAR), 'batch-' || s || '.parquet', "
        "TIMESTAMP '2026-01-01' + INTERVAL 1 HOUR * s, 1000000, 'ref', 'bench@1', 0, '{}' "
        f"FROM range(1, {batches + 1}) t(s)"
    )
    columns = [f"c{i}" for i in range(10)]
    slices = [""] + [f"category=cat{i}" for i in range(5)]
    con.execute(
        "INSERT INTO metrics SELECT 'bench', s, sl, col, m, random() * 0.1, 0.12, 'learned', "
        "'learned: median + 3·1.4826·MAD of the last 20 batches (n=20)', false "
        f"FROM range(1, {batches + 1}) t(s), unnest({slices}) u(sl), unnest({columns}) v(col), "
        "unnest(['psi', 'wasserstein_norm', 'missing_share', 'linf', 'support']) w(m) "
        "WHERE (sl = '' OR m IN ('psi', 'support')) ORDER BY s"
    )
    con.close()


def _children_cpu() -> float:
    """User + system CPU seconds of the finished child processes so far (on a loaded machine
    a short command's wall time is mostly waiting for a core; its CPU time is its own)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.monitor", description=__doc__)
    parser.add_argument("--rows", type=rows_arg, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batches", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--only", nargs="*", choices=TASKS, default=list(TASKS))
    args = parser.parse_args(argv)

    compile_datalife()
    busy = warn_if_busy()
    if busy:
        print(busy, file=sys.stderr)
    work = DATA_DIR / "monitor"
    work.mkdir(parents=True, exist_ok=True)
    cmd = datalife_cmd()
    walls: dict[str, list[float]] = {t: [] for t in args.only}
    cpus: dict[str, list[float]] = {t: [] for t in args.only}
    steal: list[float] = []

    if {"stats", "monitor"} & set(args.only):
        reference = generate(args.rows, seed=0)
        batch = generate(args.rows, seed=1)
        root = _workspace(work / "ws", reference)
        base = root / "base.duckdb"  # inside the workspace: datalife writes only there
        seed_batch = generate(min(args.rows, 100_000), seed=2)
        base.unlink(missing_ok=True)
        # not timed: read the reference once (its profile and slice summary are kept)
        setup = run_process(
            [*cmd, "-C", str(root), "monitor", "bench", str(seed_batch), "--store", str(base)],
            timeout=args.timeout,
        )
        if setup.returncode not in (0, 1):
            print(setup.stderr, file=sys.stderr)
            return 2
        print(f"reference summarised in {fmt_seconds(setup.wall_s)} (not timed)")
        for i in range(args.repeat):
            for task in ("stats", "monitor"):
                if task not in args.only:
                    continue
                if task == "stats":
                    argv_ = [*cmd, "stats", str(batch), "--format", "json"]
                else:
                    store = root / "run.duckdb"
                    shutil.copyfile(base, store)
                    argv_ = [*cmd, "-C", str(root), "monitor", "bench", str(batch),
                             "--store", str(store), "--format", "json"]  # fmt: skip
                before = _children_cpu()
                run = run_process(argv_, timeout=args.timeout)
                if run.returncode not in (0, 1):
                    print(run.stderr[-2000:], file=sys.stderr)
                    return 2
                walls[task].append(run.wall_s)
                cpus[task].append(_children_cpu() - before)
                if run.steal_s:
                    steal.append(run.steal_s)
                print(f"  {task} #{i + 1}: {fmt_seconds(run.wall_s)}", flush=True)

    history_work: list[float] = []
    history_last: list[float] = []
    if {"history", "history-json"} & set(args.only):
        root = _workspace(work / "ws-history", DATA_DIR / "bench_100000_clean.parquet")
        hist = root / "history.duckdb"
        t0 = time.perf_counter()
        _history_store(hist, args.batches)
        print(f"history of {args.batches} batches built in {fmt_seconds(time.perf_counter() - t0)}")
        for _ in range(max(args.repeat, 5)):
            for task, extra in (("history", []), ("history-json", ["--all", "--format", "json"])):
                if task not in args.only:
                    continue
                argv_ = [*cmd, "-C", str(root), "monitor", "history", "bench",
                         "--store", str(hist), *extra]  # fmt: skip
                before = _children_cpu()
                run = run_process(argv_, timeout=args.timeout)
                if run.returncode != 0:
                    print(run.stderr[-2000:], file=sys.stderr)
                    return 2
                walls[task].append(run.wall_s)
                cpus[task].append(_children_cpu() - before)
            from datalife.monitor import history

            t0 = time.perf_counter()
            h = history("bench", workspace=root, store=hist, last=20)
            history_last.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            h = history("bench", workspace=root, store=hist, last=None)
            history_work.append(time.perf_counter() - t0)
            assert h.total == args.batches, h.total

    med = {t: statistics.median(v) for t, v in walls.items() if v}
    cpu_med = {t: statistics.median(v) for t, v in cpus.items() if v}
    rows = [[t, fmt_seconds(m), fmt_seconds(cpu_med.get(t)), len(walls[t])] for t, m in med.items()]
    for label, times in (
        ("history() in process, last 20", history_last),
        ("history() in process, all batches", history_work),
    ):
        if times:
            rows.append([label, fmt_seconds(statistics.median(times)), "", len(times)])
    print_table(
        ["task", "median wall", "median CPU (user+sys)", "runs"],
        rows,
        title=f"monitor benchmark ({args.rows:,} rows)",
    )
    verdicts: dict[str, Any] = {}
    if "stats" in med and "monitor" in med:
        ratio = med["monitor"] / med["stats"]
        verdicts["monitor_over_stats"] = ratio
        print(f"monitor / stats: {ratio:.2f}x (target <= {TARGET_RATIO}x): "
              f"{'met' if ratio <= TARGET_RATIO else 'MISSED'}")  # fmt: skip
    for t in ("history", "history-json"):
        if t in med:
            verdicts[t] = med[t]
            ok = med[t] <= TARGET_HISTORY_S
            print(
                f"{t}: {fmt_seconds(med[t])} wall, {fmt_seconds(cpu_med.get(t))} CPU "
                f"(target <= 200 ms): {'met' if ok else 'MISSED'}"
            )
    if history_work:
        verdicts["history_work_s"] = statistics.median(history_work)
        verdicts["history_last20_work_s"] = statistics.median(history_last)
    path = write_results(
        "monitor",
        {
            "rows": args.rows,
            "batches": args.batches,
            "walls": walls,
            "medians": med,
            "cpu": cpus,
            "cpu_medians": cpu_med,
            "verdicts": verdicts,
            "steal_s": steal,
            "machine": machine_info(),
        },
    )
    print(f"results: {path}")
    print(json.dumps(verdicts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
