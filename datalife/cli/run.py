"""``datalife run``: the pipeline declared in datalife.toml, incremental and recorded."""

from __future__ import annotations

from typing import Any

import click

from datalife.cli._render import echo, emit_json, format_option, table
from datalife.cli.validate import EngineName


@click.command("run")
@click.option("--force", is_flag=True, help="Run every stage even when the outputs are up to date.")
@click.option("--no-record", is_flag=True, help="Do not append this run to the lineage log.")
@click.option(
    "--engine",
    type=EngineName(),
    default="auto",
    show_default=True,
    help="The engine that validates the raw batches (duckdb, spark, ...); the rest runs in memory.",
)
@format_option()
def run_cmd(force: bool, no_record: bool, engine: str, fmt: str) -> int:
    """Run the pipeline: validate raw data, transform, split, fit on train, write Parquet splits.

    Skips everything (and writes nothing) when inputs, schemas, transform code and settings
    are unchanged. Exit 0 on success, 1 when data fails its checks or a transform fails,
    2 for config errors.
    """
    from datalife.cli._progress import stage_progress
    from datalife.errors import ValidationFailed
    from datalife.pipeline import STAGES, run_pipeline

    try:
        with stage_progress(list(STAGES), fmt=fmt) as progress:
            result = run_pipeline(
                force=force, record=not no_record, progress=progress, engine=engine
            )
    except ValidationFailed as exc:
        if fmt == "json":
            emit_json({**exc.to_dict(), "report": exc.report.to_dict()})
        else:
            from datalife.cli.validate import render_report

            echo(
                "pipeline stopped: data failed its schema; previous outputs are untouched", err=True
            )
            render_report(exc.report)
        return 1
    if fmt == "json":
        emit_json(result.to_dict())
        return 0
    for note in result.recovered:
        echo(f"recovered: {note}", err=True)
    _summary(result)
    return 0


def _summary(result: Any) -> None:
    if result.skipped:
        echo(
            f"up to date: nothing changed since run {str(result.run_id)[:8]} (use --force to rerun)"
        )
    else:
        echo(f"ran pipeline {str(result.run_id)[:8]} ({result.fingerprint[:12]})")
    echo(f"dataset {result.dataset} version {result.dataset_version[:12]}, schema {result.schema}")
    if result.validation:
        v = result.validation
        echo(f"inputs: {'valid' if v['valid'] else 'INVALID'} ({v['rows']} rows)")
    if result.output_schema:
        echo(f"outputs validated against {result.output_schema}")
    if result.transforms:
        echo("transforms: " + ", ".join(result.transforms))
    if not result.skipped:
        table(
            ["stage", "status", "time"],
            [[s.name, s.status, f"{s.seconds:.3f}s"] for s in result.stages],
        )
    split = result.split or {}
    sizes = split.get("sizes") or []
    if sizes:
        total = (split.get("rows") or {}).get("total") or 1
        table(
            ["split", "rows", "share", "target rows", "file"],
            [
                [
                    s["split"],
                    s["rows"],
                    f"{s['rows'] / total:.3f}",
                    s["target_rows"],
                    result.outputs.get(s["split"], ""),
                ]
                for s in sizes
            ],
            title=f"{split.get('mode', '')} split of {total} rows",
        )
    worst = split.get("largest_deviation")
    if worst:
        echo(
            f"largest class-share deviation: {worst['class']!r} in {worst['split']}: "
            f"{worst['share']:.3f} vs {worst['expected_share']:.3f} overall "
            f"({worst['deviation_rows']:+} rows from exact)"
        )
    figures = split.get("drift") or {}
    compared = {c: f for c, f in figures.items() if f}
    if compared:
        drifted = sorted(
            f"{c} ({name})"
            for c, f in compared.items()
            for name, x in f.items()
            if x.get("drifted")
        )
        echo(
            f"drift between splits ({len(compared)} columns, dev and test against train): "
            + (", ".join(drifted) if drifted else "none beyond noise")
        )
    dup = split.get("duplicates") or {}
    if dup.get("shared_rows"):
        echo(
            f"warning: {dup['shared_rows']} exact-duplicate rows are shared across splits (leakage)"
        )
    for ref, path in result.artifacts.items():
        echo(f"fitted {ref}: {path}")
