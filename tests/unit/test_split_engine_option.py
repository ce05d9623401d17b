"""The split's engine choice without starting Spark: what Spark cannot do is refused before
anything runs, the ``datalife_engine`` facet follows its schema, and what a killed Spark split
left in the output directory is cleaned up (or put back) by the next one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from datalife.errors import OutputNotWritable, SplitConfigError
from datalife.lineage.facets import engine_facet
from datalife.splits import split
from datalife.splits._spark_write import recover_out_dir
from datalife.storage import TEMP_MARK


def dead_pid() -> int:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(proc.stdout)


def leftover(out: Path, name: str, pid: int) -> Path:
    path = out / f".{name}{TEMP_MARK}{pid}-0badc0de.tmp"
    path.mkdir()
    (path / "part-00000.parquet").write_bytes(b"old")
    return path


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"order_by": "t"}, "--order-by"),
        ({"drift": True}, "--drift"),
        ({"out": None}, "output directory"),
    ],
)
def test_what_spark_cannot_do_is_refused_first(
    tmp_path: Path, kwargs: dict[str, Any], named: str
) -> None:
    out = tmp_path / "out"
    args = {"out": out, **kwargs}
    with pytest.raises(SplitConfigError) as info:
        split(tmp_path / "missing.csv", engine="spark", **args)  # never read
    assert named in info.value.message and info.value.exit_code == 2
    assert not out.exists()


def test_an_unwritable_out_is_refused_before_spark(tmp_path: Path) -> None:
    out = tmp_path / "a-file"
    out.write_text("x")
    with pytest.raises(OutputNotWritable):
        split(tmp_path / "missing.csv", key="id", out=out, engine="spark")
    assert out.read_text() == "x"


def test_unknown_engine(tmp_path: Path) -> None:
    with pytest.raises(SplitConfigError, match="unknown split engine 'polars'"):
        split(tmp_path / "missing.csv", out=tmp_path / "o", engine="polars")


def test_a_killed_spark_split_is_cleaned_up_or_put_back(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    pid = dead_pid()
    staging = leftover(out, "spark-split", pid)
    # dev was moved aside and its replacement never arrived: it is put back
    dev_aside = leftover(out, "dev", pid)
    # train was replaced: the moved-aside old one is removed
    (out / "train").mkdir()
    (out / "train" / "part-00000.parquet").write_bytes(b"new")
    train_aside = leftover(out, "train", pid)
    # a running split's staging directory is left alone
    mine = leftover(out, "spark-split", __import__("os").getpid())
    touched = recover_out_dir(out)
    assert sorted(touched) == sorted([staging, dev_aside, train_aside])
    assert not staging.exists() and not train_aside.exists() and mine.exists()
    assert (out / "dev" / "part-00000.parquet").read_bytes() == b"old"
    assert (out / "train" / "part-00000.parquet").read_bytes() == b"new"


def test_events_with_the_engine_facet_follow_the_spec() -> None:
    import copy
    import uuid

    import jsonschema

    from datalife.lineage.events import run_event
    from tests.openlineage.validator import validate_event

    class Classic:  # what the facet reads of a classic session
        version = "4.0.1"

        class sparkContext:  # noqa: N801
            master = "spark://host:7077"

    for facet in (engine_facet("duckdb"), engine_facet("spark", Classic())):
        event = run_event(
            "COMPLETE", run_id=str(uuid.uuid4()), job_namespace="datalife://t", job_name="split"
        )
        event["run"]["facets"]["datalife_engine"] = facet
        validate_event(event)
    assert facet["master"] == "spark://host:7077" and facet["spark_version"] == "4.0.1"
    bad = copy.deepcopy(event)
    del bad["run"]["facets"]["datalife_engine"]["engine"]
    with pytest.raises(jsonschema.ValidationError):
        validate_event(bad)
