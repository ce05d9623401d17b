"""Infer a first schema version from data, explaining each decision.

The inferred schema must accept the next legitimate batch and reject real defects, so every
check it writes is one the data supports. Statistics come from a few DuckDB passes over the
files (or the frame), with the columns batched into several queries, so inference is linear in
rows and columns and works on files larger than memory (text files are loaded once into an
on-disk DuckDB table with a memory limit). The rules:

- **dtype**: for CSV and JSON lines, the narrowest type every non-missing value parses as
  (integer, float, boolean, timestamp, else string); only ``true``/``false`` (any case) text is
  a boolean, so ``yes``/``no``, ``Y``/``N`` and ``t``/``f`` stay strings (a category). For
  Parquet and frames, the stored type. An integer column with missing values becomes the
  nullable ``Int64``. Columns are ``coerce: true``.
- **nullable**: only where the data has missing values.
- **role** (written to the schema's ``columns:`` metadata): *identifier* (an integer or string
  with no missing and no repeated values, whose name looks like a key, or integers dense like
  a sequence, or short strings without spaces): ``unique``, no range, no drift;
  *timestamp* (dates and times, calendar years): no upper bound (time moves on), drift on
  the time and its calendar parts, freshness; *category* (few distinct strings, booleans):
  an ``isin`` set when small enough; *free text* (many distinct strings, mostly with spaces):
  no category set, no drift; *measurement* (other numbers): a range by the policy of
  :mod:`datalife.schemas.ranges`. *label* and *prediction* are declared (``roles=``);
  inference suggests them from the name.
- **range**: see :mod:`datalife.schemas.ranges` (``ranges="tolerant"`` by default).
- **keys and duplicates**: single-column keys are the identifiers; a bounded search looks for
  minimal keys of 2 and 3 columns among the discrete columns (it says when it gave up); the
  first one found becomes the schema's dataframe-level ``unique``. Without any key, and when
  the data has no repeated rows, ``unique`` lists every column: a whole-row duplicate fails.
- **rows**: the schema's ``min_rows`` is 1, so an empty dataset (a header-only file) fails.
- **strict**: the schema rejects columns it does not list.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from datalife.errors import DatalifeError
from datalife.schemas.infer.decide import column_schema, decide_dtype
from datalife.schemas.infer.keys import find_key
from datalife.schemas.infer.scan import Facts, Progress, pass1, pass2
from datalife.schemas.infer.source import MEMORY_LIMIT, Data
from datalife.schemas.ranges import RANGE_POLICIES, RangePolicy

if TYPE_CHECKING:
    import pandera.api.pandas.container as pac

    from datalife.schemas.model import ColumnMeta, SchemaMeta

__all__ = ["Inference", "Progress", "infer_schema"]


@dataclass
class Inference:
    """An inferred schema with the reason for each decision, per column.

    Attributes:
        schema: the pandera schema (the body of the schema file).
        rows: rows in the data.
        explanations: per column, the reasons for its dtype, role, checks and range.
        columns: per column, datalife's metadata (role, range rule) for the schema file.
        min_rows: the fewest rows a valid dataset has (1: an empty dataset fails).
        key: the columns of the dataframe-level ``unique`` (a key, or every column for the
            whole-row duplicate check), None if there is none.
        notes: dataframe-level decisions (keys, duplicates, row minimum).
        ranges: the range policy used.
    """

    schema: pac.DataFrameSchema
    rows: int
    explanations: dict[str, list[str]] = field(default_factory=dict)
    columns: dict[str, ColumnMeta] = field(default_factory=dict)
    min_rows: int = 1
    key: list[str] | None = None
    notes: list[str] = field(default_factory=list)
    ranges: str = "tolerant"

    def meta(self, version: int = 1, **fields: Any) -> SchemaMeta:
        """The schema file's metadata: roles, range rules and the row minimum, plus ``fields``."""
        from datalife.schemas.model import SchemaMeta

        return SchemaMeta.model_validate(
            {
                "name": self.schema.name,
                "version": version,
                "min_rows": self.min_rows,
                "columns": {
                    k: v.model_dump(exclude_defaults=True) for k, v in self.columns.items()
                },
                **fields,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "ranges": self.ranges,
            "min_rows": self.min_rows,
            "unique": self.key,
            "notes": list(self.notes),
            "roles": {
                k: (None if v.role is None else str(v.role)) for k, v in self.columns.items()
            },
            "columns": self.explanations,
        }

    def explain(self) -> str:
        lines = [f"inferred from {self.rows} rows (ranges: {self.ranges}):"]
        for col, reasons in self.explanations.items():
            lines.append(f"  {col}: " + "; ".join(reasons))
        lines.extend(f"  {note}" for note in self.notes)
        return "\n".join(lines)


def infer_schema(
    data: Any,
    name: str,
    *,
    max_categories: int = 20,
    description: str = "",
    ranges: RangePolicy | str = "tolerant",
    roles: dict[str, str] | None = None,
    key_search: bool = True,
    progress: Progress | None = None,
    memory_limit: str = MEMORY_LIMIT,
) -> Inference:
    """Infer a schema named ``name`` from a DataFrame or from files (CSV, Parquet, JSON lines).

    Args:
        data: paths (one dataset), or a pandas/polars DataFrame or pyarrow Table.
        name: the schema's name.
        max_categories: a string column with at most this many distinct values is a category
            with an ``isin`` set.
        description: stored in the schema.
        ranges: the range policy: ``tolerant`` (default), ``strict`` or ``off`` (see
            :mod:`datalife.schemas.ranges`).
        roles: declared roles by column (``label``, ``prediction``, or any other role); they
            win over inferred ones.
        key_search: look for keys of 2 and 3 columns.
        progress: called as the scans go, ``progress(phase, done, total)``.
        memory_limit: DuckDB's memory limit (it spills to disk beyond it).
    """
    from datalife._threads import Background

    # pandera (with pandas) takes most of a second to import: beside DuckDB reading the data
    pandera = Background(lambda: importlib.import_module("pandera.pandas"), name="import-pandera")
    from datalife.schemas.model import Role

    if ranges not in RANGE_POLICIES:
        raise DatalifeError(
            f"unknown range policy {ranges!r}",
            hint=f"use one of {', '.join(RANGE_POLICIES)} (default tolerant).",
        )
    declared: dict[str, Role] = {}
    for col, role in (roles or {}).items():
        try:
            declared[col] = Role(role)
        except ValueError:
            raise DatalifeError(
                f"column {col!r}: unknown role {role!r}",
                hint=f"use one of {', '.join(r.value for r in Role)}.",
            ) from None
    policy: RangePolicy = ranges  # type: ignore[assignment]
    src = Data(data, memory_limit)
    try:
        unknown = [c for c in declared if c not in src.columns]
        if unknown:
            raise DatalifeError(
                f"declared roles name columns the data does not have: {', '.join(unknown)}",
                hint=f"the columns are {', '.join(src.columns)}.",
            )
        described = {r[0]: str(r[1]) for r in src.execute("DESCRIBE src")}
        facts = [Facts(c, described.get(c, "VARCHAR")) for c in src.columns]
        total = pass1(src, facts, progress)
        for f in facts:
            decide_dtype(f, total - f.nonnull)
        pass2(src, facts, max_categories, progress)
        out_cols: dict[str, Any] = {}
        explanations: dict[str, list[str]] = {}
        metas: dict[str, ColumnMeta] = {}
        identifiers: list[str] = []
        for f in facts:
            col, reasons, meta = column_schema(
                f, total, max_categories, policy, declared.get(f.name)
            )
            out_cols[f.name] = col
            explanations[f.name] = reasons
            metas[f.name] = meta
            if col.unique:
                identifiers.append(f.name)
        notes: list[str] = []
        key = find_key(src, facts, total, identifiers, metas, notes, key_search, progress)
        min_rows = 1
        notes.append(
            "rows: at least 1 (min_rows: 1): an empty dataset, such as a header-only file, fails"
        )
        pa = pandera.result()
        schema = pa.DataFrameSchema(
            out_cols, strict=True, name=name, description=description or None, unique=key
        )
        return Inference(
            schema=schema,
            rows=total,
            explanations=explanations,
            columns=metas,
            min_rows=min_rows,
            key=key,
            notes=notes,
            ranges=policy,
        )
    finally:
        src.close()
