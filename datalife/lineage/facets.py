"""datalife's custom OpenLineage facets, and the JSON Schema of each.

OpenLineage lets a producer add its own facets to runs, jobs and datasets. The spec's rules
for a custom facet: its key is prefixed with the producer's name (``datalife_...``), and the
facet carries ``_producer`` (who wrote it) and ``_schemaURL`` (the JSON Schema it follows,
as a URL with a JSON Pointer to the definition). The schemas below are the source of truth
for those URLs; the test suite validates every event datalife writes against them and the
official OpenLineage schemas.

Every ``_schemaURL`` resolves to a schema that exists: the official facets' point to
``https://openlineage.io/spec/facets/...`` (the same files are vendored, unchanged, in
``tests/openlineage/``), and datalife's own point to the copy of these schemas shipped in the
repository under ``spec/facets/<version>/`` (:data:`FACET_DIR`), at a URL that names that
version (:data:`FACET_BASE`). A shipped version is never edited: a change to a custom facet
is a new version folder. A test checks that the shipped files equal :data:`SCHEMAS` and that
every URL's JSON Pointer finds its definition.

| key | where | what |
|---|---|---|
| ``datalife_run`` | run facet | log format version, datalife version, run parameters |
| ``datalife_code`` | run facet | the code that ran: transforms as name, fingerprint, version |
| ``datalife_dataset`` | dataset facet | content hash, rows, bytes, storage, schema name@version, member files |
| ``datalife_validation`` | input/output facet | the verdict of a schema validation |
| ``datalife_engine`` | run facet | the engine that ran the step: duckdb, pandas or spark (with the Spark master or Connect URL and the Spark version) |

The data-quality facets of the spec (``dataQualityAssertions``) are input facets: they go on
the datasets a run read. An output a run validated carries only ``datalife_validation``.

Examples:
    >>> facet_url("datalife_dataset")  # doctest: +ELLIPSIS
    'https://raw.githubusercontent.com/.../spec/facets/1-0-0/DatalifeDatasetFacet.json#/$defs/DatalifeDatasetFacet'
    >>> shipped_path("datalife_dataset")
    'spec/facets/1-0-0/DatalifeDatasetFacet.json'
    >>> sorted(SCHEMAS)  # doctest: +NORMALIZE_WHITESPACE
    ['datalife_code', 'datalife_dataset', 'datalife_engine', 'datalife_run',
     'datalife_validation']
    >>> engine_facet("duckdb")["engine"]
    'duckdb'
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from datalife._version import __version__

__all__ = [
    "FACET_BASE",
    "FACET_DIR",
    "FACET_VERSION",
    "OPENLINEAGE_SPEC",
    "PRODUCER",
    "RUN_EVENT_SCHEMA_URL",
    "SCHEMAS",
    "dump_schemas",
    "engine_facet",
    "facet_url",
    "shipped_path",
    "spec_facet_url",
]

PRODUCER = f"https://github.com/datalife/datalife/tree/v{__version__}"
OPENLINEAGE_SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
RUN_EVENT_SCHEMA_URL = f"{OPENLINEAGE_SPEC}#/$defs/RunEvent"
#: Version of datalife's custom facet schemas (a folder of ``spec/facets/``).
FACET_VERSION = "1-0-0"
#: Where the shipped schemas of this version live in the repository.
FACET_DIR = f"spec/facets/{FACET_VERSION}"
#: The URL of that folder: the raw files of the project's repository (JSON, not a web page).
FACET_BASE = f"https://raw.githubusercontent.com/datalife/datalife/main/{FACET_DIR}/"

# The official facets datalife writes: key -> (schema file, version, $defs name).
_SPEC_FACETS: dict[str, tuple[str, str]] = {
    "schema": ("SchemaDatasetFacet", "1-2-0"),
    "version": ("DatasetVersionDatasetFacet", "1-0-1"),
    "dataQualityAssertions": ("DataQualityAssertionsDatasetFacet", "1-1-0"),
    "columnLineage": ("ColumnLineageDatasetFacet", "1-2-0"),
    "errorMessage": ("ErrorMessageRunFacet", "1-0-1"),
    "parent": ("ParentRunFacet", "1-2-0"),
    "jobType": ("JobTypeJobFacet", "2-0-4"),
}

_NAMES = {
    "datalife_run": "DatalifeRunFacet",
    "datalife_code": "DatalifeCodeFacet",
    "datalife_dataset": "DatalifeDatasetFacet",
    "datalife_validation": "DatalifeValidationFacet",
    "datalife_engine": "DatalifeEngineRunFacet",
}


def spec_facet_url(key: str) -> str:
    """The ``_schemaURL`` of an official OpenLineage facet datalife writes.

    Examples:
        >>> spec_facet_url("schema")
        'https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet'
    """
    name, version = _SPEC_FACETS[key]
    return f"https://openlineage.io/spec/facets/{version}/{name}.json#/$defs/{name}"


def facet_url(key: str) -> str:
    """The ``_schemaURL`` of one of datalife's custom facets."""
    name = _NAMES[key]
    return f"{FACET_BASE}{name}.json#/$defs/{name}"


def shipped_path(key: str) -> str:
    """Where the schema of custom facet ``key`` is shipped, relative to the repository root."""
    return f"{FACET_DIR}/{_NAMES[key]}.json"


def dump_schemas(root: str | Path) -> list[Path]:
    """Write every custom facet's schema under ``root`` (the repository) at its shipped path.

    For a new :data:`FACET_VERSION` only: the files of a published version never change.
    """
    import json

    from datalife.storage import atomic_write_text

    written = []
    for key, schema in SCHEMAS.items():
        path = Path(root) / shipped_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(schema, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


def _schema(key: str, bases: Sequence[str], body: dict[str, Any]) -> dict[str, Any]:
    name = _NAMES[key]
    refs = [{"$ref": f"{OPENLINEAGE_SPEC}#/$defs/{b}"} for b in bases]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{FACET_BASE}{name}.json",
        "$defs": {
            name: {
                "allOf": [
                    refs[0] if len(refs) == 1 else {"anyOf": refs},
                    {"type": "object", **body},
                ],
                "type": "object",
            }
        },
        "type": "object",
        "properties": {key: {"$ref": f"#/$defs/{name}"}},
    }


_HEX = {"type": "string", "pattern": "^[0-9a-f]{8,128}$"}
_COUNT = {"type": ["integer", "null"], "minimum": 0}

SCHEMAS: dict[str, dict[str, Any]] = {
    "datalife_run": _schema(
        "datalife_run",
        ["RunFacet"],
        {
            "properties": {
                "formatVersion": {
                    "description": "datalife lineage log format; readers skip newer lines",
                    "type": "integer",
                    "minimum": 1,
                },
                "datalifeVersion": {"type": "string"},
                "parameters": {
                    "description": "run parameters (split ratios, seed, ...), any JSON",
                    "type": "object",
                },
            },
            "required": ["formatVersion"],
        },
    ),
    "datalife_code": _schema(
        "datalife_code",
        ["RunFacet"],
        {
            "properties": {
                "transforms": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string", "minLength": 1},
                            "fingerprint": {"type": "string", "minLength": 1},
                            "version": {"type": ["string", "null"]},
                        },
                        "required": ["name", "fingerprint"],
                    },
                }
            },
            "required": ["transforms"],
        },
    ),
    "datalife_dataset": _schema(
        "datalife_dataset",
        ["DatasetFacet"],
        {
            "properties": {
                "contentHash": {**_HEX, "description": "BLAKE3 hex of the content"},
                "storage": {"enum": ["file", "files", "memory"]},
                "rows": _COUNT,
                "bytes": _COUNT,
                "schemaRef": {"type": ["string", "null"], "description": "name@version"},
                "files": {
                    "description": "for a dataset made of several files: each member",
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "path": {"type": "string"},
                            "contentHash": _HEX,
                            "rows": _COUNT,
                            "bytes": _COUNT,
                        },
                        "required": ["path", "contentHash"],
                    },
                },
            },
            "required": ["contentHash", "storage"],
        },
    ),
    "datalife_validation": _schema(
        "datalife_validation",
        # an input facet on what a run read, an output facet on what it wrote and validated
        ["InputDatasetFacet", "OutputDatasetFacet"],
        {
            "properties": {
                "valid": {"type": "boolean"},
                "schema": {"type": "string"},
                "engine": {"type": ["string", "null"]},
                "rows": _COUNT,
                "datasetVersion": {"type": ["string", "null"]},
                "failures": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "column": {"type": ["string", "null"]},
                            "check": {"type": "string"},
                            "detail": {"type": ["string", "null"]},
                            "failureCount": {"type": "integer", "minimum": 0},
                            "message": {"type": ["string", "null"]},
                            "examples": {"type": "array"},
                        },
                        "required": ["check", "failureCount"],
                    },
                },
            },
            "required": ["valid", "schema"],
        },
    ),
}

SCHEMAS["datalife_engine"] = _schema(
    "datalife_engine",
    ["RunFacet"],
    {
        "properties": {
            "engine": {
                "description": "the engine that ran the step: duckdb, pandas, spark, ...",
                "type": "string",
                "minLength": 1,
            },
            "master": {
                "description": "Spark: the master (local[N], spark://..., yarn, k8s://...) or "
                "the Spark Connect URL (sc://host:port) the session ran on",
                "type": ["string", "null"],
            },
            "spark_version": {
                "description": "Spark: the session's version",
                "type": ["string", "null"],
            },
        },
        "required": ["engine"],
    },
)


def engine_facet(engine_name: str, session: Any = None) -> dict[str, Any]:
    """The ``datalife_engine`` run facet: which engine ran a step (``duckdb``, ``pandas``,
    ``spark``), and for Spark where (the master, or the Spark Connect URL) and which version.

    Any command that runs on an engine attaches it to its run's events, so the lineage log
    says where each output was computed. ``session`` (a Spark session) is only looked at,
    never started here.

    Examples:
        >>> facet = engine_facet("pandas")
        >>> facet["engine"], sorted(facet)[:2]
        ('pandas', ['_producer', '_schemaURL'])
    """
    body: dict[str, Any] = {
        "_producer": PRODUCER,
        "_schemaURL": facet_url("datalife_engine"),
        "engine": str(engine_name),
    }
    if session is not None:
        body["master"] = _spark_master(session)
        body["spark_version"] = str(getattr(session, "version", "") or "") or None
    return body


def _spark_master(session: Any) -> str | None:
    """A classic session's master (``local[2]``, ``spark://...``), or a Connect session's
    server URL (without its token or other parameters)."""
    ctx = None
    try:
        ctx = session.sparkContext  # classic sessions only: Spark Connect raises here
    except Exception:  # noqa: BLE001 - a Connect session has no SparkContext
        ctx = None
    if ctx is not None:
        return str(ctx.master)
    builder = getattr(getattr(session, "client", None), "_builder", None)
    endpoint = getattr(builder, "endpoint", None)  # host:port, without token or parameters
    return f"sc://{endpoint}" if endpoint else None
