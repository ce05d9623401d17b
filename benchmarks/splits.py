"""Split speed and memory: datalife's stable and exact modes against their baselines.

``python -m benchmarks.splits [--rows 1M] [--repeat 3] [--timeout 900]``

On the table of :mod:`benchmarks.generate` (Parquet; ``label`` is 90/8/2 %), an 80/10/10
split into three Parquet files, each engine in a fresh process, round-robin:

* ``duckdb-floor``: one hand-written DuckDB ``COPY ... PARTITION_BY`` pass assigning rows by
  ``hash(id) % 1000`` (the floor: no checks, no report, DuckDB's unstable hash).
* ``datalife-key``: ``datalife split FILE --out DIR --key id --stratify label`` (stable mode:
  key hash, duplicate-key check, duplicate-row check, report, provenance). Target: wall
  <= 1.2x the floor. ``datalife-key-nodup`` is the same without the duplicate-row check
  (``--no-duplicate-check``), to show what that check costs.
* ``sklearn``: ``pd.read_parquet`` + ``train_test_split(stratify=label)`` twice +
  ``to_parquet`` three times.
* ``datalife-exact``: ``datalife split FILE --out DIR --stratify label`` (exact mode).
  Target: >= 3x faster than sklearn.
* ``datalife-memory``: ``datalife.splits.split(df, stratify="label")`` on a frame read before
  the clock starts, then ``write_splits``: in-memory time and peak RSS (reported, no target).
* ``write-*``: the writers alone (reported, no target). The table is read into memory and
  every row given its split (a hash of ``id``) before the clock starts; timed is writing the
  three files: ``write-datalife`` (the split files' writer, ``datalife.splits._outputs``:
  pyarrow's ``ParquetWriter``, a thread per file), ``write-arrow-parts`` (pyarrow writing
  train as two files at once) and ``write-duckdb`` (DuckDB's parallel
  ``COPY ... (FORMAT parquet)``, one per split). docs/performance.md has the run that
  retired datalife's own parallel row-group encoder for pyarrow's writer.

Peak RSS target for the file modes: <= 1.5 GB. "wall" is the whole process (interpreter,
imports, work); "work" is what the child timed after its imports. Needs scikit-learn for the
baseline: ``pip install -e '.[bench]'``. Results go to ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
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
    warm_page_cache,
    warn_if_busy,
    write_results,
)
from benchmarks.generate import DATA_DIR, generate, rows_arg

__all__ = ["main"]

TASKS = (
    "duckdb-floor",
    "datalife-key",
    "datalife-key-nodup",
    "sklearn",
    "datalife-exact",
    "datalife-memory",
    "write-datalife",
    "write-arrow-parts",
    "write-duckdb",
)
LABELS = {
    "duckdb-floor": "DuckDB COPY PARTITION_BY hash(id) (floor)",
    "datalife-key": "datalife split --key id (stable)",
    "datalife-key-nodup": "datalife split --key id --no-duplicate-check",
    "sklearn": "sklearn train_test_split x2 + to_parquet",
    "datalife-exact": "datalife split --stratify label (exact)",
    "datalife-memory": "datalife split(df) + write_splits (in memory)",
    "write-datalife": "write 3 files: datalife (pyarrow, a thread per file)",
    "write-arrow-parts": "write 3 splits: pyarrow, train as 2 files",
    "write-duckdb": "write 3 files: DuckDB COPY (FORMAT parquet)",
}
KEY_TARGET = 1.2  # datalife key wall / floor wall
EXACT_TARGET = 3.0  # sklearn wall / datalife exact wall
RSS_TARGET = 1.5e9
VERDICT: dict[Any, str] = {True: "PASS", False: "FAIL", None: "-"}
OUT_ROOT = DATA_DIR / "split_out"


# --------------------------------------------------------------------------------------------
# children


def _count_rows(out: Path) -> dict[str, int]:
    import pyarrow.parquet as pq

    counts: dict[str, int] = {}
    for name in ("train", "dev", "test"):
        files = [out / f"{name}.parquet"] if (out / f"{name}.parquet").exists() else []
        files += sorted(out.glob(f"split={name}/*.parquet"))
        counts[name] = sum(pq.read_metadata(f).num_rows for f in files)
    return counts


def _child_floor(path: Path, out: Path) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false").fetchall()
    t0 = time.perf_counter()
    con.execute(
        f"COPY (SELECT *, CASE WHEN hash(id) % 1000 < 800 THEN 'train' "
        f"WHEN hash(id) % 1000 < 900 THEN 'dev' ELSE 'test' END AS split "
        f"FROM read_parquet('{path}')) TO '{out}' (FORMAT parquet, PARTITION_BY (split))"
    ).fetchall()
    work = time.perf_counter() - t0
    return {"work_s": work, "rows": _count_rows(out)}


def _child_cli(path: Path, out: Path, args: Sequence[str]) -> dict[str, Any]:
    import duckdb  # noqa: F401  (imported by the command anyway: not timed)
    import numpy  # noqa: F401
    import pyarrow  # noqa: F401

    import datalife.splits  # noqa: F401
    from datalife.cli import main as cli_main

    argv = ["split", str(path), "--out", str(out), *args, "--no-record", "--format", "json"]
    buf = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(buf):
        code = cli_main(argv)
    work = time.perf_counter() - t0
    report = json.loads(buf.getvalue())
    return {
        "work_s": work,
        "exit_code": code,
        "rows": {k: v for k, v in report["rows"].items() if k != "total"},
        "max_row_deviation": report.get("max_row_deviation"),
        "largest_share_deviation": (report.get("largest_deviation") or {}).get("share_deviation"),
    }


def _child_sklearn(path: Path, out: Path) -> dict[str, Any]:
    import pandas as pd
    from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]

    t0 = time.perf_counter()
    df = pd.read_parquet(path)
    train, rest = train_test_split(df, test_size=0.2, stratify=df["label"], random_state=0)
    dev, test = train_test_split(rest, test_size=0.5, stratify=rest["label"], random_state=0)
    for name, part in (("train", train), ("dev", dev), ("test", test)):
        part.to_parquet(out / f"{name}.parquet")
    work = time.perf_counter() - t0
    return {"work_s": work, "rows": {"train": len(train), "dev": len(dev), "test": len(test)}}


def _child_memory(path: Path, out: Path) -> dict[str, Any]:
    import pandas as pd

    from datalife.splits import split, write_splits

    df = pd.read_parquet(path)
    split(df.head(1000), stratify="label")  # lazy imports: not timed
    t0 = time.perf_counter()
    result = split(df, stratify="label")
    t_split = time.perf_counter() - t0
    write_splits(result, out)
    work = time.perf_counter() - t0
    return {
        "work_s": work,
        "split_s": t_split,
        "rows": result.report.rows,
        "max_row_deviation": result.report.max_row_deviation,
    }


def _child_write(path: Path, out: Path, how: str) -> dict[str, Any]:
    """Write the three splits of a table already in memory; only the writing is timed."""
    from concurrent.futures import ThreadPoolExecutor

    import duckdb
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    ids = np.asarray(table.column("id").to_numpy(), dtype=np.uint64)
    # a 64-bit mix of the id, as the key mode does: a stable, spread assignment
    h = (ids * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40)
    bucket = h % np.uint64(1000)
    part = np.where(bucket < 800, 0, np.where(bucket < 900, 1, 2)).astype(np.int8)
    names = ("train", "dev", "test")
    targets = {j: out / f"{name}.parquet" for j, name in enumerate(names)}
    counts = {name: int((part == j).sum()) for j, name in enumerate(names)}
    batches = table.to_batches(max_chunksize=1 << 17)
    t0 = time.perf_counter()
    if how == "datalife":
        from datalife.splits._outputs import SplitFiles

        offset = 0
        with SplitFiles(targets, table.schema) as files:
            for batch in batches:
                p = part[offset : offset + batch.num_rows]
                offset += batch.num_rows
                for j in range(3):
                    rows = np.flatnonzero(p == j)
                    if len(rows):
                        files.put(j, batch, None if len(rows) == batch.num_rows else rows)
            files.finish(dict.fromkeys(range(3), "{}"))
    elif how == "arrow-parts":
        from datalife.splits._writer import WRITE_OPTIONS

        index = {j: pa.array(np.flatnonzero(part == j)) for j in range(3)}
        train = index[0]
        half = len(train) // 2
        jobs = [
            (train[:half], out / "train-0.parquet"),
            (train[half:], out / "train-1.parquet"),
            (index[1], targets[1]),
            (index[2], targets[2]),
        ]

        def write(job: tuple[pa.Array, Path]) -> None:
            rows, target = job
            pq.write_table(table.take(rows), target, row_group_size=1 << 19, **WRITE_OPTIONS)

        with ThreadPoolExecutor(len(jobs)) as pool:
            list(pool.map(write, jobs))
    elif how == "duckdb":
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false").fetchall()
        with_split = table.append_column("__split", pa.array(part))
        con.register("t", with_split)
        for j, target in targets.items():
            con.execute(
                f"COPY (SELECT * EXCLUDE (__split) FROM t WHERE __split = {j}) TO '{target}' "
                "(FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 524288)"
            ).fetchall()
    else:
        raise SystemExit(f"unknown writer {how!r}")
    work = time.perf_counter() - t0
    return {"work_s": work, "rows": counts}


def _child(task: str, path: Path, out: Path) -> int:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    if task == "duckdb-floor":
        result = _child_floor(path, out)
    elif task == "datalife-key":
        result = _child_cli(path, out, ["--key", "id", "--stratify", "label"])
    elif task == "datalife-key-nodup":
        result = _child_cli(
            path, out, ["--key", "id", "--stratify", "label", "--no-duplicate-check"]
        )
    elif task == "datalife-exact":
        result = _child_cli(path, out, ["--stratify", "label"])
    elif task == "sklearn":
        result = _child_sklearn(path, out)
    elif task == "datalife-memory":
        result = _child_memory(path, out)
    elif task.startswith("write-"):
        result = _child_write(path, out, task.removeprefix("write-"))
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

    @property
    def error(self) -> str | None:
        bad = [r for r in self.runs if r.returncode != 0 or r.result is None]
        if not bad:
            return None
        tail = (bad[0].stderr.strip().splitlines() or ["(no output)"])[-1]
        return f"exit {bad[0].returncode}: {tail}"


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.splits", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--rows", type=rows_arg, default=1_000_000, help="rows (1M, 10M, ...)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh-process runs per engine")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    parser.add_argument("--only", nargs="*", choices=TASKS, default=None, help="a subset")
    parser.add_argument("--child", nargs=3, metavar=("TASK", "PATH", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        task, path, out = args.child
        return _child(task, Path(path), Path(out))

    tasks = list(args.only or TASKS)
    if "sklearn" in tasks:
        try:
            import sklearn  # type: ignore[import-untyped]  # noqa: F401
        except ImportError:
            print("scikit-learn is not installed (pip install -e '.[bench]'): skipping sklearn")
            tasks.remove("sklearn")
    info = machine_info()
    print(describe_machine(info))
    compile_datalife()
    busy = warn_if_busy()
    if busy:
        print(busy)
    path = generate(args.rows, "parquet")
    print(f"data: {path} ({path.stat().st_size / 1e6:.0f} MB, {args.rows:,} rows)")
    repo = Path(__file__).resolve().parent.parent
    env = {
        "PYTHONPATH": os.pathsep.join([str(repo), *filter(None, [os.environ.get("PYTHONPATH")])])
    }
    groups = {t: Group(t, []) for t in tasks}
    for i in range(args.repeat):
        for task, group in groups.items():
            out = OUT_ROOT / task
            print(f"  [{i + 1}/{args.repeat}] {LABELS[task]} ...", end=" ", flush=True)
            warm_page_cache([path])  # every run starts with its input cached
            run = run_process(
                [sys.executable, "-m", "benchmarks.splits", "--child", task, str(path), str(out)],
                label=task,
                env=env,
                cwd=repo,
                timeout=args.timeout,
            )
            group.runs.append(run)
            print(
                f"{fmt_seconds(run.wall_s)} wall, {fmt_seconds(run.work_s)} work, "
                f"{fmt_bytes(run.peak_rss)}" + ("" if run.result else f"  FAILED: {group.error}"),
                flush=True,
            )
    shutil.rmtree(OUT_ROOT, ignore_errors=True)

    floor = groups.get("duckdb-floor")
    sk = groups.get("sklearn")
    rows = []
    for task, g in groups.items():
        vs = ""
        if task.startswith("datalife-key") and floor:
            vs = f"{fmt_ratio(_ratio(g.wall, floor.wall))} of floor"
        elif task in ("datalife-exact", "datalife-memory") and sk:
            vs = f"{fmt_ratio(_ratio(sk.wall if task == 'datalife-exact' else sk.work, g.wall if task == 'datalife-exact' else g.work))} faster than sklearn"
        res = g.result
        split_rows = res.get("rows") or {}
        rows.append(
            [
                LABELS[task],
                fmt_seconds(g.wall),
                fmt_seconds(g.work),
                fmt_bytes(g.rss),
                "/".join(f"{split_rows.get(s, 0):,}" for s in ("train", "dev", "test")),
                vs,
            ]
        )
    print_table(
        ["engine", "wall", "work", "peak RSS", "train/dev/test rows", "ratio"],
        rows,
        title=f"80/10/10 split of {args.rows:,} rows (median of {args.repeat} fresh processes)",
    )
    targets = []
    key = groups.get("datalife-key")
    exact = groups.get("datalife-exact")
    if key and floor:
        r = _ratio(key.wall, floor.wall)
        targets.append(
            [
                "stable (key) wall / floor wall",
                fmt_ratio(r),
                f"<= {KEY_TARGET}x",
                r is not None and r <= KEY_TARGET,
            ]
        )
        r = _ratio(key.work, floor.work)
        targets.append(["stable (key) work / floor work", fmt_ratio(r), "(info)", None])
    writer = groups.get("write-datalife")
    for other in ("write-arrow-parts", "write-duckdb"):
        compared = groups.get(other)
        if writer and compared:
            r = _ratio(compared.work, writer.work)
            targets.append([f"{other} work / write-datalife work", fmt_ratio(r), "(info)", None])
    nodup = groups.get("datalife-key-nodup")
    if nodup and floor:
        r = _ratio(nodup.wall, floor.wall)
        targets.append(["key, no duplicate check, wall / floor", fmt_ratio(r), "(info)", None])
    if exact and sk:
        r = _ratio(sk.wall, exact.wall)
        targets.append(
            [
                "sklearn wall / exact wall",
                fmt_ratio(r),
                f">= {EXACT_TARGET}x",
                r is not None and r >= EXACT_TARGET,
            ]
        )
    for measured in (key, exact):
        if measured is not None:
            g = measured
            targets.append(
                [
                    f"peak RSS {g.task}",
                    fmt_bytes(g.rss),
                    f"<= {fmt_bytes(RSS_TARGET)}",
                    g.rss is not None and g.rss <= RSS_TARGET,
                ]
            )
    print_table(
        ["target", "value", "limit", "verdict"],
        [[a, b, c, VERDICT[d]] for a, b, c, d in targets],
        title="targets (issue 5)",
    )
    payload = {
        "benchmark": "splits",
        "rows": args.rows,
        "repeat": args.repeat,
        "data": str(path),
        "machine": info,
        "groups": {
            t: {
                "label": LABELS[t],
                "wall_s": g.wall,
                "work_s": g.work,
                "peak_rss": g.rss,
                "result": g.result,
                "runs": [r.to_dict() for r in g.runs],
            }
            for t, g in groups.items()
        },
        "targets": [{"name": a, "value": b, "limit": c, "passed": d} for a, b, c, d in targets],
    }
    written = write_results("splits", payload, tag=f"{args.rows}")
    print(f"\nresults: {written}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
