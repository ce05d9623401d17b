"""The errors of monitoring (all :class:`~datalife.errors.DatalifeError`).

Exit codes as everywhere in datalife: 2 for usage, configuration and unreadable input (a slice
column the batch lacks, a corrupt or locked history store), 1 for data that fails (an empty batch,
an alarm).
"""

from __future__ import annotations

from typing import Any

from datalife.errors import DataError, InputError

__all__ = ["MonitorAlarm", "MonitorDataError", "MonitorInputError", "MonitorStoreError"]


class MonitorInputError(InputError):
    """A batch, reference, slice or role that cannot be monitored as given (exit code 2)."""


class MonitorStoreError(InputError):
    """The history store is corrupt, locked by another process, or of a newer format (exit 2)."""


class MonitorDataError(DataError):
    """A batch that cannot be judged: it has no rows (exit code 1)."""


class MonitorAlarm(DataError):
    """Raised by :meth:`MonitorRun.raise_for_alarms` when a threshold is crossed (exit 1)."""

    def __init__(self, run: Any) -> None:
        alarms = [a for b in run.batches for a in b.alarms]
        details = [a.describe() for a in alarms[:20]]
        if len(alarms) > 20:
            details.append(f"... and {len(alarms) - 20} more")
        super().__init__(
            f"{len(alarms)} alarm{'s' if len(alarms) != 1 else ''} in "
            f"{sum(1 for b in run.batches if b.alarms)} of {len(run.batches)} batches",
            details=details,
            hint="look at what moved (`datalife monitor history DATASET`); if the change is "
            "expected, adopt the learned thresholds: `datalife monitor thresholds DATASET "
            "--propose`.",
        )
        self.run = run
