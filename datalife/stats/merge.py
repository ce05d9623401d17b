"""Merging partition profiles into the profile of the whole."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from datalife.errors import ProfileError
from datalife.stats.build import (
    categorical_column,
    numeric_column,
    other_column,
    timestamp_column,
)
from datalife.stats.profile import (
    CategoricalColumn,
    NumericColumn,
    OtherColumn,
    Profile,
    ProfileSettings,
    ProfileSource,
    TimestampColumn,
)
from datalife.stats.sketch import HyperLogLog, LogSketch, ValueTable, grid_shift_for

__all__ = ["merge_profiles"]


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
