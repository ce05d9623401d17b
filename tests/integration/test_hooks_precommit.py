"""The datalife pre-commit hooks, run by the real ``pre-commit`` tool.

A throwaway git repository holds a copy of this repository's current tree (committed, so the
hooks under test are the working code, not only HEAD); each test builds a workspace repository
whose ``.pre-commit-config.yaml`` points at it (``repo:`` a local path, ``rev:`` that commit).
pre-commit installs the hook's package into its own virtualenv from that repository (pip, from
PyPI): the first install is slow, so one PRE_COMMIT_HOME is shared by the whole module.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

GIT_ENV = {
    "GIT_AUTHOR_NAME": "datalife tests",
    "GIT_AUTHOR_EMAIL": "tests@datalife.invalid",
    "GIT_COMMITTER_NAME": "datalife tests",
    "GIT_COMMITTER_EMAIL": "tests@datalife.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ, **GIT_ENV, PRE_COMMIT_HOME=str(home))
    env.pop("VIRTUAL_ENV", None)
    env.pop("DATALIFE_DEBUG", None)
    return env


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env or dict(os.environ, **GIT_ENV),
        check=False,
    )
    assert proc.returncode == 0, f"git {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repository holding this repository's current tree, and its commit."""
    dest = tmp_path_factory.mktemp("datalife-hook-repo")
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout
    for raw in listing.split(b"\0"):
        if not raw:
            continue
        rel = raw.decode()
        src = REPO / rel
        if not src.is_file():
            continue  # deleted in the working tree
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)
    _git(dest, "init", "-q", "-b", "main")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "--no-verify", "-m", "datalife under test")
    rev = _git(dest, "rev-parse", "HEAD").strip()
    return dest, rev


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _config(hook_repo: tuple[Path, str]) -> str:
    path, rev = hook_repo
    return (
        "repos:\n"
        f"  - repo: {path}\n"
        f"    rev: {rev}\n"
        "    hooks:\n"
        "      - id: datalife-validate\n"
        "      - id: datalife-schema-check\n"
    )


def _make_workspace(root: Path, hook_repo: tuple[Path, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "datalife.toml").write_text(
        'format_version = 1\ncompatibility = "BACKWARD"\n\n'
        '[datasets.penguins]\nfiles = ["data/*.csv"]\nschema = "penguins"\n',
        encoding="utf-8",
    )
    (root / "schemas" / "penguins").mkdir(parents=True)
    shutil.copy(REPO / "schemas" / "penguins" / "1.yaml", root / "schemas" / "penguins" / "1.yaml")
    (root / "data").mkdir()
    shutil.copy(REPO / "sample_data" / "2007.csv", root / "data" / "2007.csv")
    (root / "README.md").write_text("a workspace\n", encoding="utf-8")
    (root / ".pre-commit-config.yaml").write_text(_config(hook_repo), encoding="utf-8")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "--no-verify", "-m", "workspace")
    return root


@pytest.fixture(scope="module")
def installed(
    tmp_path_factory: pytest.TempPathFactory, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> Path:
    """Install the hook environment once (the slow part), from a first workspace."""
    root = _make_workspace(tmp_path_factory.mktemp("install") / "ws", hook_repo)
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "install-hooks"],
        cwd=root,
        capture_output=True,
        text=True,
        env=_env(pre_commit_home),
        check=False,
    )
    assert proc.returncode == 0, (
        f"pre-commit could not install the hooks:\n{proc.stdout}\n{proc.stderr}"
    )
    return pre_commit_home


@pytest.fixture
def ws(tmp_path: Path, hook_repo: tuple[Path, str], installed: Path) -> Path:
    return _make_workspace(tmp_path / "ws", hook_repo)


def _snapshot(root: Path) -> dict[str, bytes]:
    out = {}
    for p in sorted(root.rglob("*")):
        if ".git" in p.relative_to(root).parts or not p.is_file():
            continue
        out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out


def _run(root: Path, home: Path, *stage: str) -> subprocess.CompletedProcess[str]:
    """Stage files, run pre-commit on the staged files, check the hooks wrote nothing."""
    if stage:
        _git(root, "add", "-A", *stage)
    before = _snapshot(root)
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--color", "never"],
        cwd=root,
        capture_output=True,
        text=True,
        env=_env(home),
        check=False,
    )
    proc.stdout += proc.stderr
    assert "files were modified by this hook" not in proc.stdout, proc.stdout
    assert _snapshot(root) == before, "a hook wrote into the repository"
    return proc


def _penguins_v1(root: Path) -> str:
    return (root / "schemas" / "penguins" / "1.yaml").read_text(encoding="utf-8")


def _as_v2(text: str) -> str:
    return re.sub(r"^version: 1$", "version: 2", text, flags=re.MULTILINE).replace(
        "penguins@1", "penguins@2"
    )


def test_valid_data_file_passes(ws: Path, installed: Path) -> None:
    shutil.copy(REPO / "sample_data" / "2008.csv", ws / "data" / "2008.csv")
    proc = _run(ws, installed, "data/2008.csv")
    assert proc.returncode == 0, proc.stdout
    assert "datalife validate" in proc.stdout
    assert "Passed" in proc.stdout


def test_invalid_data_file_fails_naming_the_column(ws: Path, installed: Path) -> None:
    text = (REPO / "sample_data" / "2009.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    lines[1] = (
        lines[1]
        .replace("Biscoe", "Atlantis", 1)
        .replace("Dream", "Atlantis", 1)
        .replace("Torgersen", "Atlantis", 1)
    )
    (ws / "data" / "2009.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = _run(ws, installed, "data/2009.csv")
    assert proc.returncode != 0, proc.stdout
    assert "Failed" in proc.stdout
    assert "column 'island'" in proc.stdout
    assert "Atlantis" in proc.stdout
    assert "data/2009.csv:2" in proc.stdout  # the CSV line


def test_files_outside_any_dataset_are_ignored(ws: Path, installed: Path) -> None:
    (ws / "notes.txt").write_text("not data\n", encoding="utf-8")
    proc = _run(ws, installed, "notes.txt")
    assert proc.returncode == 0, proc.stdout


def test_editing_a_released_schema_fails(ws: Path, installed: Path) -> None:
    path = ws / "schemas" / "penguins" / "1.yaml"
    path.write_text(
        _penguins_v1(ws).replace("      - Gentoo\n", "      - Gentoo\n      - Emperor\n"),
        encoding="utf-8",
    )
    proc = _run(ws, installed, "schemas/penguins/1.yaml")
    assert proc.returncode != 0, proc.stdout
    assert "penguins@1 is released" in proc.stdout
    assert "datalife schema bump penguins" in proc.stdout
    assert "Emperor" in proc.stdout  # the change is shown


def test_adding_a_backward_compatible_version_passes(ws: Path, installed: Path) -> None:
    v2 = _as_v2(_penguins_v1(ws)).replace("      - Gentoo\n", "      - Gentoo\n      - Emperor\n")
    (ws / "schemas" / "penguins" / "2.yaml").write_text(v2, encoding="utf-8")
    proc = _run(ws, installed, "schemas/penguins/2.yaml")
    assert proc.returncode == 0, proc.stdout
    assert "datalife schema check" in proc.stdout


def test_adding_a_breaking_version_fails_and_prints_the_witness(ws: Path, installed: Path) -> None:
    v2 = _as_v2(_penguins_v1(ws)).replace("      - Chinstrap\n", "")
    (ws / "schemas" / "penguins" / "2.yaml").write_text(v2, encoding="utf-8")
    proc = _run(ws, installed, "schemas/penguins/2.yaml")
    assert proc.returncode != 0, proc.stdout
    assert "penguins@2 breaks its BACKWARD policy against penguins@1" in proc.stdout
    assert "this row is valid under penguins@1 and invalid under penguins@2" in proc.stdout
    assert "'species': 'Chinstrap'" in proc.stdout


def test_deleting_a_released_version_is_refused_by_a_real_commit(ws: Path, installed: Path) -> None:
    env = _env(installed)
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=ws,
        env=env,
        check=True,
        capture_output=True,
    )
    _git(ws, "rm", "-q", "schemas/penguins/1.yaml", env=env)
    proc = subprocess.run(
        ["git", "commit", "-m", "drop v1"],
        cwd=ws,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "penguins@1 is released" in proc.stdout + proc.stderr
    assert "was deleted" in proc.stdout + proc.stderr
    # and a valid data file commits through the same installed hook
    _git(ws, "reset", "-q", "HEAD", "--", "schemas/penguins/1.yaml", env=env)
    _git(ws, "checkout", "--", "schemas/penguins/1.yaml", env=env)
    shutil.copy(REPO / "sample_data" / "2008.csv", ws / "data" / "2008.csv")
    _git(ws, "add", "data/2008.csv", env=env)
    ok = subprocess.run(
        ["git", "commit", "-m", "2008"],
        cwd=ws,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_this_repository_dogfoods_its_hooks(
    hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    """The repository's own .pre-commit-config.yaml runs the datalife hooks on its own workspace."""
    import yaml

    path, _ = hook_repo
    config = yaml.safe_load((path / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    ids = {h["id"] for repo in config["repos"] for h in repo["hooks"]}
    assert {
        "ruff-check",
        "ruff-format",
        "mypy",
        "datalife-validate",
        "datalife-schema-check",
    } <= ids
    env = _env(pre_commit_home)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    for args in (
        ["validate-manifest", ".pre-commit-hooks.yaml"],
        ["validate-config", ".pre-commit-config.yaml"],
        ["run", "datalife-validate", "--all-files", "--color", "never"],
        ["run", "datalife-schema-check", "--all-files", "--color", "never"],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "pre_commit", *args],
            cwd=path,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert proc.returncode == 0, f"{args}: {proc.stdout}\n{proc.stderr}"
        if args[0] == "run":
            assert "Passed" in proc.stdout
