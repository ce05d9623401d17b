"""Released schema versions are immutable: the registry's record of content hashes."""

from __future__ import annotations

import json
from pathlib import Path

import pandera.pandas as pa
import pytest

from datalife.errors import SchemaFileError, SchemaReleaseChanged
from datalife.schemas.immutability import (
    check_release,
    content_hash,
    edited_releases,
    record_release,
    recorded_releases,
)
from datalife.schemas.registry import SchemaRegistry


def _schema(low: int = 0) -> pa.DataFrameSchema:
    return pa.DataFrameSchema({"x": pa.Column(int, pa.Check.ge(low))})


def test_save_records_the_release_and_load_refuses_an_edit(tmp_path: Path) -> None:
    reg = SchemaRegistry(tmp_path)
    sv = reg.save(_schema(), "demo")
    path = Path(sv.path or "")
    assert set(recorded_releases(tmp_path / "schemas")) == {"demo@1"}
    path.write_text(path.read_text() + "# a reviewer's note\n")  # comments may change
    assert SchemaRegistry(tmp_path).load("demo@1").ref == "demo@1"
    path.write_text(
        path.read_text().replace("greater_than_or_equal_to: 0", "greater_than_or_equal_to: 1")
    )
    with pytest.raises(SchemaReleaseChanged) as err:
        SchemaRegistry(tmp_path).load("demo@1")
    assert err.value.exit_code == 2 and "demo/1.yaml" in str(err.value)
    assert "datalife schema bump demo" in str(err.value)
    assert [e.path for e in edited_releases(tmp_path / "schemas", tmp_path)] == [
        "schemas/demo/1.yaml"
    ]
    assert reg.save(_schema(1), "demo").ref == "demo@2"  # the change as a new version


def test_overwrite_through_the_api_records_the_new_content(tmp_path: Path) -> None:
    reg = SchemaRegistry(tmp_path)
    reg.save(_schema(), "demo")
    reg.save(_schema(3), "demo", version=1, overwrite=True)
    assert SchemaRegistry(tmp_path).load("demo@1").ref == "demo@1"


def test_release_is_recorded_once(tmp_path: Path) -> None:
    folder = tmp_path / "schemas"
    assert record_release(folder, "a@1", "x: 1\n")
    assert not record_release(folder, "a@1", "x: 2\n")  # recorded: never replaced silently
    with pytest.raises(SchemaReleaseChanged):
        check_release(folder, "a@1", folder / "a" / "1.yaml", "x: 2\n")
    check_release(folder, "b@1", folder / "b" / "1.yaml", "anything")  # not released: fine
    data = json.loads((folder / ".releases.json").read_text())
    assert data == {"format_version": 1, "releases": {"a@1": content_hash("x: 1\n")}}


@pytest.mark.parametrize("text", ["not json", '{"releases": [1]}', '{"releases": {"a@1": 3}}'])
def test_damaged_record_is_a_schema_file_error(tmp_path: Path, text: str) -> None:
    folder = tmp_path / "schemas"
    folder.mkdir()
    (folder / ".releases.json").write_text(text)
    with pytest.raises(SchemaFileError, match=r"\.releases\.json"):
        recorded_releases(folder)


def test_content_hash_ignores_layout_not_meaning() -> None:
    assert content_hash("a: {b: 1}\n") == content_hash("a:\n  b: 1  # note\n")
    assert content_hash("a: {b: 1}\n") != content_hash("a: {b: '1'}\n")
    assert content_hash(b"\xff not yaml") == content_hash(b"\xff not yaml")
