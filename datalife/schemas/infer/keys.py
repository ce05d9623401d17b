"""Keys and duplicates: the dataframe-level ``unique`` of an inferred schema."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from datalife.io import sql_ident
from datalife.schemas.infer.scan import Facts, Progress
from datalife.schemas.infer.source import Data

if TYPE_CHECKING:
    from datalife.schemas.model import ColumnMeta

__all__ = ["KEY_BUDGET", "KEY_CANDIDATES", "KEY_EVIDENCE", "KEY_SAMPLE_ROWS", "find_key"]

#: Key search: columns considered, and combinations tried at most.
KEY_CANDIDATES = 10
KEY_BUDGET = 120
#: A key of several columns is believed only when chance alone would have repeated a
#: combination this many times (the birthday bound rows^2 / (2 * combinations)).
KEY_EVIDENCE = 5.0
#: Rows of the sample that refutes most candidate keys before any is counted on every row.
KEY_SAMPLE_ROWS = 100_000


def find_key(
    data: Data,
    facts: list[Facts],
    rows: int,
    identifiers: list[str],
    metas: dict[str, ColumnMeta],
    notes: list[str],
    key_search: bool,
    progress: Progress | None,
) -> list[str] | None:
    """The dataframe-level ``unique``: a key of 2-3 columns, else every column, else None."""
    if identifiers:
        notes.append(f"keys: {', '.join(identifiers)} (unique identifier column)")
    found: list[list[str]] = []
    if key_search and rows >= 2:
        found = _search_keys(data, facts, rows, metas, notes, progress)
    if found:
        key = found[0]
        others = "; also unique: " + ", ".join("(" + ", ".join(k) + ")" for k in found[1:])
        notes.append(
            f"unique: ({', '.join(key)}), a key of {len(key)} columns"
            + (others if len(found) > 1 else "")
            + ": a repeated combination (a duplicated row or key) fails"
        )
        return key
    if identifiers:
        notes.append("duplicated rows: caught by the identifier's uniqueness")
        return None
    if rows < 2:
        return None
    hashes = _row_hash_sql([f.name for f in facts])
    (row,) = data.execute(f"SELECT count(DISTINCT {hashes}) FROM src")
    repeated = rows - int(row[0])
    if repeated:
        notes.append(
            f"duplicated rows: the data repeats {repeated} whole rows, so no whole-row duplicate "
            "check was added"
        )
        return None
    notes.append("unique: every column (no key found, no row repeated): a duplicated row fails")
    return [f.name for f in facts]


def _row_hash_sql(columns: Sequence[str], width: int = 200) -> str:
    """One hash of a row's values, built from hashes of at most ``width`` columns each."""
    parts = [
        "hash(" + ", ".join(sql_ident(c) for c in columns[i : i + width]) + ")"
        for i in range(0, len(columns), width)
    ]
    return parts[0] if len(parts) == 1 else "hash(" + ", ".join(parts) + ")"


def _search_keys(
    data: Data,
    facts: list[Facts],
    rows: int,
    metas: dict[str, ColumnMeta],
    notes: list[str],
    progress: Progress | None,
) -> list[list[str]]:
    """Minimal keys of 2 and 3 columns among the discrete, complete, non-unique columns."""
    from datalife.schemas.model import Role

    def card(f: Facts) -> int:
        return f.distinct if f.distinct is not None else f.approx_distinct

    pool = [
        f
        for f in facts
        if f.nonnull == rows
        and f.kind in ("int", "string", "bool", "timestamp")
        and metas[f.name].role not in (Role.FREE_TEXT, Role.IDENTIFIER, Role.MEASUREMENT)
        # a nearly unique column (fine timestamps, codes) makes any combination look like a
        # key by chance: keys are built from columns whose values repeat
        and 1 < card(f) < 0.9 * rows
    ]
    # integers count as discrete only when they repeat a lot (codes, years, counts)
    pool += [
        f
        for f in facts
        if metas[f.name].role == Role.MEASUREMENT
        and f.kind == "int"
        and f.nonnull == rows
        and 1 < card(f) <= max(rows // 10, 2)
    ]
    pool.sort(key=lambda f: -card(f))
    dropped = pool[KEY_CANDIDATES:]
    pool = pool[:KEY_CANDIDATES]
    combos: list[tuple[Facts, ...]] = []
    for size in (2, 3):
        for combo in itertools.combinations(pool, size):
            product = math.prod(card(f) for f in combo)
            # enough combinations to hold every row, and few enough that chance alone would
            # have repeated one (otherwise "no repeats" says nothing)
            if product >= 0.9 * rows and rows * rows / (2 * product) >= KEY_EVIDENCE:
                combos.append(combo)
    gave_up = len(combos) > KEY_BUDGET
    combos = combos[:KEY_BUDGET]
    found: list[list[str]] = []
    # a sample shows most non-keys (a repeat in the sample is a repeat in the data) cheaply;
    # only the combinations it cannot refute are counted on every row
    survivors = combos
    if rows > KEY_SAMPLE_ROWS and combos:
        names = sorted({f.name for c in combos for f in c})
        data.execute(
            "CREATE OR REPLACE TEMP TABLE key_sample AS SELECT "
            + ", ".join(sql_ident(n) for n in names)
            + f" FROM src USING SAMPLE {KEY_SAMPLE_ROWS} ROWS (reservoir, 15)"
        )
        survivors = []
        for start in range(0, len(combos), 32):
            chunk = combos[start : start + 32]
            aggs = ["count(DISTINCT " + _row_hash_sql([f.name for f in c]) + ")" for c in chunk]
            (row,) = data.execute(f"SELECT count(*), {', '.join(aggs)} FROM key_sample")
            survivors += [c for c, n in zip(chunk, row[1:], strict=True) if int(n) == row[0]]
        data.execute("DROP TABLE key_sample")
    batch = 4
    for start in range(0, len(survivors), batch):
        todo = [
            c
            for c in survivors[start : start + batch]
            if not any(set(k) <= {f.name for f in c} for k in found)
        ]
        if todo:
            aggs = ["count(DISTINCT " + _row_hash_sql([f.name for f in c]) + ")" for c in todo]
            (row,) = data.execute(f"SELECT {', '.join(aggs)} FROM src")
            for c, n in zip(todo, row, strict=True):
                if int(n) == rows:
                    found.append([f.name for f in sorted(c, key=facts.index)])
        if progress is not None:
            progress("keys", min(start + batch, len(survivors)), len(survivors))
    if gave_up or dropped:
        what = []
        if dropped:
            what.append(f"{len(dropped)} more columns not considered")
        if gave_up:
            what.append(f"stopped after {KEY_BUDGET} combinations")
        notes.append(
            "key search gave up early (" + "; ".join(what) + "): declare a key by editing "
            "`unique:` if the data has one"
        )
    elif not found and combos:
        notes.append(
            f"key search: no key of 2 or 3 columns among {len(pool)} discrete columns "
            f"({len(combos)} combinations tried)"
        )
    return found
