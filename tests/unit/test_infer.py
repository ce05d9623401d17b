"""Schema inference on the penguins batches and on small cases."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import datalife
from datalife.schemas.infer import infer_schema

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
BATCHES = sorted(SAMPLE.glob("*.csv"))


def test_penguins_categories_and_nullable_numbers() -> None:
    inference = infer_schema(BATCHES, "penguins")
    cols = inference.schema.columns
    for name in ("species", "island", "sex"):
        assert str(cols[name].dtype) == "category"
        (isin,) = [c for c in cols[name].checks if c.name == "isin"]
        assert len(isin.statistics["allowed_values"]) in (2, 3)
    assert set(cols["species"].checks[0].statistics["allowed_values"]) == {
        "Adelie",
        "Chinstrap",
        "Gentoo",
    }
    for name in ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"):
        assert cols[name].nullable, name
        assert any(c.name == "in_range" for c in cols[name].checks)
    assert str(cols["flipper_length_mm"].dtype) == "Int64"
    assert str(cols["bill_length_mm"].dtype) == "float64"
    assert not cols["species"].nullable and cols["sex"].nullable
    assert not cols["year"].unique
    assert inference.rows == 344
    assert "category" in " ".join(inference.explanations["species"])
    assert "missing" in " ".join(inference.explanations["sex"])
    # the inferred schema accepts the data it came from, in both engines
    assert datalife.validate(BATCHES, inference.schema).valid
    assert datalife.validate(datalife.reading.read_pandas(BATCHES), inference.schema).valid


def test_key_like_columns_are_unique_and_free_text_is_not_category(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "user_id": range(100),
            "comment": [f"text number {i}" for i in range(100)],
            "score": [i % 7 for i in range(100)],
            "ok": [i % 2 == 0 for i in range(100)],
        }
    )
    path = tmp_path / "f.parquet"
    frame.to_parquet(path)
    for source in (frame, path):
        inference = infer_schema(source, "users")
        cols = inference.schema.columns
        assert cols["user_id"].unique
        assert not cols["score"].unique
        assert str(cols["comment"].dtype) in ("str", "string[pyarrow]", "string[python]")
        assert not any(c.name == "isin" for c in cols["comment"].checks)
        assert str(cols["ok"].dtype) == "bool"
        assert inference.schema.strict is True
