"""The Markdown dataset card: content, escaping for GitHub, defaults and errors."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datalife.config import Workspace, init_workspace
from datalife.errors import ConfigError
from datalife.report import build_card, write_card
from datalife.report.card import md, render_card
from tests.conftest import REPO


def sample(root: Path) -> Path:
    root.mkdir(parents=True)
    shutil.copy(REPO / "datalife.toml", root / "datalife.toml")
    shutil.copytree(REPO / "sample_data", root / "sample_data")
    shutil.copytree(REPO / "schemas", root / "schemas")
    return root


def sections(card: str) -> list[str]:
    return re.findall(r"^## (.+)$", card, flags=re.M)


def table_rows(card: str, heading: str) -> list[list[str]]:
    """The body rows of the first table under ``## heading``, split on unescaped pipes."""
    part = card.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    lines: list[str] = []
    for ln in part.splitlines():
        if ln.startswith("|"):
            lines.append(ln)
        elif lines:
            break  # the end of the first table
    return [[c.strip() for c in re.split(r"(?<!\\)\|", ln)[1:-1]] for ln in lines[2:]]


def test_card_of_sample_dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datalife.validation import validate_files

    root = sample(tmp_path / "ws")
    monkeypatch.chdir(root)
    ws = Workspace.find(root)
    validate_files(ws.dataset_files("penguins"), workspace=ws, record=True)
    result = write_card(ws, "penguins")
    assert result.path == ws.root / "penguins.card.md"
    card = result.path.read_text(encoding="utf-8")
    assert card.startswith("# Dataset card: penguins\n")
    assert sections(card) == [
        "Source files",
        "Schema penguins@1",
        "Statistics",
        "Splits",
        "Known issues",
        "Versions",
        "Lineage",
    ]
    files = table_rows(card, "Source files")
    assert [r[0] for r in files] == [
        "`sample_data/2007.csv`",
        "`sample_data/2008.csv`",
        "`sample_data/2009.csv`",
    ]
    assert all(re.fullmatch(r"`[0-9a-f]{64}`", r[2]) for r in files)
    schema = table_rows(card, "Schema penguins@1")
    assert schema[0][:3] == ["`species`", "`category`", "no"]
    assert "in_range(32.1, 59.6)" in card
    assert "| `body_mass_g` | 2 (0.6%) | 2700 |" in card
    assert "Adelie (44.2%)" in card
    assert "no splits recorded yet" in card
    assert "```mermaid\nflowchart LR\n" in card and card.count("```") == 2
    assert "missing values: `bill_length_mm` 2 (0.6%)" in card
    assert result.to_dict()["kind"] == "card"


def test_card_known_issues_and_splits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datalife.splits import split
    from datalife.validation import validate_files

    root = sample(tmp_path / "ws")
    monkeypatch.chdir(root)
    ws = Workspace.find(root)
    split(ws.dataset_files("penguins"), stratify="species", out=root / "splits")
    bad = root / "sample_data" / "2010.csv"
    bad.write_text(
        (root / "sample_data" / "2009.csv").read_text() + "Adelie,Dream,999,18,190,3500,male,2009\n"
    )
    validate_files(ws.dataset_files("penguins"), workspace=ws, record=True)
    card = build_card(ws, "penguins")
    issues = card.split("## Known issues", 1)[1].split("\n## ", 1)[0]
    assert "**bill\\_length\\_mm**" in issues and "`999.0` at sample\\_data/2010.csv" in issues
    assert "❌ invalid under `penguins@1`" in card
    rows = table_rows(card, "Splits")
    assert [r[0] for r in rows] == ["train", "dev", "test"]
    assert "stratified by `species`" in card and "| Adelie | 44.2% |" in card


def test_card_defaults_and_errors(tmp_path: Path) -> None:
    root = sample(tmp_path / "ws")
    assert build_card(root).startswith("# Dataset card: penguins")  # the only dataset
    with pytest.raises(ConfigError, match="no dataset named 'penguin'"):
        build_card(root, "penguin")
    init_workspace(tmp_path / "empty")
    with pytest.raises(ConfigError, match="no datasets declared"):
        build_card(tmp_path / "empty")
    out = tmp_path / "cards" / "p.md"
    assert write_card(root, "penguins", out).path == out and out.is_file()


def test_render_card_degrades_on_empty_data() -> None:
    card = render_card({"datasets": [{"name": "x", "globs": ["a/*.csv"]}]})
    assert sections(card) == [
        "Source files",
        "Schema",
        "Statistics",
        "Splits",
        "Known issues",
        "Versions",
        "Lineage",
    ]
    assert "```mermaid" not in card


@given(st.text(max_size=60))
def test_md_cannot_break_a_table_cell_or_inject_html(text: str) -> None:
    cell = md(text)
    assert "\n" not in cell and "\r" not in cell
    assert "<" not in cell and ">" not in cell
    assert re.search(r"(?<!\\)\|", cell) is None  # every pipe escaped
    assert re.search(r"(?<!\\)`", cell) is None  # no code span can open


def test_md_escapes_markdown_syntax() -> None:
    assert md("a|b") == "a\\|b"
    assert md("*bold* _x_ [link](http://x)") == "\\*bold\\* \\_x\\_ \\[link\\]\\(http://x\\)"
    assert md("<script>alert(1)</script>") == "&lt;script&gt;alert\\(1\\)&lt;/script&gt;"
    assert md("two\nlines") == "two lines"
