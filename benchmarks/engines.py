"""The cost of the engine contract on small frames: ``datalife.validate`` of a 1,000-row pandas
frame against the bundled penguins schema, through each engine, next to pandera validating the
same frame with the same schema (the work the pandas engine renders), in one process and one run.

Target (issue "One schema, one verdict"): the engine call overhead on a 1,000-row frame is at
most 5 ms, i.e. ``datalife.validate(frame, engine="pandas")`` takes no more than pandera's own
``schema.validate`` plus 5 ms.

    python -m benchmarks.engines [--rows 1000] [--repeat 50]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks._common import REPO, median, print_table, write_results


def _time(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm: imports, caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    value = median(times)
    assert value is not None
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args(argv)

    import pandas as pd

    import datalife
    from datalife.reading import read_pandas
    from datalife.schemas.registry import load_schema

    sv = load_schema("penguins@1", REPO)
    batches = sorted((REPO / "sample_data").glob("*.csv"))
    base = read_pandas(batches, sv.spec)
    frame = pd.concat([base] * (args.rows // len(base) + 1), ignore_index=True).head(args.rows)
    schema = sv.schema
    pandera_s = _time(lambda: schema.validate(frame, lazy=True), args.repeat)
    rows = [["pandera schema.validate (baseline)", f"{pandera_s * 1000:.2f} ms", "", ""]]
    results: dict[str, Any] = {"rows": args.rows, "pandera_s": pandera_s, "engines": {}}
    for engine in ("pandas", "duckdb"):
        seconds = _time(
            lambda engine=engine: datalife.validate(frame, sv, engine=engine, record=False),
            args.repeat,
        )
        overhead = seconds - pandera_s
        results["engines"][engine] = {"seconds": seconds, "overhead_s": overhead}
        target = "<= 5 ms" if engine == "pandas" else ""
        rows.append(
            [
                f"datalife.validate(engine={engine!r})",
                f"{seconds * 1000:.2f} ms",
                f"{overhead * 1000:+.2f} ms",
                target,
            ]
        )
    print_table(
        ["what", "median", "vs pandera", "target"],
        rows,
        title=f"validate a {args.rows}-row pandas frame (penguins@1), median of {args.repeat}",
    )
    path = write_results("engines", results)
    print(f"results: {path.relative_to(REPO)}")
    ok = results["engines"]["pandas"]["overhead_s"] <= 0.005
    print("target met" if ok else "target MISSED: pandas engine overhead above 5 ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
