"""Atomic writes and content hashes.

Every file datalife writes goes through :func:`atomic_write_bytes` (temporary file in the
same directory, fsync, rename, fsync of the directory), so a crash leaves the old file or
the new one, never a torn one.

Content hashes are BLAKE3 (read in chunks, multi-threaded): a dataset version id is the hash
of the sorted content hashes of its files, so it is stable across machines, paths and the
order files are given in. :func:`prefetch_hashes` starts hashing files in the background
(the CLI calls it before it loads its modules); :func:`hash_file` then takes that result.

A file's hash is remembered in the user's cache directory (:func:`cache_dir`) with the
file's size, modification and status-change times, inode and device, as git's index and
DVC do: while none of them has changed, the file is not read again. The status-change time
(``ctime``) cannot be set back by tools that restore modification times, and any write,
rename or ``chmod`` moves it. A file changed less than two seconds before it was hashed is
not remembered (a later write within the same clock tick could leave every one of those
unchanged), and ``datalife lineage verify`` always reads the files.
``DATALIFE_HASH_CACHE=0`` turns the cache off; it is off on Windows, whose ``st_ctime`` is a
creation time. Like git's index, it trusts the file system's times: on network file systems
that cache attributes (NFS, SMB) or FAT/exFAT drives, turn it off.

Examples:
    >>> dataset_version_id(["b" * 64, "a" * 64]) == dataset_version_id(["a" * 64, "b" * 64])
    True
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import threading
import time
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
    "cache_dir",
    "dataset_version_id",
    "directory_lock",
    "fault_point",
    "frame_hash",
    "hash_bytes",
    "hash_file",
    "prefetch_hashes",
    "remove_stale_temporaries",
    "short",
    "temp_name",
]

HASH_PREFIX = "blake3:"
_CHUNKED_THRESHOLD = 1 << 20
_CHUNK = 16 << 20
HASH_CACHE_FORMAT = 1
# a file changed this recently when its hashing began is not remembered (clock-tick races)
RACY_NS = 2_000_000_000


def hash_bytes(data: bytes) -> str:
    """Hex BLAKE3 of ``data``."""
    return blake3.blake3(data).hexdigest()


def cache_dir() -> Path:
    """Where datalife keeps derived caches (never inside a workspace).

    ``$DATALIFE_CACHE_DIR``, else ``$XDG_CACHE_HOME/datalife``, else ``~/.cache/datalife``.
    """
    explicit = os.environ.get("DATALIFE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "datalife"


def _hash_cache_on() -> bool:
    if sys.platform == "win32":  # st_ctime is the creation time there: a write leaves it
        return False
    value = os.environ.get("DATALIFE_HASH_CACHE", "1").strip().lower()
    return value not in ("0", "false", "no", "off")


# (real path, size, mtime_ns, ctime_ns, inode, device) of a regular file
_Identity = tuple[str, int, int, int, int, int]


def _identity(path: Path) -> _Identity | None:
    try:
        st = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return (
        os.path.realpath(path),
        st.st_size,
        st.st_mtime_ns,
        st.st_ctime_ns,
        st.st_ino,
        st.st_dev,
    )


def _cache_entry(real: str) -> Path:
    return cache_dir() / "hashes" / hash_bytes(os.fsencode(real))[:32]


def _entry_bytes(key: _Identity, digest: str) -> bytes:
    real, *numbers = key
    fields = " ".join(str(n) for n in numbers)
    head = f"datalife-hash {HASH_CACHE_FORMAT}\n".encode()
    return head + os.fsencode(real) + f"\n{fields}\n{digest}\n".encode()


def _cached_hash(key: _Identity) -> str | None:
    """The remembered hash of the file ``key`` describes, if it has not changed since.

    Never raises: a cache that cannot be read (no home directory, a path the file system
    cannot encode, a damaged or foreign entry) is a miss.
    """
    if not _hash_cache_on():
        return None
    try:
        fd = os.open(_cache_entry(key[0]), os.O_RDONLY)
    except Exception:  # noqa: BLE001 - any failure is a miss
        return None
    try:
        if hasattr(os, "getuid") and os.fstat(fd).st_uid != os.getuid():
            return None  # written by someone else: not trusted
        data = os.read(fd, 8192)
    except OSError:
        return None
    finally:
        os.close(fd)
    digest = data.rsplit(b"\n", 2)[-2].decode("ascii", "replace") if data.endswith(b"\n") else ""
    try:
        if len(digest) == 64 and data == _entry_bytes(key, digest):
            return digest
    except Exception:  # noqa: BLE001 - an unencodable path: a miss
        return None
    return None


def _remember_hash(key: _Identity, digest: str, started_ns: int) -> None:
    """Store ``digest`` for the file ``key`` describes (best effort: a cache never fails)."""
    if not _hash_cache_on():
        return
    _, _, mtime_ns, ctime_ns, _, _ = key
    if started_ns - max(mtime_ns, ctime_ns) < RACY_NS:
        return  # changed moments before: a write in the same clock tick could go unseen
    tmp: Path | None = None
    try:
        entry = _cache_entry(key[0])
        tmp = entry.with_name(f".{entry.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(_entry_bytes(key, digest))
        tmp.replace(entry)  # no fsync: an entry lost or torn in a crash is only a miss
    except Exception:  # noqa: BLE001 - no home directory, unencodable path, full disk...
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


def _hash_and_remember(p: Path, key: _Identity | None, *, threads: int | None = None) -> str:
    started = time.time_ns()
    digest = _hash_now(p, threads=threads)
    if key is not None and _identity(p) == key:
        _remember_hash(key, digest, started)
    return digest


class _Pending:
    """A hash being computed by :func:`prefetch_hashes`."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: str | None = None


# prefetched hashes by file identity when the hashing began
_PREFETCHED: dict[_Identity, _Pending] = {}
_PREFETCH_LOCK = threading.Lock()


def prefetch_hashes(paths: Iterable[str | Path]) -> None:
    """Start hashing the regular files among ``paths`` in a background thread.

    :func:`hash_file` then waits for that result instead of reading the file again: a
    command hashes its inputs while it loads its modules. Each result is used once, and
    only if the file still has the size, times, inode and device it had when its hashing
    began; anything else (a changed file, a read error) is hashed again then. Files whose
    hash is in the cache are not read at all.
    """
    jobs: list[tuple[Path, _Identity, _Pending]] = []
    with _PREFETCH_LOCK:
        for path in paths:
            p = Path(path)
            key = _identity(p)
            if key is None or key in _PREFETCHED or _cached_hash(key) is not None:
                continue
            _PREFETCHED[key] = pending = _Pending()
            jobs.append((p, key, pending))
    if not jobs:
        return

    def work() -> None:
        # one thread: the caller is busy loading modules meanwhile, and this fits beside it
        for p, key, pending in jobs:
            try:
                pending.value = _hash_and_remember(p, key, threads=1)
            except Exception:  # noqa: BLE001 - hash_file hashes again and raises it there
                pending.value = None
            finally:
                pending.done.set()  # never leave hash_file waiting

    threading.Thread(target=work, name="datalife-prefetch", daemon=True).start()


def hash_file(path: str | Path, *, cached: bool = True) -> str:
    """Hex BLAKE3 of a file's bytes (multi-threaded for large files).

    With ``cached`` (the default), a hash remembered for this file while its size, times,
    inode and device are unchanged is returned without reading it (see the module's
    documentation); ``cached=False`` always reads the file. Large files are read in 16 MiB
    chunks into one buffer rather than memory-mapped: a mapping is as fast but counts the
    whole file in the process's resident memory.
    """
    p = Path(path)
    key = _identity(p)
    if _PREFETCHED and key is not None:
        with _PREFETCH_LOCK:
            pending = _PREFETCHED.pop(key, None)
        if pending is not None:
            pending.done.wait()
            if pending.value is not None and _identity(p) == key:
                return pending.value
    if cached and key is not None:
        digest = _cached_hash(key)
        if digest is not None:
            return digest
    return _hash_and_remember(p, key if cached else None)


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


# -- fault injection (a test hook) -------------------------------------------------------

FAULT_ENV = "DATALIFE_FAULT"
"""Names a write point at which the process fails, for the crash-consistency tests.

``DATALIFE_FAULT="SELECTOR=ACTION"``: ``SELECTOR`` is the 1-based index of the write point
reached in this process (``3``), or an :mod:`fnmatch` pattern over its name
(``rename:train.parquet``); ``ACTION`` is ``exit`` (``os._exit(137)``, as a SIGKILL would
leave things), ``enospc``, ``efbig``, ``eio`` or ``eacces`` (an ``OSError`` with that errno).
``DATALIFE_FAULT_LOG=PATH`` appends the name of every write point reached to ``PATH``.
Unset (always, outside tests), :func:`fault_point` costs one dictionary lookup.
"""
FAULT_LOG_ENV = "DATALIFE_FAULT_LOG"
_FAULT_ERRNO = {
    "enospc": errno.ENOSPC,
    "efbig": errno.EFBIG,
    "eio": errno.EIO,
    "eacces": errno.EACCES,
}
_fault_count = 0


def fault_point(name: str, path: str | Path | None = None) -> str | None:
    """A write point: fail here if ``$DATALIFE_FAULT`` says so (see :data:`FAULT_ENV`).

    Returns ``"torn"`` when the action is ``torn`` (the caller writes part of its data and
    exits), else None.
    """
    spec = os.environ.get(FAULT_ENV)
    log = os.environ.get(FAULT_LOG_ENV)
    if not spec and not log:
        return None
    global _fault_count
    _fault_count += 1
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{_fault_count} {name}\n")
    if not spec or "=" not in spec:
        return None
    selector, action = spec.rsplit("=", 1)
    import fnmatch

    hit = (
        int(selector) == _fault_count if selector.isdigit() else fnmatch.fnmatchcase(name, selector)
    )
    if not hit:
        return None
    if action == "exit":
        os._exit(137)
    if action == "torn":
        return "torn"
    code = _FAULT_ERRNO.get(action, errno.EIO)
    raise OSError(code, os.strerror(code), str(path) if path is not None else name)


# -- temporary files -----------------------------------------------------------------------

TEMP_MARK = ".datalife-"
"""Every temporary file datalife writes is named ``.<target>.datalife-<pid>-<random>.tmp``
beside its target, so one left by a killed process is recognised and removed by the next
command that writes there (:func:`remove_stale_temporaries`)."""


def temp_name(target: str | Path) -> str:
    """The name of a new temporary file for ``target`` (in the same folder)."""
    return f".{Path(target).name}{TEMP_MARK}{os.getpid()}-{os.urandom(4).hex()}.tmp"


def _temp_owner(name: str) -> int | None:
    """The pid that made the temporary file ``name``, or None if it is not one of ours."""
    if not (name.startswith(".") and name.endswith(".tmp")) or TEMP_MARK not in name:
        return None
    tail = name[: -len(".tmp")].rsplit(TEMP_MARK, 1)[1]
    pid = tail.split("-", 1)[0]
    return int(pid) if pid.isdigit() else None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _remove_dead_temporaries(target: Path) -> None:
    """Remove the temporary files of ``target`` that killed processes left (best effort)."""
    prefix = f".{target.name}{TEMP_MARK}"
    with contextlib.suppress(OSError), os.scandir(target.parent) as entries:
        for entry in entries:
            if entry.name.startswith(prefix):
                owner = _temp_owner(entry.name)
                if owner is not None and not _alive(owner):
                    with contextlib.suppress(OSError):
                        Path(entry.path).unlink()


def new_file_mode() -> int:
    """The mode a new file gets under the process's umask (``0o666 & ~umask``)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def mode_for(target: Path) -> int:
    """Keep the mode of the file being replaced; else what the umask gives a new file."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        return new_file_mode()


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success fsync and rename it over ``path``.

    On an exception the temporary file is removed and ``path`` is untouched. The new file
    gets the mode of the file it replaces, or the umask's for a new file (never mkstemp's
    0600). An ``OSError`` (permission denied, disk full, file too large) becomes a
    :class:`~datalife.errors.WriteFailed` naming ``path`` (still an ``OSError``).
    """
    target = Path(path)
    tmp: Path | None = None
    try:
        fault_point(f"open:{target.name}", target)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / temp_name(target)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        with os.fdopen(fd, mode) as fh:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode_for(target))
            yield fh
            fault_point(f"write:{target.name}", target)
            fh.flush()
            os.fsync(fh.fileno())
        fault_point(f"rename:{target.name}", target)
        tmp.replace(target)
        tmp = None
        _fsync_dir(target.parent)
        fault_point(f"renamed:{target.name}", target)
        _remove_dead_temporaries(target)
    except OSError as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
        from datalife.errors import WriteFailed

        if isinstance(exc, WriteFailed):
            raise
        raise WriteFailed.from_os_error(target, exc) from exc
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
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


@contextlib.contextmanager
def directory_lock(directory: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on an existing ``directory`` itself for the ``with`` block.

    Nothing is created (a command that fails leaves no lock file behind); the operating
    system releases the lock if the process dies. Where a directory cannot be locked
    (Windows), a hidden ``.datalife.lock`` file in it is locked instead.
    """
    folder = Path(directory)
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        with exclusive_lock(folder / ".datalife.lock"):
            yield
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        lock_fd(fd)
        try:
            yield
        finally:
            unlock_fd(fd)
    finally:
        os.close(fd)


def remove_stale_temporaries(
    directory: str | Path, names: Iterable[str] | None = None, *, locked: bool = False
) -> list[Path]:
    """Remove the temporary files a killed datalife process left in ``directory``.

    A file is removed when it is named as :func:`temp_name` names them and the process that
    made it is gone. With ``locked`` (the caller holds the lock that serialises the writers of
    ``directory``), the temporary files of ``names`` are removed whoever made them, as are
    those of older datalife versions (``.<name>.XXXXXXXX.tmp``).
    """
    removed: list[Path] = []
    folder = Path(directory)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    wanted = {f".{n}." for n in names or ()}
    for entry in entries:
        name = entry.name
        if not name.endswith(".tmp") or not name.startswith("."):
            continue
        owner = _temp_owner(name)
        ours = locked and any(name.startswith(prefix) for prefix in wanted)
        if not ours and (owner is None or _alive(owner)):
            continue
        if owner == os.getpid():
            continue
        with contextlib.suppress(OSError):
            Path(entry.path).unlink()
            removed.append(Path(entry.path))
    return removed


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))
