"""``datalife monitor`` through the real CLI: exit codes, text and JSON, history, --propose."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.monitor_data import batch, workspace, write

pytestmark = pytest.mark.e2e


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "datalife", "-C", str(root), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_monitor_history_and_propose(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    normal = [write(root, f"n{i}.csv", batch(seed=40 + i)) for i in range(3)]
    ok = _cli(root, "monitor", "obs", *normal, "--slice", "c")
    assert ok.returncode == 0, ok.stderr
    assert "batch 3:" in ok.stdout and "slices" in ok.stdout
    assert "label=r (rare)" in ok.stdout and "c=u" in ok.stdout

    drifted = write(root, "d.csv", batch(seed=50, shift=1.0))
    alarm = _cli(root, "monitor", "obs", drifted, "--slice", "c", "--format", "json")
    assert alarm.returncode == 1, alarm.stderr
    out = json.loads(alarm.stdout)
    alarms = out["batches"][0]["alarms"]
    assert any(
        a["column"] == "x" and a["metric"] == "psi" and a["kind"] == "learned" for a in alarms
    )
    assert {f["kind"] for f in out["batches"][0]["findings"]} >= {"covariate shift"}

    again = _cli(root, "monitor", "obs", drifted, "--slice", "c")
    assert again.returncode == 1 and "already recorded as batch 4" in again.stdout

    hist = _cli(root, "monitor", "history", "obs")
    assert hist.returncode == 0, hist.stderr
    lines = hist.stdout.splitlines()
    assert lines[0] == "obs: 4 batches in lineage/monitor.duckdb"
    assert "x.psi" in lines[1] and lines[-2].split()[0] == "4" and "!" in lines[-2]
    data = json.loads(_cli(root, "monitor", "history", "obs", "--format", "json").stdout)
    x_psi = next(s for s in data["series"] if (s["column"], s["metric"]) == ("x", "psi"))
    assert x_psi["alarms"] == [False, False, False, True] and len(x_psi["values"]) == 4

    prop = _cli(root, "monitor", "thresholds", "obs", "--propose", "--no-record")
    assert prop.returncode == 0, prop.stderr
    assert "wrote schemas/obs/2.yaml" in prop.stdout
    assert (root / "schemas" / "obs" / "2.yaml").is_file()


def test_bad_inputs_exit_codes(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    empty = write(root, "empty.csv", batch(seed=1).iloc[:0])
    r = _cli(root, "monitor", "obs", empty)
    assert r.returncode == 1 and "no rows" in r.stderr and "Traceback" not in r.stderr

    nogroup = write(root, "nogroup.csv", batch(seed=1).drop(columns=["group"]))
    r = _cli(root, "monitor", "obs", nogroup)
    assert r.returncode == 2 and "needs column 'group'" in r.stderr

    r = _cli(root, "monitor", "obs", str(root / "nope.csv"))
    assert r.returncode == 2 and "no such batch file" in r.stderr

    (root / "lineage" / "monitor.duckdb").write_bytes(b"garbage" * 1000)
    r = _cli(root, "monitor", "history", "obs")
    assert r.returncode == 2 and "cannot be read" in r.stderr and "Traceback" not in r.stderr

    r = _cli(root, "monitor", "nosuch", write(root, "b.csv", batch(seed=2)))
    assert r.returncode == 2 and "no dataset 'nosuch'" in r.stderr
