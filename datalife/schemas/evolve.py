"""Evolve a schema from new data, and bump a schema to a new editable version.

:func:`evolve` validates new data against the latest version of a schema and, when the data
legitimately fails it (a new category, a wider range, missing values, a new column), proposes
the next version with the *smallest loosening* that accepts the data:

========================  ===============================================================
failure                   loosening
========================  ===============================================================
unseen category (isin)    add the new values to the set
out of range              move the violated bound to the observed minimum / maximum
missing values            make the column nullable (int64 → Int64, bool → boolean)
unexpected column         add it as an *optional* column, dtype and checks inferred
missing column            make it optional
wrong dtype               the narrowest common dtype (int → float → str), only when at
                          least 10 % (int → float) or half (to str) of the values have
                          the new type; fewer are bad values, left as failures with rows
string length, pattern    widen the length; add the failing values as alternatives
duplicates                drop ``unique``
column order              drop ``ordered``
========================  ===============================================================

It repeats until the data is valid (one loosening can reveal the next failure), then shows
the diff and the compatibility verdict against the current version. Nothing is written
unless ``write=True``, which adds ``schemas/NAME/<n+1>.yaml``; released versions are never
edited. A failure no rule loosens (a custom check) is reported as unresolved.

:func:`bump` copies the latest version to ``<n+1>.yaml`` unchanged but for its version, for
editing by hand.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.errors import DatalifeError, SchemaFileError, SchemaNotFound

if TYPE_CHECKING:
    import pandera.api.pandas.container as pac

    from datalife.config import Workspace
    from datalife.engines.report import Failure, ValidationReport
    from datalife.schemas.compat import CompatReport
    from datalife.schemas.model import SchemaVersion
    from datalife.schemas.registry import SchemaRegistry

__all__ = ["Evolution", "Loosening", "bump", "evolve"]

MAX_CATEGORIES = 1000
MAX_PATTERN_VALUES = 20
#: The share of a column's values that must have another type before evolve changes the
#: column's type: numbers that widen (int to float), and any other change (numbers to text).
#: Below it, the values that do not parse are bad values: failures, with their rows.
TYPE_CHANGE_SHARE = {"numeric": 0.1, "other": 0.5}


@dataclass(frozen=True)
class Loosening:
    """One loosening made to accept the data."""

    column: str | None
    check: str
    action: str

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "check": self.check, "action": self.action}


@dataclass
class Evolution:
    """The proposal of :func:`evolve`.

    Attributes:
        name: the schema's name.
        current: the latest version.
        version: the proposed version number.
        proposed: the proposed pandera schema (None when the data is already valid).
        loosenings: what was loosened, in order.
        unresolved: failures no rule can loosen (the data has to be fixed).
        before: the data's report under the current version.
        after: its report under the proposal.
        compat: the proposal against the current version.
        text: the proposed schema file.
        written: the file written (``write=True``), else None.
    """

    name: str
    current: SchemaVersion
    version: int
    before: ValidationReport
    proposed: pac.DataFrameSchema | None = None
    loosenings: list[Loosening] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    after: ValidationReport | None = None
    compat: CompatReport | None = None
    text: str | None = None
    written: str | None = None

    @property
    def needed(self) -> bool:
        """False if the data is already valid under the current version."""
        return not self.before.valid

    @property
    def resolved(self) -> bool:
        """True if the proposal accepts the data."""
        return self.after is not None and self.after.valid

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.name,
            "current": self.current.ref,
            "proposed": self.ref if self.proposed is not None else None,
            "needed": self.needed,
            "resolved": self.resolved,
            "loosenings": [lo.to_dict() for lo in self.loosenings],
            "unresolved": list(self.unresolved),
            "before": self.before.to_dict(),
            "after": self.after.to_dict() if self.after is not None else None,
            "compatibility": self.compat.to_dict() if self.compat is not None else None,
            "text": self.text,
            "written": self.written,
        }

    def to_text(self) -> str:
        if not self.needed:
            return f"nothing to evolve: the data is valid under {self.current.ref}"
        lines = [
            f"{self.current.ref} rejects the data: "
            f"{len(self.before.failures)} failed checks; proposing {self.ref}"
        ]
        for lo in self.loosenings:
            where = f"column {lo.column!r}" if lo.column else "dataframe"
            lines.append(f"  {where}: {lo.action}")
        if self.unresolved:
            lines.append("not loosened (fix the data, or edit the schema by hand):")
            lines.extend(f"  {u}" for u in self.unresolved)
        if self.compat is not None:
            lines.append("")
            lines.append(self.compat.to_text())
        if self.after is not None and not self.after.valid:
            lines.append(f"the proposal still rejects the data: {self.after.summary()}")
        return "\n".join(lines)


# -- statistics of the new data --------------------------------------------------------------


class _DataStats:
    """What the loosening rules need to know about the data, from DuckDB (out of core)."""

    def __init__(self, paths: Sequence[str | Path], name: str) -> None:
        from datalife.io import connect
        from datalife.reading import resolve_sources

        self.paths = list(paths)
        self.name = name
        self.sources = resolve_sources(self.paths)
        self.con = connect()
        self.union = " UNION ALL BY NAME ".join(
            f"SELECT * FROM {s.scan_sql()}" for s in self.sources
        )
        rows = self.con.execute(f"DESCRIBE SELECT * FROM ({self.union})").fetchall()
        self.stored = {r[0]: str(r[1]) for r in rows}
        self._inferred: Any = None

    def inferred(self) -> Any:
        if self._inferred is None:
            from datalife.schemas.infer import infer_schema

            self._inferred = infer_schema(self.paths, self.name)
        return self._inferred

    def typed(self, column: str, dtype: str | None) -> str:
        from datalife.io import sql_ident
        from datalife.reading import sql_type, varchar_cast

        q = sql_ident(column)
        want = sql_type(dtype)
        stored = self.stored.get(column, "VARCHAR")
        if want is None or stored.upper().startswith(want):
            return q
        if stored == "VARCHAR":
            return varchar_cast(q, want)
        return f"TRY_CAST({q} AS {want})"

    def _one(self, sql: str) -> tuple[Any, ...]:
        row = self.con.execute(sql).fetchone()
        assert row is not None
        return tuple(row)

    def min_max(self, column: str, dtype: str | None) -> tuple[Any, Any]:
        t = self.typed(column, dtype)
        lo, hi = self._one(f"SELECT min({t}), max({t}) FROM ({self.union})")
        return _num(lo), _num(hi)

    def present(self, column: str) -> int:
        """Non-missing values of ``column``."""
        from datalife.io import sql_ident

        (n,) = self._one(f"SELECT count({sql_ident(column)}) FROM ({self.union})")
        return int(n)

    def lengths(self, column: str) -> tuple[int | None, int | None]:
        from datalife.io import sql_ident

        q = sql_ident(column)
        lo, hi = self._one(
            f"SELECT min(length({q}::VARCHAR)), max(length({q}::VARCHAR)) FROM ({self.union})"
        )
        return lo, hi

    def distinct(self, column: str, dtype: str | None, limit: int) -> list[Any] | None:
        """Distinct non-missing values (None if more than ``limit``)."""
        t = self.typed(column, dtype)
        rows = self.con.execute(
            f"SELECT DISTINCT {t} AS v FROM ({self.union}) WHERE {t} IS NOT NULL "
            f"ORDER BY 1 LIMIT {limit + 1}"
        ).fetchall()
        if len(rows) > limit:
            return None
        return [_num(r[0]) for r in rows]


def _num(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


# -- the loosening rules -------------------------------------------------------------------


def _nullable_dtype(dtype: str | None) -> str | None:
    if dtype is None:
        return None
    low = dtype.lower()
    if low.startswith(("int", "uint")):
        return (
            dtype[0].upper() + dtype[1:] if low.startswith("int") else "U" + dtype[1:].capitalize()
        )
    if low == "bool":
        return "boolean"
    return dtype


def _lub(old: str | None, new: str | None) -> str | None:
    """The narrowest dtype holding values of both."""
    from datalife.schemas.domain import conversion, dtype_info

    if old is None or new is None:
        return None
    a, b = dtype_info(old), dtype_info(new)
    rel = conversion(a, b)
    if rel in ("same", "narrowing", "equivalent"):
        return old
    if rel == "widening":
        return new
    if a.numeric and b.numeric:
        return "float64"
    if a.family == "bool" and b.numeric:
        return new
    return "str"


class _Loosener:
    def __init__(self, schema: pac.DataFrameSchema, stats: _DataStats) -> None:
        self.schema = copy.deepcopy(schema)
        self.stats = stats
        self.done: list[Loosening] = []
        self.unresolved: list[str] = []

    def _col(self, column: str) -> Any:
        return self.schema.columns[column]

    def _set_checks(self, column: str, checks: list[Any]) -> None:
        self.schema = self.schema.update_column(column, checks=checks)

    def note(self, column: str | None, check: str, action: str) -> None:
        self.done.append(Loosening(column, check, action))

    def apply(self, failure: Failure) -> bool:
        """Loosen the schema for one failure; False if no rule applies."""
        check, column = failure.check, failure.column
        try:
            if check == "column_in_schema" and column:
                return self._add_column(column)
            if check == "column_ordered":
                self.schema.ordered = False
                self.note(None, check, "column order no longer checked (ordered: false)")
                return True
            if column is None or column not in self.schema.columns:
                if check == "unique" and self.schema.unique:
                    self.schema.unique = None
                    self.note(None, check, "dropped the unique combination of columns")
                    return True
                return False
            if check == "column_in_dataframe":
                self.schema = self.schema.update_column(column, required=False)
                self.note(column, check, "now optional (required: false)")
                return True
            if check == "not_nullable":
                return self._nullable(column)
            if check in ("dtype", "coerce_dtype"):
                return self._dtype(column, failure)
            if check == "unique":
                self.schema = self.schema.update_column(column, unique=False)
                self.note(column, check, "values no longer need to be unique (unique: false)")
                return True
            return self._check(column, check)
        except (TypeError, ValueError, KeyError) as exc:
            self.unresolved.append(f"column {column!r}: {check}: {exc}")
            return False

    def _add_column(self, column: str) -> bool:
        inferred = self.stats.inferred().schema
        if column not in inferred.columns:
            return False
        col = copy.deepcopy(inferred.columns[column])
        col.required = False
        self.schema = self.schema.add_columns({column: col})
        parts = [str(col.dtype), "nullable" if col.nullable else "not nullable"]
        parts += [c.error or c.name for c in col.checks]
        self.note(
            column,
            "column_in_schema",
            f"added as an optional column ({', '.join(map(str, parts))}), inferred from the data",
        )
        return True

    def _nullable(self, column: str) -> bool:
        col = self._col(column)
        dtype = None if col.dtype is None else str(col.dtype)
        new_dtype = _nullable_dtype(dtype)
        kwargs: dict[str, Any] = {"nullable": True}
        what = "missing values now allowed (nullable: true)"
        if new_dtype != dtype:
            kwargs["dtype"] = new_dtype
            what += f"; dtype {dtype} → {new_dtype} to hold them"
        self.schema = self.schema.update_column(column, **kwargs)
        self.note(column, "not_nullable", what)
        return True

    def _dtype(self, column: str, failure: Failure) -> bool:
        """Change the column's type only when the data really changed (see :data:`TYPE_CHANGE_SHARE`).

        A few values that do not parse are bad values, not a new type: they stay failures
        (with their rows) and the type is kept.
        """
        from datalife.schemas.domain import dtype_info

        col = self._col(column)
        old = None if col.dtype is None else str(col.dtype)
        inferred = self.stats.inferred().schema
        seen = inferred.columns[column].dtype if column in inferred.columns else None
        new = _lub(old, None if seen is None else str(seen))
        if new == old or new is None or old is None:
            return False
        present = self.stats.present(column)
        bad = min(failure.failure_count, present)
        share = bad / present if present else 0.0
        widening = dtype_info(old).numeric and dtype_info(new).numeric
        needed = TYPE_CHANGE_SHARE["numeric" if widening else "other"]
        forced = f"{bad} of {present} values ({share:.1%}) are {seen}, not {old}"
        if share < needed:
            rows = ", ".join(e.where() for e in failure.examples[:5])
            self.unresolved.append(
                f"column {column!r}: {forced}" + (f" ({rows})" if rows else "") + ": too few to "
                f"change the type (a change to {new} needs {needed:.0%} of the values); "
                "fix those values"
            )
            return False
        checks = list(col.checks)
        dropped = []
        if dtype_info(new).family == "str" and dtype_info(old).numeric:
            dropped = [c.name for c in checks if c.name not in ("isin", "notin")]
            checks = [c for c in checks if c.name in ("isin", "notin")]
        self.schema = self.schema.update_column(column, dtype=new, checks=checks)
        extra = f"; dropped {', '.join(dropped)}, which compare numbers" if dropped else ""
        self.note(column, "dtype", f"dtype {old} → {new}: {forced}{extra}")
        return True

    def _check(self, column: str, name: str) -> bool:
        import pandera.pandas as pa

        col = self._col(column)
        dtype = None if col.dtype is None else str(col.dtype)
        checks = list(col.checks)
        idx = next((i for i, c in enumerate(checks) if c.name == name), None)
        if idx is None:
            return False
        check = checks[idx]
        s = dict(check.statistics or {})
        new: Any = None
        action = ""
        if name in (
            "in_range",
            "greater_than",
            "greater_than_or_equal_to",
            "less_than",
            "less_than_or_equal_to",
        ):
            lo, hi = self.stats.min_max(column, dtype)
            if name == "in_range":
                mn, mx = s["min_value"], s["max_value"]
                inc_lo, inc_hi = s.get("include_min", True), s.get("include_max", True)
                if lo is not None and (lo < mn or (lo == mn and not inc_lo)):
                    mn, inc_lo = lo, True
                if hi is not None and (hi > mx or (hi == mx and not inc_hi)):
                    mx, inc_hi = hi, True
                new = pa.Check.in_range(mn, mx, include_min=inc_lo, include_max=inc_hi)
                action = f"range [{s['min_value']}, {s['max_value']}] → [{mn}, {mx}] (observed [{lo}, {hi}])"
            elif name in ("greater_than", "greater_than_or_equal_to"):
                new = pa.Check.ge(min(lo, s["min_value"]))
                action = f"lower bound {s['min_value']} → {min(lo, s['min_value'])} (observed minimum {lo})"
            else:
                new = pa.Check.le(max(hi, s["max_value"]))
                action = f"upper bound {s['max_value']} → {max(hi, s['max_value'])} (observed maximum {hi})"
        elif name in ("isin", "equal_to"):
            allowed = list(s["allowed_values"]) if name == "isin" else [s["value"]]
            values = self.stats.distinct(column, dtype, MAX_CATEGORIES)
            if values is None:
                checks.pop(idx)
                self._set_checks(column, checks)
                self.note(
                    column, name, f"dropped {name}: more than {MAX_CATEGORIES} distinct values"
                )
                return True
            extra = [v for v in values if v not in allowed]
            new = pa.Check.isin([*allowed, *extra])
            action = f"categories + {', '.join(repr(v) for v in extra)}"
        elif name in ("notin", "not_equal_to"):
            forbidden = list(s["forbidden_values"]) if name == "notin" else [s["value"]]
            values = self.stats.distinct(column, dtype, 100_000) or []
            present = [v for v in forbidden if v in values]
            keep = [v for v in forbidden if v not in present]
            new = pa.Check.notin(keep) if keep else None
            action = f"no longer forbidden: {', '.join(repr(v) for v in present)}"
        elif name == "str_length":
            lo, hi = self.stats.lengths(column)
            mn = s.get("min_value") if s.get("exact_value") is None else s["exact_value"]
            mx = s.get("max_value") if s.get("exact_value") is None else s["exact_value"]
            mn = None if mn is None else min(mn, lo if lo is not None else mn)
            mx = None if mx is None else max(mx, hi if hi is not None else mx)
            new = pa.Check.str_length(mn, mx)
            action = f"string length → [{mn}, {mx}] (observed [{lo}, {hi}])"
        elif name in ("str_matches", "str_contains", "str_startswith", "str_endswith"):
            new, action = self._pattern(column, name, s)
        else:
            self.unresolved.append(
                f"column {column!r}: check {check.error or name} cannot be loosened automatically"
            )
            return False
        if new is None:
            checks.pop(idx)
        else:
            checks[idx] = new
        self._set_checks(column, checks)
        self.note(column, name, action)
        return True

    def _pattern(self, column: str, name: str, s: dict[str, Any]) -> tuple[Any, str]:
        import pandera.pandas as pa

        values = self.stats.distinct(column, "str", 10_000) or []
        pattern = str(s.get("pattern", s.get("string", "")))

        def ok(v: str) -> bool:
            if name == "str_matches":
                return re.match(pattern, v) is not None
            if name == "str_contains":
                return re.search(pattern, v) is not None
            if name == "str_startswith":
                return v.startswith(pattern)
            return v.endswith(pattern)

        failing = [str(v) for v in values if not ok(str(v))]
        if 0 < len(failing) <= MAX_PATTERN_VALUES and name == "str_matches":
            alt = "|".join(re.escape(v) + "$" for v in failing)
            return pa.Check.str_matches(f"(?:{pattern})|{alt}"), (
                f"pattern also accepts {', '.join(repr(v) for v in failing)}"
            )
        return None, f"dropped {name}({pattern!r}): {len(failing)} values do not match"


# -- evolve and bump -------------------------------------------------------------------------


def _registry(workspace: Workspace | str | Path | None) -> SchemaRegistry:
    from datalife.config import Workspace
    from datalife.schemas.registry import SchemaRegistry

    ws = workspace if isinstance(workspace, Workspace) else Workspace.find(workspace)
    return SchemaRegistry.for_workspace(ws)


def evolve(
    name: str,
    paths: Sequence[str | Path],
    *,
    workspace: Workspace | str | Path | None = None,
    write: bool = False,
    max_rounds: int = 8,
    record: bool = True,
) -> Evolution:
    """Propose the next version of ``name`` that accepts the data in ``paths``.

    Args:
        name: the schema's name (its latest version is the starting point).
        paths: data files (CSV, Parquet, JSON lines) forming one dataset.
        workspace: the workspace (default: the current one).
        write: write ``schemas/<name>/<n+1>.yaml`` if the proposal accepts the data.
        max_rounds: how many validate-and-loosen rounds to try.
        record: with ``write``, append the run (the data in, the new schema file out) to
            the workspace's lineage log, as ``schema infer`` does.
    """
    from datalife.engines.base import validate_data
    from datalife.schemas.compat import compatibility
    from datalife.schemas.io import dump_schema, serialize_body
    from datalife.schemas.model import SchemaMeta, SchemaVersion, parse_ref

    ref = parse_ref(name)
    if ref.version is not None:
        raise DatalifeError(
            f"evolve takes a schema name, not a version ({name})",
            hint=f"run `datalife schema evolve {ref.name} --from PATH...`: it starts from the latest version.",
        )
    reg = _registry(workspace)
    ws = reg.workspace
    current = reg.load(ref.name)
    version = current.version + 1
    if not paths:
        raise DatalifeError(
            "no data given",
            hint=f"pass the new data: `datalife schema evolve {ref.name} --from PATH...`",
        )
    shown = ws.relpath if ws is not None else None
    before = validate_data(list(paths), current, display=shown)
    evo = Evolution(ref.name, current, version, before)
    if before.valid:
        return evo
    stats = _DataStats(paths, ref.name)
    loosener = _Loosener(current.schema, stats)
    report = before
    for _ in range(max_rounds):
        progress = False
        for failure in report.failures:
            progress = loosener.apply(failure) or progress
        report = validate_data(list(paths), loosener.schema, ref=current.ref, display=shown)
        if report.valid or not progress:
            break
    evo.proposed = loosener.schema
    evo.loosenings = loosener.done
    evo.unresolved = list(dict.fromkeys(loosener.unresolved))
    if not report.valid and not evo.unresolved:
        evo.unresolved = [f.describe() for f in report.failures]
    evo.after = report
    meta = SchemaMeta.model_validate(current.meta.model_dump() | {"version": version})
    evo.proposed.name = ref.name
    body = serialize_body(evo.proposed)
    evo.text = dump_schema(meta, body)
    proposal = SchemaVersion(meta, evo.proposed, str(reg.path_for(ref.name, version)), body)
    history = [reg.load(f"{ref.name}@{v}") for v in reg.versions(ref.name) if v < current.version]
    evo.compat = compatibility(current, proposal, history=history)
    if write:
        if not report.valid:
            raise DatalifeError(
                f"the proposal for {evo.ref} still rejects the data, so it was not written",
                details=evo.unresolved,
                hint="fix the data, or edit a new version by hand: `datalife schema bump "
                f"{ref.name}`.",
            )
        from datalife import lineage

        # the new version is derived from this data and the previous version: record it
        with lineage.run(
            "schema-evolve", workspace=ws, record=record, parameters={"from": current.ref}
        ) as run:
            run.input(list(paths))
            if current.path:
                run.input(current.path)
            sv = reg.save(
                evo.proposed,
                ref.name,
                version=version,
                description=current.meta.description,
                compatibility=current.meta.compatibility,
                environments=dict(current.meta.environments),
                drift=current.meta.drift,
                skew=current.meta.skew,
                extra=current.meta.model_dump(include={"min_rows", "columns"}),
            )
            run.output(sv.path)
        evo.written = sv.path
    return evo


_VERSION_LINE = re.compile(r"^version:[ \t]*(\d+)[ \t]*(#.*)?$", re.MULTILINE)


def bump(name: str, *, workspace: Workspace | str | Path | None = None) -> SchemaVersion:
    """Copy the latest version of ``name`` to a new version file, to edit by hand.

    The copy keeps the file's text (comments, layout) and changes only its version.
    Returns the new version.
    """
    from datalife.schemas.io import dump_schema, parse_schema_text
    from datalife.schemas.model import parse_ref
    from datalife.storage import atomic_write_text

    ref = parse_ref(name)
    if ref.version is not None:
        raise DatalifeError(
            f"bump takes a schema name, not a version ({name})",
            hint=f"run `datalife schema bump {ref.name}`: it copies the latest version.",
        )
    reg = _registry(workspace)
    versions = reg.versions(ref.name)
    if not versions:
        raise SchemaNotFound.from_name(ref.name, reg.names())
    latest = reg.load(ref.name)
    new_version = versions[-1] + 1
    dst = reg.path_for(ref.name, new_version)
    if dst.exists():  # pragma: no cover - versions() would have listed it
        raise DatalifeError(f"{dst} already exists", path=dst)
    src = Path(latest.path or reg.path_for(ref.name, versions[-1]))
    text = src.read_text(encoding="utf-8")
    match = _VERSION_LINE.search(text)
    if match and int(match.group(1)) == versions[-1]:
        new_text = text[: match.start(1)] + str(new_version) + text[match.end(1) :]
        new_text = new_text.replace(f"{ref.name}@{versions[-1]}", f"{ref.name}@{new_version}")
    else:
        meta = latest.meta.model_copy(update={"version": new_version})
        new_text = dump_schema(meta, latest.body)
    sv = parse_schema_text(new_text, str(dst))
    if sv.meta.version != new_version or sv.meta.name != ref.name:
        raise SchemaFileError(  # pragma: no cover - the regex edit keeps both
            f"{dst}: could not renumber {latest.ref}", path=dst
        )
    atomic_write_text(dst, new_text)
    return sv
