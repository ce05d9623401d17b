"""`[pipeline.split] order_by`: the pipeline's split keeps the future out of training."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.conftest import run_cli


def test_pipeline_split_ordered_by_year(workspace: Path) -> None:
    config = workspace / "datalife.toml"
    text = config.read_text()
    assert 'stratify = ["species"]' in text
    config.write_text(text.replace('stratify = ["species"]', 'order_by = "year"\ngap = 0.05'))
    res = run_cli("run", cwd=workspace)
    assert res.code == 0, res
    parts = {
        s: pd.read_parquet(workspace / "splits" / f"{s}.parquet") for s in ("train", "dev", "test")
    }
    latest_train = parts["train"]["year"].max()
    assert latest_train <= min(parts["dev"]["year"].min(), parts["test"]["year"].min())
    assert sum(len(p) for p in parts.values()) < 344  # the gap left rows out
    bad = run_cli("run", cwd=workspace)
    assert bad.code == 0
    config.write_text(config.read_text().replace("gap = 0.05", "gap = 1.5"))
    res = run_cli("run", cwd=workspace)
    assert res.code == 2 and "gap" in res.stderr, res
