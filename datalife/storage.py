"""Atomic writes and content hashes.

Every file datalife writes goes through :func:`atomic_write_bytes` (temporary file in the
same directory, fsync, rename, fsync of the directory), so a crash leaves the old file or
the new one, never a torn one.

Content hashes are BLAKE3 (read in chunks, multi-threaded): a dataset version id is the hash
of the sorted content hashes of its files, so it is stable across machines, paths and the
order files are given in. :func:`prefetch_hashes` starts hashing files in the background
(the CLI calls it before it loads its modules); :func:`hash_file` then takes that result.

Examples:
    >>> dataset_version_id(["b" * 64, "a" * 64]) == dataset_version_id(["a" * 64, "b" * 64])
    True
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import blake3

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "atomic_open",
    "atomic_write_bytes",
    "atomic_write_text",
    "dataset_version_id",
    "frame_hash",
    "hash_bytes",
    "hash_file",
    "prefetch_hashes",
    "short",
]

HASH_PREFIX = "blake3:"
_CHUNKED_THRESHOLD = 1 << 20
_CHUNK = 16 << 20


def hash_bytes(data: bytes) -> str:
    """Hex BLAKE3 of ``data``."""
    return blake3.blake3(data).hexdigest()


class _Pending:
    """A hash being computed by :func:`prefetch_hashes`."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: str | None = None


# prefetched hashes by file identity: (real path, size, mtime, inode) when the hashing began
_PREFETCHED: dict[tuple[str, int, int, int], _Pending] = {}
_PREFETCH_LOCK = threading.Lock()


def _identity(path: Path) -> tuple[str, int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return (os.path.realpath(path), st.st_size, st.st_mtime_ns, st.st_ino)


def prefetch_hashes(paths: Iterable[str | Path]) -> None:
    """Start hashing the regular files among ``paths`` in a background thread.

    :func:`hash_file` then waits for that result instead of reading the file again: a
    command hashes its inputs while it loads its modules. Each result is used once, and
    only if the file still has the size, modification time and inode it had when its
    hashing began; anything else (a changed file, a read error) is hashed again then.
    """
    jobs: list[tuple[Path, _Pending]] = []
    with _PREFETCH_LOCK:
        for path in paths:
            p = Path(path)
            key = _identity(p)
            if key is not None and key not in _PREFETCHED:
                _PREFETCHED[key] = pending = _Pending()
                jobs.append((p, pending))
    if not jobs:
        return

    def work() -> None:
        # one thread: the caller is busy loading modules meanwhile, and this fits beside it
        for p, pending in jobs:
            try:
                pending.value = _hash_now(p, threads=1)
            except Exception:  # noqa: BLE001 - hash_file hashes again and raises it there
                pending.value = None
            finally:
                pending.done.set()  # never leave hash_file waiting

    threading.Thread(target=work, name="datalife-prefetch", daemon=True).start()


def hash_file(path: str | Path) -> str:
    """Hex BLAKE3 of a file's bytes (multi-threaded for large files).

    Large files are read in 16 MiB chunks into one buffer rather than memory-mapped: a
    mapping is as fast but counts the whole file in the process's resident memory.
    """
    p = Path(path)
    if _PREFETCHED:
        key = _identity(p)
        with _PREFETCH_LOCK:
            pending = _PREFETCHED.pop(key, None) if key is not None else None
        if pending is not None:
            pending.done.wait()
            if pending.value is not None and _identity(p) == key:
                return pending.value
    return _hash_now(p)


def _hash_now(p: Path, *, threads: int | None = None) -> str:
    size = p.stat().st_size
    if size >= _CHUNKED_THRESHOLD:
        hasher = blake3.blake3(max_threads=threads or blake3.blake3.AUTO)
        buf = bytearray(_CHUNK)
        view = memoryview(buf)
        with p.open("rb", buffering=0) as fh:
            while n := fh.readinto(buf):
                hasher.update(view[:n])
        return hasher.hexdigest()
    return blake3.blake3(p.read_bytes()).hexdigest()


def dataset_version_id(file_hashes: Iterable[str]) -> str:
    """The id of a dataset version made of files with these content hashes."""
    joined = "\n".join(sorted(file_hashes)).encode()
    return hash_bytes(joined)


def frame_hash(df: pd.DataFrame) -> str:
    """Content hash of a pandas DataFrame: BLAKE3 of its Arrow IPC serialization."""
    import pyarrow as pa

    table = pa.Table.from_pandas(df, preserve_index=False)
    return table_hash(table)


def table_hash(table: Any) -> str:
    """Content hash of a pyarrow Table."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    table = table.replace_schema_metadata(None)
    with pa.ipc.new_stream(sink, table.schema) as writer:
        for batch in table.combine_chunks().to_batches():
            writer.write_batch(batch)
    return blake3.blake3(sink.getvalue().to_pybytes()).hexdigest()


def short(digest: str, n: int = 12) -> str:
    """The first ``n`` hex digits of a digest, as shown to people."""
    return digest.removeprefix(HASH_PREFIX)[:n]


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success fsync and rename it over ``path``.

    On an exception the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(target)
        _fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def lock_fd(fd: int) -> None:
        """Block until this process holds the exclusive lock on ``fd``."""
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)

    def unlock_fd(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def lock_fd(fd: int) -> None:
        """Block until this process holds the exclusive lock on ``fd``."""
        fcntl.flock(fd, fcntl.LOCK_EX)

    def unlock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def exclusive_lock(path: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the ``with`` block.

    The lock is released by the operating system if the process dies, so a killed run never
    leaves a stale lock behind.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        lock_fd(fd)
        try:
            yield
        finally:
            unlock_fd(fd)
    finally:
        os.close(fd)


def remove_stale_temporaries(directory: str | Path, names: Iterable[str]) -> list[Path]:
    """Remove temporary files left by :func:`atomic_open` for ``names`` in ``directory``.

    Only call this while holding the lock that serialises writers of ``directory``: a
    temporary file of a live writer looks the same as one left by a killed process.
    """
    removed = []
    folder = Path(directory)
    for name in names:
        for tmp in folder.glob(f".{name}.*.tmp"):
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed.append(tmp)
    return removed


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))
