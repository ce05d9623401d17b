"""The full pipeline (``datalife run``) on the generated table: each stage's share of the time.

``python -m benchmarks.pipeline [--rows 1M] [--format parquet|csv] [--repeat 3] [--keep]
[--no-breakdown] [--profile] [--timeout 1800]``

Issue 5: "The full pipeline on a 1M-row generated dataset: report each stage's share of the
time." On the clean table of :mod:`benchmarks.generate` this benchmark:

1. builds a fresh workspace ``benchmarks/data/pipeline-<rows>-<format>/`` (deleted at the end
   unless ``--keep``): the data file hard-linked as ``raw/bench.<ext>``, a ``bench`` dataset
   with schema ``bench@1`` (the generator's), and a ``[pipeline]`` of built-in transforms:
   stateless ``ratio`` (amount / quantity), ``log1p``, ``date_parts`` and a hashed ``cross``
   (channel x category) before the split; an exact 80/10/10 split stratified by ``label``;
   then, fitted on train only, ``impute`` (median), ``zscore``, ``quantile_bucketize``,
   ``one_hot`` (category top 10, channel top 4) and ``vocabulary`` (user_id top 10,000);
2. runs the pipeline once without an output schema, infers ``bench_features@1`` from its
   three Parquet outputs (:func:`datalife.schemas.infer.infer_schema`), widens the ranges of
   the float columns by 10 % of their span on each side and saves it
   (:meth:`SchemaRegistry.save`), and declares it as ``output_schema``;
3. times ``datalife run --force --format json --no-record`` in ``--repeat`` fresh processes
   (median wall, per-stage seconds from the JSON, peak RSS from GNU time), then the
   up-to-date rerun (no ``--force``: hashes inputs and outputs, runs nothing);
4. (unless ``--no-breakdown``) runs the pipeline once in-process with timers around every
   transform's fit and apply, because the ``fit`` stage of ``datalife run`` also applies
   the fitted transforms (the ``apply`` stage only records the columns);
5. (with ``--profile``) runs it once more under cProfile and prints the top functions.

"outside stages" is the process wall time not inside a stage: interpreter start-up,
imports, and planning (hashing the inputs, resolving schemas and transforms). Results go to
``benchmarks/results/pipeline-<rows>-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks._common import (
    Run,
    compile_datalife,
    datalife_cmd,
    describe_machine,
    emit_result,
    fmt_bytes,
    fmt_seconds,
    machine_info,
    median,
    print_table,
    run_process,
    warn_if_busy,
    write_results,
)
from benchmarks.generate import DATA_DIR, generate, pandera_schema, rows_arg

__all__ = ["STAGES", "config_text", "loosen_ranges", "main"]

STAGES = (
    "validate inputs",
    "transform",
    "split",
    "fit",
    "apply",
    "validate outputs",
    "write",
)
OUTPUT_SCHEMA = "bench_features"
WIDEN = 0.10  # float ranges of the inferred output schema grow by this share of their span

# The pipeline: stateless steps first (they run on all rows before the split), then the
# stateful ones (fitted on train, applied to every split). Names must be unique per built-in.
STEPS: tuple[tuple[str, str], ...] = (
    (
        "ratio",
        '{ numerator = "amount", denominator = "quantity", output = "unit_price" }',
    ),
    ("log1p", '{ columns = ["amount"], suffix = "_log" }'),
    (
        "date_parts",
        '{ column = "created_at", parts = ["month", "dayofweek", "hour", "is_weekend"], '
        'prefix = "created" }',
    ),
    (
        "cross",
        '{ columns = ["channel", "category"], hash_buckets = 64, output = "channel_x_category" }',
    ),
    (
        "impute",
        '{ columns = ["amount", "score", "unit_price", "amount_log"], strategy = "median", '
        'name = "impute_numeric" }',
    ),
    (
        "zscore",
        '{ columns = ["amount", "score", "unit_price", "quantity"], suffix = "_z" }',
    ),
    (
        "quantile_bucketize",
        '{ column = "amount", buckets = 10, output = "amount_decile" }',
    ),
    # a built-in used twice needs a `name` on every use (else the second is refused)
    ("one_hot", '{ column = "category", top_k = 10, name = "one_hot_category" }'),
    ("one_hot", '{ column = "channel", top_k = 4, name = "one_hot_channel" }'),
    (
        "vocabulary",
        '{ column = "user_id", top_k = 10000, output = "user_index" }',
    ),
)


def config_text(data_glob: str, output_schema: str | None) -> str:
    """The benchmark workspace's ``datalife.toml``.

    Examples:
        >>> import tomllib
        >>> cfg = tomllib.loads(config_text("raw/*.parquet", "bench_features"))
        >>> cfg["pipeline"]["output_schema"], len(cfg["pipeline"]["steps"])
        ('bench_features', 10)
        >>> "output_schema" in tomllib.loads(config_text("raw/*.csv", None))["pipeline"]
        False
    """
    lines = [
        "# written by benchmarks/pipeline.py",
        "format_version = 1",
        'compatibility = "BACKWARD"',
        "",
        "[datasets.bench]",
        f"files = [{json.dumps(data_glob)}]",
        'schema = "bench"',
        "",
        "[pipeline]",
        'dataset = "bench"',
        'output = "splits"',
    ]
    if output_schema:
        lines.append(f"output_schema = {json.dumps(output_schema)}")
    for transform, params in STEPS:
        lines += ["", "[[pipeline.steps]]", f"transform = {json.dumps(transform)}"]
        lines.append(f"params = {params}")
    lines += [
        "",
        "[pipeline.split]",
        "ratios = [0.8, 0.1, 0.1]",
        'stratify = ["label"]',
        "seed = 0",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# workspace


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def build_workspace(root: Path, data: Path) -> Path:
    """A fresh workspace at ``root``: the data, schema ``bench@1``, the pipeline (no output
    schema yet). Returns the config path."""
    from datalife.config import Workspace, init_workspace
    from datalife.schemas.registry import SchemaRegistry
    from datalife.storage import atomic_write_text

    shutil.rmtree(root, ignore_errors=True)
    config = init_workspace(root)
    _link_or_copy(data, root / "raw" / f"bench{data.suffix}")
    SchemaRegistry(Workspace.load(config)).save(pandera_schema(), "bench", version=1)
    atomic_write_text(config, config_text(f"raw/*{data.suffix}", None))
    return config


def loosen_ranges(schema: Any, widen: float = WIDEN) -> tuple[Any, list[str]]:
    """``schema`` with each float column's ``in_range`` widened by ``widen`` x its span on
    each side (integer columns keep their observed range); the columns changed."""
    import pandera.pandas as pa

    changed: list[str] = []
    for name, col in schema.columns.items():
        if "float" not in str(col.dtype):
            continue
        checks = []
        for check in col.checks:
            stats = getattr(check, "statistics", None) or {}
            if check.name == "in_range" and "min_value" in stats and "max_value" in stats:
                lo, hi = float(stats["min_value"]), float(stats["max_value"])
                pad = (hi - lo) * widen or abs(lo) * widen or 1.0
                checks.append(pa.Check.in_range(lo - pad, hi + pad))
                changed.append(name)
            else:
                checks.append(check)
        schema = schema.update_column(name, checks=checks)
    return schema, changed


def add_output_schema(config: Path, outputs: Sequence[Path], data_glob: str) -> dict[str, Any]:
    """Infer ``bench_features@1`` from ``outputs``, loosen it, save it, declare it."""
    from datalife.config import Workspace
    from datalife.schemas.infer import infer_schema
    from datalife.schemas.registry import SchemaRegistry
    from datalife.storage import atomic_write_text

    t0 = time.perf_counter()
    inference = infer_schema(
        list(outputs), OUTPUT_SCHEMA, description="benchmarks/pipeline.py output features"
    )
    schema, widened = loosen_ranges(inference.schema)
    SchemaRegistry(Workspace.load(config)).save(schema, OUTPUT_SCHEMA, version=1, overwrite=True)
    atomic_write_text(config, config_text(data_glob, OUTPUT_SCHEMA))
    return {
        "schema": f"{OUTPUT_SCHEMA}@1",
        "columns": len(schema.columns),
        "rows": inference.rows,
        "widened": widened,
        "infer_s": time.perf_counter() - t0,
    }


# --------------------------------------------------------------------------------------------
# children


def _child_breakdown(root: Path) -> int:
    """Run the pipeline in this process with timers around each transform's fit and apply."""
    import datalife.transforms._contract as contract
    from datalife.pipeline import run_pipeline
    from datalife.transforms import FittedTransform, StatefulTransform, Transform

    times: dict[str, dict[str, float]] = {}
    current: dict[str, str] = {"stage": ""}

    def add(ref: str, what: str, seconds: float) -> None:
        slot = times.setdefault(ref, {})
        slot[what] = slot.get(what, 0.0) + seconds

    def wrap(owner: Any, attr: str, what: str, ref_of: Callable[[Any], str]) -> None:
        original = getattr(owner, attr)

        def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                add(ref_of(self), f"{what} ({current['stage']})", time.perf_counter() - t0)

        setattr(owner, attr, timed)

    wrap(Transform, "apply", "apply", lambda t: t.ref)
    wrap(StatefulTransform, "fit", "fit", lambda t: t.ref)
    wrap(FittedTransform, "apply", "apply", lambda t: t.ref)
    hashes = contract._column_hashes

    def timed_hashes(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return hashes(*args, **kwargs)
        finally:
            add("(mutation check: column hashes)", current["stage"], time.perf_counter() - t0)

    contract._column_hashes = timed_hashes

    def progress(stage: str, event: str) -> None:
        current["stage"] = stage if event == "start" else ""

    t0 = time.perf_counter()
    result = run_pipeline(root, force=True, record=False, progress=progress)
    work = time.perf_counter() - t0
    emit_result(
        {
            "work_s": work,
            "status": result.status,
            "stages": {s.name: s.seconds for s in result.stages},
            "transforms": times,
        }
    )
    return 0


# --------------------------------------------------------------------------------------------
# parent


def _parse_json(run: Run) -> dict[str, Any] | None:
    try:
        value = json.loads(run.stdout)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _fail(what: str, run: Run) -> str:
    tail = "\n".join((run.stderr.strip() or run.stdout.strip()).splitlines()[-15:])
    return f"{what} failed (exit {run.returncode}{', timed out' if run.timed_out else ''}):\n{tail}"


def _share(part: float | None, whole: float | None) -> str:
    if part is None or not whole:
        return "-"
    return f"{100 * part / whole:.1f} %"


def _profile(root: Path, prof: Path, timeout: float, top: int = 25) -> dict[str, Any]:
    """Run the pipeline once under cProfile; print and return the top functions."""
    import pstats

    cmd = [
        sys.executable,
        "-m",
        "cProfile",
        "-o",
        str(prof),
        "-m",
        "datalife",
        "run",
        "--force",
        "--no-record",
        "--format",
        "json",
    ]
    run = run_process(cmd, label="profile", cwd=root, timeout=timeout)
    if run.returncode != 0 or not prof.is_file():
        print(_fail("profiled run", run))
        return {"error": run.returncode}
    stats = pstats.Stats(str(prof))
    rows: dict[str, list[dict[str, Any]]] = {}
    entries: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for key, label in (("tottime", "own time"), ("cumtime", "cumulative")):
        idx = 2 if key == "tottime" else 3
        ranked = sorted(entries.items(), key=lambda kv: kv[1][idx], reverse=True)[:top]
        table = []
        for (filename, line, func), (_cc, ncalls, tt, ct, _callers) in ranked:
            where = f"{_short_path(filename)}:{line}({func})"
            table.append({"function": where, "calls": ncalls, "tottime": tt, "cumtime": ct})
        rows[key] = table
        print_table(
            ["function", "calls", "own", "cumulative"],
            [
                [r["function"], r["calls"], fmt_seconds(r["tottime"]), fmt_seconds(r["cumtime"])]
                for r in table
            ],
            title=f"cProfile of one forced run: top {top} by {label} (wall {run.wall_s:.1f} s "
            "under the profiler)",
        )
    return {"wall_s": run.wall_s, "top": rows, "file": str(prof)}


def _output_columns(report: dict[str, Any]) -> int:
    for s in report["stages"]:
        if s["name"] == "apply":
            return len((s.get("details") or {}).get("columns", []))
    return 0


def _short_path(filename: str) -> str:
    for marker in ("site-packages/", "/datalife/"):
        if marker in filename:
            return ("datalife/" if marker == "/datalife/" else "") + filename.split(marker, 1)[1]
    return filename


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.pipeline", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--rows", type=rows_arg, default=1_000_000, help="rows (1M, 250k, ...)")
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--repeat", type=int, default=3, help="fresh-process forced runs")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    parser.add_argument("--keep", action="store_true", help="keep the workspace afterwards")
    parser.add_argument(
        "--no-breakdown", action="store_true", help="skip the in-process per-transform timing"
    )
    parser.add_argument("--profile", action="store_true", help="also run once under cProfile")
    parser.add_argument("--child-breakdown", metavar="ROOT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_breakdown:
        return _child_breakdown(Path(args.child_breakdown))

    info = machine_info()
    print(describe_machine(info))
    compile_datalife()
    busy = warn_if_busy()
    if busy:
        print(busy)
    data = generate(args.rows, args.format)
    print(f"data: {data} ({data.stat().st_size / 1e6:.0f} MB, {args.rows:,} rows)")
    root = DATA_DIR / f"pipeline-{args.rows}-{args.format}"
    config = build_workspace(root, data)
    glob = f"raw/*{data.suffix}"
    run_cmd = [*datalife_cmd(), "run", "--format", "json", "--no-record"]

    # setup: a first run without an output schema, whose outputs the schema is inferred from
    print("setup: first run (no output schema) ...", end=" ", flush=True)
    first = run_process(run_cmd, label="setup", cwd=root, timeout=args.timeout)
    first_json = _parse_json(first)
    if first.returncode != 0 or first_json is None:
        print()
        print(_fail("the setup run", first))
        return 1
    print(f"{fmt_seconds(first.wall_s)}, {fmt_bytes(first.peak_rss)}")
    outputs = [root / first_json["outputs"][name] for name in ("train", "dev", "test")]
    inferred = add_output_schema(config, outputs, glob)
    print(
        f"output schema {inferred['schema']}: {inferred['columns']} columns inferred from "
        f"{inferred['rows']:,} rows in {inferred['infer_s']:.1f} s; float ranges widened "
        f"by {WIDEN:.0%} of their span: {', '.join(inferred['widened'])}"
    )

    forced: list[Run] = []
    reports: list[dict[str, Any]] = []
    for i in range(args.repeat):
        print(f"  [{i + 1}/{args.repeat}] datalife run --force ...", end=" ", flush=True)
        run = run_process([*run_cmd, "--force"], label="forced", cwd=root, timeout=args.timeout)
        report = _parse_json(run)
        if run.returncode != 0 or report is None or report.get("status") != "ran":
            print()
            print(_fail("datalife run --force", run))
            return 1
        forced.append(run)
        reports.append(report)
        stage_sum = sum(float(s["seconds"]) for s in report["stages"])
        print(
            f"{fmt_seconds(run.wall_s)} wall, {fmt_seconds(stage_sum)} in stages, "
            f"{fmt_bytes(run.peak_rss)}",
            flush=True,
        )

    reruns: list[Run] = []
    for i in range(args.repeat):
        print(f"  [{i + 1}/{args.repeat}] datalife run (up to date) ...", end=" ", flush=True)
        run = run_process(run_cmd, label="up-to-date", cwd=root, timeout=args.timeout)
        report = _parse_json(run)
        if run.returncode != 0 or report is None or report.get("status") != "up to date":
            print()
            print(_fail("the up-to-date rerun", run))
            return 1
        reruns.append(run)
        print(f"{fmt_seconds(run.wall_s)} wall, {fmt_bytes(run.peak_rss)}", flush=True)

    # per-stage medians and shares of the median wall time
    walls = [r.wall_s for r in forced]
    wall = median(walls)
    per_stage: dict[str, list[float]] = {}
    for report in reports:
        for s in report["stages"]:
            per_stage.setdefault(s["name"], []).append(float(s["seconds"]))
    outside = median(
        [
            r.wall_s - sum(float(s["seconds"]) for s in rep["stages"])
            for r, rep in zip(forced, reports, strict=True)
        ]
    )
    stage_rows: list[list[Any]] = []
    stage_medians: dict[str, float | None] = {}
    for name in [*STAGES, *(n for n in per_stage if n not in STAGES)]:
        med = median(per_stage.get(name, []))
        stage_medians[name] = med
        stage_rows.append([name, fmt_seconds(med), _share(med, wall)])
    stage_rows.append(
        ["outside stages (start-up, imports, plan)", fmt_seconds(outside), _share(outside, wall)]
    )
    stage_rows.append(["total (process wall)", fmt_seconds(wall), _share(wall, wall)])
    rss = [r.peak_rss for r in forced]
    last = reports[-1]
    split_rows = (last.get("split") or {}).get("rows") or {}
    print_table(
        ["stage", "seconds", "share of wall"],
        stage_rows,
        title=(
            f"datalife run --force on {args.rows:,} rows ({args.format}, {len(STEPS)} transforms, "
            f"exact split stratified by label): median of {args.repeat} fresh processes"
        ),
    )
    rerun_wall = median([r.wall_s for r in reruns])
    print_table(
        ["measure", "value"],
        [
            [
                "forced run wall (median; min-max)",
                f"{fmt_seconds(wall)} ({fmt_seconds(min(walls))}-{fmt_seconds(max(walls))})",
            ],
            [
                "forced run peak RSS (median; max)",
                f"{fmt_bytes(median(rss))} ({fmt_bytes(max(rss))})",
            ],
            ["up-to-date rerun wall (median)", fmt_seconds(rerun_wall)],
            ["up-to-date rerun peak RSS (max)", fmt_bytes(max(r.peak_rss for r in reruns))],
            ["output columns", str(_output_columns(last))],
            [
                "train/dev/test rows",
                "/".join(f"{split_rows.get(s, 0):,}" for s in ("train", "dev", "test")),
            ],
        ],
        title="totals",
    )

    breakdown: dict[str, Any] | None = None
    if not args.no_breakdown:
        repo = Path(__file__).resolve().parent.parent
        env = {"PYTHONPATH": os.pathsep.join([str(repo), os.environ.get("PYTHONPATH", "")])}
        print("\nbreakdown: one in-process run with timers around each transform ...", flush=True)
        run = run_process(
            [sys.executable, "-m", "benchmarks.pipeline", "--child-breakdown", str(root)],
            label="breakdown",
            cwd=repo,
            env=env,
            timeout=args.timeout,
        )
        if run.returncode != 0 or run.result is None:
            print(_fail("the breakdown run", run))
        else:
            breakdown = run.result
            rows = []
            for ref, parts in breakdown["transforms"].items():
                for what, seconds in sorted(parts.items()):
                    rows.append([ref, what, fmt_seconds(seconds), _share(seconds, run.wall_s)])
            print_table(
                ["transform", "call (stage)", "seconds", "share of wall"],
                rows,
                title=f"per transform, one run (wall {run.wall_s:.1f} s; "
                f"stages {', '.join(f'{k} {v:.1f} s' for k, v in breakdown['stages'].items())})",
            )

    profile = (
        _profile(root, DATA_DIR / f"pipeline-{args.rows}.prof", args.timeout)
        if args.profile
        else None
    )

    payload = {
        "benchmark": "pipeline",
        "rows": args.rows,
        "format": args.format,
        "repeat": args.repeat,
        "data": str(data),
        "machine": info,
        "steps": [{"transform": t, "params": p} for t, p in STEPS],
        "output_schema": inferred,
        "setup_run": first.to_dict(),
        "forced": {
            "wall_s": wall,
            "peak_rss": max(rss),
            "peak_rss_median": median(rss),
            "stages_s": stage_medians,
            "outside_stages_s": outside,
            "shares": {
                name: (None if v is None or not wall else v / wall)
                for name, v in {**stage_medians, "outside stages": outside}.items()
            },
            "runs": [r.to_dict() for r in forced],
            "reports": [{"stages": rep["stages"], "split": rep.get("split")} for rep in reports],
        },
        "up_to_date": {
            "wall_s": rerun_wall,
            "peak_rss": max(r.peak_rss for r in reruns),
            "runs": [r.to_dict() for r in reruns],
        },
        "breakdown": breakdown,
        "profile": profile,
    }
    written = write_results("pipeline", payload, tag=f"{args.rows}")
    print(f"\nresults: {written}")
    if args.keep:
        print(f"workspace kept: {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
