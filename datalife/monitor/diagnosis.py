"""Telling covariate shift, prior shift and a concept-drift proxy apart, with their numbers.

Three comparisons, each against the reference: the label's own drift (**prior shift**), each
feature's drift over the whole batch (**covariate shift**), and each feature's drift *within*
each class against the same class of the reference. A feature that shifts within a class while
the batch as a whole does not -- or a model metric that falls while the features hold still --
means the relation between features and label changed: a **concept-drift proxy**. Whether a
column "moved" is decided by the thresholds monitoring uses (its whole-batch alarm; while they
warm up, ``datalife drift``'s verdict).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from datalife.monitor.report import Alarm, Finding, Value
from datalife.monitor.slices import Binning, SliceDef, compare_groups

if TYPE_CHECKING:
    from datalife.drift.report import DriftReport

__all__ = ["CLASS_SHIFT", "MONITORED_ALL", "diagnose"]

#: every drift metric a whole-batch alarm can come from
MONITORED_ALL = ("linf", "jsd_log2", "psi", "wasserstein_norm", "ks_stat")
#: within a class, a feature has shifted past these (and significantly, p < 0.05)
CLASS_SHIFT = {"numeric": ("psi", 0.2), "categorical": ("linf", 0.1)}
SIGNIFICANCE = 0.05


def _moved(
    values: Sequence[Value], alarms: Sequence[Alarm], c: Any
) -> tuple[str, float, float] | None:
    """Whether column ``c`` of the drift report moved, by the thresholds monitoring uses.

    A whole-batch drift alarm on the column says so (learned or fixed threshold); while its
    thresholds are still warming up, ``datalife drift``'s own verdict does.
    """
    for a in alarms:
        if not a.slice and a.column == c.column and a.metric in MONITORED_ALL:
            return a.metric, float(a.value or 0.0), float(a.threshold or 0.0)
    kinds = {
        v.threshold.kind
        for v in values
        if not v.slice and v.column == c.column and v.metric in MONITORED_ALL and v.threshold
    }
    if kinds <= {"warmup"} and c.drifted and c.method is not None:
        return str(c.method), float(c.value or 0.0), float(c.threshold or 0.0)
    return None


def diagnose(
    values: Sequence[Value],
    alarms: Sequence[Alarm],
    report: DriftReport,
    defs: Sequence[SliceDef],
    groups: dict[str, Any],
    ref_summary: dict[str, Any] | None,
    binning: Binning,
    labelled: bool,
    min_support: int,
) -> list[Finding]:
    label, prediction = binning.label, binning.prediction
    findings: list[Finding] = []
    drifted = {
        c.column: moved
        for c in report.columns
        if c.column not in (label, prediction)
        and (c.column in binning.numeric or c.column in binning.categorical)
        and (moved := _moved(values, alarms, c)) is not None
    }
    if prediction and prediction in [c.column for c in report.columns]:
        pc = report[prediction]
        if pc.drifted:
            findings.append(
                Finding(
                    "prediction drift",
                    f"predictions {prediction!r} moved: {pc.method} {pc.value:.4g} > "
                    f"{pc.threshold:g}",
                    {
                        "column": prediction,
                        "metric": pc.method,
                        "value": pc.value,
                        "threshold": pc.threshold,
                    },
                )
            )
    per_class: dict[str, list[dict[str, Any]]] = {}
    d = next((d for d in defs if d.origin == "label classes"), None)
    if labelled and d is not None and ref_summary is not None:
        ref = ref_summary["groups"]["slices"].get(d.name, {})
        for key, g in groups["slices"].get(d.name, {}).items():
            rg = ref.get(key)
            if rg is None or g["rows"] < min_support or rg["rows"] < min_support:
                continue
            for col, nums in compare_groups(
                rg, g, binning, (label or "", prediction or "")
            ).items():
                family = "categorical" if col in binning.categorical else "numeric"
                metric, limit = CLASS_SHIFT[family]
                value, p = nums.get(metric), nums["p"]
                if value is not None and value > limit and p is not None and p < SIGNIFICANCE:
                    per_class.setdefault(col, []).append(
                        {
                            "class": key.split("=", 1)[1],
                            "metric": metric,
                            "value": value,
                            "p_value": p,
                        }
                    )
    if label and labelled and label in [c.column for c in report.columns]:
        lc = report[label]
        lm = _moved(values, alarms, lc)
        if lm is not None:
            explained = [c for c in drifted if c not in per_class]
            text = f"label {label!r} shares moved: {lm[0]} {lm[1]:.4g} > {lm[2]:.4g}"
            if lc.worst and "value" in lc.worst:
                text += (
                    f" ({lc.worst['value']}: {100 * lc.worst['baseline_share']:.1f}% -> "
                    f"{100 * lc.worst['current_share']:.1f}%)"
                )
            if explained and ref_summary is not None:
                text += f"; the drift of {', '.join(explained)} is explained by the class mix (no drift within classes)"
            findings.append(
                Finding(
                    "prior shift",
                    text,
                    {
                        "column": label,
                        "metric": lm[0],
                        "value": lm[1],
                        "threshold": lm[2],
                        "chi2_pvalue": lc.metrics.get("chi2_pvalue"),
                        "explained_by_class_mix": explained,
                    },
                )
            )
    prior = any(f.kind == "prior shift" for f in findings)
    covariate = [
        c for c in drifted if c in per_class or not prior or ref_summary is None or not labelled
    ]
    if covariate:
        findings.append(
            Finding(
                "covariate shift",
                "features moved: "
                + ", ".join(
                    f"{c} ({drifted[c][0]} {drifted[c][1]:.4g} > {drifted[c][2]:.4g})"
                    for c in covariate
                ),
                {
                    "columns": {
                        c: {
                            "metric": drifted[c][0],
                            "value": drifted[c][1],
                            "threshold": drifted[c][2],
                        }
                        for c in covariate
                    }
                },
            )
        )
    concept = {c: v for c, v in per_class.items() if c not in drifted}
    if concept:
        parts = [
            f"{c} within class {x['class']} ({x['metric']} {x['value']:.3g}, p={x['p_value']:.2g})"
            for c, xs in concept.items()
            for x in xs
        ]
        findings.append(
            Finding(
                "concept-drift proxy",
                "features moved within classes while the batch as a whole did not: "
                + "; ".join(parts),
                {"within_class": concept},
            )
        )
    quality = [
        a for a in alarms if not a.slice and a.metric in ("accuracy", "macro_f1", "mae", "rmse")
    ]
    if quality and not covariate:
        findings.append(
            Finding(
                "concept-drift proxy",
                "model quality fell with no covariate shift: "
                + ", ".join(
                    f"{a.metric} {a.value:.4g} (threshold {a.threshold:.4g})" for a in quality
                ),
                {
                    "metrics": {
                        a.metric: {"value": a.value, "threshold": a.threshold} for a in quality
                    }
                },
            )
        )
    return findings
