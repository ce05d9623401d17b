"""Learned thresholds written back as the next schema version, so schemas follow the data.

:func:`propose_thresholds` learns, from the history of the whole batches, a threshold for each
drift metric of each column (the same rule monitoring uses), and puts them in the schema's
``drift.columns`` as the next version: the body (what the data must satisfy) is copied
unchanged, the new file is checked for compatibility against the current version as every new
version is, and the write is recorded in the lineage log. Review it like any schema change
(``datalife schema diff NAME@n NAME@n+1``, and ``datalife check`` in the pre-commit hook).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.monitor.errors import MonitorInputError
from datalife.monitor.thresholds import LearnRule, learn

if TYPE_CHECKING:
    from datalife.config import Workspace

__all__ = ["Proposal", "propose_thresholds"]

#: metrics a schema threshold can hold, and their upper bounds (ColumnThresholds)
_BOUNDS = {"linf": None, "jsd_log2": 1.0, "psi": None, "wasserstein_norm": None, "ks_stat": 1.0}


def _round_up(x: float, digits: int = 3) -> float:
    """``x`` rounded up to ``digits`` significant digits (a threshold never tightens by rounding).

    Examples:
        >>> _round_up(0.123456), _round_up(0.0), _round_up(1234.5)
        (0.124, 0.0, 1240.0)
    """
    if x <= 0:
        return 0.0
    scale = 10.0 ** (digits - 1 - math.floor(math.log10(x)))
    return math.ceil(x * scale - 1e-9) / scale


@dataclass
class Proposal:
    """The proposed thresholds and, when written, the new schema version."""

    dataset: str
    current: str
    proposed: str
    thresholds: dict[str, dict[str, float]]
    before: dict[str, dict[str, float | None]]
    basis: dict[str, dict[str, Any]]
    skipped: list[str] = field(default_factory=list)
    text: str = ""
    written: str | None = None
    compatible: bool | None = None
    compat_text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "current": self.current,
            "proposed": self.proposed,
            "thresholds": self.thresholds,
            "before": self.before,
            "basis": self.basis,
            "skipped": self.skipped,
            "written": self.written,
            "compatible": self.compatible,
            "compatibility": self.compat_text,
            "text": self.text,
        }


def propose_thresholds(
    dataset: str,
    *,
    workspace: Workspace | str | Path | None = None,
    store: str | Path | None = None,
    write: bool = False,
    record: bool = True,
    rule: str | None = None,
    k: float | None = None,
    quantile: float | None = None,
    window: int | None = None,
    warmup: int | None = None,
) -> Proposal:
    """Learn drift thresholds from the history and propose them as the next schema version.

    Args:
        write: write ``schemas/<schema>/<n+1>.yaml`` (else only return the proposal).
        record: with ``write``, append the run to the lineage log.

    Raises:
        MonitorInputError: the dataset has no registered schema, or too short a history.
    """
    from datalife.config import Workspace
    from datalife.errors import SchemaNotFound
    from datalife.monitor.run import store_path
    from datalife.monitor.store import open_store
    from datalife.schemas.io import dump_schema, parse_schema_text
    from datalife.schemas.model import ColumnThresholds, ComparatorConfig
    from datalife.schemas.registry import SchemaRegistry

    ws = workspace if isinstance(workspace, Workspace) else Workspace.find(workspace)
    if dataset not in ws.config.datasets:
        raise MonitorInputError(
            f"no dataset {dataset!r} in {ws.config_path.name}",
            hint="`datalife dataset list` shows the datasets.",
        )
    learn_rule = LearnRule.from_config(
        ws.config.monitor, rule=rule, k=k, quantile=quantile, window=window, warmup=warmup
    )
    reg = SchemaRegistry(ws)
    name = ws.schema_for(dataset)
    try:
        current = reg.load(name)
    except SchemaNotFound as exc:
        raise MonitorInputError(
            f"dataset {dataset!r} has no registered schema {name!r} to write thresholds into",
            hint=f"create it first: `datalife schema infer FILES --name {name}`.",
        ) from exc
    path = store_path(ws, store)
    st = open_store(path, read_only=True)
    try:
        recent = st.recent(dataset, learn_rule.window)
    finally:
        st.close()
    learned: dict[str, dict[str, float]] = {}
    before: dict[str, dict[str, float | None]] = {}
    basis: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    for (slice_, column, metric), values in sorted(recent.items()):
        if slice_ or not column or metric not in _BOUNDS:
            continue
        th = learn(values, learn_rule, higher_is_worse=True)
        if th.value is None:
            skipped.append(f"{column}.{metric}: {th.rule}")
            continue
        limit = _round_up(max(th.value, 0.0))
        bound = _BOUNDS[metric]
        if bound is not None:
            limit = min(limit, bound)
        learned.setdefault(column, {})[metric] = limit
        before.setdefault(column, {})[metric] = getattr(
            current.meta.drift.for_column(column), metric
        )
        basis.setdefault(column, {})[metric] = {"rule": th.rule, **th.basis}
    if not learned:
        raise MonitorInputError(
            f"no threshold can be learned for {dataset!r} yet",
            details=skipped[:10],
            hint=f"monitor at least {learn_rule.warmup} batches first "
            f"(`datalife monitor {dataset} BATCH...`), or lower `[monitor] warmup`.",
        )
    columns = dict(current.meta.drift.columns)
    for column, metrics in learned.items():
        old = columns.get(column, ColumnThresholds()).model_dump()
        columns[column] = ColumnThresholds.model_validate(old | metrics)
    version = (reg.latest_version(name) or current.version) + 1
    meta = current.meta.model_copy(
        update={
            "version": version,
            "drift": ComparatorConfig(default=current.meta.drift.default, columns=columns),
        }
    )
    target = reg.path_for(name, version)
    text = dump_schema(meta, current.body)
    proposal_sv = parse_schema_text(text, str(target))
    proposal = Proposal(
        dataset,
        current.ref,
        proposal_sv.ref,
        learned,
        before,
        basis,
        skipped,
        text,
    )
    _compat(proposal, current, proposal_sv)
    if write:
        from datalife import lineage
        from datalife.storage import atomic_write_text

        with lineage.run(
            "monitor-thresholds",
            workspace=ws,
            record=record,
            parameters={"from": current.ref, "rule": learn_rule.describe()},
        ) as run:
            run.input(path)
            if current.path:
                run.input(current.path)
            atomic_write_text(target, text)
            run.output(target)
        proposal.written = ws.relpath(target)
    return proposal


def _compat(proposal: Proposal, current: Any, new: Any) -> None:
    """The compatibility verdict of the new version against the current one."""
    from datalife.schemas.compat import compatibility

    report = compatibility(current, new, search=False, policy_only=True)
    proposal.compatible = bool(report.ok)
    proposal.compat_text = report.to_text()
