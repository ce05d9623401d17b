"""Inference on wide data: statements run side by side give the schema run one by one gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from datalife.errors import InputError
from datalife.schemas.infer import infer_schema, source
from datalife.schemas.io import serialize_body


def _wide(rows: int, columns: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {}
    for j in range(columns):
        kind = j % 6
        if kind == 0:
            out[f"c{j}"] = rng.integers(0, 1000, rows)
        elif kind == 1:
            x = np.round(rng.normal(50, 10, rows), 3)
            x[::17] = np.nan
            out[f"c{j}"] = x
        elif kind == 2:
            out[f"c{j}"] = rng.choice(["a", "b", "c", "d"], rows)
        elif kind == 3:
            out[f"c{j}"] = [f"k{i}" for i in rng.permutation(rows)]
        elif kind == 4:
            out[f"c{j}"] = rng.choice(["true", "false"], rows)
        else:
            out[f"c{j}"] = pd.date_range("2024-01-01", periods=rows, freq="min").astype(str)
    return pd.DataFrame(out)


def _result(data: Any, monkeypatch: pytest.MonkeyPatch, workers: int | None) -> Any:
    if workers is not None:
        monkeypatch.setattr(source, "MAX_WORKERS", workers)
    inference = infer_schema(data, "wide")
    return inference.to_dict(), serialize_body(inference.schema)


@pytest.mark.parametrize("as_file", [False, True])
def test_side_by_side_equals_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_file: bool
) -> None:
    frame = _wide(400, 260)
    data: Any = frame
    if as_file:
        data = tmp_path / "wide.csv"
        frame.to_csv(data, index=False)
    # 260 columns make several statements per pass (480 aggregates each)
    together = _result(data, monkeypatch, None)
    alone = _result(data, monkeypatch, 1)
    assert together == alone
    facts, body = together
    assert facts["roles"]["c3"] == "identifier"
    assert "dtype category" in facts["columns"]["c2"][0]
    if as_file:  # text read as booleans and timestamps; a frame's strings stay strings
        assert facts["columns"]["c4"][0].startswith("dtype bool")
        assert "datetime64" in facts["columns"]["c5"][0]
    else:
        assert facts["columns"]["c4"][0].startswith("dtype category")
    assert body["columns"]["c2"]["isin"] == ["a", "b", "c", "d"]


def test_a_bad_value_in_one_statement_names_the_file(tmp_path: Path) -> None:
    frame = _wide(50, 260)
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    with path.open("a") as fh:
        fh.write(",".join(["1"] * 10) + "\n")  # a short row
    with pytest.raises(InputError) as err:
        infer_schema(path, "bad")
    assert "bad.csv" in str(err.value)


def test_repeated_text_is_read_as_timestamps_from_its_distinct_values(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    stamps = ["2024-01-01 10:00:00", "2024-03-05 23:59:59", "2023-12-31 00:00:01"]
    frame = pd.DataFrame(
        {
            "when": rng.choice(stamps, 400),  # repeats: tried once per distinct value
            "almost": [*rng.choice(stamps, 399), "not a time"],
            "unique": pd.date_range("2024-01-01", periods=400, freq="s").astype(str),
        }
    )
    frame.loc[::50, "when"] = None
    path = tmp_path / "times.csv"
    frame.to_csv(path, index=False)
    inference = infer_schema(path, "times")
    reasons = inference.explanations
    assert (
        reasons["when"][0] == "dtype datetime64[ns]: all 392 non-missing values parse as timestamps"
    )
    assert "observed [2023-12-31 00:00:01, 2024-03-05 23:59:59]" in " ".join(reasons["when"])
    assert reasons["almost"][0].startswith("dtype str")
    assert reasons["unique"][0].startswith("dtype datetime64[ns]")
    assert "observed [2024-01-01 00:00:00, 2024-01-01 00:06:39]" in " ".join(reasons["unique"])
