"""The benchmark data generator: deterministic, chunk-independent, and honest about its defects."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks import generate as g
from datalife.storage import hash_file


def _read(path: Path) -> Any:
    return pq.read_table(path) if path.suffix == ".parquet" else pcsv.read_csv(path)


# -- determinism -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_same_seed_gives_the_same_file(fmt: str, tmp_path: Path) -> None:
    a = g.generate(3000, fmt, dirty=True, out_dir=tmp_path / "a")
    b = g.generate(3000, fmt, dirty=True, out_dir=tmp_path / "b")
    assert hash_file(a) == hash_file(b)
    c = g.generate(3000, fmt, dirty=True, seed=1, out_dir=tmp_path / "c")
    assert c.name.endswith("_s1." + fmt)
    assert hash_file(a) != hash_file(c)


@given(
    start=st.integers(0, 10**9),
    n=st.integers(0, 1500),
    cut=st.floats(0, 1),
    dirty=st.booleans(),
    fmt=st.sampled_from(["parquet", "csv"]),
)
def test_rows_do_not_depend_on_chunking(
    start: int, n: int, cut: float, dirty: bool, fmt: str
) -> None:
    k = int(n * cut)
    whole, exp = g.make_table(start, n, dirty=dirty, fmt=fmt)
    left, exp_l = g.make_table(start, k, dirty=dirty, fmt=fmt)
    right, exp_r = g.make_table(start + k, n - k, dirty=dirty, fmt=fmt)
    assert pa.concat_tables([left, right]).combine_chunks().equals(whole.combine_chunks())
    exp_l.update(exp_r)
    assert exp_l.failures == exp.failures
    assert exp_l.dirty_rows == exp.dirty_rows


def test_file_does_not_depend_on_chunk_size(tmp_path: Path) -> None:
    big = g.generate(2500, dirty=True, out_dir=tmp_path / "big")
    small = g.generate(2500, dirty=True, out_dir=tmp_path / "small", chunk_rows=333)
    assert _read(big).equals(_read(small))
    assert pq.ParquetFile(small).num_row_groups == 8  # it really was written in chunks
    assert g.expected_failures(big) == g.expected_failures(small)


def test_a_smaller_file_is_a_prefix_of_a_larger_one(tmp_path: Path) -> None:
    small = _read(g.generate(1000, out_dir=tmp_path))
    large = _read(g.generate(2000, out_dir=tmp_path))
    assert large.slice(0, 1000).equals(small)


def test_an_up_to_date_file_is_reused_and_force_rewrites_it(tmp_path: Path) -> None:
    path = g.generate(500, out_dir=tmp_path)
    before = path.stat().st_mtime_ns
    assert g.generate(500, out_dir=tmp_path) == path
    assert path.stat().st_mtime_ns == before
    path.write_bytes(b"torn")  # size no longer matches the manifest
    g.generate(500, out_dir=tmp_path)
    assert pq.read_table(path).num_rows == 500
    g.generate(500, out_dir=tmp_path, force=True)
    assert pq.read_table(path).num_rows == 500


# -- the clean table ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clean() -> Any:
    table, expected = g.make_table(0, 20_000)
    assert not expected.failures
    return table


def test_clean_table_has_the_documented_shape(clean: Any) -> None:
    assert clean.column_names == list(g.COLUMNS)
    assert clean.num_rows == 20_000
    assert pc.count_distinct(clean["id"]).as_py() == 20_000
    assert set(clean["category"].unique().to_pylist()) == set(g.CATEGORIES)
    assert set(clean["channel"].unique().to_pylist()) == set(g.CHANNELS)
    lengths = pc.utf8_length(clean["comment"])
    assert pc.min(lengths).as_py() == 8
    assert pc.max(lengths).as_py() == 24
    assert all(s.isalpha() and s.islower() for s in clean["comment"].to_pylist()[:500])
    assert clean.schema.field("created_at").type == pa.timestamp("us")


def test_clean_table_has_the_documented_distributions(clean: Any) -> None:
    n = clean.num_rows
    assert clean["amount"].null_count / n == pytest.approx(0.05, abs=0.01)
    assert clean["score"].null_count / n == pytest.approx(0.10, abs=0.01)
    shares = Counter(clean["label"].to_pylist())
    for label, p in zip(g.LABELS, g.LABEL_P, strict=True):
        assert shares[label] / n == pytest.approx(p, abs=0.01)
    for col in ("id", "user_id", "quantity", "category", "channel", "comment", "label"):
        assert clean[col].null_count == 0, col


def test_clean_table_passes_both_pandera_schemas(clean: Any) -> None:
    import polars as pl
    from pandera.config import ValidationDepth, config_context

    df = clean.to_pandas()
    frame = pl.from_arrow(clean)
    assert isinstance(frame, pl.DataFrame)
    assert len(g.pandera_schema().validate(df, lazy=True)) == clean.num_rows
    with config_context(validation_depth=ValidationDepth.SCHEMA_AND_DATA):
        out = g.polars_schema().validate(frame.lazy(), lazy=True).collect()
    assert out.height == clean.num_rows


# -- the dirty table ------------------------------------------------------------------------


@pytest.mark.parametrize("n", [100, 1000, 1050, 1099])
def test_one_dirty_row_per_block_of_100(n: int) -> None:
    clean_t, _ = g.make_table(0, n)
    dirty_t, expected = g.make_table(0, n, dirty=True)
    differs = [
        i
        for i, (a, b) in enumerate(zip(clean_t.to_pylist(), dirty_t.to_pylist(), strict=True))
        if a != b
    ]
    assert len(differs) == expected.total_dirty_rows
    assert n // 100 <= len(differs) <= -(-n // 100)
    assert all(i % 100 != 0 for i in differs)  # never the first of a block
    assert len({i // 100 for i in differs}) == len(differs)


def _pandera_counts(schema: Any, df: Any) -> dict[str, int]:
    import pandera.errors as pe

    try:
        schema.validate(df, lazy=True)
    except pe.SchemaErrors as exc:
        cases = exc.failure_cases
        names = {"field_uniqueness": "unique"}
        out: Counter[str] = Counter()
        for column, check in zip(cases["column"], cases["check"], strict=True):
            name = str(check).split("(")[0]
            out[f"{column}/{names.get(name, name)}"] += 1
        return dict(out)
    return {}


@pytest.fixture(scope="module")
def dirty_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("bench")
    return {fmt: g.generate(6000, fmt, dirty=True, out_dir=out) for fmt in ("parquet", "csv")}


def test_manifest_covers_every_defect(dirty_files: dict[str, Path]) -> None:
    parquet = g.expected_failures(dirty_files["parquet"])
    csv = g.expected_failures(dirty_files["csv"])
    assert set(parquet) == {
        "id/unique",
        "quantity/in_range",
        "score/in_range",
        "category/isin",
        "comment/not_nullable",
        "amount/in_range",
    }
    assert set(csv) == set(parquet) - {"amount/in_range"} | {"quantity/dtype"}
    assert parquet["id/unique"] % 2 == 0  # a duplicated id makes two failing rows
    dirty_rows = sum(parquet.values()) - parquet["id/unique"] // 2
    assert dirty_rows == 60


def test_pandera_finds_exactly_what_the_manifest_says(dirty_files: dict[str, Path]) -> None:
    path = dirty_files["parquet"]
    df = pq.read_table(path).to_pandas()
    assert _pandera_counts(g.pandera_schema(), df) == g.expected_failures(path)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_datalife_finds_exactly_what_the_manifest_says(
    fmt: str, dirty_files: dict[str, Path], tmp_path: Path
) -> None:
    import datalife
    from datalife.schemas.registry import SchemaRegistry

    root = g.ensure_workspace(tmp_path)
    sv = SchemaRegistry(root).load(g.SCHEMA_REF)
    report = datalife.validate(dirty_files[fmt], sv, engine="duckdb")
    got = {f"{f.column}/{f.check}": f.failure_count for f in report.failures}
    assert got == g.expected_failures(dirty_files[fmt])
    clean_path = g.generate(2000, fmt, out_dir=tmp_path)
    assert datalife.validate(clean_path, sv, engine="duckdb").valid


# -- the workspace and the command line ------------------------------------------------------


def test_workspace_holds_the_schema_and_is_reused(tmp_path: Path) -> None:
    from datalife.schemas.registry import SchemaRegistry

    root = g.ensure_workspace(tmp_path)
    assert (root / "datalife.toml").is_file()
    schema_file = root / "schemas" / "bench" / "1.yaml"
    sv = SchemaRegistry(root).load(g.SCHEMA_REF)
    assert list(sv.schema.columns) == list(g.COLUMNS)
    assert sv.schema.strict is True
    before = schema_file.stat().st_mtime_ns
    assert g.ensure_workspace(tmp_path) == root
    assert schema_file.stat().st_mtime_ns == before


def test_main_writes_files_and_prints_their_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert g.main(["--rows", "1k", "--format", "both", "--dirty", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.split()
    assert [Path(p).name for p in printed] == ["bench_1000_dirty.parquet", "bench_1000_dirty.csv"]
    assert all(Path(p).is_file() for p in printed)
    assert (tmp_path / "workspace" / "schemas" / "bench" / "1.yaml").is_file()


def test_data_path_rejects_unknown_formats() -> None:
    with pytest.raises(ValueError, match="parquet or csv"):
        g.data_path(10, "json")
