"""``datalife split`` end to end, through the real CLI in a fresh process."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from datalife.storage import hash_file
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
PENGUINS = ("sample_data/2007.csv", "sample_data/2008.csv", "sample_data/2009.csv")

pytestmark = pytest.mark.e2e


def no_traceback(result: CliResult) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_split_penguins_text_and_lineage(cli: Cli, workspace: Path) -> None:
    res = cli("split", *PENGUINS, "--out", "splits", "--stratify", "species", "--seed", "42")
    assert res.code == 0, res
    out = res.stdout
    assert "split 344 rows (exact mode, stratified by species)" in out
    assert "train  275" in out and "dev    35" in out and "test   34" in out
    assert "Adelie" in out and "Chinstrap" in out and "Gentoo" in out
    assert "identical rows in two splits: 0" in out
    assert "wrote splits/train.parquet" in out
    assert sorted(p.name for p in (workspace / "splits").iterdir()) == [
        "dev.parquet",
        "split_report.json",
        "test.parquet",
        "train.parquet",
    ]
    from datalife.splits import read_provenance

    prov = read_provenance(workspace / "splits" / "train.parquet")
    assert prov is not None
    assert prov["split"] == "train"
    assert prov["splits"]["train"] == {"file": "train.parquet", "rows": 275}
    assert prov["parameters"]["seed"] == 42
    assert [i["path"] for i in prov["inputs"]] == list(PENGUINS)
    # the run is in the lineage log, which names the file by its content hash (the file
    # holds no run id: two identical splits are identical files)
    log = "".join(p.read_text() for p in (workspace / "lineage").glob("*.jsonl"))
    assert "run_id" not in prov
    assert hash_file(workspace / "splits" / "train.parquet") in log
    assert '"COMPLETE"' in log


def test_split_json_and_byte_identical_reruns(cli: Cli, workspace: Path) -> None:
    args = ("split", *PENGUINS, "--stratify", "species", "--no-record", "--format", "json")
    first = cli(*args, "--out", "a")
    second = cli(*args, "--out", "b")
    assert first.code == 0, first
    js = first.json()
    assert js["mode"] == "exact"
    assert js["rows"] == {"total": 344, "train": 275, "dev": 35, "test": 34}
    assert js["groups"] is None
    assert js["duplicates"]["shared_rows"] == 0
    assert js["max_row_deviation"] < 1
    assert {c["class"] for c in js["classes"]} == {"Adelie", "Chinstrap", "Gentoo"}
    assert js["files"]["train"] == "a/train.parquet"
    assert set(js["drift"]) >= {"species", "island", "bill_length_mm"}
    assert second.code == 0, second
    a, b = snapshot(workspace / "a"), snapshot(workspace / "b")
    for name in ("train.parquet", "dev.parquet", "test.parquet"):
        assert a[name] == b[name]
    assert not list((workspace / "lineage").glob("*.jsonl"))  # --no-record


def test_group_key_and_rebalance_modes(cli: Cli, workspace: Path) -> None:
    res = cli(
        "split", *PENGUINS, "--out", "g", "--group", "island", "--no-record", "--format", "json"
    )
    assert res.code == 0, res
    js = res.json()
    assert js["mode"] == "group"
    assert js["groups"]["overlap"] == 0
    assert any("groups cannot be split closer" in w for w in js["warnings"])
    res = cli(
        "split",
        *PENGUINS,
        "--out",
        "r",
        "--stratify",
        "species",
        "--rebalance",
        "downsample",
        "--no-record",
    )
    assert res.code == 0, res
    assert "train rebalanced (downsample): 275 -> 162 rows" in res.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--ratios", "0.7,0.2,0.2"), "ratios must sum to 1"),
        (("--ratios", "0.8,x,0.1"), "three numbers"),
        (("--ratios", "1,0,0"), "leave dev empty"),
        (("--stratify", "specie"), "did you mean 'species'"),
        (("--group", "isle"), "group column 'isle' is not in"),
        (("--rebalance", "weight"), "needs the class column"),
    ],
)
def test_usage_errors_exit_2(
    cli: Cli, workspace: Path, args: tuple[str, ...], message: str
) -> None:
    res = cli("split", *PENGUINS, "--out", "splits", *args)
    assert res.code == 2, res
    assert message in res.stderr
    assert "Fix:" in res.stderr
    no_traceback(res)
    assert not (workspace / "splits").exists() or not list((workspace / "splits").iterdir())


def test_missing_input_and_unwritable_out(cli: Cli, workspace: Path) -> None:
    res = cli("split", "sample_data/2099.csv", "--out", "splits")
    assert res.code == 2, res
    assert "no such file" in res.stderr
    (workspace / "occupied").write_text("a file")
    res = cli("split", *PENGUINS, "--out", "occupied")
    assert res.code == 2, res
    assert "cannot write here" in res.stderr
    res = cli("split", *PENGUINS, "--out", "occupied/sub")
    assert res.code == 2, res
    no_traceback(res)


def test_data_errors_exit_1_and_keep_previous_outputs(cli: Cli, workspace: Path) -> None:
    ok = cli("split", *PENGUINS, "--out", "splits", "--stratify", "species")
    assert ok.code == 0, ok
    before = snapshot(workspace / "splits")
    rows = (workspace / "sample_data" / "2009.csv").read_text().splitlines()
    lonely = workspace / "lonely.csv"
    emperor = ",".join(["Emperor", *rows[1].split(",")[1:]])
    lonely.write_text("\n".join([*rows, emperor]) + "\n")
    res = cli("split", lonely, "--out", "splits", "--stratify", "species")
    assert res.code == 1, res
    assert "single row" in res.stderr and "Emperor" in res.stderr
    res = cli("split", *PENGUINS, "--out", "splits", "--key", "year")
    assert res.code == 1, res
    assert "key column 'year' has duplicates" in res.stderr and "key 2007: rows 0, 1" in res.stderr
    empty = workspace / "nulls.csv"
    empty.write_text("a,b\n" + "".join(f"{i},NA\n" for i in range(30)))
    res = cli("split", empty, "--out", "splits", "--stratify", "b", "--format", "json")
    assert res.code == 1, res
    assert res.json()["error"] == "SplitDataError"
    assert snapshot(workspace / "splits") == before
    # the failed runs are in the lineage log as FAIL events
    log = "".join(p.read_text() for p in (workspace / "lineage").glob("*.jsonl"))
    assert '"FAIL"' in log


def test_fail_on_leakage(cli: Cli, workspace: Path) -> None:
    dup = workspace / "dup.csv"
    dup.write_text("x,y\n" + "".join(f"{i % 10},{i % 2}\n" for i in range(100)))
    res = cli("split", dup, "--out", "d", "--no-record")
    assert res.code == 0, res
    assert "warning:" in res.stdout and "exact duplicate in another split" in res.stdout
    res = cli("split", dup, "--out", "d", "--no-record", "--fail-on-leakage")
    assert res.code == 1, res
    res = cli("split", dup, "--out", "d", "--no-record", "--no-duplicate-check")
    assert res.code == 0, res
    assert "not checked" in res.stdout


def test_splitting_files_does_not_import_pandas(workspace: Path) -> None:
    # pandas costs the CLI ~0.4 s of start-up; the out-of-core path works without it
    import subprocess
    import sys

    code = (
        "import sys, io, contextlib\n"
        "from datalife.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = main(['split', 'sample_data/2007.csv', 'sample_data/2008.csv', '--out', 'o',"
        " '--stratify', 'species', '--no-record'])\n"
        "print(code, 'pandas' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=workspace, capture_output=True, text=True, check=False
    )
    assert out.stdout.split() == ["0", "False"], out


def test_drift_between_splits_in_the_report(cli: Cli, workspace: Path) -> None:
    res = cli("split", *PENGUINS, "--out", "out", "--stratify", "species", "--drift", "--no-record")
    assert res.code == 0, res
    assert "drift between splits" in res.stdout
    report = json.loads((workspace / "out" / "split_report.json").read_text())
    island = report["drift"]["island"]
    assert island["dev"]["method"] == "linf" and 0 <= island["dev"]["value"] <= 1
    assert island["test"]["n_train"] == report["rows"]["train"]
    # without --drift, files are not read again: the figures are absent, not invented
    plain = cli("split", *PENGUINS, "--out", "plain", "--no-record", "--format", "json")
    assert set(plain.json()["drift"].values()) == {None}
