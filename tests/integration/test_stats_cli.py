"""``datalife stats``, ``drift`` and ``skew`` end to end, through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import CliResult, run_cli

Cli = Callable[..., CliResult]
pytestmark = pytest.mark.e2e


def clean(result: CliResult) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result
    assert "internal error" not in result.stderr, result


def test_stats_of_a_dataset_text_and_json(cli: Cli) -> None:
    res = cli("stats", "penguins")
    clean(res)
    assert res.code == 0, res
    assert "344 rows" in res.stdout
    assert "bill_length_mm" in res.stdout
    assert "Adelie 44.2%" in res.stdout
    js = cli("stats", "sample_data/2007.csv", "--format", "json").json()
    assert js["kind"] == "datalife.profile"
    assert js["rows"] == 110
    body = {c["name"]: c for c in js["columns"]}
    assert body["year"]["min"] == body["year"]["max"] == 2007
    assert body["species"]["distinct_method"] == "exact"
    assert len(body["bill_length_mm"]["histogram"]["edges"]) == 21


def test_save_and_show_a_saved_profile(cli: Cli, workspace: Path) -> None:
    res = cli("stats", "penguins", "--save", "--format", "json")
    clean(res)
    assert res.code == 0, res
    version = res.json()["source"]["dataset_version"]
    saved = workspace / "lineage" / "profiles" / f"{version}.json"
    assert saved.is_file()
    assert "saved profile: lineage/profiles/" in res.stderr
    shown = cli("stats", f"penguins@{version[:12]}", "--format", "json")
    assert shown.code == 0, shown
    assert shown.json() == res.json()
    again = cli("stats", str(saved.relative_to(workspace)))
    assert again.code == 0, again
    assert "344 rows" in again.stdout


def test_drift_between_files_exits_1_with_every_metric(cli: Cli) -> None:
    res = cli("drift", "sample_data/2007.csv", "sample_data/2009.csv", "--format", "json")
    clean(res)
    assert res.code == 1, res
    js = res.json()
    assert js["drifted"] is True
    assert js["schema"] == "penguins@1"
    cols = {c["column"]: c for c in js["columns"]}
    assert cols["year"]["drifted"] is True
    for c in cols.values():
        for key in (
            "column",
            "drifted",
            "method",
            "linf",
            "jsd_log2",
            "psi",
            "wasserstein_norm",
            "ks_stat",
            "ks_pvalue",
            "chi2_pvalue",
            "n_baseline",
            "n_current",
        ):
            assert key in c
    text = cli("drift", "sample_data/2007.csv", "sample_data/2009.csv")
    assert text.code == 1
    assert "DRIFT" in text.stdout
    assert "wasserstein_norm" in text.stdout
    assert "ok (noise)" in text.stdout
    loud = cli(
        "drift",
        "sample_data/2007.csv",
        "sample_data/2009.csv",
        "--no-noise-guard",
        "--format",
        "json",
    )
    assert len(loud.json()["drifted_columns"]) > len(js["drifted_columns"])
    same = cli("drift", "sample_data/2008.csv", "sample_data/2008.csv")
    assert same.code == 0, same
    assert "no drift" in same.stdout


def test_drift_from_saved_profiles_matches_raw(cli: Cli, workspace: Path) -> None:
    for year in ("2007", "2009"):
        out = cli("stats", f"sample_data/{year}.csv", "--out", f"{year}.json", "--format", "json")
        assert out.code == 0, out
    (workspace / "sample_data" / "2007.csv").unlink()  # the old raw data is gone
    res = cli("drift", "2007.json", "2009.json", "--format", "json")
    clean(res)
    assert res.code == 1, res
    js = res.json()
    assert js["baseline"]["from_profile"] is True
    assert {c["column"] for c in js["columns"] if c["drifted"]} >= {"year"}


def test_skew_skips_columns_absent_at_serving(cli: Cli, workspace: Path) -> None:
    from datalife.schemas.registry import SchemaRegistry

    registry = SchemaRegistry(workspace)
    v1 = registry.load("penguins@1")
    registry.save(
        v1.schema,
        "penguins",
        environments={"serving": {"absent": ["species"]}},
        skew={"default": {"linf": 0.5, "wasserstein_norm": 5.0, "psi": 50.0}},
    )
    serving = pd.read_csv(workspace / "sample_data" / "2008.csv").drop(columns=["species"])
    serving.to_csv(workspace / "serving.csv", index=False)
    res = cli(
        "skew", "sample_data/2007.csv", "serving.csv", "--schema", "penguins@2", "--format", "json"
    )
    clean(res)
    js = res.json()
    cols = {c["column"]: c for c in js["columns"]}
    assert cols["species"]["status"] == "skipped"
    assert js["comparison"] == "skew"
    assert js["environment"] == "serving"
    assert res.code == 0, res
    assert cols["island"]["thresholds"]["linf"] == 0.5
    text = cli("skew", "sample_data/2007.csv", "serving.csv", "--schema", "penguins@2")
    assert "species: skipped: absent in the 'serving' environment" in text.stdout


def test_bad_inputs_exit_2_with_a_clear_message(cli: Cli, workspace: Path) -> None:
    good = cli("stats", "sample_data/2007.csv", "--out", "p.json", "--format", "json")
    assert good.code == 0
    text = (workspace / "p.json").read_text()
    (workspace / "broken.json").write_text(text[: len(text) // 3])
    res = cli("drift", "broken.json", "sample_data/2008.csv")
    clean(res)
    assert res.code == 2, res
    assert "corrupted profile" in res.stderr
    js = cli("drift", "broken.json", "sample_data/2008.csv", "--format", "json")
    assert js.code == 2
    assert js.json()["error"] == "ProfileError"
    missing = cli("drift", "penguin", "sample_data/2008.csv")
    assert missing.code == 2
    assert "no such file or dataset" in missing.stderr
    assert "penguins" in missing.stderr
    version = cli("stats", "penguins@0000")
    assert version.code == 2
    assert "has no version" in version.stderr


def test_columns_that_differ_between_files(tmp_path: Path) -> None:
    pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "x"]}).to_csv(tmp_path / "one.csv", index=False)
    pd.DataFrame({"a": [1, 2, 9], "c": [1.0, None, None]}).to_csv(tmp_path / "two.csv", index=False)
    res = run_cli("drift", "one.csv", "two.csv", "--format", "json", cwd=tmp_path)
    clean(res)
    js = res.json()
    assert js["columns_added"] == ["c"]
    assert js["columns_removed"] == ["b"]
    assert js["schema"] is None
    text = run_cli("drift", "one.csv", "two.csv", cwd=tmp_path)
    assert "b: removed: column only in the baseline" in text.stdout
    json.dumps(js, allow_nan=False)


def test_saved_profile_is_recorded_in_lineage(cli: Cli, workspace: Path) -> None:
    res = cli("stats", "penguins", "--save")
    assert res.code == 0, res
    saved = next((workspace / "lineage" / "profiles").glob("*.json"))
    shown = cli("lineage", "downstream", "sample_data/2007.csv", "--format", "json")
    assert shown.code == 0, shown
    assert saved.name in shown.stdout
    # --no-record saves the profile without writing to the log
    before = sorted(p.name for p in (workspace / "lineage").glob("*.jsonl"))
    sizes = {p.name: p.stat().st_size for p in (workspace / "lineage").glob("*.jsonl")}
    assert cli("stats", "penguins", "--save", "--no-record").code == 0
    assert sizes == {p.name: p.stat().st_size for p in (workspace / "lineage").glob("*.jsonl")}
    assert before
