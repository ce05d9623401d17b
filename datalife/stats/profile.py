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
        from datalife.stats.merge import merge_profiles

        return merge_profiles([self, *others])
