"""Workspaces and batches for the monitoring tests, with answers known in advance.

Rows of a batch: ``label`` a / b / r (r rare: 2 %), ``x`` normal with a class-dependent mean
(a: 0, b: 3, r: 6), ``c`` a category independent of the label, ``group`` g1 for the first half
and g2 for the second, ``pred`` the label with exactly every 10th row wrong (accuracy 0.9).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SCHEMA = """\
format_version: 1
name: obs
version: 1
columns:
  label: {role: label}
  pred: {role: prediction}
  id: {role: identifier}
slices:
- columns: [group]
- name: high_x
  where: x > 5
{extra}schema:
  schema_type: dataframe
  columns: {}
"""


def batch(
    n: int = 2000,
    seed: int = 0,
    *,
    shares: tuple[float, float, float] = (0.49, 0.49, 0.02),
    means: tuple[float, float, float] = (0.0, 3.0, 6.0),
    shift: float = 0.0,
    extra_class: bool = False,
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    counts = [round(n * s) for s in shares]
    counts[0] += n - sum(counts)
    label = np.repeat(np.array(["a", "b", "r"], dtype=object), counts)
    rng.shuffle(label)
    mean = np.select([label == "a", label == "b"], [means[0], means[1]], means[2])
    x = rng.normal(mean, 1.0) + shift
    pred = label.copy()
    wrong = np.arange(n) % 10 == 0
    pred[wrong] = np.where(label[wrong] == "a", "b", "a")
    if extra_class:
        label[:25] = "zz"
    return pd.DataFrame(
        {
            "id": np.arange(n) + seed * 1_000_000,
            "x": np.round(x, 3),
            "c": rng.choice(["u", "v", "w"], size=n),
            "group": np.where(np.arange(n) < n // 2, "g1", "g2"),
            "label": label,
            "pred": pred,
        }
    )


def workspace(root: Path, *, drift: str = "", monitor: str = "warmup = 3\n") -> Path:
    """A workspace with dataset ``obs`` (reference: one file of seed 0) and schema ``obs@1``."""
    (root / "ref").mkdir(parents=True, exist_ok=True)
    (root / "schemas" / "obs").mkdir(parents=True, exist_ok=True)
    batch(seed=0).to_csv(root / "ref" / "ref.csv", index=False)
    (root / "datalife.toml").write_text(
        f'format_version = 1\n[datasets.obs]\nfiles = ["ref/*.csv"]\n[monitor]\n{monitor}',
        encoding="utf-8",
    )
    (root / "schemas" / "obs" / "1.yaml").write_text(
        SCHEMA.replace("{extra}", drift), encoding="utf-8"
    )
    return root


def write(root: Path, name: str, df: pd.DataFrame) -> str:
    path = root / "batches" / name
    path.parent.mkdir(exist_ok=True)
    df.to_csv(path, index=False)
    return str(path)
