"""Prefetched content hashes: used once, only for an unchanged file, never a hang."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import blake3
import pytest

from datalife import storage
from datalife.storage import hash_file, prefetch_hashes


def direct(path: Path) -> str:
    return blake3.blake3(path.read_bytes()).hexdigest()


@pytest.fixture(autouse=True)
def _empty_prefetch_table() -> None:
    storage._PREFETCHED.clear()


def test_a_prefetched_hash_is_the_file_hash_and_is_used_once(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3 << 20))  # chunked path
    small = tmp_path / "small.csv"
    small.write_text("a,b\n1,2\n")
    prefetch_hashes([big, small, tmp_path, tmp_path / "missing.csv"])  # dirs, missing: ignored
    assert len(storage._PREFETCHED) == 2
    assert hash_file(big) == direct(big)
    assert hash_file(small) == direct(small)
    assert not storage._PREFETCHED  # consumed
    assert hash_file(big) == direct(big)  # and hashed again when asked again


def test_a_file_changed_after_the_prefetch_is_hashed_again(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("x\n1\n")
    gate = threading.Event()
    real = storage._hash_now

    def slow(p: Path, *, threads: int | None = None) -> str:
        gate.wait(5)
        return real(p, threads=threads)

    storage._hash_now = slow
    try:
        prefetch_hashes([path])
        path.write_text("x\n1\n2\n")  # new size and mtime before the hash is taken
        gate.set()
        assert hash_file(path) == direct(path)
    finally:
        storage._hash_now = real


def test_a_failing_prefetch_never_leaves_hash_file_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "data.csv"
    path.write_text("x\n1\n")
    real = storage._hash_now
    calls: list[int | None] = []

    def broken(p: Path, *, threads: int | None = None) -> str:
        calls.append(threads)
        if threads == 1:  # the prefetch thread's call
            raise RuntimeError("boom")
        return real(p, threads=threads)

    monkeypatch.setattr(storage, "_hash_now", broken)
    prefetch_hashes([path])
    got: list[str] = []
    caller = threading.Thread(target=lambda: got.append(hash_file(path)), daemon=True)
    caller.start()
    caller.join(10)
    assert not caller.is_alive(), "hash_file is still waiting for the failed prefetch"
    assert got == [direct(path)]  # hashed again in the caller's thread
    assert calls == [1, None]
