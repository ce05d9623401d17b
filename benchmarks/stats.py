"""Statistics profile and drift: datalife against hand-written DuckDB, SUMMARIZE and pandas.

``python -m benchmarks.stats [--rows 1M] [--repeat 3] [--timeout 900] [--only TASK ...]``
(issue 15 measures ``--rows 2M --only duckdb-hand pandas datalife``)

On the table of :mod:`benchmarks.generate` (Parquet, 10 columns), each engine computes the same
statistics in a fresh process, round-robin: per column count and missing; for numbers min, max,
mean, std, zeros, distinct, quantiles p1..p99 and a 20-bin histogram; for strings distinct, the
top 10 values with counts and the average length; for the timestamp min, max, distinct and a
20-bin histogram.

* ``duckdb-hand``: a hand-written DuckDB aggregate (``approx_quantile``, ``approx_count_distinct``,
  one histogram pass per column with the edges from the first pass, one ``GROUP BY`` per string
  column for its top 10, distinct count and lengths). The floor. Target: datalife wall <= 1.3x
  (issue 15; 1.5x before).
* ``duckdb-summarize``: DuckDB's ``SUMMARIZE`` plus the same top 10 and histograms. Target:
  datalife faster.
* ``pandas``: ``read_parquet`` + ``describe`` + ``value_counts`` + ``numpy.histogram`` (+
  quantiles, zeros, ``nunique``). Target: datalife >= 2x faster, read included.
* ``datalife``: ``datalife stats FILE --format json`` (a full profile: also HyperLogLog registers,
  log buckets, value tables, the file's BLAKE3 hash; deterministic). Target: peak RSS <= 1 GB.

Wide data (``--only wide wide-per-column``): the profile of the CSV of
:func:`benchmarks.infer.wide_csv` (``--wide-columns`` columns, 10,000 by default, x 10,000 rows)
through the Python API (``open_scan`` and ``profile_scan``, what ``datalife stats`` runs), where
the columns are profiled in groups; target: peak RSS <= 2 GB (bounded memory). The command's
``--format json`` output is left out: printing 10,000 column profiles holds their whole JSON
document (``json_bytes``) and its objects in memory. ``wide-per-column`` profiles the same file
column by column (``profile_scan(..., batched=False)``), for the comparison; the two profiles are
the same (``columns_sha256``).

Drift (reported, no target but "milliseconds from saved profiles"): the clean file against the
dirty one of the same size (1 % of rows broken):

* ``drift-raw``: ``datalife drift CLEAN DIRTY --format json`` (profiles both files, and exact KS,
  Wasserstein and PSI from the raw values).
* ``drift-profiles``: ``datalife drift clean.json dirty.json --format json`` on the two saved
  profiles (made by the parent before the runs, not timed).

"wall" is the whole process (interpreter, imports, work); "work" is what the child timed after
its imports. Results go to ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import sys
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

PROFILE_TASKS = ("duckdb-hand", "duckdb-summarize", "pandas", "datalife")
DRIFT_TASKS = ("drift-raw", "drift-profiles")
WIDE_TASKS = ("wide", "wide-per-column")
TASKS = PROFILE_TASKS + DRIFT_TASKS + WIDE_TASKS
LABELS = {
    "duckdb-hand": "DuckDB hand-written aggregate (floor)",
    "duckdb-summarize": "DuckDB SUMMARIZE + top-k + histograms",
    "pandas": "pandas describe + value_counts + histograms",
    "datalife": "datalife stats",
    "drift-raw": "datalife drift clean dirty (raw files)",
    "drift-profiles": "datalife drift from two saved profiles",
    "wide": "datalife profile, wide CSV (columns in groups)",
    "wide-per-column": "profile_scan column by column, wide CSV",
}
HAND_TARGET = 1.3  # datalife wall / hand-written DuckDB wall (issue 15)
PANDAS_TARGET = 2.0  # pandas wall / datalife wall
RSS_TARGET = 1e9
WIDE_RSS_TARGET = 2e9
QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]
NUMERIC = ("id", "user_id", "quantity", "amount", "score")
STRINGS = ("category", "channel", "comment", "label")
TIMESTAMP = "created_at"
PROFILE_DIR = DATA_DIR / "stats_profiles"


# --------------------------------------------------------------------------------------------
# children


def _duckdb_topk_and_histograms(
    con: Any, src: str, ranges: dict[str, tuple[Any, Any]]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in STRINGS:
        rows = con.execute(
            f"WITH g AS MATERIALIZED (SELECT {c} AS v, count(*) AS n FROM {src} GROUP BY v) "
            "SELECT (SELECT count(*) FROM g WHERE v IS NOT NULL), "
            "(SELECT sum(n * length(v)) / sum(n) FROM g WHERE v IS NOT NULL), v, n "
            "FROM g WHERE v IS NOT NULL ORDER BY n DESC, v LIMIT 10"
        ).fetchall()
        out[c] = {"distinct": rows[0][0], "avg_length": rows[0][1], "top": [r[2:] for r in rows]}
    for c, (lo, hi) in ranges.items():
        x = f"epoch_us({c})" if c == TIMESTAMP else f"{c}::DOUBLE"
        if c == TIMESTAMP:
            lo, hi = con.execute(
                f"SELECT epoch_us(TIMESTAMP '{lo}'), epoch_us(TIMESTAMP '{hi}')"
            ).fetchone()
        width = (float(hi) - float(lo)) / 20 or 1.0
        hist = con.execute(
            f"SELECT least(floor(({x} - {float(lo)}) / {width}), 19)::INTEGER AS b, count(*) "
            f"FROM {src} WHERE {c} IS NOT NULL GROUP BY b ORDER BY b"
        ).fetchall()
        out.setdefault("histograms", {})[c] = hist
    return out


def _child_hand(path: Path) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    src = f"read_parquet('{path}')"
    t0 = time.perf_counter()
    parts = ["count(*)"]
    for c in NUMERIC:
        parts += [
            f"count({c})",
            f"min({c})",
            f"max({c})",
            f"avg({c})",
            f"stddev_samp({c})",
            f"count(*) FILTER ({c} = 0)",
            f"approx_count_distinct({c})",
            f"approx_quantile({c}, {QUANTILES})",
        ]
    parts += [
        f"count({TIMESTAMP})",
        f"min({TIMESTAMP})",
        f"max({TIMESTAMP})",
        f"approx_count_distinct({TIMESTAMP})",
    ]
    parts += [f"count({c})" for c in STRINGS]
    row = con.execute(f"SELECT {', '.join(parts)} FROM {src}").fetchone()
    assert row is not None
    ranges = {c: (row[2 + 8 * i], row[3 + 8 * i]) for i, c in enumerate(NUMERIC)}
    k = 1 + 8 * len(NUMERIC)
    ranges[TIMESTAMP] = (row[k + 1], row[k + 2])
    rest = _duckdb_topk_and_histograms(con, src, ranges)
    return {
        "work_s": time.perf_counter() - t0,
        "rows": row[0],
        "top_label": rest["label"]["top"][0][0],
    }


def _child_summarize(path: Path) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    src = f"read_parquet('{path}')"
    t0 = time.perf_counter()
    summary = con.execute(f"SUMMARIZE SELECT * FROM {src}").fetchall()
    by_name = {r[0]: r for r in summary}
    ranges = {c: (by_name[c][2], by_name[c][3]) for c in (*NUMERIC, TIMESTAMP)}
    rest = _duckdb_topk_and_histograms(con, src, ranges)
    return {
        "work_s": time.perf_counter() - t0,
        "rows": by_name["id"][-2],
        "top_label": rest["label"]["top"][0][0],
    }


def _child_pandas(path: Path) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    t0 = time.perf_counter()
    df = pd.read_parquet(path)
    desc = df.describe(include="all")
    out: dict[str, Any] = {"rows": len(df)}
    for c in (*NUMERIC, TIMESTAMP):
        s = df[c].dropna()
        values = s.astype("int64") if c == TIMESTAMP else s
        out[c] = {
            "hist": np.histogram(values, bins=20)[0].tolist(),
            "distinct": s.nunique(),
        }
        if c != TIMESTAMP:
            out[c]["quantiles"] = s.quantile(QUANTILES).tolist()
            out[c]["zeros"] = int((s == 0).sum())
    for c in STRINGS:
        vc = df[c].value_counts()
        out[c] = {
            "top": vc.head(10).to_dict(),
            "distinct": len(vc),
            "avg_length": df[c].str.len().mean(),
        }
    work = time.perf_counter() - t0
    return {
        "work_s": work,
        "rows": out["rows"],
        "described": int(desc.shape[1]),
        "top_label": next(iter(out["label"]["top"])),
    }


def _child_cli(args: Sequence[str]) -> dict[str, Any]:
    import duckdb  # noqa: F401  (imported by the command anyway: not timed)
    import numpy  # noqa: F401
    import scipy.special  # noqa: F401

    import datalife.cli.stats
    import datalife.config
    import datalife.drift.compare
    import datalife.stats.engine
    import datalife.stats.store  # noqa: F401
    from datalife.cli import main as cli_main

    buf = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(buf):
        code = cli_main([*args, "--format", "json"])
    work = time.perf_counter() - t0
    out = json.loads(buf.getvalue())
    result: dict[str, Any] = {"work_s": work, "exit_code": code}
    if "rows" in out:
        result["rows"] = out["rows"]
        result["json_bytes"] = len(json.dumps(out, separators=(",", ":")))
        top = next(c for c in out["columns"] if c["name"] == "label")["top"][0]["value"]
        result["top_label"] = top
    else:
        result["drifted_columns"] = out["drifted_columns"]
        result["metrics"] = {
            c["column"]: {k: c[k] for k in ("linf", "psi", "wasserstein_norm", "ks_stat")}
            for c in out["columns"]
        }
    return result


def _child_wide(task: str, path: Path) -> dict[str, Any]:
    import duckdb  # noqa: F401  (imported by the library anyway: not timed)

    import datalife.stats.engine as engine
    from datalife.stats import ProfileSettings

    t0 = time.perf_counter()
    with engine.open_scan(path) as scan:
        # as `datalife stats` profiles (columns in groups here), or column by column
        batched = None if task == "wide" else False
        profile = engine.profile_scan(scan, ProfileSettings(), batched=batched)
    work = time.perf_counter() - t0
    # the columns' JSON hashed one column at a time: the whole document of 10,000 column
    # profiles would be the largest thing in memory
    digest = hashlib.sha256()
    size = 0
    for c in profile.columns:
        text = json.dumps(c.model_dump(mode="json"), sort_keys=True)
        digest.update(text.encode())
        size += len(text)
    return {
        "work_s": work,
        "exit_code": 0,
        "rows": profile.rows,
        "columns": len(profile.columns),
        "columns_sha256": digest.hexdigest()[:16],
        "json_bytes": size,
    }


def _child(task: str, path: Path, other: Path) -> int:
    if task in WIDE_TASKS:
        emit_result(_child_wide(task, path))
        return 0
    if task == "duckdb-hand":
        result = _child_hand(path)
    elif task == "duckdb-summarize":
        result = _child_summarize(path)
    elif task == "pandas":
        result = _child_pandas(path)
    elif task == "datalife":
        result = _child_cli(["stats", str(path)])
    elif task in DRIFT_TASKS:
        result = _child_cli(["drift", str(path), str(other)])
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
    ok_codes: ClassVar[tuple[int, ...]] = (0, 1)

    @property
    def error(self) -> str | None:
        bad = [r for r in self.runs if r.returncode not in (0, 1) or r.result is None]
        if not bad:
            return None
        tail = (bad[0].stderr.strip().splitlines() or ["(no output)"])[-1]
        return f"exit {bad[0].returncode}: {tail}"


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def _save_profiles(paths: Sequence[Path], env: dict[str, str], repo: Path) -> list[Path]:
    PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    out = []
    for p in paths:
        target = PROFILE_DIR / f"{p.stem}.json"
        run = run_process(
            [
                sys.executable,
                "-m",
                "datalife",
                "stats",
                str(p),
                "--out",
                str(target),
                "--format",
                "json",
            ],
            env=env,
            cwd=repo,
        )
        if run.returncode != 0:
            raise SystemExit(f"could not profile {p}: {run.stderr[-500:]}")
        out.append(target)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.stats", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--rows", type=rows_arg, default=1_000_000, help="rows (1M, 10M, ...)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh-process runs per engine")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    parser.add_argument("--only", nargs="*", choices=TASKS, default=None, help="a subset")
    parser.add_argument(
        "--wide-columns", type=int, default=10_000, help="columns of the wide CSV (wide tasks)"
    )
    parser.add_argument(
        "--child", nargs=3, metavar=("TASK", "PATH", "OTHER"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        task, path, other = args.child
        return _child(task, Path(path), Path(other))

    tasks = list(args.only or TASKS)
    info = machine_info()
    print(describe_machine(info))
    compile_datalife()
    busy = warn_if_busy()
    if busy:
        print(busy)
    clean = generate(args.rows, "parquet")
    print(f"data: {clean} ({clean.stat().st_size / 1e6:.0f} MB, {args.rows:,} rows)")
    repo = Path(__file__).resolve().parent.parent
    env = {
        "PYTHONPATH": os.pathsep.join([str(repo), *filter(None, [os.environ.get("PYTHONPATH")])])
    }
    dirty = clean
    profiles: list[Path] = []
    if any(t in DRIFT_TASKS for t in tasks):
        dirty = generate(args.rows, "parquet", dirty=True)
        print(f"current (drift): {dirty} (1 % of rows broken)")
    if "drift-profiles" in tasks:
        profiles = _save_profiles([clean, dirty], env, repo)
    wide = None
    if any(t in WIDE_TASKS for t in tasks):
        from benchmarks.infer import wide_csv

        wide = wide_csv(args.wide_columns)
        print(f"wide: {wide} ({wide.stat().st_size / 1e6:.0f} MB)")
    groups = {t: Group(t, []) for t in tasks}
    for i in range(args.repeat):
        for task, group in groups.items():
            a, b = (clean, dirty) if task != "drift-profiles" else (profiles[0], profiles[1])
            if task in WIDE_TASKS:
                assert wide is not None
                a = b = wide
            print(f"  [{i + 1}/{args.repeat}] {LABELS[task]} ...", end=" ", flush=True)
            run = run_process(
                [sys.executable, "-m", "benchmarks.stats", "--child", task, str(a), str(b)],
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

    hand = groups.get("duckdb-hand")
    summ = groups.get("duckdb-summarize")
    pdg = groups.get("pandas")
    dl = groups.get("datalife")
    rows = []
    for task, g in groups.items():
        vs = ""
        if task != "datalife" and task in PROFILE_TASKS and dl is not None:
            vs = f"datalife {fmt_ratio(_ratio(dl.wall, g.wall))} of this"
        rows.append([LABELS[task], fmt_seconds(g.wall), fmt_seconds(g.work), fmt_bytes(g.rss), vs])
    print_table(
        ["engine", "wall", "work", "peak RSS", "ratio (wall)"],
        rows,
        title=f"profile and drift of {args.rows:,} rows (median of {args.repeat} fresh processes)",
    )
    targets: list[list[Any]] = []
    if dl and hand:
        r = _ratio(dl.wall, hand.wall)
        targets.append(
            [
                "datalife wall / hand-written DuckDB wall",
                fmt_ratio(r),
                f"<= {HAND_TARGET}x",
                r is not None and r <= HAND_TARGET,
            ]
        )
        r = _ratio(dl.work, hand.work)
        targets.append(["datalife work / hand-written DuckDB work", fmt_ratio(r), "(info)", None])
    if dl and summ:
        r = _ratio(dl.wall, summ.wall)
        targets.append(
            ["datalife wall / SUMMARIZE wall", fmt_ratio(r), "< 1x", r is not None and r < 1]
        )
    if dl and pdg:
        r = _ratio(pdg.wall, dl.wall)
        targets.append(
            [
                "pandas wall / datalife wall",
                fmt_ratio(r),
                f">= {PANDAS_TARGET}x",
                r is not None and r >= PANDAS_TARGET,
            ]
        )
    if dl:
        targets.append(
            [
                "datalife peak RSS",
                fmt_bytes(dl.rss),
                f"<= {fmt_bytes(RSS_TARGET)}",
                dl.rss is not None and dl.rss <= RSS_TARGET,
            ]
        )
        size = dl.result.get("json_bytes")
        targets.append(
            ["profile JSON size", f"{size / 1e3:.0f} kB" if size else "-", "(info)", None]
        )
    wd = groups.get("wide")
    if wd:
        targets.append(
            [
                f"wide ({args.wide_columns:,} columns): datalife peak RSS",
                fmt_bytes(wd.rss),
                f"<= {fmt_bytes(WIDE_RSS_TARGET)}",
                wd.rss is not None and wd.rss <= WIDE_RSS_TARGET,
            ]
        )
        wp = groups.get("wide-per-column")
        if wp:
            r = _ratio(wp.wall, wd.wall)
            targets.append(
                ["wide: column by column / in groups (wall)", fmt_ratio(r), "(info)", None]
            )
            same = bool(wd.result and wp.result) and (
                wd.result.get("columns_sha256") == wp.result.get("columns_sha256")
            )
            targets.append(["wide: the same profile either way", str(same), "True", same])
    dp = groups.get("drift-profiles")
    if dp:
        targets.append(
            ["drift from saved profiles, work", fmt_seconds(dp.work), "milliseconds", None]
        )
    if targets:
        print_table(
            ["target", "value", "limit", "verdict"],
            [[a, b, c, {True: "PASS", False: "FAIL", None: "-"}[d]] for a, b, c, d in targets],
            title="targets (issues 6 and 15)",
        )
    for task in DRIFT_TASKS:
        found = groups.get(task)
        if found and found.result:
            print(f"{LABELS[task]}: drifted columns {found.result.get('drifted_columns')}")
    payload = {
        "benchmark": "stats",
        "rows": args.rows,
        "repeat": args.repeat,
        "data": str(clean),
        "current": str(dirty),
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
    written = write_results("stats", payload, tag=f"{args.rows}")
    print(f"\nresults: {written}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
