"""Built-in transforms against hand-computed values."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from datalife.errors import LeakageError, TransformDefinitionError, TransformError
from datalife.splits import mark_split
from datalife.transforms import (
    BUILTINS,
    FittedTransform,
    StatefulTransform,
    Transform,
    TransformRegistry,
    cross,
    date_parts,
    impute,
    log1p,
    minmax,
    one_hot,
    ordinal,
    quantile_bucketize,
    ratio,
    vocabulary,
    zscore,
)


def col(values: Sequence[object], name: str = "x") -> pd.DataFrame:
    return pd.DataFrame({name: values})


def test_zscore() -> None:
    fitted = zscore(["x"]).fit(col([1.0, 2.0, 3.0]))
    std = math.sqrt(2 / 3)  # population std of 1, 2, 3
    assert fitted.params == {"x": {"mean": 2.0, "std": pytest.approx(std)}}
    out = fitted.apply(col([1.0, 2.0, 4.0, None]))["x"].tolist()
    assert out[:3] == pytest.approx([-1 / std, 0.0, 2 / std])
    assert math.isnan(out[3])
    # a constant column scales by 1; a suffix keeps the original
    const = zscore(["x"], suffix="_z").fit(col([5.0, 5.0])).apply(col([5.0, 7.0]))
    assert list(const.columns) == ["x", "x_z"]
    assert const["x_z"].tolist() == [0.0, 2.0]


def test_minmax() -> None:
    fitted = minmax("x").fit(col([2.0, 4.0, 6.0]))
    assert fitted.params == {"x": {"min": 2.0, "max": 6.0}}
    assert fitted.apply(col([2.0, 3.0, 6.0, 10.0]))["x"].tolist() == [0.0, 0.25, 1.0, 2.0]
    ranged = minmax("x", feature_range=(-1, 1)).fit(col([2.0, 4.0, 6.0]))
    assert ranged.apply(col([2.0, 3.0, 6.0]))["x"].tolist() == [-1.0, -0.5, 1.0]
    with pytest.raises(TransformDefinitionError, match="low < high"):
        minmax("x", feature_range=(1, 1))


def test_log1p() -> None:
    out = log1p("x").apply(col([0.0, math.e - 1, None]))["x"].tolist()
    assert out[:2] == pytest.approx([0.0, 1.0])
    assert math.isnan(out[2])
    with pytest.raises(
        TransformError, match=r"log1p needs values above -1; column 'x' has 1 \(row 1: -1.0\)"
    ):
        log1p("x").apply(col([0.5, -1.0]))


def test_quantile_bucketize() -> None:
    fitted = quantile_bucketize("x", buckets=4).fit(col([float(i) for i in range(1, 9)]))
    # numpy's linear quantiles of 1..8 at 0.25, 0.5, 0.75
    assert fitted.params == {"boundaries": [2.75, 4.5, 6.25]}
    out = fitted.apply(col([1.0, 3.0, 5.0, 7.0, 2.75, None, 100.0]))["x_bucket"]
    assert out.tolist() == [0, 1, 2, 3, 1, pd.NA, 3]
    # equal quantiles merge
    skewed = quantile_bucketize("x", buckets=4).fit(col([0.0] * 9 + [1.0]))
    assert skewed.params == {"boundaries": [0.0]}
    with pytest.raises(TransformDefinitionError, match="buckets"):
        quantile_bucketize("x", buckets=1)


def test_vocabulary() -> None:
    train = col(["b", "a", "b", "c", "c", "c"], "k")
    fitted = vocabulary("k").fit(train)
    assert fitted.params == {"vocabulary": ["c", "b", "a"]}  # by frequency, ties by value
    assert fitted.apply(col(["a", "c", "zzz", None], "k"))["k_id"].tolist() == [2, 0, 3, 3]
    assert vocabulary("k", top_k=2).fit(train).params == {"vocabulary": ["c", "b"]}
    assert vocabulary("k", min_frequency=2).fit(train).params == {"vocabulary": ["c", "b"]}
    many = vocabulary("k", oov_buckets=4).fit(train)
    ids = many.apply(col(["x1", "x2", "x3", "x4", "x5", None], "k"))["k_id"].tolist()
    assert all(3 <= i < 7 for i in ids)
    assert ids[-1] == 3  # null takes the first OOV bucket
    assert ids == many.apply(col(["x1", "x2", "x3", "x4", "x5", None], "k"))["k_id"].tolist()


def test_ordinal() -> None:
    fitted = ordinal("sex").fit(col(["male", "female", "male"], "sex"))
    assert fitted.params == {"categories": ["female", "male"]}
    out = fitted.apply(col(["female", "male", "unknown", None], "sex"))
    assert out["sex_ordinal"].tolist() == [0, 1, 2, 2]
    sized = ordinal("size", categories=["small", "medium", "large"], output="size").fit(
        col(["large"], "size")
    )
    assert sized.apply(col(["medium", "huge"], "size"))["size"].tolist() == [1, 3]


def test_one_hot() -> None:
    t = one_hot("c", categories=["a", "b"])
    assert t.outputs == ("c=a", "c=b", "c=__oov__")
    out = t.fit(col(["a"], "c")).apply(col(["a", "b", "z", None], "c"))
    assert out[["c=a", "c=b", "c=__oov__"]].to_numpy().tolist() == [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
        [0, 0, 1],
    ]
    top = one_hot("c", top_k=2, drop=True)
    fitted = top.fit(col(["x", "y", "y", "z"], "c"))
    assert fitted.params == {"categories": ["y", "x"]}
    out = fitted.apply(col(["x", "y", "z"], "c"))
    assert list(out.columns) == ["c_0", "c_1", "c_oov"]  # the source column is dropped
    assert out.to_numpy().tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 1]]
    assert fitted.column_lineage() == {"c_0": ["c"], "c_1": ["c"], "c_oov": ["c"]}
    with pytest.raises(TransformDefinitionError, match=r"categories=\[...\] or top_k=N"):
        one_hot("c")


def test_impute() -> None:
    mean = impute(["x"]).fit(col([1.0, None, 3.0]))
    assert mean.params == {"values": {"x": 2.0}}
    assert mean.apply(col([None, 5.0]))["x"].tolist() == [2.0, 5.0]
    median = impute("x", strategy="median").fit(col([1.0, 2.0, 10.0, None]))
    assert median.params == {"values": {"x": 2.0}}
    mode = impute("k", strategy="mode").fit(col(["a", "b", "b", None], "k"))
    assert mode.apply(col([None, "a"], "k"))["k"].tolist() == ["b", "a"]
    tie = impute("x", strategy="mode").fit(col([2, 1, None]))
    assert tie.params == {"values": {"x": 1.0}}  # tie: the smallest value
    const = impute("k", strategy="constant", value="unknown").fit(col(["a"], "k"))
    assert const.apply(col([None], "k"))["k"].tolist() == ["unknown"]
    ints = impute("n").fit(pd.DataFrame({"n": pd.array([1, 2, None, 2], dtype="Int64")}))
    assert ints.params == {"values": {"n": pytest.approx(5 / 3)}}
    assert ints.apply(pd.DataFrame({"n": pd.array([None], dtype="Int64")}))["n"].tolist() == [
        pytest.approx(5 / 3)
    ]
    with pytest.raises(TransformError, match="no values to fit on"):
        impute("x").fit(col([None, None]))
    with pytest.raises(TransformDefinitionError, match="needs value"):
        impute("x", strategy="constant")
    with pytest.raises(TransformDefinitionError, match="unknown strategy"):
        impute("x", strategy="average")


def test_date_parts() -> None:
    t = date_parts(
        "d", parts=["year", "quarter", "month", "day", "dayofweek", "dayofyear", "is_weekend"]
    )
    out = t.apply(col(["2024-03-09", None], "d"))
    row = out.iloc[0]
    assert [
        row[f"d_{p}"]
        for p in ("year", "quarter", "month", "day", "dayofweek", "dayofyear", "is_weekend")
    ] == [
        2024,
        1,
        3,
        9,
        5,  # a Saturday
        69,  # 31 + 29 + 9 in a leap year
        1,
    ]
    assert out.iloc[1]["d_year"] is pd.NA
    times = date_parts("t", parts=["hour", "minute", "second"], prefix="ts").apply(
        pd.DataFrame({"t": pd.to_datetime(["2020-01-01 13:45:30"])})
    )
    assert times[["ts_hour", "ts_minute", "ts_second"]].iloc[0].tolist() == [13, 45, 30]
    with pytest.raises(TransformError, match="not dates"):
        t.apply(col(["not a date"], "d"))
    with pytest.raises(TransformDefinitionError, match="unknown part"):
        date_parts("d", parts=["century"])


def test_ratio_and_cross() -> None:
    df = pd.DataFrame({"a": [4.0, 1.0, 2.0], "b": [2.0, 0.0, None]})
    out = ratio("a", "b").apply(df)["a_per_b"].tolist()
    assert out[0] == 2.0
    assert math.isnan(out[1]) and math.isnan(out[2])  # x / 0 is null, not infinity
    pen = pd.DataFrame({"island": ["Biscoe", "Dream", None], "sex": ["male", "female", "male"]})
    crossed = cross(["island", "sex"]).apply(pen)["island_x_sex"]
    assert crossed.tolist() == ["Biscoe_x_male", "Dream_x_female", pd.NA]
    hashed = cross(["island", "sex"], hash_buckets=10, output="h").apply(pen)["h"]
    assert all(0 <= v < 10 for v in hashed.iloc[:2])
    assert (
        hashed.tolist()
        == cross(["island", "sex"], hash_buckets=10, output="h").apply(pen)["h"].tolist()
    )
    with pytest.raises(TransformDefinitionError, match="at least two"):
        cross(["island"])


def test_stateful_builtins_refuse_eval_rows_and_reload(tmp_path: Path) -> None:
    train = pd.DataFrame({"x": [1.0, 2.0, 3.0], "k": ["a", "b", "a"]})
    registry = TransformRegistry()
    made = [
        registry.create("zscore", columns=["x"]),
        registry.create("minmax", columns=["x"], feature_range=[0, 10]),
        registry.create("quantile_bucketize", column="x", buckets=2),
        registry.create("vocabulary", column="k", oov_buckets=2),
        registry.create("ordinal", column="k"),
        registry.create("one_hot", column="k", top_k=1, drop=True),
        registry.create("impute", columns=["x"], strategy="median"),
    ]
    serving = pd.DataFrame({"x": [0.5, None, 9.0], "k": ["b", "z", None]})
    for t in made:
        with pytest.raises(LeakageError):
            t.fit(mark_split(train.copy(), "test"))  # type: ignore[union-attr]
        fitted = t.fit(mark_split(train.copy(), "train"))  # type: ignore[union-attr]
        path = tmp_path / f"{t.name}.json"
        digest = fitted.save(path)
        again = TransformRegistry().load_fitted(path, expected_hash=digest)
        assert again.params == fitted.params
        pd.testing.assert_frame_equal(again.apply(serving), fitted.apply(serving))


def test_every_builtin_is_documented_and_creatable() -> None:
    assert set(BUILTINS) == {
        "zscore",
        "minmax",
        "log1p",
        "quantile_bucketize",
        "vocabulary",
        "ordinal",
        "one_hot",
        "impute",
        "date_parts",
        "ratio",
        "cross",
    }
    docs = (Path(__file__).resolve().parents[2] / "docs" / "transforms.md").read_text()
    for name in BUILTINS:
        assert f"`{name}" in docs, name
        assert BUILTINS[name].__doc__


def test_stateless_builtins_keep_the_input() -> None:
    df = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    before = df.copy()
    for t in (log1p(["a"]), ratio("a", "b"), cross(["a", "b"])):
        t.apply(df)
    pd.testing.assert_frame_equal(df, before)
    assert np.isfinite(log1p(["a"]).apply(df)["a"]).all()


# -- exact column lineage ------------------------------------------------------------------


def _lineage_cases() -> list[tuple[str, Transform | StatefulTransform, pd.DataFrame]]:
    frame = pd.DataFrame(
        {
            "a": [1.0, 2.0, 4.0, 8.0, None],
            "b": [3.0, 1.0, 2.0, 5.0, 4.0],
            "c": ["x", "y", "y", "z", "x"],
            "d": ["p", "q", "p", "q", None],
            "t": ["2024-01-01", "2024-02-03", "2024-03-09", "2024-12-31", "2025-06-15"],
        }
    )
    return [
        ("zscore", zscore(["a", "b"], suffix="_z"), frame),
        ("minmax", minmax(["a", "b"], suffix="_m"), frame),
        ("log1p", log1p(["a", "b"], suffix="_l"), frame),
        ("impute", impute(["a", "b"], strategy="median"), frame),
        ("impute_mode", impute(["c", "d"], strategy="mode", suffix="_i"), frame),
        ("quantile_bucketize", quantile_bucketize("a", buckets=2), frame),
        ("vocabulary", vocabulary("c"), frame),
        ("ordinal", ordinal("c"), frame),
        ("one_hot", one_hot("c", top_k=2), frame),
        ("date_parts", date_parts("t", parts=["year", "month"]), frame),
        ("ratio", ratio("a", "b"), frame),
        ("cross", cross(["c", "d"]), frame),
    ]


def _perturbed(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    out = frame.copy()
    if column == "t":
        out[column] = ["2030-07-04", "2031-08-05", "2032-09-06", "2033-10-07", "2034-11-08"]
    elif pd.api.types.is_numeric_dtype(out[column]):
        out[column] = [16.0, 32.0, 64.0, 128.0, 256.0]
    else:
        out[column] = ["w", "w", "v", "v", "w"]
    return out


@pytest.mark.parametrize("case", _lineage_cases(), ids=lambda c: c[0])
def test_builtin_column_lineage_is_exact(
    case: tuple[str, Transform | StatefulTransform, pd.DataFrame],
) -> None:
    """Each output maps to exactly the inputs whose change changes it (and nothing else)."""
    _, t, frame = case
    lineage = t.column_lineage()
    fitted: Transform | FittedTransform = t.fit(frame) if isinstance(t, StatefulTransform) else t
    outputs = list(lineage)
    base = fitted.apply(frame)[outputs]
    for column in t.inputs:
        changed = fitted.apply(_perturbed(frame, column))[outputs]
        moved = {o for o in outputs if not base[o].equals(changed[o])}
        assert moved == {o for o, srcs in lineage.items() if column in srcs}, column
    assert fitted.column_lineage() == lineage


def test_scaling_and_imputation_map_each_output_to_its_own_column() -> None:
    assert zscore(["a", "b"], suffix="_z").column_lineage() == {"a_z": ["a"], "b_z": ["b"]}
    assert impute(["a", "b"]).column_lineage() == {"a": ["a"], "b": ["b"]}
    assert minmax(["a", "b"]).column_lineage() == {"a": ["a"], "b": ["b"]}
    assert log1p(["a", "b"], suffix="_l").column_lineage() == {"a_l": ["a"], "b_l": ["b"]}
    assert ratio("a", "b", output="r").column_lineage() == {"r": ["a", "b"]}


def test_registry_built_ins_keep_exact_lineage(tmp_path: Path) -> None:
    made = TransformRegistry().create("zscore", columns=["a", "b"], suffix="_z")
    assert isinstance(made, StatefulTransform)
    fitted = made.fit(pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 5.0]}))
    path = tmp_path / "z.json"
    fitted.save(path)
    again = TransformRegistry().load_fitted(path)
    assert again.column_lineage() == {"a_z": ["a"], "b_z": ["b"]}
