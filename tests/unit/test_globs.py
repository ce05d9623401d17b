"""One glob matcher for matching and listing files (datalife.globs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from datalife.globs import glob_to_regex, list_files, literal_prefix

FILES = ["data/x.csv", "data/a/y.csv", "data/a/b/z.parquet", "data/.hidden.csv", "top.csv"]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for rel in FILES:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    return tmp_path


@pytest.mark.parametrize(
    "pattern",
    [
        "data/**",
        "data/*.csv",
        "data/**/*.csv",
        "**/*.parquet",
        "*.csv",
        "data/?/*.csv",
        "data/[ab]/*",
    ],
)
def test_listing_and_matching_agree(tree: Path, pattern: str) -> None:
    """`data/**` matched files at any depth while Path.glob listed only folders."""
    listed = {p.relative_to(tree).as_posix() for p in list_files(tree, pattern)}
    matched = {rel for rel in FILES if glob_to_regex(pattern).match(rel)}
    assert listed == matched
    assert listed  # every pattern here matches something


def test_nothing_outside_the_root_is_listed(
    tree: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.csv").write_text("x")
    (tree / "data" / "link.csv").symlink_to(outside / "secret.csv")
    (tree / "data" / "linked_dir").symlink_to(outside)
    (tree / "data" / "inside_link.csv").symlink_to(tree / "top.csv")
    listed = {p.relative_to(tree).as_posix() for p in list_files(tree, "data/**")}
    assert "data/link.csv" not in listed and not any("linked_dir" in p for p in listed)
    assert "data/inside_link.csv" in listed
    assert list_files(tree, "../*.csv") == []


def test_literal_prefix() -> None:
    assert literal_prefix("data/raw/2024-*.csv") == "data/raw"
    assert literal_prefix("data/[ab]/x.csv") == "data"
    assert literal_prefix("x.csv") == ""
