"""Splits are byte-identical when run twice on the same input, recorded or not, from any
folder: the footer holds no run id, no time and no absolute path (paths are relative to the
workspace)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from datalife.splits import read_provenance
from tests.conftest import CliResult, run_cli

pytestmark = pytest.mark.e2e

Cli = Callable[..., CliResult]
FILES = ("train.parquet", "dev.parquet", "test.parquet")


def _footer(path: Path) -> dict[str, Any]:
    value = read_provenance(path)
    assert value is not None
    return value


def test_recorded_splits_are_byte_identical(cli: Cli, workspace: Path) -> None:
    args = ("split", "sample_data/2007.csv", "sample_data/2008.csv", "sample_data/2009.csv")
    assert cli(*args, "--out", "a", "--stratify", "species").code == 0
    # the same input named by absolute paths, from another folder: the same bytes
    absolute = [str(workspace / p) for p in args[1:]]
    elsewhere = workspace / "sample_data"
    res = run_cli(
        "split", *absolute, "--out", workspace / "b", "--stratify", "species", cwd=elsewhere
    )
    assert res.code == 0, res
    for name in FILES:
        assert (workspace / "a" / name).read_bytes() == (workspace / "b" / name).read_bytes(), name
    footer = _footer(workspace / "a" / "train.parquet")
    assert "run_id" not in footer
    assert [i["path"] for i in footer["inputs"]] == list(args[1:])
    raw = (workspace / "a" / "train.parquet").read_bytes()
    assert str(workspace).encode() not in raw
    # both runs are in the lineage log
    log = "".join(p.read_text() for p in (workspace / "lineage").glob("*.jsonl"))
    assert log.count('"eventType":"COMPLETE"') == 2


def test_pipeline_reruns_are_byte_identical(cli: Cli, workspace: Path) -> None:
    assert cli("run").code == 0
    first = {n: (workspace / "splits" / n).read_bytes() for n in FILES}
    assert cli("run", "--force").code == 0
    for name in FILES:
        assert (workspace / "splits" / name).read_bytes() == first[name], name
    footer = _footer(workspace / "splits" / "train.parquet")
    assert "run_id" not in footer and str(workspace) not in json.dumps(footer)
