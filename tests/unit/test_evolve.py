"""Evolving a schema from new data, and bumping a version to edit."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import datalife
from datalife.errors import DatalifeError, SchemaNotFound
from datalife.schemas.evolve import bump, evolve
from datalife.schemas.registry import SchemaRegistry


def _rows(workspace: Path) -> list[dict[str, str]]:
    with (workspace / "sample_data" / "2009.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_valid_data_needs_no_new_version(workspace: Path) -> None:
    evo = evolve("penguins", [workspace / "sample_data" / "2009.csv"], workspace=workspace)
    assert not evo.needed
    assert evo.proposed is None
    assert "nothing to evolve" in evo.to_text()


def test_new_category_wider_range_and_new_column(workspace: Path) -> None:
    rows = _rows(workspace)
    rows[0]["island"] = "Anvers"
    rows[1]["body_mass_g"] = "6500"
    for i, r in enumerate(rows):
        r["tag"] = str(i) if i % 4 else "NA"
    data = _write(workspace / "new.csv", rows)
    evo = evolve("penguins", [data], workspace=workspace)
    assert evo.needed
    assert evo.resolved
    assert evo.ref == "penguins@2"
    actions = {(lo.column, lo.check) for lo in evo.loosenings}
    assert actions == {
        ("island", "isin"),
        ("body_mass_g", "in_range"),
        ("tag", "column_in_schema"),
    }
    proposed = evo.proposed
    assert proposed is not None
    assert "Anvers" in proposed.columns["island"].checks[0].statistics["allowed_values"]
    assert proposed.columns["body_mass_g"].checks[0].statistics["max_value"] == 6500
    assert proposed.columns["body_mass_g"].checks[0].statistics["min_value"] == 2700
    tag = proposed.columns["tag"]
    assert (tag.required, tag.nullable) == (False, True)
    assert evo.compat is not None
    assert evo.compat.verdicts["BACKWARD"] is True
    assert evo.compat.verdicts["FORWARD"] is False
    assert evo.written is None
    assert not (workspace / "schemas" / "penguins" / "2.yaml").exists()
    assert "run again" not in evo.to_text()  # the CLI says that, not the library
    assert "BACKWARD yes" in evo.to_text()


def test_write_adds_the_next_version_which_accepts_the_data(workspace: Path) -> None:
    rows = _rows(workspace)
    rows[0]["species"] = "Emperor"
    data = _write(workspace / "new.csv", rows)
    evo = evolve("penguins", [data], workspace=workspace, write=True)
    path = workspace / "schemas" / "penguins" / "2.yaml"
    assert evo.written == str(path)
    assert path.is_file()
    reg = SchemaRegistry(workspace)
    v2 = reg.load("penguins@2")
    assert v2.meta.description == reg.load("penguins@1").meta.description
    assert datalife.validate([data], "penguins@2", workspace=workspace, record=False).valid
    assert not datalife.validate([data], "penguins@1", workspace=workspace, record=False).valid
    # the write is recorded: the new schema file comes from the data and the previous version
    from datalife import lineage

    lg = lineage.load(workspace)
    up = {lg.graph.nodes[n].get("name") for n in lg.upstream(lg.resolve(str(path))).nodes}
    assert {"new.csv", "schemas/penguins/1.yaml", "schema-evolve"} <= up


def test_missing_values_make_the_column_nullable_with_a_nullable_dtype(workspace: Path) -> None:
    rows = _rows(workspace)
    rows[3]["year"] = "NA"
    data = _write(workspace / "new.csv", rows)
    evo = evolve("penguins", [data], workspace=workspace)
    assert evo.resolved
    year = evo.proposed.columns["year"]  # type: ignore[union-attr]
    assert year.nullable
    assert str(year.dtype) == "Int64"
    assert "nullable" in evo.loosenings[0].action


def test_a_few_bad_values_do_not_change_the_type(workspace: Path) -> None:
    rows = _rows(workspace)
    rows[2]["body_mass_g"] = "heavy"
    data = _write(workspace / "new.csv", rows)
    evo = evolve("penguins", [data], workspace=workspace)
    assert not evo.resolved
    assert not any(lo.check == "dtype" for lo in evo.loosenings)
    col = evo.proposed.columns["body_mass_g"]  # type: ignore[union-attr]
    assert str(col.dtype) == "Int64"
    (note,) = [u for u in evo.unresolved if "body_mass_g" in u]
    assert "1 of" in note and "too few to change the type" in note
    assert "new.csv:4" in note  # the bad value's row
    assert evo.after is not None
    assert [f.column for f in evo.after.failures] == ["body_mass_g"]


def test_text_in_most_of_a_numeric_column_changes_the_type(workspace: Path) -> None:
    rows = _rows(workspace)
    for r in rows:
        if r["body_mass_g"] not in ("", "NA"):
            r["body_mass_g"] += " g"
    data = _write(workspace / "new.csv", rows)
    evo = evolve("penguins", [data], workspace=workspace)
    assert evo.resolved
    col = evo.proposed.columns["body_mass_g"]  # type: ignore[union-attr]
    assert str(col.dtype).startswith(("str", "string"))
    assert not col.checks  # the numeric range no longer applies to text
    (action,) = [lo.action for lo in evo.loosenings if lo.check == "dtype"]
    assert "(100.0%)" in action
    assert evo.compat is not None
    assert evo.compat.verdicts["FORWARD"] is False


def test_fractions_in_a_share_of_an_integer_column_widen_it(workspace: Path) -> None:
    rows = _rows(workspace)
    changed = 0
    for i, r in enumerate(rows):
        if i % 4 == 0 and r["flipper_length_mm"] not in ("", "NA"):
            r["flipper_length_mm"] += ".5"
            changed += 1
    data = _write(workspace / "new.csv", rows)
    evo = evolve("penguins", [data], workspace=workspace)
    assert evo.resolved
    col = evo.proposed.columns["flipper_length_mm"]  # type: ignore[union-attr]
    assert str(col.dtype) == "float64"
    (action,) = [lo.action for lo in evo.loosenings if lo.check == "dtype"]
    assert f"{changed} of" in action


def test_a_missing_column_becomes_optional(workspace: Path) -> None:
    rows = [{k: v for k, v in r.items() if k != "sex"} for r in _rows(workspace)]
    data = _write(workspace / "new.csv", rows)
    evo = evolve("penguins", [data], workspace=workspace)
    assert evo.resolved
    assert evo.proposed.columns["sex"].required is False  # type: ignore[union-attr]
    assert evo.compat is not None
    assert evo.compat.verdicts["BACKWARD"] is True


def test_a_custom_check_is_left_unresolved_and_not_written(workspace: Path) -> None:
    import pandera.pandas as pa

    @datalife.register_check("evolve_test_small_year")
    def evolve_test_small_year(series):  # type: ignore[no-untyped-def]
        return series < 2009

    reg = SchemaRegistry(workspace)
    v1 = reg.load("penguins@1")
    schema = v1.schema.update_columns({"year": {"checks": [pa.Check.evolve_test_small_year()]}})
    reg.save(schema, "penguins")
    data = workspace / "sample_data" / "2009.csv"
    evo = evolve("penguins", [data], workspace=workspace)
    assert not evo.resolved
    assert any("evolve_test_small_year" in u for u in evo.unresolved)
    with pytest.raises(DatalifeError, match="still rejects the data"):
        evolve("penguins", [data], workspace=workspace, write=True)
    assert not (workspace / "schemas" / "penguins" / "3.yaml").exists()


def test_evolve_refuses_a_version_reference(workspace: Path) -> None:
    with pytest.raises(DatalifeError, match="not a version"):
        evolve("penguins@1", [workspace / "sample_data" / "2009.csv"], workspace=workspace)


def test_bump_copies_the_latest_version_keeping_its_text(workspace: Path) -> None:
    v1 = workspace / "schemas" / "penguins" / "1.yaml"
    v1.write_text(v1.read_text(encoding="utf-8") + "# a comment kept by bump\n", encoding="utf-8")
    sv = bump("penguins", workspace=workspace)
    assert sv.ref == "penguins@2"
    text = (workspace / "schemas" / "penguins" / "2.yaml").read_text(encoding="utf-8")
    assert "version: 2\n" in text
    assert "format_version: 1\n" in text
    assert "# datalife schema penguins@2." in text
    assert "# a comment kept by bump" in text
    assert text.replace("version: 2\n", "version: 1\n").replace("penguins@2", "penguins@1") == (
        v1.read_text(encoding="utf-8")
    )
    assert bump("penguins", workspace=workspace).ref == "penguins@3"


def test_bump_errors(workspace: Path) -> None:
    with pytest.raises(SchemaNotFound):
        bump("reviews", workspace=workspace)
    with pytest.raises(DatalifeError, match="not a version"):
        bump("penguins@1", workspace=workspace)
