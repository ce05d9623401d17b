"""Transforms: named, versioned frame -> frame steps with declared input and output columns.

Stateless: a decorated function. It receives a frame holding only its declared inputs and
returns a frame holding exactly its declared outputs; the caller's frame gets the outputs
(replacing columns of the same name, else appended) and loses ``drops``.

Stateful: a decorated class with ``fit(df) -> dict`` (run on train only) and
``apply(df, params) -> DataFrame``. ``fit`` returns a :class:`FittedTransform`: the
parameters, as a small JSON artifact with a BLAKE3 hash, that can be saved and loaded, so
serving applies exactly what training used.

Examples:
    >>> import pandas as pd
    >>> @transform(name="bill_ratio", version=1, inputs=["length", "depth"], outputs=["ratio"])
    ... def bill_ratio(df):
    ...     return pd.DataFrame({"ratio": df["length"] / df["depth"]})
    >>> bill_ratio(pd.DataFrame({"length": [4.0, 9.0], "depth": [2.0, 3.0]}))["ratio"].tolist()
    [2.0, 3.0]
    >>> @transform(name="center", version=1, inputs=["x"], outputs=["x"])
    ... class Center:
    ...     def fit(self, df):
    ...         return {"mean": float(df["x"].mean())}
    ...     def apply(self, df, params):
    ...         return pd.DataFrame({"x": df["x"] - params["mean"]})
    >>> fitted = Center.fit(pd.DataFrame({"x": [1.0, 3.0]}))
    >>> fitted.params, fitted.apply(pd.DataFrame({"x": [10.0]}))["x"].tolist()
    ({'mean': 2.0}, [8.0])
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, overload

from datalife.errors import FittedParamsError, TransformDefinitionError, TransformError
from datalife.transforms._contract import (
    assemble,
    call_checked,
    canonical_json,
    check_fit_allowed,
    check_inputs,
    jsonable,
    outputs_frame,
)
from datalife.transforms.fingerprint import fingerprint

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ARTIFACT_FORMAT",
    "FittedTransform",
    "StatefulTransform",
    "Transform",
    "column_lineage",
    "transform",
]

ARTIFACT_FORMAT = 1
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def _origin(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or "?"
    qual = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)
    return f"{module}:{qual}"


def _columns(value: Any, what: str, name: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TransformDefinitionError(
            f"transform {name!r}: {what} must be a list of column names, got {value!r}",
            hint=f'for example {what}=["bill_length_mm"].',
        )
    cols = tuple(value)
    bad = [c for c in cols if not isinstance(c, str) or not c]
    if bad:
        raise TransformDefinitionError(
            f"transform {name!r}: {what} holds {bad[0]!r}, not a column name",
            hint="column names are non-empty strings.",
        )
    dups = sorted({c for c in cols if cols.count(c) > 1})
    if dups:
        raise TransformDefinitionError(
            f"transform {name!r}: {what} names {', '.join(map(repr, dups))} twice",
            hint="list each column once.",
        )
    return cols


@dataclass(frozen=True)
class _Declaration:
    name: str
    version: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    drops: tuple[str, ...] = ()
    config: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        name: Any,
        version: Any,
        inputs: Any,
        outputs: Any,
        drops: Any = (),
        config: Mapping[str, Any] | None = None,
    ) -> _Declaration:
        if not isinstance(name, str) or not _NAME.match(name):
            raise TransformDefinitionError(
                f"a transform name must be letters, digits, '_', '.', '-' (not starting with a "
                f"digit), got {name!r}",
                hint='for example name="bill_ratio".',
            )
        if isinstance(version, bool) or not isinstance(version, int | str) or str(version) == "":
            raise TransformDefinitionError(
                f"transform {name!r}: version must be an integer or a non-empty string, "
                f"got {version!r}",
                hint="for example version=1; bump it whenever the transform's behaviour changes.",
            )
        if "@" in str(version) or str(version).strip() != str(version):
            raise TransformDefinitionError(
                f"transform {name!r}: version {version!r} may not contain '@' or spaces",
                hint="for example version=2.",
            )
        ins = _columns(inputs, "inputs", name)
        outs = _columns(outputs, "outputs", name)
        if not outs:
            raise TransformDefinitionError(
                f"transform {name!r} declares no outputs",
                hint="a transform must produce at least one column.",
            )
        drop = _columns(drops, "drops", name)
        stray = [c for c in drop if c not in ins]
        if stray:
            raise TransformDefinitionError(
                f"transform {name!r}: drops {stray} are not among its inputs {list(ins)}",
                hint="a transform may only drop columns it reads.",
            )
        both = [c for c in drop if c in outs]
        if both:
            raise TransformDefinitionError(
                f"transform {name!r}: {both} are both outputs and dropped",
                hint="drop a column or produce it, not both.",
            )
        cfg = jsonable(dict(config or {}), "config")
        return cls(str(name), str(version), ins, outs, drop, cfg)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "inputs": list(self.inputs),
            "outputs": list(self.outputs),
            "drops": list(self.drops),
            "config": dict(self.config),
        }


class _Base:
    """What stateless and stateful transforms share: declaration, fingerprint, lineage."""

    kind = "base"

    def __init__(self, decl: _Declaration, code: Any, origin: str | None = None) -> None:
        self._decl = decl
        self._code = code
        self.origin = origin or _origin(code)

    @property
    def name(self) -> str:
        return self._decl.name

    @property
    def version(self) -> str:
        """The declared version, as a string."""
        return self._decl.version

    @property
    def inputs(self) -> tuple[str, ...]:
        return self._decl.inputs

    @property
    def outputs(self) -> tuple[str, ...]:
        return self._decl.outputs

    @property
    def drops(self) -> tuple[str, ...]:
        return self._decl.drops

    @property
    def config(self) -> dict[str, Any]:
        """A built-in's parameters (columns, options); empty for user transforms."""
        return dict(self._decl.config)

    @property
    def ref(self) -> str:
        """``name@version``."""
        return f"{self.name}@{self.version}"

    @cached_property
    def fingerprint(self) -> str:
        """BLAKE3 of the normalised source plus the declaration (see ``fingerprint.py``)."""
        return fingerprint(self._code, {"kind": self.kind, **self._decl.to_dict()})

    def column_lineage(self) -> dict[str, list[str]]:
        """Each output column -> the input columns it is computed from (all declared inputs)."""
        return {out: list(self.inputs) for out in self.outputs}

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "kind": self.kind,
            **self._decl.to_dict(),
            "fingerprint": self.fingerprint,
            "origin": self.origin,
        }

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.ref} {list(self.inputs)} -> {list(self.outputs)} "
            f"({self.origin})>"
        )

    def _inputs_of(self, frame: pd.DataFrame) -> pd.DataFrame:
        check_inputs(self.ref, frame, self.inputs)
        return frame[list(self.inputs)]


class Transform(_Base):
    """A stateless transform (made by :func:`transform` on a function)."""

    kind = "stateless"

    def __init__(
        self,
        decl: _Declaration,
        fn: Callable[..., Any],
        *,
        code: Any = None,
        origin: str | None = None,
    ) -> None:
        super().__init__(decl, code if code is not None else fn, origin)
        self.fn = fn

    def apply(self, frame: pd.DataFrame, *, check_mutation: bool = True) -> pd.DataFrame:
        """``frame`` with this transform's outputs (raises :class:`TransformError`)."""
        given = self._inputs_of(frame)
        result = call_checked(self.ref, "apply", self.fn, given, check_mutation=check_mutation)
        out = outputs_frame(self.ref, result, given, self.outputs)
        return assemble(frame, out, self.outputs, self.drops)

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.apply(frame)


class StatefulTransform(_Base):
    """A fit/apply pair (made by :func:`transform` on a class, or by a built-in)."""

    kind = "stateful"

    def __init__(
        self,
        decl: _Declaration,
        fit: Callable[[pd.DataFrame], Mapping[str, Any]],
        apply: Callable[[pd.DataFrame, Any], Any],
        *,
        code: Any,
        origin: str | None = None,
    ) -> None:
        super().__init__(decl, code, origin)
        self._fit = fit
        self._apply = apply

    def fit(self, frame: pd.DataFrame, *, check_mutation: bool = True) -> FittedTransform:
        """Compute the parameters from ``frame`` (train rows only).

        Raises:
            LeakageError: ``frame`` is flagged as holding dev or test rows.
            TransformError: missing inputs, the fit raised, mutated its input, or returned
                parameters that are not JSON.
        """
        check_fit_allowed(self.ref, frame)
        given = self._inputs_of(frame)
        params = call_checked(self.ref, "fit", self._fit, given, check_mutation=check_mutation)
        if not isinstance(params, Mapping):
            raise TransformError(
                f"fit of transform {self.ref} returned {type(params).__name__}, not a dict",
                transform=self.ref,
                hint="fit must return a dict of JSON values (numbers, strings, lists, dicts).",
            )
        try:
            clean = jsonable(params)
        except ValueError as exc:
            raise TransformError(
                f"fit of transform {self.ref} returned parameters JSON cannot hold: {exc}",
                transform=self.ref,
                hint="return plain numbers, strings, lists and dicts; a NaN usually means "
                "a column was empty or all null in train.",
            ) from None
        return FittedTransform(self, clean, rows=len(frame))

    def with_params(self, params: Mapping[str, Any], rows: int | None = None) -> FittedTransform:
        """A fitted transform from known parameters (e.g. read from an artifact)."""
        return FittedTransform(self, jsonable(dict(params)), rows=rows)

    def load(
        self,
        path: str | Path,
        *,
        expected_hash: str | None = None,
        allow_code_change: bool = False,
    ) -> FittedTransform:
        """Load fitted parameters saved by :meth:`FittedTransform.save` for this transform.

        Raises:
            FittedParamsError: unreadable, not for this transform, fitted by other code
                (unless ``allow_code_change``), or not matching ``expected_hash``.
        """
        return load_fitted(
            path, self, expected_hash=expected_hash, allow_code_change=allow_code_change
        )

    def _apply_params(
        self, frame: pd.DataFrame, params: Mapping[str, Any], check_mutation: bool
    ) -> pd.DataFrame:
        given = self._inputs_of(frame)
        result = call_checked(
            self.ref,
            "apply",
            lambda df: self._apply(df, params),
            given,
            check_mutation=check_mutation,
        )
        out = outputs_frame(self.ref, result, given, self.outputs)
        return assemble(frame, out, self.outputs, self.drops)


class FittedTransform:
    """A stateful transform with its fitted parameters: apply it to any split, save it.

    Attributes:
        transform: the :class:`StatefulTransform`.
        params: the fitted parameters (plain JSON values).
        rows: rows it was fitted on (None if unknown).
    """

    def __init__(
        self, transform: StatefulTransform, params: Mapping[str, Any], rows: int | None = None
    ) -> None:
        self.transform = transform
        self.params = dict(params)
        self.rows = rows

    @property
    def ref(self) -> str:
        return self.transform.ref

    def apply(self, frame: pd.DataFrame, *, check_mutation: bool = True) -> pd.DataFrame:
        """``frame`` with the outputs computed with the fitted parameters."""
        return self.transform._apply_params(frame, self.params, check_mutation)

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.apply(frame)

    def artifact(self) -> dict[str, Any]:
        """The JSON artifact: which transform (ref, fingerprint, declaration) and its params."""
        t = self.transform
        return {
            "format_version": ARTIFACT_FORMAT,
            "kind": "datalife.fitted_transform",
            "transform": t.name,
            "version": t.version,
            "fingerprint": t.fingerprint,
            "inputs": list(t.inputs),
            "outputs": list(t.outputs),
            "config": t.config,
            "params": self.params,
            "fitted_rows": self.rows,
        }

    def artifact_bytes(self) -> bytes:
        """The artifact as canonical JSON (sorted keys, no spaces): what is saved and hashed."""
        return canonical_json(self.artifact())

    @property
    def hash(self) -> str:
        """BLAKE3 hex of :meth:`artifact_bytes` (the saved file's content hash)."""
        from datalife.storage import hash_bytes

        return hash_bytes(self.artifact_bytes())

    def save(self, path: str | Path) -> str:
        """Write the artifact atomically; return its BLAKE3 hash."""
        from datalife.storage import atomic_write_bytes

        data = self.artifact_bytes()
        atomic_write_bytes(path, data)
        from datalife.storage import hash_bytes

        return hash_bytes(data)

    def column_lineage(self) -> dict[str, list[str]]:
        return self.transform.column_lineage()

    def to_dict(self) -> dict[str, Any]:
        return {**self.artifact(), "hash": self.hash}

    def __repr__(self) -> str:
        return f"<FittedTransform {self.ref} hash={self.hash[:12]} params={list(self.params)}>"


def read_artifact(path: str | Path, expected_hash: str | None = None) -> dict[str, Any]:
    """Read and check a fitted-transform artifact file (not yet bound to a transform)."""
    from datalife.storage import hash_bytes

    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise FittedParamsError(
            f"{p}: cannot read the fitted parameters ({exc.strerror or exc})",
            path=p,
            hint="check the path; fit the transform and save it first.",
        ) from None
    digest = hash_bytes(data)
    if expected_hash is not None and digest != expected_hash:
        raise FittedParamsError(
            f"{p}: content hash {digest[:12]} does not match the expected {expected_hash[:12]}",
            path=p,
            hint="the artifact changed since it was recorded: restore it, or refit and "
            "record the new one.",
        )
    try:
        art = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FittedParamsError(
            f"{p}: not a fitted-transform artifact (invalid JSON: {exc})",
            path=p,
            hint="the file is damaged: refit the transform and save it again.",
        ) from None
    if not isinstance(art, dict) or art.get("kind") != "datalife.fitted_transform":
        raise FittedParamsError(
            f"{p}: not a fitted-transform artifact",
            path=p,
            hint="point at a file written by FittedTransform.save().",
        )
    if art.get("format_version") != ARTIFACT_FORMAT:
        raise FittedParamsError(
            f"{p}: artifact format {art.get('format_version')!r} is not supported "
            f"(this datalife reads format {ARTIFACT_FORMAT})",
            path=p,
            hint="refit the transform with this version of datalife.",
        )
    return art


def load_fitted(
    path: str | Path,
    t: StatefulTransform,
    *,
    expected_hash: str | None = None,
    allow_code_change: bool = False,
) -> FittedTransform:
    """Bind a saved artifact to ``t``, checking it was fitted by the same transform and code."""
    p = Path(path)
    art = read_artifact(p, expected_hash)
    ref = f"{art.get('transform')}@{art.get('version')}"
    if ref != t.ref:
        raise FittedParamsError(
            f"{p}: fitted parameters of {ref}, not of {t.ref}",
            path=p,
            hint="load it with the transform it was fitted for.",
        )
    if art.get("config") != t.config:
        raise FittedParamsError(
            f"{p}: fitted with configuration {art.get('config')}, the transform now has {t.config}",
            path=p,
            hint="refit the transform with its current configuration.",
        )
    if art.get("fingerprint") != t.fingerprint and not allow_code_change:
        raise FittedParamsError(
            f"{p}: {t.ref} was fitted by other code (fingerprint "
            f"{str(art.get('fingerprint'))[:12]}, now {t.fingerprint[:12]}): applying these "
            "parameters with the changed code could differ from training (train/serve skew)",
            path=p,
            hint="refit with the current code, or bump the transform's version when you "
            "change it; pass allow_code_change=True only if the change cannot matter.",
        )
    params = art.get("params")
    if not isinstance(params, dict):
        raise FittedParamsError(f"{p}: the artifact has no parameters", path=p)
    rows = art.get("fitted_rows")
    return FittedTransform(t, params, rows=rows if isinstance(rows, int) else None)


class TransformDecorator(Protocol):
    """What :func:`transform` returns: functions become :class:`Transform`, classes
    :class:`StatefulTransform` (type checkers ignore class decorators, so typed code writes
    ``mass_z = transform(...)(MassZ)`` for a class)."""

    @overload
    def __call__(self, obj: type[Any], /) -> StatefulTransform: ...

    @overload
    def __call__(self, obj: Callable[..., Any], /) -> Transform: ...


def transform(
    *,
    name: str,
    version: int | str,
    inputs: Sequence[str],
    outputs: Sequence[str],
    drops: Sequence[str] = (),
) -> TransformDecorator:
    """Declare a transform: on a function (stateless) or a class with ``fit``/``apply``.

    Args:
        name: the transform's name (letters, digits, ``_ . -``).
        version: an integer or string; bump it when the behaviour changes.
        inputs: the columns it reads (the only ones it is given).
        outputs: the columns it returns (exactly these).
        drops: input columns to remove from the result (e.g. a one-hot's source column).

    Returns:
        A decorator turning a function into a :class:`Transform`, or a class into a
        :class:`StatefulTransform` (the class is instantiated with no arguments; its
        ``fit(df) -> dict`` and ``apply(df, params) -> DataFrame`` may also be static).
    """
    decl = _Declaration.build(name, version, inputs, outputs, drops)

    def decorate(obj: Any) -> Transform | StatefulTransform:
        if inspect.isclass(obj):
            missing = [m for m in ("fit", "apply") if not callable(getattr(obj, m, None))]
            if missing:
                raise TransformDefinitionError(
                    f"stateful transform {decl.name!r} ({_origin(obj)}) has no "
                    f"{' or '.join(missing)} method",
                    hint="define fit(self, df) -> dict and apply(self, df, params) -> DataFrame.",
                )
            try:
                instance: Any = obj()
            except TypeError as exc:
                raise TransformDefinitionError(
                    f"stateful transform {decl.name!r} ({_origin(obj)}) cannot be created "
                    f"without arguments: {exc}",
                    hint="give __init__ defaults; per-fit state belongs in the params fit returns.",
                ) from None
            return StatefulTransform(
                decl, instance.fit, instance.apply, code=obj, origin=_origin(obj)
            )
        if callable(obj):
            return Transform(decl, obj, origin=_origin(obj))
        raise TransformDefinitionError(
            f"@transform decorates a function or a class, not {type(obj).__name__}",
            hint="put @transform(...) on a def or a class.",
        )

    return decorate  # type: ignore[return-value]  # the overloads describe decorate exactly


def column_lineage(
    steps: Sequence[Transform | StatefulTransform | FittedTransform],
    source_columns: Sequence[str] | None = None,
) -> dict[str, list[str]]:
    """Column lineage through a chain of transforms: each column -> its source columns.

    Columns not produced by any step map to themselves; a step's output depends on the
    sources of all its declared inputs.

    Examples:
        >>> import pandas as pd
        >>> @transform(name="r", version=1, inputs=["a", "b"], outputs=["r"])
        ... def r(df):
        ...     return pd.DataFrame({"r": df["a"] / df["b"]})
        >>> @transform(name="s", version=1, inputs=["r", "c"], outputs=["s"], drops=["c"])
        ... def s(df):
        ...     return pd.DataFrame({"s": df["r"] + df["c"]})
        >>> column_lineage([r, s], ["a", "b", "c"])
        {'a': ['a'], 'b': ['b'], 'r': ['a', 'b'], 's': ['a', 'b', 'c']}
    """
    sources: dict[str, list[str]] = {c: [c] for c in source_columns or ()}
    for step in steps:
        t = step.transform if isinstance(step, FittedTransform) else step
        derived = sorted({s for c in t.inputs for s in sources.get(c, [c])})
        for out in t.outputs:
            sources[out] = derived
        for c in t.drops:
            if c not in t.outputs:
                sources.pop(c, None)
    return sources
