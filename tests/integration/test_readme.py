"""The README's shell examples run as written, in order, on a fresh copy of the repository.

Convention (what this test holds the README to):

- A ```bash block is a set of commands to type. Every one of them runs, in the order of the
  README, in one bash session (so the folder and variables carry from block to block, as in a
  terminal) under ``set -euo pipefail``: any command that fails fails the test. A command
  whose failure is the point is written ``cmd || echo "exit code $?"``.
- A ```console block is a transcript: lines starting with ``$ `` are commands and run too, in
  the same session and order; each must exit 0, or with the number the transcript shows right
  after it (``$ echo $?`` then ``1``). The other lines are illustrative output, not compared.
- ```text, ```yaml, ```toml, ```json and ```python blocks are not shell and are not run here,
  except the pre-commit configuration (the ```yaml block that starts with
  ``# .pre-commit-config.yaml``): it is run by the real ``pre-commit`` in a git repository
  holding a copy of the sample workspace.
- No command may print a Python traceback or a datalife internal error.

The copy holds the repository's tracked files (what a fresh clone has). Its ``.venv`` is not a
new environment: ``.venv/bin`` links to the environment running this test, and the install
stamp ``make`` checks is newer than ``pyproject.toml``, so ``make demo`` uses it as it is
(nothing is installed, and the environment is never rebuilt from the copy).

Run it alone with ``pytest -m readme``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, skip_or_fail

pytestmark = [pytest.mark.readme, pytest.mark.e2e, pytest.mark.timeout(600)]

README = REPO / "README.md"
BIN = Path(sys.executable).parent
FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass(frozen=True)
class Block:
    """A fenced block of the README: its info string, first line number and lines."""

    lang: str
    line: int
    lines: tuple[str, ...]


def blocks(text: str) -> list[Block]:
    """Every fenced block, in order (line numbers are 1-based, of the first content line)."""
    found: list[Block] = []
    lang: str | None = None
    start, body = 0, list[str]()
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line)
        if lang is None and match:
            lang, start, body = match.group(1), number + 1, []
        elif lang is not None and line.startswith("```"):
            found.append(Block(lang, start, tuple(body)))
            lang = None
        elif lang is not None:
            body.append(line)
    assert lang is None, "README.md: a fenced block is never closed"
    return found


def console_commands(block: Block) -> list[tuple[int, str, int]]:
    """``(line, command, expected exit code)`` of each ``$ `` line of a transcript."""
    out: list[tuple[int, str, int]] = []
    lines = block.lines
    for i, line in enumerate(lines):
        if not line.startswith("$ "):
            continue
        command = line[2:].strip()
        if command == "echo $?":
            continue
        expected = 0
        if i + 2 < len(lines) and lines[i + 1] == "$ echo $?" and lines[i + 2].strip().isdigit():
            expected = int(lines[i + 2])
        out.append((block.line + i, command, expected))
    return out


def script(text: str) -> str:
    """One bash script running every shell command of the README in order."""
    parts = ["set -euo pipefail"]
    for block in blocks(text):
        if block.lang == "bash":
            parts.append(f"echo '@@ README.md:{block.line} (bash block)' >&2")
            parts.extend(block.lines)
        elif block.lang == "console":
            for line, command, expected in console_commands(block):
                parts.append(f"echo '@@ README.md:{line}: $ '{shlex.quote(command)} >&2")
                parts.append(
                    f"set +e; {command}; rc=$?; set -e; if [ $rc -ne {expected} ]; then "
                    f"echo 'README.md:{line}: exit '$rc', expected {expected}' >&2; exit 97; fi"
                )
    return "\n".join(parts) + "\n"


def precommit_config(text: str) -> str:
    (config,) = [
        "\n".join(b.lines)
        for b in blocks(text)
        if b.lang == "yaml" and b.lines and b.lines[0].startswith("# .pre-commit-config.yaml")
    ]
    return config + "\n"


def fresh_copy(dest: Path) -> Path:
    """The repository's tracked files (a fresh clone's), and a .venv that is this one."""
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, timeout=60
    ).stdout.decode()
    for rel in filter(None, listing.split("\0")):
        source = REPO / rel
        if source.is_file():  # a tracked file someone is deleting right now is skipped
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)
    venv = dest / ".venv"
    venv.mkdir()
    (venv / "bin").symlink_to(BIN, target_is_directory=True)
    stamp = venv / ".installed"
    stamp.touch()
    newer = (dest / "pyproject.toml").stat().st_mtime + 1
    os.utime(stamp, (newer, newer))  # make must never reinstall into this environment
    return dest


def env_for(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "DATALIFE_DEBUG", "MAKEFLAGS", "MFLAGS")
    }
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        NO_COLOR="1",
        PRE_COMMIT_HOME=str(home / "pre-commit"),
        GIT_AUTHOR_NAME="datalife tests",
        GIT_AUTHOR_EMAIL="tests@datalife.invalid",
        GIT_COMMITTER_NAME="datalife tests",
        GIT_COMMITTER_EMAIL="tests@datalife.invalid",
        GIT_CONFIG_NOSYSTEM="1",
    )
    return env


def check_output(proc: subprocess.CompletedProcess[str], what: str) -> None:
    where = [ln for ln in proc.stderr.splitlines() if ln.startswith("@@ ")]
    context = f"{what}: last step {where[-1][3:] if where else '(none)'}\n"
    tail = f"--- stdout (end)\n{proc.stdout[-3000:]}\n--- stderr (end)\n{proc.stderr[-3000:]}"
    assert proc.returncode == 0, context + f"exit {proc.returncode}\n" + tail
    for bad in ("Traceback (most recent call last)", "datalife: internal error"):
        assert bad not in proc.stdout + proc.stderr, context + bad + "\n" + tail


def test_extracts_blocks_and_transcripts() -> None:
    """The extraction itself, on a small README."""
    text = "\n".join(
        [
            "# t",
            "```bash",
            "echo one   # a comment",
            "```",
            "```console",
            "$ false",
            "$ echo $?",
            "1",
            "$ true",
            "output",
            "```",
            "```python",
            "print('not shell')",
            "```",
        ]
    )
    got = blocks(text)
    assert [(b.lang, b.line) for b in got] == [("bash", 3), ("console", 6), ("python", 13)]
    assert console_commands(got[1]) == [(6, "false", 1), (9, "true", 0)]
    body = script(text)
    assert "echo one   # a comment" in body and "print(" not in body
    proc = subprocess.run(["bash", "-c", body], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    failing = subprocess.run(
        ["bash", "-c", script("```bash\ntrue\nfalse\necho never\n```\n")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert failing.returncode == 1 and "never" not in failing.stdout


def test_readme_shell_blocks_run_in_a_fresh_copy(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    assert any(b.lang == "bash" for b in blocks(text))
    root = fresh_copy(tmp_path / "datalife")
    env = env_for(tmp_path)
    proc = subprocess.run(
        ["bash", "-c", script(text)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    check_output(proc, "README.md shell blocks")
    # what the tour says happened, happened
    assert (root / "build" / "demo" / "splits" / "train.parquet").is_file()
    assert (root / "schemas" / "my_penguins" / "1.yaml").is_file()
    assert "exit code 1" in proc.stdout  # the batch that does not fit
    assert "incoming/2010.csv:2: 'Emperor'" in proc.stdout
    assert "incoming/2010.csv:121: 999.0" in proc.stdout


def test_readme_precommit_configuration_works(tmp_path: Path) -> None:
    """The README's .pre-commit-config.yaml, run by pre-commit on a workspace repository."""
    if shutil.which("pre-commit", path=str(BIN)) is None:
        skip_or_fail("pre-commit is not installed in this environment (it is a dev dependency)")
    config = precommit_config(README.read_text(encoding="utf-8"))
    ws = tmp_path / "project"
    ws.mkdir()
    shutil.copy(REPO / "datalife.toml", ws / "datalife.toml")
    shutil.copytree(REPO / "sample_data", ws / "sample_data")
    shutil.copytree(REPO / "schemas", ws / "schemas")
    (ws / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    env = env_for(tmp_path)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args), cwd=ws, env=env, capture_output=True, text=True, timeout=300, check=False
        )

    assert run("git", "init", "-q").returncode == 0
    assert run("git", "add", ".").returncode == 0
    ok = run("pre-commit", "run", "--all-files")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "datalife validate" in ok.stdout and "Passed" in ok.stdout
    # a staged batch that does not fit is refused
    batch = (ws / "sample_data" / "2009.csv").read_text(encoding="utf-8")
    (ws / "sample_data" / "2010.csv").write_text(
        batch.replace("Adelie,", "Emperor,", 1), encoding="utf-8"
    )
    assert run("git", "add", "sample_data/2010.csv").returncode == 0
    bad = run("pre-commit", "run")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Emperor" in bad.stdout
