"""Splitting files out of core (DuckDB): same answers as frames, atomic writes, provenance."""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from datalife.errors import InputError, OutputNotWritable, SplitConfigError, SplitDataError
from datalife.splits import REPORT_FILE, SPLITS, read_provenance, split
from datalife.splits._sources import FileSource
from datalife.storage import dataset_version_id, hash_file

REPO = Path(__file__).resolve().parents[2]


def data(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(n, dtype=np.int64),
            "label": rng.choice(["neg", "pos", "rare"], n, p=[0.7, 0.25, 0.05]),
            "user": rng.integers(0, 60, n),
            "x": rng.normal(size=n).round(6),
            "name": [f"n{i % 37}" for i in range(n)],
        }
    )


@pytest.fixture
def parquet(tmp_path: Path) -> Path:
    path = tmp_path / "data.parquet"
    data().to_parquet(path, index=False)
    return path


@pytest.mark.parametrize(
    "kwargs",
    [
        {"stratify": "label"},
        {"key": "id"},
        {"key": "name_id"},
        {"group": "user", "stratify": "label"},
        {"stratify": "label", "rebalance": "upsample"},
        {"stratify": "label", "rebalance": "downsample"},
        {"stratify": "label", "rebalance": "weight"},
    ],
)
def test_files_split_like_frames(tmp_path: Path, kwargs: dict[str, str]) -> None:
    df = data().assign(name_id=lambda d: "u" + d["id"].astype(str))
    path = tmp_path / "d.parquet"
    df.to_parquet(path, index=False)
    in_memory = split(df, **kwargs)  # type: ignore[arg-type]
    from_file = split(path, **kwargs)  # type: ignore[arg-type]
    written = split(path, out=tmp_path / "out", **kwargs)  # type: ignore[arg-type]
    assert np.array_equal(in_memory.assignment, from_file.assignment)
    assert in_memory.report.to_dict() == from_file.report.to_dict()
    for name in SPLITS:
        expected = in_memory[name].reset_index(drop=True)
        pd.testing.assert_frame_equal(from_file[name], expected, check_dtype=False)
        pd.testing.assert_frame_equal(written[name], expected, check_dtype=False)
    assert written.frames is None
    assert written.files[name].exists()


def test_csv_and_several_files_in_order(tmp_path: Path) -> None:
    df = data(300)
    parts = [df.iloc[:100], df.iloc[100:250], df.iloc[250:]]
    paths = []
    for i, part in enumerate(parts):
        p = tmp_path / f"part{i}.csv"
        part.to_csv(p, index=False)
        paths.append(p)
    from_csv = split(paths, stratify="label", out=tmp_path / "out")
    assert np.array_equal(from_csv.assignment, split(df, stratify="label").assignment)
    ids = pd.concat([from_csv[s]["id"] for s in SPLITS])
    assert sorted(ids) == list(range(300))
    assert from_csv.inputs == [{"path": p.as_posix(), "blake3": hash_file(p)} for p in paths]
    assert from_csv.dataset_versions == [dataset_version_id([hash_file(p) for p in paths])]


def test_penguins_sample_with_na(tmp_path: Path) -> None:
    paths = sorted((REPO / "sample_data").glob("*.csv"))
    result = split(paths, stratify="species", out=tmp_path / "out", seed=42)
    assert result.report.total_rows == 344
    assert result.report.max_row_deviation is not None
    assert result.report.max_row_deviation < 1
    train = result.train
    assert train["bill_length_mm"].dtype.kind == "f"  # "NA" read as missing, not text
    assert (
        train["bill_length_mm"].isna().any()
        or result.dev["bill_length_mm"].isna().any()
        or (result.test["bill_length_mm"].isna().any())
    )


def test_file_outputs_carry_provenance_and_report(parquet: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = split(
        parquet,
        stratify="label",
        out=out,
        provenance={"schema": "toy@3", "run_id": "run-1", "extra": {"note": "x"}},
    )
    prov = read_provenance(out / "dev.parquet")
    assert prov is not None
    assert prov["splits"]["dev"] == {"file": "dev.parquet", "rows": result.report.rows["dev"]}
    assert prov["split"] == "dev"
    assert read_provenance(out / "train.parquet") == {**prov, "split": "train"}
    assert prov["schema"] == "toy@3"
    assert "run_id" not in prov  # accepted, not stored: two identical splits are identical files
    assert prov["extra"] == {"note": "x"}
    relative = Path(os.path.relpath(parquet, Path.cwd())).as_posix()  # no absolute path
    assert prov["inputs"] == [{"path": relative, "blake3": hash_file(parquet)}]
    assert prov["parameters"]["stratify"] == ["label"]
    report = json.loads((out / REPORT_FILE).read_text())
    assert report["files"] == {s: f"{s}.parquet" for s in SPLITS}
    assert report["rows"]["total"] == 400
    assert pq.read_metadata(out / "train.parquet").num_rows == result.report.rows["train"]


@given(n=st.integers(200, 400), seed=st.integers(0, 2**32), key=st.booleans())
def test_file_outputs_are_byte_identical(n: int, seed: int, key: bool) -> None:
    kwargs = {"key": "id"} if key else {"stratify": "label"}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.parquet"
        data(n, seed % 7).assign(label=np.arange(n) % 3).to_parquet(path, index=False)
        a = split(path, seed=seed, out=Path(tmp) / "a", **kwargs)  # type: ignore[arg-type]
        b = split(path, seed=seed, out=Path(tmp) / "b", **kwargs)  # type: ignore[arg-type]
        for name in (*SPLITS, "report"):
            assert a.files[name].read_bytes() == b.files[name].read_bytes()


def test_failure_leaves_previous_outputs_untouched(
    parquet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    split(parquet, stratify="label", out=out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real_write = FileSource.write_splits

    def written_then_full(self: FileSource, *args: Any, **kwargs: Any) -> None:
        real_write(self, *args, **kwargs)  # the three temporary files are complete
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FileSource, "write_splits", written_then_full)
    with pytest.raises(OutputNotWritable, match="No space left"):
        split(parquet, stratify="label", seed=9, out=out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    monkeypatch.setattr(FileSource, "write_splits", real_write)

    import pyarrow.parquet as pq

    calls = {"n": 0}
    real_table = pq.ParquetWriter.write_table

    def flaky(self: Any, *args: Any, **kwargs: Any) -> None:  # fails in a writer thread
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        real_table(self, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", flaky)
    with pytest.raises(OutputNotWritable, match="No space left"):
        split(parquet, stratify="label", rebalance="weight", out=out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    monkeypatch.setattr(pq.ParquetWriter, "write_table", real_table)
    # a data or config error is found before anything is written
    with pytest.raises(SplitConfigError):
        split(parquet, stratify="nope", out=out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_bad_files(tmp_path: Path, parquet: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        split(tmp_path / "missing.csv")
    csv = tmp_path / "d.csv"
    data(20).to_csv(csv, index=False)
    with pytest.raises(InputError, match="different formats"):
        split([csv, parquet])
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match="not a readable Parquet"):
        split(broken)
    with pytest.raises(SplitConfigError, match="did you mean 'label'"):
        split(parquet, stratify="labels")


@pytest.mark.parametrize("as_file", [False, True])
def test_duplicate_check_compares_every_column(tmp_path: Path, as_file: bool) -> None:
    # rows 0-39 and 40-79 agree on every number; only the text tells some of them apart
    n = 40
    df = pd.DataFrame(
        {
            "k": range(2 * n),
            "x": list(range(n)) * 2,
            "t": [f"a{i}" for i in range(n)] + [f"a{i}" if i % 2 else f"b{i}" for i in range(n)],
        }
    )
    data: object = df
    if as_file:
        data = tmp_path / "d.parquet"
        df.to_parquet(data, index=False)
    dup = split(data, key="k", seed=3).report.duplicates  # type: ignore[arg-type]
    assert dup.duplicated_rows == n  # only the odd i: 20 pairs of identical rows
    same_split = sum(
        1
        for i in range(1, n, 2)
        if split(df, key="k", seed=3).assignment[i] == split(df, key="k", seed=3).assignment[n + i]
    )
    assert dup.shared_contents == n // 2 - same_split


def test_streamed_writes_use_fixed_row_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datalife.splits._outputs as outputs
    import datalife.splits._sources as sources

    # small batches and row groups: many batches per row group, row groups cut across batches
    monkeypatch.setattr(sources, "_BATCH_ROWS", 700)
    monkeypatch.setattr(outputs, "ROW_GROUP_ROWS", 1000)
    df = data(5000)
    path = tmp_path / "d.parquet"
    df.to_parquet(path, index=False)
    a = split(path, stratify="label", out=tmp_path / "a")
    b = split(path, stratify="label", out=tmp_path / "b", provenance=None)
    for name in SPLITS:
        assert a.files[name].read_bytes() == b.files[name].read_bytes()
    meta = pq.read_metadata(a.files["train"])
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert sizes == [1000] * (len(sizes) - 1) + [sizes[-1]]
    assert sum(sizes) == a.report.rows["train"] == 4000
    expected = split(df, stratify="label")
    for name in SPLITS:
        pd.testing.assert_frame_equal(
            a[name], expected[name].reset_index(drop=True), check_dtype=False
        )
    up = split(path, stratify="label", rebalance="upsample", out=tmp_path / "u")
    assert len(up.train) == up.report.rebalance.rows_after  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"key": "id", "stratify": "label"},
        {"key": "name_id"},
        {"stratify": "label"},
        {"stratify": "label", "rebalance": "weight"},
    ],
)
def test_bytes_do_not_depend_on_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kwargs: dict[str, str]
) -> None:
    import datalife.io
    import datalife.splits._outputs as outputs
    import datalife.splits._sources as sources

    # several batches and row groups per split, row groups cut across batches
    monkeypatch.setattr(sources, "_BATCH_ROWS", 500)
    monkeypatch.setattr(outputs, "ROW_GROUP_ROWS", 700)
    df = data(6000).assign(name_id=lambda d: "u" + d["id"].astype(str))
    path = tmp_path / "d.parquet"
    df.to_parquet(path, index=False, row_group_size=900)
    real_connect = datalife.io.connect
    written = []
    for threads in (1, 2, 4):

        def connect(memory_limit: str | None = None, n: int = threads) -> Any:
            con = real_connect(memory_limit)
            con.execute(f"SET threads = {n}")
            return con

        monkeypatch.setattr(datalife.io, "connect", connect)
        result = split(path, out=tmp_path / f"t{threads}", **kwargs)  # type: ignore[arg-type]
        written.append({name: result.files[name].read_bytes() for name in (*SPLITS, "report")})
    assert written[0] == written[1] == written[2]
    expected = split(df, **kwargs)  # type: ignore[arg-type]
    for name in SPLITS:
        got = pq.read_table(io.BytesIO(written[0][name])).to_pandas()
        pd.testing.assert_frame_equal(got, expected[name].reset_index(drop=True), check_dtype=False)


@pytest.mark.parametrize("key", ["id", "name"])
def test_key_mode_error_found_after_streaming_writes_nothing(tmp_path: Path, key: str) -> None:
    # key mode writes while it reads: a duplicate key is only known at the end
    out = tmp_path / "out"
    good = data(3000).assign(name=lambda d: "n" + d["id"].astype(str))
    path = tmp_path / "d.parquet"
    good.to_parquet(path, index=False)
    split(path, key=key, stratify="label", out=out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = pd.concat([good, good.iloc[[2990]]], ignore_index=True)  # a duplicate at the end
    bad.to_parquet(path, index=False)
    with pytest.raises(SplitDataError, match="has duplicates"):
        split(path, key=key, stratify="label", out=out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no temporary left
    nulls = good.assign(id=good["id"].astype("Int64").mask(good["id"] == 2999))
    nulls.to_parquet(path, index=False)
    with pytest.raises(SplitDataError, match="null in 1 of"):
        split(path, key="id", out=out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_key_mode_written_in_one_pass_checks_every_column(tmp_path: Path) -> None:
    # equal on every number, different in the text: the duplicate check's second stage
    # (all columns) runs after the one pass that wrote the files
    n = 40
    df = pd.DataFrame(
        {
            "k": range(2 * n),
            "x": list(range(n)) * 2,
            "t": [f"a{i}" for i in range(n)] + [f"a{i}" if i % 2 else f"b{i}" for i in range(n)],
        }
    )
    path = tmp_path / "d.parquet"
    df.to_parquet(path, index=False)
    written = split(path, key="k", seed=3, out=tmp_path / "out")
    two_passes = split(path, key="k", seed=3)  # not written: assignment first, then the rows
    assert written.report.duplicates.duplicated_rows == n
    assert written.report.to_dict() == two_passes.report.to_dict()
    in_memory = split(df, key="k", seed=3).report.duplicates  # pandas hashes: other order
    assert written.report.duplicates.shared_rows == in_memory.shared_rows
    assert written.report.duplicates.pairs == in_memory.pairs
    assert np.array_equal(written.assignment, two_passes.assignment)
