"""The content-hash cache: a file is read again whenever it may have changed, never otherwise."""

from __future__ import annotations

import os
import time
from pathlib import Path

import blake3
import pytest

from datalife import storage
from datalife.storage import hash_file, prefetch_hashes


def direct(path: Path) -> str:
    return blake3.blake3(path.read_bytes()).hexdigest()


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("DATALIFE_CACHE_DIR", str(folder))
    monkeypatch.delenv("DATALIFE_HASH_CACHE", raising=False)
    monkeypatch.setattr(storage, "RACY_NS", 0)  # the files here were written moments ago
    storage._PREFETCHED.clear()
    return folder


class Reads:
    """Counts the files actually read."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[Path] = []
        real = storage._hash_now

        def counting(p: Path, *, threads: int | None = None) -> str:
            self.paths.append(p)
            return real(p, threads=threads)

        monkeypatch.setattr(storage, "_hash_now", counting)


def next_tick(path: Path) -> None:
    """Wait until a file written now gets another status-change time than ``path`` has (file
    times come from a clock that ticks every few milliseconds)."""
    probe = path.with_name(path.name + ".tick")
    before = path.stat().st_ctime_ns
    for _ in range(1000):
        probe.write_bytes(b"")
        if probe.stat().st_ctime_ns != before:
            break
        time.sleep(0.001)
    probe.unlink()


def entries(cache: Path) -> list[Path]:
    return sorted((cache / "hashes").glob("*")) if (cache / "hashes").is_dir() else []


def test_an_unchanged_file_is_read_once(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    reads = Reads(monkeypatch)
    assert hash_file(data) == direct(data)
    assert hash_file(data) == direct(data)
    assert hash_file(str(data)) == direct(data)
    assert reads.paths == [data]
    assert len(entries(cache)) == 1


def test_a_rewritten_file_is_read_again_even_with_its_old_size_and_mtime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    first = hash_file(data)
    st = data.stat()
    next_tick(data)
    data.write_text("a,b\n3,4\n")  # same size
    os.utime(data, ns=(st.st_atime_ns, st.st_mtime_ns))  # mtime put back, as cp -p would
    assert data.stat().st_size == st.st_size
    assert data.stat().st_mtime_ns == st.st_mtime_ns
    reads = Reads(monkeypatch)
    assert hash_file(data) == direct(data) != first  # the status-change time moved
    assert reads.paths == [data]


def test_a_replaced_file_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    hash_file(data)
    next_tick(data)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n9,9\n")
    other.replace(data)  # another inode at the same path
    reads = Reads(monkeypatch)
    assert hash_file(data) == direct(data)
    assert reads.paths == [data]


@pytest.mark.parametrize(
    "setting",
    [("RACY_NS", 2_000_000_000), ("DATALIFE_HASH_CACHE", "0")],
    ids=["changed-just-before", "turned-off"],
)
def test_no_entry_for_a_file_changed_just_before_or_with_the_cache_off(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, setting: tuple[str, object]
) -> None:
    name, value = setting
    if name == "RACY_NS":
        monkeypatch.setattr(storage, name, value)  # the file below was written moments ago
    else:
        monkeypatch.setenv(name, str(value))
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    reads = Reads(monkeypatch)
    hash_file(data)
    hash_file(data)
    assert reads.paths == [data, data]
    assert entries(cache) == []


def test_uncached_hashing_ignores_and_keeps_the_cache(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    hash_file(data)
    (entry,) = entries(cache)
    poisoned = entry.read_text().replace(direct(data), "0" * 64)
    entry.write_text(poisoned)
    assert hash_file(data) == "0" * 64  # the cache is trusted while the file's identity holds
    assert hash_file(data, cached=False) == direct(data)  # what `lineage verify` uses
    assert entry.read_text() == poisoned


@pytest.mark.parametrize(
    "damage",
    [
        "",
        "datalife-hash 1\n",
        "garbage\n\n\n\n",
        "datalife-hash 999\n{real}\n{fields}\n{digest}\n",
        "datalife-hash 1\n/some/other/file\n{fields}\n{digest}\n",
        "datalife-hash 1\n{real}\n1 2 3 4 5\n{digest}\n",
        "datalife-hash 1\n{real}\n{fields}\nshort\n",
    ],
)
def test_a_damaged_or_foreign_entry_is_a_miss(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    hash_file(data)
    (entry,) = entries(cache)
    _, real, fields, _, _ = entry.read_text().split("\n")
    entry.write_text(damage.format(real=real, fields=fields, digest="f" * 64))
    reads = Reads(monkeypatch)
    assert hash_file(data) == direct(data)
    assert reads.paths == [data]
    assert hash_file(data) == direct(data)  # remembered again
    assert reads.paths == [data]


def test_an_unusable_cache_directory_only_costs_the_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("DATALIFE_CACHE_DIR", str(blocker))
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    assert hash_file(data) == direct(data)
    assert hash_file(data) == direct(data)
    assert blocker.read_text() == "x"


def test_prefetch_skips_cached_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = tmp_path / "old.csv"
    old.write_text("a\n1\n")
    new = tmp_path / "new.csv"
    new.write_text("a\n2\n")
    hash_file(old)
    prefetch_hashes([old, new])
    assert [key[0] for key in storage._PREFETCHED] == [os.path.realpath(new)]
    for pending in storage._PREFETCHED.values():
        assert pending.done.wait(10)
    reads = Reads(monkeypatch)
    assert hash_file(old) == direct(old)
    assert hash_file(new) == direct(new)
    assert reads.paths == []  # old from the cache, new from the prefetch thread


def test_a_cache_that_cannot_work_never_breaks_hashing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a file name that is not UTF-8 (Linux allows any bytes but "/" and NUL)
    odd = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9.csv"))
    odd.write_bytes(b"a\n1\n")
    assert hash_file(odd) == direct(odd)
    assert hash_file(odd) == direct(odd)  # remembered under its bytes, found again
    # no cache directory to be found: no $DATALIFE_CACHE_DIR, $XDG_CACHE_HOME or home
    monkeypatch.delenv("DATALIFE_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    data = tmp_path / "data.csv"
    data.write_text("a\n2\n")
    assert hash_file(data) == direct(data)
    prefetch_hashes([data])
    assert hash_file(data) == direct(data)


def test_an_entry_written_by_another_user_is_not_trusted(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data.csv"
    data.write_text("a\n1\n")
    hash_file(data)
    (entry,) = entries(cache)
    entry.write_text(entry.read_text().replace(direct(data), "0" * 64))  # poisoned
    assert hash_file(data) == "0" * 64  # ours: trusted
    other_uid = entry.stat().st_uid + 1
    monkeypatch.setattr(os, "getuid", lambda: other_uid)
    assert hash_file(data) == direct(data)  # someone else's: a miss
