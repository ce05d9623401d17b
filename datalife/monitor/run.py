"""``monitor(dataset, batches)``: profile each new batch against the reference, judge it, and
record it in the history store (one transaction per batch).

Per batch: one profile (:func:`datalife.stats` machinery) compared with the reference's by
:func:`datalife.drift` (from the two profiles: no second read of the data), and one count per
monitored column for every slice at once (:func:`datalife.monitor.slices.summarise`). The
reference is read once and its profile and slice summary are kept in the store.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.monitor.errors import MonitorDataError, MonitorInputError
from datalife.monitor.report import BatchResult, MonitorRun
from datalife.monitor.slices import Binning, SliceDef, binning_from_profile, summarise
from datalife.monitor.thresholds import LearnRule

if TYPE_CHECKING:
    from datalife.config import Workspace
    from datalife.schemas.model import SchemaVersion
    from datalife.stats.profile import Profile

__all__ = ["monitor", "store_path"]

_DATA_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".jsonl", ".ndjson", ".json")
#: roles that are not monitored for drift (they move by design)
_SKIPPED_ROLES = ("identifier", "timestamp", "free_text")


def store_path(ws: Workspace, store: str | Path | None = None) -> Path:
    """The history store: ``store``, else ``[monitor] store`` of the workspace.

    Raises:
        MonitorInputError: a store outside the workspace (and its ``roots``): datalife writes
            only inside the workspace.
    """
    import os

    p = Path(store) if store is not None else Path(ws.config.monitor.store)
    path = p if p.is_absolute() else ws.root / p
    target = os.path.realpath(path)
    for root in (ws.root, *(ws.root / r for r in ws.config.roots)):
        base = os.path.realpath(root)
        if os.path.commonpath([target, base]) == base:
            return path
    raise MonitorInputError(
        f"{path}: the monitoring history would be outside the workspace {ws.root}; datalife "
        "writes only inside it",
        path=path,
        hint="choose a store inside the workspace (`[monitor] store`, --store), or list its "
        f"folder under `roots` in {ws.config_path.name}.",
    )


def _files(item: str | Path) -> list[Path]:
    p = Path(item)
    if p.is_dir():
        found = sorted(
            f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in _DATA_SUFFIXES
        )
        if not found:
            raise MonitorInputError(
                f"{p}: the folder holds no data files",
                path=p,
                hint="a batch is a data file (CSV, Parquet, JSON lines) or a folder of them.",
            )
        return found
    if not p.exists():
        raise MonitorInputError(
            f"{p}: no such batch file", path=p, hint="check the path of the batch."
        )
    return [p]


def _batch_id(files: Sequence[Path]) -> str:
    from datalife.storage import dataset_version_id, hash_file

    return dataset_version_id(hash_file(f) for f in files)


@dataclass
class _Reference:
    label: str
    reference_id: str
    profile: Profile
    summary: dict[str, Any] | None


def _roles(
    sv: SchemaVersion | None, label: str | None, prediction: str | None
) -> tuple[str | None, str | None, str | None, list[str]]:
    task = None
    skip: list[str] = []
    if sv is not None:
        for name, cm in sv.meta.columns.items():
            role = None if cm.role is None else str(cm.role)
            if role == "label" and label is None:
                label = name
            if role == "prediction" and prediction is None:
                prediction = name
            if role in _SKIPPED_ROLES:
                skip.append(name)
            if name == label and cm.task is not None:
                task = str(cm.task)
    return label, prediction, task, skip


def _infer_task(profile: Profile, label: str) -> str:
    from datalife.stats.profile import NumericColumn

    try:
        col = profile[label]
    except KeyError:
        return "classification"
    if isinstance(col, NumericColumn):
        integral = col.dtype.upper() not in (
            "FLOAT",
            "DOUBLE",
            "REAL",
        ) and not col.dtype.upper().startswith("DECIMAL")
        if not (integral and (col.distinct or 0) <= 20):
            return "regression"
    return "classification"


def _slice_defs(
    sv: SchemaVersion | None, cli: Sequence[str], label: str | None, task: str | None
) -> list[SliceDef]:
    out: list[SliceDef] = []
    if sv is not None:
        for s in sv.meta.slices:
            out.append(SliceDef(s.label, tuple(s.columns), s.where, "schema"))
    for spec in cli:
        cols = tuple(c.strip() for c in spec.split(",") if c.strip())
        if not cols:
            raise MonitorInputError(
                f"--slice {spec!r} names no column", hint="write --slice COL or --slice COL1,COL2."
            )
        out.append(SliceDef(",".join(cols), cols, None, "command line"))
    if label is not None and task != "regression" and all(d.columns != (label,) for d in out):
        out.append(SliceDef(label, (label,), None, "label classes"))
    seen: set[str] = set()
    unique = []
    for d in out:
        if d.name not in seen:
            seen.add(d.name)
            unique.append(d)
    return unique


def _slices_key(slices: Sequence[SliceDef], binning_args: dict[str, Any]) -> str:
    text = json.dumps(
        {"slices": [s.to_dict() for s in slices], **binning_args, "v": 1}, sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def monitor(
    dataset: str,
    batches: Sequence[str | Path],
    *,
    reference: str | Path | Sequence[str | Path] | None = None,
    slices: Sequence[str] = (),
    label: str | None = None,
    prediction: str | None = None,
    workspace: Workspace | str | Path | None = None,
    store: str | Path | None = None,
    rule: str | None = None,
    k: float | None = None,
    quantile: float | None = None,
    window: int | None = None,
    warmup: int | None = None,
    min_support: int | None = None,
    memory_limit: str | None = None,
) -> MonitorRun:
    """Monitor ``batches`` of ``dataset``: judge each against the reference and the history.

    Args:
        dataset: a dataset of the workspace (its schema gives roles, slices and fixed thresholds).
        batches: each a data file or a folder of them; one batch each, in this order.
        reference: what "normal" is: None for the dataset's files now, a saved profile, data
            paths, or ``"DATASET@VERSION"``.
        slices: extra slice definitions, each ``"COL"`` or ``"COL1,COL2"``.
        label, prediction: the columns with these roles (default: from the schema's
            ``columns: {name: {role: label}}``).
        workspace: the workspace (default: the current one).
        store: the history store (default: ``[monitor] store``, ``lineage/monitor.duckdb``).
        rule, k, quantile, window, warmup: how thresholds are learned (default: ``[monitor]``).
        min_support: slices with fewer rows are reported as too small (default: ``[monitor]``).
        memory_limit: DuckDB's memory limit while profiling.

    Returns:
        A :class:`~datalife.monitor.report.MonitorRun`; ``.alarmed`` is True when a threshold
        was crossed (``.raise_for_alarms()`` raises).

    Raises:
        MonitorInputError: a missing batch, a slice column the batch lacks, a bad expression.
        MonitorDataError: an empty batch (nothing is recorded for it).
        MonitorStoreError: a corrupt or locked history store.
    """
    from datalife.config import Workspace
    from datalife.monitor.judge import judge
    from datalife.monitor.store import open_store

    ws = workspace if isinstance(workspace, Workspace) else Workspace.find(workspace)
    if dataset not in ws.config.datasets:
        from datalife.errors import closest

        near = closest(dataset, ws.config.datasets)
        raise MonitorInputError(
            f"no dataset {dataset!r} in {ws.config_path.name}",
            hint=(f"did you mean {', '.join(map(repr, near))}? " if near else "")
            + "declare it with `datalife dataset add NAME GLOB...`.",
        )
    if not batches:
        raise MonitorInputError(
            "no batch given", hint=f"pass the new data: `datalife monitor {dataset} BATCH...`."
        )
    cfg = ws.config.monitor
    learn_rule = LearnRule.from_config(
        cfg, rule=rule, k=k, quantile=quantile, window=window, warmup=warmup
    )
    support = min_support if min_support is not None else cfg.min_support
    sv = _schema(ws, dataset)
    label, prediction, task, skip = _roles(sv, label, prediction)
    batch_files = [(str(b), _files(b)) for b in batches]  # missing batches fail before any work

    path = store_path(ws, store)
    st = open_store(path)
    try:
        ref = _reference(
            ws, st, dataset, reference, sv, slices, label, prediction, task, skip, memory_limit
        )
        if ref.summary is not None:
            binning: Binning = ref.summary["binning"]
            task = binning.task
            defs: list[SliceDef] = ref.summary["defs"]
        else:
            if label is not None and task is None:
                task = _infer_task(ref.profile, label)
            binning = Binning(label=label, prediction=prediction, task=task)
            defs = _slice_defs(sv, slices, label, task)
        run = MonitorRun(
            dataset=dataset,
            store=ws.relpath(path),
            reference=ref.label,
            reference_rows=ref.profile.rows,
            schema=sv.ref if sv else None,
            rule=learn_rule.describe(),
            slices=[d.to_dict() for d in defs],
            label=label,
            prediction=prediction,
            task=task if label else None,
        )
        if prediction is not None and label is None:
            run.notes.append(
                f"predictions ({prediction!r}) without a label column: prediction drift only, "
                "no model metrics"
            )
        if ref.summary is None:
            run.notes.append(
                "the reference is a saved profile: slices get their support and model metrics, "
                "but no drift against the reference (give the reference data for that)"
            )
        for name, files in batch_files:
            batch_id = _batch_id(files)
            found = st.find_batch(dataset, batch_id)
            if found is not None:
                result = BatchResult.from_stored(found[1])
                result.notes.insert(
                    0,
                    f"already recorded as batch {found[0]} (same content): not added again",
                )
                run.batches.append(result)
                continue
            result, rows = judge(
                ws=ws,
                store=st,
                dataset=dataset,
                name=name,
                files=files,
                batch_id=batch_id,
                ref_profile=ref.profile,
                ref_summary=ref.summary,
                defs=defs,
                binning=binning,
                sv=sv,
                rule=learn_rule,
                min_support=support,
                rare_share=cfg.rare_share,
                memory_limit=memory_limit,
            )
            st.add_batch(
                dataset,
                result.seq,
                batch_id,
                name=name,
                rows=result.rows,
                reference_id=ref.reference_id,
                schema_ref=sv.ref if sv else None,
                alarms=len(result.alarms),
                report=result.to_dict(values=False),
                metrics=rows,
            )
            run.batches.append(result)
        return run
    finally:
        st.close()


def _schema(ws: Workspace, dataset: str) -> SchemaVersion | None:
    from datalife.errors import SchemaNotFound
    from datalife.schemas.registry import SchemaRegistry

    reg = SchemaRegistry(ws)
    try:
        return reg.load(ws.schema_for(dataset))
    except SchemaNotFound:
        return None


def _reference(
    ws: Workspace,
    st: Any,
    dataset: str,
    reference: str | Path | Sequence[str | Path] | None,
    sv: SchemaVersion | None,
    slices: Sequence[str],
    label: str | None,
    prediction: str | None,
    task: str | None,
    skip: list[str],
    memory_limit: str | None,
) -> _Reference:
    """The reference's profile and slice summary: from the store, or read once and stored."""
    from datalife.stats.engine import DEFAULT_MEMORY_LIMIT, open_scan, profile_scan
    from datalife.stats.profile import Profile, ProfileSettings
    from datalife.stats.store import resolve_input

    profile: Profile | None = None
    paths: list[Path] = []
    if reference is None:
        paths = ws.dataset_files(dataset)
        if not paths:
            raise MonitorInputError(
                f"dataset {dataset!r} has no files now to serve as the reference",
                hint="check its globs (`datalife dataset list`), or pass --reference.",
            )
        label_text = f"{dataset} ({len(paths)} file{'s' if len(paths) != 1 else ''})"
    elif isinstance(reference, str | Path):
        resolved = resolve_input(str(reference), ws)
        profile = resolved.profile
        paths = [Path(p) for p in resolved.paths or []]
        label_text = str(reference)
    else:
        paths = [Path(p) for p in reference]
        label_text = ", ".join(str(p) for p in reference)
    if profile is not None:
        ref_id = profile.source.dataset_version or "profile"
    else:
        ref_id = _batch_id([f for p in paths for f in _files(p)])
    binning_args = {"label": label, "prediction": prediction, "task": task, "skip": sorted(skip)}
    key = _slices_key(_slice_defs(sv, slices, label, task), binning_args)
    cached = st.get_reference(dataset, ref_id, key)
    if cached is not None:
        prof = Profile.model_validate_json(cached[0])
        summary = _load_summary(cached[1])
        return _Reference(label_text, ref_id, prof, summary)
    if profile is not None:
        return _Reference(label_text, ref_id, profile, None)
    with open_scan(
        [f for p in paths for f in _files(p)],
        memory_limit=memory_limit or DEFAULT_MEMORY_LIMIT,
        workspace=ws,
        dataset=dataset,
    ) as scan:
        prof = profile_scan(scan, ProfileSettings())
        if label is not None and task is None:
            task = _infer_task(prof, label)
        defs = _slice_defs(sv, slices, label, task)
        binning = binning_from_profile(
            prof,
            skip=[*skip, *([prediction] if prediction else [])],
            label=label,
            prediction=prediction,
            task=task,
        )
        groups = summarise(scan, defs, binning)
    summary = {"defs": defs, "binning": binning, "groups": groups}
    st.put_reference(dataset, ref_id, key, prof.model_dump_json(), _dump_summary(summary))
    return _Reference(label_text, ref_id, prof, summary)


def _dump_summary(summary: dict[str, Any]) -> str:
    return json.dumps(
        {
            "defs": [d.to_dict() for d in summary["defs"]],
            "binning": summary["binning"].to_dict(),
            "groups": summary["groups"],
        },
        allow_nan=False,
    )


def _load_summary(text: str) -> dict[str, Any]:
    data = json.loads(text)
    defs = [SliceDef(d["name"], tuple(d["columns"]), d["where"], d["origin"]) for d in data["defs"]]
    return {"defs": defs, "binning": Binning(**data["binning"]), "groups": data["groups"]}


def empty_batch_error(name: str) -> MonitorDataError:
    return MonitorDataError(
        f"{name}: the batch has no rows, so there is nothing to monitor (not recorded)",
        path=name,
        hint="check the job that produced the batch; an empty delivery is itself a failure.",
    )
