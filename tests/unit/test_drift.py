"""``datalife.drift`` and ``datalife.skew``: numbers, thresholds, environments, bad inputs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, ks_2samp
from scipy.stats import wasserstein_distance as scipy_wasserstein

import datalife
from datalife.drift import DEFAULT_THRESHOLDS, METRICS, DriftDetected, DriftReport, drift, skew
from datalife.errors import DriftInputError
from datalife.schemas.model import ColumnThresholds, ComparatorConfig, Environment, SchemaMeta
from datalife.stats import save_profile, stats

REPO = Path(__file__).resolve().parents[2]


def frames(seed: int = 0, n: int = 2000, shift: float = 0.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    base = pd.DataFrame(
        {
            "x": np.round(rng.normal(10, 2, n), 3),
            "c": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
        }
    )
    cur = pd.DataFrame(
        {
            "x": np.round(rng.normal(10 + shift, 2, n), 3),
            "c": rng.choice(["a", "b", "c", "d"], n, p=[0.3, 0.3, 0.3, 0.1]),
        }
    )
    return base, cur


def json_strict(report: DriftReport) -> dict[str, Any]:
    text = json.dumps(report.to_dict(), allow_nan=False)
    out: dict[str, Any] = json.loads(text)
    return out


def test_datalife_detect_drift_is_drift() -> None:
    base, cur = frames()
    assert datalife.detect_drift is drift
    assert isinstance(datalife.detect_drift(base, cur), DriftReport)


def test_numeric_metrics_from_raw_data_equal_scipy() -> None:
    base, cur = frames(shift=0.5)
    col = drift(base, cur)["x"]
    a, b = base["x"].to_numpy(), cur["x"].to_numpy()
    assert col.exact
    assert col.metrics["ks_stat"] == pytest.approx(ks_2samp(a, b).statistic, abs=1e-12)
    assert col.metrics["ks_pvalue"] == pytest.approx(
        ks_2samp(a, b, method="asymp").pvalue, abs=1e-9
    )
    assert col.metrics["wasserstein_norm"] == pytest.approx(
        scipy_wasserstein(a, b) / np.std(a), rel=1e-9
    )
    edges = np.unique(np.quantile(a, np.arange(1, 10) / 10, method="inverted_cdf"))
    p = np.bincount(np.searchsorted(edges, a, side="left"), minlength=edges.size + 1) / a.size
    q = np.bincount(np.searchsorted(edges, b, side="left"), minlength=edges.size + 1) / b.size
    p, q = np.where(p == 0, 1e-4, p), np.where(q == 0, 1e-4, q)
    assert col.metrics["psi"] == pytest.approx(float(np.sum((q - p) * np.log(q / p))), rel=1e-9)
    lo, hi = min(a.min(), b.min()), max(a.max(), b.max())
    ha = np.histogram(a, bins=20, range=(lo, hi))[0]
    hb = np.histogram(b, bins=20, range=(lo, hi))[0]
    assert col.metrics["jsd_log2"] == pytest.approx(jensenshannon(ha, hb, base=2) ** 2, abs=1e-9)
    assert (col.n_baseline, col.n_current) == (2000, 2000)
    assert col.histogram is not None
    assert col.histogram["baseline"] == ha.tolist()
    assert col.histogram["current"] == hb.tolist()
    assert len(col.histogram["edges"]) == 21
    assert col.bins is not None
    assert col.bins["psi_edges"] == edges.tolist()
    assert col.drifted
    assert col.method == "wasserstein_norm"


def test_categorical_metrics_equal_hand_and_scipy() -> None:
    base, cur = frames()
    col = drift(base, cur)["c"]
    vb = base["c"].value_counts().reindex(["a", "b", "c", "d"], fill_value=0).to_numpy()
    vc = cur["c"].value_counts().reindex(["a", "b", "c", "d"], fill_value=0).to_numpy()
    p, q = vb / vb.sum(), vc / vc.sum()
    assert col.metrics["linf"] == pytest.approx(float(np.max(np.abs(p - q))), abs=1e-15)
    assert col.worst is not None
    assert col.worst["value"] == "a"
    assert col.metrics["jsd_log2"] == pytest.approx(jensenshannon(vb, vc, base=2) ** 2, abs=1e-9)
    ref = chi2_contingency(np.array([vb, vc]), correction=False)
    assert col.metrics["chi2_pvalue"] == pytest.approx(ref.pvalue, abs=1e-9)
    assert col.histogram is not None
    assert sorted(col.histogram["values"]) == ["a", "b", "c", "d"]
    assert sum(col.histogram["current"]) == 2000
    assert col.drifted
    assert col.method == "linf"
    for metric in ("ks_stat", "wasserstein_norm"):
        assert col.metrics[metric] is None
        assert "numeric" in col.notes[metric]


def test_from_saved_profiles_needs_no_data_and_agrees(tmp_path: Path) -> None:
    base, cur = frames(shift=0.5)
    raw = drift(base, cur)
    pb = stats(base).save(tmp_path / "b.json")
    pc = stats(cur).save(tmp_path / "c.json")
    saved = drift(pb, pc)
    assert saved.baseline.from_profile
    assert saved.current.from_profile
    for name in ("x", "c"):
        r, s = raw[name], saved[name]
        for metric in METRICS:
            if r.metrics[metric] is None:
                assert s.metrics[metric] is None
            else:
                # three-decimal data: every bucket holds one value, so profiles are exact here
                assert s.metrics[metric] == pytest.approx(r.metrics[metric], rel=1e-9, abs=1e-12)
        assert s.status == r.status
    assert not saved["x"].exact
    assert saved["x"].resolution is not None
    assert saved["c"].exact


def test_profile_approximation_of_continuous_data_is_close() -> None:
    rng = np.random.default_rng(3)
    base = pd.DataFrame({"x": rng.lognormal(0, 1, 20_000)})
    cur = pd.DataFrame({"x": rng.lognormal(0.1, 1, 20_000)})
    raw = drift(base, cur)["x"]
    approx = drift(stats(base), stats(cur))["x"]
    for metric in ("ks_stat", "wasserstein_norm", "psi", "jsd_log2"):
        assert approx.metrics[metric] == pytest.approx(raw.metrics[metric], rel=0.02, abs=0.002)


def test_large_samples_trivial_shift_significant_but_not_drift() -> None:
    rng = np.random.default_rng(5)
    n = 300_000
    base = pd.DataFrame({"x": rng.normal(0, 1, n)})
    cur = pd.DataFrame({"x": rng.normal(0.02, 1, n)})
    col = drift(base, cur)["x"]
    assert col.metrics["ks_pvalue"] is not None
    assert col.metrics["ks_pvalue"] < 0.001
    assert col.metrics["wasserstein_norm"] is not None
    assert col.metrics["wasserstein_norm"] < 0.05
    assert not col.drifted


def test_small_samples_noise_is_not_an_alarm_unless_asked() -> None:
    rng = np.random.default_rng(11)
    base = pd.DataFrame({"x": rng.normal(0, 1, 25)})
    cur = pd.DataFrame({"x": rng.normal(0, 1, 25)})
    guarded = drift(base, cur)["x"]
    plain = drift(base, cur, significance=None)["x"]
    assert plain.breaches
    assert plain.drifted
    assert not guarded.drifted
    assert guarded.within_noise == plain.breaches
    assert "sampling noise" in guarded.notes["verdict"]


# -- p-values only when asked ----------------------------------------------------------------

PVALUES = ("ks_pvalue", "chi2_pvalue")


def test_without_pvalues_the_verdicts_are_the_same_and_only_the_guard_computes_one() -> None:
    rng = np.random.default_rng(11)
    base, cur = frames(shift=0.5)  # x and c drift
    base["calm"], cur["calm"] = rng.normal(0, 1, 2000), rng.normal(0, 1, 2000)
    start = pd.Timestamp("2024-01-01")
    hours = pd.to_timedelta(rng.integers(0, 60 * 24, 4000), unit="h")
    base["t_calm"], cur["t_calm"] = start + hours[:2000], start + hours[2000:]
    days = rng.integers(0, 60, 4000)
    workdays = days[days % 7 < 5][:2000]  # 2024-01-01 is a Monday
    weekdays_only = pd.to_timedelta(workdays * 24 + rng.integers(0, 24, 2000), unit="h")
    base["t_moved"], cur["t_moved"] = start + hours[:2000], start + weekdays_only
    small_b = pd.DataFrame({"x": rng.normal(0, 1, 25)})
    small_c = pd.DataFrame({"x": rng.normal(0, 1, 25)})  # over a threshold, within noise
    for b, c in ((base, cur), (small_b, small_c)):
        full, lazy = drift(b, c), drift(b, c, pvalues=False)
        assert lazy.drifted_columns == full.drifted_columns
        for f, z in zip(full.columns, lazy.columns, strict=True):
            assert (z.status, z.breaches, z.within_noise, z.method, z.value) == (
                f.status,
                f.breaches,
                f.within_noise,
                f.method,
                f.value,
            )
            over = bool(f.breaches or f.within_noise)
            for metric in PVALUES:
                if over and f.metrics[metric] is not None:
                    assert z.metrics[metric] == f.metrics[metric]  # the guard read it
                elif f.metrics[metric] is not None:
                    assert z.metrics[metric] is None
                    assert "not asked" in z.notes[metric]
        if b is base:
            assert full["calm"].metrics["ks_pvalue"] is not None
            assert lazy["calm"].metrics["ks_pvalue"] is None
            assert full["t_moved"].drifted
            assert lazy["t_moved"].metrics["chi2_pvalue"] == full["t_moved"].metrics["chi2_pvalue"]
            assert full["t_calm"].metrics["chi2_pvalue"] is not None
            assert lazy["t_calm"].metrics["chi2_pvalue"] is None
    assert lazy["x"].within_noise
    assert lazy["x"].metrics["ks_pvalue"] == full["x"].metrics["ks_pvalue"]


def test_split_drift_and_the_cli_help_import_no_scipy() -> None:
    """SciPy is imported on the first p-value: not by the CLI's help, nor by a comparison that
    asks for none and breaches no threshold; then by one that does."""
    script = """
import contextlib, io, sys
import numpy as np
import pandas as pd
from datalife.cli import main
from datalife.drift import drift
from datalife.drift.between_splits import split_drift

with contextlib.redirect_stdout(io.StringIO()):
    main(["--help"])
    main(["drift", "--help"])
rng = np.random.default_rng(0)
def part(n):
    t = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 60 * 24, n), unit="h")
    return pd.DataFrame({"x": rng.normal(0, 1, n), "c": rng.choice(["a", "b"], n), "t": t})
figures = split_drift({"train": part(3000), "dev": part(1000), "test": part(1000)})
assert not any(f["drifted"] for col in figures.values() for f in col.values()), figures
print(sorted(m for m in sys.modules if m == "scipy" or m.startswith("scipy.")))
drift(part(100), part(100))
print("scipy.stats" in sys.modules)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    before, after = out.stdout.strip().splitlines()[-2:]
    assert before == "[]"
    assert after == "True"


def test_thresholds_from_schema_metadata() -> None:
    base, cur = frames(shift=0.5)
    meta = SchemaMeta(
        name="demo",
        version=2,
        drift=ComparatorConfig(
            default=ColumnThresholds(wasserstein_norm=5.0, psi=5.0),
            columns={"c": ColumnThresholds(linf=0.5), "x": ColumnThresholds(ks_stat=0.01)},
        ),
    )
    report = drift(base, cur, meta)
    assert report.schema == "demo@2"
    x, c = report["x"], report["c"]
    assert x.thresholds == {"wasserstein_norm": 5.0, "psi": 5.0, "ks_stat": 0.01}
    assert x.drifted
    assert x.method == "ks_stat"
    assert c.thresholds["linf"] == 0.5
    assert not c.drifted
    assert report.drifted_columns == ["x"]
    assert DEFAULT_THRESHOLDS["numeric"] == {"wasserstein_norm": 0.1, "psi": 0.2}


def test_skew_skips_columns_absent_at_serving_and_uses_skew_thresholds() -> None:
    base, cur = frames(shift=0.5)
    base["label"] = 1
    meta = SchemaMeta(
        name="demo",
        version=1,
        environments={"serving": Environment(absent=["label"])},
        skew=ComparatorConfig(columns={"x": ColumnThresholds(wasserstein_norm=10.0, psi=10.0)}),
    )
    report = skew(base, cur, meta)
    assert report.comparison == "skew"
    assert report["label"].status == "skipped"
    assert not report["label"].drifted
    assert not report["x"].drifted
    assert report.drifted_columns == ["c"]
    plain = drift(base, cur)
    assert plain["label"].status == "removed"


def test_bad_inputs_are_reported_not_raised() -> None:
    base = pd.DataFrame(
        {
            "gone": [1, 2, 3],
            "nulls": [None, None, None],
            "const": [5.0, 5.0, 5.0],
            "typed": [1.0, 2.0, 3.0],
            "when": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
        }
    ).astype({"nulls": "float64"})
    cur = pd.DataFrame(
        {
            "new": ["x"],
            "nulls": [1.0],
            "const": [6.0],
            "typed": ["one"],
            "when": pd.to_datetime(["2025-01-01"]),
        }
    )
    report = drift(base, cur)
    data = json_strict(report)
    status = {c["column"]: c["status"] for c in data["columns"]}
    assert status == {
        "gone": "removed",
        "nulls": "not_computable",
        "const": "drift",
        "typed": "not_computable",
        "when": "ok",  # one value: its weekday and month shares are not significant
        "new": "added",
    }
    assert "all missing" in report["nulls"].reason  # type: ignore[operator]
    assert "type changed" in report["typed"].reason  # type: ignore[operator]
    const = report["const"]
    assert const.metrics["wasserstein_norm"] is None
    assert "std 0" in const.notes["wasserstein_norm"]
    assert const.metrics["ks_stat"] == 1.0
    assert data["columns_added"] == ["new"]
    assert data["columns_removed"] == ["gone"]
    for col in data["columns"]:
        for metric in METRICS:
            assert metric in col
        assert "n_baseline" in col
        assert "n_current" in col


def test_one_row_each_side() -> None:
    report = drift(pd.DataFrame({"x": [1.0], "c": ["a"]}), pd.DataFrame({"x": [1.0], "c": ["a"]}))
    assert not report.drifted
    assert report["c"].metrics["chi2_pvalue"] is None
    assert report["x"].metrics["ks_stat"] == 0.0
    json_strict(report)


def test_raise_for_drift_and_summary() -> None:
    base, cur = frames(shift=0.5)
    report = drift(base, cur)
    assert report.summary().startswith("drift in 2 of 2")
    with pytest.raises(DriftDetected) as info:
        report.raise_for_drift()
    assert info.value.exit_code == 1
    assert any("column 'x'" in d for d in info.value.details)


def test_bad_schema_argument() -> None:
    base, cur = frames()
    with pytest.raises(DriftInputError, match="cannot read drift thresholds"):
        drift(base, cur, schema=42)


def test_dataset_versions_and_saved_profiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datalife.config import Workspace

    root = tmp_path / "ws"
    root.mkdir()
    shutil.copy(REPO / "datalife.toml", root / "datalife.toml")
    (root / "sample_data").mkdir()
    shutil.copy(REPO / "sample_data" / "2007.csv", root / "sample_data" / "2007.csv")
    monkeypatch.chdir(root)
    ws = Workspace.find()
    old = stats(ws.dataset_files("penguins"), dataset="penguins", workspace=ws)
    assert old.source.dataset_version is not None
    save_profile(old, ws)
    shutil.copy(REPO / "sample_data" / "2009.csv", root / "sample_data" / "2009.csv")
    report = drift(f"penguins@{old.source.dataset_version[:10]}", "penguins", workspace=ws)
    assert report.baseline.from_profile
    assert not report.current.from_profile
    assert report.baseline.rows == 110
    assert report.current.rows == 230
    assert report["year"].drifted
    with pytest.raises(DriftInputError, match="no version"):
        drift("penguins@ffff", "penguins", workspace=ws)
    with pytest.raises(DriftInputError, match="did you mean"):
        drift("penguin", "penguins", workspace=ws)


def _people(n: int, seed: int, start: str) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "user_id": np.arange(seed * n, seed * n + n),
            "email": [f"user{seed}_{i}@example.org" for i in range(n)],
            "review": [
                f"review number {i} says the thing was {'good' if i % 3 else 'bad'} overall"
                for i in range(seed * n, seed * n + n)
            ],
            "score": rng.normal(0, 1, n),
            "seen_at": pd.date_range(start, periods=n, freq="37min"),
        }
    )


def test_identifiers_and_free_text_are_skipped_with_the_reason() -> None:
    report = drift(_people(2000, 0, "2024-01-01"), _people(2000, 1, "2024-03-01"))
    status = {c.column: c.status for c in report.columns}
    assert status["user_id"] == status["email"] == status["review"] == "skipped"
    assert "identifier" in (report["user_id"].reason or "")
    assert "identifier" in (report["email"].reason or "")
    assert "free text" in (report["review"].reason or "")
    assert status["score"] == "ok"
    assert json_strict(report)["columns_skipped"] == ["user_id", "email", "review"]


def test_a_declared_role_skips_the_column() -> None:
    from datalife.drift.compare import compare_column
    from datalife.stats import stats as profile_of

    b = profile_of(pd.DataFrame({"code": [1, 2, 3] * 20}))
    col = compare_column("code", b.columns[0], b.columns[0], {}, role="identifier")
    assert col.status == "skipped"
    assert "declared" in (col.reason or "")


def test_timestamps_drift_on_calendar_parts_and_report_freshness() -> None:
    base = _people(2000, 0, "2024-01-01")
    same = _people(2000, 1, "2024-03-01")
    report = drift(base, same)
    seen = report["seen_at"]
    assert seen.family == "timestamp"
    assert seen.status == "ok", seen.notes
    assert seen.metrics["linf"] is not None and seen.metrics["ks_stat"] == 1.0
    assert seen.freshness is not None
    assert seen.freshness["newest_current"].startswith("2024-04-21")
    assert seen.freshness["behind_baseline_s"] < 0  # the current data is newer
    # the same times, but only on weekends: the weekday shares drift
    weekend = same[same["seen_at"].dt.day_of_week >= 5]
    shifted = drift(base, weekend)["seen_at"]
    assert shifted.status == "drift"
    assert shifted.worst is not None and shifted.worst["part"] == "weekday"
    # stale data: the current batch ends before the baseline does
    stale = drift(same, base)["seen_at"]
    assert "stale" in stale.notes["freshness"]


def test_the_schemas_declared_roles_decide_what_drift_skips() -> None:
    from datalife.schemas.model import ColumnMeta

    base, same = _people(2000, 0, "2024-01-01"), _people(2000, 1, "2024-03-01")
    meta = SchemaMeta(
        name="people",
        version=1,
        columns={
            # user_id looks like an identifier, but the schema says it is measured
            "user_id": ColumnMeta(role="measurement"),
            # score looks like a measurement, but the schema says it identifies
            "score": ColumnMeta(role="identifier"),
        },
    )
    report = drift(base, same, meta)
    assert report["user_id"].status == "drift"  # its values moved: now compared, and drifted
    assert report["score"].status == "skipped"
    assert "declared role" in (report["score"].reason or "")
    assert report["email"].status == "skipped"  # undeclared: inferred from the profiles
