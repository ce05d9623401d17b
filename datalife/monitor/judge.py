"""Judging one batch: its values, their thresholds, the alarms, the slices and the diagnosis.

Monitored values (``slice`` ``""`` is the whole batch):

============================  =========================================================
whole batch, per column       the drift metrics ``datalife drift`` decides by (numbers:
                              ``psi``, ``wasserstein_norm``; categories: ``linf``; plus any
                              metric the schema sets a threshold for) and ``missing_share``
whole batch, with a label     ``unseen_classes`` (rows of a class the reference never had)
label and prediction          ``accuracy``, ``macro_f1`` (classification; per class
                              ``precision:C``, ``recall:C``, ``f1:C``, ``support:C`` are
                              recorded without a threshold); ``mae``, ``rmse``
each slice value              ``support``; per column ``psi`` (and ``linf`` for categories)
                              against the same slice of the reference; the model metrics
                              within the slice
============================  =========================================================

A learned threshold on a distribution metric alarms only when the shift is also significant
(KS or chi-square p < 0.05), so a small slice's sampling noise does not raise alarms.

The diagnosis (covariate shift, prior shift, concept-drift proxy) is
:mod:`datalife.monitor.diagnosis`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.monitor import measures
from datalife.monitor.diagnosis import diagnose
from datalife.monitor.report import Alarm, BatchResult, SliceRow, Value
from datalife.monitor.slices import Binning, SliceDef, check_columns, compare_groups, summarise
from datalife.monitor.thresholds import LearnRule, Threshold, higher_is_worse, learn

if TYPE_CHECKING:
    from datalife.config import Workspace
    from datalife.drift.report import DriftReport
    from datalife.monitor.store import MetricRow, Store
    from datalife.schemas.model import SchemaVersion
    from datalife.stats.profile import Profile

__all__ = ["MONITORED", "judge"]

#: the whole-batch drift metrics monitored per column family (beyond the schema's own)
MONITORED = {"numeric": ("psi", "wasserstein_norm"), "categorical": ("linf",)}
#: a learned threshold crossed with a test p-value at or above this is sampling noise
SIGNIFICANCE = 0.05
NO_THRESHOLD = Threshold("none", None, True, "recorded, not thresholded")


def _fixed_rule(sv: SchemaVersion, column: str, metric: str) -> str | None:
    own = sv.meta.drift.columns.get(column)
    if own is not None and getattr(own, metric) is not None:
        return f"fixed: schema {sv.ref} drift.columns.{column}.{metric}"
    if getattr(sv.meta.drift.default, metric) is not None:
        return f"fixed: schema {sv.ref} drift.default.{metric}"
    return None


class _Judge:
    def __init__(
        self, batch: str, recent: dict[tuple[str, str, str], list[float]], rule: LearnRule
    ) -> None:
        self.batch = batch
        self.recent = recent
        self.rule = rule
        self.values: list[Value] = []
        self.alarms: list[Alarm] = []

    def add(
        self,
        slice_: str,
        column: str,
        metric: str,
        value: float | None,
        threshold: Threshold | None = None,
        alarm: bool | None = None,
        pvalue: float | None = None,
    ) -> Value:
        """Record a value; judge it by ``threshold`` (default: learned from its history).

        ``pvalue``: the test of "same distribution" for this value; a learned threshold crossed
        while ``pvalue >= 0.05`` is sampling noise, not an alarm (as ``datalife drift`` does).
        """
        if value is not None and not math.isfinite(value):
            value = None
        if threshold is None:
            history = self.recent.get((slice_, column, metric), [])
            threshold = learn(history, self.rule, higher_is_worse=higher_is_worse(metric))
        crossed = threshold.crossed(value) if alarm is None else alarm
        if crossed and alarm is None and pvalue is not None and pvalue >= SIGNIFICANCE:
            crossed = False
        v = Value(slice_, column, metric, value, threshold, crossed)
        self.values.append(v)
        if crossed:
            self.alarms.append(
                Alarm(
                    self.batch,
                    slice_,
                    column,
                    metric,
                    value,
                    threshold.value,
                    threshold.kind,
                    threshold.rule,
                    "above" if threshold.higher_is_worse else "below",
                )
            )
        return v

    def rows(self) -> list[MetricRow]:
        return [
            (
                v.slice,
                v.column,
                v.metric,
                v.value,
                v.threshold.value if v.threshold else None,
                v.threshold.kind if v.threshold else "none",
                v.threshold.rule if v.threshold else "",
                v.alarm,
            )
            for v in self.values
        ]


def judge(
    *,
    ws: Workspace,
    store: Store,
    dataset: str,
    name: str,
    files: Sequence[Path],
    batch_id: str,
    ref_profile: Profile,
    ref_summary: dict[str, Any] | None,
    defs: Sequence[SliceDef],
    binning: Binning,
    sv: SchemaVersion | None,
    rule: LearnRule,
    min_support: int,
    rare_share: float,
    memory_limit: str | None,
) -> tuple[BatchResult, list[MetricRow]]:
    """Profile, summarise and judge one batch (nothing is written here)."""
    from datalife.drift import drift
    from datalife.monitor.run import empty_batch_error
    from datalife.stats.engine import DEFAULT_MEMORY_LIMIT, open_scan, profile_scan

    notes: list[str] = []
    with open_scan(
        list(files),
        memory_limit=memory_limit or DEFAULT_MEMORY_LIMIT,
        workspace=ws,
        dataset=dataset,
    ) as scan:
        rows = int(scan.execute("SELECT count(*) FROM src")[0][0])
        if rows == 0:
            raise empty_batch_error(name)
        available = [c for c, _ in scan.columns]
        label = binning.label
        labelled = label is not None and label in available
        if label is not None and labelled:
            from datalife.io import sql_ident

            nonnull = int(scan.execute(f"SELECT count({sql_ident(label)}) FROM src")[0][0])
            labelled = nonnull > 0
        if label is not None and not labelled:
            notes.append(
                f"labels have not arrived (no values in {label!r}): model metrics and per-class "
                "drift skipped; prediction drift reported"
            )
        if binning.prediction is not None and binning.prediction not in available:
            notes.append(f"no prediction column {binning.prediction!r} in the batch")
        used = [d for d in defs if labelled or d.origin != "label classes"]
        check_columns(used, available, name)
        profile = profile_scan(scan, ref_profile.settings)
        groups = summarise(scan, used, binning)
    report = drift(ref_profile, profile, sv, workspace=ws)
    seq = store.next_seq(dataset)
    j = _Judge(name, store.recent(dataset, rule.window), rule)
    j.add("", "", "rows", float(rows), NO_THRESHOLD, False)
    _whole_batch(j, report, sv, binning)
    if labelled and label is not None:
        _unseen(j, label, groups, ref_summary, ref_profile, defs)
    _model(j, "", groups["all"], binning)
    slices = _slices(j, used, groups, ref_summary, binning, rows, min_support, rare_share)
    findings = diagnose(
        j.values, j.alarms, report, used, groups, ref_summary, binning, labelled, min_support
    )
    result = BatchResult(
        name=name,
        batch_id=batch_id,
        seq=seq,
        rows=rows,
        values=j.values,
        alarms=j.alarms,
        slices=slices,
        findings=findings,
        notes=notes + report.notes,
    )
    return result, j.rows()


def _whole_batch(
    j: _Judge, report: DriftReport, sv: SchemaVersion | None, binning: Binning
) -> None:
    watched = set(binning.numeric) | set(binning.categorical)
    if binning.prediction:
        watched.add(binning.prediction)
    if binning.label:
        watched.add(binning.label)
    for c in report.columns:
        if c.status not in ("ok", "drift") or (watched and c.column not in watched):
            continue
        metrics = list(MONITORED.get(c.family, ()))
        if sv is not None:
            metrics += [
                m for m in c.thresholds if m not in metrics and _fixed_rule(sv, c.column, m)
            ]
        for m in metrics:
            value = c.metrics.get(m)
            rule = _fixed_rule(sv, c.column, m) if sv is not None else None
            if rule is not None:
                th = Threshold("fixed", c.thresholds[m], True, rule)
                j.add("", c.column, m, value, th, m in c.breaches)
            else:
                test = "ks_pvalue" if c.family == "numeric" else "chi2_pvalue"
                j.add("", c.column, m, value, pvalue=c.metrics.get(test))
        j.add("", c.column, "missing_share", c.missing_share_current)


def _unseen(
    j: _Judge,
    label: str,
    groups: dict[str, Any],
    ref_summary: dict[str, Any] | None,
    ref_profile: Profile,
    defs: Sequence[SliceDef],
) -> None:
    from datalife.stats.profile import CategoricalColumn

    d = next((d for d in defs if d.origin == "label classes"), None)
    if d is None:
        return
    batch = groups["slices"].get(d.name, {})
    known: set[str] | None = None
    if ref_summary is not None:
        known = set(ref_summary["groups"]["slices"].get(d.name, {}))
    else:
        col = ref_profile[label] if label in ref_profile.column_names else None
        if isinstance(col, CategoricalColumn) and col.state.values.complete:
            known = {f"{label}={v}" for v, _ in col.state.values.items}
    if known is None:
        return
    new = {
        k: g["rows"] for k, g in batch.items() if k not in known and not k.endswith("=(missing)")
    }
    names = ", ".join(k.split("=", 1)[1] for k in sorted(new))
    th = Threshold(
        "fixed",
        0.0,
        True,
        "fixed: every label class must be one the reference has"
        + (f" (new: {names})" if new else ""),
    )
    j.add("", label, "unseen_classes", float(sum(new.values())), th)


def _model(j: _Judge, slice_: str, group: dict[str, Any], binning: Binning) -> None:
    if "confusion" in group:
        for m, v in measures.classification(group["confusion"]).items():
            if ":" in m:  # per class: recorded; too noisy to judge batch by batch
                j.add(slice_, binning.label or "", m, v, NO_THRESHOLD, False)
            else:
                j.add(slice_, binning.label or "", m, v)
    elif "errors" in group:
        for m, v in measures.regression(group["errors"]).items():
            j.add(slice_, binning.label or "", m, v)


def _slices(
    j: _Judge,
    defs: Sequence[SliceDef],
    groups: dict[str, Any],
    ref_summary: dict[str, Any] | None,
    binning: Binning,
    rows: int,
    min_support: int,
    rare_share: float,
) -> list[SliceRow]:
    out: list[SliceRow] = []
    ref_groups = ref_summary["groups"] if ref_summary else None
    ref_rows = ref_groups["all"]["rows"] if ref_groups else 0
    for d in defs:
        batch = groups["slices"].get(d.name, {})
        ref = ref_groups["slices"].get(d.name, {}) if ref_groups else {}
        for key in sorted(set(batch) | set(ref)):
            g = batch.get(key)
            rg = ref.get(key)
            support = g["rows"] if g else 0
            ref_support = rg["rows"] if rg else (0 if ref_groups else None)
            rare = d.origin == "label classes" and (
                not ref_rows or (ref_support or 0) / ref_rows < rare_share
            )
            j.add(key, "", "support", float(support), NO_THRESHOLD, False)
            row = SliceRow(key, d.name, support, support / rows, ref_support, "ok", rare)
            out.append(row)
            if g is None:
                row.status = "absent"
                continue
            if support < min_support:
                row.status = "too small"
                continue
            before = len(j.alarms)
            if rg is not None and rg["rows"] >= min_support:
                worst: tuple[float, dict[str, Any]] | None = None
                for col, nums in compare_groups(rg, g, binning, d.columns).items():
                    for m in ("psi", "linf"):
                        if m not in nums:
                            continue
                        v = j.add(key, col, m, nums[m], pvalue=nums["p"])
                        limit = v.threshold.value if v.threshold else None
                        if v.value is not None:
                            score = v.value / limit if limit else v.value
                            if worst is None or score > worst[0]:
                                worst = (
                                    score,
                                    {
                                        "column": col,
                                        "metric": m,
                                        "value": v.value,
                                        "threshold": limit,
                                    },
                                )
                row.worst = worst[1] if worst else None
            elif ref_groups is not None:
                row.status = "new" if rg is None else "too small in the reference"
            _model(j, key, g, binning)
            if len(j.alarms) > before:
                row.status = "alarm"
    return out
