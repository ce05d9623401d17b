"""Helpers shared by the benchmarks: fresh-process timing with peak RSS, tables, JSON results.

Every measurement runs a command in a fresh process. Wall time is taken around the process;
peak RSS is the kernel's high-water mark for it, as GNU ``time`` reports it (``%M``). A child may also report the time of its own work (after its
imports) by printing one ``BENCH_RESULT {json}`` line: see :func:`emit_result`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

__all__ = [
    "RESULTS_DIR",
    "Run",
    "datalife_cmd",
    "emit_result",
    "fmt_bytes",
    "fmt_ratio",
    "fmt_seconds",
    "machine_info",
    "median",
    "print_table",
    "run_process",
    "write_results",
]

RESULTS_DIR = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parent.parent
RESULT_MARK = "BENCH_RESULT "
PACKAGES = (
    "datalife",
    "pandas",
    "pandera",
    "duckdb",
    "pyarrow",
    "polars",
    "numpy",
    "great_expectations",
)


@dataclass
class Run:
    """One fresh-process run of a command."""

    label: str
    cmd: list[str]
    wall_s: float
    peak_rss: int  # bytes
    returncode: int
    stdout: str = field(repr=False, default="")
    stderr: str = field(repr=False, default="")
    result: dict[str, Any] | None = None  # the child's BENCH_RESULT, if it printed one
    timed_out: bool = False
    # CPU time the hypervisor gave other guests while this ran, all vCPUs (None: unknown)
    steal_s: float | None = None

    @property
    def work_s(self) -> float | None:
        """The time the child measured around its own work (None if it did not report one)."""
        if self.result is None or self.result.get("work_s") is None:
            return None
        return float(self.result["work_s"])

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("stdout")
        out["stderr"] = self.stderr[-2000:] if self.returncode not in (0, 1) else ""
        out["work_s"] = self.work_s
        return out


GNU_TIME = Path("/usr/bin/time")


def steal_seconds() -> float | None:
    """The machine's total steal time so far (Linux ``/proc/stat``), None elsewhere.

    Steal is time a virtual CPU was ready to run but the host ran something else: a run that
    saw much of it was slowed by the host, not by what it ran.
    """
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = fh.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def warm_page_cache(paths: Sequence[str | Path]) -> None:
    """Read ``paths`` once (untimed), so that the next run finds them in the page cache.

    On the benchmark machine the kernel pages out file cache that has not been read for a
    while (DAMON reclaim), so without this the first engine after a long gap (say, after Great
    Expectations' 15-second runs) would read part of its input from disk and the others not.
    Every measured run starts from the same state: its input cached.
    """
    buf = bytearray(16 << 20)
    for p in paths:
        with contextlib.suppress(OSError), open(p, "rb", buffering=0) as fh:
            while fh.readinto(buf):
                pass


def run_process(
    cmd: Sequence[str],
    *,
    label: str = "",
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> Run:
    """Run ``cmd`` in a fresh process; measure wall time and peak RSS.

    Peak RSS comes from GNU ``time`` (``/usr/bin/time -f %M``) when it is installed: the
    kernel's high-water mark of the command alone. Without it, ``os.wait4`` gives the same
    number, except that it can include the memory of this (forking) process, so small commands
    then show this process's size as a floor. Output goes to temporary files (no pipe can fill
    up while we wait); ``env`` entries are added to the current environment.

    Examples:
        >>> r = run_process([sys.executable, "-c", "print('hi')"])
        >>> r.returncode, r.stdout.strip(), r.wall_s > 0, r.peak_rss > 0
        (0, 'hi', True, True)
    """
    full_env = {**os.environ, **(env or {})}
    use_time = GNU_TIME.is_file() and os.access(GNU_TIME, os.X_OK)
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r", suffix=".rss") as rss_file,
    ):
        argv = list(cmd)
        if use_time:
            argv = [str(GNU_TIME), "-f", "%M", "-o", rss_file.name, *argv]
        steal0 = steal_seconds()
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,  # a timeout kills the whole group
        )
        timer: threading.Timer | None = None
        timed_out = threading.Event()
        if timeout is not None:

            def kill() -> None:
                timed_out.set()
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)

            timer = threading.Timer(timeout, kill)
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        steal1 = steal_seconds()
        if timer is not None:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak_kib = int(usage.ru_maxrss)  # Linux reports KiB
        if use_time:
            lines = rss_file.read().split()
            if lines and lines[-1].isdigit():
                peak_kib = int(lines[-1])
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    return Run(
        label=label,
        cmd=list(cmd),
        wall_s=wall,
        peak_rss=peak_kib * 1024,
        returncode=proc.returncode,
        stdout=stdout,
        stderr=stderr,
        result=parse_result(stdout),
        timed_out=timed_out.is_set(),
        steal_s=None if steal0 is None or steal1 is None else round(steal1 - steal0, 3),
    )


class RunsSummary:
    """Median wall and work time, and peak RSS, over a benchmark task's successful runs."""

    runs: list[Run]
    #: exit codes of a run that measured something (drift exits 1 when it finds drift)
    ok_codes: ClassVar[tuple[int, ...]] = (0,)

    @property
    def ok_runs(self) -> list[Run]:
        return [r for r in self.runs if r.returncode in self.ok_codes and r.result is not None]

    @property
    def wall(self) -> float | None:
        return median([r.wall_s for r in self.ok_runs])

    @property
    def work(self) -> float | None:
        return median([r.work_s for r in self.ok_runs])

    @property
    def rss(self) -> float | None:
        ok = self.ok_runs
        return max(r.peak_rss for r in ok) if ok else None

    @property
    def result(self) -> dict[str, Any]:
        ok = self.ok_runs
        return dict(ok[0].result or {}) if ok else {}


def emit_result(data: Mapping[str, Any]) -> None:
    """Print a child's result as the ``BENCH_RESULT`` line the parent parses."""
    sys.stdout.write(RESULT_MARK + json.dumps(dict(data), default=str) + "\n")
    sys.stdout.flush()


def parse_result(stdout: str) -> dict[str, Any] | None:
    """The last ``BENCH_RESULT`` line of ``stdout``, parsed.

    Examples:
        >>> parse_result('noise\\nBENCH_RESULT {"work_s": 1.5}\\n')
        {'work_s': 1.5}
        >>> parse_result("no result") is None
        True
    """
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            value = json.loads(line[len(RESULT_MARK) :])
            return value if isinstance(value, dict) else None
    return None


def median(values: Sequence[float | None]) -> float | None:
    """Median of the values that are not None (None if there are none)."""
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def fmt_seconds(s: float | None) -> str:
    """``0.0123`` -> ``'12.3 ms'``, ``3.2`` -> ``'3.20 s'``.

    Examples:
        >>> fmt_seconds(0.0123), fmt_seconds(3.2), fmt_seconds(None)
        ('12.3 ms', '3.20 s', '-')
    """
    if s is None:
        return "-"
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def fmt_bytes(n: float | None) -> str:
    """Bytes as MB or GB (decimal units).

    Examples:
        >>> fmt_bytes(350e6), fmt_bytes(3.1e9)
        ('350 MB', '3.10 GB')
    """
    if n is None:
        return "-"
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def fmt_ratio(r: float | None) -> str:
    return "-" if r is None else f"{r:.2f}x"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str = "") -> None:
    """Print an aligned plain-text table (numbers right-aligned)."""
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))

    def right(c: str) -> bool:
        return bool(c) and (c[0].isdigit() or c[0] in "-+.") and c not in ("-",)

    if title:
        print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print(
            "  ".join(
                c.rjust(w) if right(c) else c.ljust(w) for c, w in zip(row, widths, strict=True)
            ).rstrip()
        )
    sys.stdout.flush()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _mem_total() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _git_commit() -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        out = subprocess.run(
            [git, "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def machine_info() -> dict[str, Any]:
    """Where a result was measured: CPU, cores, memory, load, OS, Python and package versions."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    try:
        load: list[float] | None = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_bytes": _mem_total(),
        "load_average": load,
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "git_commit": _git_commit(),
    }


def describe_machine(info: Mapping[str, Any]) -> str:
    """One line for the top of a benchmark's output."""
    mem = info.get("memory_bytes")
    mem_s = f"{mem / 2**30:.0f} GiB" if mem else "? GiB"
    load = info.get("load_average")
    pk = info.get("packages", {})
    return (
        f"{info.get('cpu')} x{info.get('cores')}, {mem_s}, load {load}; Python "
        f"{info.get('python')}, datalife {pk.get('datalife')}, pandera {pk.get('pandera')}, "
        f"duckdb {pk.get('duckdb')}, polars {pk.get('polars')}, pandas {pk.get('pandas')}"
    )


def compile_datalife(root: Path | None = None) -> None:
    """Write the bytecode of the datalife package under ``root`` (default: this repository).

    An installed package has its ``.pyc`` files; a working copy whose modules changed since
    they were last imported (or run with ``PYTHONDONTWRITEBYTECODE``) would compile them in
    every timed process (~16 ms for the validation modules).
    """
    import compileall

    base = root if root is not None else Path(__file__).resolve().parent.parent
    compileall.compile_dir(str(base / "datalife"), quiet=1)


def warn_if_busy(threshold: float | None = None) -> str | None:
    """A warning when the 1-minute load average says other work shares the machine."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return None
    limit = threshold if threshold is not None else 0.5 * (os.cpu_count() or 1)
    if load > limit:
        return (
            f"warning: load average {load:.2f} on {os.cpu_count()} cores: other work is "
            "running, absolute times will be noisy (ratios measured in this run still compare)"
        )
    return None


def write_results(topic: str, payload: Mapping[str, Any], tag: str = "") -> Path:
    """Write ``payload`` to ``benchmarks/results/<topic>[-<tag>]-<UTC time>.json``; the path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"{topic}{'-' + tag if tag else ''}-{stamp}.json"
    path = RESULTS_DIR / name
    tmp = path.with_name(f".{name}.tmp")
    tmp.write_text(json.dumps(dict(payload), indent=2, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def datalife_cmd() -> list[str]:
    """The ``datalife`` console script next to this Python (else ``python -m datalife``)."""
    script = Path(sys.executable).parent / "datalife"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "datalife"]
