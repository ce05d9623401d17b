"""``datalife check``, ``datalife schema diff|compat|evolve|bump`` and the hook entry point, end to end.

Every command runs in a fresh process (``python -m datalife`` / ``python -m datalife.hooks``)
in a temporary workspace that is a git repository. Each bad input of the governance issue
gets a clear message and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t.invalid",
    "NO_COLOR": "1",
}


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, **ENV)
    env.pop("DATALIFE_DEBUG", None)
    proc = subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def dl(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(cwd, "-m", "datalife", *args)


def hook(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(cwd, "-m", "datalife.hooks", *args)


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args], cwd=root, env=dict(os.environ, **ENV), check=True, capture_output=True
    )


@pytest.fixture
def repo(workspace: Path) -> Path:
    git(workspace, "init", "-q", "-b", "main")
    git(workspace, "add", "-A")
    git(workspace, "commit", "-q", "-m", "v1")
    return workspace


def v2_text(root: Path, old: str = "", new: str = "") -> str:
    text = (root / "schemas" / "penguins" / "1.yaml").read_text(encoding="utf-8")
    text = re.sub(r"^version: 1$", "version: 2", text, flags=re.MULTILINE).replace(
        "penguins@1", "penguins@2"
    )
    return text.replace(old, new) if old else text


def write_v2(root: Path, old: str = "", new: str = "") -> Path:
    path = root / "schemas" / "penguins" / "2.yaml"
    path.write_text(v2_text(root, old, new), encoding="utf-8")
    return path


# -- datalife check ---------------------------------------------------------------------------


def test_check_passes_on_a_clean_workspace(repo: Path) -> None:
    proc = dl(repo, "check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().splitlines()[-1].startswith("ok: checked ")
    data = json.loads(dl(repo, "check", "--format", "json").stdout)
    assert data["ok"] is True
    assert data["problems"] == []
    assert data["checked"]["files"] >= 3
    assert data["checked"]["versions"] >= 1


def test_check_formats_for_a_breaking_version(repo: Path) -> None:
    write_v2(repo, "      - Chinstrap\n", "")
    text = dl(repo, "check", "--no-data")
    assert text.returncode == 1
    assert "penguins@2 breaks its BACKWARD policy against penguins@1" in text.stdout
    assert "this row is valid under penguins@1 and invalid under penguins@2" in text.stdout
    js = dl(repo, "check", "--no-data", "--format", "json")
    assert js.returncode == 1
    data = json.loads(js.stdout)
    (problem,) = data["problems"]
    assert problem["kind"] == "incompatible"
    assert problem["path"] == "schemas/penguins/2.yaml"
    assert problem["witnesses"][0]["rows"][0]["species"] == "Chinstrap"
    gh = dl(repo, "check", "--no-data", "--format", "github")
    assert gh.returncode == 1
    first = gh.stdout.splitlines()[0]
    assert first.startswith("::error file=schemas/penguins/2.yaml,title=datalife incompatible::")


def test_check_with_a_base_branch(repo: Path) -> None:
    git(repo, "branch", "base")
    write_v2(repo, "      - Chinstrap\n", "")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "v2")
    assert dl(repo, "check", "--no-data").returncode == 0  # HEAD holds v2: released
    assert dl(repo, "check", "--no-data", "--base", "base").returncode == 1
    missing = dl(repo, "check", "--base", "origin/nope")
    assert missing.returncode == 2
    assert "cannot find the base commit" in missing.stderr


def test_check_outside_a_workspace(tmp_path: Path) -> None:
    proc = dl(tmp_path, "check")
    assert proc.returncode == 2
    assert "no datalife workspace" in proc.stderr


# -- schema diff / compat / evolve / bump ------------------------------------------------------


def test_schema_diff_and_compat(repo: Path) -> None:
    write_v2(repo, "      - Chinstrap\n", "")
    diff = dl(repo, "schema", "diff", "penguins@1", "penguins@2")
    assert diff.returncode == 0
    assert diff.stdout.splitlines() == [
        "penguins@1 → penguins@2: 1 change",
        "  species  isin - 'Chinstrap'  [tightened]",
    ]
    data = json.loads(
        dl(
            repo, "schema", "diff", "penguins@1", "schemas/penguins/2.yaml", "--format", "json"
        ).stdout
    )
    assert data["changes"][0]["kind"] == "check_tightened"
    compat = dl(repo, "schema", "compat", "penguins@1", "penguins@2")
    assert compat.returncode == 1
    assert "compatibility: BACKWARD no, FORWARD yes, FULL no" in compat.stdout
    assert "policy BACKWARD: NOT met" in compat.stdout
    assert "'species': 'Chinstrap'" in compat.stdout
    forward = dl(repo, "schema", "compat", "penguins@1", "penguins@2", "--mode", "FORWARD")
    assert forward.returncode == 0
    js = json.loads(
        dl(repo, "schema", "compat", "penguins@1", "penguins@2", "--format", "json").stdout
    )
    assert js["compatibility"]["BACKWARD"] is False
    assert js["changes"][0]["column"] == "species"
    assert js["changes"][0]["witness"]["invalid_under"] == "penguins@2"


def test_schema_evolve_and_bump(repo: Path) -> None:
    text = (repo / "sample_data" / "2009.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    lines[1] = (
        lines[1]
        .replace("Biscoe", "Anvers")
        .replace("Dream", "Anvers")
        .replace("Torgersen", "Anvers")
    )
    (repo / "new.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    dry = dl(repo, "schema", "evolve", "penguins", "--from", "new.csv")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "categories + 'Anvers'" in dry.stdout
    assert "run again with --write to write schemas/penguins/2.yaml" in dry.stdout
    assert not (repo / "schemas" / "penguins" / "2.yaml").exists()
    wrote = dl(repo, "schema", "evolve", "penguins", "new.csv", "--write", "--format", "json")
    assert wrote.returncode == 0
    data = json.loads(wrote.stdout)
    assert data["proposed"] == "penguins@2"
    assert data["compatibility"]["compatibility"]["BACKWARD"] is True
    assert data["written"].endswith("schemas/penguins/2.yaml")
    assert dl(repo, "validate", "new.csv", "--schema", "penguins@2", "--no-record").returncode == 0
    bump = dl(repo, "schema", "bump", "penguins")
    assert bump.returncode == 0
    assert (
        bump.stdout.strip()
        == "wrote schemas/penguins/3.yaml: a copy of penguins@2 to edit as penguins@3"
    )
    assert dl(repo, "check", "--no-data").returncode == 0
    nodata = dl(repo, "schema", "evolve", "penguins")
    assert nodata.returncode == 2
    assert "no data given" in nodata.stderr


# -- the hook entry point: bad input, each exit 2 ------------------------------------------------


def test_hook_schema_file_with_wrong_name_or_version(repo: Path) -> None:
    path = write_v2(repo)
    path.write_text(
        path.read_text(encoding="utf-8").replace("name: penguins\n", "name: pinguins\n", 1),
        encoding="utf-8",
    )
    proc = hook(repo, "schema-check", "schemas/penguins/2.yaml")
    assert proc.returncode == 2
    assert "the file says pinguins@2 but its path says penguins@2" in proc.stdout


def test_hook_version_gap(repo: Path) -> None:
    path = repo / "schemas" / "penguins" / "3.yaml"
    path.write_text(
        v2_text(repo).replace("version: 2", "version: 3").replace("penguins@2", "penguins@3"),
        encoding="utf-8",
    )
    proc = hook(repo, "schema-check", "schemas/penguins/3.yaml")
    assert proc.returncode == 2
    assert "version 2 is missing" in proc.stdout


def test_hook_deleted_released_version(repo: Path) -> None:
    (repo / "schemas" / "penguins" / "1.yaml").unlink()
    proc = hook(repo, "schema-check")  # pre-commit passes no file for a deletion
    assert proc.returncode == 2
    assert "penguins@1 is released" in proc.stdout
    assert "was deleted" in proc.stdout


def test_hook_non_yaml_file_under_schemas(repo: Path) -> None:
    (repo / "schemas" / "notes.txt").write_text("todo\n", encoding="utf-8")
    proc = hook(repo, "schema-check", "schemas/notes.txt")
    assert proc.returncode == 2
    assert "schemas/notes.txt: not a YAML file" in proc.stdout


def test_hook_two_datasets_matching_the_same_file(repo: Path) -> None:
    config = repo / "datalife.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + '\n[datasets.recent]\nfiles = ["sample_data/2009.csv"]\n',
        encoding="utf-8",
    )
    proc = hook(repo, "validate", "sample_data/2009.csv")
    assert proc.returncode == 2
    assert "matched by the globs of several datasets: penguins, recent" in proc.stderr
    assert dl(repo, "check").returncode == 2


def test_hook_outside_a_git_repository(workspace: Path) -> None:
    for args in (("validate", "sample_data/2007.csv"), ("schema-check",)):
        proc = hook(workspace, *args)
        assert proc.returncode == 2
        assert "not inside a git repository" in proc.stderr


def test_hook_outside_a_workspace(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "a.csv").write_text("x\n1\n", encoding="utf-8")
    for args in (("validate", "a.csv"), ("schema-check", "a.csv")):
        proc = hook(tmp_path, *args)
        assert proc.returncode == 2
        assert "no datalife workspace" in proc.stderr


def test_hook_usage_errors(repo: Path) -> None:
    assert hook(repo).returncode == 2
    assert hook(repo, "lint", "x").returncode == 2
    assert "unknown hook 'lint'" in hook(repo, "lint", "x").stderr
    assert hook(repo, "--help").returncode == 0
    bogus = hook(repo, "validate", "--bogus", "x.csv")
    assert bogus.returncode == 2
    assert "--bogus" in bogus.stderr
    assert hook(repo, "schema-check", "--base").returncode == 2  # the option needs a value
    # options after the files, and --name=value forms
    assert hook(repo, "validate", "sample_data/2007.csv", "--workspace=.").returncode == 0
    assert hook(repo, "schema-check", "--base=HEAD", "-C", ".").returncode == 0


def test_hook_validate_and_workspace_option(repo: Path, tmp_path: Path) -> None:
    assert hook(repo, "validate", "sample_data/2007.csv", "README.md").returncode == 0
    bad = repo / "sample_data" / "2010.csv"
    text = (
        (repo / "sample_data" / "2009.csv").read_text(encoding="utf-8").replace("Dream", "Atlantis")
    )
    bad.write_text(text, encoding="utf-8")
    proc = hook(repo, "validate", "sample_data/2010.csv")
    assert proc.returncode == 1
    assert "column 'island'" in proc.stdout
    # a workspace in a sub-folder of the git repository
    outer = tmp_path / "outer"
    outer.mkdir()
    git(outer, "init", "-q")
    shutil.copytree(repo, outer / "ws", ignore=shutil.ignore_patterns(".git"))
    proc = hook(outer, "validate", "-C", "ws", "ws/sample_data/2010.csv")
    assert proc.returncode == 1
    assert "column 'island'" in proc.stdout


# -- speed: the no-match path imports nothing heavy ------------------------------------------------

# click parses the hook's arguments as it does the CLI's (about 20 ms): not heavy
HEAVY = ("pandas", "pandera", "pyarrow", "duckdb", "pydantic", "numpy")


def _imported(stderr: str) -> set[str]:
    out = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            out.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return out


@pytest.mark.parametrize(
    "args",
    [
        ("validate", "README.md", "schemas/penguins/1.yaml", "notes/todo.txt"),
        ("schema-check", "README.md", "sample_data/2007.csv"),
        ("schema-check",),
    ],
)
def test_a_run_that_matches_nothing_imports_nothing_heavy(
    repo: Path, args: tuple[str, ...]
) -> None:
    (repo / "README.md").write_text("readme\n", encoding="utf-8")
    proc = run(repo, "-X", "importtime", "-m", "datalife.hooks", *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    imported = _imported(proc.stderr)
    assert "datalife" in imported  # the measurement works
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))
