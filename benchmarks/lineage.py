"""Lineage at scale: load a synthetic 100k / 1M-event log, query it, append to it.

``python -m benchmarks.lineage [--events 100000 1000000] [--repeat 3]``

The log is generated under ``benchmarks/data/lineage-<N>/lineage/`` (reused when present), shaped
like a real one: raw batch files arrive in new versions (500 paths, many versions each); each
version is validated against a schema; a transform reads the last three raw versions (fan-in)
and writes a feature file; a split reads that and writes train/dev/test. Every run is a START
and a COMPLETE event with the facets datalife writes (schema fields, content hashes, rows,
validation verdicts, code fingerprints, parameters), one file per "month" of 100k events.

Each measurement runs in a fresh process (wall time and peak RSS from the kernel):

- **datalife load**: ``LineageGraph.from_store`` (read + parse + build the networkx graph).
- **networkx build**: the same node and edge lists, already in memory (unpickled before the
  clock starts), given to ``MultiDiGraph.add_nodes_from`` / ``add_edges_from``: the floor.
- **parse only**: parsing every line (orjson, as datalife does), to show its share.
- **queries** after load: ``upstream`` of a leaf (a train split), ``impact`` of a raw file
  version, ``provenance`` of the leaf, and resolving a bare path to its current version.
- **append**: one event (lock, write, fsync) to an empty log and to a log file of 100k events.
- **snapshot**: the first load (which writes the derived snapshot), a load with the log
  unchanged since, and one after 1 % more events were appended (a new month file).

Target (issue 4): load within 3x of the networkx build; queries on a leaf <= 50 ms; append
independent of the log size. Results go to ``benchmarks/results/lineage-*.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import random
import shutil
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks._common import (
    compile_datalife,
    describe_machine,
    emit_result,
    fmt_bytes,
    fmt_ratio,
    fmt_seconds,
    machine_info,
    median,
    print_table,
    run_process,
    warn_if_busy,
    write_results,
)

DATA = Path(__file__).resolve().parent / "data"
EVENTS_PER_FILE = 100_000
RAW_PATHS = 500
FAN_IN = 3
FIELDS = [
    ("id", "int64"),
    ("quantity", "int64"),
    ("amount", "double"),
    ("score", "double"),
    ("ratio", "double"),
    ("category", "string"),
    ("region", "string"),
    ("comment", "string"),
    ("created_at", "timestamp[us]"),
    ("label", "string"),
]
NS = "datalife://bench"


# -- the synthetic log ---------------------------------------------------------------------


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


class _Synth:
    """Cycles of realistic events: a raw version is validated, featurized (fan-in), split."""

    def __init__(self, seed: int, clock: float, first_cycle: int = 0) -> None:
        self.rng = random.Random(seed)
        self.clock = clock
        self.cycle = first_cycle
        self.raw_versions: list[Any] = []
        self.leaf = self.first_raw = self.last_raw = ""

    def _stamp(self) -> str:
        self.clock += 0.5
        frac = int(self.clock * 1e6) % 10**6
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.clock)) + f".{frac:06d}Z"

    def _run(
        self, job: str, inputs: list[Any], outputs: list[Any], **kw: Any
    ) -> Iterator[dict[str, Any]]:
        from datalife.lineage.events import run_event

        rid = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        yield run_event(
            "START", run_id=rid, job_namespace=NS, job_name=job, event_time=self._stamp()
        )
        yield run_event(
            "COMPLETE",
            run_id=rid,
            job_namespace=NS,
            job_name=job,
            event_time=self._stamp(),
            inputs=inputs,
            outputs=outputs,
            **kw,
        )

    def cycle_events(self) -> Iterator[dict[str, Any]]:
        """The 6 events of one cycle."""
        from datalife.lineage.events import DatasetRecord

        rng, cycle = self.rng, self.cycle
        raw = DatasetRecord(
            f"raw/{cycle % RAW_PATHS}.csv",
            NS,
            _hex(rng),
            "file",
            rows=10_000,
            bytes=1_150_000,
            fields=FIELDS,
        )
        self.raw_versions = [*self.raw_versions, raw][-FAN_IN:]
        report = {"valid": True, "schema": "bench@1", "rows": 10_000, "failures": []}
        validated = DatasetRecord(**{**raw.__dict__, "schema_ref": "bench@1", "validation": report})
        yield from self._run("validate", [validated], [], parameters={"engine": "duckdb"})
        inputs = self.raw_versions
        feat = DatasetRecord(
            f"features/{cycle % RAW_PATHS}.parquet",
            NS,
            _hex(rng),
            "file",
            rows=30_000,
            bytes=2_000_000,
            fields=[*FIELDS, ("amount_z", "double")],
        )
        feat.column_lineage = {"amount_z": [(NS, inputs[-1].name, "amount")]}
        code = [
            {"name": "zscore", "fingerprint": "9f8e7d6c5b4a39281706f5e4d3c2b1a0", "version": "1"}
        ]
        yield from self._run("features", inputs, [feat], code=code)
        splits = [
            DatasetRecord(
                f"splits/{cycle % RAW_PATHS}/{s}.parquet",
                NS,
                _hex(rng),
                "file",
                rows=n,
                fields=feat.fields,
            )
            for s, n in (("train", 24_000), ("dev", 3_000), ("test", 3_000))
        ]
        yield from self._run(
            "split", [feat], splits, parameters={"ratios": [0.8, 0.1, 0.1], "seed": cycle}
        )
        if cycle == 0:
            self.first_raw = f"dataset:{raw.name}@{raw.content_hash[:12]}"
        self.last_raw = f"dataset:{raw.name}@{raw.content_hash[:12]}"
        self.leaf = f"dataset:{splits[0].name}@{splits[0].content_hash[:12]}"
        self.cycle += 1


def generate(events: int, seed: int = 0) -> Path:
    """Write the synthetic log of about ``events`` events; return its workspace directory."""
    from datalife.lineage.store import encode_event

    root = DATA / f"lineage-{events}"
    manifest = root / "manifest.json"
    if manifest.is_file() and json.loads(manifest.read_text()).get("seed") == seed:
        return root
    if root.exists():
        shutil.rmtree(root)
    log = root / "lineage"
    log.mkdir(parents=True)
    t0 = time.perf_counter()
    synth = _Synth(seed, clock=1_577_836_800.0)  # 2020-01-01
    written = file_no = 0
    mid_raw = ""
    out = (log / "2020-01.jsonl").open("wb")
    while written < events:
        for ev in synth.cycle_events():
            out.write(encode_event(ev))
            written += 1
            if written % EVENTS_PER_FILE == 0:
                out.close()
                file_no += 1
                out = (log / f"{2020 + file_no // 12}-{file_no % 12 + 1:02d}.jsonl").open("wb")
        if written <= events // 2:
            mid_raw = synth.last_raw
    out.close()
    cycle, leaf, first_raw = synth.cycle, synth.leaf, synth.first_raw
    size = sum(p.stat().st_size for p in log.glob("*.jsonl"))
    manifest.write_text(
        json.dumps(
            {
                "seed": seed,
                "events": written,
                "cycles": cycle,
                "bytes": size,
                "leaf": leaf,
                "first_raw": first_raw,
                "mid_raw": mid_raw,
                "raw_path": f"raw/{(cycle - 1) % RAW_PATHS}.csv",
                "generate_s": time.perf_counter() - t0,
            },
            indent=2,
        )
    )
    return root


# -- children (each runs in a fresh process) -----------------------------------------------


def _ms(s: float | None) -> str:
    """Query times: microseconds below 1 ms."""
    if s is None:
        return "-"
    return f"{s * 1e6:.0f} µs" if s < 1e-3 else fmt_seconds(s)


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _timed(fn: Any, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def child_load(root: Path, dump: bool) -> None:
    import networkx as nx  # noqa: F401  (imported before the clock, as the baseline does)

    from datalife.lineage.graph import LineageGraph
    from datalife.lineage.store import LineageStore

    manifest = json.loads((root / "manifest.json").read_text())
    gc.collect()
    before = _rss()
    t0 = time.perf_counter()
    lg = LineageGraph.from_store(LineageStore(root / "lineage", root), warn=False)
    load_s = time.perf_counter() - t0
    after = _rss()
    g = lg.graph
    leaf, mid, first = manifest["leaf"], manifest["mid_raw"], manifest["first_raw"]
    result = {
        "work_s": load_s,
        "nodes": g.number_of_nodes(),
        "edges": g.number_of_edges(),
        "issues": len(lg.issues),
        "graph_rss": after - before,
        "bytes_per_node": (after - before) / max(1, g.number_of_nodes()),
        "upstream_leaf_s": _timed(lambda: lg.upstream(leaf)),
        "upstream_leaf_nodes": len(lg.upstream(leaf)),
        "impact_mid_raw_s": _timed(lambda: lg.impact(mid)),
        "impact_mid_raw_nodes": len(lg.impact(mid)),
        "impact_first_raw_s": _timed(lambda: lg.impact(first)),
        "provenance_leaf_s": _timed(lambda: lg.provenance(leaf)),
        "resolve_path_s": _timed(lambda: lg.resolve(manifest["raw_path"])),
    }
    if dump:
        with (root / "graph-lists.pickle").open("wb") as fh:
            pickle.dump(
                (list(g.nodes(data=True)), list(g.edges(keys=True, data=True))),
                fh,
                protocol=pickle.HIGHEST_PROTOCOL,
            )
    emit_result(result)


def child_nx(root: Path) -> None:
    import networkx as nx

    with (root / "graph-lists.pickle").open("rb") as fh:
        nodes, edges = pickle.load(fh)  # our own file, written by child_load
    gc.collect()
    before = _rss()
    t0 = time.perf_counter()
    g = nx.MultiDiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from(edges)
    build_s = time.perf_counter() - t0
    after = _rss()
    emit_result(
        {
            "work_s": build_s,
            "nodes": g.number_of_nodes(),
            "edges": g.number_of_edges(),
            "graph_rss": after - before,
            "bytes_per_node": (after - before) / max(1, g.number_of_nodes()),
        }
    )


def child_parse(root: Path) -> None:
    from datalife.lineage.store import fast_loads  # the parser datalife uses (orjson)

    t0 = time.perf_counter()
    n = 0
    loads = fast_loads
    for path in sorted((root / "lineage").glob("*.jsonl")):
        with path.open("rb") as fh:
            for line in fh:
                loads(line)
                n += 1
    emit_result({"work_s": time.perf_counter() - t0, "events": n})


def child_append(root: Path, count: int) -> None:
    from datalife.lineage.events import DatasetRecord, run_event
    from datalife.lineage.store import LineageStore

    big = max((root / "lineage").glob("*.jsonl"), key=lambda p: p.stat().st_size)
    results = {}
    for label, prefill in (("empty", None), ("100k_events", big)):
        d = root / f"append-{label}"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()
        store = LineageStore(d)
        target = store.segment()
        if prefill is not None:
            shutil.copyfile(prefill, target)
        size = target.stat().st_size if target.exists() else 0
        rec = DatasetRecord("raw/x.csv", NS, "ab" * 32, "file", rows=1, fields=FIELDS)
        event = run_event(
            "COMPLETE", run_id=str(uuid.uuid4()), job_namespace=NS, job_name="j", inputs=[rec]
        )
        times = []
        for _ in range(count):
            t0 = time.perf_counter()
            store.append(event)
            times.append(time.perf_counter() - t0)
        results[label] = {
            "file_bytes": size,
            "median_s": statistics.median(times),
            "max_s": max(times),
        }
        shutil.rmtree(d)
    emit_result({"work_s": results["100k_events"]["median_s"], "append": results})


def child_snapshot(root: Path, mode: str) -> None:
    from datalife.lineage.snapshot import load_with_snapshot, snapshot_path
    from datalife.lineage.store import LineageStore

    store = LineageStore(root / "lineage", root)
    if mode == "write":
        snapshot_path(store).unlink(missing_ok=True)
    t0 = time.perf_counter()
    lg, info = load_with_snapshot(store, root=root, min_bytes=0)
    work = time.perf_counter() - t0
    emit_result(
        {
            "work_s": work,
            "mode": info.mode,
            "written": info.written,
            "tail_bytes": info.tail_bytes,
            "nodes": lg.graph.number_of_nodes(),
            "snapshot_bytes": snapshot_path(store).stat().st_size,
        }
    )


def _write_tail(root: Path, manifest: dict[str, Any], events: int) -> Path:
    """A new month file of ``events`` fresh events (as if runs happened after the snapshot)."""
    from datalife.lineage.store import encode_event

    synth = _Synth(seed=99, clock=1_900_000_000.0, first_cycle=manifest["cycles"])
    path = root / "lineage" / "2099-01.jsonl"
    with path.open("wb") as out:
        written = 0
        while written < events:
            for ev in synth.cycle_events():
                out.write(encode_event(ev))
                written += 1
    return path


# -- the parent ----------------------------------------------------------------------------


def _child(mode: str, root: Path, *extra: str, env: dict[str, str] | None = None) -> Any:
    cmd = [sys.executable, "-m", "benchmarks.lineage", "--child", mode, "--dir", str(root), *extra]
    r = run_process(cmd, label=mode, cwd=Path(__file__).resolve().parent.parent, env=env)
    if r.returncode != 0 or r.result is None:
        raise SystemExit(f"{mode} failed ({r.returncode}):\n{r.stderr[-3000:]}")
    return r


def bench(events: int, repeat: int) -> dict[str, Any]:
    root = generate(events)
    manifest = json.loads((root / "manifest.json").read_text())
    print(
        f"\n{manifest['events']:,} events, {manifest['bytes'] / 1e6:.0f} MB of JSON lines "
        f"({manifest['cycles']:,} cycles: validate -> features (fan-in {FAN_IN}) -> split)"
    )
    loads = [_child("load", root, *(["--dump"] if i == 0 else [])) for i in range(repeat)]
    nxs = [_child("nx", root) for _ in range(repeat)]
    parses = [_child("parse", root) for _ in range(repeat)]
    append = _child("append", root, "--count", "200")
    cache = {"DATALIFE_CACHE_DIR": str(root / "cache")}
    snap_write = _child("snapshot", root, "--mode", "write", env=cache)
    snap_hits = [_child("snapshot", root, "--mode", "hit", env=cache) for _ in range(repeat)]
    tail_file = _write_tail(root, manifest, max(6, manifest["events"] // 100))
    try:
        snap_tails = [_child("snapshot", root, "--mode", "tail", env=cache) for _ in range(repeat)]
    finally:
        tail_file.unlink()
    shutil.rmtree(root / "cache", ignore_errors=True)
    (root / "graph-lists.pickle").unlink(missing_ok=True)
    load_s = median([r.work_s for r in loads])
    nx_s = median([r.work_s for r in nxs])
    parse_s = median([r.work_s for r in parses])
    best = min(loads, key=lambda r: r.work_s or 0).result or {}
    nxr = nxs[0].result or {}
    ratio = load_s / nx_s if load_s and nx_s else None
    print_table(
        ["step", "time", "vs networkx build", "peak RSS (process)", "graph memory / node"],
        [
            [
                "networkx build from in-memory lists",
                fmt_seconds(nx_s),
                "1.00x",
                fmt_bytes(nxs[0].peak_rss),
                f"{nxr.get('bytes_per_node', 0):.0f} B",
            ],
            [
                "datalife load (read+parse+build)",
                fmt_seconds(load_s),
                fmt_ratio(ratio),
                fmt_bytes(loads[0].peak_rss),
                f"{best.get('bytes_per_node', 0):.0f} B",
            ],
            [
                "parse only (orjson, every line)",
                fmt_seconds(parse_s),
                fmt_ratio(parse_s / nx_s if parse_s and nx_s else None),
                fmt_bytes(parses[0].peak_rss),
                "-",
            ],
        ],
        title=f"load ({best.get('nodes', 0):,} nodes, {best.get('edges', 0):,} edges; median of {repeat} fresh processes)",
    )
    ap = (append.result or {}).get("append", {})
    print_table(
        ["query / operation", "time", "result size"],
        [
            [
                "upstream(leaf: a train split)",
                _ms(best.get("upstream_leaf_s")),
                best.get("upstream_leaf_nodes"),
            ],
            [
                "impact(raw file version, mid log)",
                _ms(best.get("impact_mid_raw_s")),
                best.get("impact_mid_raw_nodes"),
            ],
            ["impact(first raw file version)", _ms(best.get("impact_first_raw_s")), ""],
            ["provenance(leaf)", _ms(best.get("provenance_leaf_s")), ""],
            ["resolve a bare path (current version)", _ms(best.get("resolve_path_s")), ""],
            [
                "append 1 event to an empty log",
                _ms(ap.get("empty", {}).get("median_s")),
                "median of 200",
            ],
            [
                f"append 1 event to a {ap.get('100k_events', {}).get('file_bytes', 0) / 1e6:.0f} MB log file",
                _ms(ap.get("100k_events", {}).get("median_s")),
                "median of 200",
            ],
        ],
        title="queries after load (median of 5) and appends (lock + write + fsync)",
    )
    hit_s = median([r.work_s for r in snap_hits])
    tail_s = median([r.work_s for r in snap_tails])
    sw, th = snap_write.result or {}, snap_tails[0].result or {}
    print_table(
        ["load through the snapshot", "time", "vs networkx build", "peak RSS", "mode"],
        [
            [
                "first load, writing the snapshot",
                fmt_seconds(snap_write.work_s),
                fmt_ratio((snap_write.work_s or 0) / nx_s if nx_s else None),
                fmt_bytes(snap_write.peak_rss),
                f"{sw.get('mode')}, {fmt_bytes(sw.get('snapshot_bytes'))} snapshot",
            ],
            [
                "log unchanged since",
                fmt_seconds(hit_s),
                fmt_ratio(hit_s / nx_s if hit_s and nx_s else None),
                fmt_bytes(snap_hits[0].peak_rss),
                str((snap_hits[0].result or {}).get("mode")),
            ],
            [
                f"1% more events appended since ({th.get('tail_bytes', 0) / 1e6:.0f} MB)",
                fmt_seconds(tail_s),
                fmt_ratio(tail_s / nx_s if tail_s and nx_s else None),
                fmt_bytes(snap_tails[0].peak_rss),
                str(th.get("mode")),
            ],
        ],
        title="derived snapshot (in the user cache; the log stays the source of truth)",
    )
    verdict = "PASS" if ratio is not None and ratio <= 3 else "MISS"
    print(f"target load <= 3x networkx build: {verdict} ({fmt_ratio(ratio)})")
    return {
        "events": manifest["events"],
        "log_bytes": manifest["bytes"],
        "nodes": best.get("nodes"),
        "edges": best.get("edges"),
        "load_s": load_s,
        "networkx_build_s": nx_s,
        "parse_only_s": parse_s,
        "load_vs_networkx": ratio,
        "load_peak_rss": loads[0].peak_rss,
        "networkx_peak_rss": nxs[0].peak_rss,
        "bytes_per_node": best.get("bytes_per_node"),
        "networkx_bytes_per_node": nxr.get("bytes_per_node"),
        "queries": {k: v for k, v in best.items() if k.endswith("_s") and k != "work_s"},
        "append": ap,
        "snapshot": {
            "first_load_with_write_s": snap_write.work_s,
            "snapshot_bytes": sw.get("snapshot_bytes"),
            "hit_s": hit_s,
            "hit_vs_networkx": hit_s / nx_s if hit_s and nx_s else None,
            "tail_1pct_s": tail_s,
            "tail_vs_networkx": tail_s / nx_s if tail_s and nx_s else None,
        },
        "runs": [
            r.to_dict()
            for r in (*loads, *nxs, *parses, append, snap_write, *snap_hits, *snap_tails)
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", choices=["load", "nx", "parse", "append", "snapshot"])
    parser.add_argument("--mode", choices=["write", "hit", "tail"], default="hit")
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--dump", action="store_true")
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args(argv)
    if args.child:
        if args.child == "load":
            child_load(args.dir, args.dump)
        elif args.child == "nx":
            child_nx(args.dir)
        elif args.child == "parse":
            child_parse(args.dir)
        elif args.child == "snapshot":
            child_snapshot(args.dir, args.mode)
        else:
            child_append(args.dir, args.count)
        return 0
    info = machine_info()
    print(describe_machine(info))
    compile_datalife()
    busy = warn_if_busy()
    if busy:
        print(busy)
    results = [bench(n, args.repeat) for n in args.events]
    path = write_results("lineage", {"machine": info, "results": results})
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
