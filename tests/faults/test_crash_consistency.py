"""Crash consistency: `datalife run` and `datalife split` killed or starved at their write points.

Each case runs a command in a forked child that dies at one write point (the
``DATALIFE_FAULT`` test hook: ``os._exit`` as a SIGKILL would leave things, or an ``OSError``
such as ENOSPC raised there), or that is killed by SIGKILL after a random delay; then the
command is run again and the workspace is checked:

- no lineage event lost or duplicated: every run has one START and one terminal event, and
  the run the pipeline state names has its COMPLETE event;
- the outputs equal those of an uninterrupted run byte for byte (run ids masked: the one
  thing two runs write differently);
- ``lineage verify`` is clean; no temporary file or journal is left; the log ends with a
  complete line.

Everything is seeded: a failure names the write point or delay, and re-running the test
repeats it. Kill points in total (see ``test_kill_point_budget``): at least 200.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from tests.faults.harness import (
    EXIT_KILLED,
    Command,
    check_log,
    check_state_recorded,
    cli_in_child,
    in_child,
    leftovers,
    make_workspace,
    outputs,
    verify_clean,
    write_points,
)

pytestmark = [
    pytest.mark.faults,
    pytest.mark.timeout(1200),  # each case loops over dozens of killed children
    pytest.mark.skipif(not hasattr(os, "fork"), reason="the harness forks"),
]

SEED = 20261206
SPLIT_ARGS = ("split", "data/a.csv", "data/b.csv", "--out", "sp", "--seed", "3")
KILLS: dict[str, int] = {}  # scenario -> kill points exercised (checked by the budget test)


def run_cmd(root: Path) -> Callable[[], int]:
    return cli_in_child(root, "run")


def forced_run(root: Path) -> Callable[[], int]:
    return cli_in_child(root, "run", "--force")


def split_cmd(root: Path) -> Callable[[], int]:
    return cli_in_child(root, *SPLIT_ARGS)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``template`` (no outputs yet), ``ran`` (after one run and one split) and ``reference``
    (an uninterrupted run and split, for the byte comparisons)."""
    tmp = tmp_path_factory.mktemp("faults")
    cwd = Path.cwd()
    template = make_workspace(tmp / "template")
    ran = tmp / "ran"
    shutil.copytree(template, ran)
    # in this process: the children forked later inherit the loaded modules
    from datalife.cli import main

    os.chdir(ran)
    try:
        assert main(["run"]) == 0
        assert main(list(SPLIT_ARGS)) == 0
    finally:
        os.chdir(cwd)
    reference = tmp / "reference"
    shutil.copytree(ran, reference)
    return {"template": template, "ran": ran, "reference": reference, "tmp": tmp}


def fresh(base: dict[str, Path], which: str, name: str) -> Path:
    target = base["tmp"] / name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(base[which], target)
    return target


def check_after(root: Path, reference: Path, *, pipeline: bool, split: bool) -> None:
    assert leftovers(root) == [], "temporary files or journals left"
    check_log(root)
    if pipeline:
        check_state_recorded(root)
        assert outputs(root, "out") == outputs(reference, "out")
    if split:
        assert outputs(root, "sp") == outputs(reference, "sp")
    verify_clean(root)


def _sample(points: list[str], n: int, salt: str) -> list[int]:
    """``n`` seeded write-point indexes (1-based), all of them when there are fewer."""
    indexes = list(range(1, len(points) + 1))
    if n >= len(indexes):
        return indexes
    return sorted(random.Random(f"{SEED}-{salt}").sample(indexes, n))


def _kill_each(
    base: dict[str, Path],
    start: str,
    command: Command,
    rerun: Command,
    *,
    action: str = "exit",
    expect: int = EXIT_KILLED,
    sample: int | None = None,
    pipeline: bool,
    split: bool,
    name: str,
    reference: Path | None = None,
) -> int:
    points = write_points(base[start], command, base["tmp"])
    chosen = _sample(points, sample or len(points), name)
    failures: list[str] = []
    for k in chosen:
        root = fresh(base, start, f"{name}-{k}")
        status = in_child(command(root), {"DATALIFE_FAULT": f"{k}={action}"})
        try:
            assert status == expect, f"exit {status}, expected {expect}"
            assert in_child(rerun(root)) == 0, "the re-run failed"
            check_after(root, reference or base["reference"], pipeline=pipeline, split=split)
        except AssertionError as exc:
            failures.append(f"point {k} ({points[k - 1]}): {exc}")
        else:
            shutil.rmtree(root)
    assert not failures, "\n".join(failures)
    KILLS[name] = len(chosen)
    return len(chosen)


def test_forced_run_killed_at_every_write_point(base: dict[str, Path]) -> None:
    """A forced run over existing outputs, killed at each of its write points."""
    n = _kill_each(base, "ran", forced_run, run_cmd, pipeline=True, split=True, name="run-forced")
    assert n >= 30


def test_first_run_killed_at_write_points(base: dict[str, Path]) -> None:
    """The first run of a workspace (no outputs yet), killed at a seeded sample of points."""
    _kill_each(
        base,
        "template",
        run_cmd,
        run_cmd,
        sample=12,
        pipeline=True,
        split=False,
        name="run-first",
    )


def test_split_killed_at_every_write_point(base: dict[str, Path]) -> None:
    """`datalife split` writing over its previous outputs, killed at each write point."""
    n = _kill_each(base, "ran", split_cmd, split_cmd, pipeline=True, split=True, name="split")
    assert n >= 10


@pytest.mark.parametrize("mode", [("--key", "id"), ("--group", "y")], ids=["key", "group"])
def test_split_modes_killed_at_every_write_point(
    base: dict[str, Path], mode: tuple[str, str]
) -> None:
    """The stable (hash) and group-aware splits stream their outputs differently."""

    def command(root: Path) -> Callable[[], int]:
        return cli_in_child(root, *SPLIT_ARGS, *mode)

    reference = fresh(base, "ran", f"reference-{mode[0][2:]}")
    assert in_child(command(reference)) == 0
    n = _kill_each(
        base,
        "ran",
        command,
        command,
        pipeline=True,
        split=True,
        name=f"split-{mode[0][2:]}",
        reference=reference,
    )
    assert n >= 10


def test_first_split_killed_at_every_write_point(base: dict[str, Path]) -> None:
    n = _kill_each(
        base, "template", split_cmd, split_cmd, pipeline=False, split=True, name="split-first"
    )
    assert n >= 10


@pytest.mark.parametrize(
    "args",
    [("validate", "data/a.csv", "data/b.csv"), ("stats", "data/a.csv", "--save")],
    ids=["validate", "stats-save"],
)
def test_other_recorded_commands_killed_at_every_write_point(
    base: dict[str, Path], args: tuple[str, ...]
) -> None:
    """Any recorded command killed mid-run is closed (ABORT) by the next recorded command."""

    def command(root: Path) -> Callable[[], int]:
        return cli_in_child(root, *args)

    n = _kill_each(
        base, "ran", command, command, pipeline=True, split=True, name=f"other-{args[0]}"
    )
    assert n >= 4


def test_torn_lineage_line_at_every_append(base: dict[str, Path]) -> None:
    """Killed half way through writing a lineage line: the next append cuts it off."""
    for command, name in ((forced_run, "run"), (split_cmd, "split")):
        points = write_points(base["ran"], command, base["tmp"])
        appends = [i + 1 for i, p in enumerate(points) if p.startswith("append:")]
        assert appends
        for k in appends:
            root = fresh(base, "ran", f"torn-{name}-{k}")
            assert in_child(command(root), {"DATALIFE_FAULT": f"{k}=torn"}) == EXIT_KILLED
            log = next((root / "lineage").glob("*.jsonl")).read_bytes()
            assert not log.endswith(b"\n")  # the torn line is there...
            assert in_child(run_cmd(root)) == 0
            assert in_child(split_cmd(root)) == 0
            check_after(root, base["reference"], pipeline=True, split=True)  # ...and cut off
            shutil.rmtree(root)
        KILLS[f"torn-{name}"] = len(appends)


def test_full_disk_at_write_points(base: dict[str, Path]) -> None:
    """ENOSPC at a write point: a datalife error (exit 2) naming the file; the next run
    recovers and nothing is lost."""
    points = write_points(base["ran"], forced_run, base["tmp"])
    chosen = _sample(points, 10, "enospc")
    for k in chosen:
        root = fresh(base, "ran", f"enospc-{k}")
        status = in_child(forced_run(root), {"DATALIFE_FAULT": f"{k}=enospc"})
        assert status == 2, f"point {k} ({points[k - 1]}): exit {status}"
        assert in_child(run_cmd(root)) == 0
        check_after(root, base["reference"], pipeline=True, split=True)
        shutil.rmtree(root)


def test_full_disk_message_names_the_file(
    base: dict[str, Path], capfd: pytest.CaptureFixture[str]
) -> None:
    root = fresh(base, "ran", "enospc-message")
    status = in_child(forced_run(root), {"DATALIFE_FAULT": "write:train.parquet=enospc"})
    err = capfd.readouterr().err
    assert status == 2
    assert "train.parquet: cannot write (No space left on device)" in err
    assert "Fix: free some disk space" in err and "internal error" not in err
    assert leftovers(root) == []
    assert in_child(run_cmd(root)) == 0
    check_after(root, base["reference"], pipeline=True, split=True)


def test_permission_denied_at_write_points(
    base: dict[str, Path], capfd: pytest.CaptureFixture[str]
) -> None:
    """EACCES (a folder made read-only mid-run; root ignores modes, so the hook raises it)."""
    for selector in ("open:zscore.json", "rename:dev.parquet", "append:*", "open:pipeline.json"):
        root = fresh(base, "ran", "eacces")
        status = in_child(forced_run(root), {"DATALIFE_FAULT": f"{selector}=eacces"})
        err = capfd.readouterr().err
        assert status == 2, (selector, err)
        assert "Permission denied" in err and "internal error" not in err
        assert in_child(run_cmd(root)) == 0
        check_after(root, base["reference"], pipeline=True, split=True)


@pytest.mark.parametrize("limit", [3_000, 30_000])
def test_file_size_limit(
    base: dict[str, Path], limit: int, capfd: pytest.CaptureFixture[str]
) -> None:
    """RLIMIT_FSIZE (with SIGXFSZ ignored, writes past it fail with EFBIG): a clean error."""
    import resource
    import signal

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    root = fresh(base, "ran", f"fsize-{limit}")
    for command in (forced_run, split_cmd):
        status = in_child(command(root), setup=limited)
        err = capfd.readouterr().err
        assert status in (0, 2), err
        if status == 2:
            assert "File too large" in err and "internal error" not in err
    assert in_child(forced_run(root)) == 0
    assert in_child(split_cmd(root)) == 0
    check_after(root, base["reference"], pipeline=True, split=True)


def test_killed_by_signal_at_random_moments(base: dict[str, Path]) -> None:
    """SIGKILL after a seeded random delay, during run --force and split."""
    import time

    timings = {}
    for command, name in ((forced_run, "run"), (split_cmd, "split")):
        root = fresh(base, "ran", f"timing-{name}")
        started = time.monotonic()
        assert in_child(command(root)) == 0
        timings[name] = time.monotonic() - started
        shutil.rmtree(root)
    rng = random.Random(SEED)
    cases = [("run", forced_run, run_cmd)] * 10 + [("split", split_cmd, split_cmd)] * 40
    failures = []
    for i, (name, command, rerun) in enumerate(cases):
        delay = rng.uniform(0, timings[name] * 1.1)
        root = fresh(base, "ran", f"signal-{i}")
        in_child(command(root), kill_after=delay)
        try:
            assert in_child(rerun(root)) == 0
            check_after(root, base["reference"], pipeline=True, split=True)
        except AssertionError as exc:
            failures.append(f"case {i} ({name}, SIGKILL after {delay:.3f}s): {exc}")
        shutil.rmtree(root)
    assert not failures, "\n".join(failures)
    KILLS["signals"] = len(cases)


def test_concurrent_writers(base: dict[str, Path]) -> None:
    """Two forced runs and two splits at once: serialised by their locks, nothing lost."""
    root = fresh(base, "ran", "concurrent")
    pids = []
    for command in (forced_run, forced_run, split_cmd, split_cmd):
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                code = command(root)()
            finally:
                os._exit(code)
        pids.append(pid)
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    kinds = check_log(root)
    assert kinds["COMPLETE"] == 2 + 4  # the base run and split, then these four
    check_after(root, base["reference"], pipeline=True, split=True)


def test_concurrent_appends_never_interleave(tmp_path: Path) -> None:
    from datalife.lineage.store import LineageStore

    store = LineageStore(tmp_path / "lineage", tmp_path)
    store.directory.mkdir()
    writers, each = 4, 40

    def body(w: int) -> Callable[[], int]:
        def append() -> int:
            for i in range(each):
                store.append(
                    {
                        "eventTime": "2026-01-01T00:00:00Z",
                        "eventType": "OTHER",
                        "producer": "p",
                        "schemaURL": "s",
                        "run": {"runId": f"w{w}-{i}", "facets": {"pad": "x" * (1000 * w)}},
                        "job": {"namespace": "n", "name": "j"},
                    }
                )
            return 0

        return append

    pids = []
    for w in range(writers):
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                code = body(w)()
            finally:
                os._exit(code)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    issues: list[object] = []
    ids = sorted(ev["run"]["runId"] for _, _, ev in store.read(issues))  # type: ignore[arg-type]
    assert issues == []
    assert ids == sorted(f"w{w}-{i}" for w in range(writers) for i in range(each))


def test_kill_point_budget() -> None:
    """The issue asks for at least 200 kill points across commands (when all ran)."""
    expected = {"run-forced", "run-first", "split", "split-first", "signals"}
    if not expected <= set(KILLS):
        skip_or_fail("run with the whole of tests/faults to count the kill points")
    assert sum(KILLS.values()) >= 200, KILLS
