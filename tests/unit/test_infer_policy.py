"""Inference's policy: roles, ranges, keys and duplicates, the row minimum, bool text."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import datalife
from datalife.errors import DatalifeError
from datalife.schemas import infer as infer_mod
from datalife.schemas.infer import infer_schema
from datalife.schemas.infer import keys as infer_keys
from datalife.schemas.io import dump_schema, parse_schema_text, serialize_body
from datalife.schemas.model import Role, SchemaVersion

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def _checks(inference: infer_mod.Inference, column: str) -> dict[str, dict[str, Any]]:
    out = {}
    for c in inference.schema.columns[column].checks:
        key = c.name + (" (warning)" if c.raise_warning else "")
        out[key] = dict(c.statistics)
    return out


def test_only_true_false_text_is_a_bool(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "yes_no": ["yes", "no"] * 10,
            "y_n": ["Y", "N"] * 10,
            "t_f": ["t", "f"] * 10,
            "true_false": ["True", "FALSE"] * 10,
        }
    )
    inference = infer_schema(_csv(frame, tmp_path / "b.csv"), "b")
    cols = inference.schema.columns
    for name in ("yes_no", "y_n", "t_f"):
        assert str(cols[name].dtype) == "category", name
        assert inference.columns[name].role == Role.CATEGORY
    assert "only true/false is read as a boolean" in inference.explanations["yes_no"][0]
    assert str(cols["true_false"].dtype) == "bool"
    assert not inference.columns["true_false"].true_values  # no other spellings by default


def test_roles_are_inferred_declared_and_explained(tmp_path: Path) -> None:
    n = 200
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "order_id": np.arange(1000, 1000 + n),
            "customer_id": rng.integers(0, 60, n),
            "sku": [f"SKU-{i:05d}" for i in rng.permutation(n)],
            "placed_at": pd.date_range("2024-01-01", periods=n, freq="h").astype(str),
            "channel": rng.choice(["web", "store", "phone"], n),
            "note": [f"please deliver to door {i} after {i % 12} pm" for i in range(n)],
            "amount": rng.gamma(2.0, 30.0, n).round(2),
            "target": rng.choice(["churn", "stay"], n),
        }
    )
    path = _csv(frame, tmp_path / "orders.csv")
    inference = infer_schema(path, "orders", roles={"target": "label"})
    roles = {k: v.role for k, v in inference.columns.items()}
    assert roles == {
        "order_id": Role.IDENTIFIER,
        "customer_id": Role.IDENTIFIER,
        "sku": Role.IDENTIFIER,
        "placed_at": Role.TIMESTAMP,
        "channel": Role.CATEGORY,
        "note": Role.FREE_TEXT,
        "amount": Role.MEASUREMENT,
        "target": Role.LABEL,
    }
    cols = inference.schema.columns
    assert cols["order_id"].unique and cols["sku"].unique
    assert not cols["customer_id"].unique  # a reference: repeats
    assert not cols["order_id"].checks and not cols["customer_id"].checks  # no range
    assert not any(c.name == "isin" for c in cols["note"].checks)
    assert str(cols["target"].dtype) == "category"  # a label keeps its class set
    assert not cols["placed_at"].checks  # time moves on: no upper bound
    for name, reasons in inference.explanations.items():
        assert any(r.startswith("role ") for r in reasons), name
    assert "declared" in " ".join(inference.explanations["target"])
    # no declaration: the name suggests it
    suggested = infer_schema(path, "orders")
    assert "--label target" in " ".join(suggested.explanations["target"])
    with pytest.raises(DatalifeError, match="unknown role"):
        infer_schema(path, "orders", roles={"target": "answer"})
    with pytest.raises(DatalifeError, match="does not have"):
        infer_schema(path, "orders", roles={"nope": "label"})


def test_tolerant_strict_and_off_ranges(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "mass_g": [2700, 3100, 3550, 4000, 4750, 5200, 6300] * 3,
            "temp_c": [-3.5, -1.0, 0.5, 2.0, 5.0, 8.0, 12.0] * 3,
            "year": [2007, 2008, 2009] * 7,
            "share": [0.1, 0.2, 0.5, 0.7, 0.9, 0.3, 0.4] * 3,
        }
    )
    path = _csv(frame, tmp_path / "r.csv")
    tolerant = infer_schema(path, "r")
    mass = _checks(tolerant, "mass_g")
    assert mass["greater_than_or_equal_to"]["min_value"] == 0  # non-negative
    assert mass["less_than_or_equal_to"]["max_value"] == 20000  # x (q75/q25)^2, rounded
    assert mass["in_range (warning)"] == {
        "min_value": 2700,
        "max_value": 6300,
        "include_min": True,
        "include_max": True,
    }
    temp = _checks(tolerant, "temp_c")
    assert temp["greater_than_or_equal_to"]["min_value"] < -3.5  # signed: no zero bound
    assert _checks(tolerant, "year")["less_than_or_equal_to"]["max_value"] == 2100
    assert tolerant.columns["year"].role == Role.TIMESTAMP
    assert "calendar year" in (tolerant.columns["year"].range_rule or "")
    strict = infer_schema(path, "r", ranges="strict")
    assert _checks(strict, "mass_g") == {
        "greater_than_or_equal_to": {"min_value": 2700},
        "less_than_or_equal_to": {"max_value": 6300},
    }
    off = infer_schema(path, "r", ranges="off")
    assert all(not c.checks for c in off.schema.columns.values())
    assert "off" in (off.columns["mass_g"].range_rule or "")
    with pytest.raises(DatalifeError, match="range policy"):
        infer_schema(path, "r", ranges="loose")
    # the next batch, one unit wider: tolerant accepts it (with a warning), strict fails
    wider = _csv(frame.assign(mass_g=frame["mass_g"] + 1), tmp_path / "wider.csv")
    assert not datalife.validate(wider, strict.schema).valid
    report = datalife.validate(wider, tolerant.schema)
    assert report.valid
    assert "mass_g" in {w.column for w in report.warnings}


def test_composite_key_and_whole_row_duplicates(tmp_path: Path) -> None:
    grid = pd.DataFrame(
        [
            (s, y, 100 * i + j)
            for i, s in enumerate("ABCDEF")
            for j, y in enumerate(range(2001, 2021))
        ],
        columns=["store", "year", "sales"],
    )
    inference = infer_schema(_csv(grid, tmp_path / "grid.csv"), "grid")
    assert inference.key == ["store", "year"]
    assert inference.schema.unique == ["store", "year"]
    assert any("a key of 2 columns" in n for n in inference.notes)
    dup = pd.concat([grid, grid.iloc[[3]]], ignore_index=True)
    report = datalife.validate(_csv(dup, tmp_path / "dup.csv"), inference.schema)
    assert not report.valid
    # no key: every column, when no row repeats; nothing when the data itself repeats rows
    rng = np.random.default_rng(1)
    loose = pd.DataFrame({"x": rng.normal(size=50).round(3), "y": rng.normal(size=50).round(3)})
    inferred = infer_schema(_csv(loose, tmp_path / "loose.csv"), "loose")
    assert inferred.key == ["x", "y"]
    assert any("whole" in n or "every column" in n for n in inferred.notes)
    repeated = pd.concat([loose, loose.iloc[:2]], ignore_index=True)
    again = infer_schema(_csv(repeated, tmp_path / "repeated.csv"), "repeated")
    assert again.key is None
    assert any("repeats 2 whole rows" in n for n in again.notes)


def test_key_search_says_when_it_gave_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({f"c{i}": rng.choice(list("abcdefgh"), 400) for i in range(14)})
    monkeypatch.setattr(infer_keys, "KEY_BUDGET", 10)
    inference = infer_schema(_csv(frame, tmp_path / "wide.csv"), "wide")
    (note,) = [n for n in inference.notes if "gave up" in n]
    assert "more columns not considered" in note and "stopped after 10" in note


def test_min_rows_roles_and_rules_reach_the_schema_file(tmp_path: Path) -> None:
    inference = infer_schema(sorted(SAMPLE.glob("*.csv")), "penguins")
    text = dump_schema(inference.meta(), serialize_body(inference.schema))
    assert "min_rows: 1" in text
    sv = parse_schema_text(text)
    assert sv.meta.columns["species"].role == Role.CATEGORY
    assert sv.spec.min_rows == 1
    assert sv.spec.columns["year"].role == "timestamp"
    assert "non-negative" in (sv.meta.columns["body_mass_g"].range_rule or "")
    header = (SAMPLE / "2009.csv").read_text(encoding="utf-8").splitlines()[0]
    empty = tmp_path / "empty.csv"
    empty.write_text(header + "\n", encoding="utf-8")
    report = datalife.validate(empty, SchemaVersion(inference.meta(), inference.schema))
    assert not report.valid


def test_many_columns_are_batched_and_progress_is_reported(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    width = 1300
    frame = pd.DataFrame({f"m{i}": rng.integers(0, 100, 30) for i in range(width)})
    frame["label"] = rng.choice(["a", "b"], 30)
    seen: dict[str, tuple[int, int]] = {}

    def progress(phase: str, done: int, total: int) -> None:
        assert 0 < done <= total
        seen[phase] = (done, total)

    inference = infer_schema(_csv(frame, tmp_path / "wide.csv"), "wide", progress=progress)
    assert len(inference.schema.columns) == width + 1
    assert str(inference.schema.columns["m1299"].dtype) == "int64"
    scans = seen["scan"]
    assert scans[0] == scans[1] > 1  # several queries, each finished


def test_cli_explains_every_role_and_range(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "datalife",
            "schema",
            "infer",
            *map(str, sorted(SAMPLE.glob("*.csv"))),
            "--name",
            "penguins",
            "--dry-run",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert "min_rows: 1" in out.stdout
    assert "range_rule:" in out.stdout and "raise_warning: true" in out.stdout
    explained = out.stderr
    for column in ("species", "island", "bill_length_mm", "body_mass_g", "sex", "year"):
        line = next(x for x in explained.splitlines() if x.strip().startswith(f"{column}:"))
        assert "role " in line, line
        if column not in ("species", "island", "sex"):
            assert "range:" in line, line
    strict = subprocess.run(
        [
            sys.executable,
            "-m",
            "datalife",
            "schema",
            "infer",
            str(SAMPLE / "2009.csv"),
            "--name",
            "p",
            "--dry-run",
            "--ranges",
            "strict",
            "--label",
            "species",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert "strict: the observed range" in strict.stderr
    assert "role: label" in strict.stdout


def test_config_sets_the_range_policy(tmp_path: Path) -> None:
    (tmp_path / "datalife.toml").write_text(
        'format_version = 1\n\n[infer]\nranges = "off"\n', encoding="utf-8"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "datalife",
            "schema",
            "infer",
            str(SAMPLE / "2009.csv"),
            "--name",
            "p",
            "--dry-run",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert "(ranges: off)" in out.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "datalife", "schema", "list"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert bad.returncode == 0
    (tmp_path / "datalife.toml").write_text(
        'format_version = 1\n\n[infer]\nranges = "loose"\n', encoding="utf-8"
    )
    bad = subprocess.run(
        [sys.executable, "-m", "datalife", "schema", "list"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert bad.returncode == 2
    assert "infer.ranges" in bad.stderr


def _workspace_with_two_batches(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "datalife.toml").write_text(
        'format_version = 1\n\n[datasets.orders]\nfiles = ["data/*.csv"]\n', encoding="utf-8"
    )
    (tmp_path / "data").mkdir()
    first = _csv(
        pd.DataFrame({"order_id": range(100), "amount": [float(i % 17) for i in range(100)]}),
        tmp_path / "data" / "a.csv",
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "datalife",
            "schema",
            "infer",
            str(first),
            "--name",
            "orders",
            "--no-record",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    # the second batch repeats an order id of the first
    second = _csv(
        pd.DataFrame({"order_id": [99, *range(100, 150)], "amount": [1.0] * 51}),
        tmp_path / "data" / "b.csv",
    )
    return first, second


def test_check_catches_duplicate_keys_across_the_files_of_a_dataset(tmp_path: Path) -> None:
    _workspace_with_two_batches(tmp_path)
    out = subprocess.run(
        [sys.executable, "-m", "datalife", "check"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert "order_id" in out.stdout + out.stderr


def test_the_hook_catches_a_key_repeated_in_a_file_not_staged(tmp_path: Path) -> None:
    _, second = _workspace_with_two_batches(tmp_path)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from datalife.hooks import main; main()",
            "validate",
            str(second.relative_to(tmp_path)),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert out.returncode == 1, out.stdout + out.stderr
