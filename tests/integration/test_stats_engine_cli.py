"""``--engine`` on ``datalife stats``, ``drift`` and ``skew``: which engines can profile, and
what happens when Spark cannot start (no Spark job runs here: see
tests/conformance/test_spark_profile.py for the profiles Spark computes)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import run_cli


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "d.csv"
    path.write_text("x,c\n1,a\n2,b\n4,a\n")
    return path


@pytest.mark.parametrize("command", ["stats", "drift", "skew"])
def test_an_engine_that_cannot_profile_is_a_usage_error(data: Path, command: str) -> None:
    args: list[str | Path] = [command, data] if command == "stats" else [command, data, data]
    out = run_cli(*args, "--engine", "pandas")
    assert out.code == 2, out
    assert "engine 'pandas' does not compute profiles" in out.stderr
    assert "duckdb, spark" in out.stderr
    assert "Traceback" not in out.stderr


def test_an_unknown_engine_names_the_known_ones(data: Path) -> None:
    out = run_cli("stats", data, "--engine", "nosuch")
    assert out.code == 2, out
    assert "unknown engine 'nosuch'" in out.stderr


def test_the_duckdb_engine_is_the_default(data: Path) -> None:
    default = run_cli("stats", data, "--format", "json")
    named = run_cli("stats", data, "--format", "json", "--engine", "duckdb")
    assert default.code == named.code == 0
    assert default.json() == named.json()
    assert "computed_by" not in default.json()


def test_python_api_refuses_an_engine_that_cannot_profile(data: Path) -> None:
    import datalife
    from datalife.errors import ConfigError

    with pytest.raises(ConfigError, match="does not compute profiles"):
        datalife.profile(data, engine="pandas")
    with pytest.raises(ConfigError, match="does not compute profiles"):
        datalife.detect_drift(data, data, engine="pandas")


@pytest.mark.parametrize("command", ["stats", "drift"])
def test_spark_without_java_is_exit_2_saying_what_to_install(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-java"))
    monkeypatch.setenv("DATALIFE_SPARK_MASTER", "local[1]")
    monkeypatch.delenv("DATALIFE_SPARK_REMOTE", raising=False)
    assert os.environ["JAVA_HOME"].endswith("no-java")
    args: list[str | Path] = [command, data] if command == "stats" else [command, data, data]
    out = run_cli(*args, "--engine", "spark")
    assert out.code == 2, out
    assert "cannot start Spark: Spark needs Java" in out.stderr
    assert "install Java 17" in out.stderr
    assert "Traceback" not in out.stderr
