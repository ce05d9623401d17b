"""Class balance of label columns in `datalife stats`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from datalife.stats import stats
from datalife.stats.balance import class_balance

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def test_class_balance_of_text_and_numeric_labels() -> None:
    profile = stats(pd.DataFrame({"y": ["spam"] * 9 + ["ham"] + [None], "n": range(11)}))
    y = class_balance(profile.columns[0])
    assert y.classes == {"spam": 9, "ham": 1}
    assert (y.imbalance_ratio, y.minority, y.missing) == (9.0, "ham", 1)
    assert y.to_dict()["classes"][0] == {"value": "spam", "count": 9, "share": 0.9}
    n = class_balance(profile.columns[1])
    assert not n.classes and "numeric" in (n.note or "")


def _stats(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "datalife", "stats", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_stats_shows_the_class_balance_of_a_label(tmp_path: Path) -> None:
    data = str(SAMPLE / "2009.csv")
    out = _stats(data, "--label", "species", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "label species: 3 classes: Adelie" in out.stdout
    as_json = json.loads(
        _stats(data, "--label", "species", "--format", "json", cwd=tmp_path).stdout
    )
    (balance,) = as_json["class_balance"]
    assert balance["column"] == "species" and balance["minority"] == "Chinstrap"
    bad = _stats(data, "--label", "nope", cwd=tmp_path)
    assert bad.returncode == 2 and "nope" in bad.stderr
