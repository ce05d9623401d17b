"""``datalife lineage ...``: query, verify and export the workspace's lineage log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from datalife.cli._render import echo, emit_json, format_option, table

if TYPE_CHECKING:
    from datalife.lineage.graph import LineageGraph

EXPORT_FORMATS = ("openlineage", "graphml", "dot", "mermaid", "json")


def _load(*, warn: bool = True) -> LineageGraph:
    """The current workspace's graph; log problems are shown on stderr, never fatal."""
    from datalife import lineage
    from datalife.lineage.store import summarize_issues

    lg = lineage.load(warn=False)
    for message in summarize_issues(lg.issues) if warn else ():
        echo(f"datalife: warning: {message}", err=True)
    return lg


def _resolve(lg: LineageGraph, name: str) -> str:
    node, note = lg.resolve_with_note(name)
    if note:
        echo(f"datalife: note: {note}", err=True)
    return node


def _resolve_data(lg: LineageGraph, name: str) -> str:
    """Like :func:`_resolve`, for commands about data: a name shared by a dataset and its
    schema (``penguins``) means the dataset."""
    from datalife.errors import AmbiguousNode

    try:
        return _resolve(lg, name)
    except AmbiguousNode:
        if ":" in name or not lg.versions(name):
            raise
        return _resolve(lg, f"dataset:{name}")


@click.group("lineage")
def lineage_group() -> None:
    """Query the lineage log: where data came from, what depends on it, is it intact.

    A NODE is a path (its current version), path@hash, schema@version, a node id such as
    dataset:sample_data/2007.csv@3f2a9c1d0a1b, or an unambiguous prefix of an id.
    """


@lineage_group.command("show")
@click.argument("node", required=False)
@format_option()
def show_cmd(node: str | None, fmt: str) -> int:
    """Summarize the log, or show everything recorded about NODE."""
    lg = _load()
    if node is None:
        summary = lg.summary()
        if fmt == "json":
            emit_json(summary)
            return 0
        if not summary["nodes"]:
            echo("no lineage recorded yet (lineage/ is empty)")
            return 0
        kinds = ", ".join(f"{n} {k}s" for k, n in summary["kinds"].items())
        states = ", ".join(f"{n} {s}" for s, n in summary["runs"].items())
        echo(f"{summary['nodes']} nodes ({kinds}), {summary['edges']} edges; runs: {states}")
        table(
            ["run", "job", "state", "started", "in", "out"],
            [
                [
                    r["id"][4:12],
                    r["job"],
                    r["state"],
                    str(r["start"] or "")[:19].replace("T", " "),
                    r["inputs"],
                    r["outputs"],
                ]
                for r in summary["latest_runs"]
            ],
            title="latest runs",
        )
        return 0
    resolved = _resolve(lg, node)
    info = lg.show(resolved)
    if fmt == "json":
        emit_json(info)
        return 0
    _render_node(info)
    return 0


def _render_node(info: dict[str, Any]) -> None:
    echo(f"{info['id']}  ({info['kind']})")
    skip = {"id", "kind", "label", "in", "out", "fields", "column_lineage", "note"}
    for key, value in info.items():
        if key not in skip:
            echo(f"  {key}: {value}")
    if info.get("fields"):
        echo("  fields: " + ", ".join(f"{f['name']} {f['type']}" for f in info["fields"]))
    for col, srcs in (info.get("column_lineage") or {}).items():
        echo(f"  column {col} <- " + ", ".join(f"{s['dataset']}.{s['column']}" for s in srcs))
    for edge in info["in"]:
        extra = "".join(f" {k}={v}" for k, v in edge.items() if k not in ("type", "from"))
        echo(f"  <- {edge['type']:<12} {edge['from']}{extra}")
    for edge in info["out"]:
        extra = "".join(f" {k}={v}" for k, v in edge.items() if k not in ("type", "to"))
        echo(f"  -> {edge['type']:<12} {edge['to']}{extra}")


def _depth_option(func: Any) -> Any:
    return click.option(
        "--depth",
        type=click.IntRange(min=1),
        default=None,
        help="Stop after N hops (default: all).",
    )(func)


@lineage_group.command("upstream")
@click.argument("node")
@_depth_option
@format_option()
def upstream_cmd(node: str, depth: int | None, fmt: str) -> int:
    """Everything NODE comes from: inputs, runs, code, and the schemas that validated them."""
    lg = _load()
    result = lg.upstream(_resolve(lg, node), depth=depth)
    emit_json(result.to_dict()) if fmt == "json" else echo(str(result))
    return 0


@lineage_group.command("downstream")
@click.argument("node")
@_depth_option
@format_option()
def downstream_cmd(node: str, depth: int | None, fmt: str) -> int:
    """Everything derived from NODE."""
    lg = _load()
    result = lg.downstream(_resolve(lg, node), depth=depth)
    emit_json(result.to_dict()) if fmt == "json" else echo(str(result))
    return 0


@lineage_group.command("impact")
@click.argument("path")
@format_option()
def impact_cmd(path: str, fmt: str) -> int:
    """What is affected if PATH changes: every dataset and run derived from it."""
    lg = _load()
    result = lg.impact(_resolve(lg, path))
    emit_json(result.to_dict()) if fmt == "json" else echo(str(result))
    return 0


@lineage_group.command("provenance")
@click.argument("path")
@click.option(
    "--column", default=None, help="Trace one column back to the raw columns it comes from."
)
@format_option()
def provenance_cmd(path: str, column: str | None, fmt: str) -> int:
    """Where PATH came from: raw files and hashes, schemas that validated each step, code."""
    lg = _load()
    node = _resolve_data(lg, path)
    result: Any = lg.column_provenance(node, column) if column else lg.provenance(node)
    emit_json(result.to_dict()) if fmt == "json" else echo(str(result))
    return 0


@lineage_group.command("validated-by")
@click.argument("path")
@format_option()
def validated_by_cmd(path: str, fmt: str) -> int:
    """The schema versions that validated PATH, with each verdict."""
    lg = _load()
    node = _resolve(lg, path)
    found = lg.validated_by(node)
    if fmt == "json":
        emit_json({"node": node, "validations": [v.to_dict() for v in found]})
        return 0
    if not found:
        echo(f"{lg.label_of(node)}: no validation recorded")
    for v in found:
        echo(str(v))
    return 0


@lineage_group.command("history")
@click.argument("dataset")
@format_option()
def history_cmd(dataset: str, fmt: str) -> int:
    """The versions of DATASET (a path or dataset name) over time."""
    lg = _load()
    result = lg.history(dataset)
    emit_json(result.to_dict()) if fmt == "json" else echo(str(result))
    return 0


@lineage_group.command("verify")
@format_option()
def verify_cmd(fmt: str) -> int:
    """Re-hash every recorded file that should still exist; exit 1 if any changed or is missing."""
    from datalife.config import Workspace
    from datalife.lineage.verify import verify_graph

    lg = _load(warn=False)  # the report lists the log's problems itself
    report = verify_graph(lg, roots=Workspace.find().config.roots)
    emit_json(report.to_dict()) if fmt == "json" else echo(str(report))
    return report.exit_code


@lineage_group.command("export")
@click.argument("node", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    default="openlineage",
    show_default=True,
    help="openlineage: JSON lines, one RunEvent each; graphml/dot/mermaid/json: the graph.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write to FILE (default: stdout).",
)
def export_cmd(node: str | None, fmt: str, out: str | None) -> int:
    """Export the lineage (or only what is upstream and downstream of NODE)."""
    from datalife.lineage.export import export_lines

    lg = _load()
    nodes = None
    if node is not None:
        start = _resolve(lg, node)
        nodes = {start, *lg.upstream(start), *lg.downstream(start)}
    lines = export_lines(lg, fmt, nodes)
    if out is None:
        for line in lines:
            click.echo(line)
        return 0
    from datalife.storage import atomic_open

    with atomic_open(out, "wb") as fh:
        for line in lines:
            fh.write((line + "\n").encode("utf-8"))
    echo(f"wrote {out}", err=True)
    return 0
