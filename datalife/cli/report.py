"""``datalife report`` (one self-contained HTML file) and ``datalife card DATASET`` (Markdown)."""

from __future__ import annotations

from typing import Any

import click

from datalife.cli._render import echo, emit_json, format_option


def _summary(result: Any, fmt: str) -> None:
    data = result.to_dict()
    if fmt == "json":
        emit_json(data)
        return
    size = data["bytes"]
    shown = f"{size / 1024:.0f} KB" if size >= 1024 else f"{size} B"
    if data["kind"] == "card":
        what = f"the dataset card of {data['scope']}"
    else:
        what = f"the report of dataset {data['scope']}" if data["scope"] else "the report"
    echo(f"wrote {what} to {data['out']} ({shown})")
    ok = [k for k, v in data["sections"].items() if v == "ok"]
    echo(f"sections with content: {', '.join(ok) if ok else 'none'}")
    for line in data["problems"]:
        echo(f"  {line}")


@click.command("report")
@click.option("--dataset", "dataset", default=None, help="Report on this dataset only.")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    default="report.html",
    show_default=True,
    help="The HTML file to write (atomically).",
)
@click.option("--no-drift", is_flag=True, help="Skip drift (no profiling of older versions).")
@format_option()
def report_cmd(dataset: str | None, out: str, no_drift: bool, fmt: str) -> int:
    """Write ONE self-contained HTML report of the workspace (or of one dataset).

    It shows dataset versions and their validation results with failing examples, per-column
    statistics with histograms, drift between the most recent versions, split balance and
    the lineage graph. No network, no scripts: open it anywhere, attach it to a CI run.
    Nothing in the workspace changes (validation here is not recorded). Exit 0 when written.
    """
    from datalife.report import write_report

    result = write_report(None, dataset, out, drift=not no_drift)
    _summary(result, fmt)
    return 0


@click.command("card")
@click.argument("dataset")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    default=None,
    help="The Markdown file to write (default: DATASET.card.md in the workspace root).",
)
@format_option()
def card_cmd(dataset: str, out: str | None, fmt: str) -> int:
    """Write the Markdown dataset card (datasheet) of DATASET, rendered by GitHub.

    Source files and hashes, schema version, statistics, splits, known issues from
    validation, versions, and the lineage as a Mermaid diagram. Exit 0 when written.
    """
    from datalife.report import write_card

    result = write_card(None, dataset, out)
    _summary(result, fmt)
    return 0
