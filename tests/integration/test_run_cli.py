"""``datalife run`` end to end on the sample workspace: outputs, provenance, incrementality,
failures that leave previous outputs intact, and crash safety under SIGKILL."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from tests.conftest import CliResult

Cli = Callable[..., CliResult]
SPLITS = ("train", "dev", "test")


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under root with its size and mtime (to prove nothing was written)."""
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def frames(root: Path) -> dict[str, pd.DataFrame]:
    return {s: pd.read_parquet(root / "splits" / f"{s}.parquet") for s in SPLITS}


def test_run_writes_splits_with_provenance_and_lineage(cli: Cli, workspace: Path) -> None:
    res = cli("run")
    assert res.code == 0, res
    assert "ran pipeline" in res.stdout and "penguin_features@1" in res.stdout
    parts = frames(workspace)
    assert sum(len(f) for f in parts.values()) == 344
    assert {"bill_ratio", "bill_length_mm_z", "island_oov"} <= set(parts["train"].columns)
    assert not parts["train"]["bill_length_mm"].isna().any()  # imputed
    # stratified by species: every class in every split
    for part in parts.values():
        assert set(part["species"]) == {"Adelie", "Chinstrap", "Gentoo"}
    # zscore fitted on train only: train's z-scores have mean 0, dev's do not have to
    assert abs(parts["train"]["body_mass_g_z"].mean()) < 1e-9
    meta = json.loads(pq.read_schema(workspace / "splits" / "train.parquet").metadata[b"datalife"])
    assert meta["schema"] == "penguin_features@1"
    assert meta["splits"]["train"]["rows"] == len(parts["train"])
    assert meta["parameters"]["stratify"] == ["species"]
    assert "run_id" not in meta and len(meta["dataset_versions"]) == 1
    assert {t["name"] for t in meta["transforms"]} >= {"ratio", "zscore", "one_hot"}
    assert meta["extra"]["input_schema"] == "penguins@1"
    # the fitted parameters are saved artifacts, with their hash in the provenance
    zscore = next(t for t in meta["transforms"] if t["name"] == "zscore")
    assert zscore["params_hash"] and (workspace / "splits" / "transforms" / "zscore.json").is_file()
    prov = cli("lineage", "provenance", "splits/train.parquet")
    assert prov.code == 0, prov
    for needle in ("sample_data/2007.csv", "penguins@1", "zscore@", "pipeline run"):
        assert needle in prov.stdout
    js = cli("run", "--format", "json").json()
    assert js["status"] == "up to date"
    # the split report compares dev and test with train, column by column
    report = json.loads((workspace / "splits" / "split_report.json").read_text())
    figure = report["drift"]["island"]
    assert figure["dev"]["method"] == "linf" and 0 <= figure["dev"]["value"] <= 1
    assert (
        0 < report["drift"]["body_mass_g"]["test"]["n_train"] <= len(parts["train"])
    )  # non-missing


def test_rerun_with_nothing_changed_writes_nothing(cli: Cli, workspace: Path) -> None:
    assert cli("run").code == 0
    before = snapshot(workspace)
    started = time.perf_counter()
    res = cli("run")
    elapsed = time.perf_counter() - started
    assert res.code == 0 and "up to date" in res.stdout
    assert snapshot(workspace) == before
    assert elapsed < 30  # a sanity bound only; speed is measured by benchmarks/
    forced = cli("run", "--force", "--format", "json").json()
    assert forced["status"] == "ran"
    assert [s["status"] for s in forced["stages"]] == ["ran"] * 7


def test_changed_raw_file_reruns(cli: Cli, workspace: Path) -> None:
    assert cli("run").code == 0
    with (workspace / "sample_data" / "2009.csv").open("a") as fh:
        fh.write("Gentoo,Biscoe,47.1,15.2,215,5100,male,2009\n")
    res = cli("run", "--format", "json")
    assert res.code == 0
    assert res.json()["status"] == "ran"
    assert sum(len(f) for f in frames(workspace).values()) == 345


def test_invalid_input_exits_1_and_keeps_outputs(cli: Cli, workspace: Path) -> None:
    assert cli("run").code == 0
    before = {p.name: p.read_bytes() for p in (workspace / "splits").glob("*.parquet")}
    with (workspace / "sample_data" / "2009.csv").open("a") as fh:
        fh.write("Emperor,Biscoe,47.1,15.2,215,5100,male,2009\n")
    res = cli("run")
    assert res.code == 1, res
    assert "Emperor" in res.stdout and "previous outputs are untouched" in res.stderr
    after = {p.name: p.read_bytes() for p in (workspace / "splits").glob("*.parquet")}
    assert after == before
    show = cli("lineage", "show", "--format", "json")
    assert show.code == 0
    assert '"FAIL"' in show.stdout


def test_transform_that_raises_exits_1_and_records_fail(cli: Cli, workspace: Path) -> None:
    assert cli("run").code == 0
    before = {p.name: p.read_bytes() for p in (workspace / "splits").glob("*.parquet")}
    (workspace / "bad_features.py").write_text(
        "from datalife.transforms import transform\n\n"
        "@transform(name='explode', version=1, inputs=['body_mass_g'], outputs=['boom'])\n"
        "def explode(df):\n"
        "    raise RuntimeError('kaboom in user code')\n"
    )
    config = workspace / "datalife.toml"
    text = config.read_text()
    text = text.replace(
        "[pipeline]\n", '[transforms]\nmodules = ["bad_features"]\n\n[pipeline]\n', 1
    )
    text = text.replace(
        "[[pipeline.steps]]  # stateless, before the split",
        '[[pipeline.steps]]\ntransform = "explode"\n\n[[pipeline.steps]]  # stateless, before the split',
        1,
    )
    config.write_text(text)
    res = cli("run")
    assert res.code == 1, res
    assert "explode" in res.stderr and "kaboom" in res.stderr
    assert "Traceback" not in res.stderr
    after = {p.name: p.read_bytes() for p in (workspace / "splits").glob("*.parquet")}
    assert after == before


def test_config_errors_exit_2(cli: Cli, workspace: Path) -> None:
    config = workspace / "datalife.toml"
    original = config.read_text()
    config.write_text(
        original.replace(
            "[pipeline]\n", '[transforms]\nmodules = ["no_such_module"]\n\n[pipeline]\n', 1
        )
    )
    res = cli("run")
    assert res.code == 2 and "no_such_module" in res.stderr, res
    config.write_text(original.replace('transform = "zscore"', 'transform = "zscroe"'))
    res = cli("run")
    assert res.code == 2 and "zscroe" in res.stderr, res
    config.write_text(
        original.replace('dataset = "penguins"\noutput', 'dataset = "pengiuns"\noutput')
    )
    res = cli("run")
    assert res.code == 2 and "pengiuns" in res.stderr, res
    config.write_text(original.replace("ratios = [0.8, 0.1, 0.1]", "ratios = [0.8, 0.3, 0.1]"))
    res = cli("run")
    assert res.code == 2 and "ratio" in res.stderr.lower(), res
    for result in (res,):
        assert "Traceback" not in result.stderr


def test_unwritable_output_exits_2_and_writes_nothing(cli: Cli, workspace: Path) -> None:
    (workspace / "splits").write_text("a file where the output folder should be")
    res = cli("run")
    assert res.code == 2, res
    assert "splits" in res.stderr and "Traceback" not in res.stderr
    assert (workspace / "splits").read_text().startswith("a file")


def test_killed_runs_then_rerun_give_the_same_outputs(cli: Cli, workspace: Path) -> None:
    assert cli("run").code == 0
    reference = frames(workspace)
    env = {**os.environ, "NO_COLOR": "1"}
    rng = random.Random(7)
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-m", "datalife", "run", "--force"],
            cwd=workspace,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.05, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    res = cli("run")
    assert res.code == 0, res
    final = frames(workspace)
    for name in SPLITS:
        pd.testing.assert_frame_equal(final[name], reference[name])
    assert not list((workspace / "splits").glob(".*.tmp"))  # no torn temporary files left
    show = cli("lineage", "show")
    assert show.code == 0, show
    verify = cli("lineage", "verify")
    assert "Traceback" not in verify.stderr
