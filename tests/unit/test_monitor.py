"""datalife.monitor: history, idempotence, thresholds, slices, model metrics, diagnosis."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from datalife.monitor import (
    MonitorDataError,
    MonitorInputError,
    history,
    monitor,
    propose_thresholds,
)
from tests.unit.monitor_data import batch, workspace, write


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return workspace(tmp_path)


def _store_counts(root: Path) -> tuple[int, int]:
    con = duckdb.connect(str(root / "lineage" / "monitor.duckdb"), read_only=True)
    try:
        b = con.execute("SELECT count(*) FROM batches").fetchone()
        m = con.execute("SELECT count(*) FROM metrics").fetchone()
    finally:
        con.close()
    assert b is not None and m is not None
    return int(b[0]), int(m[0])


def test_batches_are_idempotent_by_content(ws: Path) -> None:
    first = write(ws, "b1.csv", batch(seed=1))
    run = monitor("obs", [first], workspace=ws)
    assert not run.batches[0].already and run.batches[0].seq == 1
    counts = _store_counts(ws)
    # the same bytes under another name are the same batch
    copy = ws / "batches" / "copy.csv"
    copy.write_bytes(Path(first).read_bytes())
    again = monitor("obs", [first, str(copy)], workspace=ws)
    assert [b.already for b in again.batches] == [True, True]
    assert all(b.seq == 1 for b in again.batches)
    assert _store_counts(ws) == counts


def test_model_metrics_supports_and_slices_known_answers(ws: Path) -> None:
    df = batch(seed=1)
    run = monitor("obs", [write(ws, "b1.csv", df)], workspace=ws)
    assert (run.label, run.prediction, run.task) == ("label", "pred", "classification")
    b = run.batches[0]
    values = {(v.slice, v.column, v.metric): v.value for v in b.values}
    assert values[("", "label", "accuracy")] == pytest.approx(0.9)
    is_r, said_r = df["label"] == "r", df["pred"] == "r"
    assert values[("", "label", "recall:r")] == pytest.approx((is_r & said_r).sum() / is_r.sum())
    assert values[("", "label", "precision:r")] == 1.0  # r is predicted only where it is r
    assert values[("", "label", "support:r")] == 40
    assert values[("", "", "rows")] == 2000
    slices = {s.slice: s for s in b.slices}
    assert slices["group=g1"].support == 1000 and slices["group=g2"].support == 1000
    assert slices["group=g1"].reference_support == 1000
    assert slices["label=r"].rare and not slices["label=a"].rare
    assert slices["label=r"].support == 40 and slices["label=r"].status == "ok"
    assert "high_x" in slices and slices["high_x"].definition == "high_x"
    # within each group, accuracy is 0.9 too (the errors are every 10th row)
    assert values[("group=g1", "label", "accuracy")] == pytest.approx(0.9)


def test_small_slices_are_reported_too_small(ws: Path) -> None:
    run = monitor("obs", [write(ws, "b1.csv", batch(seed=1))], workspace=ws, min_support=50)
    b = run.batches[0]
    rare = next(s for s in b.slices if s.slice == "label=r")
    assert rare.status == "too small"
    assert not [v for v in b.values if v.slice == "label=r" and v.metric != "support"]


def test_learned_threshold_fires_on_a_drifted_batch_only(ws: Path) -> None:
    normal = [write(ws, f"n{i}.csv", batch(seed=10 + i)) for i in range(4)]
    run = monitor("obs", normal, workspace=ws)
    assert not run.alarmed
    drifted = write(ws, "d.csv", batch(seed=20, shift=1.0))
    run = monitor("obs", [drifted], workspace=ws)
    alarms = [a for a in run.alarms if not a.slice]
    assert {(a.column, a.metric) for a in alarms} >= {("x", "psi"), ("x", "wasserstein_norm")}
    psi = next(a for a in alarms if a.metric == "psi")
    assert psi.kind == "learned"
    assert psi.rule.startswith("learned: median + 3·1.4826·MAD of the last 20 batches (n=4)")
    assert psi.value is not None and psi.threshold is not None and psi.value > psi.threshold
    # the batches before had no threshold yet (warm-up 3), then a learned one
    h = history("obs", workspace=ws, columns=["x"], metrics=["psi"])
    series = h["x.psi"]
    assert series.thresholds[:3] == [None, None, None]
    assert series.thresholds[3] is not None and series.alarms == [False] * 4 + [True]


def test_fixed_threshold_from_the_schema_is_used_and_named(tmp_path: Path) -> None:
    root = workspace(tmp_path, drift="drift:\n  columns:\n    x: {psi: 0.05}\n")
    run = monitor("obs", [write(root, "d.csv", batch(seed=1, shift=0.5))], workspace=root)
    alarm = next(a for a in run.alarms if (a.column, a.metric) == ("x", "psi") and not a.slice)
    assert alarm.kind == "fixed" and alarm.threshold == 0.05
    assert alarm.rule == "fixed: schema obs@1 drift.columns.x.psi"


def test_unseen_label_class_alarms(ws: Path) -> None:
    run = monitor("obs", [write(ws, "z.csv", batch(seed=1, extra_class=True))], workspace=ws)
    alarm = next(a for a in run.alarms if a.metric == "unseen_classes")
    assert alarm.value == 25 and alarm.column == "label"
    assert "new: zz" in alarm.rule


def test_predictions_without_labels(ws: Path) -> None:
    df = batch(seed=1).drop(columns=["label"])
    run = monitor("obs", [write(ws, "nolabel.csv", df)], workspace=ws)
    b = run.batches[0]
    assert any("labels have not arrived" in n for n in b.notes)
    assert not [v for v in b.values if v.metric == "accuracy"]
    assert [v for v in b.values if v.column == "pred" and v.metric == "linf"]


def test_slice_column_missing_from_the_batch(ws: Path) -> None:
    df = batch(seed=1).drop(columns=["group"])
    with pytest.raises(MonitorInputError) as info:
        monitor("obs", [write(ws, "nogroup.csv", df)], workspace=ws)
    assert info.value.exit_code == 2 and info.value.column == "group"
    assert "nogroup.csv" in str(info.value) and "slice 'group'" in str(info.value)


def test_bad_slice_expression(ws: Path) -> None:
    path = ws / "schemas" / "obs" / "1.yaml"
    path.write_text(path.read_text().replace("where: x > 5", "where: nosuch > 5"))
    with pytest.raises(MonitorInputError, match="slice expression") as info:
        monitor("obs", [write(ws, "b.csv", batch(seed=1))], workspace=ws)
    assert "high_x" in str(info.value) and info.value.exit_code == 2


def test_empty_batch_is_a_data_error_and_not_recorded(ws: Path) -> None:
    empty = write(ws, "empty.csv", batch(seed=1).iloc[:0])
    with pytest.raises(MonitorDataError) as info:
        monitor("obs", [empty], workspace=ws)
    assert info.value.exit_code == 1 and "no rows" in str(info.value)
    assert _store_counts(ws)[0] == 0


def _shares_run(ws: Path, name: str, **kw: object) -> list[str]:
    run = monitor("obs", [write(ws, name, batch(seed=5, **kw))], workspace=ws)  # type: ignore[arg-type]
    return [f.kind for f in run.batches[0].findings]


def test_diagnosis_prior_shift(ws: Path) -> None:
    kinds = _shares_run(ws, "prior.csv", shares=(0.79, 0.19, 0.02))
    assert "prior shift" in kinds
    assert "covariate shift" not in kinds and "concept-drift proxy" not in kinds


def test_diagnosis_concept_drift_proxy(ws: Path) -> None:
    # the classes swap their x: x as a whole does not move, the relation to the label does
    kinds = _shares_run(ws, "concept.csv", means=(3.0, 0.0, 6.0))
    assert "concept-drift proxy" in kinds
    assert "prior shift" not in kinds and "covariate shift" not in kinds


def test_diagnosis_covariate_shift(ws: Path) -> None:
    kinds = _shares_run(ws, "cov.csv", shift=1.5)
    assert "covariate shift" in kinds and "prior shift" not in kinds


def test_propose_writes_the_learned_thresholds_as_the_next_version(ws: Path) -> None:
    batches = [write(ws, f"n{i}.csv", batch(seed=30 + i)) for i in range(3)]
    monitor("obs", batches, workspace=ws)
    dry = propose_thresholds("obs", workspace=ws)
    assert dry.written is None and dry.proposed == "obs@2"
    p = propose_thresholds("obs", workspace=ws, write=True, record=False)
    assert p.written == "schemas/obs/2.yaml" and p.compatible
    from datalife.schemas.registry import SchemaRegistry

    sv = SchemaRegistry(ws / "schemas").load("obs@2")
    assert sv.meta.drift.columns["x"].psi == p.thresholds["x"]["psi"]
    assert sv.meta.drift.columns["c"].linf == p.thresholds["c"]["linf"]
    # what the schema said besides is kept: roles and slices
    assert str(sv.meta.columns["label"].role) == "label"
    assert [s.label for s in sv.meta.slices] == ["group", "high_x"]
    # the next batch is judged by the new fixed thresholds
    run = monitor("obs", [write(ws, "n9.csv", batch(seed=39))], workspace=ws)
    x_psi = next(
        v for v in run.batches[0].values if (v.slice, v.column, v.metric) == ("", "x", "psi")
    )
    assert x_psi.threshold is not None and x_psi.threshold.kind == "fixed"


def test_propose_needs_history(ws: Path) -> None:
    monitor("obs", [write(ws, "n.csv", batch(seed=1))], workspace=ws)
    with pytest.raises(MonitorInputError, match="no threshold can be learned"):
        propose_thresholds("obs", workspace=ws)


def test_store_outside_the_workspace_is_refused(
    ws: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "h.duckdb"
    with pytest.raises(MonitorInputError, match="outside the workspace") as info:
        monitor("obs", [write(ws, "b.csv", batch(seed=1))], workspace=ws, store=outside)
    assert info.value.exit_code == 2 and not outside.exists()
