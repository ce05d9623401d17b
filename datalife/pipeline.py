"""The main job: ``datalife run``.

``[pipeline]`` in ``datalife.toml`` declares it::

    [transforms]
    modules = ["features"]            # modules defining transforms, importable from the root

    [pipeline]
    dataset = "penguins"              # raw files (globs) + their schema
    output = "splits"                 # train/dev/test.parquet go here
    output_schema = "penguin_features"  # optional: the outputs must satisfy it

    [[pipeline.steps]]                # in order; stateless ones before the split run on all rows,
    transform = "bill_ratio"          # stateful ones are fitted on train and applied to every split
    [[pipeline.steps]]
    transform = "zscore"
    params = { columns = ["bill_length_mm"] }

    [pipeline.split]
    ratios = [0.8, 0.1, 0.1]
    stratify = ["species"]
    seed = 42

Stages: validate the raw batches against their schema → stateless transforms → split →
fit stateful transforms on train only → apply them to every split → validate the outputs →
write ``train/dev/test.parquet`` atomically with provenance in each file's metadata.

The run is incremental: a fingerprint of the input content hashes, schema versions,
transform code fingerprints, parameters and split settings is stored in
``<output>/pipeline.json`` (written last); when it matches and the outputs are unchanged,
nothing runs and nothing is written. A failing run leaves the previous outputs untouched and
records a FAIL event.

Crash consistency: the outputs are written first (each atomically), then the lineage
COMPLETE event, then the state file, with a journal (``lineage/.run.journal``)
saying how far the run got. A run killed at any point is finished or rolled back by the next
one, which says so (:attr:`PipelineResult.recovered`), and the temporary files it left are
removed (see :mod:`datalife.lineage.journal`).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.errors import ConfigError, DataError, DatalifeError

if TYPE_CHECKING:
    import pandas as pd

    from datalife.config import PipelineConfig, Workspace

__all__ = ["PipelineResult", "StageReport", "run_pipeline"]

STATE_FILE = "pipeline.json"
JOURNAL_FILE = ".run.journal"
OUTPUT_FILES = ("train.parquet", "dev.parquet", "test.parquet", "split_report.json")
STATE_FORMAT = 1
STAGES = (
    "validate inputs",
    "transform",
    "split",
    "fit",
    "apply",
    "validate outputs",
    "write",
)

Progress = Callable[[str, str], None]


@dataclass
class StageReport:
    """What one stage did and how long it took."""

    name: str
    status: str  # "ran", "skipped", "failed"
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "seconds": round(self.seconds, 4),
            "details": self.details,
        }


@dataclass
class PipelineResult:
    """The outcome of :func:`run_pipeline`."""

    status: str  # "ran" or "up to date"
    fingerprint: str
    dataset: str
    dataset_version: str
    schema: str
    output_schema: str | None
    outputs: dict[str, str]
    run_id: str | None = None
    stages: list[StageReport] = field(default_factory=list)
    validation: dict[str, Any] | None = None
    output_validation: dict[str, dict[str, Any]] = field(default_factory=dict)
    split: dict[str, Any] | None = None
    artifacts: dict[str, str] = field(default_factory=dict)
    transforms: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> bool:
        return self.status == "up to date"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "fingerprint": self.fingerprint,
            "run_id": self.run_id,
            "dataset": self.dataset,
            "dataset_version": self.dataset_version,
            "schema": self.schema,
            "output_schema": self.output_schema,
            "transforms": self.transforms,
            "outputs": self.outputs,
            "artifacts": self.artifacts,
            "stages": [s.to_dict() for s in self.stages],
            "validation": self.validation,
            "output_validation": self.output_validation,
            "split": self.split,
            "recovered": self.recovered,
        }


# -- planning ---------------------------------------------------------------------------


@dataclass
class _Plan:
    ws: Workspace
    cfg: PipelineConfig
    files: list[Path]
    file_hashes: list[str]
    dataset_version: str
    schema_ref: str
    schema_hash: str
    output_schema_ref: str | None
    output_schema_hash: str | None
    steps: list[Any]  # resolved transforms (datalife.transforms objects)
    fingerprint: str
    out_dir: Path
    #: the engine that validates the raw batches (any engine gives the same verdict, so it is
    #: not part of the fingerprint)
    engine: str = "auto"


def _plan(ws: Workspace) -> _Plan:
    from datalife.schemas.registry import SchemaRegistry
    from datalife.storage import dataset_version_id, hash_bytes, hash_file
    from datalife.transforms import TransformRegistry

    cfg = ws.config.pipeline
    if cfg is None:
        raise ConfigError(
            f"{ws.config_path}: no [pipeline] table",
            path=ws.config_path,
            hint="declare the pipeline in datalife.toml (see README 'The main job: datalife run').",
        )
    files = ws.dataset_files(cfg.dataset)
    if not files:
        globs = ", ".join(ws.config.datasets[cfg.dataset].files)
        raise ConfigError(
            f"dataset {cfg.dataset!r} matches no files ({globs})",
            path=ws.config_path,
            hint="add the raw files, or fix the dataset's globs in datalife.toml.",
        )
    file_hashes = [hash_file(p) for p in files]
    reg = SchemaRegistry.for_workspace(ws)
    name, version = reg.resolve(ws.schema_for(cfg.dataset))
    schema_ref = f"{name}@{version}"
    schema_hash = hash_file(reg.path_for(name, version))
    out_ref = out_hash = None
    if cfg.output_schema:
        oname, oversion = reg.resolve(cfg.output_schema)
        out_ref = f"{oname}@{oversion}"
        out_hash = hash_file(reg.path_for(oname, oversion))
    registry = TransformRegistry()
    registry.discover(ws.config.transforms.modules, path=[ws.root])
    user_names = {t.name for t in registry}
    try:
        steps = [
            _resolve_step(registry, user_names, step.transform, step.params) for step in cfg.steps
        ]
        _check_split(cfg)
    except ConfigError as exc:  # say where: the pipeline's table in the config file
        if exc.path is None:
            exc.path = str(ws.config_path)
            exc.message = f"{ws.config_path.name} [pipeline]: {exc.message}"
            exc.args = (exc.message,)
        raise
    from datalife._version import __version__

    material = {
        "format": STATE_FORMAT,
        "datalife": __version__,
        "inputs": [[ws.relpath(p), h] for p, h in zip(files, file_hashes, strict=True)],
        "schema": [schema_ref, schema_hash],
        "output_schema": [out_ref, out_hash],
        "steps": [[s.ref, s.fingerprint, _jsonable(s.config)] for s in steps],
        "split": cfg.split.model_dump(mode="json"),
        "output": cfg.output,
    }
    fingerprint = hash_bytes(json.dumps(material, sort_keys=True).encode())
    _check_writable(ws.root / cfg.output)
    return _Plan(
        ws=ws,
        cfg=cfg,
        files=files,
        file_hashes=file_hashes,
        dataset_version=dataset_version_id(file_hashes),
        schema_ref=schema_ref,
        schema_hash=schema_hash,
        output_schema_ref=out_ref,
        output_schema_hash=out_hash,
        steps=steps,
        fingerprint=fingerprint,
        out_dir=ws.root / cfg.output,
    )


def _check_split(cfg: PipelineConfig) -> None:
    """Refuse split settings that cannot work before anything runs (or is written)."""
    from datalife.splits.params import SplitParams

    sc = cfg.split
    SplitParams.build(
        ratios=sc.ratios,
        stratify=sc.stratify or None,
        group=sc.group,
        key=sc.key,
        seed=sc.seed,
        rebalance=sc.rebalance,
    )


def _check_writable(out_dir: Path) -> None:
    """Refuse an output folder that cannot be written, before any work is done."""
    import os

    from datalife.errors import OutputNotWritable

    probe = out_dir
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise OutputNotWritable.from_path(probe, "it is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputNotWritable.from_path(probe, "permission denied")


def _resolve_step(registry: Any, user_names: set[str], ref: str, params: dict[str, Any]) -> Any:
    """A registered transform (``name`` or ``name@version``), or a built-in made with ``params``."""
    from datalife.errors import TransformDefinitionError
    from datalife.transforms import BUILTINS

    name = ref.split("@", 1)[0]
    if name in user_names:
        if params:
            raise ConfigError(
                f"pipeline step {ref!r}: params are for built-ins; {name!r} is a registered transform",
                hint="remove `params`, or give the built-in another name (`params = {name = ...}`).",
            )
        return registry.get(ref)
    if name in BUILTINS:
        try:
            return registry.register(BUILTINS[name](**params))
        except TransformDefinitionError as exc:
            raise ConfigError(
                f"pipeline step {ref!r}: {exc.message}",
                hint=f'a built-in used twice needs a distinct name: params = {{ name = "{name}_2", ... }}.',
            ) from exc
        except TypeError as exc:
            raise ConfigError(
                f"pipeline step {ref!r}: {exc}",
                hint="see docs/transforms.md for the built-in's parameters.",
            ) from exc
    return registry.get(ref)  # raises with the closest names


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _up_to_date(plan: _Plan) -> dict[str, Any] | None:
    """The stored state when the outputs are exactly what this plan would write."""
    from datalife.storage import hash_file

    state_path = plan.out_dir / STATE_FILE
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # unreadable or damaged: run again
        return None
    if not isinstance(state, dict) or state.get("fingerprint") != plan.fingerprint:
        return None
    outputs = state.get("outputs") or {}
    for rel, digest in outputs.items():
        path = plan.ws.root / rel
        if not path.is_file() or hash_file(path) != digest:
            return None
    return state


# -- running ----------------------------------------------------------------------------


def run_pipeline(
    workspace: Workspace | str | Path | None = None,
    *,
    force: bool = False,
    record: bool = True,
    progress: Progress | None = None,
    engine: str = "auto",
) -> PipelineResult:
    """Run the workspace's pipeline (see the module docs). Raise on invalid data or config.

    Args:
        workspace: the workspace (default: the one around the current directory).
        force: run even when the outputs are up to date.
        record: append the run to the lineage log.
        progress: called with ``(stage, "start" | "done")`` as stages run.
        engine: the engine that validates the raw batches (``auto``, ``duckdb``, ``spark``,
            ...); the transforms, the split and the output checks run in memory.

    Raises:
        ConfigError: no pipeline, unknown transform or schema, bad settings (exit 2).
        ValidationFailed: the inputs or the outputs fail their schema (exit 1).
        DataError: a transform or the split fails on this data (exit 1).
    """
    from datalife.config import Workspace
    from datalife.engines.base import check_engine_name
    from datalife.storage import directory_lock

    check_engine_name(engine)
    ws = workspace if isinstance(workspace, Workspace) else Workspace.find(workspace)
    plan = _plan(ws)
    plan.engine = engine
    # one run at a time per workspace (a lock on its folder: nothing is created, and the OS
    # drops it if a run is killed)
    with directory_lock(ws.root):
        recovered = _recover(plan)
        if not force:
            state = _up_to_date(plan)
            if state is not None:
                return PipelineResult(
                    status="up to date",
                    fingerprint=plan.fingerprint,
                    dataset=plan.cfg.dataset,
                    dataset_version=plan.dataset_version,
                    schema=plan.schema_ref,
                    output_schema=plan.output_schema_ref,
                    outputs=dict(state.get("files", {})),
                    run_id=state.get("run_id"),
                    artifacts=dict(state.get("artifacts", {})),
                    transforms=[s.ref for s in plan.steps],
                    stages=[StageReport(name, "skipped") for name in STAGES],
                    split=state.get("split"),
                    recovered=recovered,
                )
        result = _run_journaled(plan, record, progress or (lambda _s, _e: None))
        result.recovered = recovered
        return result


def _recover(plan: _Plan) -> list[str]:
    """Finish or roll back a run that was killed, and remove the temporary files it left.

    Called holding the output folder's lock. Returns what was done, for people.
    """
    from datalife.lineage.journal import recover, sweep_dead_runs
    from datalife.lineage.store import LineageStore
    from datalife.storage import remove_stale_temporaries

    notes: list[str] = []
    store = LineageStore(plan.ws.lineage_dir, plan.ws.root)
    done = recover(_journal_path(plan), plan.ws.root, store)
    if done is not None:
        notes.append(str(done))
    notes.extend(str(r) for r in sweep_dead_runs(store))  # other commands killed mid-run
    removed = remove_stale_temporaries(plan.out_dir, [*OUTPUT_FILES, STATE_FILE], locked=True)
    removed += remove_stale_temporaries(
        plan.ws.lineage_dir, [_journal_path(plan).name], locked=True
    )
    removed += remove_stale_temporaries(
        plan.out_dir / "transforms", [f"{s.name}.json" for s in plan.steps], locked=True
    )
    if removed:
        names = ", ".join(sorted(plan.ws.relpath(p) for p in removed))
        notes.append(f"removed {len(removed)} temporary files left by a killed run: {names}")
    return notes


def _journal_path(plan: _Plan) -> Path:
    """The run journal: hidden in ``lineage/``, so a failed command leaves no trace in the
    output folder (see :mod:`datalife.lineage.journal`)."""
    return plan.ws.lineage_dir / JOURNAL_FILE


def _run_journaled(plan: _Plan, record: bool, progress: Progress) -> PipelineResult:
    """Run, writing in the order the journal needs (see :mod:`datalife.lineage.journal`):
    outputs, then the COMPLETE event, then the state file."""
    from datalife import lineage
    from datalife.lineage.journal import remove_journal, write_journal
    from datalife.storage import atomic_write_text

    ws = plan.ws
    journal = _journal_path(plan)
    run = lineage.run(
        "pipeline", workspace=ws, record=record, parameters={"fingerprint": plan.fingerprint}
    )
    run_id = getattr(run, "id", None) or str(uuid.uuid4())
    base = {
        "run_id": run_id,
        "job": "pipeline",
        "namespace": run.namespace if record else "",
        "state_file": ws.relpath(plan.out_dir / STATE_FILE),
    }
    write_journal(journal, {**base, "phase": "running"})
    written = False
    try:
        with run:
            result, state = _execute(plan, run, run_id, progress)
            write_journal(
                journal,
                {
                    **base,
                    "phase": "written",
                    "outputs": state["outputs"],
                    "state": state,
                    "complete_event": run.complete_event(),
                },
            )
            written = True
        # the COMPLETE event is in the log now; the state file comes last
        atomic_write_text(
            plan.out_dir / STATE_FILE,
            json.dumps(state, indent=2, sort_keys=True, default=str) + "\n",
        )
    except BaseException:
        if not written:
            remove_journal(journal)  # recorded as FAIL: nothing to finish or undo
        raise  # once the outputs are written, the journal lets the next run finish this one
    remove_journal(journal)
    if record:  # the schema versions a recorded run used are released from now on
        from datalife.schemas.registry import SchemaRegistry

        reg = SchemaRegistry(ws)
        for ref in filter(None, (plan.schema_ref, plan.output_schema_ref)):
            reg.release(ref)
    return result


def _execute(
    plan: _Plan, run: Any, run_id: str, progress: Progress
) -> tuple[PipelineResult, dict[str, Any]]:
    from datalife.errors import ValidationFailed
    from datalife.reading import read_pandas
    from datalife.validation import resolve_schema, validate, validate_files

    ws, cfg = plan.ws, plan.cfg
    stages: list[StageReport] = []
    result = PipelineResult(
        status="ran",
        fingerprint=plan.fingerprint,
        dataset=cfg.dataset,
        dataset_version=plan.dataset_version,
        schema=plan.schema_ref,
        output_schema=plan.output_schema_ref,
        outputs={},
        run_id=run_id,
        stages=stages,
        transforms=[s.ref for s in plan.steps],
    )

    def stage(name: str) -> _Stage:
        return _Stage(name, stages, progress)

    run.parameters({"split": cfg.split.model_dump(mode="json"), "steps": result.transforms})
    for step in plan.steps:
        run.code(step.name, step.fingerprint, str(step.version))

    # 1. validate the raw batches (recorded as this run's inputs)
    with stage("validate inputs") as st:
        report = validate_files(plan.files, plan.schema_ref, workspace=ws, engine=plan.engine)
        result.validation = report.to_dict()
        st.details = {"rows": report.rows, "valid": report.valid, "files": len(plan.files)}
        if not report.valid:
            raise ValidationFailed(report)
        pa_schema, _, sv = resolve_schema(plan.schema_ref, ws)
        # read through the one reading, converted to the schema's types exactly as validation
        # did (yes/no stays text unless the schema says bool and lists those spellings)
        frame = read_pandas(plan.files, sv.spec if sv is not None else None)
        frame = pa_schema.validate(frame, lazy=True)  # applies the schema's coercions

    # 2. stateless transforms before the split (the leading ones)
    lead = 0
    while lead < len(plan.steps) and not _stateful(plan.steps[lead]):
        lead += 1
    with stage("transform") as st:
        for step in plan.steps[:lead]:
            frame = step.apply(frame)
        st.details = {
            "transforms": [s.ref for s in plan.steps[:lead]],
            "columns": list(frame.columns),
        }

    # 3. split
    with stage("split") as st:
        from datalife.splits import split

        sc = cfg.split
        splitted = split(
            frame,
            sc.ratios,
            stratify=sc.stratify or None,
            group=sc.group,
            key=sc.key,
            seed=sc.seed,
            rebalance=sc.rebalance,
            order_by=sc.order_by,
            gap=sc.gap,
        )
        parts: dict[str, pd.DataFrame] = {name: splitted[name] for name in ("train", "dev", "test")}
        # how far dev and test are from train, column by column (before the fitted steps:
        # those are functions of these columns)
        from dataclasses import replace

        from datalife.drift.between_splits import split_drift

        splitted = replace(splitted, report=replace(splitted.report, drift=split_drift(parts)))
        result.split = splitted.report.to_dict()
        st.details = {"rows": {k: len(v) for k, v in parts.items()}, "mode": splitted.params.mode}

    # 4-5. fit stateful transforms on train only, apply every remaining step to every split
    # each stateful step is fitted on train as transformed by the steps before it
    fitted: dict[str, Any] = {}
    rest = plan.steps[lead:]
    appliers: list[Any] = []
    with stage("fit") as st:
        train = parts["train"]
        for step in rest:
            if _stateful(step):
                fitted[step.ref] = step.fit(train)
                appliers.append(fitted[step.ref])
            else:
                appliers.append(step)
            train = appliers[-1].apply(train)
        parts["train"] = train
        st.details = {"fitted": sorted(fitted)}
    with stage("apply") as st:
        for name in ("dev", "test"):
            for applier in appliers:
                parts[name] = applier.apply(parts[name])
        st.details = {"columns": list(parts["train"].columns)}

    # 6. validate outputs against their own schema
    out_reports: dict[str, Any] = {}
    with stage("validate outputs") as st:
        if plan.output_schema_ref:
            for name, part in parts.items():
                rep = validate(part, plan.output_schema_ref, workspace=ws, record=False)
                out_reports[name] = rep
                if not rep.valid:
                    raise ValidationFailed(rep)
            st.details = {"schema": plan.output_schema_ref, "valid": True}
        else:
            st.details = {"schema": None}

    # 7. write: fitted parameters and the three splits (the caller writes the state file last)
    with stage("write") as st:
        state = _write(
            plan, splitted, parts, fitted, run_id, run, out_reports, result.output_validation
        )
        result.outputs, result.artifacts = dict(state["files"]), dict(state["artifacts"])
        st.details = {"files": sorted(result.outputs.values())}
    return result, _jsonable(state)


def _stateful(step: Any) -> bool:
    from datalife.transforms import StatefulTransform

    return isinstance(step, StatefulTransform)


class _Stage:
    def __init__(self, name: str, stages: list[StageReport], progress: Progress) -> None:
        self.name, self.stages, self.progress = name, stages, progress
        self.details: dict[str, Any] = {}

    def __enter__(self) -> _Stage:
        self.start = time.perf_counter()
        self.progress(self.name, "start")
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        seconds = time.perf_counter() - self.start
        status = "failed" if exc_type else "ran"
        self.stages.append(StageReport(self.name, status, seconds, self.details))
        self.progress(self.name, "failed" if exc_type else "done")
        if isinstance(exc, OSError) and not isinstance(exc, DatalifeError) and self.name == "write":
            from datalife.errors import OutputNotWritable

            where = exc.filename or "the output folder"
            raise OutputNotWritable.from_path(where, exc.strerror or str(exc)) from exc
        if exc is not None and not isinstance(exc, DatalifeError):
            raise DataError(
                f"pipeline stage {self.name!r} failed: {type(exc).__name__}: {exc}",
                hint="fix the transform or the data; previous outputs are untouched.",
            ) from exc


def _write(
    plan: _Plan,
    splitted: Any,
    parts: dict[str, Any],
    fitted: dict[str, Any],
    run_id: str,
    run: Any,
    out_reports: dict[str, Any],
    output_validation: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    from dataclasses import replace

    from datalife.splits import write_splits
    from datalife.storage import hash_file

    ws = plan.ws
    artifacts: dict[str, str] = {}
    art_dir = plan.out_dir / "transforms"
    art_hashes: dict[str, str] = {}
    for step in plan.steps:
        if step.ref in fitted:
            path = art_dir / f"{step.name}.json"
            fitted[step.ref].save(path)
            artifacts[step.ref] = ws.relpath(path)
            art_hashes[step.ref] = hash_file(path)
    result = replace(splitted, frames=parts)
    provenance = {
        "schema": plan.output_schema_ref or plan.schema_ref,
        "run_id": run_id,
        "dataset_versions": [plan.dataset_version],
        "transforms": [
            {
                "name": s.name,
                "version": str(s.version),
                "fingerprint": s.fingerprint,
                "params_hash": art_hashes.get(s.ref),
            }
            for s in plan.steps
        ],
        "extra": {
            "pipeline_fingerprint": plan.fingerprint,
            "input_schema": plan.schema_ref,
            "inputs": [
                [ws.relpath(p), h] for p, h in zip(plan.files, plan.file_hashes, strict=True)
            ],
        },
    }
    written = write_splits(result, plan.out_dir, provenance=provenance)
    files = {k: ws.relpath(v) for k, v in written.files.items()}
    hashes = {ws.relpath(v): hash_file(v) for v in written.files.values()}
    hashes.update({rel: art_hashes[ref] for ref, rel in artifacts.items()})
    lineage_map = _column_lineage(plan, parts["train"])
    for name, rep in out_reports.items():
        # the version of a written split is its file's content hash (no need to hash the frame)
        rep._version = hashes[ws.relpath(written.files[name])]
        rep._version_fn = None
        output_validation[name] = rep.to_dict()
    for name in ("train", "dev", "test"):
        run.output(
            written.files[name],
            rows=len(parts[name]),
            schema_ref=plan.output_schema_ref,
            validation=output_validation.get(name),
            column_lineage=lineage_map or None,
        )
    for rel in artifacts.values():
        run.output(ws.root / rel, name=rel)
    return {
        "format_version": STATE_FORMAT,
        "fingerprint": plan.fingerprint,
        "run_id": run_id,
        "files": files,
        "artifacts": artifacts,
        "outputs": hashes,
        "split": splitted.report.to_dict(),
    }


def _column_lineage(plan: _Plan, frame: Any) -> dict[str, list[str]]:
    """Each derived output column -> the raw columns it comes from, through the steps."""
    origin: dict[str, set[str]] = {}
    for step in plan.steps:
        for out, ins in step.column_lineage().items():
            sources: set[str] = set()
            for col in ins:
                sources |= origin.get(col, {col})
            origin[out] = sources
    return {col: sorted(src) for col, src in origin.items() if col in frame.columns}
