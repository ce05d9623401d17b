"""``datalife split PATH... --out DIR``: train/dev/test Parquet files and a split report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from datalife._env import single_threaded_blas
from datalife.cli._render import echo, emit_json, format_option, table


def _parse_ratios(text: str) -> tuple[float, ...]:
    from datalife.errors import SplitConfigError

    parts = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
    try:
        return tuple(float(p) for p in parts)
    except ValueError as exc:
        raise SplitConfigError(
            f"--ratios must be three numbers separated by commas, got {text!r}",
            hint="for example --ratios 0.8,0.1,0.1",
        ) from exc


@click.command("split")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(),
    help="Output directory for train.parquet, dev.parquet, test.parquet and split_report.json.",
)
@click.option(
    "--stratify",
    "stratify",
    multiple=True,
    metavar="COL",
    help="Spread this column's classes in proportion (repeat for a joint stratum).",
)
@click.option("--group", "group", metavar="COL", help="Never put one value of COL in two splits.")
@click.option(
    "--key",
    "key",
    metavar="COL",
    help="Assign by a hash of this unique column: stable when rows are appended.",
)
@click.option(
    "--order-by",
    "order_by",
    metavar="COL",
    help="Split by time: train the earliest rows of COL, dev the next, test the latest.",
)
@click.option(
    "--gap",
    "gap",
    type=float,
    default=0.0,
    metavar="SHARE",
    help="With --order-by: leave this share of the rows out after train and after dev.",
)
@click.option(
    "--ratios",
    "ratios",
    default="0.8,0.1,0.1",
    show_default=True,
    help="Shares of train, dev and test.",
)
@click.option(
    "--seed",
    "seed",
    type=click.IntRange(0, 2**32 - 1),
    default=0,
    show_default=True,
    help="Shuffle / hash seed.",
)
@click.option(
    "--rebalance",
    "rebalance",
    type=click.Choice(["downsample", "upsample", "weight"]),
    default=None,
    help="Even out train's classes (needs --stratify); dev and test are never changed.",
)
@click.option(
    "--no-duplicate-check",
    "no_duplicate_check",
    is_flag=True,
    help="Skip the search for identical rows shared across splits.",
)
@click.option(
    "--fail-on-leakage",
    "fail_on_leakage",
    is_flag=True,
    help="Exit 1 if identical rows are found in two splits (the files are still written).",
)
@click.option(
    "--drift/--no-drift",
    "drift",
    default=False,
    show_default=True,
    help="Compare dev and test with train, column by column, in the report (reads the outputs again).",
)
@click.option(
    "--engine",
    "engine",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="duckdb: in this process, out of core; spark: on Spark ([engine.spark] in "
    "datalife.toml), each split a directory of Parquet parts (exact, group and key modes).",
)
@click.option("--no-record", is_flag=True, help="Do not append this run to the lineage log.")
@format_option()
def split_cmd(
    paths: tuple[str, ...],
    out: str,
    stratify: tuple[str, ...],
    group: str | None,
    key: str | None,
    order_by: str | None,
    gap: float,
    ratios: str,
    seed: int,
    rebalance: str | None,
    no_duplicate_check: bool,
    fail_on_leakage: bool,
    drift: bool,
    engine: str,
    no_record: bool,
    fmt: str,
) -> int:
    """Split data files into train/dev/test Parquet files in --out.

    \b
    Modes:
      default        exact: every class within one row of its target share (--stratify)
      --group COL    no value of COL in two splits (users, sessions, patients)
      --key COL      stable: a row's split is a hash of its key, appends never move rows
      --order-by COL time: train on the earliest rows, evaluate on later ones (--gap)

    With --engine spark the rows are split and written by Spark: key mode puts every row in
    the same split as the DuckDB engine; --order-by and --drift are refused.

    Exit 0 when written, 1 when the data cannot be split (or leaks, with --fail-on-leakage),
    2 for bad options, unreadable input or an unwritable --out.
    """
    single_threaded_blas()
    from datalife.splits import SplitParams

    params = SplitParams.build(
        ratios=_parse_ratios(ratios),
        stratify=list(stratify) or None,
        group=group,
        key=key,
        seed=seed,
        rebalance=rebalance,
        order_by=order_by,
        gap=gap,
    )
    if engine == "spark":  # what Spark cannot do is refused before anything runs
        from datalife.splits._spark import check_supported

        check_supported(params, drift=drift)
    _check_out_inside(out)
    from datalife.cli._progress import progress, size_of

    with progress(f"splitting {size_of(paths)}", fmt=fmt):
        result = _run(
            list(paths),
            out,
            params,
            not no_duplicate_check,
            record=not no_record,
            drift=drift,
            engine=engine,
        )
    report = result.report
    if fmt == "json":
        emit_json(result.to_dict())
    else:
        render(result)
    late = report.time_order.late_train_rows if report.time_order else 0
    if fail_on_leakage and (report.duplicates.shared_rows or late):
        return 1
    return 0


def _check_out_inside(out: str) -> None:
    """Inside a workspace, --out stays in it (or in a folder its config lists in `roots`)."""
    import os

    from datalife.config import Workspace
    from datalife.errors import OutputNotWritable

    found = Workspace.locate()
    if found is None:
        return
    ws = Workspace.load(found)
    target = os.path.realpath(out)
    allowed = [ws.root, *(ws.root / r for r in ws.config.roots)]
    for root in allowed:
        base = os.path.realpath(root)
        if os.path.commonpath([target, base]) == base:
            return
    raise OutputNotWritable(
        f"{out}: outside the workspace {ws.root}; datalife writes only inside it",
        path=out,
        hint=f"choose an --out folder inside the workspace, or list the folder under `roots` "
        f"in {ws.config_path.name}.",
    )


def _run(
    paths: list[str],
    out: str,
    params: Any,
    check: bool,
    *,
    record: bool,
    drift: bool = False,
    engine: str = "duckdb",
) -> Any:
    from datalife.config import Workspace
    from datalife.splits import split

    kwargs: dict[str, Any] = {
        "ratios": params.ratios,
        "stratify": list(params.stratify) or None,
        "group": params.group,
        "key": params.key,
        "seed": params.seed,
        "rebalance": params.rebalance,
        "order_by": params.order_by,
        "gap": params.gap,
        "out": out,
        "check_duplicates": check,
        "drift": drift,
        "engine": engine,
    }
    if engine == "spark":
        _quiet_spark()
    found = Workspace.locate() if record else None
    if found is None:
        return split(paths, **kwargs)
    ws = Workspace.load(found)
    return _run_journaled(ws, paths, out, params, kwargs)


def _quiet_spark() -> None:
    """The command's classic Spark session logs nothing on stderr: a failed task's stack
    traces would bury the error datalife reports (with Spark's message in it)."""
    from datalife.engines.spark.session import get_session, placement

    session = get_session(placement())
    if type(session).__module__.startswith("pyspark.sql.connect"):
        return  # a Connect server logs on its own side
    session.sparkContext.setLogLevel("OFF")


def _run_journaled(ws: Any, paths: list[str], out: str, params: Any, kwargs: Any) -> Any:
    """Split and record, in the order that survives a kill: outputs, then the COMPLETE event,
    with a journal in ``lineage/`` (see :mod:`datalife.lineage.journal`); a run killed
    before is finished or rolled back first, and says so on stderr."""
    from datalife import lineage
    from datalife.lineage.journal import recover, remove_journal, sweep_dead_runs, write_journal
    from datalife.lineage.store import LineageStore
    from datalife.splits import split
    from datalife.storage import directory_lock, hash_bytes, hash_file, remove_stale_temporaries

    key = hash_bytes(ws.relpath(Path(out).resolve()).encode())[:12]
    journal = ws.lineage_dir / f".split-{key}.journal"
    with directory_lock(ws.root):  # one recorded writer at a time; creates nothing
        remove_stale_temporaries(ws.lineage_dir)  # of killed processes only
        store = LineageStore(ws.lineage_dir, ws.root)
        done = recover(journal, ws.root, store)
        for note in [*([done] if done is not None else []), *sweep_dead_runs(store)]:
            echo(f"recovered: {note}", err=True)
        run = lineage.run("split", workspace=ws, parameters=params.to_dict())
        base = {"run_id": run.id, "job": "split", "namespace": run.namespace}
        write_journal(journal, {**base, "phase": "running"})
        completed = False
        try:
            with run:
                engine = str(kwargs["engine"])
                session = None
                if engine == "spark":  # where Spark runs: its master and version
                    from datalife.engines.spark.session import get_session, placement

                    session = get_session(placement())
                run.engine(engine, session)  # a failed run's event says so too
                result = split(paths, provenance={"run_id": run.id}, **kwargs)
                names = {n for p in paths for n in ws.datasets_for(p)}
                dataset = names.pop() if len(names) == 1 else None
                if len(result.inputs) == 1:
                    only = result.inputs[0]
                    run.input(only["path"], content_hash=only["blake3"])
                else:
                    run.input([i["path"] for i in result.inputs], name=dataset)
                for name in ("train", "dev", "test"):
                    written = result.files[name]
                    if written.is_dir():  # Spark: a directory of parts, one dataset
                        run.output(
                            [str(p) for p in _parts(written)],
                            name=ws.relpath(written),
                            rows=_rows_in(result, name),
                        )
                    else:
                        run.output(str(written), rows=_rows_in(result, name))
                outputs = {
                    ws.relpath(f): hash_file(f)
                    for path in result.files.values()
                    for f in (_parts(path) if path.is_dir() else [path])
                }
                write_journal(
                    journal,
                    {
                        **base,
                        "phase": "written",
                        "outputs": outputs,
                        "complete_event": run.complete_event(),
                    },
                )
                completed = True
        finally:
            if not completed:
                remove_journal(journal)  # recorded as FAIL (or never started)
        remove_journal(journal)
    return result


def _parts(directory: Path) -> list[Path]:
    """The Parquet parts of a split directory (the Spark engine's output), in order."""
    return sorted(directory.glob("part-*.parquet"))


def _rows_in(result: Any, name: str) -> int:
    rows = result.report.rows[name]
    if name == "train" and result.report.rebalance is not None:
        return int(result.report.rebalance.rows_after)
    return int(rows)


def _figure(f: Any) -> str:
    if not f or f.get("value") is None:
        return "not comparable"
    mark = "  DRIFT" if f.get("drifted") else ""
    return f"{f['method']} {f['value']:.3f}{mark}"


def _fmt_share(x: float) -> str:
    return f"{x:.4f}"


def render(result: Any) -> None:
    """The split report as text."""
    report = result.report
    p = report.params
    echo(f"{report.summary()}, seed {p.seed}")
    table(
        ["split", "rows", "share", "target share", "target rows", "deviation"],
        [
            [
                s.split,
                f"{s.rows:,}",
                _fmt_share(s.rows / report.total_rows if report.total_rows else 0.0),
                f"{ratio:g}",
                f"{s.target:,.1f}",
                f"{s.deviation:+,.1f}"
                + (f" ({s.deviation / s.noise_sd:+.1f} sd)" if s.noise_sd else ""),
            ]
            for s, ratio in zip(report.sizes, p.ratios, strict=True)
        ],
    )
    if report.classes:
        echo("")
        table(
            ["class", "rows", "whole", "train", "dev", "test"],
            [
                [
                    c.label,
                    f"{c.rows:,}",
                    _fmt_share(c.share),
                    *(
                        f"{_fmt_share(c.split_shares[s])} ({c.split_rows[s]:,})"
                        for s in ("train", "dev", "test")
                    ),
                ]
                for c in report.classes[:30]
            ],
            title="class share of each split (rows)",
        )
        if len(report.classes) > 30:
            echo(f"... {len(report.classes) - 30} more classes (see --format json)")
        d = report.largest_deviation
        if d is not None:
            echo(
                f"largest deviation: {d.label!r} is {_fmt_share(d.share)} of {d.split} vs "
                f"{_fmt_share(d.expected_share)} of all rows ({d.share_deviation:+.4f}); "
                f"largest count deviation {report.max_row_deviation:.2f} rows"
            )
    if report.groups is not None:
        g = report.groups
        spread = ", ".join(f"{k} {v:,}" for k, v in g.per_split.items())
        echo(f"groups ({g.column}): {g.count:,} ({spread}); in two splits: {g.overlap}")
    t = report.time_order
    if t is not None:
        periods = "; ".join(f"{k} {v[0]} .. {v[1]}" for k, v in t.periods.items())
        gap = f"; {t.gap_rows:,} rows left out as gaps" if t.gap_rows else ""
        echo(f"periods by {t.column}: {periods}{gap}")
        echo(
            f"training ends before evaluation begins: {'yes' if t.ok else 'NO'} "
            f"(last train {t.train_max}, first dev/test {t.eval_min}"
            + (f"; {t.late_train_rows:,} train rows later" if not t.ok else "")
            + ")"
        )
    dup = report.duplicates
    if dup.checked:
        echo(
            f"identical rows in two splits: {dup.shared_rows:,}"
            + (f" ({dup.shared_contents:,} distinct)" if dup.shared_rows else "")
        )
    else:
        echo("identical rows in two splits: not checked")
    figures = {c: f for c, f in report.drift.items() if f}
    if figures:
        table(
            ["column", "dev vs train", "test vs train"],
            [[c, *(_figure(f.get(s)) for s in ("dev", "test"))] for c, f in figures.items()],
            title="drift between splits (the metric that decides for the column)",
        )
    if report.rebalance is not None:
        r = report.rebalance
        echo(f"train rebalanced ({r.method}): {r.rows_before:,} -> {r.rows_after:,} rows")
    for w in report.warnings:
        echo(f"warning: {w}")
    if result.files:
        written = ", ".join(str(result.files[k]) for k in ("train", "dev", "test", "report"))
        echo(f"wrote {written}")
