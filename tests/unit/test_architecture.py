"""The layers of docs/architecture.md hold: import-linter's contracts in pyproject.toml pass,
and the contract names every layer the page names."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def test_the_import_contracts_are_kept() -> None:
    pytest.importorskip("importlinter", reason="pip install -e '.[dev]' for lint-imports")
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_page_and_the_contract_name_the_same_layers() -> None:
    layers = next(c for c in _contracts() if c["type"] == "layers")["layers"]
    assert isinstance(layers, list)
    in_contract = [sorted(re.split(r"\s*[:|]\s*", layer)) for layer in layers]
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = [re.split(r"(?<!\\)\|", line) for line in page.splitlines()]  # cells; \| is text
    cells = [row[2] for row in rows if len(row) > 3 and row[1].strip().isdigit()]
    on_page = [sorted(re.findall(r"`(datalife\.[\w.]+)`", cell)) for cell in cells]
    assert on_page == in_contract


def test_every_package_is_in_a_layer() -> None:
    layers = next(c for c in _contracts() if c["type"] == "layers")["layers"]
    assert isinstance(layers, list)
    named = {m for layer in layers for m in re.split(r"\s*[:|]\s*", layer)}
    package = ROOT / "datalife"
    found = {
        f"datalife.{p.stem if p.suffix == '.py' else p.name}"
        for p in package.iterdir()
        if (p.suffix == ".py" and p.stem not in ("__init__", "__main__"))
        or (p.is_dir() and (p / "__init__.py").exists())
    }
    assert found <= named, sorted(found - named)
