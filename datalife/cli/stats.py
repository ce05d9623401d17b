"""``datalife stats``, ``datalife drift`` and ``datalife skew``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from datalife.cli._render import echo, emit_json, format_option, table
from datalife.cli.validate import EngineName

_SPARK = "▁▂▃▄▅▆▇█"


def _fmt(x: Any) -> str:
    """A number for a table: integers as is, floats with 6 significant digits."""
    if x is None:
        return "-"
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if x.is_integer() and abs(x) < 1e15:
            return str(int(x))
        return f"{x:.6g}"
    return str(x)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _spark(counts: list[int]) -> str:
    top = max(counts) if counts else 0
    if not top:
        return ""
    return "".join(_SPARK[0] if c == 0 else _SPARK[min(7, (8 * c - 1) // top)] for c in counts)


_ENGINE_HELP = (
    "What computes the profiles: duckdb (this machine, out of core) or spark (where "
    "[engine.spark] or $DATALIFE_SPARK_MASTER / $DATALIFE_SPARK_REMOTE say; the same profile)."
)


_F = TypeVar("_F", bound=Callable[..., Any])


def engine_option() -> Callable[[_F], _F]:
    """The ``--engine`` option of the commands that compute profiles."""
    return click.option(
        "--engine",
        type=EngineName(),
        default="duckdb",
        show_default=True,
        help=_ENGINE_HELP,
    )


def _profile_engine(engine: str) -> str:
    """``duckdb`` or ``spark``; exit 2 naming the engines that profile for any other."""
    if engine in ("duckdb", "auto"):
        return "duckdb"
    from datalife.stats.spark import check_profile_engine

    return check_profile_engine(engine, None)


def _computed_by(engine: str) -> dict[str, str]:
    """Which engine computed the profiles (and where Spark ran): for the JSON output."""
    if engine != "spark":
        return {"engine": engine}
    from datalife.stats.spark import where

    return {"engine": "spark", "spark": where()}


def _workspace() -> Any:
    from datalife.config import Workspace

    return Workspace.find() if Workspace.locate() is not None else None


def _render_profile(profile: Any, label: str) -> None:
    from datalife.stats import CategoricalColumn, NumericColumn, TimestampColumn

    src = profile.source
    files = f"{len(src.files)} file{'s' if len(src.files) != 1 else ''}, " if src.files else ""
    version = f" (dataset version {src.dataset_version[:12]})" if src.dataset_version else ""
    echo(f"{label}: {files}{profile.rows} rows, {len(profile.columns)} columns{version}")

    def distinct(c: Any) -> str:
        if c.distinct is None:
            return "-"
        return ("~" if c.distinct_method == "hll" else "") + str(c.distinct)

    def missing(c: Any) -> str:
        return f"{c.missing} ({_pct(c.missing_share)})" if c.missing else "0"

    nums = [c for c in profile.columns if isinstance(c, NumericColumn)]
    if nums:
        echo()
        table(
            [
                "column",
                "type",
                "missing",
                "distinct",
                "min",
                "mean",
                "std",
                "p50",
                "max",
                "zeros",
                "histogram",
            ],
            [
                [
                    c.name,
                    c.dtype,
                    missing(c),
                    distinct(c),
                    _fmt(c.min),
                    _fmt(c.mean),
                    _fmt(c.std),
                    _fmt(c.quantiles.get("p50")),
                    _fmt(c.max),
                    c.zeros,
                    _spark(c.histogram.counts) if c.histogram else "",
                ]
                for c in nums
            ],
            title="numeric columns",
        )
    cats = [c for c in profile.columns if isinstance(c, CategoricalColumn)]
    if cats:
        echo()

        def top(c: Any) -> str:
            shown = ", ".join(f"{t.value} {_pct(t.share)}" for t in c.top[:5])
            more = len(c.top) > 5 or (c.distinct or 0) > 5
            return shown + (", ..." if more else "")

        table(
            ["column", "type", "missing", "distinct", "top values", "avg length"],
            [
                [
                    c.name,
                    c.dtype,
                    missing(c),
                    distinct(c),
                    top(c),
                    _fmt(c.length_mean and round(c.length_mean, 2)),
                ]
                for c in cats
            ],
            title="categorical columns",
        )
    times = [c for c in profile.columns if isinstance(c, TimestampColumn)]
    if times:
        echo()
        table(
            ["column", "type", "missing", "distinct", "min", "max", "histogram"],
            [
                [
                    c.name,
                    c.dtype,
                    missing(c),
                    distinct(c),
                    c.min or "-",
                    c.max or "-",
                    _spark(c.histogram.counts) if c.histogram else "",
                ]
                for c in times
            ],
            title="timestamp columns",
        )
    others = [c for c in profile.columns if c.kind == "other"]
    if others:
        echo()
        table(
            ["column", "type", "missing"],
            [[c.name, c.dtype, missing(c)] for c in others],
            title="other columns (counts only)",
        )


@click.command("stats")
@click.argument("inputs", nargs=-1, required=True, metavar="PATH...|DATASET[@VERSION]")
@format_option()
@click.option(
    "--save",
    is_flag=True,
    help="Save the profile as lineage/profiles/<dataset_version>.json in the workspace.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the profile JSON to this file.",
)
@click.option(
    "--top-k", type=click.IntRange(1), default=10, show_default=True, help="Top values shown."
)
@click.option("--no-record", is_flag=True, help="With --save: do not record it in the lineage log.")
@engine_option()
@click.option(
    "--label",
    "labels",
    multiple=True,
    help="Show the class balance of COLUMN (repeatable); a dataset's schema declares its own.",
)
def stats_cmd(
    inputs: tuple[str, ...],
    fmt: str,
    save: bool,
    out: str | None,
    top_k: int,
    no_record: bool,
    engine: str,
    labels: tuple[str, ...],
) -> int:
    """Profile data files, a dataset (DATASET, or DATASET@VERSION for a saved version), or
    show a saved profile: counts, missing, distinct, min/max/mean/std, quantiles, histograms
    and top values per column."""
    from pathlib import Path

    from datalife.errors import DriftInputError
    from datalife.stats import save_profile, stats
    from datalife.stats.store import resolve_input

    engine = _profile_engine(engine)
    ws = _workspace()
    resolved = [resolve_input(spec, ws) for spec in inputs]
    saved = [r for r in resolved if r.profile is not None]
    if saved and len(resolved) > 1:
        raise DriftInputError(
            "give either one saved profile or data files, not both",
            hint="run `datalife stats` once per saved profile.",
        )
    paths: list[Path] = []
    if saved:
        profile = saved[0].profile
        assert profile is not None
    else:
        paths = [p for r in resolved for p in r.paths]
        datasets = {r.dataset for r in resolved}
        dataset = datasets.pop() if len(datasets) == 1 else None
        from datalife.cli._progress import progress, size_of
        from datalife.errors import InputError

        try:
            with progress(f"profiling {size_of(paths)}", fmt=fmt) as update:
                profile = stats(
                    paths,
                    dataset=dataset,
                    workspace=ws,
                    top_k=top_k,
                    engine=engine,
                    progress=update,
                )
        except InputError as exc:
            if save and ws is not None and not no_record:
                from datalife.cli.validate import record_unreadable

                record_unreadable(ws, "profile", paths, exc)
            raise
    if out:
        profile.save(out)
    if save:
        if ws is None:
            from datalife.errors import WorkspaceNotFound

            raise WorkspaceNotFound.from_start(Path.cwd())
        from datalife import lineage

        # the profile is an artifact of this dataset version: record where it came from
        with lineage.run("profile", workspace=ws, record=bool(paths) and not no_record) as run:
            if paths:
                run.input(paths)
            path = save_profile(profile, ws)
            run.output(path, name=ws.relpath(path))
        echo(f"saved profile: {ws.relpath(path)}", err=True)
    balances = _class_balances(profile, labels, resolved, ws)
    if fmt == "json":
        data = profile.to_dict()
        if balances:
            data["class_balance"] = [b.to_dict() for b in balances]
        if not saved and engine != "duckdb":
            data["computed_by"] = _computed_by(engine)
        emit_json(data)
    else:
        label = " ".join(inputs)
        _render_profile(profile, label)
        if not saved and engine != "duckdb":
            echo(f"\ncomputed on {_computed_by(engine)['spark']}")
        for b in balances:
            echo(b.to_text())
    return 0


def _class_balances(profile: Any, labels: tuple[str, ...], resolved: Any, ws: Any) -> list[Any]:
    """The class balance of the label columns: given with --label, or declared by the schema
    of the dataset profiled."""
    from datalife.errors import DatalifeError
    from datalife.stats.balance import class_balance

    names = list(dict.fromkeys(labels))
    datasets = {getattr(r, "dataset", None) for r in resolved} - {None}
    if ws is not None and len(datasets) == 1:
        from datalife.schemas.model import Role
        from datalife.schemas.registry import SchemaRegistry

        dataset = next(iter(datasets))
        schema = ws.config.schema_for(dataset) if dataset in ws.config.datasets else None
        reg = SchemaRegistry(ws)
        if schema is not None and reg.versions(schema):
            meta = reg.load(schema).meta
            names += [c for c, m in meta.columns.items() if m.role == Role.LABEL and c not in names]
    by_name = {c.name: c for c in profile.columns}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise DatalifeError(
            f"no column {', '.join(map(repr, missing))} in the data",
            hint=f"the columns are {', '.join(by_name)}.",
        )
    return [class_balance(by_name[n]) for n in names]


def _worst(c: dict[str, Any]) -> str:
    w = c.get("worst")
    if not w:
        return ""
    share = f"{_pct(w['baseline_share'])} -> {_pct(w['current_share'])}"
    if "value" in w:
        return f"{w['value']}: {share}"
    lo, hi = w["bin"]
    return f"({_fmt(lo) if lo is not None else '-inf'}, {_fmt(hi) if hi is not None else 'inf'}]: {share}"


def _render_drift(report: Any) -> None:
    d = report.to_dict()
    b, c = d["baseline"], d["current"]

    def side(s: dict[str, Any]) -> str:
        kind = "profile" if s["from_profile"] else "data"
        return f"{s['label']} ({s['rows']} rows, {kind})"

    echo(f"{d['comparison']}: baseline {side(b)} -> current {side(c)}")
    thresholds = f"schema {d['schema']}" if d["schema"] else "datalife defaults"
    env = f", environment {d['environment']!r}" if d["environment"] else ""
    echo(f"thresholds: {thresholds}{env}")
    echo()
    compared = [col for col in d["columns"] if col["status"] in ("ok", "drift")]
    table(
        ["column", "kind", "status", "decided by", "value", "threshold", "moved most"],
        [
            [
                col["column"],
                col["kind"],
                "DRIFT" if col["drifted"] else ("ok (noise)" if col["within_noise"] else "ok"),
                col["method"] or "-",
                _fmt(col["value"]),
                _fmt(col["threshold"]),
                _worst(col),
            ]
            for col in compared
        ],
    )
    if compared:
        from datalife.drift.report import METRICS

        echo()
        table(
            ["column", *METRICS, "n_baseline", "n_current"],
            [
                [
                    col["column"],
                    *(_fmt(col[m]) for m in METRICS),
                    col["n_baseline"],
                    col["n_current"],
                ]
                for col in compared
            ],
            title="metrics",
        )
    rest = [col for col in d["columns"] if col["status"] not in ("ok", "drift")]
    if rest:
        echo()
        for col in rest:
            echo(f"{col['column']}: {col['status'].replace('_', ' ')}: {col['reason']}")
    noisy = [col for col in compared if col["within_noise"]]
    for col in noisy:
        echo(f"note: {col['column']}: {col['notes'].get('verdict', '')}")
    for note in d["notes"]:
        echo(f"note: {note}")
    echo()
    echo(("DRIFT: " if d["drifted"] else "") + d["summary"])


def _auto_schema(sides: list[Any], ws: Any) -> str | None:
    """The schema of the dataset both sides belong to, if the registry holds it."""
    if ws is None:
        return None
    names = {s.dataset for s in sides if s.dataset}
    if len(names) != 1:
        return None
    name = ws.schema_for(names.pop())
    from datalife.schemas.registry import SchemaRegistry

    registry = SchemaRegistry.for_workspace(ws)
    return name if name in registry.names() else None


def _compare(
    comparison: str,
    base: str,
    current: str,
    schema: str | None,
    environment: str | None,
    fmt: str,
    noise_guard: bool = True,
    engine: str = "duckdb",
) -> int:
    from datalife.drift import DEFAULT_SIGNIFICANCE, drift
    from datalife.stats.store import resolve_input

    engine = _profile_engine(engine)
    ws = _workspace()
    sides = [resolve_input(base, ws), resolve_input(current, ws)]
    if schema is None:
        schema = _auto_schema(sides, ws)
    report = drift(
        sides[0],
        sides[1],
        schema,
        environment,
        comparison="skew" if comparison == "skew" else "drift",
        workspace=ws,
        significance=DEFAULT_SIGNIFICANCE if noise_guard else None,
        engine=engine,
    )
    if fmt == "json":
        data = report.to_dict()
        if engine != "duckdb" and not all(
            s["from_profile"] for s in (data["baseline"], data["current"])
        ):
            data["computed_by"] = _computed_by(engine)
        emit_json(data)
    else:
        _render_drift(report)
    return 1 if report.drifted else 0


_GUARD_HELP = (
    "Flag every threshold breach, even when the column's test (KS, chi-square) finds the "
    "difference within sampling noise (p >= 0.05). Off by default: small samples are noisy."
)
_SCHEMA_HELP = (
    "Schema NAME[@VERSION] whose thresholds apply (default: the schema of the datasets "
    "compared, if registered; otherwise datalife's defaults)."
)


@click.command("drift")
@click.argument("base", metavar="BASE")
@click.argument("current", metavar="CURRENT")
@click.option("--schema", "schema", default=None, metavar="NAME[@V]", help=_SCHEMA_HELP)
@click.option("--no-noise-guard", "no_guard", is_flag=True, help=_GUARD_HELP)
@engine_option()
@format_option()
def drift_cmd(
    base: str, current: str, schema: str | None, no_guard: bool, engine: str, fmt: str
) -> int:
    """Compare CURRENT with BASE column by column; exit 1 if any threshold is exceeded.

    Each side is a data file, a saved profile (.json), or DATASET[@VERSION].
    """
    return _compare("drift", base, current, schema, None, fmt, not no_guard, engine)


@click.command("skew")
@click.argument("training", metavar="TRAINING")
@click.argument("serving", metavar="SERVING")
@click.option("--schema", "schema", default=None, metavar="NAME[@V]", help=_SCHEMA_HELP)
@click.option(
    "--environment",
    default="serving",
    show_default=True,
    help="Columns the schema declares absent in this environment are skipped.",
)
@click.option("--no-noise-guard", "no_guard", is_flag=True, help=_GUARD_HELP)
@engine_option()
@format_option()
def skew_cmd(
    training: str,
    serving: str,
    schema: str | None,
    environment: str,
    no_guard: bool,
    engine: str,
    fmt: str,
) -> int:
    """Training/serving skew: compare SERVING with TRAINING using the schema's skew thresholds;
    columns absent at serving (such as the label) are skipped. Exit 1 on skew."""
    return _compare("skew", training, serving, schema, environment, fmt, not no_guard, engine)
