"""The transform registry: declaration, contract, fingerprints, fitted artifacts, discovery."""

from __future__ import annotations

import importlib
import json
import textwrap
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from datalife.errors import (
    FittedParamsError,
    LeakageError,
    TransformDefinitionError,
    TransformError,
)
from datalife.splits import mark_split, split
from datalife.transforms import (
    FittedTransform,
    StatefulTransform,
    Transform,
    TransformRegistry,
    column_lineage,
    transform,
    zscore,
)


@transform(name="bill_ratio", version=1, inputs=["length", "depth"], outputs=["ratio"])
def bill_ratio(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"ratio": df["length"] / df["depth"]})


class _Center:
    def fit(self, df: pd.DataFrame) -> dict[str, Any]:
        return {"mean": float(df["x"].mean())}

    def apply(self, df: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
        return pd.DataFrame({"x_c": df["x"] - params["mean"]})


# typed code wraps a class explicitly (mypy ignores what a class decorator returns)
Center = transform(name="center", version=2, inputs=["x"], outputs=["x_c"])(_Center)


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "length": [4.0, 9.0, 8.0],
            "depth": [2.0, 3.0, 4.0],
            "x": [1.0, 2.0, 6.0],
            "k": list("abc"),
        }
    )


def write_module(tmp_path: Path, source: str) -> str:
    name = f"dl_transforms_{uuid.uuid4().hex[:10]}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    importlib.invalidate_caches()
    return name


# --- stateless ------------------------------------------------------------------------------


def test_stateless_apply_adds_outputs_and_keeps_everything_else() -> None:
    df = frame()
    out = bill_ratio(df)
    assert isinstance(bill_ratio, Transform)
    assert list(out.columns) == ["length", "depth", "x", "k", "ratio"]
    assert out["ratio"].tolist() == [2.0, 3.0, 2.0]
    pd.testing.assert_frame_equal(out.drop(columns="ratio"), df)
    assert "ratio" not in df.columns  # the caller's frame is untouched


def test_outputs_replace_in_place_and_drops_remove() -> None:
    @transform(name="neg", version=1, inputs=["x", "k"], outputs=["x"], drops=["k"])
    def neg(df: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"x": -df["x"]})

    out = neg(frame())
    assert list(out.columns) == ["length", "depth", "x"]
    assert out["x"].tolist() == [-1.0, -2.0, -6.0]


def test_series_result_index_alignment_and_attrs() -> None:
    @transform(name="s", version=1, inputs=["x"], outputs=["y"])
    def as_series(df: pd.DataFrame) -> pd.Series[float]:
        return (df["x"] * 10).reset_index(drop=True)  # a RangeIndex: aligned by position

    df = frame().set_axis([10, 20, 30]).pipe(mark_split, "dev")
    out = as_series(df)
    assert out.loc[30, "y"] == 60.0
    assert out.attrs["datalife_split"] == "dev"


def test_function_sees_only_declared_inputs() -> None:
    @transform(name="sneaky", version=1, inputs=["x"], outputs=["y"])
    def sneaky(df: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"y": df["x"] + df["length"]})

    with pytest.raises(TransformError, match=r"sneaky@1 raised KeyError during apply") as info:
        sneaky(frame())
    assert info.value.transform == "sneaky@1"
    assert info.value.exit_code == 1
    assert isinstance(info.value.__cause__, KeyError)


def test_missing_declared_input() -> None:
    with pytest.raises(TransformError, match="needs column\\(s\\) 'depth'") as info:
        bill_ratio(frame().rename(columns={"depth": "dept"}))
    assert "did you mean 'dept'" in str(info.value)
    assert info.value.column == "depth"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("return pd.DataFrame({'y': df['x'], 'z': df['x']})", "returned but not declared: 'z'"),
        ("return pd.DataFrame({'w': df['x']})", "declared but not returned: 'y'"),
        ("return df['x'].to_numpy()", "returned ndarray, not a DataFrame"),
        ("return pd.DataFrame({'y': df['x']}).iloc[:2]", "returned 2 rows for 3 input rows"),
        ("raise ZeroDivisionError('boom')", "raised ZeroDivisionError during apply: boom"),
        ("df['x'] = 0\n    return pd.DataFrame({'y': df['x']})", "modified its input frame"),
        (
            "df.loc[0, 'x'] = 5.0\n    return pd.DataFrame({'y': df['x']})",
            r"column\(s\) 'x' changed",
        ),
        (
            "df['x'].to_numpy()[0] = 1\n    return pd.DataFrame({'y': df['x']})",
            "tried to modify its input in place",
        ),
        (
            "return pd.DataFrame({'y': df['x']}, index=[7, 8, 9])",
            "index does not match",
        ),
    ],
)
def test_contract_violations_name_the_transform(body: str, message: str) -> None:
    namespace: dict[str, Any] = {"pd": pd}
    exec(f"def bad(df):\n    {body}\n", namespace)
    bad = transform(name="bad", version=3, inputs=["x"], outputs=["y"])(namespace["bad"])
    df = frame()
    before = df.copy()
    with pytest.raises(TransformError, match=message) as info:
        bad(df)
    assert info.value.transform == "bad@3"
    assert "bad@3" in str(info.value)
    pd.testing.assert_frame_equal(df, before)  # the caller's frame survives any of these


def test_bad_declarations() -> None:
    with pytest.raises(TransformDefinitionError, match="name"):
        transform(name="has space", version=1, inputs=["a"], outputs=["b"])
    with pytest.raises(TransformDefinitionError, match="version"):
        transform(name="t", version="", inputs=["a"], outputs=["b"])
    with pytest.raises(TransformDefinitionError, match="list of column names"):
        transform(name="t", version=1, inputs="a", outputs=["b"])
    with pytest.raises(TransformDefinitionError, match="twice"):
        transform(name="t", version=1, inputs=["a", "a"], outputs=["b"])
    with pytest.raises(TransformDefinitionError, match="no outputs"):
        transform(name="t", version=1, inputs=["a"], outputs=[])
    with pytest.raises(TransformDefinitionError, match="not among its inputs"):
        transform(name="t", version=1, inputs=["a"], outputs=["b"], drops=["c"])
    with pytest.raises(TransformDefinitionError, match="no fit or apply"):

        @transform(name="t", version=1, inputs=["a"], outputs=["b"])
        class NoMethods:
            pass


# --- stateful -------------------------------------------------------------------------------


def test_stateful_fit_apply_save_load(tmp_path: Path) -> None:
    assert isinstance(Center, StatefulTransform)
    fitted = Center.fit(frame())
    assert isinstance(fitted, FittedTransform)
    assert fitted.params == {"mean": 3.0}
    assert fitted.rows == 3
    assert fitted.apply(pd.DataFrame({"x": [3.0, 4.0]}))["x_c"].tolist() == [0.0, 1.0]
    path = tmp_path / "center.json"
    digest = fitted.save(path)
    from datalife.storage import hash_file

    assert digest == hash_file(path) == fitted.hash
    art = json.loads(path.read_text())
    assert art["transform"] == "center"
    assert art["version"] == "2"
    assert art["fingerprint"] == Center.fingerprint
    assert art["params"] == {"mean": 3.0}
    again = Center.load(path, expected_hash=digest)
    serving = pd.DataFrame({"x": [10.0]})
    pd.testing.assert_frame_equal(again.apply(serving), fitted.apply(serving))
    registry = TransformRegistry([Center])
    assert registry.load_fitted(path).params == {"mean": 3.0}


def test_fit_refuses_dev_and_test_rows() -> None:
    df = pd.DataFrame({"x": np.arange(40.0), "y": ["a", "b"] * 20})
    result = split(df, stratify="y")
    Center.fit(result.train)
    for name in ("dev", "test"):
        with pytest.raises(LeakageError, match=f"refusing to fit center@2 on {name} rows") as info:
            Center.fit(result[name])
        assert "fit on the train split only" in str(info.value)
    with pytest.raises(LeakageError, match="dev and test rows"):
        Center.fit(mark_split(df.copy(), "mixed"))


def test_fit_must_return_json_params() -> None:
    @transform(name="nan_fit", version=1, inputs=["x"], outputs=["x"])  # the decorator form
    class NanFit:
        @staticmethod
        def fit(df: pd.DataFrame) -> dict[str, Any]:
            return {"mean": float("nan"), "arr": np.arange(2)}

        @staticmethod
        def apply(df: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
            return df

    nan_fit: Any = NanFit
    assert isinstance(nan_fit, StatefulTransform)
    with pytest.raises(TransformError, match=r"params.mean is nan"):
        nan_fit.fit(frame())

    class ListFit:
        def fit(self, df: pd.DataFrame) -> list[int]:
            return [1]

        def apply(self, df: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
            return df

    list_fit = transform(name="list_fit", version=1, inputs=["x"], outputs=["x"])(ListFit)
    with pytest.raises(TransformError, match="returned list, not a dict"):
        list_fit.fit(frame())


def test_loading_checks_the_artifact(tmp_path: Path) -> None:
    fitted = Center.fit(frame())
    path = tmp_path / "a.json"
    digest = fitted.save(path)
    with pytest.raises(FittedParamsError, match="does not match the expected"):
        Center.load(path, expected_hash="0" * 64)
    with pytest.raises(FittedParamsError, match="not of zscore@1"):
        zscore(["x"]).load(path)

    class _Center2:  # same name and version, different code: train/serve skew
        def fit(self, df: pd.DataFrame) -> dict[str, Any]:
            return {"mean": float(df["x"].median())}

        def apply(self, df: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
            return pd.DataFrame({"x_c": df["x"] - params["mean"]})

    center2 = transform(name="center", version=2, inputs=["x"], outputs=["x_c"])(_Center2)

    with pytest.raises(FittedParamsError, match="fitted by other code"):
        center2.load(path)
    assert center2.load(path, allow_code_change=True).params == {"mean": 3.0}
    tampered = json.loads(path.read_text())
    path.write_text("{not json")
    with pytest.raises(FittedParamsError, match="invalid JSON"):
        Center.load(path)
    path.write_text(json.dumps({**tampered, "kind": "other"}))
    with pytest.raises(FittedParamsError, match="not a fitted-transform artifact"):
        Center.load(path)
    with pytest.raises(FittedParamsError, match="cannot read"):
        Center.load(tmp_path / "missing.json")
    assert digest


# --- fingerprints ---------------------------------------------------------------------------


def test_fingerprint_ignores_formatting_comments_docs_and_names(tmp_path: Path) -> None:
    a = write_module(
        tmp_path,
        """
        import pandas as pd
        from datalife.transforms import transform

        @transform(name="f", version=1, inputs=["x"], outputs=["y"])
        def f(df):
            return pd.DataFrame({"y": df["x"] * 2})
        """,
    )
    b = write_module(
        tmp_path,
        '''
        import pandas as pd
        from datalife.transforms import transform


        @transform(
            name="f", version=1,
            inputs=["x"], outputs=["y"],
        )
        def renamed(df):
            """Now with documentation."""
            # and a comment
            return pd.DataFrame(
                {"y": df["x"] * 2}
            )
        ''',
    )
    c = write_module(
        tmp_path,
        """
        import pandas as pd
        from datalife.transforms import transform

        @transform(name="f", version=1, inputs=["x"], outputs=["y"])
        def f(df):
            return pd.DataFrame({"y": df["x"] * 3})
        """,
    )
    reg_a, reg_b, reg_c = TransformRegistry(), TransformRegistry(), TransformRegistry()
    fa = reg_a.discover([a], path=[tmp_path])[0].fingerprint
    fb = reg_b.discover([b], path=[tmp_path])[0].fingerprint
    fc = reg_c.discover([c], path=[tmp_path])[0].fingerprint
    assert fa == fb
    assert fa != fc
    assert len(fa) == 64


def test_fingerprint_covers_the_declaration() -> None:
    def body(df: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"y": df["x"]})

    base = transform(name="t", version=1, inputs=["x"], outputs=["y"])(body)
    assert (
        base.fingerprint
        == transform(name="t", version=1, inputs=["x"], outputs=["y"])(body).fingerprint
    )
    for other in (
        transform(name="t", version=2, inputs=["x"], outputs=["y"])(body),
        transform(name="u", version=1, inputs=["x"], outputs=["y"])(body),
        transform(name="t", version=1, inputs=["x", "z"], outputs=["y"])(body),
    ):
        assert other.fingerprint != base.fingerprint
    assert zscore(["a"]).fingerprint != zscore(["b"]).fingerprint


# --- registry -------------------------------------------------------------------------------


def test_registry_lookup_and_versions() -> None:
    @transform(name="bill_ratio", version=2, inputs=["length", "depth"], outputs=["ratio"])
    def bill_ratio_v2(df: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"ratio": df["depth"] / df["length"]})

    reg = TransformRegistry([bill_ratio, bill_ratio_v2, Center])
    assert reg.refs() == ["bill_ratio@1", "bill_ratio@2", "center@2"]
    assert reg.get("bill_ratio") is bill_ratio_v2
    assert reg.get("bill_ratio@1") is bill_ratio
    assert reg.get("bill_ratio", 1) is bill_ratio
    assert reg.versions("bill_ratio") == ["1", "2"]
    assert "center" in reg and "center@1" not in reg
    reg.register(bill_ratio)  # the same transform again: a no-op
    assert len(reg) == 3
    with pytest.raises(TransformDefinitionError, match="has no version 7"):
        reg.get("bill_ratio", 7)
    with pytest.raises(TransformDefinitionError, match="did you mean 'center'"):
        reg.get("centre")
    with pytest.raises(TransformDefinitionError, match="is a built-in"):
        reg.get("zscore")
    with pytest.raises(TransformDefinitionError, match="no built-in transform 'zscor'"):
        reg.create("zscor", columns=["x"])
    with pytest.raises(TransformDefinitionError, match="built-in 'zscore'"):
        reg.create("zscore", colums=["x"])
    assert reg.to_dict()["transforms"][0]["ref"] == "bill_ratio@1"


def test_name_version_clash_names_both() -> None:
    @transform(name="bill_ratio", version=1, inputs=["length", "depth"], outputs=["r2"])
    def other(df: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"r2": df["length"]})

    reg = TransformRegistry([bill_ratio])
    with pytest.raises(
        TransformDefinitionError, match="two different transforms are named bill_ratio@1"
    ) as info:
        reg.register(other)
    text = str(info.value)
    assert "test_transforms:bill_ratio" in text
    assert "other" in text
    assert info.value.exit_code == 2


def test_discover_modules(tmp_path: Path) -> None:
    name = write_module(
        tmp_path,
        """
        import pandas as pd
        from datalife.transforms import transform, zscore

        @transform(name="double", version=1, inputs=["x"], outputs=["x2"])
        def double(df):
            return pd.DataFrame({"x2": df["x"] * 2})

        scaled = zscore(["x2"], name="x2_z")
        not_a_transform = 42
        """,
    )
    reg = TransformRegistry()
    found = reg.discover([name], path=[tmp_path])
    assert sorted(t.ref for t in found) == ["double@1", "x2_z@1"]
    assert reg.modules == [name]
    assert reg.get("double").origin == f"{name}:double"
    # discovering again (or a module re-exporting them) is harmless
    reg.discover([name], path=[tmp_path])
    assert len(reg) == 2


def test_discover_errors(tmp_path: Path) -> None:
    reg = TransformRegistry()
    with pytest.raises(
        TransformDefinitionError, match="transform module 'no_such_mod_x' not found"
    ) as info:
        reg.discover(["no_such_mod_x"], path=[tmp_path])
    assert info.value.exit_code == 2
    assert "datalife.toml" in str(info.value)
    broken = write_module(tmp_path, "x = 1 / 0\n")
    with pytest.raises(TransformDefinitionError, match="failed: ZeroDivisionError"):
        reg.discover([broken], path=[tmp_path])
    importer = write_module(tmp_path, "import definitely_missing_dependency_q\n")
    with pytest.raises(TransformDefinitionError, match="failed: ModuleNotFoundError"):
        reg.discover([importer], path=[tmp_path])
    clash = write_module(
        tmp_path,
        """
        import pandas as pd
        from datalife.transforms import transform, zscore

        a = zscore(["x"])
        b = zscore(["y"])
        """,
    )
    with pytest.raises(
        TransformDefinitionError, match="two different transforms are named zscore@1"
    ):
        reg.discover([clash], path=[tmp_path])


# --- lineage --------------------------------------------------------------------------------


def test_column_lineage() -> None:
    assert bill_ratio.column_lineage() == {"ratio": ["length", "depth"]}
    fitted = Center.fit(frame())
    assert fitted.column_lineage() == {"x_c": ["x"]}

    @transform(name="combo", version=1, inputs=["ratio", "x_c"], outputs=["combo"])
    def combo(df: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"combo": df["ratio"] * df["x_c"]})

    assert column_lineage([bill_ratio, fitted, combo], ["length", "depth", "x", "k"]) == {
        "length": ["length"],
        "depth": ["depth"],
        "x": ["x"],
        "k": ["k"],
        "ratio": ["depth", "length"],
        "x_c": ["x"],
        "combo": ["depth", "length", "x"],
    }


def test_to_dict_and_repr() -> None:
    d = Center.to_dict()
    assert d["ref"] == "center@2"
    assert d["kind"] == "stateful"
    assert d["inputs"] == ["x"] and d["outputs"] == ["x_c"]
    assert len(d["fingerprint"]) == 64
    assert "center@2" in repr(Center)
    assert "center@2" in repr(Center.fit(frame()))
