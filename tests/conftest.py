"""Shared fixtures and hypothesis profiles (``ci`` on CI, ``dev`` otherwise)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "dev", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data"


_SESSION_CACHE: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """Caches (content hashes, lineage snapshots) go to a directory of this session, not the
    user's: the CLI runs in subprocesses, so the variable is set for the whole process."""
    import tempfile

    _SESSION_CACHE.append(tempfile.mkdtemp(prefix="datalife-test-cache-"))
    os.environ["DATALIFE_CACHE_DIR"] = _SESSION_CACHE[-1]


def pytest_unconfigure(config: pytest.Config) -> None:
    for folder in _SESSION_CACHE:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repository's sample workspace (config, schemas, sample data) in tmp."""
    root = tmp_path / "ws"
    root.mkdir()
    shutil.copy(REPO / "datalife.toml", root / "datalife.toml")
    shutil.copytree(REPO / "sample_data", root / "sample_data")
    shutil.copytree(REPO / "schemas", root / "schemas")
    (root / "lineage").mkdir()
    monkeypatch.chdir(root)
    return root


class CliResult:
    """What a CLI run printed and returned."""

    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code, self.stdout, self.stderr = code, stdout, stderr

    def json(self) -> Any:
        return json.loads(self.stdout)

    def __repr__(self) -> str:
        return f"<exit {self.code}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}>"


def run_cli(*args: str | Path, cwd: str | Path | None = None) -> CliResult:
    """Run ``python -m datalife ARGS`` in a fresh process."""
    env = {**os.environ, "NO_COLOR": "1", "DATALIFE_DEBUG": ""}
    proc = subprocess.run(
        [sys.executable, "-m", "datalife", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli(workspace: Path) -> Callable[..., CliResult]:
    """Run the CLI inside the sample workspace copy."""

    def run(*args: str | Path) -> CliResult:
        return run_cli(*args, cwd=workspace)

    return run


#: ``DATALIFE_TEST_STRICT=1`` (set by ``.ci/run``): a test that would be skipped because an
#: optional part cannot run here (Java for Spark, the pre-commit tool) fails instead, so a
#: machine that lost one cannot pass CI with those tests quietly skipped.
STRICT = os.environ.get("DATALIFE_TEST_STRICT") == "1"


def skip_or_fail(reason: str) -> NoReturn:
    """Skip with ``reason``, or fail under :data:`STRICT`."""
    if STRICT:
        pytest.fail(f"{reason} (DATALIFE_TEST_STRICT=1: every test must run here)")
    pytest.skip(reason)


def spark_session_or_skip() -> Any:
    """The Spark engine's session (local[2] in the tests, shared by the test session); a skip
    naming what is missing where Spark cannot run (a failure under :data:`STRICT`)."""
    from datalife.engines import get_engine, unavailable

    reason = unavailable("spark")
    if reason:
        skip_or_fail(f"Spark cannot run here (it needs pyspark and Java 17+): {reason}")
    return get_engine("spark").session()  # type: ignore[attr-defined]


def engine_params() -> list[Any]:
    """Every registered engine as a pytest parameter; one that cannot run here (an optional
    dependency or Java missing) is skipped with its reason (under :data:`STRICT` it runs, and
    fails saying why)."""
    from datalife.engines import engine_names, unavailable

    out: list[Any] = []
    for name in engine_names():
        reason = unavailable(name)
        marks = [pytest.mark.skip(reason=reason)] if reason and not STRICT else []
        out.append(pytest.param(name, marks=marks, id=name))
    return out
