"""The pre-commit hooks' wall time against ``python -c pass``.

``python -m benchmarks.hooks [--rows 10000] [--runs 10] [--warmup 2]``

A git repository under ``benchmarks/data/hooks/`` holds a datalife workspace (dataset
``penguins`` over ``data/*.csv``, schema ``penguins@1`` committed) and a generated CSV of
``--rows`` valid penguin rows (sampled from ``sample_data/``). Each command runs ``--warmup``
times unmeasured, then ``--runs`` times in fresh processes through the ``datalife-hook``
console script, as pre-commit runs it; the median wall time and peak RSS are reported with the
ratio to bare Python:

* ``python -c pass``: the floor;
* ``validate`` on three files no dataset covers (goal, issue 3: <= 150 ms);
* ``schema-check`` with no schema file staged (the hook runs on every commit);
* ``validate`` on one ``--rows``-row CSV (goal: <= 1.5 s for 10k rows);
* ``schema-check`` on one new schema version (a compatible loosening of ``penguins@1``).

Each hook command also runs once under ``python -X importtime`` to list the heavy packages it
imported (none for the first two).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._common import (
    REPO,
    Run,
    compile_datalife,
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

__all__ = ["main", "make_workspace"]

DATA = Path(__file__).resolve().parent / "data" / "hooks"
NO_MATCH_GOAL = 0.150
ONE_FILE_GOAL = 1.5
HEAVY = ("pandas", "pandera", "pyarrow", "duckdb", "polars", "numpy", "pydantic", "click")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@datalife.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@datalife.invalid",
}


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, env={**os.environ, **GIT_ENV}
    )


def make_workspace(rows: int, root: Path = DATA, seed: int = 7) -> Path:
    """A fresh git workspace with ``data/batch.csv`` (``rows`` rows) and a staged ``penguins@2``."""
    if root.exists():
        shutil.rmtree(root)
    (root / "schemas" / "penguins").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "docs").mkdir()
    (root / "datalife.toml").write_text(
        'format_version = 1\ncompatibility = "BACKWARD"\n\n'
        '[datasets.penguins]\nfiles = ["data/*.csv"]\nschema = "penguins"\n',
        encoding="utf-8",
    )
    v1 = (REPO / "schemas" / "penguins" / "1.yaml").read_text(encoding="utf-8")
    (root / "schemas" / "penguins" / "1.yaml").write_text(v1, encoding="utf-8")
    for name in ("README.md", "docs/notes.md", "app.py"):
        (root / name).write_text("not data\n", encoding="utf-8")
    source: list[dict[str, str]] = []
    for path in sorted((REPO / "sample_data").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            source.extend(csv.DictReader(fh))
    rng = random.Random(seed)
    with (root / "data" / "batch.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(source[0]))
        writer.writeheader()
        writer.writerows(rng.choice(source) for _ in range(rows))
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "datalife.toml", "schemas", "README.md", "docs", "app.py")
    _git(root, "commit", "-q", "-m", "workspace")
    # a new, backward-compatible version: one more island
    v2 = re.sub(r"^version: 1$", "version: 2", v1, flags=re.MULTILINE)
    v2 = v2.replace("penguins@1", "penguins@2").replace(
        "      - Torgersen\n", "      - Torgersen\n      - Anvers\n", 1
    )
    (root / "schemas" / "penguins" / "2.yaml").write_text(v2, encoding="utf-8")
    _git(root, "add", "data", "schemas")
    return root


def _hook() -> list[str]:
    script = Path(sys.executable).parent / "datalife-hook"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "datalife.hooks"]


def _heavy(stderr: str) -> list[str]:
    found = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and line.count("|") >= 2:
            top = line.rsplit("|", 1)[1].strip().split(".")[0]
            if top in HEAVY:
                found.add(top)
    return sorted(found)


def _measure(cmd: list[str], cwd: Path, runs: int, warmup: int, label: str) -> list[Run]:
    for _ in range(warmup):
        run_process(cmd, cwd=cwd, label=label)
    return [run_process(cmd, cwd=cwd, label=label) for _ in range(runs)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hooks", description=__doc__)
    parser.add_argument(
        "--rows", type=lambda s: int(float(s.replace("M", "e6").replace("k", "e3"))), default=10_000
    )
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args(argv)

    info = machine_info()
    print(describe_machine(info))
    compile_datalife()
    busy = warn_if_busy()
    if busy:
        print(busy)
    root = make_workspace(args.rows)
    hook = _hook()
    cases: list[tuple[str, list[str], float | None, bool]] = [
        ("python -c pass", [sys.executable, "-c", "pass"], None, True),
        (
            "validate, 3 files matching no dataset",
            [*hook, "validate", "README.md", "docs/notes.md", "app.py"],
            NO_MATCH_GOAL,
            True,
        ),
        ("schema-check, no schema file staged", [*hook, "schema-check"], NO_MATCH_GOAL, True),
        (
            f"validate, one {args.rows:,}-row CSV",
            [*hook, "validate", "data/batch.csv"],
            ONE_FILE_GOAL if args.rows <= 10_000 else None,
            True,
        ),
        (
            "schema-check, one new schema version",
            [*hook, "schema-check", "schemas/penguins/2.yaml"],
            None,
            True,
        ),
    ]
    results: list[dict[str, Any]] = []
    floor: float | None = None
    for label, cmd, goal, _ in cases:
        runs = _measure(cmd, root, args.runs, args.warmup, label)
        codes = sorted({r.returncode for r in runs})
        walls = [r.wall_s for r in runs]
        med = statistics.median(walls)
        if floor is None:
            floor = med
        heavy: list[str] = []
        if cmd[0] != sys.executable:
            probe = run_process(
                [sys.executable, "-X", "importtime", "-m", "datalife.hooks", *cmd[len(hook) :]],
                cwd=root,
            )
            heavy = _heavy(probe.stderr)
        results.append(
            {
                "label": label,
                "cmd": cmd,
                "runs": len(runs),
                "median_s": med,
                "min_s": min(walls),
                "max_s": max(walls),
                "peak_rss": max(r.peak_rss for r in runs),
                "returncodes": codes,
                "ratio_vs_python": med / floor if floor else None,
                "goal_s": goal,
                "meets_goal": None if goal is None else med <= goal,
                "heavy_imports": heavy,
            }
        )
    rows = [
        [
            r["label"],
            fmt_seconds(r["median_s"]),
            f"{fmt_seconds(r['min_s'])}..{fmt_seconds(r['max_s'])}",
            fmt_bytes(r["peak_rss"]),
            fmt_ratio(r["ratio_vs_python"]),
            "-"
            if r["goal_s"] is None
            else f"<= {fmt_seconds(r['goal_s'])}: {'ok' if r['meets_goal'] else 'MISSED'}",
            ",".join(map(str, r["returncodes"])),
            ", ".join(r["heavy_imports"]) or "-",
        ]
        for r in results
    ]
    print_table(
        ["command", "median", "min..max", "peak RSS", "vs python", "goal", "exit", "heavy imports"],
        rows,
        title=f"pre-commit hook wall time ({args.runs} runs each, after {args.warmup} warm-up)",
    )
    path = write_results(
        "hooks",
        {
            "machine": info,
            "rows": args.rows,
            "runs": args.runs,
            "warmup": args.warmup,
            "results": results,
        },
    )
    print(f"\nwrote {path.relative_to(REPO)}")
    bad = [r for r in results if r["returncodes"] != [0]]
    if bad:
        print(
            "unexpected exit codes: " + "; ".join(f"{r['label']}: {r['returncodes']}" for r in bad)
        )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
