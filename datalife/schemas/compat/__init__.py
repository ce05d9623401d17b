"""Check-aware compatibility between schema versions, as in schema registries.

Modes (``datalife.config.Compatibility``):

- ``BACKWARD``: every dataset valid under the old version is valid under the new one
  (consumers on the new version can read old data);
- ``FORWARD``: every dataset valid under the new version is valid under the old one;
- ``FULL``: both; ``NONE``: no requirement;
- ``*_TRANSITIVE``: the same against every earlier version, not only the previous one.

For one direction ("everything ``A`` accepts, ``B`` accepts"), datalife looks at each aspect of
the schemas (which columns must or may be present, each column's dtype, missing values and
checks, uniqueness, strictness, column order, dataframe-level checks) and either

- **proves** that ``B`` accepts everything ``A`` does for that aspect (bounds inside bounds,
  categories inside categories, ...), or
- **finds a witness**: a concrete dataset ``A`` accepts and ``B`` rejects, checked by running
  :func:`datalife.validate` on it under both versions, or
- says **unknown** (a custom check, a regex change it cannot compare, or no proof and no
  counterexample found). Unknown counts as breaking, and says why.

So ``True`` is proved, ``False`` comes with a witness, and ``"unknown"`` is explained.
Datasets are reasoned about as pandas DataFrames holding the old version's dtypes (what
``datalife.validate`` checks in memory); data stored as another dtype is covered where a
version coerces it.

Examples:
    >>> import pandera.pandas as pa
    >>> v1 = pa.DataFrameSchema({"x": pa.Column(int, pa.Check.in_range(0, 10))}, name="s")
    >>> v2 = pa.DataFrameSchema({"x": pa.Column(int, pa.Check.in_range(0, 5))}, name="s")
    >>> report = compatibility(v1, v2)
    >>> report.verdicts["BACKWARD"], report.verdicts["FORWARD"]
    (False, True)
    >>> report.witnesses("BACKWARD")[0].rows
    ({'x': 6},)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from datalife.config import Compatibility
from datalife.schemas.compat.direction import Aspect, Direction, Verdict, check_direction
from datalife.schemas.compat.report import (
    MODES,
    ChangeVerdict,
    CompatReport,
    aspect_lines,
    attach_verdicts,
    mode_pairs,
)
from datalife.schemas.diff import as_schema, diff

if TYPE_CHECKING:
    import pandera.api.pandas.container as pac
    import pandera.api.pandas.model as pam

    from datalife.config import Workspace
    from datalife.schemas.model import SchemaVersion

#: what :func:`compatibility` compares: a reference (``"penguins@2"``), a SchemaVersion, or a
#: pandera DataFrameSchema or DataFrameModel
SchemaLike: TypeAlias = "str | SchemaVersion | pac.DataFrameSchema | type[pam.DataFrameModel]"

__all__ = [
    "MODES",
    "Aspect",
    "ChangeVerdict",
    "CompatReport",
    "Direction",
    "SchemaLike",
    "Verdict",
    "aspect_lines",
    "check_direction",
    "compatibility",
    "mode_pairs",
]


def compatibility(
    old: SchemaLike,
    new: SchemaLike,
    *,
    history: Sequence[SchemaLike] = (),
    policy: Compatibility | str | None = None,
    workspace: Workspace | str | Path | None = None,
    search: bool = True,
    policy_only: bool = False,
) -> CompatReport:
    """Compare ``new`` with ``old`` in every mode.

    Args:
        old: the previous version (ref, :class:`SchemaVersion` or pandera schema).
        new: the new version.
        history: earlier versions than ``old`` for the transitive modes (the transitive
            verdicts then cover ``old`` and every version in ``history``).
        policy: the mode ``new`` must meet (default: its own metadata when it is a
            SchemaVersion).
        workspace: where to resolve references.
        search: look for witnesses of incompatibility.
        policy_only: search for witnesses only in the directions the policy requires (the
            others are still proved where possible, else reported as unknown): faster, for
            hooks that only need the policy's verdict.
    """
    a, la, sva = as_schema(old, workspace)
    b, lb, svb = as_schema(new, workspace)
    d = diff(a if sva is None else sva, b if svb is None else svb, workspace=workspace)
    la, lb = d.old, d.new
    if policy is None and svb is not None:
        policy = svb.meta.compatibility
    need_back, need_fwd, need_hist = (True, True, True)
    if policy_only and policy is not None:
        need_back, need_fwd, need_hist = mode_pairs(policy)
    backward = check_direction(a, b, labels=(la, lb), search=search and need_back)
    forward = check_direction(b, a, labels=(lb, la), search=search and need_fwd)
    hist: list[tuple[str, Direction, Direction]] = []
    for h in history if (need_hist or not policy_only) else ():
        ha, hl, _ = as_schema(h, workspace)
        hist.append(
            (
                hl,
                check_direction(ha, b, labels=(hl, lb), search=search and need_back),
                check_direction(b, ha, labels=(lb, hl), search=search and need_fwd),
            )
        )
    report = CompatReport(
        la, lb, d, backward, forward, hist, Compatibility(policy).value if policy else None
    )
    attach_verdicts(report)
    return report
