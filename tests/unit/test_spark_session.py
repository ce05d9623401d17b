"""Where the Spark engine runs, and what it says when it cannot: no JVM is started here."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from datalife.engines.spark.checks import unsupported
from datalife.engines.spark.session import (
    ENV_MASTER,
    ENV_REMOTE,
    _check_reachable,
    java_problem,
    placement,
)
from datalife.errors import ConfigError, UnsupportedCheck
from datalife.plan.compile import compile_plan
from datalife.plan.spec import CheckSpec, ColumnSpec, SchemaSpec


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_MASTER, raising=False)
    monkeypatch.delenv(ENV_REMOTE, raising=False)


def _workspace(tmp_path: Path, table: str) -> Path:
    (tmp_path / "datalife.toml").write_text(f"format_version = 1\n\n{table}")
    return tmp_path


@pytest.mark.usefixtures("no_env")
def test_placement_from_the_config_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = _workspace(
        tmp_path,
        '[engine.spark]\nmaster = "local[3]"\nconf = { "spark.executor.memory" = "2g", '
        '"spark.sql.ansi.enabled" = true }\n',
    )
    where = placement(ws)
    assert (where.master, where.remote) == ("local[3]", None)
    assert dict(where.conf) == {"spark.executor.memory": "2g", "spark.sql.ansi.enabled": "true"}
    monkeypatch.setenv(ENV_REMOTE, "sc://spark.example:15002")
    where = placement(ws)
    assert (where.master, where.remote) == (None, "sc://spark.example:15002")
    assert not where.needs_java
    monkeypatch.setenv(ENV_MASTER, "local[1]")
    with pytest.raises(ConfigError, match="both"):
        placement(ws)


@pytest.mark.usefixtures("no_env")
def test_placement_defaults_to_local(tmp_path: Path) -> None:
    where = placement(_workspace(tmp_path, ""))
    assert (where.master, where.remote, where.conf) == ("local[*]", None, ())
    assert where.needs_java


@pytest.mark.usefixtures("no_env")
def test_master_and_remote_together_is_a_config_error(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, '[engine.spark]\nmaster = "local"\nremote = "sc://h:1"\n')
    with pytest.raises(ConfigError, match=r"engine\.spark") as info:
        placement(ws)
    assert info.value.exit_code == 2
    bad = _workspace(tmp_path, '[engine.spark]\nmastr = "local"\n')
    with pytest.raises(ConfigError, match="allowed: conf, master, remote"):
        placement(bad)


def test_java_missing_or_too_old(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "nojava"))
    problem = java_problem()
    assert problem is not None
    assert "was not found" in problem and "openjdk-17" in problem
    home = tmp_path / "jdk8"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text("#!/bin/sh\necho 'openjdk version \"1.8.0_292\"' >&2\n")
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(home))
    problem = java_problem()
    assert problem is not None and "is Java 8" in problem


def test_an_unreachable_connect_server_fails_within_the_wait() -> None:
    started = time.monotonic()
    with pytest.raises(ConfigError, match="did not answer") as info:
        _check_reachable("sc://127.0.0.1:9", 2.0)
    assert time.monotonic() - started < 5
    assert "start-connect-server" in str(info.value)
    with pytest.raises(ConfigError, match="not a Spark Connect URL"):
        _check_reachable("http://x", 1.0)


def test_checks_spark_cannot_express_are_listed_before_anything_runs() -> None:
    spec = SchemaSpec(
        {
            "a": ColumnSpec("a", dtype="int64", checks=(CheckSpec("my_check", {}, "my_check"),)),
            "b": ColumnSpec("b", dtype="str", checks=(CheckSpec("other", {}, "other(1)"),)),
        }
    )
    with pytest.raises(UnsupportedCheck, match="2 check") as info:
        unsupported(compile_plan(spec))
    assert "my_check on a" in str(info.value) and "other(1) on b" in str(info.value)
    assert "--engine duckdb" in str(info.value)


ROOT = Path(__file__).resolve().parents[2]


def _cli(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``datalife validate`` of a sample file of this repository's workspace on Spark."""
    base = {k: v for k, v in os.environ.items() if k not in (ENV_MASTER, ENV_REMOTE)}
    return subprocess.run(
        [sys.executable, "-m", "datalife", "validate", "sample_data/2007.csv", "--engine", "spark"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**base, **env},
        timeout=120,
        check=False,
    )


def test_cli_without_java_exits_2_naming_what_to_install(tmp_path: Path) -> None:
    res = _cli({"JAVA_HOME": str(tmp_path / "nojava"), "DATALIFE_SPARK_MASTER": "local[1]"})
    assert res.returncode == 2, res.stderr
    assert "Java" in res.stderr and "openjdk-17" in res.stderr


def test_cli_with_an_unreachable_connect_server_exits_2() -> None:
    started = time.monotonic()
    res = _cli({ENV_REMOTE: "sc://127.0.0.1:9", "DATALIFE_SPARK_CONNECT_TIMEOUT": "3"})
    assert res.returncode == 2, res.stderr
    assert "did not answer" in res.stderr
    assert time.monotonic() - started < 60
