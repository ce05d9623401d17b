"""Versioned schemas: the registry, the file format, custom checks and inference."""

from __future__ import annotations

from datalife.schemas.diff import SchemaDiff, diff
from datalife.schemas.model import SchemaMeta, SchemaRef, SchemaVersion, parse_ref
from datalife.schemas.registry import SchemaRegistry, load_schema

__all__ = [
    "SchemaDiff",
    "SchemaMeta",
    "SchemaRef",
    "SchemaRegistry",
    "SchemaVersion",
    "diff",
    "load_schema",
    "parse_ref",
]
