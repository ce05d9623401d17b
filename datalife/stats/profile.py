"""The statistics profile: what :func:`datalife.stats` returns and what is saved as JSON.

A :class:`Profile` is a frozen pydantic model, so a saved profile is validated field by field when
it is loaded. Each column holds the numbers people read (count, missing, distinct, min/max/mean/std,
quantiles, a 20-bin histogram, top values) and, under ``state``, the mergeable summaries those
numbers are computed from (moments, log-linear buckets, time grid, HyperLogLog registers, value
tables; see :mod:`datalife.stats.sketch`). Merging and drift use ``state`` only, so two saved
profiles are enough to compare two dataset versions.

No number is ever NaN or infinite (``allow_inf_nan=False``): a number that cannot be computed
(the mean of an all-null column, the std of one value) is ``null`` in JSON.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from datalife._version import __version__
from datalife.errors import ProfileError
from datalife.stats.sketch import (
    HLL_PRECISION,
    INITIAL_SUB_BUCKETS,
    HyperLogLog,
    LogSketch,
    TimeGrid,
    ValueTable,
    grid_shift_for,
)

__all__ = [
    "FORMAT_VERSION",
    "QUANTILES",
    "CategoricalColumn",
    "ColumnProfile",
    "Histogram",
    "NumericColumn",
    "OtherColumn",
    "Profile",
    "ProfileSettings",
    "ProfileSource",
    "TimestampColumn",
    "merge_profiles",
]

#: Version of the profile file format (not of datalife).
FORMAT_VERSION = 1
#: Quantiles reported for numeric columns, by name.
QUANTILES: dict[str, float] = {
    "p1": 0.01,
    "p5": 0.05,
    "p25": 0.25,
    "p50": 0.5,
    "p75": 0.75,
    "p95": 0.95,
    "p99": 0.99,
}
#: Bins of the display histogram.
HISTOGRAM_BINS = 20
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Histogram(_Model):
    """Equal-width bins: ``counts[i]`` values in ``[edges[i], edges[i+1])`` (last bin closed).

    Counts come from the column's buckets (each bucket counted in the bin holding its
    representative value), so a value within one bucket width of an edge may be counted in the
    neighbouring bin. Timestamp edges are ISO 8601 strings.
    """

    edges: list[float] | list[str]
    counts: list[int]


class TopValue(_Model):
    value: str
    count: int
    share: float = Field(description="count / non-missing values")


class FileRef(_Model):
    path: str
    content_hash: str


class ProfileSource(_Model):
    """What was profiled: files (with content hashes) or an in-memory frame."""

    dataset: str | None = None
    dataset_version: str | None = Field(
        default=None, description="content hash of the files (or of the frame)"
    )
    files: list[FileRef] = Field(default_factory=list)
    frame: bool = False


class ProfileSettings(_Model):
    """Knobs that decide the summaries; profiles merge exactly when they share them."""

    max_buckets: int = Field(default=2048, ge=16)
    max_values: int = Field(default=1000, ge=1)
    top_k: int = Field(default=10, ge=1)
    initial_sub_buckets: int = INITIAL_SUB_BUCKETS
    hll_precision: int = HLL_PRECISION


# -- column state ---------------------------------------------------------------------------


class LogState(_Model):
    scheme: Literal["log2"] = "log2"
    sub_buckets: int = Field(ge=1)
    keys: list[int]
    counts: list[int]

    def sketch(self, max_buckets: int) -> LogSketch:
        return LogSketch(
            self.sub_buckets,
            np.asarray(self.keys, dtype=np.int64),
            np.asarray(self.counts, dtype=np.int64),
            max_buckets,
        )

    @classmethod
    def of(cls, s: LogSketch) -> LogState:
        return cls(sub_buckets=s.sub_buckets, keys=s.keys.tolist(), counts=s.counts.tolist())


class TimeGridState(_Model):
    scheme: Literal["timegrid"] = "timegrid"
    shift: int = Field(ge=0, description="buckets are 2**shift microseconds wide")
    keys: list[int]
    counts: list[int]

    def grid(self, max_buckets: int) -> TimeGrid:
        return TimeGrid(
            self.shift,
            np.asarray(self.keys, dtype=np.int64),
            np.asarray(self.counts, dtype=np.int64),
            max_buckets,
        )

    @classmethod
    def of(cls, g: TimeGrid) -> TimeGridState:
        return cls(shift=g.shift, keys=g.keys.tolist(), counts=g.counts.tolist())


class ValuesState(_Model):
    items: list[tuple[str, int]]
    complete: bool
    count_error: int = Field(ge=0)
    unlisted_max: int = Field(ge=0)

    def table(self) -> ValueTable:
        return ValueTable(
            tuple((v, n) for v, n in self.items), self.complete, self.count_error, self.unlisted_max
        )

    @classmethod
    def of(cls, t: ValueTable) -> ValuesState:
        return cls(
            items=list(t.items),
            complete=t.complete,
            count_error=t.count_error,
            unlisted_max=t.unlisted_max,
        )


class NumericState(_Model):
    finite: int = Field(ge=0, description="finite values (the ones moments and buckets cover)")
    m2: float | None = Field(
        ge=0, description="sum of squared deviations from the mean (null if it overflowed)"
    )
    sketch: LogState
    hll: str


class CategoricalState(_Model):
    values: ValuesState
    length_sum: int = Field(ge=0)
    hll: str


class TimestampState(_Model):
    min_us: int | None
    max_us: int | None
    grid: TimeGridState
    hll: str


# -- columns --------------------------------------------------------------------------------


class _ColumnBase(_Model):
    name: str
    dtype: str = Field(description="the DuckDB type the column was read as")
    rows: int = Field(ge=0)
    missing: int = Field(ge=0, description="nulls, plus NaN in floating-point columns")
    count: int = Field(ge=0, description="non-missing values")
    missing_share: float | None
    distinct: int | None
    distinct_method: Literal["exact", "hll", "none"] = Field(
        description="exact: counted; hll: HyperLogLog estimate (standard error 1.6%)"
    )


class NumericColumn(_ColumnBase):
    """A column of numbers (integers, floats, decimals)."""

    kind: Literal["numeric"] = "numeric"
    min: float | None
    max: float | None
    mean: float | None
    std: float | None = Field(description="sample standard deviation (n - 1)")
    zeros: int
    nan: int
    infinite: int
    quantiles: dict[str, float]
    quantile_relative_error: float | None = Field(
        description="a quantile is within this relative distance of the exact one (bucket width)"
    )
    histogram: Histogram | None
    state: NumericState


class CategoricalColumn(_ColumnBase):
    """A column of strings, categories or booleans."""

    kind: Literal["string", "boolean"]
    top: list[TopValue]
    top_count_error: int = Field(description="a top count may be short of the truth by this much")
    length_min: int | None
    length_max: int | None
    length_mean: float | None
    state: CategoricalState


class TimestampColumn(_ColumnBase):
    """A column of timestamps or dates (summarised in UTC microseconds)."""

    kind: Literal["timestamp"] = "timestamp"
    min: str | None
    max: str | None
    histogram: Histogram | None
    state: TimestampState


class OtherColumn(_ColumnBase):
    """A column of another type (lists, structs, blobs, times): counts only."""

    kind: Literal["other"] = "other"


ColumnProfile = Annotated[
    NumericColumn | CategoricalColumn | TimestampColumn | OtherColumn,
    Field(discriminator="kind"),
]


# -- building columns (shared by the engine and by merge) -----------------------------------


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _equal_width_histogram(
    points: np.ndarray[Any, Any], weights: np.ndarray[Any, Any], lo: float, hi: float
) -> tuple[list[float], list[int]]:
    if not math.isfinite(hi - lo):
        lo, hi = lo / 2, hi / 2  # keep the bin width finite for values near +-max float
        points = points / 2
        scale = 2.0
    else:
        scale = 1.0
    if hi <= lo:
        return [lo * scale, hi * scale], [int(weights.sum())]
    counts, edges = np.histogram(points, bins=HISTOGRAM_BINS, range=(lo, hi), weights=weights)
    return [float(e) * scale for e in edges], [round(float(c)) for c in counts]


def numeric_column(
    *,
    name: str,
    dtype: str,
    rows: int,
    missing: int,
    nan: int,
    infinite: int,
    zeros: int,
    finite: int,
    mean: float | None,
    m2: float | None,
    lo: float | None,
    hi: float | None,
    sketch: LogSketch,
    hll: HyperLogLog,
) -> NumericColumn:
    """A :class:`NumericColumn` with its derived numbers computed from the state."""
    count = rows - missing
    quantiles: dict[str, float] = {}
    histogram = None
    if finite and lo is not None and hi is not None:
        quantiles = {k: sketch.quantile(q, lo, hi) for k, q in QUANTILES.items()}
        edges, counts = _equal_width_histogram(sketch.points(lo, hi), sketch.counts, lo, hi)
        histogram = Histogram(edges=edges, counts=counts)
    m2 = _finite(m2)
    std = math.sqrt(max(m2, 0.0) / (finite - 1)) if finite > 1 and m2 is not None else None
    mean = _finite(mean)
    distinct = min(hll.estimate(), count) if count else 0
    return NumericColumn(
        name=name,
        dtype=dtype,
        rows=rows,
        missing=missing,
        count=count,
        missing_share=_share(missing, rows),
        distinct=distinct,
        distinct_method="hll",
        min=_finite(lo) if finite else None,
        max=_finite(hi) if finite else None,
        mean=_finite(mean) if finite else None,
        std=_finite(std),
        zeros=zeros,
        nan=nan,
        infinite=infinite,
        quantiles=quantiles,
        quantile_relative_error=sketch.relative_error() if finite else None,
        histogram=histogram,
        state=NumericState(
            finite=finite,
            m2=max(m2, 0.0) if m2 is not None and mean is not None else None,
            sketch=LogState.of(sketch),
            hll=hll.encode(),
        ),
    )


def categorical_column(
    *,
    name: str,
    dtype: str,
    kind: Literal["string", "boolean"],
    rows: int,
    missing: int,
    table: ValueTable,
    distinct_exact: int | None,
    length_sum: int,
    length_min: int | None,
    length_max: int | None,
    hll: HyperLogLog,
    top_k: int,
) -> CategoricalColumn:
    count = rows - missing
    top = [
        TopValue(value=v, count=n, share=n / count if count else 0.0)
        for v, n in table.items[:top_k]
    ]
    method: Literal["exact", "hll"]
    if distinct_exact is not None:
        distinct, method = distinct_exact, "exact"
    elif table.complete:
        distinct, method = len(table.items), "exact"
    else:
        distinct, method = min(max(hll.estimate(), len(table.items)), count), "hll"
    strings = kind == "string"
    return CategoricalColumn(
        name=name,
        dtype=dtype,
        kind=kind,
        rows=rows,
        missing=missing,
        count=count,
        missing_share=_share(missing, rows),
        distinct=distinct,
        distinct_method=method,
        top=top,
        top_count_error=table.count_error,
        length_min=length_min if strings and count else None,
        length_max=length_max if strings and count else None,
        length_mean=length_sum / count if strings and count else None,
        state=CategoricalState(
            values=ValuesState.of(table), length_sum=length_sum, hll=hll.encode()
        ),
    )


def iso_from_us(us: int) -> str:
    """ISO 8601 (UTC) text of a count of microseconds since the epoch.

    Examples:
        >>> iso_from_us(0)
        '1970-01-01T00:00:00'
    """
    return (_EPOCH + timedelta(microseconds=us)).replace(tzinfo=None).isoformat()


def timestamp_column(
    *,
    name: str,
    dtype: str,
    rows: int,
    missing: int,
    min_us: int | None,
    max_us: int | None,
    grid: TimeGrid,
    hll: HyperLogLog,
) -> TimestampColumn:
    count = rows - missing
    histogram = None
    if count and min_us is not None and max_us is not None:
        pts = np.clip(grid.keys.astype(np.float64) * float(1 << grid.shift), min_us, max_us)
        edges, counts = _equal_width_histogram(pts, grid.counts, float(min_us), float(max_us))
        histogram = Histogram(edges=[iso_from_us(round(e)) for e in edges], counts=counts)
    return TimestampColumn(
        name=name,
        dtype=dtype,
        rows=rows,
        missing=missing,
        count=count,
        missing_share=_share(missing, rows),
        distinct=min(hll.estimate(), count) if count else 0,
        distinct_method="hll",
        min=iso_from_us(min_us) if min_us is not None else None,
        max=iso_from_us(max_us) if max_us is not None else None,
        histogram=histogram,
        state=TimestampState(
            min_us=min_us, max_us=max_us, grid=TimeGridState.of(grid), hll=hll.encode()
        ),
    )


def other_column(*, name: str, dtype: str, rows: int, missing: int) -> OtherColumn:
    return OtherColumn(
        name=name,
        dtype=dtype,
        rows=rows,
        missing=missing,
        count=rows - missing,
        missing_share=_share(missing, rows),
        distinct=None,
        distinct_method="none",
    )


def exact_moments(n: int, s1: int, s2: int) -> tuple[float, float]:
    """Mean and sum of squared deviations of integers from their exact sums (deterministic).

    Examples:
        >>> exact_moments(3, 6, 14)
        (2.0, 2.0)
    """
    return float(Fraction(s1, n)), float(Fraction(s2 * n - s1 * s1, n))


# -- the profile ----------------------------------------------------------------------------


class Profile(_Model):
    """Per-column statistics of a dataset (or a frame), mergeable and saved as JSON.

    Examples:
        >>> import pandas as pd
        >>> from datalife.stats import stats
        >>> p = stats(pd.DataFrame({"x": [1, 2, 3, None], "s": ["a", "b", "a", "a"]}))
        >>> p["x"].mean, p["x"].missing, p["s"].top[0].value
        (2.0, 1, 'a')
    """

    kind: Literal["datalife.profile"] = "datalife.profile"
    format_version: int = FORMAT_VERSION
    datalife_version: str = __version__
    rows: int = Field(ge=0)
    source: ProfileSource = Field(default_factory=ProfileSource)
    settings: ProfileSettings = Field(default_factory=ProfileSettings)
    columns: list[ColumnProfile]

    # -- access ---------------------------------------------------------------------------

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(
        self, name: str
    ) -> NumericColumn | CategoricalColumn | TimestampColumn | OtherColumn:
        """The profile of column ``name`` (``KeyError`` naming close matches if absent)."""
        for c in self.columns:
            if c.name == name:
                return c
        from datalife.errors import closest

        near = closest(name, self.column_names)
        hint = f"; did you mean {', '.join(map(repr, near))}?" if near else ""
        raise KeyError(f"no column {name!r} in the profile{hint}")

    def __getitem__(
        self, name: str
    ) -> NumericColumn | CategoricalColumn | TimestampColumn | OtherColumn:
        return self.column(name)

    def __repr__(self) -> str:
        version = self.source.dataset_version
        v = f", dataset_version={version[:12]!r}" if version else ""
        return f"Profile(rows={self.rows}, columns={self.column_names}{v})"

    __str__ = __repr__

    # -- JSON -----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what ``--format json`` prints and :meth:`save` writes)."""
        return self.model_dump(mode="json")

    def to_json(self) -> str:
        """Compact JSON with sorted keys; never NaN."""
        return json.dumps(self.to_dict(), sort_keys=True, allow_nan=False, separators=(",", ":"))

    def save(self, path: str | Path) -> Path:
        """Write the profile to ``path`` atomically; return the path."""
        from datalife.storage import atomic_write_text

        target = Path(path)
        atomic_write_text(target, self.to_json() + "\n")
        return target

    @classmethod
    def from_dict(cls, data: Any, *, path: str | Path | None = None) -> Profile:
        """Validate a dict read from JSON; :class:`~datalife.errors.ProfileError` if it is not one."""
        where = f"{path}: " if path else ""
        if not isinstance(data, dict) or data.get("kind") != "datalife.profile":
            raise ProfileError(
                f'{where}not a datalife profile (no "kind": "datalife.profile")',
                path=path,
                hint="profiles are written by `datalife stats ... --save` or Profile.save().",
            )
        version = data.get("format_version")
        if isinstance(version, int) and version > FORMAT_VERSION:
            raise ProfileError(
                f"{where}profile format_version {version} is newer than this datalife reads "
                f"({FORMAT_VERSION})",
                path=path,
                hint="upgrade datalife, or profile the data again with this version.",
            )
        try:
            profile = cls.model_validate(data)
        except ValidationError as exc:
            details = [
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:8]
            ]
            raise ProfileError(
                f"{where}corrupted profile: {exc.error_count()} invalid field(s)",
                path=path,
                details=details,
                hint="profile the data again with `datalife stats ... --save`.",
            ) from None
        profile.check(path)
        return profile

    @classmethod
    def load(cls, path: str | Path) -> Profile:
        """Read a saved profile; a clear :class:`~datalife.errors.ProfileError` if it is damaged."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ProfileError(f"{p}: no such profile file", path=p) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(f"{p}: cannot read the profile: {exc}", path=p) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProfileError(
                f"{p}: corrupted profile: not valid JSON ({exc.msg} at line {exc.lineno}, "
                f"column {exc.colno})",
                path=p,
                line=exc.lineno,
                hint="the file was truncated or edited; profile the data again with "
                "`datalife stats ... --save`.",
            ) from None
        return cls.from_dict(data, path=p)

    def check(self, path: str | Path | None = None) -> None:
        """Check that the summaries agree with the counts (catches hand-edited profiles)."""
        where = f"{path}: " if path else ""
        problems = []
        for c in self.columns:
            if c.rows != self.rows:
                problems.append(f"column {c.name!r}: {c.rows} rows, the profile has {self.rows}")
            if c.count != c.rows - c.missing:
                problems.append(f"column {c.name!r}: count != rows - missing")
            held = None
            if isinstance(c, NumericColumn):
                held, want = sum(c.state.sketch.counts), c.state.finite
                if c.state.finite != c.count - c.infinite:
                    problems.append(f"column {c.name!r}: finite != count - infinite")
                if len(c.state.sketch.keys) != len(c.state.sketch.counts):
                    problems.append(f"column {c.name!r}: bucket keys and counts differ in length")
            elif isinstance(c, TimestampColumn):
                held, want = sum(c.state.grid.counts), c.count
            elif isinstance(c, CategoricalColumn):
                listed = sum(n for _, n in c.state.values.items)
                if listed > c.count or (c.state.values.complete and listed != c.count):
                    problems.append(
                        f"column {c.name!r}: value counts add up to {listed}, count is {c.count}"
                    )
            if held is not None and held != want:
                problems.append(f"column {c.name!r}: buckets hold {held} values, expected {want}")
            for field in ("hll",):
                state = getattr(c, "state", None)
                if state is not None:
                    try:
                        HyperLogLog.decode(getattr(state, field), self.settings.hll_precision)
                    except Exception:  # noqa: BLE001 - base64/zlib/size errors all mean damage
                        problems.append(f"column {c.name!r}: damaged distinct-count registers")
        if problems:
            raise ProfileError(
                f"{where}corrupted profile: {problems[0]}",
                path=path,
                details=problems[1:8],
                hint="profile the data again with `datalife stats ... --save`.",
            )

    # -- merging --------------------------------------------------------------------------

    def merge(self, *others: Profile) -> Profile:
        """The profile of this data and the others' together (see :func:`merge_profiles`)."""
        return merge_profiles([self, *others])


def _hll(state_hll: str, settings: ProfileSettings) -> HyperLogLog:
    return HyperLogLog.decode(state_hll, settings.hll_precision)


def _merge_source(profiles: Sequence[Profile]) -> ProfileSource:
    from datalife.storage import dataset_version_id

    files = [f for p in profiles for f in p.source.files]
    frame = any(p.source.frame for p in profiles)
    names = {p.source.dataset for p in profiles}
    dataset = names.pop() if len(names) == 1 else None
    version = None
    if files and not frame:
        version = dataset_version_id(f.content_hash for f in files)
    return ProfileSource(dataset=dataset, dataset_version=version, files=files, frame=frame)


def merge_profiles(profiles: Iterable[Profile]) -> Profile:
    """The profile of the concatenation of the data behind ``profiles`` (partitions).

    Counts, min/max and buckets merge exactly; mean and variance with Chan et al.'s parallel
    formulas (equal to a profile of the whole up to floating-point rounding); distinct counts by
    HyperLogLog register maximum (exact when every value table is complete); value tables cut to
    ``max_values`` keep a stated ``top_count_error``. A column missing from a part counts as
    missing in that part's rows.

    Raises:
        ProfileError: no profiles, or a column with different kinds in two parts.
    """
    parts = list(profiles)
    if not parts:
        raise ProfileError("no profiles to merge", hint="pass at least one profile.")
    if len(parts) == 1:
        return parts[0]
    settings = parts[0].settings
    for p in parts[1:]:
        if p.settings != settings:
            settings = ProfileSettings(
                max_buckets=min(settings.max_buckets, p.settings.max_buckets),
                max_values=min(settings.max_values, p.settings.max_values),
                top_k=max(settings.top_k, p.settings.top_k),
                initial_sub_buckets=min(
                    settings.initial_sub_buckets, p.settings.initial_sub_buckets
                ),
                hll_precision=settings.hll_precision,
            )
            if p.settings.hll_precision != settings.hll_precision:
                raise ProfileError("cannot merge profiles with different HyperLogLog precisions")
    names: list[str] = []
    for p in parts:
        names.extend(n for n in p.column_names if n not in names)
    rows = sum(p.rows for p in parts)
    columns = []
    for name in names:
        present = [(p, p.column(name)) for p in parts if name in p.column_names]
        kinds = {_family(c.kind) for _, c in present}
        if len(kinds) > 1:
            detail = ", ".join(f"{c.kind} ({c.dtype})" for _, c in present)
            raise ProfileError(
                f"cannot merge column {name!r}: its kind differs between the parts ({detail})",
                column=name,
                hint="make the column's type agree across partitions (cast it), then profile again.",
            )
        absent_rows = sum(p.rows for p in parts if name not in p.column_names)
        columns.append(_merge_column(name, [c for _, c in present], absent_rows, rows, settings))
    return Profile(rows=rows, source=_merge_source(parts), settings=settings, columns=columns)


def _family(kind: str) -> str:
    return "categorical" if kind in ("string", "boolean") else kind


def _merge_column(
    name: str, cols: list[Any], absent_rows: int, rows: int, settings: ProfileSettings
) -> NumericColumn | CategoricalColumn | TimestampColumn | OtherColumn:
    dtypes = sorted({c.dtype for c in cols})
    dtype = dtypes[0] if len(dtypes) == 1 else " | ".join(dtypes)
    missing = sum(c.missing for c in cols) + absent_rows
    first = cols[0]
    if isinstance(first, NumericColumn):
        n, mean, m2 = 0, 0.0, 0.0
        lo: float | None = None
        hi: float | None = None
        sketch = None
        hll = HyperLogLog.empty(settings.hll_precision)
        for c in cols:
            nb = c.state.finite
            if nb:
                # a mean or m2 that overflowed is null: it stays unknown (nan) in the whole
                mb = math.nan if c.mean is None else float(c.mean)
                m2b = math.nan if c.state.m2 is None else c.state.m2
                if n == 0:
                    n, mean, m2 = nb, mb, m2b
                else:
                    total = n + nb
                    delta = mb - mean
                    mean = mean + delta * nb / total
                    m2 = m2 + m2b + delta * delta * n * nb / total
                    n = total
                lo = c.min if lo is None else min(lo, c.min)
                hi = c.max if hi is None else max(hi, c.max)
            s = c.state.sketch.sketch(settings.max_buckets)
            sketch = s if sketch is None else sketch.merge(s)
            hll = hll.merge(_hll(c.state.hll, settings))
        assert sketch is not None
        sketch = LogSketch(
            sketch.sub_buckets, sketch.keys, sketch.counts, settings.max_buckets
        ).collapsed()
        return numeric_column(
            name=name,
            dtype=dtype,
            rows=rows,
            missing=missing,
            nan=sum(c.nan for c in cols),
            infinite=sum(c.infinite for c in cols),
            zeros=sum(c.zeros for c in cols),
            finite=n,
            mean=mean if n else None,
            m2=m2,
            lo=lo,
            hi=hi,
            sketch=sketch,
            hll=hll,
        )
    if isinstance(first, CategoricalColumn):
        table = None
        hll = HyperLogLog.empty(settings.hll_precision)
        for c in cols:
            t = c.state.values.table()
            table = t if table is None else table.merge(t, settings.max_values)
            hll = hll.merge(_hll(c.state.hll, settings))
        assert table is not None
        if len(table.items) > settings.max_values:
            table = table.merge(ValueTable((), True), settings.max_values)
        mins = [c.length_min for c in cols if c.length_min is not None]
        maxs = [c.length_max for c in cols if c.length_max is not None]
        return categorical_column(
            name=name,
            dtype=dtype,
            kind=first.kind,
            rows=rows,
            missing=missing,
            table=table,
            distinct_exact=None,
            length_sum=sum(c.state.length_sum for c in cols),
            length_min=min(mins) if mins else None,
            length_max=max(maxs) if maxs else None,
            hll=hll,
            top_k=settings.top_k,
        )
    if isinstance(first, TimestampColumn):
        lows = [c.state.min_us for c in cols if c.state.min_us is not None]
        highs = [c.state.max_us for c in cols if c.state.max_us is not None]
        min_us = min(lows) if lows else None
        max_us = max(highs) if highs else None
        grid = None
        hll = HyperLogLog.empty(settings.hll_precision)
        for c in cols:
            g = c.state.grid.grid(settings.max_buckets)
            grid = g if grid is None else grid.merge(g, min_us or 0, max_us or 0)
            hll = hll.merge(_hll(c.state.hll, settings))
        assert grid is not None
        if min_us is not None and max_us is not None:
            grid = grid.at(max(grid.shift, grid_shift_for(min_us, max_us, settings.max_buckets)))
        return timestamp_column(
            name=name,
            dtype=dtype,
            rows=rows,
            missing=missing,
            min_us=min_us,
            max_us=max_us,
            grid=grid,
            hll=hll,
        )
    return other_column(name=name, dtype=dtype, rows=rows, missing=missing)
