"""Time-ordered splits (``order_by``): train the earliest rows, evaluate on later ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from datalife.errors import SplitConfigError, SplitDataError
from datalife.splits import split


def _frame(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = pd.date_range("2024-01-01", periods=n, freq="h")
    order = rng.permutation(n)
    return pd.DataFrame({"t": t[order], "i": order, "x": rng.normal(size=n)})


def test_train_is_the_past_dev_and_test_the_future() -> None:
    df = _frame()
    r = split(df, order_by="t")
    assert r.report.rows == {"train": 800, "dev": 100, "test": 100}
    assert r.train["i"].max() < r.dev["i"].min() and r.dev["i"].max() < r.test["i"].min()
    assert sorted(r.train["i"]) == list(range(800))
    t = r.report.time_order
    assert t is not None and t.ok and t.late_train_rows == 0
    assert t.train_max == "2024-02-03T07:00:00" and t.eval_min == "2024-02-03T08:00:00"
    assert r.report.to_dict()["time_order"]["ok"] is True
    assert r.report.to_dict()["parameters"]["order_by"] == "t"


def test_gap_rows_are_left_out() -> None:
    r = split(_frame(), ratios=(0.6, 0.2, 0.2), order_by="t", gap=0.05)
    # 50 rows after train and 50 after dev are in no split; the rest is cut 60/20/20
    assert r.report.rows == {"train": 540, "dev": 180, "test": 180}
    assert set(r.train["i"]) == set(range(540))
    assert r.dev["i"].min() == 590 and r.test["i"].min() == 820
    t = r.report.time_order
    assert t is not None and t.gap_rows == 100 and t.ok


def test_groups_stay_whole_and_a_spanning_group_is_reported() -> None:
    df = _frame()
    df["user"] = df["i"] // 50  # each user active in one stretch of time: no leakage
    r = split(df, order_by="t", group="user")
    assert r.report.groups is not None and r.report.groups.overlap == 0
    assert r.report.time_order is not None and r.report.time_order.ok
    df.loc[df["i"] == 999, "user"] = 0  # user 0 also appears at the very end
    r = split(df, order_by="t", group="user")
    t = r.report.time_order
    assert t is not None and not t.ok and t.late_train_rows == 1 and not r.report.ok
    assert any("span the cut" in w for w in r.report.warnings)


def test_iso_date_strings_and_numbers_order_too() -> None:
    df = _frame(100)
    df["day"] = df["t"].dt.strftime("%Y-%m-%dT%H")
    by_str = split(df, order_by="day")
    by_num = split(df, order_by="i")
    assert list(by_str.assignment) == list(by_num.assignment)


def test_missing_order_values() -> None:
    df = _frame(100)
    df.loc[[3, 7], "t"] = pd.NaT
    with pytest.raises(SplitDataError, match="2 missing values") as info:
        split(df, order_by="t")
    assert info.value.column == "t" and info.value.rows == [3, 7]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"order_by": "t", "key": "i"}, "choose one"),
        ({"order_by": "t", "stratify": "i"}, "cannot also be stratified"),
        ({"gap": 0.1}, "time-ordered split only"),
        ({"order_by": "t", "gap": 0.4}, "below 0.25"),
        ({"order_by": "nosuch"}, "order_by column 'nosuch' is not in"),
    ],
)
def test_bad_time_options(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(SplitConfigError, match=message):
        split(_frame(50), **kwargs)  # type: ignore[arg-type]


def test_files_through_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datalife.cli import main

    monkeypatch.chdir(tmp_path)  # outside any workspace: datalife may write here
    _frame(200).to_parquet(tmp_path / "t.parquet")
    code = main(["split", "t.parquet", "--out", "out", "--order-by", "t", "--no-record"])
    assert code == 0
    train = pd.read_parquet(tmp_path / "out" / "train.parquet")
    test = pd.read_parquet(tmp_path / "out" / "test.parquet")
    assert train["t"].max() < test["t"].min() and len(train) == 160
