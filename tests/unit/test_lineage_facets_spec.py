"""Facets where the OpenLineage spec puts them, and every ``_schemaURL`` resolves.

Official facets' URLs must name a schema vendored in ``tests/openlineage/`` (copied unchanged
from the spec) and a JSON Pointer that finds the facet's definition there; datalife's own
facets' URLs must name a schema shipped in this repository (``spec/facets/<version>/``), equal
to the one in the code. Nothing is fetched.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from datalife.lineage.events import DatasetRecord, run_event
from datalife.lineage.facets import (
    FACET_BASE,
    FACET_DIR,
    RUN_EVENT_SCHEMA_URL,
    SCHEMAS,
    shipped_path,
)
from tests.conftest import REPO
from tests.openlineage.validator import validate_event

SPEC = REPO / "tests" / "openlineage"
OFFICIAL_BASE = "https://openlineage.io/spec/"

REPORT: dict[str, Any] = {
    "valid": False,
    "schema": "things@1",
    "rows": 2,
    "engine": "duckdb",
    "checks": [{"column": "x", "check": "in_range", "detail": "in_range(0, 1)", "passed": False}],
    "failures": [{"column": "x", "check": "in_range", "failure_count": 1, "examples": []}],
}

# where a facet may sit -> the spec's base facet it must extend
PLACES = {
    "run": "RunFacet",
    "job": "JobFacet",
    "facets": "DatasetFacet",
    "inputFacets": "InputDatasetFacet",
    "outputFacets": "OutputDatasetFacet",
}


@cache
def _documents() -> dict[str, dict[str, Any]]:
    """Every schema a URL may name: the vendored spec files and the shipped custom ones."""
    docs: dict[str, dict[str, Any]] = {}
    for path in [SPEC / "OpenLineage.json", *sorted((SPEC / "facets").glob("*.json"))]:
        doc = json.loads(path.read_text(encoding="utf-8"))
        docs[doc["$id"]] = doc
    for path in sorted((REPO / FACET_DIR).glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert doc["$id"] == FACET_BASE + path.name, path
        docs[doc["$id"]] = doc
    return docs


def _resolve(url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The document a ``_schemaURL`` names and the definition its JSON Pointer finds."""
    base, _, fragment = url.partition("#")
    assert base.startswith((OFFICIAL_BASE, FACET_BASE)), f"{url}: neither the spec's nor ours"
    doc = _documents().get(base)
    assert doc is not None, f"{url}: no such schema in tests/openlineage/ or {FACET_DIR}/"
    assert fragment.startswith("/"), f"{url}: no JSON Pointer to a definition"
    node: Any = doc
    for part in fragment[1:].split("/"):
        token = unquote(part).replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and token in node, f"{url}: pointer does not resolve"
        node = node[token]
    assert isinstance(node, dict)
    return doc, node


def _bases(definition: Mapping[str, Any]) -> set[str]:
    """The spec's base facets a definition extends (through allOf/anyOf)."""
    found: set[str] = set()
    for part in [*definition.get("allOf", ()), *definition.get("anyOf", ())]:
        ref = part.get("$ref", "")
        if ref.startswith(f"{OFFICIAL_BASE}2-0-2/OpenLineage.json#/$defs/"):
            found.add(ref.rsplit("/", 1)[1])
        found |= _bases(part)
    return found


def _facets(event: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    yield from (("run", k, v) for k, v in event["run"].get("facets", {}).items())
    yield from (("job", k, v) for k, v in event["job"].get("facets", {}).items())
    for side in ("inputs", "outputs"):
        for ds in event[side]:
            for group in ("facets", "inputFacets", "outputFacets"):
                yield from ((group, k, v) for k, v in ds.get(group, {}).items())


def check_event(event: Mapping[str, Any]) -> None:
    """Valid OpenLineage; every facet's URL resolves; every facet sits where the spec says."""
    validate_event(event)
    _resolve(event["schemaURL"])
    for ds in event["outputs"]:
        assert "inputFacets" not in ds, f"output {ds['name']} has input facets"
    for ds in event["inputs"]:
        assert "outputFacets" not in ds, f"input {ds['name']} has output facets"
    for place, key, facet in _facets(event):
        doc, definition = _resolve(facet["_schemaURL"])
        assert doc["properties"][key]["$ref"] == "#" + facet["_schemaURL"].partition("#")[2]
        assert PLACES[place] in _bases(definition), f"{key} may not sit in {place}"


def _events() -> list[dict[str, Any]]:
    ns = "datalife://w"
    src = DatasetRecord(
        "raw.csv", ns, "0f" * 32, "file", rows=2, fields=[("x", "int64")], validation=REPORT
    )
    out = DatasetRecord(
        "out.parquet",
        ns,
        "1e" * 32,
        "file",
        rows=2,
        schema_ref="things@1",
        validation=REPORT,
        column_lineage={"y": [(ns, "raw.csv", "x")]},
    )
    member = {"path": "raw/a.csv", "contentHash": "2d" * 32, "rows": 1, "bytes": 9}
    files = DatasetRecord("things", ns, "3c" * 32, "files", files=[member])
    common: dict[str, Any] = {
        "run_id": "0b4f7f7e-1f6e-4c3e-9b1a-3f0a0c1d2e3f",
        "job_namespace": ns,
        "job_name": "step",
    }
    return [
        run_event("START", **common, parameters={"seed": 1}),
        run_event(
            "COMPLETE",
            **common,
            inputs=[src, files],
            outputs=[out],
            code=[{"name": "t", "fingerprint": "ab" * 6, "version": "1"}],
            parent=("7c9e6679-7425-40de-944b-e07fc1f90ae7", ns, "pipeline"),
        ),
        run_event("FAIL", **common, inputs=[src], error=("boom", "Traceback ...")),
    ]


@pytest.mark.parametrize("event", _events(), ids=lambda e: e["eventType"])
def test_every_event_kind_resolves_and_places_its_facets(event: dict[str, Any]) -> None:
    check_event(event)


def test_data_quality_goes_on_inputs_only() -> None:
    complete = _events()[1]
    (src, _files) = complete["inputs"]
    assert set(src["inputFacets"]) == {"dataQualityAssertions", "datalife_validation"}
    (out,) = complete["outputs"]
    assert set(out["outputFacets"]) == {"datalife_validation"}
    assert "dataQualityAssertions" not in json.dumps(complete["outputs"])


def test_a_facet_in_the_wrong_place_is_caught() -> None:
    """The check itself: an assertions facet on an output fails it."""
    event = _events()[1]
    event["outputs"][0]["outputFacets"]["dataQualityAssertions"] = event["inputs"][0][
        "inputFacets"
    ]["dataQualityAssertions"]
    with pytest.raises(AssertionError, match="may not sit in outputFacets"):
        check_event(event)


def test_a_url_that_does_not_resolve_is_caught() -> None:
    event = _events()[0]
    facet = event["run"]["facets"]["datalife_run"]
    facet["_schemaURL"] = facet["_schemaURL"].replace("DatalifeRunFacet", "DatalifeRunFacett")
    with pytest.raises(AssertionError):
        check_event(event)


def test_shipped_schemas_are_the_code_s() -> None:
    """``spec/facets/<version>/`` holds exactly :data:`SCHEMAS` (regenerate a NEW version with
    ``datalife.lineage.facets.dump_schemas('.')`` after bumping ``FACET_VERSION``)."""
    shipped = sorted(p.name for p in (REPO / FACET_DIR).glob("*.json"))
    assert shipped == sorted(Path(shipped_path(k)).name for k in SCHEMAS)
    for key, schema in SCHEMAS.items():
        on_disk = json.loads((REPO / shipped_path(key)).read_text(encoding="utf-8"))
        assert on_disk == schema, f"{shipped_path(key)} differs from SCHEMAS[{key!r}]"


def test_the_run_event_url_resolves() -> None:
    doc, definition = _resolve(RUN_EVENT_SCHEMA_URL)
    assert doc["$id"].endswith("/2-0-2/OpenLineage.json") and "allOf" in definition
