"""The contract every transform call is held to.

Before the call: the declared input columns exist. The function gets a frame of only those
columns (so it cannot silently depend on an undeclared one). After the call: it returned a
DataFrame (or a Series for a single output) with exactly the declared output columns and one
row per input row, and it did not modify the frame it was given. Anything else raises a
:class:`~datalife.errors.TransformError` naming the transform.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from datalife.errors import LeakageError, TransformError, closest

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "SPLIT_ATTR",
    "assemble",
    "call_checked",
    "canonical_json",
    "check_fit_allowed",
    "check_inputs",
    "jsonable",
]

#: The ``DataFrame.attrs`` key set by :func:`datalife.splits.split` ("train", "dev", "test").
SPLIT_ATTR = "datalife_split"
_EVAL_SPLITS = ("dev", "test", "mixed")


def check_inputs(ref: str, frame: pd.DataFrame, inputs: Sequence[str]) -> None:
    """Raise if a declared input column is missing."""
    have = [str(c) for c in frame.columns]
    missing = [c for c in inputs if c not in have]
    if not missing:
        return
    details = []
    for c in missing:
        near = closest(c, have)
        if near:
            details.append(f"{c!r}: did you mean {near[0]!r}?")
    listing = ", ".join(have[:20]) + (" ..." if len(have) > 20 else "")
    raise TransformError(
        f"transform {ref} needs column(s) {', '.join(repr(c) for c in missing)}, "
        f"which the data does not have (columns: {listing})",
        transform=ref,
        column=missing[0],
        details=details,
        hint="fix the data or the transform's declared inputs (or run the step that makes "
        "these columns first).",
    )


def check_fit_allowed(ref: str, frame: pd.DataFrame) -> None:
    """Refuse to fit on a frame flagged as holding dev or test rows (leakage)."""
    flag = frame.attrs.get(SPLIT_ATTR)
    if flag in _EVAL_SPLITS:
        what = "dev and test rows" if flag == "mixed" else f"{flag} rows"
        raise LeakageError(
            f"refusing to fit {ref} on {what}: fitted parameters (means, vocabularies, "
            "quantiles) would carry information from the evaluation data into training, and "
            "dev/test scores would be optimistic",
            hint="fit on the train split only (`fitted = t.fit(result.train)`), then apply "
            "`fitted` to every split.",
        )


def _column_hashes(frame: pd.DataFrame) -> dict[str, Any]:
    import pandas as pd

    out: dict[str, Any] = {}
    for i, c in enumerate(frame.columns):
        col = frame.iloc[:, i]
        try:
            out[str(c)] = (str(col.dtype), int(pd.util.hash_pandas_object(col, index=True).sum()))
        except TypeError:  # unhashable cells: compare a copy
            out[str(c)] = (str(col.dtype), col.copy(deep=True))
    return out


def _changed(before: Mapping[str, Any], frame: pd.DataFrame) -> list[str]:
    after_cols = [str(c) for c in frame.columns]
    changed = [c for c in before if c not in after_cols]
    changed += [c for c in after_cols if c not in before]
    now = _column_hashes(frame)
    for c, (dtype, h) in before.items():
        if c not in now:
            continue
        dtype2, h2 = now[c]
        if dtype != dtype2:
            changed.append(c)
        elif isinstance(h, int):
            if h != h2:
                changed.append(c)
        elif not h.equals(h2):
            changed.append(c)
    return sorted(set(changed))


def call_checked(
    ref: str,
    stage: str,
    fn: Callable[[pd.DataFrame], Any],
    given: pd.DataFrame,
    *,
    check_mutation: bool = True,
) -> Any:
    """Call ``fn(given)``; wrap its exceptions and detect changes to ``given``."""
    before = _column_hashes(given) if check_mutation else None
    try:
        result = fn(given)
    except Exception as exc:
        text = str(exc)
        if isinstance(exc, ValueError) and "read-only" in text:
            raise TransformError(
                f"transform {ref} tried to modify its input in place during {stage} "
                f"({type(exc).__name__}: {text})",
                transform=ref,
                hint="build and return new columns (df.assign(...), pd.DataFrame({...})) "
                "instead of writing into the frame you were given.",
            ) from exc
        raise TransformError(
            f"transform {ref} raised {type(exc).__name__} during {stage}: {text}",
            transform=ref,
            hint="fix the transform (the traceback is in the exception's __cause__), or the "
            "data it was given.",
        ) from exc
    if before is not None:
        changed = _changed(before, given)
        if changed:
            raise TransformError(
                f"transform {ref} modified its input frame during {stage} "
                f"(column(s) {', '.join(repr(c) for c in changed)} changed)",
                transform=ref,
                column=changed[0],
                hint="return new columns instead of assigning into the frame you were given "
                "(use df.assign(...) or build a new DataFrame).",
            )
    return result


def outputs_frame(
    ref: str, result: Any, given: pd.DataFrame, outputs: Sequence[str]
) -> pd.DataFrame:
    """Check what a transform returned against its declaration; return it aligned to ``given``."""
    import pandas as pd

    if isinstance(result, pd.Series) and len(outputs) == 1:
        result = result.to_frame(name=outputs[0])
    if not isinstance(result, pd.DataFrame):
        raise TransformError(
            f"transform {ref} returned {type(result).__name__}, not a DataFrame",
            transform=ref,
            hint=f"return a DataFrame with the declared output columns {list(outputs)}.",
        )
    got = [str(c) for c in result.columns]
    if len(set(got)) != len(got):
        dup = sorted({c for c in got if got.count(c) > 1})
        raise TransformError(
            f"transform {ref} returned duplicate column(s) {', '.join(map(repr, dup))}",
            transform=ref,
            hint="return each output column once.",
        )
    if set(got) != set(outputs):
        missing = [c for c in outputs if c not in got]
        extra = [c for c in got if c not in outputs]
        details = []
        if missing:
            details.append(f"declared but not returned: {', '.join(map(repr, missing))}")
        if extra:
            details.append(f"returned but not declared: {', '.join(map(repr, extra))}")
        raise TransformError(
            f"transform {ref} returned columns {got}, but declares outputs {list(outputs)}",
            transform=ref,
            column=(missing or extra)[0],
            details=details,
            hint="return exactly the declared outputs, or change the declaration "
            "(and bump the transform's version).",
        )
    if len(result) != len(given):
        raise TransformError(
            f"transform {ref} returned {len(result):,} rows for {len(given):,} input rows",
            transform=ref,
            hint="a transform maps each row to one row; filter rows in a separate step.",
        )
    result = result[list(outputs)]
    if not result.index.equals(given.index):
        if isinstance(result.index, pd.RangeIndex):
            result = result.set_axis(given.index, axis=0)
        elif (
            result.index.is_unique
            and given.index.is_unique
            and set(result.index) == set(given.index)
        ):
            result = result.reindex(given.index)
        else:
            raise TransformError(
                f"transform {ref} returned rows whose index does not match its input's",
                transform=ref,
                hint="keep the input's index (build outputs from its columns), or return a "
                "frame with a default RangeIndex in input order.",
            )
    checked: pd.DataFrame = result
    return checked


def assemble(
    frame: pd.DataFrame, result: pd.DataFrame, outputs: Sequence[str], drops: Sequence[str]
) -> pd.DataFrame:
    """``frame`` with the outputs set (replaced in place, or appended) and ``drops`` removed."""
    out = frame.copy(deep=False)
    for c in outputs:
        out[c] = result[c].array
    if drops:
        out = out.drop(columns=list(drops))
    out.attrs = dict(frame.attrs)
    return out


def jsonable(value: Any, where: str = "params") -> Any:
    """Fitted parameters as plain JSON values (numpy scalars and arrays converted).

    Raises ValueError naming the place of a value that JSON cannot hold (NaN, objects).
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        if not math.isfinite(f):
            raise ValueError(f"{where} is {f} (not a finite number)")
        return f
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return [jsonable(v, f"{where}[{i}]") for i, v in enumerate(value.tolist())]
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{where} has a non-string key {k!r}")
            out[k] = jsonable(v, f"{where}.{k}")
        return out
    if isinstance(value, list | tuple):
        return [jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise ValueError(f"{where} is a {type(value).__name__}, which JSON cannot hold")


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the bytes whose BLAKE3 is an artifact's hash."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()
