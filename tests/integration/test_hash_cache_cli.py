"""`datalife validate` through the content-hash cache: an unchanged file is named by the hash it
had, a rewritten one (same size, modification time put back) is read and named again."""

from __future__ import annotations

import os
import time
from pathlib import Path

import blake3
import pytest

from tests.conftest import CliResult, run_cli


def version(res: CliResult) -> str:
    assert res.code in (0, 1), res  # valid or not: the report names the file's content
    value = res.json()["sources"][0]["content_hash"]
    assert isinstance(value, str)
    return value


def test_validate_remembers_then_rehashes_a_rewritten_file(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("DATALIFE_CACHE_DIR", str(cache))
    data = workspace / "sample_data" / "2009.csv"
    time.sleep(max(0.0, data.stat().st_ctime + 2.1 - time.time()))  # older than the racy window
    args = ("validate", str(data), "--format", "json", "--no-record")

    first = version(run_cli(*args, cwd=workspace))
    assert first == blake3.blake3(data.read_bytes()).hexdigest()
    (entry,) = (cache / "hashes").iterdir()
    assert str(data.resolve()) in entry.read_text()
    assert version(run_cli(*args, cwd=workspace)) == first
    # the second run took the remembered hash: an entry changed by hand is what it reports
    entry.write_text(entry.read_text().replace(first, "f" * 64))
    assert version(run_cli(*args, cwd=workspace)) == "f" * 64

    # same bytes count and modification time, other content: the status-change time moved
    st = data.stat()
    text = data.read_text()
    data.write_text(text.replace("Torgersen", "Torgersem", 1))  # an unseen island: exit 1
    os.utime(data, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert data.stat().st_size == st.st_size
    changed = version(run_cli(*args, cwd=workspace))
    assert changed == blake3.blake3(data.read_bytes()).hexdigest() != first
