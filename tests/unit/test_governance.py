"""Immutability of released versions (git HEAD, lineage log), schema-file checks, data checks."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from datalife.config import Workspace, glob_to_regex
from datalife.errors import ConfigError
from datalife.governance import (
    blob_id,
    check_schema_files,
    check_workspace,
    datasets_of,
    lineage_refs,
    policy_of,
)
from datalife.schemas.registry import SchemaRegistry

ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t.invalid",
}


def git(root: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=dict(os.environ, **ENV),
        check=True,
    )
    return proc.stdout


@pytest.fixture
def repo(workspace: Path) -> Path:
    git(workspace, "init", "-q", "-b", "main")
    git(workspace, "add", "-A")
    git(workspace, "commit", "-q", "-m", "v1")
    return workspace


def ws_of(root: Path) -> Workspace:
    return Workspace.find(root)


V1 = Path("schemas/penguins/1.yaml")


def _v2_text(root: Path, edit: tuple[str, str] | None = None) -> str:
    text = (root / V1).read_text(encoding="utf-8")
    text = text.replace("\nversion: 1\n", "\nversion: 2\n").replace("penguins@1", "penguins@2")
    if edit:
        text = text.replace(*edit)
    return text


def kinds(report: object) -> list[tuple[str, int]]:
    return [(p.kind, p.exit_code) for p in report.problems]  # type: ignore[attr-defined]


def test_a_clean_workspace_passes(repo: Path) -> None:
    ws = ws_of(repo)
    report = check_workspace(ws)
    assert report.ok, report.to_text()
    schemas = SchemaRegistry(ws).list()
    files = {f for name in ws.config.datasets for f in ws.dataset_files(name)}
    expected = (len(schemas), sum(map(len, schemas.values())), len(ws.config.datasets), len(files))
    assert (report.schemas, report.versions, report.datasets, report.files) == expected
    assert report.exit_code == 0
    assert report.summary().startswith("ok: checked ")


def test_editing_a_released_version_is_refused(repo: Path) -> None:
    path = repo / V1
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "      - Gentoo\n", "      - Gentoo\n      - Emperor\n"
        ),
        encoding="utf-8",
    )
    report = check_schema_files(ws_of(repo), [V1])
    assert kinds(report) == [("released_changed", 1)]
    problem = report.problems[0]
    assert "penguins@1 is released (git HEAD holds it) and cannot change" in problem.message
    assert "datalife schema bump penguins" in (problem.hint or "")
    assert any("Emperor" in d for d in problem.details)


def test_a_comment_or_layout_edit_of_a_released_version_is_not_a_change(repo: Path) -> None:
    path = repo / V1
    path.write_text(
        path.read_text(encoding="utf-8") + "\n# reviewed by the data team\n", encoding="utf-8"
    )
    assert check_schema_files(ws_of(repo), [V1]).ok


def test_deleting_a_released_version_is_bad_input(repo: Path) -> None:
    (repo / V1).unlink()
    report = check_schema_files(ws_of(repo), [])
    assert kinds(report) == [("released_deleted", 2)]
    assert "was deleted" in report.problems[0].message


def test_a_version_recorded_in_the_lineage_log_is_released(workspace: Path) -> None:
    reg = SchemaRegistry(workspace)
    reg.save(reg.load("penguins@1").schema, "penguins")  # penguins@2, not in git
    (workspace / "lineage" / "2025-01.jsonl").write_text(
        json.dumps({"inputs": [{"facets": {"datalife_validation": {"schema": "penguins@2"}}}]})
        + "\n{torn line",
        encoding="utf-8",
    )
    assert lineage_refs(workspace / "lineage") == {"penguins@2"}
    ws = ws_of(workspace)
    report = check_schema_files(ws, None)
    assert report.ok, report.to_text()
    assert any("recorded in the lineage log but not committed" in n for n in report.notes)
    assert any("not in a git repository" in n for n in report.notes)
    (workspace / "schemas" / "penguins" / "2.yaml").unlink()
    report = check_schema_files(ws, None)
    assert kinds(report) == [("released_deleted", 2)]
    assert "the lineage log records it" in report.problems[0].message


def test_name_or_version_not_matching_the_path(repo: Path) -> None:
    (repo / "schemas" / "penguins" / "2.yaml").write_text(
        _v2_text(repo).replace("\nversion: 2\n", "\nversion: 3\n"), encoding="utf-8"
    )
    report = check_schema_files(ws_of(repo), ["schemas/penguins/2.yaml"])
    assert kinds(report) == [("name_mismatch", 2)]
    problem = report.problems[0]
    assert "the file says penguins@3 but its path says penguins@2" in problem.message
    assert problem.line == 5


def test_a_version_gap(repo: Path) -> None:
    (repo / "schemas" / "penguins" / "3.yaml").write_text(
        _v2_text(repo)
        .replace("\nversion: 2\n", "\nversion: 3\n")
        .replace("penguins@2", "penguins@3"),
        encoding="utf-8",
    )
    report = check_schema_files(ws_of(repo), ["schemas/penguins/3.yaml"])
    assert kinds(report) == [("version_gap", 2)]
    assert "versions 1, 3: version 2 is missing" in report.problems[0].message


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("schemas/README.md", "not a YAML file"),
        ("schemas/penguins/2.yml", "not where a schema version lives"),
        ("schemas/penguins/02.yaml", "not where a schema version lives"),
        ("schemas/penguins.yaml", "not where a schema version lives"),
    ],
)
def test_files_under_schemas_that_are_not_schema_versions(
    repo: Path, name: str, expected: str
) -> None:
    (repo / name).write_text("x: 1\n", encoding="utf-8")
    report = check_schema_files(ws_of(repo), [name])
    assert kinds(report) == [("not_a_schema_file", 2)]
    assert expected in report.problems[0].message
    assert check_workspace(ws_of(repo)).exit_code == 2


def test_dotfiles_under_schemas_are_ignored(repo: Path) -> None:
    (repo / "schemas" / ".gitkeep").write_text("", encoding="utf-8")
    assert check_schema_files(ws_of(repo), ["schemas/.gitkeep"]).ok


def test_a_malformed_schema_file_is_bad_input_with_its_line(repo: Path) -> None:
    (repo / "schemas" / "penguins" / "2.yaml").write_text(
        "name: penguins\nversion: [2\n", encoding="utf-8"
    )
    report = check_schema_files(ws_of(repo), ["schemas/penguins/2.yaml"])
    assert kinds(report) == [("schema_file", 2)]
    assert report.problems[0].line is not None


def test_a_new_version_must_meet_its_policy(repo: Path) -> None:
    path = repo / "schemas" / "penguins" / "2.yaml"
    path.write_text(_v2_text(repo, ("      - Chinstrap\n", "")), encoding="utf-8")
    report = check_schema_files(ws_of(repo), ["schemas/penguins/2.yaml"])
    assert kinds(report) == [("incompatible", 1)]
    problem = report.problems[0]
    assert "penguins@2 breaks its BACKWARD policy against penguins@1" in problem.message
    text = problem.to_text()
    assert "this row is valid under penguins@1 and invalid under penguins@2" in text
    data = problem.to_dict()
    assert data["compatibility"]["BACKWARD"] is False
    assert data["witnesses"][0]["rows"][0]["species"] == "Chinstrap"
    assert data["changes"][0]["kind"] == "check_tightened"
    # intended breaks are declared on the new (unreleased) version
    path.write_text(
        _v2_text(repo, ("      - Chinstrap\n", "")).replace(
            "compatibility: BACKWARD", "compatibility: NONE"
        ),
        encoding="utf-8",
    )
    assert check_schema_files(ws_of(repo), ["schemas/penguins/2.yaml"]).ok


def test_the_workspace_policy_applies_when_the_file_sets_none(repo: Path) -> None:
    config = repo / "datalife.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            'compatibility = "BACKWARD"', 'compatibility = "FORWARD"'
        ),
        encoding="utf-8",
    )
    loosened = _v2_text(repo, ("      - Gentoo\n", "      - Gentoo\n      - Emperor\n"))
    loosened = loosened.replace("compatibility: BACKWARD\n", "")
    (repo / "schemas" / "penguins" / "2.yaml").write_text(loosened, encoding="utf-8")
    ws = ws_of(repo)
    v2 = SchemaRegistry(ws).load("penguins@2")
    assert policy_of(v2, ws) == "FORWARD"
    report = check_schema_files(ws, ["schemas/penguins/2.yaml"])
    assert kinds(report) == [("incompatible", 1)]
    assert "FORWARD policy" in report.problems[0].message


def test_base_commit_decides_what_is_released(repo: Path) -> None:
    first = git(repo, "rev-parse", "HEAD").strip()
    (repo / "schemas" / "penguins" / "2.yaml").write_text(
        _v2_text(repo, ("      - Chinstrap\n", "")), encoding="utf-8"
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "v2")
    ws = ws_of(repo)
    assert check_workspace(ws, data=False).ok  # released in HEAD: history, not checked again
    report = check_workspace(ws, base=first, data=False)
    assert kinds(report) == [("incompatible", 1)]
    with pytest.raises(ConfigError, match="cannot find the base commit"):
        check_workspace(ws, base="no-such-branch", data=False)


def test_invalid_data_and_overlapping_datasets(repo: Path) -> None:
    config = repo / "datalife.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + '\n[datasets.recent]\nfiles = ["sample_data/2009.csv"]\nschema = "penguins"\n',
        encoding="utf-8",
    )
    ws = ws_of(repo)
    groups, problems = datasets_of(
        ws, [repo / "sample_data" / "2009.csv", repo / "sample_data" / "2008.csv"]
    )
    assert [p.kind for p in problems] == ["overlapping_datasets"]
    assert problems[0].exit_code == 2
    assert "penguins, recent" in problems[0].message
    assert groups == {"penguins": [repo / "sample_data" / "2008.csv"]}
    assert check_workspace(ws).exit_code == 2


def test_invalid_data_is_reported_with_file_line_and_column(repo: Path) -> None:
    path = repo / "sample_data" / "2008.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] = (
        lines[4]
        .replace("Biscoe", "Atlantis")
        .replace("Dream", "Atlantis")
        .replace("Torgersen", "Atlantis")
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = check_workspace(ws_of(repo))
    assert kinds(report) == [("invalid_data", 1)]
    problem = report.problems[0]
    assert (problem.path, problem.line, problem.column) == ("sample_data/2008.csv", 5, "island")
    gh = report.to_github().splitlines()[0]
    assert gh.startswith("::error file=sample_data/2008.csv,line=5,title=datalife invalid_data::")
    assert "%0A" in gh and "\n" not in gh


def test_checks_write_nothing(repo: Path) -> None:
    (repo / "schemas" / "penguins" / "2.yaml").write_text(
        _v2_text(repo, ("      - Chinstrap\n", "")), encoding="utf-8"
    )
    before = git(repo, "status", "--porcelain", "--ignored", "--untracked-files=all")
    check_workspace(ws_of(repo))
    assert git(repo, "status", "--porcelain", "--ignored", "--untracked-files=all") == before


def test_blob_id_is_gits_object_id(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"name: x\n")
    expected = subprocess.run(
        ["git", "hash-object", str(path)], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert blob_id(path.read_bytes()) == expected


def test_the_hook_matches_globs_with_the_config_s_function() -> None:
    # one implementation (stdlib only, so the hook's fast path imports no pydantic)
    import datalife.hooks

    assert vars(datalife.hooks)["glob_to_regex"] is glob_to_regex
