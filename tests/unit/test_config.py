"""Workspace config: discovery, validation errors, globs, editing."""

from __future__ import annotations

from pathlib import Path

import pytest

from datalife.config import Workspace, glob_to_regex, init_workspace
from datalife.errors import ConfigError, WorkspaceNotFound


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_find_walks_up_to_the_config(tmp_path: Path) -> None:
    write(tmp_path / "datalife.toml", '[datasets.a]\nfiles = ["data/*.csv"]\n')
    (tmp_path / "data" / "deep").mkdir(parents=True)
    ws = Workspace.find(tmp_path / "data" / "deep")
    assert ws.root == tmp_path.resolve()
    assert ws.schema_for("a") == "a"
    assert ws.datasets_for(tmp_path / "data" / "x.csv") == ["a"]
    assert ws.datasets_for(tmp_path / "data" / "deep" / "x.csv") == []


def test_pyproject_tool_table(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        '[project]\nname = "x"\n[tool.datalife.datasets.r]\nfiles = ["r/*.parquet"]\nschema = "reviews"\n',
    )
    ws = Workspace.find(tmp_path)
    assert ws.schema_for("r") == "reviews"


def test_no_workspace(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceNotFound) as err:
        Workspace.find(tmp_path)
    assert "datalife init" in str(err.value)


def test_unknown_key_names_file_key_and_allowed(tmp_path: Path) -> None:
    cfg = write(tmp_path / "datalife.toml", '[datasets.a]\nfiles = ["x.csv"]\nschemaa = "a"\n')
    with pytest.raises(ConfigError) as err:
        Workspace.load(cfg)
    text = str(err.value)
    assert str(cfg) in text
    assert "datasets.a.schemaa: unknown key" in text
    assert "allowed: delimiter, description, files, schema" in text


def test_bad_value_and_bad_policy(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "datalife.toml", 'compatibility = "SIDEWAYS"\n[datasets.a]\nfiles = "x.csv"\n'
    )
    with pytest.raises(ConfigError) as err:
        Workspace.load(cfg)
    text = str(err.value)
    assert "compatibility" in text and "BACKWARD" in text
    assert "datasets.a.files" in text


def test_toml_syntax_error_has_line(tmp_path: Path) -> None:
    cfg = write(tmp_path / "datalife.toml", "format_version = 1\n[datasets.a\n")
    with pytest.raises(ConfigError) as err:
        Workspace.load(cfg)
    assert err.value.line == 2


def test_newer_format_version_is_refused(tmp_path: Path) -> None:
    cfg = write(tmp_path / "datalife.toml", "format_version = 99\n")
    with pytest.raises(ConfigError, match="upgrade datalife"):
        Workspace.load(cfg)


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("sample_data/*.csv", "sample_data/2007.csv", True),
        ("sample_data/*.csv", "sample_data/sub/2007.csv", False),
        ("data/**/*.parquet", "data/a.parquet", True),
        ("data/**/*.parquet", "data/a/b/c.parquet", True),
        ("data/20??.csv", "data/2009.csv", True),
        ("data/[ab].csv", "data/c.csv", False),
    ],
)
def test_globs(pattern: str, path: str, matches: bool) -> None:
    assert bool(glob_to_regex(pattern).match(path)) is matches


def test_init_and_add_dataset_keeps_comments(tmp_path: Path) -> None:
    cfg = init_workspace(tmp_path / "new")
    assert (tmp_path / "new" / "schemas").is_dir()
    with pytest.raises(ConfigError, match="already exists"):
        init_workspace(tmp_path / "new")
    ws = Workspace.load(cfg)
    ws.add_dataset("reviews", ["data/*.csv"])
    text = cfg.read_text()
    assert "# default compatibility policy" in text
    assert Workspace.load(cfg).schema_for("reviews") == "reviews"
    with pytest.raises(ConfigError, match="already exists"):
        ws.add_dataset("reviews", ["other/*.csv"])
