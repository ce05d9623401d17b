"""Monitoring over time: each new batch judged against a reference and against its history.

``monitor(dataset, batches)`` profiles each batch (:mod:`datalife.stats`), compares it with the
reference (:mod:`datalife.drift`), per slice as well as as a whole, computes model metrics when
the schema declares a ``label`` and a ``prediction`` column, and records every value in an
embedded DuckDB history (``lineage/monitor.duckdb``). Thresholds are fixed in the schema or
learned from the history (median + k·MAD or a quantile of the last N batches, after a warm-up);
a crossed threshold is an alarm that names its rule. See ``docs/monitoring.md``.

Examples:
    >>> from datalife.monitor import LearnRule, learn
    >>> learn([0.02, 0.03, 0.025, 0.02, 0.03], LearnRule(warmup=5), higher_is_worse=True).kind
    'learned'
"""

from __future__ import annotations

from datalife.monitor.errors import (
    MonitorAlarm,
    MonitorDataError,
    MonitorInputError,
    MonitorStoreError,
)
from datalife.monitor.history import History, Series, history
from datalife.monitor.propose import Proposal, propose_thresholds
from datalife.monitor.report import Alarm, BatchResult, Finding, MonitorRun, SliceRow, Value
from datalife.monitor.run import monitor, store_path
from datalife.monitor.thresholds import LearnRule, Threshold, learn

__all__ = [
    "Alarm",
    "BatchResult",
    "Finding",
    "History",
    "LearnRule",
    "MonitorAlarm",
    "MonitorDataError",
    "MonitorInputError",
    "MonitorRun",
    "MonitorStoreError",
    "Proposal",
    "Series",
    "SliceRow",
    "Threshold",
    "Value",
    "history",
    "learn",
    "monitor",
    "propose_thresholds",
    "store_path",
]
