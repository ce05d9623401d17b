"""Splits on the Spark engine: key mode gives the DuckDB engine's assignment row for row;
exact and group modes keep their guarantees; the outputs hold the values read, with the
provenance in every part, and are committed atomically; the CLI records the engine.

One local[2] session for the module (tests/conformance/conftest.py), few and small inputs,
few hypothesis examples: every Spark job costs about a second here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datalife.errors import OutputNotWritable, SplitDataError
from datalife.splits import SPLITS, read_provenance, split
from tests.conftest import spark_session_or_skip

pytestmark = pytest.mark.spark

FEW = settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def spark() -> Any:
    return spark_session_or_skip()


def rows_of(result: Any, key: str) -> dict[Any, str]:
    """Each key's split, read from the written outputs."""
    out: dict[Any, str] = {}
    for name in SPLITS:
        for k in pq.read_table(result.files[name], columns=[key]).column(key).to_pylist():
            assert k not in out, f"{k!r} is in two splits"
            out[k] = name
    return out


def parts(directory: Path) -> list[Path]:
    return sorted(directory.glob("part-*.parquet"))


def test_key_mode_on_csv_is_the_duckdb_assignment(spark: Any, tmp_path: Path) -> None:
    n = 120
    lines = [
        f"{i * 7 + 3},{'yes' if i % 3 else 'no'},{'' if i % 10 == 0 else i},{'abc'[i % 3]},"
        f"{1 + i % 28:02d}/02/2024,2024-02-01 {i % 24:02d}:30:00"
        for i in range(n)
    ]
    csv = tmp_path / "d.csv"
    csv.write_text("id,smoker,score,y,day,at\n" + "\n".join(lines) + "\n")
    duck = split(csv, key="id", stratify="y", seed=5, out=tmp_path / "duck")
    sp = split(csv, key="id", stratify="y", seed=5, out=tmp_path / "spark", engine="spark")
    assert sp.engine == "spark" and duck.engine == "duckdb"
    assert rows_of(sp, "id") == rows_of(duck, "id")
    report, expected = sp.report.to_dict(), duck.report.to_dict()
    # Spark has no stable row numbers: its examples of shared rows name keys instead
    shown = report["duplicates"].pop("examples")
    assert len(shown) == len(expected["duplicates"].pop("examples"))
    assert all(e["rows"] == [] and len(e["keys"]) >= 2 for e in shown)
    assert report == expected
    written = json.loads((tmp_path / "spark" / "split_report.json").read_text())
    assert written["files"] == {"train": "train", "dev": "dev", "test": "test"}
    assert written["rows"] == duck.report.to_dict()["rows"]
    # the values are the ones read: yes/no text, nullable integers, dates (in the format
    # DuckDB's sniffer found: day/month/year), timestamps
    for name in SPLITS:
        a = pq.read_table(duck.files[name]).sort_by("id")
        b = pq.read_table(sp.files[name]).sort_by("id")
        assert b.schema.types == a.schema.types
        assert [str(t) for t in b.schema.types] == [
            "int64",
            "string",
            "int64",
            "string",
            "date32[day]",
            "timestamp[us]",
        ]
        assert b.equals(a)


def test_key_mode_on_parquet_keeps_values_and_provenance(spark: Any, tmp_path: Path) -> None:
    n = 60
    start = datetime(2024, 3, 30, 23, 0, tzinfo=UTC)
    table = pa.table(
        {
            "key": [f"user-{i:03d}" for i in range(n)],
            "answer": ["yes" if i % 2 else "no" for i in range(n)],
            "count": pa.array([None if i % 7 == 0 else i for i in range(n)], pa.int32()),
            "at": pa.array(
                [start + timedelta(hours=i) for i in range(n)], pa.timestamp("us", "Europe/Paris")
            ),
        }
    )
    path = tmp_path / "d.parquet"
    pq.write_table(table, path)
    duck = split(path, key="key", seed=3, out=tmp_path / "duck", check_duplicates=False)
    sp = split(
        path,
        key="key",
        seed=3,
        out=tmp_path / "spark",
        engine="spark",
        check_duplicates=False,
        provenance={"schema": "survey@2"},
    )
    assert rows_of(sp, "key") == rows_of(duck, "key")
    for name in SPLITS:
        a = pq.read_table(duck.files[name]).sort_by("key")
        b = pq.read_table(sp.files[name]).sort_by("key")
        # the instants, time-zone aware, as the DuckDB engine writes them
        assert b.schema.field("at").type.tz is not None
        assert b.schema.field("count").type == pa.int32()
        assert b.equals(a)
        ids = [int(k.split("-")[1]) for k in b["key"].to_pylist()]
        assert b["at"].to_pylist() == [start + timedelta(hours=i) for i in ids]
        assert b["answer"].to_pylist() == ["yes" if i % 2 else "no" for i in ids]
        assert b["count"].to_pylist() == [None if i % 7 == 0 else i for i in ids]
        for part in parts(sp.files[name]):
            prov = read_provenance(part)
            assert prov is not None and prov["split"] == name
            assert prov["schema"] == "survey@2"
            assert prov["splits"][name] == {"file": f"{name}/", "rows": sp.report.rows[name]}
            assert prov["inputs"] == read_provenance(duck.files[name])["inputs"]  # type: ignore[index]


@FEW
@given(
    keys=st.one_of(
        st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=40, unique=True),
        st.lists(st.text(max_size=6), min_size=1, max_size=40, unique=True),
    ),
    seed=st.integers(0, 2**32 - 1),
)
def test_key_hash_on_spark_is_the_numpy_one(spark: Any, keys: list[Any], seed: int) -> None:
    """The executors' split of every key is :func:`assign_key` of :func:`hash_values`."""
    from datalife.splits._arrow import hash_values
    from datalife.splits._assign import assign_key, ratios_as_fractions
    from datalife.splits._spark_modes import key_splits
    from datalife.splits._spark_write import SPLIT_COLUMN

    arr = pa.array(keys)
    fractions = ratios_as_fractions([0.5, 0.25, 0.25])
    expected = dict(zip(keys, assign_key(hash_values(arr, seed), fractions).tolist(), strict=True))
    df = spark.createDataFrame(pa.table({"k": arr})).repartition(2)
    got = key_splits(df, key="k", group=None, types={}, seed=seed, fractions=fractions).toArrow()
    assert dict(zip(got["k"].to_pylist(), got[SPLIT_COLUMN].to_pylist(), strict=True)) == expected


def test_a_spark_frame_splits_as_pandas_does(spark: Any, tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"id": range(90), "g": [i % 11 for i in range(90)], "v": [i / 4 for i in range(90)]}
    )
    df = spark.createDataFrame(pa.Table.from_pandas(frame, preserve_index=False)).repartition(3)
    sp = split(df, key="id", group="g", seed=9, out=tmp_path / "out", check_duplicates=False)
    local = split(frame, key="id", group="g", seed=9)
    assert sp.engine == "spark"
    expected = {int(i): s for s in SPLITS for i in local[s]["id"]}
    assert rows_of(sp, "id") == expected
    assert sp.report.groups is not None and sp.report.groups.overlap == 0
    many = [p for s in SPLITS for p in parts(sp.files[s])]
    assert len(many) > len(SPLITS)  # one part per partition holding rows of the split
    assert all(read_provenance(p) is not None for p in many)
    from datalife.engines.spark.engine import frame_version

    assert sp.dataset_versions == [frame_version(df)]


@settings(FEW, max_examples=2)
@given(
    sizes=st.lists(st.integers(5, 25), min_size=1, max_size=3),
    seed=st.integers(0, 1000),
)
def test_stratified_counts_on_spark(
    spark: Any, tmp_path_factory: Any, sizes: list[int], seed: int
) -> None:
    """Every class within one row of rows × ratio in every split, whatever the partitioning."""
    labels = [f"c{c}" for c, size in enumerate(sizes) for _ in range(size)]
    ids = list(range(len(labels)))
    table = pa.table({"id": ids, "y": labels})
    out = tmp_path_factory.mktemp("strat")
    ratios = (0.6, 0.2, 0.2)
    res = split(
        spark.createDataFrame(table).repartition(2),
        ratios,
        stratify="y",
        seed=seed,
        out=out,
        check_duplicates=False,
    )
    got = rows_of(res, "id")
    assert sorted(got) == ids
    for c, size in enumerate(sizes):
        for j, name in enumerate(SPLITS):
            n = sum(1 for i in ids if labels[i] == f"c{c}" and got[i] == name)
            assert abs(n - size * ratios[j]) < 1, (c, name, n, size)


def test_exact_mode_does_not_depend_on_partitioning(spark: Any, tmp_path: Path) -> None:
    table = pa.table({"id": list(range(50)), "y": ["a", "b"] * 25, "x": [i % 7 for i in range(50)]})
    one = split(
        spark.createDataFrame(table).coalesce(1),
        stratify="y",
        seed=4,
        out=tmp_path / "a",
        check_duplicates=False,
    )
    three = split(
        spark.createDataFrame(table).repartition(3),
        stratify="y",
        seed=4,
        out=tmp_path / "b",
        check_duplicates=False,
    )
    assert rows_of(one, "id") == rows_of(three, "id")
    assert one.report.max_row_deviation is not None and one.report.max_row_deviation < 1


@settings(FEW, max_examples=2)
@given(groups=st.lists(st.integers(0, 12), min_size=8, max_size=60), seed=st.integers(0, 99))
def test_group_mode_on_spark_keeps_groups_whole(
    spark: Any, tmp_path_factory: Any, groups: list[int], seed: int
) -> None:
    groups = [0, 1, 2, 3, *groups]  # at least four groups: three splits can be filled
    table = pa.table({"id": list(range(len(groups))), "g": groups})
    out = tmp_path_factory.mktemp("group")
    res = split(spark.createDataFrame(table), group="g", seed=seed, out=out, check_duplicates=False)
    got = rows_of(res, "id")
    where: dict[int, set[str]] = {}
    for i, g in enumerate(groups):
        where.setdefault(g, set()).add(got[i])
    assert all(len(s) == 1 for s in where.values())
    local = split(table.to_pandas(), group="g", seed=seed)  # the same greedy dealing
    assert {int(i): s for s in SPLITS for i in local[s]["id"]} == got


def test_rebalancing_train_on_spark(spark: Any, tmp_path: Path) -> None:
    """By weight: the DuckDB engine's files (key mode assigns the same rows). Downsampled:
    every class of train cut to the smallest, from train's own rows; dev and test unchanged."""
    lines = [f"{i},{'a' if i % 4 else 'b'},{i % 5}" for i in range(80)]
    csv = tmp_path / "r.csv"
    csv.write_text("id,y,x\n" + "\n".join(lines) + "\n")
    kw: dict[str, Any] = {"key": "id", "stratify": "y", "check_duplicates": False}
    duck = split(csv, rebalance="weight", out=tmp_path / "duck", **kw)
    sp = split(csv, rebalance="weight", out=tmp_path / "w", engine="spark", **kw)
    assert sp.report.rebalance == duck.report.rebalance
    for name in SPLITS:
        a = pq.read_table(duck.files[name]).sort_by("id")
        assert pq.read_table(sp.files[name]).sort_by("id").equals(a)
    assert "sample_weight" in pq.read_schema(parts(sp.files["train"])[0]).names
    down = split(csv, rebalance="downsample", out=tmp_path / "d", engine="spark", **kw)
    assert down.report.rebalance == split(csv, rebalance="downsample", **kw).report.rebalance
    train = pq.read_table(down.files["train"]).to_pylist()
    smallest = min(sum(1 for r in train if r["y"] == y) for y in "ab")
    assert sorted(sum(1 for r in train if r["y"] == y) for y in "ab") == [smallest, smallest]
    before = {r["id"] for r in pq.read_table(duck.files["train"]).to_pylist()}
    assert {r["id"] for r in train} <= before and len({r["id"] for r in train}) == len(train)
    for name in ("dev", "test"):
        assert (
            pq.read_table(down.files[name])
            .sort_by("id")
            .equals(pq.read_table(duck.files[name]).sort_by("id"))
        )


def test_bad_keys_are_data_errors_naming_keys_and_files(spark: Any, tmp_path: Path) -> None:
    csv = tmp_path / "k.csv"
    csv.write_text("id,v\n1,a\n2,b\n2,c\n3,d\n4,e\n4,f\n")
    with pytest.raises(SplitDataError) as info:
        split(csv, key="id", out=tmp_path / "out", engine="spark")
    err = info.value
    assert "duplicates: 2 key(s)" in err.message and err.path == str(csv)
    assert err.details == [f"key '2': 2 rows in {csv}", f"key '4': 2 rows in {csv}"]
    csv.write_text("id,v\n1,a\n,b\n3,c\n")
    with pytest.raises(SplitDataError, match="key column 'id' is null in 1 of 3 rows") as info:
        split(csv, key="id", out=tmp_path / "out", engine="spark")
    assert info.value.path == str(csv) and str(csv) in info.value.message
    assert not (tmp_path / "out" / "train").exists()


def test_a_failed_write_keeps_the_old_outputs(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datalife.splits import _spark_write as split_write

    table = pa.table({"id": list(range(40)), "y": ["a", "b"] * 20})
    out = tmp_path / "out"
    # a pandas frame handed to the Spark engine
    first = split(table.to_pandas(), key="id", out=out, engine="spark", check_duplicates=False)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    real = split_write.write_parts

    def failing(batches: Any, **kwargs: Any) -> Any:
        from pyspark import TaskContext

        ctx = TaskContext.get()
        if ctx is not None and ctx.partitionId() > 0:  # the first part is written, then...
            raise RuntimeError("injected write failure")
        yield from real(batches, **kwargs)

    monkeypatch.setattr(split_write, "write_parts", failing)
    # what a killed split left (its process is gone) is removed by the next one
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    left = out / f".spark-split.datalife-{int(dead.stdout)}-0badc0de.tmp"
    (left / "train").mkdir(parents=True)
    with pytest.raises(OutputNotWritable) as info:
        split(
            spark.createDataFrame(table).repartition(3),
            key="id",
            seed=1,
            out=out,
            check_duplicates=False,
        )
    assert "RuntimeError: injected write failure" in info.value.message
    assert "Traceback" not in info.value.message  # the executor's error, not its stack
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before  # old outputs intact, no staging directory left
    assert not left.exists()
    assert sorted(p.name for p in out.iterdir()) == ["dev", "split_report.json", "test", "train"]
    assert json.loads((out / "split_report.json").read_text())["parameters"]["seed"] == 0
    assert first.files["train"] == out / "train"


def test_cli_split_on_spark_records_the_engine(
    spark: Any, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datalife.cli import main
    from tests.openlineage.validator import validate_event

    args = ["sample_data/2007.csv", "--out", "splits", "--stratify", "species", "--seed", "3"]
    args.append("--no-duplicate-check")  # one Spark job fewer: the leakage check is tested above
    code = main(["split", *args, "--engine", "spark"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Traceback" not in captured.err
    assert "wrote splits/train, splits/dev, splits/test" in captured.out
    events = [
        json.loads(line)
        for p in (workspace / "lineage").glob("*.jsonl")
        for line in p.read_text().splitlines()
        if line.strip()
    ]
    complete = [e for e in events if e["eventType"] == "COMPLETE" and e["job"]["name"] == "split"]
    assert len(complete) == 1
    for event in events:
        validate_event(event)
    facet = complete[0]["run"]["facets"]["datalife_engine"]
    assert facet["engine"] == "spark"
    assert facet["spark_version"] == spark.version
    if type(spark).__module__.startswith("pyspark.sql.connect"):
        assert facet["master"].startswith("sc://")  # the Connect server's URL
    else:
        assert facet["master"] == spark.sparkContext.master
    outputs = {o["name"]: o for o in complete[0]["outputs"]}
    assert set(outputs) == {"splits/train", "splits/dev", "splits/test"}
    members = outputs["splits/train"]["facets"]["datalife_dataset"]
    assert (
        members["rows"]
        == json.loads((workspace / "splits" / "split_report.json").read_text())["rows"]["train"]
    )


def test_switching_engines_replaces_the_other_engines_outputs(spark: Any, tmp_path: Path) -> None:
    data = tmp_path / "d.parquet"
    pq.write_table(pa.table({"id": list(range(60)), "y": ["a", "b", "c"] * 20}), data)
    out = tmp_path / "out"
    split(data, key="id", out=out)
    assert all((out / f"{n}.parquet").is_file() for n in SPLITS)
    (out / "notes.txt").write_text("mine\n")
    sp = split(data, key="id", out=out, engine="spark")
    # the DuckDB engine's files of the same splits are gone: one version of each split
    assert not any((out / f"{n}.parquet").exists() for n in SPLITS)
    assert all(parts(out / n) for n in SPLITS) and (out / "notes.txt").exists()
    keys = rows_of(sp, "id")
    (out / "test" / "readme.md").write_text("not a part\n")  # a folder datalife did not fill
    duck = split(data, key="id", out=out)
    assert rows_of(duck, "id") == keys
    assert not (out / "train").exists() and not (out / "dev").exists()
    assert (out / "test" / "readme.md").exists()  # left alone, with the parts beside it
