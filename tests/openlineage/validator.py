"""Validate RunEvents against the official OpenLineage schemas, offline.

Every schema file here is registered under its ``$id`` (plus datalife's custom facet
schemas), so ``$ref``s between them resolve locally. An event is checked against the core
schema, then every facet it carries against the schema of that facet: a facet key with no
known schema is an error, so datalife cannot write a facet nobody described.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from datalife.lineage.facets import SCHEMAS as DATALIFE_FACETS

HERE = Path(__file__).parent


def _spec_schemas() -> list[dict[str, Any]]:
    files = [HERE / "OpenLineage.json", *sorted((HERE / "facets").glob("*.json"))]
    return [json.loads(p.read_text(encoding="utf-8")) for p in files]


@cache
def _registry() -> tuple[Registry, dict[str, dict[str, Any]], dict[str, Any]]:
    schemas = [*_spec_schemas(), *DATALIFE_FACETS.values()]
    registry: Registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s, default_specification=DRAFT202012)) for s in schemas
    )
    by_key: dict[str, dict[str, Any]] = {}
    core: dict[str, Any] = {}
    for s in schemas:
        if s["$id"].endswith("/OpenLineage.json"):
            core = s
        for key in s.get("properties", {}):
            by_key[key] = s
    return registry, by_key, core


def _facets(event: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    yield from (("run", k, v) for k, v in (event["run"].get("facets") or {}).items())
    yield from (("job", k, v) for k, v in (event["job"].get("facets") or {}).items())
    for side in ("inputs", "outputs"):
        for ds in event.get(side) or ():
            for group in ("facets", "inputFacets", "outputFacets"):
                for k, v in (ds.get(group) or {}).items():
                    yield f"{side}:{ds['name']}:{group}", k, v


def validate_event(event: Mapping[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` (or AssertionError) if ``event`` is not valid."""
    registry, by_key, core = _registry()
    jsonschema.Draft202012Validator(core, registry=registry).validate(event)
    for where, key, facet in _facets(event):
        schema = by_key.get(key)
        assert schema is not None, f"{where}: facet {key!r} has no schema"
        jsonschema.Draft202012Validator(schema, registry=registry).validate({key: facet})
        url = facet["_schemaURL"]
        assert url.split("#")[0] == schema["$id"], (
            f"{where}: {key} _schemaURL {url} != {schema['$id']}"
        )
        assert urlparse(facet["_producer"]).scheme == "https"
    # formats jsonschema does not check without extra packages
    uuid.UUID(event["run"]["runId"])
    datetime.fromisoformat(event["eventTime"])
    assert urlparse(event["producer"]).scheme == "https"
    assert urlparse(event["schemaURL"]).scheme == "https"
