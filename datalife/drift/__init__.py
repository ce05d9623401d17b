"""Drift between dataset versions, and skew between training and serving data.

``datalife.detect_drift(baseline, current)`` (:func:`drift` here) compares every column the
two sides share and returns a :class:`DriftReport`. Each side is a file path (or several), a
pandas/polars frame, a saved :class:`~datalife.stats.Profile` (or its path), or
``DATASET[@VERSION]`` of the workspace, or a Spark DataFrame (profiled on Spark; with
``engine="spark"`` paths are profiled on Spark too, see :mod:`datalife.stats.spark`).
Thresholds come from the schema's ``drift`` settings (``skew`` for :func:`skew`), over datalife's
defaults (:data:`DEFAULT_THRESHOLDS`): verdicts use effect sizes, never p-values, because at
millions of rows a p-value flags shifts too small to matter. See ``docs/stats.md``.

Examples:
    >>> import pandas as pd
    >>> from datalife.drift import drift
    >>> base = pd.DataFrame({"color": ["red"] * 50 + ["blue"] * 50})
    >>> cur = pd.DataFrame({"color": ["red"] * 80 + ["blue"] * 20})
    >>> report = drift(base, cur)
    >>> report.drifted, report["color"].method, round(report["color"].value, 2)
    (True, 'linf', 0.3)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from datalife.drift.metrics import Points
from datalife.drift.report import (
    DEFAULT_SIGNIFICANCE,
    DEFAULT_THRESHOLDS,
    METRICS,
    THRESHOLD_METRICS,
    ColumnDrift,
    DriftDetected,
    DriftReport,
    Side,
    thresholds_for,
)
from datalife.errors import DriftInputError

if TYPE_CHECKING:
    from datalife.config import Workspace
    from datalife.schemas.model import ComparatorConfig, SchemaMeta
    from datalife.stats.engine import Scan
    from datalife.stats.profile import Profile, ProfileSettings

__all__ = [
    "DEFAULT_SIGNIFICANCE",
    "DEFAULT_THRESHOLDS",
    "METRICS",
    "RAW_MAX_VALUES",
    "THRESHOLD_METRICS",
    "ColumnDrift",
    "DriftDetected",
    "DriftReport",
    "drift",
    "skew",
]

#: Values kept per categorical column when both sides are raw data (beyond: pooled).
RAW_MAX_VALUES = 10_000


@dataclass
class _Side:
    label: str
    profile: Profile | None = None
    data: Any = None
    dataset: str | None = None
    scan: Scan | None = None
    #: profiled on Spark from data: raw data, but compared through its profile
    spark: bool = False

    @property
    def raw(self) -> bool:
        return self.profile is None or self.scan is not None or self.spark


def _classify(obj: Any, workspace: Workspace | None) -> _Side:
    from datalife.stats.profile import Profile
    from datalife.stats.store import ResolvedInput, resolve_input

    if isinstance(obj, Profile):
        version = obj.source.dataset_version
        label = f"profile of {obj.source.dataset or 'data'}" + (
            f"@{version[:12]}" if version else ""
        )
        return _Side(label, profile=obj, dataset=obj.source.dataset)
    if isinstance(obj, str | Path):
        obj = resolve_input(str(obj), workspace)
    if isinstance(obj, ResolvedInput):
        if obj.profile is not None:
            return _Side(obj.spec, profile=obj.profile, dataset=obj.dataset)
        return _Side(obj.spec, data=obj.paths, dataset=obj.dataset)
    if isinstance(obj, list | tuple) and obj and all(isinstance(p, str | Path) for p in obj):
        return _Side(", ".join(str(p) for p in obj), data=list(obj))
    return _Side(type(obj).__name__, data=obj)


def _schema_meta(schema: Any, workspace: Workspace | None) -> tuple[SchemaMeta | None, str | None]:
    from datalife.schemas.model import SchemaMeta, SchemaVersion

    if schema is None:
        return None, None
    if isinstance(schema, SchemaVersion):
        return schema.meta, schema.ref
    if isinstance(schema, SchemaMeta):
        return schema, f"{schema.name}@{schema.version}"
    if isinstance(schema, str):
        from datalife.schemas.registry import load_schema

        sv = load_schema(schema, workspace)
        return sv.meta, sv.ref
    raise DriftInputError(
        f"cannot read drift thresholds from a {type(schema).__name__}",
        hint="pass a schema reference such as 'penguins@2', a SchemaVersion or a SchemaMeta.",
    )


def _fetch_points(scan: Scan, column: str) -> Points:
    """Exact distinct finite values of ``column`` with their counts (sorted in numpy)."""
    import numpy as np

    from datalife.io import sql_ident

    c = sql_ident(column)
    x = scan.con.sql(
        f"SELECT {c}::DOUBLE AS x FROM src WHERE {c} IS NOT NULL AND isfinite({c}::DOUBLE)"
    ).fetchnumpy()["x"]
    values = np.sort(np.asarray(x, dtype=np.float64))
    if values.size == 0:
        return Points(values, values.copy())
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    counts = np.diff(np.append(starts, values.size)).astype(np.float64)
    return Points(values[starts], counts)


def drift(
    baseline: Any,
    current: Any,
    schema: str | SchemaMeta | Any | None = None,
    environment: str | None = None,
    *,
    comparison: Literal["drift", "skew"] = "drift",
    workspace: Workspace | str | Path | None = None,
    memory_limit: str | None = None,
    significance: float | None = DEFAULT_SIGNIFICANCE,
    pvalues: bool = True,
    engine: str | None = None,
) -> DriftReport:
    """Compare ``current`` with ``baseline``, column by column.

    Args:
        baseline: the reference: paths, a frame, a :class:`~datalife.stats.Profile` or the path
            of a saved one, or ``"DATASET[@VERSION]"``.
        current: the data to check, in any of the same forms.
        schema: where thresholds come from: ``"name@v"``, a ``SchemaVersion`` or a ``SchemaMeta``
            (its ``drift`` settings, or ``skew`` for ``comparison="skew"``). None: the defaults.
        environment: skip the columns the schema declares absent in this environment.
        comparison: ``"drift"`` (between versions) or ``"skew"`` (training vs serving).
        workspace: where datasets, saved profiles and schemas are looked up.
        memory_limit: DuckDB's memory limit for raw sides.
        significance: a threshold breach counts only if the column's test (KS for numbers,
            chi-square for categories) has a p-value below this; None: effect sizes alone.
        pvalues: compute ``ks_pvalue`` and ``chi2_pvalue`` for every column. False: only where
            ``significance`` needs one (a metric over its threshold), so that a caller that
            shows no p-value imports SciPy only then; the others are None, with a note.
            The verdicts are the same either way.
        engine: what profiles the data sides: ``"duckdb"`` (the default, except for a Spark
            DataFrame) or ``"spark"``. A side profiled on Spark is compared through its
            profile: numeric metrics (KS, Wasserstein, PSI) use the bucket representatives
            (within each column's ``resolution``), not the exact values DuckDB fetches when
            both sides are raw data on this machine.

    Returns:
        A :class:`DriftReport`; every metric is reported for every comparable column.

    Raises:
        DriftInputError: an input that names nothing, or a schema argument of the wrong type.
        InputError: unreadable data; ProfileError: a damaged saved profile.
    """
    from datalife.config import Workspace
    from datalife.stats.engine import DEFAULT_MEMORY_LIMIT, open_scan, profile_scan
    from datalife.stats.profile import ProfileSettings

    ws: Workspace | None
    if workspace is None or isinstance(workspace, Workspace):
        ws = workspace
    else:
        ws = Workspace.find(workspace)
    meta, schema_ref = _schema_meta(schema, ws)
    comparator: ComparatorConfig | None = None
    if meta is not None:
        comparator = meta.skew if comparison == "skew" else meta.drift
    notes: list[str] = []
    absent: list[str] = []
    if environment is not None:
        if meta is not None and environment in meta.environments:
            absent = list(meta.environments[environment].absent)
        elif meta is not None:
            notes.append(
                f"schema {schema_ref} defines no {environment!r} environment: no column skipped"
            )
        else:
            notes.append(f"no schema given: no column skipped for the {environment!r} environment")
    if meta is None:
        notes.append("no schema given: datalife's default thresholds apply")

    b, c = _classify(baseline, ws), _classify(current, ws)
    engines = {id(s): _engine_of(engine, s) for s in (b, c) if s.profile is None}
    given = [s.profile.settings for s in (b, c) if s.profile is not None]
    settings: ProfileSettings = given[0] if given else ProfileSettings(max_values=RAW_MAX_VALUES)

    with contextlib.ExitStack() as stack:
        for side in (b, c):
            if side.profile is None and engines[id(side)] == "spark":
                from datalife.stats.spark import profile_on_spark

                side.profile = profile_on_spark(
                    side.data,
                    settings=settings,
                    dataset=side.dataset,
                    workspace=ws,
                    memory_limit=memory_limit,
                )
                side.spark = True
            elif side.profile is None:
                side.scan = stack.enter_context(
                    open_scan(
                        side.data,
                        memory_limit=memory_limit or DEFAULT_MEMORY_LIMIT,
                        workspace=ws,
                        dataset=side.dataset,
                    )
                )
                side.profile = profile_scan(side.scan, settings)
        assert b.profile is not None
        assert c.profile is not None
        if b.spark or c.spark:
            notes.append(_SPARK_NOTE)
        columns = list(
            _compare_all(
                b,
                c,
                comparator,
                absent,
                environment,
                both_raw=b.scan is not None and c.scan is not None,
                significance=significance,
                pvalues=pvalues,
                roles=(
                    {n: m.role for n, m in meta.columns.items() if m.role is not None}
                    if meta is not None
                    else {}
                ),
            )
        )
    return DriftReport(
        comparison=comparison,
        baseline=_side_info(b),
        current=_side_info(c),
        columns=columns,
        schema=schema_ref,
        environment=environment,
        notes=notes,
        significance=significance,
        profiles=(b.profile, c.profile),
    )


_SPARK_NOTE = (
    "profiled on Spark: numeric metrics (ks, wasserstein, psi, jsd) are computed from the "
    "profiles' buckets, each value at its bucket's representative (exact: false, within each "
    "column's resolution), not from the exact values"
)


def _engine_of(engine: str | None, side: _Side) -> str:
    """The engine that profiles a data side: ``engine``, or Spark for a Spark DataFrame."""
    if engine in (None, "duckdb") and not type(side.data).__module__.startswith("pyspark"):
        return "duckdb"
    from datalife.stats.spark import check_profile_engine

    return check_profile_engine(engine, side.data)


def _side_info(s: _Side) -> Side:
    assert s.profile is not None
    return Side(
        label=s.label,
        rows=s.profile.rows,
        from_profile=not s.raw,
        dataset=s.profile.source.dataset or s.dataset,
        dataset_version=s.profile.source.dataset_version,
    )


def _compare_all(
    b: _Side,
    c: _Side,
    comparator: ComparatorConfig | None,
    absent: list[str],
    environment: str | None,
    *,
    both_raw: bool,
    significance: float | None,
    pvalues: bool,
    roles: dict[str, str] | None = None,
) -> Iterator[ColumnDrift]:
    """Each column compared; ``roles``: the schema's declared roles (an identifier or free text
    is skipped whatever its profile looks like; undeclared roles are inferred from profiles)."""
    from datalife.drift.compare import compare_column, family_of
    from datalife.stats.profile import NumericColumn

    assert b.profile is not None
    assert c.profile is not None
    bcols = {col.name: col for col in b.profile.columns}
    ccols = {col.name: col for col in c.profile.columns}
    names = [*bcols, *(n for n in ccols if n not in bcols)]
    for name in names:
        bc, cc = bcols.get(name), ccols.get(name)
        family = family_of((bc or cc).kind)  # type: ignore[union-attr]
        if name in absent:
            col = ColumnDrift(column=name, family=family, status="skipped")
            col.reason = f"absent in the {environment!r} environment"
            if cc is not None:
                col.notes["present"] = (
                    f"present in the current data although absent in {environment!r}"
                )
            yield col
            continue
        raw = None
        if (
            both_raw
            and isinstance(bc, NumericColumn)
            and isinstance(cc, NumericColumn)
            and bc.state.finite
            and cc.state.finite
        ):
            assert b.scan is not None
            assert c.scan is not None
            raw = (_fetch_points(b.scan, name), _fetch_points(c.scan, name))
        yield compare_column(
            name,
            bc,
            cc,
            thresholds_for(name, family, comparator),
            raw,
            significance,
            pvalues,
            role=(roles or {}).get(name),
        )


def skew(
    training: Any,
    serving: Any,
    schema: str | SchemaMeta | Any | None = None,
    environment: str = "serving",
    *,
    workspace: Workspace | str | Path | None = None,
    memory_limit: str | None = None,
    significance: float | None = DEFAULT_SIGNIFICANCE,
    pvalues: bool = True,
    engine: str | None = None,
) -> DriftReport:
    """Training/serving skew: :func:`drift` with the schema's ``skew`` thresholds, skipping the
    columns the schema declares absent in ``environment`` (the label, typically)."""
    return drift(
        training,
        serving,
        schema,
        environment,
        comparison="skew",
        workspace=workspace,
        memory_limit=memory_limit,
        significance=significance,
        pvalues=pvalues,
        engine=engine,
    )
