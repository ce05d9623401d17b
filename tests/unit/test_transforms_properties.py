"""Property tests of the transform registry: train/serve parity, no mutation, fingerprints."""

from __future__ import annotations

import importlib
import tempfile
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from datalife.transforms import (
    TransformRegistry,
    impute,
    minmax,
    one_hot,
    quantile_bucketize,
    vocabulary,
    zscore,
)

floats = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
maybe_floats = st.one_of(st.none(), floats)
words = st.sampled_from(["a", "b", "c", "d", "e"])


@st.composite
def frames(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = draw(st.integers(2, 40))
    x = draw(
        st.lists(maybe_floats, min_size=n, max_size=n).filter(
            lambda v: any(e is not None for e in v)
        )
    )
    k = draw(st.lists(st.one_of(st.none(), words), min_size=n, max_size=n))
    train = pd.DataFrame({"x": pd.array(x, dtype="Float64").astype("float64"), "k": k})
    m = draw(st.integers(1, 20))
    serve = pd.DataFrame(
        {
            "x": draw(st.lists(maybe_floats, min_size=m, max_size=m)),
            "k": draw(
                st.lists(st.one_of(st.none(), words, st.just("unseen")), min_size=m, max_size=m)
            ),
        }
    ).astype({"x": "float64"})
    return train, serve


BUILDERS = [
    lambda: zscore(["x"]),
    lambda: minmax(["x"], suffix="_s"),
    lambda: quantile_bucketize("x", buckets=3),
    lambda: vocabulary("k", oov_buckets=2),
    lambda: one_hot("k", top_k=2),
    lambda: impute(["x"], strategy="median"),
    lambda: impute(["k"], strategy="mode"),
]


@given(data=frames(), which=st.integers(0, len(BUILDERS) - 1))
def test_saved_parameters_apply_exactly_like_the_fitted_ones(
    data: tuple[pd.DataFrame, pd.DataFrame], which: int
) -> None:
    train, serve = data
    t = BUILDERS[which]()
    if which == 6 and train["k"].isna().all():
        return  # nothing to take the mode of
    before_train, before_serve = train.copy(), serve.copy()
    fitted = t.fit(train)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.json"
        digest = fitted.save(path)
        loaded = TransformRegistry().load_fitted(path, expected_hash=digest)
    assert loaded.hash == fitted.hash == digest
    pd.testing.assert_frame_equal(loaded.apply(serve), fitted.apply(serve))
    pd.testing.assert_frame_equal(train, before_train)  # inputs never change
    pd.testing.assert_frame_equal(serve, before_serve)


@given(values=st.lists(floats, min_size=2, max_size=60).filter(lambda v: np.ptp(v) > 1e-3))
def test_zscore_standardises_train_and_minmax_fills_the_range(values: list[float]) -> None:
    df = pd.DataFrame({"x": values})
    z = zscore(["x"]).fit(df).apply(df)["x"].to_numpy()
    assert abs(z.mean()) < 1e-6
    assert abs(z.std() - 1) < 1e-6
    m = minmax(["x"], feature_range=(-2, 3)).fit(df).apply(df)["x"].to_numpy()
    assert np.isclose(m.min(), -2) and np.isclose(m.max(), 3)


@given(
    values=st.lists(floats, min_size=1, max_size=60),
    buckets=st.integers(2, 8),
    probes=st.lists(floats, min_size=1, max_size=20),
)
def test_buckets_are_in_range_and_monotone(
    values: list[float], buckets: int, probes: list[float]
) -> None:
    fitted = quantile_bucketize("x", buckets=buckets).fit(pd.DataFrame({"x": values}))
    probes = sorted(probes)
    out = fitted.apply(pd.DataFrame({"x": probes}))["x_bucket"].astype(int).tolist()
    assert all(0 <= b < buckets for b in out)
    assert out == sorted(out)


LAYOUTS = [
    "@transform(name='p', version=1, inputs=['x'], outputs=['y'])\ndef p(df):\n{doc}{comment}    return pd.DataFrame({{'y': df['x'] {op} 2}})\n",
    "@transform(\n    name='p',\n    version=1,\n    inputs=['x'],\n    outputs=['y'],\n)\ndef other_name(df):  # trailing\n{doc}\n{comment}\n    return pd.DataFrame(\n        {{'y': (df['x'] {op} 2)}}\n    )\n",
]


@given(
    layout=st.sampled_from(LAYOUTS),
    doc=st.sampled_from(["", "    '''Docs.'''\n", '    """Other docs\n    on two lines."""\n']),
    comment=st.sampled_from(["", "    # a comment\n", "    # another\n    # two lines\n"]),
    op=st.sampled_from(["*", "+"]),
)
def test_fingerprint_depends_on_code_not_layout(
    layout: str, doc: str, comment: str, op: str
) -> None:
    base = LAYOUTS[0].format(doc="", comment="", op=op)
    variant = layout.format(doc=doc, comment=comment, op=op)
    other_op = "+" if op == "*" else "*"
    changed = LAYOUTS[0].format(doc="", comment="", op=other_op)
    prints = []
    with tempfile.TemporaryDirectory() as tmp:
        for source in (base, variant, changed):
            name = f"dl_fp_{uuid.uuid4().hex[:12]}"
            header = "import pandas as pd\nfrom datalife.transforms import transform\n\n"
            (Path(tmp) / f"{name}.py").write_text(header + source)
            importlib.invalidate_caches()
            reg = TransformRegistry()
            prints.append(reg.discover([name], path=[tmp])[0].fingerprint)
    assert prints[0] == prints[1]
    assert prints[0] != prints[2]
