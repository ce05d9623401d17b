"""``datalife report`` and ``datalife card`` through the real CLI (fresh processes)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult, run_cli

Cli = Callable[..., CliResult]

pytestmark = pytest.mark.e2e


def no_traceback(result: CliResult) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result


def test_report_and_card_commands(cli: Cli, workspace: Path) -> None:
    assert cli("validate", "sample_data/2009.csv").code == 0
    res = cli("report", "--no-drift")
    assert res.code == 0, res
    assert (workspace / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "wrote the report to report.html" in res.stdout
    assert "splits: no splits recorded yet (run `datalife split` or `datalife run`)" in res.stdout

    js = cli("report", "--dataset", "penguins", "--out", "p.html", "--format", "json").json()
    assert js["kind"] == "report" and js["out"] == "p.html" and js["scope"] == "penguins"
    assert js["sections"]["penguins.validation"] == "ok"
    assert js["sections"]["lineage"] == "ok"
    assert js["data"]["datasets"][0]["validation"]["valid"] is True
    assert js["bytes"] == (workspace / "p.html").stat().st_size

    # run from a sub-folder: the card goes to the workspace root, the report to the folder
    sub = workspace / "sample_data"
    card = run_cli("card", "penguins", cwd=sub)
    assert card.code == 0, card
    assert "penguins.card.md" in card.stdout
    text = (workspace / "penguins.card.md").read_text(encoding="utf-8")
    assert text.startswith("# Dataset card: penguins") and "```mermaid" in text
    js = run_cli("card", "penguins", "--out", "c.md", "--format", "json", cwd=sub).json()
    assert js["kind"] == "card" and (sub / "c.md").is_file()
    assert run_cli("report", "--no-drift", cwd=sub).code == 0
    assert (sub / "report.html").is_file()


def test_bad_input_is_a_clear_message(cli: Cli, workspace: Path, tmp_path: Path) -> None:
    res = cli("report", "--dataset", "penguin")
    assert res.code == 2 and "no dataset named 'penguin'" in res.stderr
    assert "did you mean 'penguins'" in res.stderr
    no_traceback(res)
    res = cli("card", "nope", "--format", "json")
    assert res.code == 2 and res.json()["error"] == "ConfigError"
    res = cli("report", "--out", "sample_data")
    assert res.code == 2 and "directory" in res.stderr
    no_traceback(res)
    res = cli("card")
    assert res.code == 2 and "DATASET" in res.stderr
    outside = tmp_path / "nowhere"
    outside.mkdir()
    res = run_cli("report", cwd=outside)
    assert res.code == 2 and "no datalife workspace" in res.stderr
    no_traceback(res)
    assert not (outside / "report.html").exists()
