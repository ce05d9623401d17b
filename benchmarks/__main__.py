"""Run every benchmark in ``benchmarks/`` in turn, or the named ones.

``python -m benchmarks [--list] [--rows N] [NAME ...] [-- EXTRA ARGS]``

A benchmark is any module ``benchmarks/<name>.py`` that is not private (``_common``), not the
data generator and defines ``main``. Each runs as ``python -m benchmarks.<name> [--rows N]
[EXTRA ARGS]`` in its own process, one after the other (never two heavy benchmarks at once).
The exit code is the number of benchmarks that failed to run (capped at 100).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["discover", "main"]

HERE = Path(__file__).resolve().parent
NOT_BENCHMARKS = frozenset({"__init__", "__main__", "generate"})
_MAIN = re.compile(r"^def main\(", re.MULTILINE)


def discover(directory: Path = HERE) -> list[str]:
    """Names of the benchmark modules in ``directory`` (sorted; ``startup`` first: it is light).

    Examples:
        >>> "validate" in discover() and "generate" not in discover()
        True
    """
    names = []
    for path in sorted(directory.glob("*.py")):
        name = path.stem
        if name.startswith("_") or name in NOT_BENCHMARKS:
            continue
        if _MAIN.search(path.read_text(encoding="utf-8")):
            names.append(name)
    return sorted(names, key=lambda n: (n != "startup", n))


def main(argv: Sequence[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in raw:
        i = raw.index("--")
        raw, extra = raw[:i], raw[i + 1 :]
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--rows", default=None, help="passed to every benchmark as --rows")
    args = parser.parse_args(raw)
    available = discover()
    if args.list:
        print("\n".join(available))
        return 0
    unknown = [n for n in args.names if n not in available]
    if unknown:
        parser.error(
            f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(available)}"
        )
    chosen = args.names or available
    failed: list[str] = []
    for name in chosen:
        cmd = [sys.executable, "-m", f"benchmarks.{name}"]
        if args.rows is not None:
            cmd += ["--rows", str(args.rows)]
        cmd += extra
        print(f"\n=== {' '.join(cmd[1:])}", flush=True)
        t0 = time.perf_counter()
        code = subprocess.run(cmd, cwd=HERE.parent, check=False).returncode
        took = time.perf_counter() - t0
        print(f"=== {name}: exit {code} after {took:.1f} s", flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return min(len(failed), 100)


if __name__ == "__main__":
    sys.exit(main())
