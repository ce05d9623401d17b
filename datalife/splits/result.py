"""Split results, and writing them: Parquet files with their provenance, atomically.

Each output file carries a JSON value under the key ``datalife`` in its Parquet key-value
metadata (see :func:`provenance`), so the file alone says where it came from. The three
files and ``split_report.json`` are written to temporary files first and renamed into place
only when all of them are complete: on any failure, an existing output directory keeps its
previous files untouched.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.errors import OutputNotWritable, WriteFailed
from datalife.splits.params import SPLITS, SplitParams
from datalife.splits.report import SplitReport

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

__all__ = [
    "PROVENANCE_KEY",
    "REPORT_FILE",
    "SplitResult",
    "prepare_out_dir",
    "provenance",
    "read_provenance",
    "remove_superseded",
    "write_splits",
]

#: The Parquet key-value metadata key holding datalife's provenance JSON.
PROVENANCE_KEY = "datalife"
#: The report written beside the split files.
REPORT_FILE = "split_report.json"
PROVENANCE_FORMAT = 1
#: The ``attrs`` key datalife sets on split frames ("train", "dev" or "test").
SPLIT_ATTR = "datalife_split"
#: Provenance keys a caller may supply (the rest are computed).
CALLER_KEYS = ("dataset_versions", "schema", "run_id", "transforms", "extra")


def provenance(
    params: SplitParams,
    rows: Mapping[str, int],
    *,
    split: str | None = None,
    inputs: Sequence[Mapping[str, str]] = (),
    dataset_versions: Sequence[str] = (),
    supplied: Mapping[str, Any] | None = None,
    files: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The provenance stored in an output file.

    It depends only on the data and the settings, so splitting the same input twice gives
    byte-identical files: no time, no run id, no absolute path. Input paths are relative to
    the workspace holding them (else to the current folder). A ``run_id`` the caller supplies
    is not stored (the lineage log links a file to its run by content hash); a caller who
    wants one in the file puts it in ``extra``.

    Args:
        params: the split parameters.
        rows: rows written per split (train counted after rebalancing).
        split: the split the file holds ("train", "dev" or "test").
        inputs: the input files (``path`` and ``blake3`` content hash), if any.
        dataset_versions: the input dataset version id(s).
        supplied: caller-supplied values: ``schema`` (``name@version``), ``dataset_versions``
            (overrides the computed ones), ``transforms`` and ``extra`` (stored as given), and
            ``run_id`` (accepted, not stored).
        files: where each split is, relative to the output directory (default
            ``train.parquet``...; the Spark engine's splits are directories: ``train/``).

    Examples:
        >>> rows = {"train": 8, "dev": 1, "test": 1}
        >>> p = provenance(SplitParams.build(), rows, split="dev", dataset_versions=["abc"],
        ...                supplied={"run_id": "r1"})
        >>> p["split"], p["splits"]["dev"], p["parameters"]["ratios"], p["schema"], "run_id" in p
        ('dev', {'file': 'dev.parquet', 'rows': 1}, [0.8, 0.1, 0.1], None, False)
    """
    from datalife._version import __version__

    given = dict(supplied or {})
    unknown = sorted(set(given) - set(CALLER_KEYS))
    if unknown:
        from datalife.errors import SplitConfigError

        raise SplitConfigError(
            f"unknown provenance key(s): {', '.join(unknown)}",
            hint=f"use {', '.join(CALLER_KEYS)}.",
        )
    versions = given.get("dataset_versions", dataset_versions)
    return {
        "format_version": PROVENANCE_FORMAT,
        "kind": "split",
        "split": split,
        "splits": {
            s: {"file": (files or {}).get(s, f"{s}.parquet"), "rows": int(rows[s])} for s in SPLITS
        },
        "parameters": params.to_dict(),
        "inputs": [{**i, "path": _portable(i["path"])} if "path" in i else dict(i) for i in inputs],
        "dataset_versions": list(versions),
        "schema": given.get("schema"),
        "transforms": list(given.get("transforms", [])),
        "extra": dict(given.get("extra", {})),
        "created_by": f"datalife {__version__}",
    }


def _portable(path: str) -> str:
    """``path`` relative to the workspace holding it (else to the current folder), POSIX style:
    the same on every clone and machine.

    Examples:
        >>> _portable("sample_data/2007.csv")
        'sample_data/2007.csv'
    """
    import os

    absolute = Path(path).resolve()
    root = _workspace_root(absolute.parent) if absolute.parent.is_dir() else None
    return Path(os.path.relpath(absolute, root or Path.cwd().resolve())).as_posix()


@functools.lru_cache(maxsize=64)
def _workspace_root(folder: Path) -> Path | None:
    """The root of the workspace holding ``folder``, or None."""
    from datalife.config import Workspace

    found = Workspace.locate(folder)
    return found.parent.resolve() if found is not None else None


def _dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def read_provenance(path: str | Path) -> dict[str, Any] | None:
    """The datalife provenance stored in a Parquet file, or None if it has none."""
    import pyarrow.parquet as pq

    meta = pq.read_metadata(path).metadata or {}
    raw = meta.get(PROVENANCE_KEY.encode())
    if raw is None:
        return None
    value = json.loads(raw)
    return value if isinstance(value, dict) else None


def _is_split_file(path: Path) -> bool:
    """Whether ``path`` is a split file datalife wrote (its footer holds the provenance)."""
    try:
        return read_provenance(path) is not None
    except (OSError, ValueError):  # unreadable, not Parquet, damaged provenance: not ours
        return False


def remove_superseded(out_dir: Path, kept: str) -> list[Path]:
    """Remove the other engine's outputs of the same splits from ``out_dir``, once the new
    ones are in place: ``kept="files"`` (``train.parquet``... just written) removes split
    directories of Parquet parts (``train/``) that a Spark split left there, and
    ``kept="directories"`` removes single split files; so ``out_dir`` never holds two
    versions of a split. Only what datalife wrote is removed (every file carries its
    provenance); anything else is left as it is. Returns what was removed."""
    import shutil

    removed: list[Path] = []
    for name in SPLITS:
        if kept == "files":
            folder = out_dir / name
            if not folder.is_dir() or folder.is_symlink():
                continue
            entries = list(folder.iterdir())
            if entries and all(
                e.is_file() and e.name.startswith("part-") and _is_split_file(e) for e in entries
            ):
                shutil.rmtree(folder)
                removed.append(folder)
        else:
            single = out_dir / f"{name}.parquet"
            if single.is_file() and not single.is_symlink() and _is_split_file(single):
                single.unlink()
                removed.append(single)
    return removed


@dataclass
class SplitResult:
    """The outcome of :func:`datalife.splits.split`.

    Attributes:
        report: the split report.
        frames: the three splits as DataFrames (None when written straight to files).
        files: where the splits were written (empty until written), plus ``"report"``.
        assignment: per input row, 0 (train), 1 (dev) or 2 (test).
        inputs: the input files with their content hashes (empty for a DataFrame).
        dataset_versions: the input dataset version id(s) (computed on write for a frame).
        engine: the engine that split the rows: ``pandas`` (a DataFrame), ``duckdb``
            (files) or ``spark``. A Spark split's ``files`` are directories of Parquet
            parts, and its ``assignment`` is empty (the rows stay on the cluster).
        engine_facet: the ``datalife_engine`` lineage facet describing that engine
            (:func:`datalife.lineage.facets.engine_facet`).
    """

    report: SplitReport
    frames: dict[str, pd.DataFrame] | None
    assignment: npt.NDArray[np.int8]
    files: dict[str, Path] = field(default_factory=dict)
    inputs: list[dict[str, str]] = field(default_factory=list)
    dataset_versions: list[str] = field(default_factory=list)
    source: pd.DataFrame | None = field(default=None, repr=False)
    engine: str = "duckdb"
    engine_facet: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def params(self) -> SplitParams:
        return self.report.params

    def __getitem__(self, split: str) -> pd.DataFrame:
        """A split as a DataFrame (read from its file when the result was written out of core)."""
        if split not in SPLITS:
            raise KeyError(f"no split {split!r}; splits are {', '.join(SPLITS)}")
        if self.frames is not None:
            return self.frames[split]
        import pandas as pd

        frame = pd.read_parquet(self.files[split])
        frame.attrs[SPLIT_ATTR] = split
        return frame

    @property
    def train(self) -> pd.DataFrame:
        return self["train"]

    @property
    def dev(self) -> pd.DataFrame:
        return self["dev"]

    @property
    def test(self) -> pd.DataFrame:
        return self["test"]

    def to_dict(self) -> dict[str, Any]:
        """The report, plus files and inputs: what ``--format json`` prints."""
        out = self.report.to_dict()
        out["files"] = {k: str(v) for k, v in self.files.items()}
        out["inputs"] = list(self.inputs)
        out["dataset_versions"] = list(self.dataset_versions)
        return out

    def __repr__(self) -> str:
        where = f" -> {self.files['train'].parent}" if self.files else ""
        return f"<SplitResult {self.report.summary()}{where}>"


def prepare_out_dir(out_dir: str | os.PathLike[str]) -> Path:
    """Create ``out_dir`` if needed and check it is writable (raise :class:`OutputNotWritable`)."""
    import tempfile

    path = Path(out_dir)
    if path.exists() and not path.is_dir():
        raise OutputNotWritable.from_path(path, "it is a file, not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".datalife-probe.", dir=path)
        os.close(fd)
        Path(probe).unlink()
    except OSError as exc:
        raise OutputNotWritable.from_path(path, exc.strerror or str(exc)) from exc
    return path


def _frame_to_table(frame: pd.DataFrame, meta: str) -> Any:
    import pyarrow as pa

    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    schema_meta = dict(table.schema.metadata or {})
    schema_meta[PROVENANCE_KEY.encode()] = meta.encode()
    return table.replace_schema_metadata(schema_meta)


def write_splits(
    result: SplitResult,
    out_dir: str | Path,
    *,
    provenance: Mapping[str, Any] | None = None,
    report: bool = True,
) -> SplitResult:
    """Write ``train/dev/test.parquet`` (and ``split_report.json``) to ``out_dir``, atomically.

    The same result and provenance give byte-identical files. An unnamed index is not
    written (a named one becomes columns).

    Args:
        result: a split result (from :func:`datalife.splits.split`).
        out_dir: the output directory (created if missing).
        provenance: caller-supplied provenance: ``schema`` (``name@version``), ``run_id``,
            ``dataset_versions``, ``transforms``, ``extra``.
        report: also write ``split_report.json``.

    Returns:
        The result with ``files`` set.

    Raises:
        OutputNotWritable: ``out_dir`` cannot be created or written (nothing is written).
    """
    import pyarrow.parquet as pq

    from datalife.storage import atomic_open, frame_hash

    out = prepare_out_dir(out_dir)
    frames = {s: result[s] for s in SPLITS}
    versions = list(result.dataset_versions)
    if (
        not versions
        and not (provenance or {}).get("dataset_versions")
        and result.source is not None
    ):
        versions = [frame_hash(result.source)]
    files: dict[str, Path] = {}
    rows = {s: len(frames[s]) for s in SPLITS}
    try:
        with ExitStack() as stack:
            for name in SPLITS:
                meta = _dumps(_provenance_for(result, rows, name, versions, provenance))
                table = _frame_to_table(frames[name], meta)
                target = out / f"{name}.parquet"
                fh = stack.enter_context(atomic_open(target, "wb"))
                pq.write_table(table, fh)
                files[name] = target
            if report:
                target = out / REPORT_FILE
                fh = stack.enter_context(atomic_open(target, "wb"))
                fh.write(report_bytes(result.report, files, result.inputs, versions))
                files["report"] = target
    except WriteFailed:
        raise  # names the file and the reason already
    except OSError as exc:
        raise OutputNotWritable.from_path(out, exc.strerror or str(exc)) from exc
    remove_superseded(out, kept="files")  # a Spark split's train/ ... of before
    return replace(result, files=files, dataset_versions=versions)


def _provenance_for(
    result: SplitResult,
    rows: Mapping[str, int],
    split: str,
    versions: Sequence[str],
    supplied: Mapping[str, Any] | None,
) -> dict[str, Any]:
    return provenance(
        result.params,
        rows,
        split=split,
        inputs=result.inputs,
        dataset_versions=versions,
        supplied=supplied,
    )


def report_bytes(
    report: SplitReport,
    files: Mapping[str, Path],
    inputs: Sequence[Mapping[str, str]],
    versions: Sequence[str],
) -> bytes:
    """``split_report.json``: the report, the file names and the inputs."""
    body = report.to_dict()
    body["files"] = {k: Path(v).name for k, v in files.items() if k != "report"}
    body["inputs"] = [dict(i) for i in inputs]
    body["dataset_versions"] = list(versions)
    return (json.dumps(body, indent=2, sort_keys=False, default=str) + "\n").encode()


def commit(temps: Mapping[Path, Path]) -> None:
    """fsync each temporary file, rename it over its target, then fsync the directories.

    Each file gets the mode of the file it replaces, or the umask's for a new one (not the
    0600 of a temporary file).
    """
    from datalife.storage import fault_point, mode_for

    dirs = set()
    for tmp, target in temps.items():
        fault_point(f"write:{target.name}", target)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        tmp.chmod(mode_for(target))
    for tmp, target in temps.items():
        fault_point(f"rename:{target.name}", target)
        tmp.replace(target)
        fault_point(f"renamed:{target.name}", target)
        dirs.add(target.parent)
    for d in dirs:
        with contextlib.suppress(OSError):
            fd = os.open(d, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
