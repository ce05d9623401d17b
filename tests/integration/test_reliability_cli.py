"""The regression cases of issue 17 ("nothing lost, nothing silently wrong") through the CLI.

Most run the CLI in-process (``datalife.cli.main``); the broken pipe needs a real process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.faults.harness import events, in_child, make_workspace

Main = Callable[..., tuple[int, str]]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("reliability") / "ws")


@pytest.fixture
def ws(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(template, root)
    monkeypatch.chdir(root)
    monkeypatch.setenv("NO_COLOR", "1")
    return root


@pytest.fixture
def dl(capsys: pytest.CaptureFixture[str]) -> Main:
    def run(*args: str) -> tuple[int, str]:
        from datalife.cli import main

        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out + out.err

    return run


def _complete_runs(root: Path, job: str = "pipeline") -> list[str]:
    return [
        e["run"]["runId"]
        for e in events(root)
        if e["eventType"] == "COMPLETE" and e["job"]["name"] == job
    ]


def test_kill_between_event_and_state_loses_nothing(ws: Path, dl: Main) -> None:
    """The state was written before the COMPLETE event: a kill between lost it for good."""
    assert dl("run")[0] == 0
    status = in_child(
        lambda: __import__("datalife.cli", fromlist=["main"]).main(["run", "--force"]),
        {"DATALIFE_FAULT": "rename:pipeline.json=exit"},
    )
    assert status == 137
    code, text = dl("run")
    assert code == 0
    assert "recovered: finished run" in text and "wrote its state" in text
    assert "up to date" in text
    state = json.loads((ws / "out" / "pipeline.json").read_text())
    assert state["run_id"] in _complete_runs(ws) and len(_complete_runs(ws)) == 2
    code, text = dl("lineage", "verify")
    assert code == 0, text


def test_kill_before_outputs_rolls_back_and_says_so(ws: Path, dl: Main) -> None:
    assert dl("run")[0] == 0
    status = in_child(
        lambda: __import__("datalife.cli", fromlist=["main"]).main(["run", "--force"]),
        {"DATALIFE_FAULT": "rename:test.parquet=exit"},
    )
    assert status == 137
    assert list((ws / "out").glob(".*.tmp"))  # the killed run's temporary files
    code, text = dl("run")
    assert code == 0
    assert "recovered: rolled back run" in text and "recorded it as ABORT" in text
    assert "removed" in text and "temporary files left by a killed run" in text
    assert not list(ws.rglob("*.tmp"))
    kinds = [e["eventType"] for e in events(ws)]
    assert kinds.count("ABORT") == 1 and kinds.count("START") == kinds.count("ABORT") + kinds.count(
        "COMPLETE"
    ) + kinds.count("FAIL")


def test_edited_release_is_refused_everywhere(ws: Path, dl: Main) -> None:
    """A released schema edited in place was used silently by validate and run."""
    schema = ws / "schemas" / "raw" / "1.yaml"
    schema.write_text(
        schema.read_text().replace("greater_than_or_equal_to: 0", "greater_than_or_equal_to: 5")
    )
    for args in (("validate", "data/a.csv"), ("run",)):
        code, text = dl(*args)
        assert code == 2, text
        assert "schemas/raw/1.yaml" in text and "raw@1 is released and was edited" in text
        assert "datalife schema bump raw" in text
    code, text = dl("check", "--no-data")
    assert code == 1 and "raw@1 is released and was edited" in text
    import datalife
    from datalife.errors import SchemaReleaseChanged

    with pytest.raises(SchemaReleaseChanged):
        datalife.validate(ws / "data" / "a.csv", "raw@1")
    assert not (ws / "out").exists()


def test_comment_edit_of_a_release_is_fine(ws: Path, dl: Main) -> None:
    schema = ws / "schemas" / "raw" / "1.yaml"
    schema.write_text(schema.read_text() + "# reviewed by Ada\n")
    code, text = dl("validate", "data/a.csv", "--no-record")
    assert code == 0, text


def test_recorded_use_releases_a_version(ws: Path, dl: Main) -> None:
    releases = ws / "schemas" / ".releases.json"
    releases.unlink()  # a workspace from before the registry recorded releases
    assert dl("validate", "data/a.csv")[0] == 0
    assert "raw@1" in json.loads(releases.read_text())["releases"]


def test_schema_hook_with_a_mistyped_base_fails(ws: Path) -> None:
    """A mistyped --base made the schema hook pass."""
    from datalife.hooks import main as hook

    subprocess.run(["git", "init", "-q"], cwd=ws, check=True)
    assert hook(["schema-check", "--base", "orgin/main"]) == 2
    assert hook(["schema-check", "--base", "--help"]) == 2


def test_terminal_output_escapes_control_characters(ws: Path, dl: Main) -> None:
    (ws / "data" / "a.csv").write_text("id,x,y,cls\n1,1.5,2,\x1b]0;owned\x07\x1b[2J\n")
    code, text = dl("stats", "data/a.csv")
    assert code == 0, text
    assert "\x1b" not in text and "\\x1b]0;owned\\x07" in text


def test_mermaid_and_dot_escape_labels(ws: Path, dl: Main) -> None:
    from datalife.lineage.events import DatasetRecord, namespace_for, run_event
    from datalife.lineage.store import LineageStore

    ns = namespace_for(ws.name)
    name = '%%{init: {"theme": "forest"}}%%\nclick n0 "javascript:alert(1)"'
    out = DatasetRecord(name, ns, "0" * 64, "memory")
    store = LineageStore(ws / "lineage", ws)
    store.append(run_event("START", run_id="r", job_namespace=ns, job_name="j"))
    store.append(run_event("COMPLETE", run_id="r", job_namespace=ns, job_name="j", outputs=[out]))
    code, text = dl("lineage", "export", "--format", "mermaid")
    assert code == 0
    assert "%%{init" not in text and "\nclick" not in text and "#37;#37;{init" in text
    code, text = dl("lineage", "export", "--format", "dot")
    assert code == 0
    assert '\\"theme\\"' in text and "\\nclick" in text


def test_data_star_star_lists_what_it_matches(ws: Path, dl: Main) -> None:
    """`data/**` matched files at any depth but listed none (Path.glob gives folders)."""
    (ws / "data" / "2026").mkdir()
    shutil.copy(ws / "data" / "a.csv", ws / "data" / "2026" / "c.csv")
    config = (ws / "datalife.toml").read_text().replace('"data/*.csv"', '"data/**"')
    (ws / "datalife.toml").write_text(config)
    from datalife.config import Workspace

    w = Workspace.find(ws)
    listed = [w.relpath(p) for p in w.dataset_files("raw")]
    assert listed == ["data/2026/c.csv", "data/a.csv", "data/b.csv"]
    assert all(w.datasets_for(p) == ["raw"] for p in listed)


def test_output_outside_the_workspace_is_refused(ws: Path, dl: Main) -> None:
    code, text = dl("split", "data/a.csv", "--out", "../elsewhere")
    assert code == 2 and "outside the workspace" in text
    assert not (ws.parent / "elsewhere").exists()


def test_verify_never_reads_outside_the_workspace(ws: Path, dl: Main) -> None:
    from datalife.lineage.events import DatasetRecord, namespace_for, run_event
    from datalife.lineage.store import LineageStore
    from datalife.storage import hash_file

    secret = ws.parent / "secret.txt"
    secret.write_text("private")
    ns = namespace_for(ws.name)
    rec = DatasetRecord("../secret.txt", ns, hash_file(secret), "file")
    store = LineageStore(ws / "lineage", ws)
    store.append(run_event("START", run_id="r", job_namespace=ns, job_name="j"))
    store.append(run_event("COMPLETE", run_id="r", job_namespace=ns, job_name="j", outputs=[rec]))
    code, text = dl("lineage", "verify")
    assert code == 1 and "outside  ../secret.txt: not read" in text
    config = (ws / "datalife.toml").read_text()
    (ws / "datalife.toml").write_text(f'roots = ["{ws.parent}"]\n' + config)
    code, text = dl("lineage", "verify")
    assert code == 0, text


@pytest.mark.parametrize(
    "args", [("lineage", "show"), ("validate", "data/a.csv", "data/b.csv", "--no-record")]
)
def test_broken_pipe_exits_zero_quietly(ws: Path, args: tuple[str, ...]) -> None:
    """`datalife validate ... | head -1` exited 1."""
    (ws / "lineage").mkdir(exist_ok=True)
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "datalife", *args],
        cwd=ws,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before anything is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, err
    assert err == ""


def test_any_killed_recorded_command_is_closed_by_the_next(ws: Path, dl: Main) -> None:
    """A recorded command killed after its START left a run without an end for good."""
    status = in_child(
        lambda: __import__("datalife.cli", fromlist=["main"]).main(["validate", "data/a.csv"]),
        {"DATALIFE_FAULT": "appended:*=exit"},  # right after the START event
    )
    assert status == 137
    assert [e["eventType"] for e in events(ws)] == ["START"]
    assert list((ws / "lineage" / ".running").iterdir())  # the killed run's marker
    assert dl("validate", "data/b.csv")[0] == 0
    kinds = [(e["run"]["runId"], e["eventType"]) for e in events(ws)]
    first = kinds[0][0]
    assert (first, "ABORT") in kinds and [k for _, k in kinds].count("COMPLETE") == 1
    assert not list((ws / "lineage" / ".running").iterdir())
    code, text = dl("lineage", "verify")
    assert code == 0, text
