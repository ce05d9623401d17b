"""The shared benchmark data: a realistic 10-column table, clean or dirty, as Parquet or CSV.

``python -m benchmarks.generate --rows 1000000 --format parquet|csv|both [--dirty] [--seed 0]``
writes ``benchmarks/data/bench_<rows>_<clean|dirty>.<ext>`` (plus a ``.expected.json``
manifest) and the workspace ``benchmarks/data/workspace`` whose schema ``bench@1`` describes
the table. An existing file with a matching manifest is reused; ``--force`` rewrites it.

The table (BASELINES.md): a unique int ``id``, two int columns, two float columns with 5 % and
10 % nulls, a 20-category and a 4-category column, an 8-24 character string, a timestamp and
a 90/8/2 label. Every value is a pure function of ``(seed, row number, column)`` through a
64-bit mixing hash, so the data is deterministic, identical whatever the chunk size, and the
first N rows of a larger file equal the file of N rows. Files are written in chunks of
:data:`CHUNK_ROWS` rows, so memory stays bounded whatever ``--rows`` is.

Dirty data (``--dirty``): in every block of 100 rows exactly one row (never the block's first)
violates one check, picked per block: a ``quantity`` out of range, a ``score`` out of range,
an unseen ``category``, a null ``comment`` (a non-null column), an ``id`` that duplicates the
previous row's, or an unparsable number (``quantity = "abc"`` in CSV; in Parquet, whose
columns are typed, a negative ``amount`` instead). The manifest records how many failing rows
each check must report (a duplicated id makes two failing rows).

Examples:
    >>> t, expected = make_table(0, 1000, seed=0, dirty=True)
    >>> t.num_rows, sum(expected.values()) > 0, expected.total_dirty_rows
    (1000, True, 10)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pyarrow as pa
    from numpy.typing import NDArray

__all__ = [
    "CATEGORIES",
    "CHANNELS",
    "CHUNK_ROWS",
    "COLUMNS",
    "DATA_DIR",
    "GENERATOR_VERSION",
    "LABELS",
    "SCHEMA_REF",
    "Defect",
    "Expected",
    "data_path",
    "ensure_workspace",
    "expected_failures",
    "generate",
    "main",
    "make_table",
    "pandera_schema",
    "polars_schema",
]

GENERATOR_VERSION = 1
DATA_DIR = Path(__file__).resolve().parent / "data"
CHUNK_ROWS = 250_000
BLOCK = 100  # one dirty row per block of BLOCK rows: 1 %
SCHEMA_NAME = "bench"
SCHEMA_REF = "bench@1"

CATEGORIES = tuple(f"cat_{i:02d}" for i in range(20))
UNSEEN_CATEGORY = "cat_99"
CHANNELS = ("web", "store", "phone", "partner")
CHANNEL_P = (0.55, 0.25, 0.15, 0.05)
LABELS = ("normal", "fraud", "review")
LABEL_P = (0.90, 0.08, 0.02)
USER_ID_RANGE = (1, 100_000)
QUANTITY_RANGE = (0, 1000)
AMOUNT_RANGE = (0.0, 10_000.0)
SCORE_RANGE = (0.0, 1.0)
AMOUNT_NULLS = 0.05
SCORE_NULLS = 0.10
COMMENT_LENGTH = (8, 24)
UNPARSABLE = "abc"
COLUMNS = (
    "id",
    "user_id",
    "quantity",
    "amount",
    "score",
    "category",
    "channel",
    "comment",
    "created_at",
    "label",
)
_EPOCH_US = 1_704_067_200_000_000  # 2024-01-01T00:00:00 in microseconds
_YEAR_US = 366 * 86_400 * 1_000_000
_ID_MULT = np.uint64(0x9E3779B97F4A7C15)  # odd: row -> row * M mod 2**40 is a bijection
_ID_MASK = np.uint64((1 << 40) - 1)
_M64 = (1 << 64) - 1


class Defect(IntEnum):
    """What a dirty row gets wrong (one per dirty row)."""

    QUANTITY_RANGE = 0
    SCORE_RANGE = 1
    UNSEEN_CATEGORY = 2
    NULL_COMMENT = 3
    DUPLICATE_ID = 4
    UNPARSABLE = 5  # CSV: quantity "abc"; Parquet: a negative amount


def _failure_key(defect: Defect, fmt: str) -> str:
    """The ``column/check`` a defect makes fail, as datalife and pandera name them."""
    return {
        Defect.QUANTITY_RANGE: "quantity/in_range",
        Defect.SCORE_RANGE: "score/in_range",
        Defect.UNSEEN_CATEGORY: "category/isin",
        Defect.NULL_COMMENT: "comment/not_nullable",
        Defect.DUPLICATE_ID: "id/unique",
        Defect.UNPARSABLE: "quantity/dtype" if fmt == "csv" else "amount/in_range",
    }[defect]


# streams: one independent hash stream per column or decision
_S_USER, _S_QTY, _S_AMOUNT, _S_AMOUNT_NULL, _S_SCORE, _S_SCORE_NULL = range(6)
_S_CAT, _S_CHANNEL, _S_LEN, _S_CHARS, _S_TS, _S_LABEL = range(6, 12)
_S_POS, _S_KIND, _S_BAD = range(12, 15)


def _splitmix(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def _mix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """splitmix64's finalizer, vectorised (uint64 arithmetic wraps around)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _hash(index: NDArray[np.uint64], seed: int, stream: int) -> NDArray[np.uint64]:
    """A 64-bit hash of every ``index`` in ``stream``: the source of all randomness."""
    key = np.uint64(_splitmix(_splitmix(seed & _M64) ^ stream))
    return _mix(index ^ key)


def _uniform(h: NDArray[np.uint64]) -> NDArray[np.float64]:
    """Hashes to floats uniform in [0, 1)."""
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def _below(h: NDArray[np.uint64], n: int) -> NDArray[np.int64]:
    """Hashes to integers in [0, n) (the modulo bias is below 1e-13 for these n)."""
    return (h % np.uint64(n)).astype(np.int64)


@dataclass
class Expected:
    """What validating a generated table must report: failing rows per ``column/check``."""

    failures: Counter[str] = field(default_factory=Counter)
    dirty_rows: Counter[str] = field(default_factory=Counter)

    def values(self) -> list[int]:
        return list(self.failures.values())

    @property
    def total_dirty_rows(self) -> int:
        return sum(self.dirty_rows.values())

    def update(self, other: Expected) -> None:
        self.failures.update(other.failures)
        self.dirty_rows.update(other.dirty_rows)


def make_table(
    start: int, n: int, *, seed: int = 0, dirty: bool = False, fmt: str = "parquet"
) -> tuple[pa.Table, Expected]:
    """Rows ``start`` to ``start + n - 1`` of the benchmark table, and what they violate.

    ``fmt`` matters only for dirty data: CSV gets unparsable numbers where Parquet gets a
    negative amount (a typed column cannot hold ``"abc"``).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = np.arange(start, start + n, dtype=np.uint64)
    ids = ((rows * _ID_MULT) & _ID_MASK).astype(np.int64)
    lo, hi = USER_ID_RANGE
    user_id = lo + _below(_hash(rows, seed, _S_USER), hi - lo + 1)
    quantity = _below(_hash(rows, seed, _S_QTY), QUANTITY_RANGE[1] + 1)
    amount = np.round(_uniform(_hash(rows, seed, _S_AMOUNT)) * AMOUNT_RANGE[1], 2)
    amount_null = _uniform(_hash(rows, seed, _S_AMOUNT_NULL)) < AMOUNT_NULLS
    score = np.round(_uniform(_hash(rows, seed, _S_SCORE)), 6)
    score_null = _uniform(_hash(rows, seed, _S_SCORE_NULL)) < SCORE_NULLS
    category = _below(_hash(rows, seed, _S_CAT), len(CATEGORIES)).astype(np.int32)
    channel = np.searchsorted(
        np.cumsum(CHANNEL_P), _uniform(_hash(rows, seed, _S_CHANNEL)), side="right"
    ).astype(np.int32)
    channel = np.minimum(channel, len(CHANNELS) - 1)
    created = _EPOCH_US + _below(_hash(rows, seed, _S_TS), _YEAR_US)
    label = np.searchsorted(
        np.cumsum(LABEL_P), _uniform(_hash(rows, seed, _S_LABEL)), side="right"
    ).astype(np.int32)
    label = np.minimum(label, len(LABELS) - 1)
    comment_null = np.zeros(n, dtype=bool)
    bad_quantity = np.zeros(n, dtype=bool)
    expected = Expected()

    if dirty:
        block = (rows // np.uint64(BLOCK)).astype(np.uint64)
        pos = 1 + _below(_hash(block, seed, _S_POS), BLOCK - 1)
        is_dirty = (rows % np.uint64(BLOCK)).astype(np.int64) == pos
        kind = _below(_hash(block, seed, _S_KIND), len(Defect))
        bad_u = _uniform(_hash(rows, seed, _S_BAD))
        for defect in Defect:
            m = is_dirty & (kind == int(defect))
            count = int(m.sum())
            if not count:
                continue
            expected.dirty_rows[defect.name.lower()] += count
            key = _failure_key(defect, fmt)
            expected.failures[key] += 2 * count if defect is Defect.DUPLICATE_ID else count
            if defect is Defect.QUANTITY_RANGE:
                quantity[m] = QUANTITY_RANGE[1] + 1 + (bad_u[m] * 1000).astype(np.int64)
            elif defect is Defect.SCORE_RANGE:
                score[m] = np.round(1.001 + bad_u[m], 6)
                score_null[m] = False
            elif defect is Defect.UNSEEN_CATEGORY:
                category[m] = len(CATEGORIES)  # the extra dictionary entry: UNSEEN_CATEGORY
            elif defect is Defect.NULL_COMMENT:
                comment_null[m] = True
            elif defect is Defect.DUPLICATE_ID:
                prev = rows[m] - np.uint64(1)
                ids[m] = ((prev * _ID_MULT) & _ID_MASK).astype(np.int64)
            elif fmt == "csv":
                bad_quantity[m] = True
            else:
                amount[m] = -np.round(1 + bad_u[m] * 100, 2)
                amount_null[m] = False

    # 8-24 lowercase letters per row, built straight into an Arrow string buffer
    min_len, max_len = COMMENT_LENGTH
    lengths = min_len + _below(_hash(rows, seed, _S_LEN), max_len - min_len + 1)
    pos_index = (rows[:, None] * np.uint64(max_len) + np.arange(max_len, dtype=np.uint64)).astype(
        np.uint64
    )
    letters = (_below(_hash(pos_index, seed, _S_CHARS), 26) + ord("a")).astype(np.uint8)
    data = letters[np.arange(max_len) < lengths[:, None]]
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    comment = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data.tobytes()))
    if comment_null.any():
        comment = pc.if_else(pa.array(comment_null), pa.scalar(None, pa.string()), comment)

    def categorical(codes: NDArray[np.int32], names: Sequence[str]) -> pa.Array:
        return pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(list(names))).cast(
            pa.string()
        )

    quantity_col: pa.Array = pa.array(quantity, pa.int64())
    if dirty and fmt == "csv":  # always text, so every chunk of a file has the same schema
        quantity_col = pc.if_else(
            pa.array(bad_quantity), pa.scalar(UNPARSABLE), quantity_col.cast(pa.string())
        )
    table = pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "user_id": pa.array(user_id, pa.int64()),
            "quantity": quantity_col,
            "amount": pa.array(amount, pa.float64(), mask=amount_null),
            "score": pa.array(score, pa.float64(), mask=score_null),
            "category": categorical(category, (*CATEGORIES, UNSEEN_CATEGORY)),
            "channel": categorical(channel, CHANNELS),
            "comment": comment,
            "created_at": pa.array(created, pa.int64()).cast(pa.timestamp("us")),
            "label": categorical(label, LABELS),
        }
    )
    return table, expected


def data_path(
    rows: int,
    fmt: str = "parquet",
    *,
    dirty: bool = False,
    seed: int = 0,
    out_dir: Path | None = None,
) -> Path:
    """Where :func:`generate` writes a file: ``bench_<rows>_<clean|dirty>[_s<seed>].<ext>``.

    Examples:
        >>> data_path(1_000_000, "csv", dirty=True).name
        'bench_1000000_dirty.csv'
    """
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"format must be parquet or csv, not {fmt!r}")
    suffix = "" if seed == 0 else f"_s{seed}"
    name = f"bench_{rows}_{'dirty' if dirty else 'clean'}{suffix}.{fmt}"
    return (out_dir or DATA_DIR) / name


def _manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".expected.json")


def expected_failures(path: Path) -> dict[str, int]:
    """The failing-row counts per ``column/check`` recorded when ``path`` was generated."""
    data = json.loads(_manifest_path(path).read_text(encoding="utf-8"))
    return {str(k): int(v) for k, v in data["expected_failures"].items()}


def _spec(rows: int, fmt: str, dirty: bool, seed: int) -> dict[str, Any]:
    return {
        "generator_version": GENERATOR_VERSION,
        "rows": rows,
        "format": fmt,
        "dirty": dirty,
        "seed": seed,
    }


def _is_current(path: Path, spec: dict[str, Any]) -> bool:
    manifest = _manifest_path(path)
    if not (path.is_file() and manifest.is_file()):
        return False
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    same = all(data.get(k) == v for k, v in spec.items())
    return same and data.get("bytes") == path.stat().st_size


def generate(
    rows: int,
    fmt: str = "parquet",
    *,
    dirty: bool = False,
    seed: int = 0,
    out_dir: Path | None = None,
    force: bool = False,
    chunk_rows: int = CHUNK_ROWS,
) -> Path:
    """Write the benchmark table (reusing an up-to-date file) and return its path.

    The file is written to a temporary name and renamed when complete, then the manifest
    ``<file>.expected.json`` records the spec and the expected failure counts.
    """
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    if rows < 0:
        raise ValueError("rows must be >= 0")
    path = data_path(rows, fmt, dirty=dirty, seed=seed, out_dir=out_dir)
    spec = _spec(rows, fmt, dirty, seed)
    if not force and _is_current(path, spec):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    expected = Expected()
    writer: Any = None
    try:
        for start in range(0, max(rows, 1), chunk_rows):
            n = min(chunk_rows, rows - start)
            table, exp = make_table(start, n, seed=seed, dirty=dirty, fmt=fmt)
            expected.update(exp)
            if writer is None:
                if fmt == "parquet":
                    writer = pq.ParquetWriter(tmp, table.schema, compression="snappy")
                else:
                    writer = pcsv.CSVWriter(
                        tmp, table.schema, write_options=pcsv.WriteOptions(quoting_style="none")
                    )
            writer.write_table(table)
        writer.close()
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    manifest = {
        **spec,
        "bytes": path.stat().st_size,
        "columns": list(COLUMNS),
        "dirty_rows": dict(sorted(expected.dirty_rows.items())),
        "expected_failures": dict(sorted(expected.failures.items())),
    }
    _manifest_path(path).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


def pandera_schema() -> Any:
    """The pandera (pandas) ``DataFrameSchema`` of the table: 27 checks, strict."""
    import pandera.pandas as pa

    def rng(bounds: tuple[float, float]) -> Any:
        return pa.Check.in_range(bounds[0], bounds[1])

    return pa.DataFrameSchema(
        {
            "id": pa.Column("int64", unique=True),
            "user_id": pa.Column("int64", rng(USER_ID_RANGE)),
            "quantity": pa.Column("int64", rng(QUANTITY_RANGE)),
            "amount": pa.Column("float64", rng(AMOUNT_RANGE), nullable=True),
            "score": pa.Column("float64", rng(SCORE_RANGE), nullable=True),
            "category": pa.Column(str, pa.Check.isin(list(CATEGORIES))),
            "channel": pa.Column(str, pa.Check.isin(list(CHANNELS))),
            "comment": pa.Column(str),
            "created_at": pa.Column("datetime64[ns]"),
            "label": pa.Column(str, pa.Check.isin(list(LABELS))),
        },
        strict=True,
        name=SCHEMA_NAME,
        description=f"datalife benchmark table (benchmarks/generate.py v{GENERATOR_VERSION})",
    )


def polars_schema() -> Any:
    """The same schema for pandera's polars backend (Parquet ``timestamp[us]`` columns)."""
    import pandera.polars as pap
    import polars as pl

    def rng(bounds: tuple[float, float]) -> Any:
        return pap.Check.in_range(bounds[0], bounds[1])

    return pap.DataFrameSchema(
        {
            "id": pap.Column(pl.Int64, unique=True),
            "user_id": pap.Column(pl.Int64, rng(USER_ID_RANGE)),
            "quantity": pap.Column(pl.Int64, rng(QUANTITY_RANGE)),
            "amount": pap.Column(pl.Float64, rng(AMOUNT_RANGE), nullable=True),
            "score": pap.Column(pl.Float64, rng(SCORE_RANGE), nullable=True),
            "category": pap.Column(pl.String, pap.Check.isin(list(CATEGORIES))),
            "channel": pap.Column(pl.String, pap.Check.isin(list(CHANNELS))),
            "comment": pap.Column(pl.String),
            "created_at": pap.Column(pl.Datetime("us")),
            "label": pap.Column(pl.String, pap.Check.isin(list(LABELS))),
        },
        strict=True,
        name=SCHEMA_NAME,
    )


def ensure_workspace(out_dir: Path | None = None) -> Path:
    """The datalife workspace holding schema ``bench@1`` (created or refreshed); its root."""
    from datalife.config import CONFIG_FILE, Workspace, init_workspace
    from datalife.schemas.registry import SchemaRegistry

    root = (out_dir or DATA_DIR) / "workspace"
    if not (root / CONFIG_FILE).is_file():
        init_workspace(root)
    registry = SchemaRegistry(Workspace.load(root / CONFIG_FILE))
    schema = pandera_schema()
    path = registry.path_for(SCHEMA_NAME, 1)
    if not path.is_file() or registry.load(SCHEMA_REF).meta.description != schema.description:
        registry.save(schema, SCHEMA_NAME, version=1, overwrite=True)
    return root


def _parse_rows(text: str) -> int:
    """``1000000``, ``1M``, ``250k`` or ``1_000_000`` to an int.

    Examples:
        >>> _parse_rows("10M"), _parse_rows("250k"), _parse_rows("1_000")
        (10000000, 250000, 1000)
    """
    t = text.strip().replace("_", "").lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    if scale != 1:
        t = t[:-1]
    try:
        return int(float(t) * scale)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a row count: {text!r}") from None


def rows_arg(text: str) -> int:
    """An argparse ``type=`` for row counts (``1M``, ``250k``...)."""
    return _parse_rows(text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.generate", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--rows", type=rows_arg, default=1_000_000, help="rows (1M, 250k, ...)")
    parser.add_argument("--format", choices=["parquet", "csv", "both"], default="parquet")
    parser.add_argument("--dirty", action="store_true", help="1 %% of rows violate a check")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help=f"directory (default {DATA_DIR})")
    parser.add_argument("--force", action="store_true", help="rewrite even if up to date")
    args = parser.parse_args(argv)
    fmts = ["parquet", "csv"] if args.format == "both" else [args.format]
    root = ensure_workspace(args.out)
    print(f"workspace: {root} (schema {SCHEMA_REF})", file=sys.stderr)
    for fmt in fmts:
        path = generate(
            args.rows, fmt, dirty=args.dirty, seed=args.seed, out_dir=args.out, force=args.force
        )
        size = path.stat().st_size / 1e6
        exp = expected_failures(path)
        print(f"{path}  ({size:.1f} MB, expected failures: {exp or 'none'})", file=sys.stderr)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
