"""Where rows are processed: every engine behind one contract and one registry.

See :mod:`datalife.engines.base` for the contract and docs/engines.md for how to add one.
"""

from __future__ import annotations

from datalife.engines.base import (
    Data,
    Engine,
    check_engine_name,
    engine_for,
    engine_names,
    get_engine,
    register_engine,
    unavailable,
    validate_data,
)

__all__ = [
    "Data",
    "Engine",
    "check_engine_name",
    "engine_for",
    "engine_names",
    "get_engine",
    "register_engine",
    "unavailable",
    "validate_data",
]
