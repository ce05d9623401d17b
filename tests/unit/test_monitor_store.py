"""The monitoring history store (crash safety, corrupt and locked files), thresholds, measures."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from datalife.monitor import LearnRule, MonitorStoreError, learn, measures
from datalife.monitor.store import open_store

REPO = Path(__file__).resolve().parents[2]

# -- thresholds -------------------------------------------------------------------------------


def test_mad_rule_known_answer() -> None:
    rule = LearnRule(rule="mad", k=2.0, warmup=3, window=5)
    # the window keeps the last 5: [1, 2, 3, 4, 100] -> median 3, MAD 1
    t = learn([50.0, 1, 2, 3, 4, 100], rule, higher_is_worse=True)
    assert t.kind == "learned" and t.basis == {"n": 5, "median": 3, "mad": 1}
    assert t.value == pytest.approx(3 + 2 * 1.4826)
    assert t.crossed(6.0) and not t.crossed(5.9)
    assert "median + 2·1.4826·MAD of the last 5 batches (n=5)" in t.rule


def test_lower_is_worse_mirrors_and_quantile_rule() -> None:
    rule = LearnRule(rule="mad", k=3.0, warmup=3)
    t = learn([0.9, 0.92, 0.91], rule, higher_is_worse=False)
    assert t.value == pytest.approx(0.91 - 3 * 1.4826 * 0.01)
    assert t.crossed(0.86) and not t.crossed(0.95)
    q = learn(
        [float(i) for i in range(11)],
        LearnRule(rule="quantile", quantile=0.9, warmup=3),
        higher_is_worse=True,
    )
    assert q.value == pytest.approx(9.0)  # numpy's linear quantile of 0..10
    low = learn(
        [float(i) for i in range(11)],
        LearnRule(rule="quantile", quantile=0.9, warmup=3),
        higher_is_worse=False,
    )
    assert low.value == pytest.approx(1.0)


def test_warmup_and_constant_history() -> None:
    rule = LearnRule(warmup=4)
    assert learn([1.0, 1.0, 1.0], rule, higher_is_worse=True).kind == "warmup"
    assert not learn([1.0, 1.0, 1.0], rule, higher_is_worse=True).crossed(100.0)
    flat = learn([0.0] * 6, rule, higher_is_worse=True)  # MAD 0: the minimum margin applies
    assert flat.value == pytest.approx(0.01)
    assert not flat.crossed(0.005) and flat.crossed(0.02)


# -- measures against scipy / scikit-learn ----------------------------------------------------


def test_chi2_matches_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    ref, cur = {"a": 30, "b": 50, "c": 20}, {"a": 10, "b": 60, "c": 40, "d": 5}
    keys = sorted(set(ref) | set(cur))
    table = [[ref.get(k, 0) for k in keys], [cur.get(k, 0) for k in keys]]
    expected = stats.chi2_contingency(table, correction=False).pvalue
    assert measures.chi2_pvalue(ref, cur) == pytest.approx(expected, rel=1e-9)


def test_psi_and_linf_by_hand() -> None:
    ref, cur = {"0": 25, "1": 75}, {"0": 50, "1": 50, "2": 0}
    assert measures.psi(ref, cur) == pytest.approx(0.25 * math.log(2) - 0.25 * math.log(0.5 / 0.75))
    assert measures.linf(ref, cur) == pytest.approx(0.25)
    assert measures.psi({}, cur) is None


def test_classification_matches_scikit_learn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    y = ["a"] * 6 + ["b"] * 3 + ["c"]
    p = ["a", "a", "a", "b", "c", "a", "b", "b", "a", "a"]
    confusion: dict[str, int] = {}
    for t, q in zip(y, p, strict=True):
        confusion[f"{t}\x1f{q}"] = confusion.get(f"{t}\x1f{q}", 0) + 1
    got = measures.classification(confusion)
    assert got["accuracy"] == pytest.approx(metrics.accuracy_score(y, p))
    assert got["macro_f1"] == pytest.approx(
        metrics.f1_score(y, p, average="macro", zero_division=0)
    )
    prec, rec, f1, sup = metrics.precision_recall_fscore_support(
        y, p, labels=["a", "b", "c"], zero_division=0
    )
    for i, c in enumerate("abc"):
        assert got[f"precision:{c}"] == pytest.approx(prec[i])
        assert got[f"recall:{c}"] == pytest.approx(rec[i])
        assert got[f"f1:{c}"] == pytest.approx(f1[i])
        assert got[f"support:{c}"] == sup[i]


def test_regression_by_hand() -> None:
    got = measures.regression([4, 1 + 1 + 2 + 0, 1 + 1 + 4 + 0])
    assert got == {"mae": 1.0, "rmse": pytest.approx(math.sqrt(1.5))}


# -- the store --------------------------------------------------------------------------------

_WRITER = textwrap.dedent(
    """
    import sys
    from datalife.monitor.store import open_store
    st = open_store(sys.argv[1])
    start = st.next_seq("d")
    for seq in range(start, start + int(sys.argv[2])):
        rows = [("", f"c{i}", "psi", float(i), None, "warmup", "", False) for i in range(2000)]
        st.add_batch("d", seq, f"b{seq}", name=f"b{seq}", rows=1, reference_id="r",
                     schema_ref=None, alarms=0, report={}, metrics=rows)
        print(seq, flush=True)
    """
)


def _run_writer(store: Path, n: int, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(store), str(n)],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _check_whole(store: Path) -> int:
    st = open_store(store, read_only=True)
    try:
        batches = st.con.execute("SELECT count(*) FROM batches").fetchone()
        per = st.con.execute(
            "SELECT seq, count(*) FROM metrics GROUP BY seq HAVING count(*) <> 2000"
        ).fetchall()
        orphans = st.con.execute(
            "SELECT count(*) FROM metrics WHERE seq NOT IN (SELECT seq FROM batches)"
        ).fetchone()
    finally:
        st.close()
    assert per == [] and orphans == (0,)
    assert batches is not None
    return int(batches[0])


@pytest.mark.parametrize("point", ["monitor:metrics", "monitor:commit"])
def test_a_crash_inside_a_batch_leaves_the_batches_before(tmp_path: Path, point: str) -> None:
    store = tmp_path / "h.duckdb"
    assert _run_writer(store, 2).wait(60) == 0
    crashed = _run_writer(store, 1, {"DATALIFE_FAULT": f"{point}=exit"})
    assert crashed.wait(60) == 137
    assert _check_whole(store) == 2
    assert _run_writer(store, 1).wait(60) == 0
    assert _check_whole(store) == 3


def test_sigkill_mid_write_never_leaves_half_a_batch(tmp_path: Path) -> None:
    store = tmp_path / "h.duckdb"
    proc = _run_writer(store, 10_000)
    assert proc.stdout is not None
    for _ in range(3):  # three batches committed, the fourth under way
        assert proc.stdout.readline()
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert _check_whole(store) >= 3


def test_corrupt_store(tmp_path: Path) -> None:
    bad = tmp_path / "monitor.duckdb"
    bad.write_bytes(b"this is not a database" * 500)
    with pytest.raises(MonitorStoreError) as info:
        open_store(bad)
    assert info.value.exit_code == 2
    assert "is damaged" in str(info.value) and "move it aside" in str(info.value)


def test_locked_store(tmp_path: Path) -> None:
    store = tmp_path / "h.duckdb"
    open_store(store).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
            "print('locked', flush=True); time.sleep(60)",
            str(store),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(MonitorStoreError, match="locked by another process") as info:
            open_store(store, lock_timeout=0.5)
        assert info.value.exit_code == 2
    finally:
        holder.kill()
        holder.wait()


def test_missing_store_for_reading(tmp_path: Path) -> None:
    with pytest.raises(MonitorStoreError, match="no monitoring history yet"):
        open_store(tmp_path / "none.duckdb", read_only=True)


def test_default_store_is_the_config_default() -> None:
    from datalife.config import MonitorConfig
    from datalife.monitor.store import DEFAULT_STORE

    assert MonitorConfig().store == DEFAULT_STORE


def test_history_reads_the_store_named_in_the_config(tmp_path: Path) -> None:
    from datalife.monitor import history

    (tmp_path / "datalife.toml").write_text(
        'format_version = 1\n[datasets.d]\nfiles = ["*.csv"]\n[monitor]\nstore = "h/m.duckdb"\n',
        encoding="utf-8",
    )
    st = open_store(tmp_path / "h" / "m.duckdb")
    st.add_batch(
        "d",
        1,
        "b1",
        name="b1.csv",
        rows=5,
        reference_id="r",
        schema_ref=None,
        alarms=1,
        report={},
        metrics=[("", "x", "psi", 0.5, 0.2, "learned", "rule", True)],
    )
    st.close()
    (tmp_path / "sub").mkdir()
    h = history("d", workspace=tmp_path / "sub")
    assert h.store == "h/m.duckdb" and h.total == 1
    assert h["x.psi"].values == [0.5] and h["x.psi"].alarms == [True]
