"""The core CLI end to end: init, dataset add, schema infer/list/show, validate."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult, run_cli

Cli = Callable[..., CliResult]


def no_traceback(result: CliResult) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result


def test_version_and_help() -> None:
    out = run_cli("--version")
    assert out.code == 0 and "0.1.0" in out.stdout
    for args in (["--help"], ["schema", "--help"], ["validate", "--help"], ["dataset", "--help"]):
        res = run_cli(*args)
        assert res.code == 0, res
        assert "Usage" in res.stdout


def test_validate_sample_workspace(cli: Cli, workspace: Path) -> None:
    res = cli(
        "validate",
        "sample_data/2007.csv",
        "sample_data/2008.csv",
        "sample_data/2009.csv",
        "--no-record",
    )
    assert res.code == 0, res
    assert "valid" in res.stdout and "penguins@1" in res.stdout
    js = cli("validate", "sample_data/2009.csv", "--format", "json", "--no-record").json()
    assert js["valid"] is True and js["schema"] == "penguins@1" and js["rows"] == 120
    assert len(js["dataset_version"]) == 64 and js["failures"] == []


def test_validate_bad_data_exit_1_names_column_and_rows(cli: Cli, workspace: Path) -> None:
    path = workspace / "sample_data" / "2010.csv"
    rows = (workspace / "sample_data" / "2009.csv").read_text().splitlines()
    rows[3] = (
        rows[3]
        .replace("Gentoo", "Emperor")
        .replace("Adelie", "Emperor")
        .replace("Chinstrap", "Emperor")
    )
    rows.append("Adelie,Dream,999,18,190,3500,male,2010")
    path.write_text("\n".join(rows) + "\n")
    res = cli("validate", path, "--no-record")
    assert res.code == 1, res
    assert "species" in res.stdout and "Emperor" in res.stdout and "2010.csv:4" in res.stdout
    assert "bill_length_mm" in res.stdout and "999" in res.stdout
    js = cli("validate", path, "--format", "json", "--no-record").json()
    checks = {(f["column"], f["check"]) for f in js["failures"]}
    assert ("species", "isin") in checks and ("bill_length_mm", "in_range") in checks
    assert ("year", "in_range") in checks
    ex = next(f for f in js["failures"] if f["column"] == "species")["examples"][0]
    assert ex["line"] == 4 and ex["value"] == "Emperor"


def test_unknown_schema_and_version_exit_2(cli: Cli) -> None:
    res = cli("validate", "sample_data/2007.csv", "--schema", "penguin")
    assert res.code == 2 and "did you mean 'penguins'" in res.stderr
    res = cli("validate", "sample_data/2007.csv", "--schema", "penguins@9")
    assert res.code == 2 and "no version 9" in res.stderr
    no_traceback(res)


def test_paths_outside_every_dataset(cli: Cli, workspace: Path) -> None:
    other = workspace / "elsewhere.csv"
    other.write_text("a\n1\n")
    res = cli("validate", other)
    assert res.code == 2
    assert "belongs to no dataset" in res.stderr and "datalife dataset add" in res.stderr


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        (b"", "empty"),
        (b"species,island\nAdelie,Dream,extra\n", "ragged"),
        (b'species,island\n"Adelie,Dream\n', "quoted value"),
        (b"species,island\nAd\xe9lie,Dream\n", "not UTF-8"),
    ],
)
def test_unreadable_files_exit_2(cli: Cli, workspace: Path, content: bytes, expect: str) -> None:
    path = workspace / "sample_data" / "broken.csv"
    path.write_bytes(content)
    res = cli("validate", path, "--no-record")
    assert res.code == 2, res
    assert expect in res.stderr and "broken.csv" in res.stderr
    no_traceback(res)
    js = cli("validate", path, "--no-record", "--format", "json")
    assert js.code == 2 and js.json()["reason"] == "input"


def test_missing_file_and_malformed_schema(cli: Cli, workspace: Path) -> None:
    res = cli("validate", "sample_data/nope.csv")
    assert res.code == 2 and "no such file" in res.stderr
    (workspace / "schemas" / "penguins" / "2.yaml").write_text(
        "name: penguins\nversion: 2\nschema: [\n"
    )
    res = cli("validate", "sample_data/2007.csv", "--no-record")
    assert res.code == 2 and "2.yaml" in res.stderr and "not valid YAML" in res.stderr
    (workspace / "schemas" / "penguins" / "2.yaml").write_text(
        "name: penguins\nversion: 2\nschema: !!python/object/apply:os.system ['true']\n"
    )
    res = cli("validate", "sample_data/2007.csv", "--no-record")
    assert res.code == 2 and "unsafe YAML tag" in res.stderr
    no_traceback(res)


def test_init_dataset_add_infer_validate(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    assert run_cli("init", root).code == 0
    (root / "data").mkdir()
    (root / "data" / "a.csv").write_text(
        "user_id,score,tier\n1,0.5,gold\n2,0.7,gold\n3,0.1,free\n4,0.9,free\n"
    )
    dry = run_cli("schema", "infer", "data/a.csv", "--name", "users", "--dry-run", cwd=root)
    assert (
        dry.code == 0 and "name: users" in dry.stdout and not (root / "schemas" / "users").exists()
    )
    res = run_cli("schema", "infer", "data/a.csv", "--name", "users", cwd=root)
    assert res.code == 0, res
    assert "dataset add users" in res.stderr  # no dataset covers the file yet: say how to add one
    assert (root / "schemas" / "users" / "1.yaml").is_file()
    again = run_cli("schema", "infer", "data/a.csv", "--name", "users", cwd=root)
    assert again.code == 2 and "schema evolve" in again.stderr
    assert run_cli("dataset", "add", "users", "data/*.csv", cwd=root).code == 0
    assert run_cli("validate", "data/a.csv", "--no-record", cwd=root).code == 0
    listing = run_cli("schema", "list", "--format", "json", cwd=root).json()
    assert listing == {"schemas": [{"name": "users", "versions": [1]}]}
    shown = run_cli("-C", root / "data", "schema", "show", "users@1")
    assert shown.code == 0 and "user_id" in shown.stdout
    datasets = run_cli("dataset", "list", "--format", "json", cwd=root).json()
    assert datasets["datasets"][0]["matching"] == ["data/a.csv"]


def test_bad_config_exit_2(tmp_path: Path) -> None:
    (tmp_path / "datalife.toml").write_text('[datasets.x]\nfiles = ["*.csv"]\nshema = "x"\n')
    res = run_cli("dataset", "list", cwd=tmp_path)
    assert res.code == 2
    assert "datasets.x.shema: unknown key" in res.stderr and "datalife.toml" in res.stderr
    no_traceback(res)


def test_usage_errors_exit_2() -> None:
    assert run_cli("validate").code == 2
    assert run_cli("no-such-command").code == 2
    assert run_cli("-C", "/no/such/dir", "schema", "list").code == 2
