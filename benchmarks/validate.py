"""Validation speed and memory: datalife against pandera (pandas, polars) and Great Expectations.

``python -m benchmarks.validate [--rows 1M] [--repeat N] [--only memory|files] [--csv]``

Two comparisons, each in fresh processes, on the table of :mod:`benchmarks.generate` (schema
``bench@1``: 10 columns, 27 checks, strict), clean and dirty (1 % of rows fail a check):

* in memory: ``datalife.validate(df, schema)`` against pandera validating the same schema
  directly (``schema.validate(df, lazy=True)``) on the same pandas frame. The frame is read
  before the clock starts and both first validate 1,000 rows, so the timed call is the
  validation alone. Target: datalife <= 1.15x pandera.
* files: ``datalife validate FILE --schema bench@1 --no-record --format json`` (the CLI, out of
  core on DuckDB), twice: as a file is validated again (its content hash, the dataset
  version, remembered in the hash cache; the benchmark hashes each file into a cache
  directory of its own before the first round) and as a file seen for the first time (an
  empty cache directory for each run, so the command reads the whole file to hash it);
  against pandera's polars backend on ``pl.scan_parquet`` with
  ``PANDERA_VALIDATION_DEPTH=SCHEMA_AND_DATA``, pandera's pandas backend (``read_parquet`` +
  lazy validate) and Great Expectations 1.x on a pandas frame when it is installed (the
  ``bench`` extra; not a runtime dependency). Targets (the issue's, stated for 10M rows): at
  least as fast as pandera-polars, >= 5x faster than pandera-pandas, >= 20x faster than Great
  Expectations, dirty <= 1.5x clean, peak RSS <= 1 GB.

"wall" is the whole process (interpreter, imports, read, validate, report): what a user or
a CI job pays; the datalife rows run the real ``datalife`` command, so they have no "work"
figure. "work" is what the other children timed after their imports (read + validate). The
verdicts are compared too: every engine's failing-row counts per column and check on the
dirty file must equal the generator's manifest. Every run starts with its input file in the
page cache (read just before, untimed: :func:`benchmarks._common.warm_page_cache`). Results go
to ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
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
from benchmarks.generate import (
    SCHEMA_REF,
    ensure_workspace,
    expected_failures,
    generate,
    rows_arg,
)

__all__ = ["main"]

MEMORY_TARGET = 1.15  # datalife / pandera, in memory
POLARS_TARGET = 1.0  # pandera-polars / datalife: at least as fast
PANDAS_TARGET = 5.0  # pandera-pandas / datalife
GE_TARGET = 20.0  # great expectations / datalife
DIRTY_TARGET = 1.5  # datalife dirty / clean
RSS_TARGET = 1e9  # bytes
WARMUP_ROWS = 1000

MEMORY_TASKS = ("mem-pandera", "mem-datalife")
FILE_TASKS = (
    "datalife-cli",
    "datalife-first",
    "pandera-polars",
    "pandera-pandas",
    "great-expectations",
)
LABELS = {
    "mem-pandera": "pandera (pandas)",
    "mem-datalife": "datalife.validate",
    "mem-candidate": "datalife.validate (candidate)",
    "datalife-cli": "datalife validate (CLI)",
    "datalife-first": "datalife validate (CLI, new file)",
    "datalife-csv": "datalife validate (CLI, CSV)",
    "datalife-candidate": "datalife validate (candidate)",
    "pandera-polars": "pandera polars LazyFrame",
    "pandera-pandas": "pandera pandas + read",
    "great-expectations": "Great Expectations (pandas)",
}

# pandera check names -> datalife's
_CHECK_NAMES = {
    "field_uniqueness": "unique",
    "multiple_fields_uniqueness": "unique",
    "column_in_dataframe": "column_in_dataframe",
}


# --------------------------------------------------------------------------------------------
# children: each runs in a fresh process and prints one BENCH_RESULT line


def _pandera_counts(cases: Any) -> dict[str, int]:
    """Failing rows per ``column/check`` from pandera's ``failure_cases`` (pandas or polars)."""
    if hasattr(cases, "to_pandas"):
        cases = cases.to_pandas()
    counts: dict[str, int] = {}
    for column, check in zip(cases["column"], cases["check"], strict=True):
        name = str(check).split("(", 1)[0]
        name = _CHECK_NAMES.get(name, name)
        key = f"{column}/{name}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def _run_pandera(schema: Any, data: Any) -> dict[str, int]:
    import pandera.errors as pe

    try:
        schema.validate(data, lazy=True)
    except pe.SchemaErrors as exc:
        return _pandera_counts(exc.failure_cases)
    return {}


def _child_memory(task: str, path: Path, workspace: Path) -> dict[str, Any]:
    import pandas as pd

    import datalife
    from datalife.config import Workspace
    from datalife.schemas.registry import SchemaRegistry

    sv = SchemaRegistry(Workspace.find(workspace)).load(SCHEMA_REF)
    df = pd.read_parquet(path)
    fn: Callable[[Any], dict[str, int]]
    if task in ("mem-datalife", "mem-candidate"):

        def fn(frame: Any) -> dict[str, int]:
            report = datalife.validate(frame, sv)
            return {f"{f.column}/{f.check}": f.failure_count for f in report.failures}

    else:

        def fn(frame: Any) -> dict[str, int]:
            return _run_pandera(sv.schema, frame)

    fn(df.head(WARMUP_ROWS))  # one-time lazy imports and backend registration: not timed
    t0 = time.perf_counter()
    counts = fn(df)
    work = time.perf_counter() - t0
    return {
        "work_s": work,
        "datalife": str(Path(datalife.__file__).parent.parent),
        "rows": len(df),
        "failures": dict(sorted(counts.items())),
    }


def _child_pandera_polars(path: Path) -> dict[str, Any]:
    if os.environ.get("PANDERA_VALIDATION_DEPTH") != "SCHEMA_AND_DATA":
        raise RuntimeError("set PANDERA_VALIDATION_DEPTH=SCHEMA_AND_DATA, or data goes unchecked")
    import polars as pl

    from benchmarks.generate import polars_schema

    schema = polars_schema()
    t0 = time.perf_counter()
    counts = _run_pandera(schema, pl.scan_parquet(path))
    work = time.perf_counter() - t0
    return {"work_s": work, "failures": counts}


def _child_pandera_pandas(path: Path) -> dict[str, Any]:
    import pandas as pd

    from benchmarks.generate import pandera_schema

    schema = pandera_schema()
    t0 = time.perf_counter()
    df = pd.read_parquet(path)
    counts = _run_pandera(schema, df)
    work = time.perf_counter() - t0
    return {"work_s": work, "rows": len(df), "failures": counts}


def _child_great_expectations(path: Path) -> dict[str, Any]:
    """The checks of ``bench@1`` as Great Expectations 1.x expectations on a pandas frame.

    GX Core 1.x API (measured with 1.24.1): an ephemeral context, a pandas data source, a
    whole-dataframe batch definition, one suite validated with ``result_format="SUMMARY"``
    (counts plus a sample of failing values, like datalife's report). One expectation per
    check of the schema: strict column set, a dtype per column, not-null on the non-nullable
    columns, a unique ``id``, four ranges and three value sets (27 expectations). Great
    Expectations is not a datalife dependency (it is in the ``bench`` extra); the runner is
    skipped when it is absent.
    """
    import pandas as pd

    gx: Any = importlib.import_module("great_expectations")  # optional; not a dependency
    gx_base: Any = importlib.import_module("great_expectations.data_context.types.base")

    from benchmarks import generate as g

    t0 = time.perf_counter()
    df = pd.read_parquet(path)
    context = gx.get_context(mode="ephemeral")
    # no tqdm bars on stderr: a failed run's last stderr line is the error
    context.variables.progress_bars = gx_base.ProgressBarsConfig(
        globally=False, metric_calculations=False
    )
    source = context.data_sources.add_pandas("bench")
    asset = source.add_dataframe_asset("frame")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": df}
    )
    ex = gx.expectations
    suite = gx.ExpectationSuite(name="bench")
    keys: dict[tuple[str, str | None], str] = {}  # (expectation type, column) -> column/check

    def add(expectation: Any, key: str) -> None:
        suite.add_expectation(expectation)
        keys[(expectation.expectation_type, getattr(expectation, "column", None))] = key

    add(ex.ExpectTableColumnsToMatchSet(column_set=list(g.COLUMNS), exact_match=True), "/strict")
    # the pandas dtypes that read_parquet gives the file's types (pandas 3: strings are "str";
    # GX compares dtype names and reports datetime64[us] as "datetime64")
    types = {
        "id": "int64",
        "user_id": "int64",
        "quantity": "int64",
        "amount": "float64",
        "score": "float64",
        "category": "str",
        "channel": "str",
        "comment": "str",
        "created_at": "datetime64[us]",
        "label": "str",
    }
    for col in g.COLUMNS:
        add(ex.ExpectColumnValuesToBeOfType(column=col, type_=types[col]), f"{col}/dtype")
        if col not in ("amount", "score"):
            add(ex.ExpectColumnValuesToNotBeNull(column=col), f"{col}/not_nullable")
    add(ex.ExpectColumnValuesToBeUnique(column="id"), "id/unique")
    for col, (lo, hi) in {
        "user_id": g.USER_ID_RANGE,
        "quantity": g.QUANTITY_RANGE,
        "amount": g.AMOUNT_RANGE,
        "score": g.SCORE_RANGE,
    }.items():
        add(
            ex.ExpectColumnValuesToBeBetween(column=col, min_value=lo, max_value=hi),
            f"{col}/in_range",
        )
    for col, values in {
        "category": g.CATEGORIES,
        "channel": g.CHANNELS,
        "label": g.LABELS,
    }.items():
        add(ex.ExpectColumnValuesToBeInSet(column=col, value_set=list(values)), f"{col}/isin")
    context.suites.add(suite)
    result = batch.validate(suite, result_format="SUMMARY")
    work = time.perf_counter() - t0
    # GX returns the results grouped by column, not in suite order: match them by configuration
    counts: dict[str, int] = {}
    seen = 0
    for res in result.results:
        config = res.expectation_config
        key = keys[(config.type, config.kwargs.get("column"))]
        seen += 1
        if res.exception_info.get("raised_exception"):
            raise RuntimeError(f"{key}: {res.exception_info.get('exception_message')}")
        if not res.success:
            n = res.result.get("unexpected_count")
            counts[key] = int(n) if n is not None else 1
    if seen != len(keys):
        raise RuntimeError(f"{len(keys)} expectations, {seen} results")
    return {
        "work_s": work,
        "rows": len(df),
        "expectations": len(keys),
        "great_expectations": gx.__version__,
        "failures": dict(sorted(counts.items())),
    }


def _child(task: str, path: Path, workspace: Path) -> int:
    if task in (*MEMORY_TASKS, "mem-candidate"):
        out = _child_memory(task, path, workspace)
    elif task == "pandera-polars":
        out = _child_pandera_polars(path)
    elif task == "pandera-pandas":
        out = _child_pandera_pandas(path)
    elif task == "great-expectations":
        out = _child_great_expectations(path)
    else:
        raise SystemExit(f"unknown task {task!r}")
    emit_result(out)
    return 0


# --------------------------------------------------------------------------------------------
# parent


@dataclass
class Group(RunsSummary):
    """The runs of one engine on one file."""

    section: str  # memory | files
    variant: str  # clean | dirty
    task: str
    path: Path
    runs: list[Run]

    @property
    def failures(self) -> dict[str, int] | None:
        ok = self.ok_runs
        if not ok or ok[0].result is None:
            return None
        return dict(ok[0].result.get("failures") or {})

    @property
    def error(self) -> str | None:
        bad = [r for r in self.runs if r.returncode != 0 or r.result is None]
        if not bad:
            return None
        r = bad[0]
        tail = (r.stderr.strip().splitlines() or ["(no output)"])[-1]
        return f"exit {r.returncode}{' (timed out)' if r.timed_out else ''}: {tail}"


_CLI_TASKS = ("datalife-cli", "datalife-first", "datalife-csv", "datalife-candidate")


def _child_cmd(task: str, path: Path, workspace: Path) -> list[str]:
    if task in _CLI_TASKS:
        # the real command, as a user runs it: its wall time is the interpreter's start-up,
        # datalife's imports and the work (the candidate's package comes first on PYTHONPATH)
        return [
            sys.executable,
            "-m",
            "datalife",
            "-C",
            str(workspace),
            "validate",
            str(path),
            "--schema",
            SCHEMA_REF,
            "--no-record",
            "--format",
            "json",
        ]
    return [
        sys.executable,
        "-m",
        "benchmarks.validate",
        "--child",
        task,
        str(path),
        "--workspace",
        str(workspace),
    ]


def _cli_result(run: Run) -> Run:
    """The CLI's JSON report as the run's result (exit 1 is a dirty file, not a failure)."""
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        return run
    if run.returncode not in (0, 1) or not isinstance(report, dict) or "failures" not in report:
        return run
    counts = {f"{f['column']}/{f['check']}": int(f["failure_count"]) for f in report["failures"]}
    run.result = {
        "work_s": None,  # no clock inside the command: its wall time is the measure
        "exit_code": run.returncode,
        "rows": report["rows"],
        "failures": dict(sorted(counts.items())),
    }
    run.returncode = 0
    return run


def _remember_hashes(cache: Path, paths: Sequence[Path]) -> None:
    """Hash ``paths`` into the hash cache at ``cache`` (as a first validation would)."""
    from datalife import storage

    # a file changed less than storage.RACY_NS before its hashing is not remembered: a file
    # generated moments ago waits until it is old enough
    newest = max((max(p.stat().st_mtime_ns, p.stat().st_ctime_ns) for p in paths), default=0)
    time.sleep(max(0.0, (newest + storage.RACY_NS - time.time_ns()) / 1e9 + 0.1))
    before = os.environ.get("DATALIFE_CACHE_DIR")
    os.environ["DATALIFE_CACHE_DIR"] = str(cache)
    try:
        for path in dict.fromkeys(paths):
            storage.hash_file(path)
    finally:
        if before is None:
            os.environ.pop("DATALIFE_CACHE_DIR", None)
        else:
            os.environ["DATALIFE_CACHE_DIR"] = before


def _measure(
    section: str,
    variants: dict[str, Path],
    tasks: Sequence[str],
    workspace: Path,
    repeat: int,
    timeout: float,
    candidate: Path | None = None,
) -> list[Group]:
    groups = {(v, t): Group(section, v, t, p, []) for v, p in variants.items() for t in tasks}
    repo = Path(__file__).resolve().parent.parent
    caches = Path(tempfile.mkdtemp(prefix="datalife-bench-cache-"))
    known = caches / "known"  # the files' hashes, remembered before the first round
    _remember_hashes(known, [g.path for g in groups.values()])

    def env_for(first: Path, task: str) -> dict[str, str]:
        path = [str(first), str(repo), *filter(None, [os.environ.get("PYTHONPATH")])]
        cache = Path(tempfile.mkdtemp(dir=caches)) if task == "datalife-first" else known
        return {
            "PANDERA_VALIDATION_DEPTH": "SCHEMA_AND_DATA",
            "PYTHONPATH": os.pathsep.join(dict.fromkeys(path)),
            "DATALIFE_CACHE_DIR": str(cache),
        }

    try:
        for i in range(repeat):  # round-robin, so a noisy moment hits every engine alike
            for (variant, task), group in groups.items():
                print(
                    f"  [{section} {i + 1}/{repeat}] {LABELS[task]} on {group.path.name} ...",
                    end=" ",
                    flush=True,
                )
                # `python -m` puts the working directory first on sys.path: the candidate's
                # datalife package is imported by running from the candidate's directory
                is_candidate = task in ("datalife-candidate", "mem-candidate")
                where = candidate if is_candidate and candidate else repo
                warm_page_cache([group.path])
                run = run_process(
                    _child_cmd(task, group.path, workspace),
                    label=f"{section}:{variant}:{task}",
                    env=env_for(where, task),
                    timeout=timeout,
                    cwd=where,
                )
                if task in _CLI_TASKS:
                    run = _cli_result(run)
                group.runs.append(run)
                used = (run.result or {}).get("datalife")
                if is_candidate and candidate and used != str(candidate.resolve()):
                    print(f"\n  warning: the candidate run imported datalife from {used}", end="")
                print(
                    f"{fmt_seconds(run.wall_s)} wall, {fmt_seconds(run.work_s)} work, "
                    f"{fmt_bytes(run.peak_rss)}"
                    + (f", {run.steal_s:.2f} s stolen by the host" if run.steal_s else "")
                    + ("" if run.result is not None else f"  FAILED: {group.error}"),
                    flush=True,
                )
    finally:
        shutil.rmtree(caches, ignore_errors=True)
    return list(groups.values())


@dataclass
class Target:
    name: str
    value: float | None
    limit: float
    higher_is_better: bool
    unit: str = "x"
    note: str = ""

    @property
    def passed(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.limit if self.higher_is_better else self.value <= self.limit

    def row(self) -> list[str]:
        op = ">=" if self.higher_is_better else "<="
        if self.unit == "bytes":
            value, limit = fmt_bytes(self.value), fmt_bytes(self.limit)
        else:
            value = fmt_ratio(self.value)
            limit = f"{self.limit:g}x"
        verdict = {True: "PASS", False: "FAIL", None: "n/a"}[self.passed]
        return [self.name, value, f"{op} {limit}", verdict, self.note]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "limit": self.limit,
            "higher_is_better": self.higher_is_better,
            "passed": self.passed,
            "note": self.note,
        }


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def _find(groups: Sequence[Group], variant: str, task: str) -> Group | None:
    return next((g for g in groups if g.variant == variant and g.task == task), None)


def _targets(groups: Sequence[Group], rows: int, has_ge: bool) -> list[Target]:
    out: list[Target] = []
    note = "" if rows >= 10_000_000 else "issue target is for 10M rows"
    for variant, task in (
        (v, t) for t in ("mem-datalife", "mem-candidate") for v in ("clean", "dirty")
    ):
        dl = _find(groups, variant, task)
        pa = _find(groups, variant, "mem-pandera")
        who = "datalife" if task == "mem-datalife" else "candidate"
        if dl and pa:
            out.append(
                Target(
                    f"in memory, {variant}: {who} / pandera (work)",
                    _ratio(dl.work, pa.work),
                    MEMORY_TARGET,
                    higher_is_better=False,
                )
            )
    whos = {
        "datalife-cli": "datalife",
        "datalife-first": "new file",
        "datalife-candidate": "candidate",
    }
    for variant, dl_task in ((v, t) for t in whos for v in ("clean", "dirty")):
        dl = _find(groups, variant, dl_task)
        who = whos[dl_task]
        if dl is None:
            continue
        for task, limit, name in (
            ("pandera-polars", POLARS_TARGET, "pandera-polars"),
            ("pandera-pandas", PANDAS_TARGET, "pandera-pandas"),
            ("great-expectations", GE_TARGET, "Great Expectations"),
        ):
            other = _find(groups, variant, task)
            if other is None or (task == "great-expectations" and not has_ge):
                continue
            out.append(
                Target(
                    f"file, {variant}: {name} / {who} (wall)",
                    _ratio(other.wall, dl.wall),
                    limit,
                    higher_is_better=True,
                    note=note,
                )
            )
        out.append(
            Target(
                f"file, {variant}: {who} peak RSS",
                dl.rss,
                RSS_TARGET,
                higher_is_better=False,
                unit="bytes",
            )
        )
    for dl_task, who in whos.items():
        clean, dirty = _find(groups, "clean", dl_task), _find(groups, "dirty", dl_task)
        if clean and dirty:
            out.append(
                Target(
                    f"file: {who} dirty / clean (wall)",
                    _ratio(dirty.wall, clean.wall),
                    DIRTY_TARGET,
                    higher_is_better=False,
                    note=note,
                )
            )
    return out


def _verdicts(groups: Sequence[Group], expected: dict[str, int]) -> tuple[list[list[Any]], bool]:
    """A row per ``column/check``: the count each engine reported on the dirty data."""
    dirty = [g for g in groups if g.variant == "dirty" and g.failures is not None]
    keys = sorted({*expected, *(k for g in dirty for k in (g.failures or {}))})
    rows: list[list[Any]] = []
    agree = True
    for key in keys:
        want = expected.get(key, 0)
        got = [(g.failures or {}).get(key, 0) for g in dirty]
        ok = all(n == want for n in got)
        agree = agree and ok
        rows.append([key, want, *got, "yes" if ok else "NO"])
    return rows, agree


def _summary_rows(groups: Sequence[Group], base_task: str) -> list[list[Any]]:
    rows = []
    for g in groups:
        base = _find(groups, g.variant, base_task)
        rel_wall = _ratio(g.wall, base.wall) if base else None
        rel_work = _ratio(g.work, base.work) if base else None
        rows.append(
            [
                g.variant,
                LABELS[g.task],
                fmt_seconds(g.wall),
                fmt_seconds(g.work),
                fmt_bytes(g.rss),
                fmt_ratio(rel_wall),
                fmt_ratio(rel_work),
                len(g.ok_runs),
                g.error or "",
            ]
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.validate", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--rows", type=rows_arg, default=1_000_000, help="rows (1M, 10M, ...)")
    parser.add_argument(
        "--repeat", type=int, default=None, help="runs per engine (default 3; 1 above 2M rows)"
    )
    parser.add_argument("--only", choices=["memory", "files"], default=None)
    parser.add_argument(
        "--memory-rows",
        type=rows_arg,
        default=None,
        help="rows for the in-memory comparison (default: min(--rows, 1M))",
    )
    parser.add_argument(
        "--skip", action="append", default=[], choices=list(FILE_TASKS), help="skip an engine"
    )
    parser.add_argument("--csv", action="store_true", help="also time datalife on the CSV files")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    parser.add_argument(
        "--candidate",
        type=Path,
        default=None,
        metavar="DIR",
        help="also run the CLI with the datalife package found in DIR (a patched copy of the "
        "repository), to compare a change with the current code in the same run",
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("path", nargs="?", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workspace", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args.child, args.path, args.workspace)

    rows: int = args.rows
    repeat: int = args.repeat or (3 if rows <= 2_000_000 else 1)
    memory_rows: int = args.memory_rows or min(rows, 1_000_000)
    info = machine_info()
    print(f"machine: {describe_machine(info)}")
    compile_datalife()
    busy = warn_if_busy()
    if busy:
        print(busy)
    workspace = ensure_workspace()
    has_ge = importlib.util.find_spec("great_expectations") is not None
    groups: list[Group] = []
    notes: list[str] = []

    if args.candidate is not None and not (args.candidate / "datalife" / "__init__.py").is_file():
        parser.error(f"--candidate {args.candidate}: no datalife package there")
    if args.candidate is not None:
        compile_datalife(args.candidate)
    if args.only in (None, "memory"):
        print(f"\nIn memory: {memory_rows:,} rows, {repeat} fresh processes per engine")
        variants = {
            v: generate(memory_rows, "parquet", dirty=v == "dirty") for v in ("clean", "dirty")
        }
        mem_tasks = [*MEMORY_TASKS, *(["mem-candidate"] if args.candidate else [])]
        groups += _measure(
            "memory", variants, mem_tasks, workspace, repeat, args.timeout, args.candidate
        )

    if args.only in (None, "files"):
        print(f"\nFiles: {rows:,} rows, {repeat} fresh processes per engine")
        tasks = [t for t in FILE_TASKS if t not in args.skip]
        if args.candidate is not None:
            tasks.insert(1, "datalife-candidate")
        if "great-expectations" in tasks and not has_ge:
            tasks.remove("great-expectations")
            note = (
                "Great Expectations is not installed (it is in the `bench` extra, not a "
                "datalife dependency): skipped. `pip install -e '.[bench]'` to include it."
            )
            notes.append(note)
            print(f"note: {note}")
        variants = {v: generate(rows, "parquet", dirty=v == "dirty") for v in ("clean", "dirty")}
        groups += _measure(
            "files", variants, tasks, workspace, repeat, args.timeout, args.candidate
        )
        if args.csv:
            csv = {v: generate(rows, "csv", dirty=v == "dirty") for v in ("clean", "dirty")}
            groups += _measure("csv", csv, ["datalife-csv"], workspace, repeat, args.timeout)

    headers = ["data", "engine", "wall", "work", "peak RSS", "wall/base", "work/base", "runs", ""]
    mem = [g for g in groups if g.section == "memory"]
    if mem:
        print_table(
            headers,
            _summary_rows(mem, "mem-pandera"),
            title=f"In memory, {memory_rows:,} rows (base: pandera; medians of {repeat})",
        )
    files = [g for g in groups if g.section in ("files", "csv")]
    if files:
        print_table(
            headers,
            _summary_rows(files, "datalife-cli"),
            title=f"Files, {rows:,} rows (base: datalife CLI; medians of {repeat})",
        )

    verdict_tables: dict[str, Any] = {}
    all_agree = True
    for section, data_rows in (("memory", memory_rows), ("files", rows)):
        sec = [g for g in groups if g.section == section]
        dirty_path = next((g.path for g in sec if g.variant == "dirty"), None)
        if dirty_path is None:
            continue
        expected = expected_failures(dirty_path)
        vrows, agree = _verdicts(sec, expected)
        all_agree = all_agree and agree
        names = [LABELS[g.task] for g in sec if g.variant == "dirty" and g.failures is not None]
        print_table(
            ["column/check", "generator", *names, "agree"],
            vrows,
            title=f"Verdicts on the dirty data ({section}, {data_rows:,} rows): failing rows",
        )
        verdict_tables[section] = {"expected": expected, "rows": vrows, "agree": agree}

    targets = _targets(groups, rows, has_ge)
    if targets:
        print_table(
            ["target", "measured", "limit", "verdict", "note"],
            [t.row() for t in targets],
            title="Targets",
        )
    print(f"\nverdicts agree with the generator: {'yes' if all_agree else 'NO'}")

    payload = {
        "benchmark": "validate",
        "rows": rows,
        "memory_rows": memory_rows,
        "repeat": repeat,
        "argv": list(argv) if argv is not None else sys.argv[1:],
        "machine": info,
        "notes": notes,
        "groups": [
            {
                "section": g.section,
                "variant": g.variant,
                "engine": g.task,
                "label": LABELS[g.task],
                "file": str(g.path),
                "wall_s": g.wall,
                "work_s": g.work,
                "peak_rss_bytes": g.rss,
                "failures": g.failures,
                "error": g.error,
                "runs": [r.to_dict() for r in g.runs],
            }
            for g in groups
        ],
        "verdicts": verdict_tables,
        "verdicts_agree": all_agree,
        "targets": [t.to_dict() for t in targets],
    }
    path = write_results("validate", payload, tag=str(rows))
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
