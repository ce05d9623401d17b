"""What monitoring returns: per batch, the values with their thresholds, alarms, slices and
findings; and the JSON of ``datalife monitor --format json``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from datalife.monitor.thresholds import Threshold

__all__ = ["Alarm", "BatchResult", "Finding", "MonitorRun", "SliceRow", "Value"]


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass
class Value:
    """One monitored number: a metric of a column in a slice (``""``: the whole batch)."""

    slice: str
    column: str
    metric: str
    value: float | None
    threshold: Threshold | None = None
    alarm: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "slice": self.slice,
            "column": self.column,
            "metric": self.metric,
            "value": _num(self.value),
            "threshold": self.threshold.to_dict() if self.threshold else None,
            "alarm": self.alarm,
        }


@dataclass
class Alarm:
    """A value past its threshold, with the rule that set the threshold."""

    batch: str
    slice: str
    column: str
    metric: str
    value: float | None
    threshold: float | None
    kind: str
    rule: str
    direction: str = "above"

    def describe(self) -> str:
        where = f"column {self.column!r}" if self.column else "batch"
        if self.slice:
            where += f" in slice {self.slice}"
        v = "-" if self.value is None else f"{self.value:.4g}"
        t = "-" if self.threshold is None else f"{self.threshold:.4g}"
        op = ">" if self.direction == "above" else "<"
        return f"{self.batch}: {where}: {self.metric} {v} {op} {t} ({self.rule})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch,
            "slice": self.slice,
            "column": self.column,
            "metric": self.metric,
            "value": _num(self.value),
            "threshold": _num(self.threshold),
            "direction": self.direction,
            "kind": self.kind,
            "rule": self.rule,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Alarm:
        return cls(**d)


@dataclass
class SliceRow:
    """One slice value of a batch: its support, and whether it was judged."""

    slice: str
    definition: str
    support: int
    share: float
    reference_support: int | None
    status: str  # "ok", "alarm", "too small", "new" (absent from the reference)
    rare: bool = False
    worst: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "slice": self.slice,
            "definition": self.definition,
            "support": self.support,
            "share": _num(self.share),
            "reference_support": self.reference_support,
            "status": self.status,
            "rare": self.rare,
            "worst": self.worst,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SliceRow:
        return cls(**d)


@dataclass
class Finding:
    """A diagnosis: ``covariate shift``, ``prior shift`` or ``concept-drift proxy``."""

    kind: str
    text: str
    numbers: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "numbers": self.numbers}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        return cls(**d)


@dataclass
class BatchResult:
    """The monitoring of one batch."""

    name: str
    batch_id: str
    seq: int
    rows: int
    already: bool = False
    values: list[Value] = field(default_factory=list)
    alarms: list[Alarm] = field(default_factory=list)
    slices: list[SliceRow] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def alarmed(self) -> bool:
        return bool(self.alarms)

    def to_dict(self, *, values: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "batch_id": self.batch_id,
            "seq": self.seq,
            "rows": self.rows,
            "already_recorded": self.already,
            "alarmed": self.alarmed,
            "alarms": [a.to_dict() for a in self.alarms],
            "slices": [s.to_dict() for s in self.slices],
            "findings": [f.to_dict() for f in self.findings],
            "notes": list(self.notes),
        }
        if values:
            out["values"] = [v.to_dict() for v in self.values]
        return out

    @classmethod
    def from_stored(cls, d: dict[str, Any]) -> BatchResult:
        """The result recorded for a batch monitored before (values are in the history)."""
        return cls(
            name=d["name"],
            batch_id=d["batch_id"],
            seq=d["seq"],
            rows=d["rows"],
            already=True,
            alarms=[Alarm.from_dict(a) for a in d["alarms"]],
            slices=[SliceRow.from_dict(s) for s in d["slices"]],
            findings=[Finding.from_dict(f) for f in d["findings"]],
            notes=list(d["notes"]),
        )


@dataclass
class MonitorRun:
    """What :func:`datalife.monitor.monitor` returns: one :class:`BatchResult` per batch."""

    dataset: str
    store: str
    reference: str
    reference_rows: int
    schema: str | None
    rule: str
    batches: list[BatchResult] = field(default_factory=list)
    slices: list[dict[str, Any]] = field(default_factory=list)
    label: str | None = None
    prediction: str | None = None
    task: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def alarmed(self) -> bool:
        return any(b.alarmed for b in self.batches)

    @property
    def alarms(self) -> list[Alarm]:
        return [a for b in self.batches for a in b.alarms]

    def raise_for_alarms(self) -> None:
        """Raise :class:`~datalife.monitor.errors.MonitorAlarm` (exit code 1) on any alarm."""
        from datalife.monitor.errors import MonitorAlarm

        if self.alarmed:
            raise MonitorAlarm(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "store": self.store,
            "reference": self.reference,
            "reference_rows": self.reference_rows,
            "schema": self.schema,
            "threshold_rule": self.rule,
            "label": self.label,
            "prediction": self.prediction,
            "task": self.task,
            "slices": self.slices,
            "alarmed": self.alarmed,
            "batches": [b.to_dict() for b in self.batches],
            "notes": self.notes,
        }
