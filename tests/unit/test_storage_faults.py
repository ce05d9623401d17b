"""storage: atomic writes under faults, temporary files, the umask, the fault-injection hook."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from datalife.errors import DatalifeError, WriteFailed
from datalife.storage import (
    atomic_write_text,
    directory_lock,
    remove_stale_temporaries,
    temp_name,
)


@pytest.fixture
def umask_027() -> Iterator[None]:
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def test_new_files_follow_the_umask(tmp_path: Path, umask_027: None) -> None:
    """Outputs were 0600 whatever the umask (mkstemp's mode)."""
    target = tmp_path / "out.json"
    atomic_write_text(target, "{}")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "shared.json"
    target.write_text("old")
    target.chmod(0o664)
    atomic_write_text(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o664 and target.read_text() == "new"


@pytest.mark.parametrize(
    ("action", "code", "words"),
    [
        ("enospc", errno.ENOSPC, "No space left on device"),
        ("efbig", errno.EFBIG, "File too large"),
        ("eacces", errno.EACCES, "Permission denied"),
    ],
)
@pytest.mark.parametrize("point", ["open", "write", "rename"])
def test_a_failed_write_keeps_the_old_file_and_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, action: str, code: int, words: str, point: str
) -> None:
    target = tmp_path / "state.json"
    target.write_text("old")
    monkeypatch.setenv("DATALIFE_FAULT", f"{point}:state.json={action}")
    with pytest.raises(WriteFailed) as err:
        atomic_write_text(target, "new")
    assert isinstance(err.value, DatalifeError) and isinstance(err.value, OSError)
    assert err.value.errno == code and err.value.exit_code == 2
    assert f"state.json: cannot write ({words})" in str(err.value)
    assert "Fix:" in str(err.value)
    assert isinstance(err.value.__cause__, OSError)  # the original error is chained
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]  # no temporary left


def test_temporary_names_say_who_made_them(tmp_path: Path) -> None:
    name = temp_name(tmp_path / "train.parquet")
    assert name.startswith(".train.parquet.datalife-") and name.endswith(".tmp")
    assert f"-{os.getpid()}-" in name


def test_stale_temporaries_of_dead_processes_are_removed(tmp_path: Path) -> None:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)  # a process that is gone for sure
    dead = tmp_path / f".train.parquet.datalife-{pid}-0123abcd.tmp"
    alive = tmp_path / f".dev.parquet.datalife-{os.getppid()}-0123abcd.tmp"
    mine = tmp_path / temp_name(tmp_path / "test.parquet")
    foreign = tmp_path / ".notes.txt.tmp"  # not ours: never touched
    old_style = tmp_path / ".train.parquet.k3j4h5.tmp"  # an older datalife's mkstemp name
    for p in (dead, alive, mine, foreign, old_style):
        p.write_text("x")
    assert remove_stale_temporaries(tmp_path) == [dead]
    assert remove_stale_temporaries(tmp_path, ["train.parquet"], locked=True) == [old_style]
    assert alive.exists() and mine.exists() and foreign.exists()


def test_directory_lock_creates_nothing_and_excludes(tmp_path: Path) -> None:
    import fcntl

    with directory_lock(tmp_path):
        fd = os.open(tmp_path, os.O_RDONLY)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
    assert list(tmp_path.iterdir()) == []


def test_fault_hook_counts_and_logs_write_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datalife.storage as storage

    log = tmp_path / "points.log"
    monkeypatch.setenv("DATALIFE_FAULT_LOG", str(log))
    monkeypatch.setattr(storage, "_fault_count", 0)
    atomic_write_text(tmp_path / "a.txt", "a")
    assert [line.split(" ", 1)[1] for line in log.read_text().splitlines()] == [
        "open:a.txt",
        "write:a.txt",
        "rename:a.txt",
        "renamed:a.txt",
    ]
    monkeypatch.setenv("DATALIFE_FAULT", "6=eio")  # the second point of the next write
    with pytest.raises(WriteFailed, match="Input/output error"):
        atomic_write_text(tmp_path / "b.txt", "b")
    assert not (tmp_path / "b.txt").exists()


def test_a_write_removes_its_targets_dead_temporaries(tmp_path: Path) -> None:
    """Any command that writes a file cleans what a killed writer of that file left."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    stale = tmp_path / f".profile.json.datalife-{pid}-00000000.tmp"
    other = tmp_path / f".other.json.datalife-{pid}-00000000.tmp"
    stale.write_text("partial")
    other.write_text("partial")
    atomic_write_text(tmp_path / "profile.json", "{}")
    assert not stale.exists() and other.exists()
