"""Building OpenLineage RunEvents (plain dicts, ready for ``json.dumps``).

Only the standard library is used here: recording a run must not import networkx, pandas
or pyarrow. Every event is a complete, self-contained OpenLineage ``RunEvent``; facets follow
the official facet schemas or datalife's custom ones (:mod:`datalife.lineage.facets`).

Examples:
    >>> ev = run_event("START", run_id="0b4f7f7e-1f6e-4c3e-9b1a-3f0a0c1d2e3f",
    ...                job_namespace="datalife://demo", job_name="validate",
    ...                event_time="2025-01-01T00:00:00.000000Z")
    >>> ev["eventType"], ev["job"]["name"], ev["run"]["facets"]["datalife_run"]["formatVersion"]
    ('START', 'validate', 1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from datalife._version import __version__
from datalife.lineage.facets import PRODUCER, RUN_EVENT_SCHEMA_URL, facet_url, spec_facet_url

__all__ = [
    "FORMAT_VERSION",
    "DatasetRecord",
    "assertions_facet",
    "namespace_for",
    "now_iso",
    "run_event",
    "validation_facet",
]

FORMAT_VERSION = 1
"""Version of the lineage log format. A reader skips (and reports) lines from a newer one."""

EVENT_TYPES = frozenset({"START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"})
TERMINAL = frozenset({"COMPLETE", "ABORT", "FAIL"})
_MAX_EXAMPLES = 3
_MAX_VALUE = 200


def now_iso() -> str:
    """The current UTC time as an OpenLineage ``eventTime`` (microseconds, ``Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def namespace_for(root_name: str) -> str:
    """The OpenLineage namespace of a workspace's jobs and datasets.

    Examples:
        >>> namespace_for("my project")
        'datalife://my%20project'
    """
    from urllib.parse import quote

    return f"datalife://{quote(root_name, safe='-._~')}"


def _facet(key: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """A custom datalife facet: ``_producer``, ``_schemaURL``, then the body."""
    return {"_producer": PRODUCER, "_schemaURL": facet_url(key), **body}


def _spec_facet(key: str, body: Mapping[str, Any]) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": spec_facet_url(key), **body}


@dataclass
class DatasetRecord:
    """One input or output dataset of a run, as recorded.

    Attributes:
        name: workspace-relative path for files; the dataset's name otherwise.
        namespace: the OpenLineage dataset namespace.
        content_hash: BLAKE3 hex of the content (file bytes, Arrow data, or member hashes).
        storage: ``file`` (one file), ``files`` (a dataset made of several files) or ``memory``.
    """

    name: str
    namespace: str
    content_hash: str
    storage: str
    rows: int | None = None
    bytes: int | None = None
    fields: list[tuple[str, str]] | None = None
    schema_ref: str | None = None
    validation: Mapping[str, Any] | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    column_lineage: dict[str, list[tuple[str, str, str]]] | None = None

    def to_openlineage(self, *, output: bool) -> dict[str, Any]:
        """This dataset as an OpenLineage ``InputDataset``/``OutputDataset``."""
        facets: dict[str, Any] = {}
        if self.fields is not None:
            facets["schema"] = _spec_facet(
                "schema",
                {
                    "fields": [
                        {"name": n, "type": t, "ordinal_position": i}
                        for i, (n, t) in enumerate(self.fields, 1)
                    ]
                },
            )
        facets["version"] = _spec_facet("version", {"datasetVersion": self.content_hash})
        body: dict[str, Any] = {"contentHash": self.content_hash, "storage": self.storage}
        if self.rows is not None:
            body["rows"] = int(self.rows)
        if self.bytes is not None:
            body["bytes"] = int(self.bytes)
        if self.schema_ref:
            body["schemaRef"] = self.schema_ref
        if self.files:
            body["files"] = self.files
        facets["datalife_dataset"] = _facet("datalife_dataset", body)
        if self.column_lineage:
            facets["columnLineage"] = _spec_facet(
                "columnLineage",
                {
                    "fields": {
                        out: {
                            "inputFields": [
                                {
                                    "namespace": ns,
                                    "name": name,
                                    "field": col,
                                    "transformations": [{"type": "DIRECT"}],
                                }
                                for ns, name, col in sources
                            ]
                        }
                        for out, sources in self.column_lineage.items()
                    }
                },
            )
        dataset: dict[str, Any] = {
            "namespace": self.namespace,
            "name": self.name,
            "facets": facets,
        }
        if self.validation is not None:
            verdict = validation_facet(self.validation, self.schema_ref)
            if output:
                # the spec's data-quality facets are input facets: an output the run
                # validated carries datalife's verdict only
                dataset["outputFacets"] = {"datalife_validation": verdict}
            else:
                dataset["inputFacets"] = {
                    "dataQualityAssertions": assertions_facet(self.validation),
                    "datalife_validation": verdict,
                }
        return dataset


def _text(value: Any) -> str:
    text = str(value)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def assertions_facet(report: Mapping[str, Any]) -> dict[str, Any]:
    """The ``dataQualityAssertions`` facet of a ``ValidationReport.to_dict()``.

    Each check becomes an assertion; a failed check also gives its failing-row count.

    Examples:
        >>> f = assertions_facet({"checks": [{"column": "x", "check": "in_range",
        ...     "detail": "in_range(0, 1)", "passed": False}],
        ...     "failures": [{"column": "x", "check": "in_range", "failure_count": 3}]})
        >>> f["assertions"][0]["success"], f["assertions"][0]["actual"]
        (False, '3 failing rows')
    """
    counts: dict[tuple[Any, Any], int] = {}
    for failure in report.get("failures") or ():
        key = (failure.get("column"), failure.get("check"))
        counts[key] = counts.get(key, 0) + int(failure.get("failure_count") or 0)
    assertions: list[dict[str, Any]] = []
    checks = list(report.get("checks") or ())
    if not checks:  # a report without the list of checks: one assertion per failure
        checks = [
            {"column": f.get("column"), "check": f.get("check"), "passed": False}
            for f in report.get("failures") or ()
        ]
    for check in checks:
        item: dict[str, Any] = {
            "assertion": str(check.get("check") or "check"),
            "success": bool(check.get("passed", False)),
        }
        if check.get("column") is not None:
            item["column"] = str(check["column"])
        if check.get("detail"):
            item["description"] = _text(check["detail"])
        item["severity"] = "error"
        count = counts.get((check.get("column"), check.get("check")))
        if count is not None and not item["success"]:
            item["actual"] = f"{count} failing rows"
        assertions.append(item)
    return _spec_facet("dataQualityAssertions", {"assertions": assertions})


def validation_facet(report: Mapping[str, Any], schema_ref: str | None = None) -> dict[str, Any]:
    """The ``datalife_validation`` facet: verdict, schema, engine and bounded failures."""
    failures = []
    for f in report.get("failures") or ():
        examples = []
        for ex in list(f.get("examples") or ())[:_MAX_EXAMPLES]:
            if isinstance(ex, Mapping):
                examples.append({k: _example_value(v) for k, v in ex.items()})
        failures.append(
            {
                "column": None if f.get("column") is None else str(f["column"]),
                "check": str(f.get("check") or "check"),
                "detail": None if f.get("detail") is None else _text(f["detail"]),
                "failureCount": int(f.get("failure_count") or 0),
                "message": None if f.get("message") is None else _text(f["message"]),
                "examples": examples,
            }
        )
    body = {
        "valid": bool(report.get("valid", not failures)),
        "schema": str(report.get("schema") or schema_ref or ""),
        "engine": report.get("engine"),
        "rows": report.get("rows"),
        "datasetVersion": report.get("dataset_version"),
        "failures": failures,
    }
    return _facet("datalife_validation", body)


def _example_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        if isinstance(value, float) and value != value:  # NaN is not JSON
            return None
        return value
    return _text(value)


def run_event(
    event_type: str,
    *,
    run_id: str,
    job_namespace: str,
    job_name: str,
    event_time: str | None = None,
    inputs: Sequence[DatasetRecord] = (),
    outputs: Sequence[DatasetRecord] = (),
    parameters: Mapping[str, Any] | None = None,
    code: Sequence[Mapping[str, Any]] = (),
    error: tuple[str, str | None] | None = None,
    parent: tuple[str, str, str] | None = None,
) -> dict[str, Any]:
    """One OpenLineage RunEvent.

    Args:
        event_type: START, COMPLETE, FAIL (or another OpenLineage event type).
        run_id: the run's UUID.
        job_namespace: the workspace namespace (:func:`namespace_for`).
        job_name: the step, e.g. ``validate`` or ``split``.
        event_time: ISO time; now when None.
        inputs: datasets read.
        outputs: datasets written.
        parameters: run parameters (JSON-ready).
        code: transforms that ran: ``{"name", "fingerprint", "version"}``.
        error: ``(message, stack trace)`` for a FAIL event.
        parent: ``(run id, job namespace, job name)`` of the enclosing run.
    """
    run_facets: dict[str, Any] = {
        "datalife_run": _facet(
            "datalife_run",
            {
                "formatVersion": FORMAT_VERSION,
                "datalifeVersion": __version__,
                **({"parameters": dict(parameters)} if parameters else {}),
            },
        )
    }
    if code:
        run_facets["datalife_code"] = _facet(
            "datalife_code", {"transforms": [dict(c) for c in code]}
        )
    if error is not None:
        message, stack = error
        body: dict[str, Any] = {"message": message, "programmingLanguage": "PYTHON"}
        if stack:
            body["stackTrace"] = stack
        run_facets["errorMessage"] = _spec_facet("errorMessage", body)
    if parent is not None:
        parent_id, parent_ns, parent_name = parent
        run_facets["parent"] = _spec_facet(
            "parent",
            {
                "run": {"runId": parent_id},
                "job": {"namespace": parent_ns, "name": parent_name},
            },
        )
    return {
        "eventTime": event_time or now_iso(),
        "eventType": event_type,
        "producer": PRODUCER,
        "schemaURL": RUN_EVENT_SCHEMA_URL,
        "run": {"runId": run_id, "facets": run_facets},
        "job": {
            "namespace": job_namespace,
            "name": job_name,
            "facets": {
                "jobType": _spec_facet(
                    "jobType",
                    {"processingType": "BATCH", "integration": "DATALIFE", "jobType": "TASK"},
                )
            },
        },
        "inputs": [d.to_openlineage(output=False) for d in inputs],
        "outputs": [d.to_openlineage(output=True) for d in outputs],
    }
