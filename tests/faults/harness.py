"""The crash-consistency harness: a tiny workspace, commands run in forked children that die
at a chosen write point (``DATALIFE_FAULT``) or by a signal, and the checks made afterwards.

A forked child inherits the test process's imported modules, so a killed command costs a
few milliseconds of start-up instead of a fresh interpreter's second. The child never returns
into pytest: it always leaves with ``os._exit``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

CONFIG = """\
format_version = 1

[datasets.raw]
files = ["data/*.csv"]
schema = "raw"

[pipeline]
dataset = "raw"
output = "out"

[[pipeline.steps]]
transform = "ratio"
params = { numerator = "x", denominator = "y", output = "x_over_y" }

[[pipeline.steps]]
transform = "zscore"
params = { columns = ["x", "y"] }

[pipeline.split]
ratios = [0.6, 0.2, 0.2]
stratify = ["cls"]
seed = 7
"""

UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TEMP_NAMES = re.compile(r"\.tmp$|\.journal$")
EXIT_KILLED = 137


def make_workspace(root: Path) -> Path:
    """A workspace with two small CSV batches, a released schema and a two-step pipeline."""
    import pandera.pandas as pa

    from datalife.schemas.registry import SchemaRegistry

    root.mkdir(parents=True)
    (root / "datalife.toml").write_text(CONFIG)
    data = root / "data"
    data.mkdir()
    for batch, offset in (("a", 0), ("b", 20)):
        rows = ["id,x,y,cls"]
        rows += [
            f"{offset + i},{(offset + i) * 1.5 + 1:.1f},{(i % 7) + 1},{'pq'[i % 2]}"
            for i in range(20)
        ]
        (data / f"{batch}.csv").write_text("\n".join(rows) + "\n")
    (root / "lineage").mkdir()
    schema = pa.DataFrameSchema(
        {
            "id": pa.Column(int, pa.Check.ge(0), unique=True),
            "x": pa.Column(float),
            "y": pa.Column(float, coerce=True),
            "cls": pa.Column(str, pa.Check.isin(["p", "q"])),
        },
        name="raw",
    )
    SchemaRegistry(root).save(schema, "raw")
    return root


def in_child(
    fn: Callable[[], int],
    env: dict[str, str] | None = None,
    *,
    kill_after: float | None = None,
    setup: Callable[[], None] | None = None,
) -> int:
    """Run ``fn`` in a forked child (with ``env`` set there); return its exit status.

    ``kill_after`` sends SIGKILL that many seconds after the fork. A status killed by a
    signal is returned as 128 + the signal number, as a shell shows it.
    """
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 70
        try:
            os.environ.update(env or {})
            if setup is not None:
                setup()
            code = fn()
        except BaseException:  # noqa: BLE001 - report it as a status, the parent checks
            import traceback

            traceback.print_exc()
            code = 71
        finally:
            os._exit(code)
    if kill_after is not None:
        deadline = time.monotonic() + kill_after
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return _status(status)
            time.sleep(0.002)
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return _status(status)


def _status(status: int) -> int:
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def cli_in_child(root: Path, *args: str) -> Callable[[], int]:
    """A child body running ``datalife ARGS`` in ``root`` (its exit code)."""

    def body() -> int:
        os.chdir(root)
        from datalife.cli import main

        return main(list(args))

    return body


Command = Callable[[Path], Callable[[], int]]
"""Makes the child body of a command for a workspace root."""


def write_points(root: Path, command: Command, tmp: Path) -> list[str]:
    """The write points ``command`` passes through, in order (run once in a throwaway copy)."""
    probe = tmp / "probe"
    if probe.exists():
        shutil.rmtree(probe)
    shutil.copytree(root, probe)
    log = tmp / "points.log"
    log.unlink(missing_ok=True)
    status = in_child(command(probe), {"DATALIFE_FAULT_LOG": str(log)})
    assert status == 0, f"the uninterrupted command failed ({status})"
    shutil.rmtree(probe)
    return [line.split(" ", 1)[1] for line in log.read_text().splitlines()]


# -- checks after a re-run ----------------------------------------------------------------------


def normalised(path: Path) -> bytes:
    """A file's bytes with run ids (UUIDs) masked: the only thing two runs write differently."""
    data = path.read_bytes()
    if path.name == "pipeline.json":
        state = json.loads(data)
        state.pop("outputs", None)  # content hashes of files holding the run id
        data = json.dumps(state, sort_keys=True).encode()
    return UUID.sub(b"X" * 36, data)


def outputs(root: Path, folder: str) -> dict[str, bytes]:
    base = root / folder
    return {
        p.relative_to(root).as_posix(): normalised(p)
        for p in sorted(base.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def leftovers(root: Path) -> list[str]:
    """Temporary files, journals and markers of runs in progress anywhere in the workspace."""
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and (TEMP_NAMES.search(p.name) or p.parent.name == ".running")
    )


def events(root: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for log in sorted((root / "lineage").glob("*.jsonl")):
        raw = log.read_bytes()
        assert not raw or raw.endswith(b"\n"), f"{log} ends with a torn line"
        out.extend(json.loads(line) for line in raw.splitlines() if line.strip())
    return out


def check_log(root: Path) -> Counter[str]:
    """Every run has one START and exactly one terminal event; returns the terminal kinds."""
    starts: Counter[str] = Counter()
    ends: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for ev in events(root):
        rid = ev["run"]["runId"]
        if ev["eventType"] == "START":
            starts[rid] += 1
        else:
            ends[rid] += 1
            kinds[ev["eventType"]] += 1
    assert all(n == 1 for n in starts.values()), f"duplicated START: {starts}"
    assert ends == Counter(dict.fromkeys(starts, 1)), (
        f"runs without one end: {starts - ends}, {ends}"
    )
    return kinds


def check_state_recorded(root: Path, folder: str = "out") -> None:
    """The run the state file names has its COMPLETE event in the log (nothing lost)."""
    state = json.loads((root / folder / "pipeline.json").read_text())
    complete = {
        ev["run"]["runId"]
        for ev in events(root)
        if ev["eventType"] == "COMPLETE" and ev["job"]["name"] == "pipeline"
    }
    assert state["run_id"] in complete, "the state names a run whose COMPLETE event is lost"


def verify_clean(root: Path) -> None:
    import warnings

    from datalife import lineage

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = lineage.verify(root)
    assert report.ok, str(report)
