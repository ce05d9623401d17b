"""Built-in transforms: TF Transform's common analyzers, fitted on train only.

Stateful (``fit`` on train, ``apply`` everywhere): :func:`zscore`, :func:`minmax`,
:func:`quantile_bucketize`, :func:`vocabulary`, :func:`ordinal`, :func:`one_hot`,
:func:`impute`. Stateless: :func:`log1p`, :func:`date_parts`, :func:`ratio`, :func:`cross`.

Each factory returns a transform whose ``config`` records its arguments (and is part of its
fingerprint), so a saved fitted artifact can be bound again with
``TransformRegistry.load_fitted``. Nulls stay null unless a transform says otherwise
(encoders send them to the out-of-vocabulary bucket; ``impute`` fills them).

Examples:
    >>> import pandas as pd
    >>> z = zscore(["x"]).fit(pd.DataFrame({"x": [1.0, 2.0, 3.0]}))
    >>> z.params
    {'x': {'mean': 2.0, 'std': 0.816496580927726}}
    >>> vocabulary("c").fit(pd.DataFrame({"c": ["a", "b", "b"]})).params
    {'vocabulary': ['b', 'a']}
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from datalife.errors import TransformDefinitionError
from datalife.transforms.core import StatefulTransform, Transform, _Declaration

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BUILTINS",
    "cross",
    "date_parts",
    "impute",
    "log1p",
    "minmax",
    "one_hot",
    "ordinal",
    "quantile_bucketize",
    "ratio",
    "vocabulary",
    "zscore",
]

VERSION = 1
OOV = "__oov__"
DATE_PARTS = (
    "year",
    "quarter",
    "month",
    "day",
    "dayofweek",
    "dayofyear",
    "hour",
    "minute",
    "second",
    "is_weekend",
)


def _cols(columns: str | Sequence[str], what: str = "columns") -> list[str]:
    cols = [columns] if isinstance(columns, str) else list(columns)
    if not cols:
        raise TransformDefinitionError(f"{what} is empty", hint="name at least one column.")
    return cols


def _decl(
    builtin: str,
    name: str | None,
    inputs: Sequence[str],
    outputs: Sequence[str],
    config: dict[str, Any],
    drops: Sequence[str] = (),
) -> _Declaration:
    return _Declaration.build(
        name or builtin, VERSION, inputs, outputs, drops, {"builtin": builtin, **config}
    )


def _origin(builtin: str) -> str:
    return f"datalife.transforms.builtins:{builtin}"


class BuiltinTransform(Transform):
    """A stateless built-in: it knows which input columns each output is computed from."""

    def __init__(
        self,
        decl: _Declaration,
        fn: Callable[..., Any],
        *,
        code: Any,
        origin: str,
        sources: Mapping[str, Sequence[str]],
    ) -> None:
        super().__init__(decl, fn, code=code, origin=origin)
        self._sources = _exact(decl, sources)

    def column_lineage(self) -> dict[str, list[str]]:
        """Each output column -> exactly the input columns it is computed from."""
        return {out: list(ins) for out, ins in self._sources.items()}


class BuiltinStatefulTransform(StatefulTransform):
    """A stateful built-in: it knows which input columns each output is computed from."""

    def __init__(
        self,
        decl: _Declaration,
        fit: Callable[[pd.DataFrame], Mapping[str, Any]],
        apply: Callable[[pd.DataFrame, Any], Any],
        *,
        code: Any,
        origin: str,
        sources: Mapping[str, Sequence[str]],
    ) -> None:
        super().__init__(decl, fit, apply, code=code, origin=origin)
        self._sources = _exact(decl, sources)

    def column_lineage(self) -> dict[str, list[str]]:
        """Each output column -> exactly the input columns it is computed from."""
        return {out: list(ins) for out, ins in self._sources.items()}


def _exact(decl: _Declaration, sources: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The per-output sources, checked against the declaration (a bug here is datalife's)."""
    if list(sources) != list(decl.outputs) or any(
        c not in decl.inputs for ins in sources.values() for c in ins
    ):
        raise RuntimeError(
            f"internal error: built-in {decl.name!r} maps {dict(sources)} for inputs "
            f"{list(decl.inputs)} and outputs {list(decl.outputs)}"
        )
    return {out: list(ins) for out, ins in sources.items()}


def _each(columns: Sequence[str], outputs: Sequence[str]) -> dict[str, list[str]]:
    """Output i comes from column i (scaling, imputation: one column in, one out)."""
    return {o: [c] for c, o in zip(columns, outputs, strict=True)}


def _all(columns: Sequence[str], outputs: Sequence[str]) -> dict[str, list[str]]:
    """Every output comes from all of ``columns`` (encodings of one column, ratios, crosses)."""
    return {o: list(columns) for o in outputs}


def _values(series: pd.Series[Any], column: str) -> np.ndarray[Any, Any]:
    import pandas as pd

    numeric = pd.to_numeric(series, errors="coerce")
    bad = series.notna() & numeric.isna()
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"column {column!r} is not numeric (row {first}: {series.iloc[first]!r})")
    values = numeric.dropna().to_numpy(dtype=np.float64)
    if len(values) == 0:
        raise ValueError(f"column {column!r} has no values to fit on (empty or all null)")
    return values


def _float(series: pd.Series[Any]) -> pd.Series[Any]:
    import pandas as pd

    return pd.to_numeric(series, errors="coerce").astype("float64")


# -- scaling ------------------------------------------------------------------------------


class _ZScore:
    def __init__(self, columns: list[str], outputs: list[str]) -> None:
        self.columns, self.outputs = columns, outputs

    def fit(self, df: pd.DataFrame) -> dict[str, Any]:
        out = {}
        for c in self.columns:
            v = _values(df[c], c)
            out[c] = {"mean": float(v.mean()), "std": float(v.std())}
        return out

    def apply(self, df: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
        import pandas as pd

        data = {}
        for c, o in zip(self.columns, self.outputs, strict=True):
            std = params[c]["std"] or 1.0  # a constant column scales by 1, as scikit-learn does
            data[o] = (_float(df[c]) - params[c]["mean"]) / std
        return pd.DataFrame(data, index=df.index)


def zscore(
    columns: str | Sequence[str], *, suffix: str = "", name: str | None = None
) -> StatefulTransform:
    """Standardise: ``(x - mean) / std`` with train's mean and population std (std 0 -> 1).

    Outputs replace the columns, or are ``column + suffix``.
    """
    cols = _cols(columns)
    outs = [c + suffix for c in cols]
    impl = _ZScore(cols, outs)
    decl = _decl("zscore", name, cols, outs, {"columns": cols, "suffix": suffix})
    return BuiltinStatefulTransform(
        decl,
        impl.fit,
        impl.apply,
        code=_ZScore,
        origin=_origin("zscore"),
        sources=_each(cols, outs),
    )


class _MinMax:
    def __init__(self, columns: list[str], outputs: list[str], lo: float, hi: float) -> None:
        self.columns, self.outputs, self.lo, self.hi = columns, outputs, lo, hi

    def fit(self, df: pd.DataFrame) -> dict[str, Any]:
        out = {}
        for c in self.columns:
            v = _values(df[c], c)
            out[c] = {"min": float(v.min()), "max": float(v.max())}
        return out

    def apply(self, df: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
        import pandas as pd

        data = {}
        for c, o in zip(self.columns, self.outputs, strict=True):
            lo, hi = params[c]["min"], params[c]["max"]
            span = (hi - lo) or 1.0
            data[o] = (_float(df[c]) - lo) / span * (self.hi - self.lo) + self.lo
        return pd.DataFrame(data, index=df.index)


def minmax(
    columns: str | Sequence[str],
    *,
    suffix: str = "",
    feature_range: Sequence[float] = (0.0, 1.0),
    name: str | None = None,
) -> StatefulTransform:
    """Scale to ``feature_range`` with train's min and max (values outside extrapolate)."""
    cols = _cols(columns)
    lo, hi = (float(x) for x in feature_range)
    if not lo < hi:
        raise TransformDefinitionError(
            f"minmax: feature_range must be (low, high) with low < high, got {feature_range!r}",
            hint="for example feature_range=(0, 1).",
        )
    outs = [c + suffix for c in cols]
    impl = _MinMax(cols, outs, lo, hi)
    config = {"columns": cols, "suffix": suffix, "feature_range": [lo, hi]}
    decl = _decl("minmax", name, cols, outs, config)
    return BuiltinStatefulTransform(
        decl,
        impl.fit,
        impl.apply,
        code=_MinMax,
        origin=_origin("minmax"),
        sources=_each(cols, outs),
    )


class _Log1p:
    def __init__(self, columns: list[str], outputs: list[str]) -> None:
        self.columns, self.outputs = columns, outputs

    def __call__(self, df: pd.DataFrame) -> pd.DataFrame:
        import pandas as pd

        data = {}
        for c, o in zip(self.columns, self.outputs, strict=True):
            x = _float(df[c])
            bad = x <= -1
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise ValueError(
                    f"log1p needs values above -1; column {c!r} has {int(bad.sum())} "
                    f"(row {row}: {x.iloc[row]})"
                )
            data[o] = np.log1p(x)
        return pd.DataFrame(data, index=df.index)


def log1p(columns: str | Sequence[str], *, suffix: str = "", name: str | None = None) -> Transform:
    """``log(1 + x)`` (stateless); a value at or below -1 is an error naming the row."""
    cols = _cols(columns)
    outs = [c + suffix for c in cols]
    decl = _decl("log1p", name, cols, outs, {"columns": cols, "suffix": suffix})
    return BuiltinTransform(
        decl, _Log1p(cols, outs), code=_Log1p, origin=_origin("log1p"), sources=_each(cols, outs)
    )


class _Bucketize:
    def __init__(self, column: str, output: str, buckets: int) -> None:
        self.column, self.output, self.buckets = column, output, buckets

    def fit(self, df: pd.DataFrame) -> dict[str, Any]:
        v = _values(df[self.column], self.column)
        qs = [i / self.buckets for i in range(1, self.buckets)]
        bounds = np.unique(np.quantile(v, qs))
        return {"boundaries": [float(b) for b in bounds]}

    def apply(self, df: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
        import pandas as pd

        x = _float(df[self.column])
        idx = np.searchsorted(np.asarray(params["boundaries"]), x.to_numpy(), side="right")
        out = pd.array(idx, dtype="Int64")
        out[x.isna().to_numpy()] = pd.NA
        return pd.DataFrame({self.output: out}, index=df.index)


def quantile_bucketize(
    column: str, *, buckets: int = 4, output: str | None = None, name: str | None = None
) -> StatefulTransform:
    """Bucket index 0..buckets-1 by train's quantiles (``x < q1`` -> 0, ...; ties go up).

    Equal quantiles are merged, so a skewed column may use fewer buckets.
    """
    if isinstance(buckets, bool) or not isinstance(buckets, int) or buckets < 2:
        raise TransformDefinitionError(
            f"quantile_bucketize: buckets must be an integer >= 2, got {buckets!r}",
            hint="for example buckets=4 (quartiles).",
        )
    out = output or f"{column}_bucket"
    impl = _Bucketize(column, out, buckets)
    config = {"column": column, "buckets": buckets, "output": out}
    decl = _decl("quantile_bucketize", name, [column], [out], config)
    return BuiltinStatefulTransform(
        decl,
        impl.fit,
        impl.apply,
        code=_Bucketize,
        origin=_origin("quantile_bucketize"),
        sources=_all([column], [out]),
    )


# -- encoding -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1 << 16)
def _stable_bucket(value: str, buckets: int) -> int:
    """A bucket from the BLAKE3 hash of ``value`` (cached: columns repeat their values)."""
    import blake3

    return int.from_bytes(blake3.blake3(value.encode()).digest()[:8], "little") % buckets


def _text(series: pd.Series[Any]) -> list[str | None]:
    """The values as text, missing ones as None (one bulk conversion, not a per-row isna)."""
    import pandas as pd

    values = series.to_numpy(dtype=object, na_value=None).tolist()  # type: ignore[call-overload]
    if pd.api.types.is_string_dtype(series.dtype) and not isinstance(
        series.dtype, pd.CategoricalDtype
    ):
        return [v if v is None or isinstance(v, str) else str(v) for v in values]
    return [None if v is None or pd.isna(v) else str(v) for v in values]


def _counts(values: list[str | None]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for v in values:
        if v is not None:
            counts[v] = counts.get(v, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


class _Vocabulary:
    def __init__(
        self, column: str, output: str, top_k: int | None, min_frequency: int, oov_buckets: int
    ) -> None:
        self.column, self.output = column, output
        self.top_k, self.min_frequency, self.oov_buckets = top_k, min_frequency, oov_buckets

    def fit(self, df: pd.DataFrame) -> dict[str, Any]:
        ranked = [v for v, n in _counts(_text(df[self.column])) if n >= self.min_frequency]
        if self.top_k is not None:
            ranked = ranked[: self.top_k]
        return {"vocabulary": ranked}

    def apply(self, df: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
        import pandas as pd

        vocab = params["vocabulary"]
        index = {v: i for i, v in enumerate(vocab)}
        n = len(vocab)
        ids = [
            index[v]
            if v in index
            else n + (0 if v is None else _stable_bucket(v, self.oov_buckets))
            for v in _text(df[self.column])
        ]
        return pd.DataFrame({self.output: np.asarray(ids, dtype=np.int64)}, index=df.index)


def vocabulary(
    column: str,
    *,
    top_k: int | None = None,
    min_frequency: int = 1,
    oov_buckets: int = 1,
    output: str | None = None,
    name: str | None = None,
) -> StatefulTransform:
    """Integer ids by train frequency (most frequent 0; ties by value), TF Transform style.

    A value not in the vocabulary (or null) gets an id from ``len(vocabulary)`` to
    ``len(vocabulary) + oov_buckets - 1`` (a stable hash of the value picks the bucket; null
    takes the first).
    """
    if oov_buckets < 1 or min_frequency < 1 or (top_k is not None and top_k < 1):
        raise TransformDefinitionError(
            "vocabulary: top_k, min_frequency and oov_buckets must be positive",
            hint="for example vocabulary('species', top_k=100, oov_buckets=1).",
        )
    out = output or f"{column}_id"
    impl = _Vocabulary(column, out, top_k, min_frequency, oov_buckets)
    config = {
        "column": column,
        "top_k": top_k,
        "min_frequency": min_frequency,
        "oov_buckets": oov_buckets,
        "output": out,
    }
    decl = _decl("vocabulary", name, [column], [out], config)
    return BuiltinStatefulTransform(
        decl,
        impl.fit,
        impl.apply,
        code=_Vocabulary,
        origin=_origin("vocabulary"),
        sources=_all([column], [out]),
    )


class _Ordinal:
    def __init__(self, column: str, output: str, categories: list[str] | None) -> None:
        self.column, self.output, self.categories = column, output, categories

    def fit(self, df: pd.DataFrame) -> dict[str, Any]:
        if self.categories is not None:
            return {"categories": list(self.categories)}
        return {"categories": sorted({v for v in _text(df[self.column]) if v is not None})}

    def apply(self, df: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
        import pandas as pd

        cats = params["categories"]
        index = {v: i for i, v in enumerate(cats)}
        ids = [
            index.get(v, len(cats)) if v is not None else len(cats) for v in _text(df[self.column])
        ]
        return pd.DataFrame({self.output: np.asarray(ids, dtype=np.int64)}, index=df.index)


def ordinal(
    column: str,
    *,
    categories: Sequence[str] | None = None,
    output: str | None = None,
    name: str | None = None,
) -> StatefulTransform:
    """Integer codes in category order (given, else train's values sorted); unseen or null
    values get the out-of-vocabulary code ``len(categories)``."""
    out = output or f"{column}_ordinal"
    cats = None if categories is None else [str(c) for c in categories]
    impl = _Ordinal(column, out, cats)
    config = {"column": column, "categories": cats, "output": out}
    decl = _decl("ordinal", name, [column], [out], config)
    return BuiltinStatefulTransform(
        decl,
        impl.fit,
        impl.apply,
        code=_Ordinal,
        origin=_origin("ordinal"),
        sources=_all([column], [out]),
    )


class _OneHot:
    def __init__(
        self, column: str, outputs: list[str], categories: list[str] | None, top_k: int | None
    ) -> None:
        self.column, self.outputs, self.categories, self.top_k = column, outputs, categories, top_k

    def fit(self, df: pd.DataFrame) -> dict[str, Any]:
        if self.categories is not None:
            return {"categories": list(self.categories)}
        assert self.top_k is not None
        return {"categories": [v for v, _ in _counts(_text(df[self.column]))][: self.top_k]}

    def apply(self, df: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
        import pandas as pd

        cats = params["categories"]
        index = {v: i for i, v in enumerate(cats)}
        slots = len(self.outputs) - 1  # the last output is the OOV indicator
        codes = np.asarray(
            [index.get(v, slots) if v is not None else slots for v in _text(df[self.column])],
            dtype=np.int64,
        )
        data = {o: (codes == i).astype(np.int8) for i, o in enumerate(self.outputs)}
        return pd.DataFrame(data, index=df.index)


def one_hot(
    column: str,
    *,
    categories: Sequence[str] | None = None,
    top_k: int | None = None,
    drop: bool = False,
    name: str | None = None,
) -> StatefulTransform:
    """0/1 columns, one per category plus one for out-of-vocabulary (and null) values.

    With ``categories`` the outputs are ``column=category`` and ``column=__oov__``. Without,
    ``top_k`` (required) slots ``column_0 .. column_{k-1}`` hold train's most frequent values
    in order (the fitted parameters say which), plus ``column_oov``: the output columns are
    known before fitting, as every transform's must be. ``drop`` removes the source column.
    """
    if categories is not None:
        cats: list[str] | None = [str(c) for c in categories]
        assert cats is not None
        outs = [f"{column}={c}" for c in cats] + [f"{column}={OOV}"]
    elif top_k is not None and top_k >= 1:
        cats = None
        outs = [f"{column}_{i}" for i in range(top_k)] + [f"{column}_oov"]
    else:
        raise TransformDefinitionError(
            "one_hot needs categories=[...] or top_k=N, so its output columns are known "
            "before fitting",
            hint="for example one_hot('island', top_k=10) or one_hot('sex', categories=['female', 'male']).",
        )
    impl = _OneHot(column, outs, cats, top_k)
    config = {"column": column, "categories": cats, "top_k": top_k, "drop": drop}
    decl = _decl("one_hot", name, [column], outs, config, drops=[column] if drop else [])
    return BuiltinStatefulTransform(
        decl,
        impl.fit,
        impl.apply,
        code=_OneHot,
        origin=_origin("one_hot"),
        sources=_all([column], outs),
    )


# -- imputation ---------------------------------------------------------------------------

_STRATEGIES = ("mean", "median", "mode", "constant")


class _Impute:
    def __init__(self, columns: list[str], outputs: list[str], strategy: str, value: Any) -> None:
        self.columns, self.outputs, self.strategy, self.value = columns, outputs, strategy, value

    def fit(self, df: pd.DataFrame) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for c in self.columns:
            if self.strategy == "constant":
                values[c] = self.value
            elif self.strategy == "mode":
                counts = df[c].dropna().value_counts()
                if counts.empty:
                    raise ValueError(f"column {c!r} has no values to fit on (empty or all null)")
                tied = list(counts[counts == counts.max()].index)
                try:
                    best = sorted(tied)[0]  # the most frequent value; ties -> the smallest
                except TypeError:
                    best = sorted(tied, key=str)[0]
                values[c] = best.item() if hasattr(best, "item") else best
            else:
                v = _values(df[c], c)
                values[c] = float(v.mean() if self.strategy == "mean" else np.median(v))
        return {"values": values}

    def apply(self, df: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
        import pandas as pd

        data = {}
        for c, o in zip(self.columns, self.outputs, strict=True):
            fill = params["values"][c]
            col = df[c]
            if isinstance(fill, float) and pd.api.types.is_integer_dtype(col.dtype):
                col = col.astype("float64")
            data[o] = col.fillna(fill)
        return pd.DataFrame(data, index=df.index)


def impute(
    columns: str | Sequence[str],
    *,
    strategy: str = "mean",
    value: Any = None,
    suffix: str = "",
    name: str | None = None,
) -> StatefulTransform:
    """Fill nulls with train's mean, median or mode (ties: the smallest), or a constant."""
    if strategy not in _STRATEGIES:
        raise TransformDefinitionError(
            f"impute: unknown strategy {strategy!r} (strategies: {', '.join(_STRATEGIES)})",
            hint="for example impute(['bill_length_mm'], strategy='median').",
        )
    if strategy == "constant" and value is None:
        raise TransformDefinitionError(
            "impute(strategy='constant') needs value=...",
            hint="for example impute(['sex'], strategy='constant', value='unknown').",
        )
    cols = _cols(columns)
    outs = [c + suffix for c in cols]
    impl = _Impute(cols, outs, strategy, value)
    config = {"columns": cols, "strategy": strategy, "value": value, "suffix": suffix}
    decl = _decl("impute", name, cols, outs, config)
    return BuiltinStatefulTransform(
        decl,
        impl.fit,
        impl.apply,
        code=_Impute,
        origin=_origin("impute"),
        sources=_each(cols, outs),
    )


# -- stateless features -------------------------------------------------------------------


_PANDAS_PART = {"dayofweek": "day_of_week", "dayofyear": "day_of_year"}


class _DateParts:
    def __init__(self, column: str, parts: list[str], outputs: list[str]) -> None:
        self.column, self.parts, self.outputs = column, parts, outputs

    def __call__(self, df: pd.DataFrame) -> pd.DataFrame:
        import pandas as pd

        raw = df[self.column]
        try:
            ts = pd.to_datetime(raw, errors="raise")
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"column {self.column!r} holds values that are not dates: {exc}"
            ) from None
        data = {}
        for part, out in zip(self.parts, self.outputs, strict=True):
            if part == "is_weekend":
                values = (ts.dt.day_of_week >= 5).astype("Int64")
            else:
                values = getattr(ts.dt, _PANDAS_PART.get(part, part)).astype("Int64")
            data[out] = values.mask(ts.isna())
        return pd.DataFrame(data, index=df.index)


def date_parts(
    column: str,
    *,
    parts: Sequence[str] = ("year", "month", "day", "dayofweek"),
    prefix: str | None = None,
    name: str | None = None,
) -> Transform:
    """Calendar parts of a date/time column as integer columns ``<prefix>_<part>``.

    Parts: year, quarter, month, day, dayofweek (Monday 0), dayofyear, hour, minute, second,
    is_weekend. Text is parsed with ``pandas.to_datetime``; a value that does not parse is an
    error.
    """
    ps = list(parts)
    bad = [p for p in ps if p not in DATE_PARTS]
    if bad or not ps:
        raise TransformDefinitionError(
            f"date_parts: unknown part(s) {bad} (parts: {', '.join(DATE_PARTS)})",
            hint="for example parts=['year', 'month', 'dayofweek'].",
        )
    pre = prefix or column
    outs = [f"{pre}_{p}" for p in ps]
    config = {"column": column, "parts": ps, "prefix": pre}
    decl = _decl("date_parts", name, [column], outs, config)
    return BuiltinTransform(
        decl,
        _DateParts(column, ps, outs),
        code=_DateParts,
        origin=_origin("date_parts"),
        sources=_all([column], outs),
    )


class _Ratio:
    def __init__(self, numerator: str, denominator: str, output: str) -> None:
        self.numerator, self.denominator, self.output = numerator, denominator, output

    def __call__(self, df: pd.DataFrame) -> pd.DataFrame:
        import pandas as pd

        num, den = _float(df[self.numerator]), _float(df[self.denominator])
        value = num / den.where(den != 0)  # x / 0 is null, not infinity
        return pd.DataFrame({self.output: value}, index=df.index)


def ratio(
    numerator: str, denominator: str, *, output: str | None = None, name: str | None = None
) -> Transform:
    """``numerator / denominator`` (null where the denominator is 0 or null)."""
    out = output or f"{numerator}_per_{denominator}"
    config = {"numerator": numerator, "denominator": denominator, "output": out}
    decl = _decl("ratio", name, [numerator, denominator], [out], config)
    return BuiltinTransform(
        decl,
        _Ratio(numerator, denominator, out),
        code=_Ratio,
        origin=_origin("ratio"),
        sources=_all([numerator, denominator], [out]),
    )


class _Cross:
    def __init__(
        self, columns: list[str], output: str, separator: str, hash_buckets: int | None
    ) -> None:
        self.columns, self.output = columns, output
        self.separator, self.hash_buckets = separator, hash_buckets

    def __call__(self, df: pd.DataFrame) -> pd.DataFrame:
        import pandas as pd

        texts = [_text(df[c]) for c in self.columns]
        crossed: list[Any] = []
        for row in zip(*texts, strict=True):
            if any(v is None for v in row):
                crossed.append(None)
                continue
            joined = self.separator.join(v for v in row if v is not None)
            crossed.append(
                joined if self.hash_buckets is None else _stable_bucket(joined, self.hash_buckets)
            )
        if self.hash_buckets is None:
            values: Any = pd.array(crossed, dtype="string")
        else:
            values = pd.array(crossed, dtype="Int64")
        return pd.DataFrame({self.output: values}, index=df.index)


def cross(
    columns: Sequence[str],
    *,
    separator: str = "_x_",
    hash_buckets: int | None = None,
    output: str | None = None,
    name: str | None = None,
) -> Transform:
    """A feature cross: the values joined (``"Biscoe_x_male"``), or with ``hash_buckets`` a
    stable hash bucket of that string; null if any part is null."""
    cols = _cols(columns)
    if len(cols) < 2:
        raise TransformDefinitionError(
            "cross needs at least two columns", hint="for example cross(['island', 'sex'])."
        )
    if hash_buckets is not None and hash_buckets < 1:
        raise TransformDefinitionError("cross: hash_buckets must be positive")
    out = output or separator.join(cols)
    config = {"columns": cols, "separator": separator, "hash_buckets": hash_buckets, "output": out}
    decl = _decl("cross", name, cols, [out], config)
    return BuiltinTransform(
        decl,
        _Cross(cols, out, separator, hash_buckets),
        code=_Cross,
        origin=_origin("cross"),
        sources=_all(cols, [out]),
    )


#: Built-in name -> factory (what ``TransformRegistry.create(name, **config)`` calls).
BUILTINS: dict[str, Callable[..., Transform | StatefulTransform]] = {
    "zscore": zscore,
    "minmax": minmax,
    "log1p": log1p,
    "quantile_bucketize": quantile_bucketize,
    "vocabulary": vocabulary,
    "ordinal": ordinal,
    "one_hot": one_hot,
    "impute": impute,
    "date_parts": date_parts,
    "ratio": ratio,
    "cross": cross,
}
