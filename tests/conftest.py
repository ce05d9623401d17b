"""Shared fixtures and hypothesis profiles (``ci`` on CI, ``dev`` otherwise)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "dev", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data"


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the repository's sample workspace (config, schemas, sample data) in tmp."""
    root = tmp_path / "ws"
    root.mkdir()
    shutil.copy(REPO / "datalife.toml", root / "datalife.toml")
    shutil.copytree(REPO / "sample_data", root / "sample_data")
    shutil.copytree(REPO / "schemas", root / "schemas")
    (root / "lineage").mkdir()
    monkeypatch.chdir(root)
    return root
