"""``datalife monitor``: judge new batches over time; ``history`` and ``thresholds``."""

from __future__ import annotations

from typing import Any

import click

from datalife.cli._render import echo, emit_json, format_option, table

_RULE_OPTIONS = [
    click.option(
        "--rule",
        type=click.Choice(["mad", "quantile"]),
        default=None,
        help="How thresholds are learned: median + k·MAD, or a quantile (default: [monitor] rule).",
    ),
    click.option(
        "--k",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        help="k of median + k·1.4826·MAD.",
    ),
    click.option(
        "--quantile",
        type=click.FloatRange(0, 1, min_open=True),
        default=None,
        help="The quantile for --rule quantile.",
    ),
    click.option(
        "--window", type=click.IntRange(min=2), default=None, help="Learn from the last N batches."
    ),
    click.option(
        "--warmup",
        type=click.IntRange(min=2),
        default=None,
        help="Batches before a threshold is learned.",
    ),
]


def _rule_options(f: Any) -> Any:
    for option in reversed(_RULE_OPTIONS):
        f = option(f)
    return f


class MonitorGroup(click.Group):
    """``datalife monitor DATASET BATCH...`` runs ``check``; other first words are subcommands."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["check", *args]
        return super().parse_args(ctx, args)


@click.group("monitor", cls=MonitorGroup)
def monitor_group() -> None:
    """Monitor a dataset over time: `datalife monitor DATASET BATCH...`.

    Each batch is profiled against the reference (the dataset's files now, or --reference),
    per slice and as a whole, with model metrics when the schema declares a label and a
    prediction column. Every value is recorded in the history (lineage/monitor.duckdb,
    `[monitor] store`) and judged by its threshold: fixed in the schema, or learned from
    the history. Exit 1 when a threshold is crossed.
    """


def _abs(store: str | None) -> str | None:
    """``--store`` is relative to the current folder (``[monitor] store`` to the workspace)."""
    from pathlib import Path

    return None if store is None else str(Path(store).resolve())


def _f(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


@monitor_group.command("check")
@click.argument("dataset")
@click.argument("batches", nargs=-1, required=True, metavar="BATCH...")
@click.option(
    "--reference",
    default=None,
    metavar="REF",
    help="What normal is: data files, a saved profile, or DATASET@VERSION (default: the dataset's files now).",
)
@click.option(
    "--slice",
    "slices",
    multiple=True,
    metavar="COL[,COL]",
    help="Also monitor each value (combination) of these columns on its own; repeatable.",
)
@click.option("--label", default=None, help="The label column (default: role label in the schema).")
@click.option(
    "--prediction",
    default=None,
    help="The prediction column (default: role prediction in the schema).",
)
@click.option(
    "--store", default=None, metavar="PATH", help="The history store (default: [monitor] store)."
)
@click.option(
    "--min-support",
    type=click.IntRange(min=1),
    default=None,
    help="Smaller slices are reported as too small.",
)
@_rule_options
@format_option()
def check_cmd(
    dataset: str,
    batches: tuple[str, ...],
    reference: str | None,
    slices: tuple[str, ...],
    label: str | None,
    prediction: str | None,
    store: str | None,
    min_support: int | None,
    rule: str | None,
    k: float | None,
    quantile: float | None,
    window: int | None,
    warmup: int | None,
    fmt: str,
) -> int:
    """Judge BATCH... of DATASET against the reference and the history (exit 1 on an alarm)."""
    from datalife.monitor import monitor

    run = monitor(
        dataset,
        list(batches),
        reference=reference,
        slices=list(slices),
        label=label,
        prediction=prediction,
        store=_abs(store),
        min_support=min_support,
        rule=rule,
        k=k,
        quantile=quantile,
        window=window,
        warmup=warmup,
    )
    if fmt == "json":
        emit_json(run.to_dict())
    else:
        _render_run(run)
    return 1 if run.alarmed else 0


def _render_run(run: Any) -> None:
    echo(
        f"monitor {run.dataset}: reference {run.reference} ({run.reference_rows} rows), "
        f"schema {run.schema or '(none)'}, history {run.store}"
    )
    echo(f"learned thresholds: {run.rule}")
    if run.label:
        echo(
            f"label {run.label!r} ({run.task})"
            + (f", prediction {run.prediction!r}" if run.prediction else "")
        )
    for note in run.notes:
        echo(f"note: {note}")
    for b in run.batches:
        echo("")
        state = f"{len(b.alarms)} ALARM{'S' if len(b.alarms) != 1 else ''}" if b.alarms else "ok"
        echo(f"batch {b.seq}: {b.name} ({b.rows} rows, {b.batch_id[:12]}): {state}")
        for note in b.notes:
            echo(f"  note: {note}")
        whole = [
            v
            for v in b.values
            if not v.slice
            and v.threshold
            and v.threshold.kind != "none"
            and (v.metric != "missing_share" or v.value or v.alarm)
        ]
        if whole:
            table(
                ["column", "metric", "value", "threshold", "rule", "status"],
                [
                    [
                        v.column,
                        v.metric,
                        _f(v.value),
                        _f(v.threshold.value) if v.threshold else "-",
                        _rule(v.threshold),
                        "ALARM" if v.alarm else "ok",
                    ]
                    for v in whole
                ],
            )
        if b.slices:
            echo("slices")
            table(
                ["slice", "support", "share", "reference", "status", "moved most"],
                [
                    [
                        s.slice + (" (rare)" if s.rare else ""),
                        s.support,
                        f"{100 * s.share:.1f}%",
                        _f(s.reference_support),
                        s.status.upper() if s.status == "alarm" else s.status,
                        _worst(s.worst),
                    ]
                    for s in b.slices
                ],
            )
        for a in b.alarms:
            echo(f"ALARM {a.describe()}")
        for f in b.findings:
            echo(f"{f.kind}: {f.text}")


def _rule(th: Any) -> str:
    if th is None:
        return ""
    if th.kind == "learned":
        return f"learned (n={th.basis.get('n')})"
    if th.kind == "warmup":
        return f"warming up ({th.basis.get('n', 0)} so far)"
    return str(th.rule).removeprefix("fixed: ")


def _worst(w: dict[str, Any] | None) -> str:
    if not w:
        return ""
    limit = f" (threshold {_f(w['threshold'])})" if w.get("threshold") is not None else ""
    return f"{w['column']} {w['metric']} {_f(w['value'])}{limit}"


@monitor_group.command("history")
@click.argument("dataset")
@click.option(
    "--slice",
    "slice_",
    default="",
    metavar="SLICE",
    help="A slice value, e.g. species=Adelie (default: whole batches).",
)
@click.option("--column", "columns", multiple=True, help="Only this column (repeatable).")
@click.option("--metric", "metrics", multiple=True, help="Only this metric (repeatable).")
@click.option(
    "--last",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="The most recent N batches.",
)
@click.option("--all", "all_", is_flag=True, help="Every batch (overrides --last).")
@click.option(
    "--store", default=None, metavar="PATH", help="The history store (default: [monitor] store)."
)
@format_option()
def history_cmd(
    dataset: str,
    slice_: str,
    columns: tuple[str, ...],
    metrics: tuple[str, ...],
    last: int,
    all_: bool,
    store: str | None,
    fmt: str,
) -> int:
    """Show DATASET's metrics over its batches (a table; --format json for every series)."""
    from datalife.monitor import history

    h = history(
        dataset,
        store=_abs(store),
        slice=slice_,
        columns=list(columns),
        metrics=list(metrics),
        last=None if all_ else last,
    )
    if fmt == "json":
        import orjson

        # orjson: ten thousand batches of every series print in a fraction of json's time
        click.echo(orjson.dumps(h.to_dict(), option=orjson.OPT_INDENT_2).decode())
        return 0
    shown = f"last {len(h.batches)} of {h.total}" if len(h.batches) < h.total else f"{h.total}"
    echo(f"{dataset}: {shown} batches in {h.store}" + (f", slice {slice_}" if slice_ else ""))
    if not h.batches:
        return 0
    series = h.series
    if not (columns or metrics):
        # one number per column (psi for numbers, linf for categories), model quality, and
        # whatever alarmed
        keep = {"psi", "linf", "accuracy", "macro_f1", "mae", "rmse", "unseen_classes"}
        linf_columns = {s.column for s in series if s.metric == "linf"}
        series = [
            s
            for s in series
            if any(s.alarms)
            or (s.metric in keep and not (s.metric == "psi" and s.column in linf_columns))
        ]
    table(
        ["batch", "name", "rows", "alarms", *(s.key for s in series)],
        [
            [
                b["seq"],
                b["name"],
                b["rows"],
                b["alarms"],
                *(_f(s.values[i]) + ("!" if s.alarms[i] else "") for s in series),
            ]
            for i, b in enumerate(h.batches)
        ],
    )
    echo("! marks a value past its threshold; `--format json` has the thresholds and rules")
    return 0


@monitor_group.command("thresholds")
@click.argument("dataset")
@click.option(
    "--propose",
    is_flag=True,
    help="Write the learned thresholds as the next version of the dataset's schema.",
)
@click.option(
    "--store", default=None, metavar="PATH", help="The history store (default: [monitor] store)."
)
@click.option("--no-record", is_flag=True, help="Do not append the write to the lineage log.")
@_rule_options
@format_option()
def thresholds_cmd(
    dataset: str,
    propose: bool,
    store: str | None,
    no_record: bool,
    rule: str | None,
    k: float | None,
    quantile: float | None,
    window: int | None,
    warmup: int | None,
    fmt: str,
) -> int:
    """Show the drift thresholds learned from DATASET's history (--propose: write them)."""
    from datalife.monitor import propose_thresholds

    p = propose_thresholds(
        dataset,
        store=_abs(store),
        write=propose,
        record=not no_record,
        rule=rule,
        k=k,
        quantile=quantile,
        window=window,
        warmup=warmup,
    )
    if fmt == "json":
        emit_json(p.to_dict())
        return 0
    echo(f"thresholds learned for {dataset} ({p.current} -> {p.proposed}):")
    table(
        ["column", "metric", "now", "learned", "rule"],
        [
            [c, m, _f(p.before[c][m]), _f(v), p.basis[c][m]["rule"]]
            for c, ms in p.thresholds.items()
            for m, v in ms.items()
        ],
    )
    for s in p.skipped:
        echo(f"not learned: {s}")
    echo(p.compat_text)
    if p.written:
        echo(f"wrote {p.written}; review it: `datalife schema diff {p.current} {p.proposed}`")
    else:
        echo(f"not written: `datalife monitor thresholds {dataset} --propose` writes {p.proposed}")
    return 0
