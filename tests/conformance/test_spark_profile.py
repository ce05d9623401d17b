"""Statistics on Spark: the profile Spark computes is the profile DuckDB computes.

Files are profiled by both engines and compared field by field: everything must be equal
except the floating-point moments (``mean``, ``std``, ``state.m2``), which Spark merges from
partitions with Chan et al.'s formulas and so may differ in the last bits (compared with a
relative tolerance of 1e-9). Buckets, histograms, quantiles, HyperLogLog registers, value
tables, counts and the source (file list, content hashes, dataset version) are compared
exactly. A Spark profile merged with a DuckDB profile of the rest of the data must equal the
DuckDB profile of the whole, which is what makes profiles from either engine comparable.

Spark is slow to schedule on two cores, so the data sets are small, the hypothesis property
runs two examples, and the CLI runs in this process (sharing the suite's one local session).
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import spark_session_or_skip

pytestmark = pytest.mark.spark

# local executors run Python workers with this interpreter (it has datalife and duckdb)
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

_FLOAT_KEYS = {"mean", "std", "m2"}


def _spark() -> Any:
    return spark_session_or_skip()


def assert_same(a: Any, b: Any, path: str = "") -> None:
    """``a == b`` for profile JSON, floats of :data:`_FLOAT_KEYS` within 1e-9 relative."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert sorted(a) == sorted(b), f"{path}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            assert_same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{path}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}[{i}]")
    elif path.rsplit(".", 1)[-1] in _FLOAT_KEYS and isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), f"{path}: {a} != {b}"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def _same_profiles(a: Any, b: Any, *, source: bool = True) -> None:
    da, db = a.to_dict(), b.to_dict()
    if not source:
        da.pop("source")
        db.pop("source")
    assert_same(da, db)


def _table(n: int, seed: int = 0) -> Any:
    """Ints, floats with NaN/inf/null, text (yes/no too), dates, timestamps, bools."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    floats = rng.normal(0, 3, n).tolist()
    for i in range(0, n, 97):
        floats[i] = None
    for i in range(5, n, 131):
        floats[i] = float("nan")
    floats[7] = float("inf")
    floats[8] = 4.0  # a power of two: a bucket edge
    return pa.table(
        {
            "i": pa.array(rng.integers(-50, 50, n), pa.int64()),
            "f": pa.array(floats, pa.float64()),
            "s": pa.array(rng.choice(["yes", "no", "maybe"], n).tolist(), pa.string()),
            "d": pa.array(
                (np.datetime64("2020-01-01") + rng.integers(0, 900, n)).astype("datetime64[D]"),
                pa.date32(),
            ),
            "t": pa.array(
                np.datetime64("2021-03-01T00:00:00") + rng.integers(0, 10**7, n),
                pa.timestamp("us"),
            ),
            "b": pa.array((rng.random(n) < 0.4).tolist(), pa.bool_()),
        }
    )


def test_csv_and_parquet_profile_as_on_duckdb(tmp_path: Path, capsys: Any) -> None:
    """The key test: profile(path, engine="spark") == profile(path), file by file."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    import datalife
    from datalife.cli import main

    _spark()
    table = _table(1500)
    parquet = tmp_path / "t.parquet"
    pq.write_table(table, parquet, row_group_size=400)
    # the CSV: day/month/year dates (the sniffed format), and an integer column whose value
    # after DuckDB's sample (20,480 rows) is text: both engines sniff the whole file again
    rows = ["n,i,f,s,day,t"]
    for k, r in enumerate(table.slice(0, 1500).to_pylist()):
        day = r["d"].strftime("%d/%m/%Y")
        f = "" if r["f"] is None else repr(r["f"])
        rows.append(f"{k},{r['i']},{f},{r['s']},{day},{r['t'].isoformat(sep=' ')}")
    rows += [f"{k},{k % 7},1.5,no,01/02/2020,2021-03-01 00:00:00" for k in range(1500, 21000)]
    rows.append("21000,x1,2.5,yes,02/02/2020,2021-03-01 00:00:01")
    csv = tmp_path / "t.csv"
    csv.write_text("\n".join(rows) + "\n")
    assert pacsv.read_csv(csv).num_rows == 21001

    duck = datalife.profile(csv)
    assert duck["i"].dtype == "VARCHAR" and duck["day"].dtype == "DATE"
    _same_profiles(datalife.profile(csv, engine="spark"), duck)

    # Parquet through the real CLI (the JSON says where it ran)
    assert main(["stats", str(parquet), "--engine", "spark", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out.pop("computed_by")["engine"] == "spark"
    assert_same(out, datalife.profile(parquet).to_dict())


def test_a_spark_dataframe_in_many_partitions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More partitions than are merged on the driver: grouped on the executors first (two
    groups here, so that few tasks run); the dataset version is the hash validation computes
    for the same DataFrame."""
    import pyarrow.parquet as pq

    import datalife
    from datalife.engines.spark.engine import frame_version
    from datalife.stats import spark as spark_profile

    spark = _spark()
    monkeypatch.setattr(spark_profile, "MERGE_GROUPS", 2)
    path = tmp_path / "t.parquet"
    pq.write_table(_table(600, seed=1), path)
    df = spark.read.parquet(str(path)).repartition(5)
    got = datalife.profile(df)
    _same_profiles(got, datalife.profile(path), source=False)
    assert got.source.frame and got.source.dataset_version == frame_version(df)


@st.composite
def _frames(draw: Any) -> Any:
    import pyarrow as pa

    n = draw(st.integers(0, 12))
    floats = st.one_of(
        st.none(), st.floats(allow_nan=True, allow_infinity=True, width=64), st.just(0.0)
    )
    stamps = st.one_of(st.none(), st.integers(-(10**15), 10**15))
    return pa.table(
        {
            "i": pa.array(
                draw(
                    st.lists(
                        st.one_of(st.none(), st.integers(-(2**40), 2**40)), min_size=n, max_size=n
                    )
                ),
                pa.int64(),
            ),
            "f": pa.array(draw(st.lists(floats, min_size=n, max_size=n)), pa.float64()),
            "s": pa.array(
                draw(
                    st.lists(
                        st.one_of(st.none(), st.sampled_from(["a", "yes", "", "é"])),
                        min_size=n,
                        max_size=n,
                    )
                ),
                pa.string(),
            ),
            "t": pa.array(draw(st.lists(stamps, min_size=n, max_size=n)), pa.timestamp("us")),
            "b": pa.array(
                draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=n, max_size=n)),
                pa.bool_(),
            ),
        }
    )


@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))
@given(table=_frames(), cut=st.floats(0, 1))
def test_spark_and_duckdb_profiles_agree_and_merge(table: Any, cut: float) -> None:
    import tempfile

    import pyarrow.parquet as pq

    import datalife

    spark = _spark()
    k = int(table.num_rows * cut)
    with tempfile.TemporaryDirectory() as tmp:
        whole, head, tail = (Path(tmp) / f"{n}.parquet" for n in ("whole", "head", "tail"))
        pq.write_table(table, whole)
        pq.write_table(table.slice(0, k), head)
        pq.write_table(table.slice(k), tail)
        expected = datalife.profile(whole)
        _same_profiles(
            datalife.profile(spark.read.parquet(str(whole)).repartition(2)), expected, source=False
        )
        merged = datalife.profile(spark.read.parquet(str(head))).merge(datalife.profile(tail))
        _same_profiles(merged, expected, source=False)


def test_drift_on_spark_uses_the_profiles(tmp_path: Path, capsys: Any) -> None:
    import pyarrow.parquet as pq

    from datalife.cli import main

    _spark()
    base, cur = tmp_path / "base.parquet", tmp_path / "cur.parquet"
    pq.write_table(_table(400, seed=2), base)
    shifted = _table(400, seed=3)
    pq.write_table(shifted.set_column(0, "i", shifted.column("i").cast("double")), cur)
    code = main(["drift", str(base), str(cur), "--engine", "spark", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert out["computed_by"]["engine"] == "spark"
    assert any("profiled on Spark" in n for n in out["notes"])
    assert main(["drift", str(base), str(cur), "--format", "json"]) == code
    duck = json.loads(capsys.readouterr().out)
    for ours, theirs in zip(out["columns"], duck["columns"], strict=True):
        assert (ours["column"], ours["drifted"]) == (theirs["column"], theirs["drifted"])
        if ours["kind"] == "numeric":
            assert ours["exact"] is False and theirs["exact"] is True
            assert ours["ks_stat"] == pytest.approx(theirs["ks_stat"], abs=0.01)
        else:
            assert ours["linf"] == theirs["linf"]


def test_an_executor_failure_is_a_datalife_error() -> None:
    from pyspark.sql import functions as F  # noqa: N812

    import datalife
    from datalife.errors import InputError

    spark = _spark()
    df = spark.range(3).select(F.raise_error(F.lit("the row is broken")).alias("x"))
    with pytest.raises(InputError, match="the row is broken"):
        datalife.profile(df)
