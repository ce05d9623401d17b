"""Schema registry: versions, references, safe loading, round trips."""

from __future__ import annotations

from pathlib import Path

import pandera.pandas as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import datalife
from datalife.errors import DatalifeError, SchemaFileError, SchemaNotFound, SchemaVersionNotFound
from datalife.schemas.io import dump_schema, parse_schema_text, serialize_body
from datalife.schemas.registry import SchemaRegistry


@pytest.fixture
def reg(tmp_path: Path) -> SchemaRegistry:
    return SchemaRegistry(tmp_path)


def simple() -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {"x": pa.Column(int, pa.Check.in_range(0, 10)), "s": pa.Column(str, nullable=True)},
        strict=True,
    )


def test_save_list_and_load_refs(reg: SchemaRegistry) -> None:
    reg.save(simple(), "demo", description="first")
    reg.save(simple().add_columns({"y": pa.Column(float)}), "demo")
    assert reg.list() == {"demo": [1, 2]}
    assert reg.load("demo").version == 2
    assert reg.load("demo@latest").version == 2
    assert reg.load("demo@1").meta.description == "first"
    assert reg.load("demo@1").schema == simple()


def test_released_version_is_not_overwritten(reg: SchemaRegistry) -> None:
    reg.save(simple(), "demo")
    with pytest.raises(DatalifeError, match="immutable"):
        reg.save(simple(), "demo", version=1)


def test_unknown_name_suggests(reg: SchemaRegistry) -> None:
    reg.save(simple(), "penguins")
    with pytest.raises(SchemaNotFound) as err:
        reg.load("penguin")
    assert "did you mean 'penguins'" in str(err.value)
    assert isinstance(err.value, KeyError)


def test_unknown_version_lists_versions(reg: SchemaRegistry) -> None:
    reg.save(simple(), "demo")
    with pytest.raises(SchemaVersionNotFound, match=r"no version 7 \(versions: 1\)"):
        reg.load("demo@7")


@pytest.mark.parametrize("ref", ["demo@x", "demo@0", "@2", "9lives"])
def test_bad_refs(reg: SchemaRegistry, ref: str) -> None:
    with pytest.raises(DatalifeError):
        reg.load(ref)


def test_register_dataframe_model(reg: SchemaRegistry) -> None:
    class Reviews(pa.DataFrameModel):
        rating: int = pa.Field(ge=1, le=5)
        text: str = pa.Field(nullable=True)

    sv = reg.register(Reviews, "reviews")
    assert sv.ref == "reviews@1"
    assert reg.load("reviews").schema.columns["rating"].checks[0].name == "greater_than_or_equal_to"


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "schemas" / "bad" / "1.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("name: bad\nversion: 1\nschema:\n  columns: [\n")
    with pytest.raises(SchemaFileError) as err:
        SchemaRegistry(tmp_path).load("bad")
    assert str(path) in str(err.value)
    assert err.value.line is not None


def test_python_object_tag_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "schemas" / "evil" / "1.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(
        "name: evil\nversion: 1\nschema: !!python/object/apply:os.system ['echo pwned']\n"
    )
    with pytest.raises(SchemaFileError, match="unsafe YAML tag refused") as err:
        SchemaRegistry(tmp_path).load("evil")
    assert err.value.line == 3


def test_name_version_must_match_path(tmp_path: Path, reg: SchemaRegistry) -> None:
    sv = reg.save(simple(), "demo")
    text = Path(sv.path or "").read_text().replace("\nversion: 1", "\nversion: 3")
    Path(sv.path or "").write_text(text)
    with pytest.raises(SchemaFileError, match="path says demo@1"):
        SchemaRegistry(tmp_path).load("demo@1")


def test_unknown_check_in_file(tmp_path: Path) -> None:
    text = "name: c\nversion: 1\nschema:\n  columns:\n    x:\n      dtype: int64\n      is_prime: true\n"
    with pytest.raises(SchemaFileError, match="unknown check 'is_prime'"):
        parse_schema_text(text, "c.yaml")


def test_unregistered_lambda_check_is_refused(reg: SchemaRegistry) -> None:
    schema = pa.DataFrameSchema({"x": pa.Column(int, pa.Check(lambda s: s > 0))})
    with pytest.raises(DatalifeError, match="register_check"):
        reg.save(schema, "lam")


def test_custom_check_round_trip(reg: SchemaRegistry) -> None:
    @datalife.register_check("divisible_by", statistics=["factor"])
    def divisible_by(series: object, *, factor: int) -> object:
        return series % factor == 0  # type: ignore[operator]

    schema = pa.DataFrameSchema({"x": pa.Column(int, pa.Check.divisible_by(factor=3))})
    sv = reg.save(schema, "custom")
    loaded = reg.load("custom")
    check = loaded.schema.columns["x"].checks[0]
    assert check.name == "divisible_by"
    assert check.statistics["factor"] == 3
    assert sv.schema == loaded.schema


# -- property: load -> save -> load is lossless -----------------------------------------

NUMERIC = st.integers(-1000, 1000)


@st.composite
def columns(draw: st.DrawFn) -> pa.Column:
    kind = draw(st.sampled_from(["int64", "float64", "str", "category", "bool", "Int64"]))
    checks: list[pa.Check] = []
    if kind in ("int64", "float64", "Int64"):
        lo = draw(NUMERIC)
        hi = draw(st.integers(lo, lo + 1000))
        checks.append(
            draw(
                st.sampled_from(
                    [
                        pa.Check.in_range(lo, hi),
                        pa.Check.ge(lo),
                        pa.Check.le(hi),
                        pa.Check.gt(lo),
                        pa.Check.isin(list(range(lo, lo + 3))),
                    ]
                )
            )
        )
    elif kind in ("str", "category"):
        values = draw(
            st.lists(st.text("abcxyz", min_size=1, max_size=5), min_size=1, max_size=4, unique=True)
        )
        checks.append(pa.Check.isin(values))
        if kind == "str" and draw(st.booleans()):
            checks.append(pa.Check.str_length(1, draw(st.integers(1, 20))))
            checks.append(pa.Check.str_matches("^[a-z]+$"))
    return pa.Column(
        kind,
        checks=checks,
        nullable=draw(st.booleans()),
        unique=draw(st.booleans()),
        coerce=draw(st.booleans()),
        required=draw(st.booleans()),
        description=draw(st.one_of(st.none(), st.text("ab c", max_size=10))),
    )


@st.composite
def schemas(draw: st.DrawFn) -> pa.DataFrameSchema:
    names = draw(
        st.lists(
            st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True),
            min_size=1,
            max_size=5,
            unique=True,
        )
    )
    return pa.DataFrameSchema(
        {n: draw(columns()) for n in names},
        strict=draw(st.booleans()),
        ordered=draw(st.booleans()),
        name="prop",
    )


@given(schema=schemas(), compat=st.sampled_from(["BACKWARD", "FULL_TRANSITIVE", "NONE"]))
def test_load_save_load_is_lossless(schema: pa.DataFrameSchema, compat: str) -> None:
    from datalife.schemas.model import SchemaMeta

    meta = SchemaMeta.model_validate(
        {
            "name": "prop",
            "version": 1,
            "compatibility": compat,
            "environments": {"serving": {"absent": list(schema.columns)[:1]}},
            "drift": {
                "default": {"linf": 0.2},
                "columns": {next(iter(schema.columns)): {"psi": 0.1}},
            },
        }
    )
    text1 = dump_schema(meta, serialize_body(schema))
    first = parse_schema_text(text1, "prop.yaml")
    text2 = dump_schema(first.meta, serialize_body(first.schema))
    second = parse_schema_text(text2, "prop.yaml")
    assert text1 == text2
    assert first.meta == second.meta == meta
    assert first.schema == second.schema
    assert first.schema == schema
