"""Progress bars: on a terminal after a delay, never when piped or with --format json."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest

from datalife.cli import _progress
from datalife.cli._progress import phased_progress, progress, size_of, stage_progress
from tests.conftest import SAMPLE


class Tty(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Tty:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("DATALIFE_PROGRESS_DELAY", "0")
    return Tty()


def _wait_for(stream: io.StringIO, text: str) -> None:
    deadline = time.monotonic() + 5
    while text not in stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_terminal_gets_a_bar(terminal: Tty) -> None:
    with progress("validating 3 files (1.2 MB)", stream=terminal) as update:
        update(1, 4)
        _wait_for(terminal, "validating")
    out = terminal.getvalue()
    assert "validating 3 files (1.2 MB)" in out and "━" in out


def test_stages_fill_the_bar(terminal: Tty) -> None:
    with stage_progress(["read", "write"], stream=terminal) as update:
        update("read", "start")
        update("read", "done")
        update("write", "start")
        _wait_for(terminal, "write")
    assert "write" in terminal.getvalue() and "50%" in terminal.getvalue()


def test_phases_are_named(terminal: Tty) -> None:
    with phased_progress({"scan": "scanning columns"}, stream=terminal) as report:
        assert report is not None
        report("scan", 2, 8)
        _wait_for(terminal, "scanning columns")
    assert "scanning columns" in terminal.getvalue()


def test_nothing_when_piped_or_json_or_quick(
    terminal: Tty, monkeypatch: pytest.MonkeyPatch
) -> None:
    piped = io.StringIO()
    with progress("x", stream=piped) as update, stage_progress(["a"], stream=piped) as stage:
        update(1, 2)
        stage("a", "start")
    with phased_progress({}, stream=piped) as report:
        assert report is None  # the library skips reporting altogether
    assert piped.getvalue() == ""
    with progress("x", fmt="json", stream=terminal) as update:
        update(1, 2)
        time.sleep(0.2)
    assert terminal.getvalue() == ""
    monkeypatch.setenv("DATALIFE_PROGRESS_DELAY", "5")
    with progress("x", stream=terminal) as update:
        update(1, 2)  # done before the delay: no bar at all
    assert terminal.getvalue() == ""


def test_size_of() -> None:
    assert (
        size_of([SAMPLE / "2007.csv"])
        == f"1 file ({(SAMPLE / '2007.csv').stat().st_size / 1000:.1f} kB)"
    )
    assert size_of([SAMPLE / "2007.csv", "no/such/file"]).startswith("2 files")
    assert _progress.DELAY == 1.0


def _on_a_terminal(args: list[str], cwd: Path) -> str:
    """Run the CLI with a pseudo-terminal as stdout and stderr; everything it drew."""
    main, sub = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    env.update(DATALIFE_PROGRESS_DELAY="0", TERM="xterm", COLUMNS="80")
    proc = subprocess.Popen(
        [sys.executable, "-m", "datalife", *args], cwd=cwd, stdout=sub, stderr=sub, env=env
    )
    os.close(sub)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(main)
    assert proc.returncode == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")


@pytest.mark.e2e
def test_commands_draw_on_a_terminal_and_not_on_a_pipe(workspace: Path) -> None:
    drawn = _on_a_terminal(["validate", "sample_data/2007.csv", "--no-record"], workspace)
    assert "validating 1 file" in drawn
    drawn = _on_a_terminal(["run", "--no-record"], workspace)
    assert "validate inputs" in drawn and "━" in drawn
    drawn = _on_a_terminal(["stats", "sample_data/2007.csv"], workspace)
    assert "profiling 1 file" in drawn
    split = ["split", "sample_data/2007.csv", "sample_data/2008.csv", "--out", "s", "--no-record"]
    assert "splitting 2 files" in _on_a_terminal(split, workspace)
    piped = subprocess.run(
        [sys.executable, "-m", "datalife", "run", "--force", "--no-record"],
        cwd=workspace,
        env={**os.environ, "DATALIFE_PROGRESS_DELAY": "0"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert piped.returncode == 0 and piped.stderr == "" and "━" not in piped.stdout
