"""Candidate values of a column for witnesses: near the constants both schema versions mention
(range bounds and their neighbours, categories, lengths, dtype limits, missing values), and
strings matching the versions' regular expressions.

Strings matching a regex come from hypothesis (``hypothesis.strategies.from_regex``): a fixed
seed, a fixed number of tries and no example database make them the same on every run.

Examples:
    >>> import re
    >>> samples = sample_regex(r"[A-Z]{2}\\d+")
    >>> len(samples), all(re.match(r"[A-Z]{2}\\d+", s) for s in samples)
    (4, True)
    >>> samples == sample_regex(r"[A-Z]{2}\\d+")
    True
"""

from __future__ import annotations

import functools
import math
import random
import re
import threading
from typing import Any

from datalife.schemas.domain import ColumnSpace, admits

__all__ = ["candidate_values", "sample_regex"]

#: the seed of every regex sample: the same strings on every run
REGEX_SEED = 20_261_206
#: strings drawn per sample wanted (the draws that repeat one already kept are skipped)
_DRAWS_PER_SAMPLE = 4


def sample_regex(pattern: str, limit: int = 4, *, search: bool = False) -> list[str]:
    """A few strings that match ``pattern`` (``re.match``; ``re.search`` if ``search``), the same
    on every run; fewer (or none) when hypothesis cannot generate them (a lookaround that
    contradicts the rest, an invalid pattern).

    Printable ASCII is tried first (readable witnesses); patterns that need other characters
    get them from the whole of Unicode.
    """
    return list(_sample_regex(pattern, limit, search))


@functools.lru_cache(maxsize=256)
def _sample_regex(pattern: str, limit: int, search: bool) -> tuple[str, ...]:
    try:
        compiled = re.compile(pattern)
    except (re.error, RecursionError):
        return ()
    out: list[str] = []
    # a thread of its own: hypothesis refuses to run inside a caller's own hypothesis test
    # (its test context is per thread), and a witness must not depend on who asks for it
    worker = threading.Thread(
        target=_draw_matches, args=(compiled, limit, search, out), name="datalife-regex"
    )
    worker.start()
    worker.join()
    return tuple(out)


def _draw_matches(compiled: re.Pattern[str], limit: int, search: bool, out: list[str]) -> None:
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import HypothesisException

    def keep(s: str) -> bool:
        ok = compiled.search(s) if search else compiled.match(s)
        if ok and s not in out and len(out) < limit:
            out.append(s)
        return len(out) >= limit  # find() stops at the first True

    config = settings(
        database=None,
        max_examples=limit * _DRAWS_PER_SAMPLE,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    for alphabet in (st.characters(min_codepoint=0x20, max_codepoint=0x7E), None):
        try:
            strategy = st.from_regex(compiled, fullmatch=True, alphabet=alphabet)
            find(strategy, keep, settings=config, random=random.Random(REGEX_SEED))
        except HypothesisException:  # no example (or not enough), or not in the alphabet
            pass
        except (RecursionError, ValueError, OverflowError, re.error):
            return
        if out:
            return


def _nums(space: ColumnSpace | None) -> list[float | int]:
    if space is None:
        return []
    return [
        c
        for c in space.constants()
        if isinstance(c, int | float) and not isinstance(c, bool) and math.isfinite(c)
    ]


def _strings(space: ColumnSpace | None) -> list[str]:
    if space is None:
        return []
    return [c for c in space.constants() if isinstance(c, str)]


def candidate_values(space: ColumnSpace, other: ColumnSpace | None = None) -> list[Any]:
    """Interesting values of ``space``'s dtype: near the constants of both spaces first.

    Values ``space`` certainly rejects are left out; a missing value comes last when the
    column is nullable.
    """
    fam = space.dtype.family
    raw: list[Any] = []
    if fam in ("int", "uint", "float"):
        consts = _nums(other) + _nums(space)
        for k in consts:
            raw += [k, k + 1, k - 1]
            if fam == "float":
                raw += [k + 0.5, k - 0.5, math.nextafter(k, math.inf), math.nextafter(k, -math.inf)]
            else:
                raw += [math.floor(k), math.ceil(k)]
        raw += [0, 1, -1, 2, 7, 100, 0.5, -0.5, 1.5, 10**6, -(10**6)]
        for s in (other, space):
            if s is not None and s.dtype.integral:
                lo, hi = s.dtype.int_range() or (0, 0)
                raw += [lo, hi, lo - 1, hi + 1]
        raw += [2**31, 2**53 + 1, 1e12, -1e12, 1e300, math.inf, -math.inf]
    elif fam == "bool":
        raw += [False, True]
    elif fam == "str":
        raw += _strings(other) + _strings(space)
        for s in (other, space):
            if s is None:
                continue
            for kind, pattern in s.patterns:
                if kind in ("match", "contains"):
                    samples = sample_regex(pattern, search=kind == "contains")
                    raw += samples + [x + "~" for x in samples]
                else:
                    raw += [pattern, pattern + "x", "x" + pattern]
            for n in (s.len_lo, s.len_hi):
                if n is not None:
                    raw += ["x" * max(n - 1, 0), "x" * n, "x" * (n + 1)]
        raw += [str(k) for k in _nums(other) + _nums(space)]
        raw += ["", "a", "b", "A", "0", "x" * 12, "other"]
        if space.patterns:  # combine the space's own prefixes/suffixes
            starts = [p for k, p in space.patterns if k == "startswith"]
            ends = [p for k, p in space.patterns if k == "endswith"]
            for st in starts or [""]:
                for en in ends or [""]:
                    raw += [st + en, st + "x" + en]
    elif fam == "datetime":
        import pandas as pd

        consts = [
            c for c in (other.constants() if other else []) + space.constants() if _is_time(c)
        ]
        for k in consts:
            t = pd.Timestamp(k)
            raw += [t, t + pd.Timedelta(1, "s"), t - pd.Timedelta(1, "s"), t + pd.Timedelta(1, "D")]
            raw += [t - pd.Timedelta(1, "D")]
        raw += [pd.Timestamp("2020-01-01"), pd.Timestamp("1970-01-01"), pd.Timestamp("2262-01-01")]
    else:
        raw += ["x", 1, 0.5, True, "", 0]
        raw += _strings(other) + _nums(other) + _strings(space) + _nums(space)
    out: list[Any] = []
    seen: set[Any] = set()
    for v in raw:
        ok, rv = space.dtype.represent(v)
        if not ok:
            continue
        key = (type(rv).__name__, repr(rv))
        if key in seen or admits(space, rv) == "no":
            continue
        seen.add(key)
        out.append(rv)
    if space.nullable:
        out.append(None)
    return out


def _is_time(v: Any) -> bool:
    return hasattr(v, "isoformat") and not isinstance(v, str)
