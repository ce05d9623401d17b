"""From the fetched columns to a split plan: the split of every row, rebalancing, the report.

Everything data-dependent that can go wrong (an all-null column, a one-row class, duplicate
keys, a split that would be empty) is found here, before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from datalife.errors import SplitDataError
from datalife.splits._arrow import chunked_numpy, hash_values, int64_arrow
from datalife.splits._assign import (
    GAP,
    allocate,
    assign_exact,
    assign_groups,
    assign_key,
    assign_ordered,
    row_keys,
)
from datalife.splits.params import SPLITS, WEIGHT_COLUMN, SplitParams
from datalife.splits.report import (
    MAX_EXAMPLES,
    ClassDistribution,
    Deviation,
    DuplicateStats,
    RebalanceStats,
    SplitReport,
    TimeOrderStats,
    class_table,
    duplicate_stats,
    group_stats,
    report_warnings,
    split_sizes,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from concurrent.futures import Future

    import numpy.typing as npt
    import pyarrow as pa

    from datalife.splits._sources import Fetched

__all__ = ["Plan", "encode", "make_plan"]

NULL_LABEL = "<null>"


def _label(value: Any) -> str:
    if value is None:
        return NULL_LABEL
    if isinstance(value, float) and value != value:
        return NULL_LABEL
    return str(value)


def encode(values: pa.ChunkedArray) -> tuple[npt.NDArray[np.int64], list[str]]:
    """Codes ``0..k-1`` for the distinct values (sorted; null last and its own code)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values])
    if pa.types.is_dictionary(arr.type):
        try:
            return _encode_dictionary(arr)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # nulls in the dictionaries
            arr = pc.cast(arr, arr.type.value_type)
    if len(arr) == 0 or arr.num_chunks == 0:
        return np.zeros(0, dtype=np.int64), []
    # encoding a chunked array shares one dictionary between the chunks (no string copy)
    enc = pc.dictionary_encode(arr, null_encoding="encode")
    indices = np.concatenate([chunked_numpy(c.indices) for c in enc.chunks])
    dictionary = enc.chunks[-1].dictionary
    order = np.asarray(
        chunked_numpy(pc.array_sort_indices(dictionary, null_placement="at_end")), dtype=np.int64
    )
    if bool(np.all(order[1:] > order[:-1])):
        codes = indices.astype(np.int64)
    else:
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order), dtype=np.int64)
        codes = rank[indices]
    labels = [_label(v) for v in dictionary.take(int64_arrow(order)).to_pylist()]
    return codes, labels


def _encode_dictionary(arr: pa.ChunkedArray) -> tuple[npt.NDArray[np.int64], list[str]]:
    """:func:`encode` of a dictionary array, without decoding it: the dictionary's values are
    encoded (sorted, equal values merged), each row takes its value's code, and values no row
    uses are dropped, so the result is that of the decoded values."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = [c for c in arr.unify_dictionaries().chunks if len(c)]
    if not chunks:
        return np.zeros(0, dtype=np.int64), []
    dictionary = chunks[0].dictionary  # one dictionary for all the chunks, once unified
    dcodes, labels = encode(pa.chunked_array([dictionary], type=dictionary.type))
    indices = np.concatenate(
        [chunked_numpy(pc.fill_null(c.indices, 0) if c.null_count else c.indices) for c in chunks]
    )
    codes = dcodes[indices] if len(dcodes) else np.zeros(len(indices), dtype=np.int64)
    if arr.null_count:  # a null row has the code of a null value: last
        if dictionary.null_count:
            null_code = int(dcodes[int(np.flatnonzero(chunked_numpy(dictionary.is_null()))[0])])
        else:
            null_code = len(labels)
            labels = [*labels, NULL_LABEL]
        valid = np.concatenate([chunked_numpy(c.is_valid()) for c in chunks])
        codes[~valid] = null_code
    used = np.bincount(codes, minlength=len(labels)) > 0
    if not used.all():
        codes = (np.cumsum(used) - 1)[codes]
        labels = [label for label, u in zip(labels, used, strict=True) if u]
    return codes, labels


def _combine(
    parts: Sequence[tuple[npt.NDArray[np.int64], list[str]]],
) -> tuple[npt.NDArray[np.int64], list[str]]:
    codes, labels = parts[0]
    for c2, l2 in parts[1:]:
        joint = codes * len(l2) + c2
        uniq, inverse = np.unique(joint, return_inverse=True)
        labels = [f"{labels[int(u) // len(l2)]} | {l2[int(u) % len(l2)]}" for u in uniq]
        codes = inverse.astype(np.int64)
    return codes, labels


@dataclass
class Plan:
    """The split of every input row, plus train's rebalancing, plus the report.

    Attributes:
        assign: per input row, 0 (train), 1 (dev) or 2 (test).
        reps: per input row, how many times it is written to train (rebalanced by
            resampling), else None.
        weights: per input row, its class weight (``rebalance="weight"``), else None.
        report: the split report.
    """

    assign: npt.NDArray[np.int8]
    reps: npt.NDArray[np.int32] | None
    weights: npt.NDArray[np.float64] | None
    report: SplitReport

    def count(self, split: int) -> int:
        """Rows of a split (train counted as rebalanced)."""
        if split == 0 and self.reps is not None:
            return int(self.reps[self.assign == 0].sum())
        return int(np.count_nonzero(self.assign == split))

    def rows_of(self, split: int) -> npt.NDArray[np.int64]:
        """Input row numbers of a split, in input order (train repeated as rebalanced)."""
        idx = np.flatnonzero(self.assign == split)
        if split == 0 and self.reps is not None:
            idx = np.repeat(idx, self.reps[idx])
        return idx

    @property
    def weight_column(self) -> str | None:
        return WEIGHT_COLUMN if self.weights is not None else None


def _check_not_all_null(arr: pa.ChunkedArray, column: str, role: str, n: int) -> None:
    if arr.null_count == n:
        raise SplitDataError(
            f"{role} column {column!r} is null in all {n:,} rows",
            column=column,
            hint=f"{role} by a column that has values, or fill this one first.",
        )


def _strata(fetched: Fetched, params: SplitParams) -> tuple[npt.NDArray[np.int64], list[str]]:
    n = fetched.n_rows
    if not params.stratify:
        return np.zeros(n, dtype=np.int64), []
    parts = []
    for col in params.stratify:
        arr = fetched.arrays[col]
        _check_not_all_null(arr, col, "stratify", n)
        parts.append(encode(arr))
    return _combine(parts)


def _check_no_singletons(
    codes: npt.NDArray[np.int64], labels: list[str], params: SplitParams
) -> None:
    sizes = np.bincount(codes, minlength=len(labels))
    single = np.flatnonzero(sizes == 1)
    if len(single) == 0:
        return
    details = []
    for c in single[:MAX_EXAMPLES]:
        row = int(np.flatnonzero(codes == c)[0])
        details.append(f"class {labels[int(c)]!r}: 1 row (row {row})")
    cols = ", ".join(params.stratify)
    raise SplitDataError(
        f"{len(single)} class(es) of {cols} have a single row, which cannot be in train and "
        "in dev/test at once",
        column=params.stratify[0],
        rows=[int(np.flatnonzero(codes == c)[0]) for c in single[:MAX_EXAMPLES]],
        details=details,
        hint="drop these rows or merge rare classes into one (for example 'other'), "
        "or split without stratify.",
    )


def _increasing(arr: pa.ChunkedArray) -> bool:
    """Whether integer keys (without nulls) strictly increase: then they are unique."""
    last = None
    for chunk in arr.chunks:
        ints = chunked_numpy(chunk)
        if len(ints) == 0:
            continue
        if (last is not None and not ints[0] > last) or not bool(np.all(ints[1:] > ints[:-1])):
            return False
        last = ints[-1]
    return True


def _check_keys(arr: pa.ChunkedArray, hashes: npt.NDArray[np.uint64], column: str) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(arr)
    if arr.null_count:
        nulls = np.flatnonzero(np.asarray(chunked_numpy(pc.is_null(arr))))
        raise SplitDataError(
            f"key column {column!r} is null in {arr.null_count:,} of {n:,} rows",
            column=column,
            rows=[int(r) for r in nulls[:MAX_EXAMPLES]],
            hint="every row needs a key: fill the missing keys, or split without --key.",
        )
    if pa.types.is_integer(arr.type) and _increasing(arr):
        return
    hs = np.sort(hashes)
    same = hs[1:] == hs[:-1]
    if not same.any():
        return
    dup_hashes = np.unique(hs[1:][same])
    rows = np.flatnonzero(np.isin(hashes, dup_hashes))
    values = arr.take(int64_arrow(rows)).to_pylist()
    by_value: dict[Any, list[int]] = {}
    for r, v in zip(rows.tolist(), values, strict=True):
        by_value.setdefault(v, []).append(r)
    dups = {v: rs for v, rs in by_value.items() if len(rs) > 1}
    if not dups:  # 64-bit hash collision between different keys: harmless
        return
    shown = list(dups.items())[:MAX_EXAMPLES]
    raise SplitDataError(
        f"key column {column!r} has duplicates: {len(dups):,} key(s) appear more than once",
        column=column,
        rows=[r for _, rs in shown for r in rs[:3]],
        details=[f"key {v!r}: rows {', '.join(map(str, rs[:5]))}" for v, rs in shown],
        hint="a key must identify one row: deduplicate the data, pick a unique column, "
        "or use --group for a column shared by related rows.",
    )


def _check_nonempty(assign: npt.NDArray[np.int8], params: SplitParams, why: str) -> None:
    empty = [s for j, s in enumerate(SPLITS) if not np.any(assign == j)]
    if empty:
        n = len(assign)
        raise SplitDataError(
            f"{' and '.join(empty)} would be empty: {why}",
            hint=f"split more data (now {n:,} rows), or give {' and '.join(empty)} a larger ratio.",
        )


def _rebalance(
    plan_assign: npt.NDArray[np.int8],
    codes: npt.NDArray[np.int64],
    labels: list[str],
    order_keys: npt.NDArray[np.uint64],
    method: str,
) -> tuple[npt.NDArray[np.int32] | None, npt.NDArray[np.float64] | None, RebalanceStats]:
    n = len(plan_assign)
    train = np.flatnonzero(plan_assign == 0)
    tcodes = codes[train]
    counts = np.bincount(tcodes, minlength=len(labels))
    present = np.flatnonzero(counts > 0)
    before: dict[str, dict[str, float]] = {
        labels[int(c)]: {"before": int(counts[c])} for c in present
    }
    if method == "weight":
        w_c = np.zeros(len(labels), dtype=np.float64)
        w_c[present] = len(train) / (len(present) * counts[present])
        weights = np.zeros(n, dtype=np.float64)
        weights[train] = w_c[tcodes]
        for c in present:
            before[labels[int(c)]].update({"after": int(counts[c]), "weight": float(w_c[c])})
        return None, weights, RebalanceStats(method, len(train), len(train), before)
    target = int(counts[present].min() if method == "downsample" else counts[present].max())
    order = np.lexsort((order_keys[train], tcodes))
    sorted_rows = train[order]
    starts = np.searchsorted(tcodes[order], np.arange(len(labels) + 1))
    reps = np.ones(n, dtype=np.int32)
    for c in present:
        block = sorted_rows[starts[c] : starts[c + 1]]
        n_c = len(block)
        if method == "downsample":
            reps[block] = 0
            reps[block[:target]] = 1
        else:
            reps[block] = target // n_c
            reps[block[: target % n_c]] += 1
        before[labels[int(c)]]["after"] = target
    after = int(reps[train].sum())
    return reps, None, RebalanceStats(method, len(train), after, before)


def make_plan(fetched: Fetched, params: SplitParams, columns: Sequence[str]) -> Plan:
    """Assign every row to a split and build the report (raises :class:`SplitDataError`)."""
    n = fetched.n_rows
    if n == 0:
        raise SplitDataError("there are no rows to split", hint="check the input is not empty.")
    if params.mode != "key":
        return _make_plan(fetched, params, columns, None)
    from concurrent.futures import ThreadPoolExecutor

    # the key checks (hashing, sorting: numpy without the GIL) run beside the strata's
    # encoding; their errors are still raised after the strata's, as in one thread
    with ThreadPoolExecutor(1, thread_name_prefix="datalife-keys") as pool:
        keys = pool.submit(_key_hashes, fetched, params)
        return _make_plan(fetched, params, columns, keys)


def _key_hashes(fetched: Fetched, params: SplitParams) -> npt.NDArray[np.uint64]:
    """Key mode: the hash of every key, after checking the keys are unique and not null."""
    assert params.key is not None
    karr = fetched.arrays[params.key]
    if karr.null_count:
        _check_keys(karr, np.zeros(0, dtype=np.uint64), params.key)
    key_hash = fetched.key_hash
    if key_hash is None:
        key_hash = hash_values(karr, params.seed)
    _check_keys(karr, key_hash, params.key)
    return key_hash


def _make_plan(
    fetched: Fetched,
    params: SplitParams,
    columns: Sequence[str],
    keys: Future[npt.NDArray[np.uint64]] | None,
) -> Plan:
    n = fetched.n_rows
    codes, labels = _strata(fetched, params)
    mode = params.mode
    warnings: list[str] = []
    group_codes: npt.NDArray[np.int64] | None = None
    group_labels: list[str] = []
    if params.group is not None:
        garr = fetched.arrays[params.group]
        _check_not_all_null(garr, params.group, "group", n)
        group_codes, group_labels = encode(garr)
        if garr.null_count:
            # a null group value says nothing about the row: each such row is its own group
            null_code = len(group_labels) - 1
            nulls = np.flatnonzero(group_codes == null_code)
            group_codes = group_codes.copy()
            group_codes[nulls] = len(group_labels) - 1 + np.arange(len(nulls))
            group_labels = group_labels[:-1] + [f"{NULL_LABEL}#{int(r)}" for r in nulls]
            warnings.append(
                f"{len(nulls):,} rows have no {params.group!r} value; each is treated as its own group"
            )

    time_order: TimeOrderStats | None = None
    if mode == "time":
        assert params.order_by is not None
        order = _order_values(fetched.arrays[params.order_by], params.order_by)
        assign = assign_ordered(order, params.fractions, params.gap, group_codes, len(group_labels))
        _check_nonempty(assign, params, f"{n:,} rows ordered by {params.order_by!r}")
        time_order = _time_order(fetched.arrays[params.order_by], order, assign, params.order_by)
        if not time_order.ok:
            warnings.append(
                f"{time_order.late_train_rows:,} train rows are later than the first dev/test "
                f"row ({time_order.eval_min}): their {params.group!r} groups span the cut and "
                "were kept whole in train"
            )
        order_keys = row_keys(n, params.seed)
    elif mode == "exact":
        if params.stratify:
            _check_no_singletons(codes, labels, params)
        n_strata = max(len(labels), 1)
        sizes = np.bincount(codes, minlength=n_strata)
        totals = allocate(sizes, params.fractions).sum(axis=0)
        if (totals == 0).any():
            empty = [s for j, s in enumerate(SPLITS) if totals[j] == 0]
            raise SplitDataError(
                f"{' and '.join(empty)} would be empty: {n:,} rows × "
                + ", ".join(f"{params.ratios[SPLITS.index(s)]:g}" for s in empty)
                + " is less than one row",
                hint="split more rows, or give that split a larger ratio.",
            )
        assign = assign_exact(codes, n_strata, params.fractions, params.seed)
        order_keys = row_keys(n, params.seed)
    elif mode == "group":
        assert group_codes is not None
        assert params.group is not None
        n_groups = len(group_labels)
        if n_groups < len(SPLITS):
            raise SplitDataError(
                f"group column {params.group!r} has {n_groups} distinct value(s); "
                f"whole groups cannot fill {len(SPLITS)} splits",
                column=params.group,
                hint="group by a finer column, or split without --group.",
            )
        uniq_hash = _group_hashes(fetched.arrays[params.group], group_codes, n_groups, params.seed)
        result = assign_groups(
            group_codes,
            n_groups,
            codes,
            max(len(labels), 1),
            uniq_hash,
            params.fractions,
        )
        assign = result.rows
        _check_nonempty(assign, params, f"{n_groups:,} groups could not be spread over 3 splits")
        order_keys = row_keys(n, params.seed)
    else:
        assert keys is not None
        key_hash = keys.result()
        if params.group is not None and group_codes is not None:
            ghash = _group_hashes(
                fetched.arrays[params.group], group_codes, len(group_labels), params.seed
            )
            row_hash = ghash[group_codes]
            gnull = np.asarray(chunked_numpy(fetched.arrays[params.group].is_null()))
            order_keys = np.where(gnull, key_hash, row_hash)
        else:
            order_keys = key_hash
        assign = assign_key(order_keys, params.fractions)
        _check_nonempty(
            assign,
            params,
            f"with {n:,} rows no key hashed into its range (key mode shares are random)",
        )
        if params.stratify:
            sizes = np.bincount(codes, minlength=len(labels))
            single = int((sizes == 1).sum())
            if single:
                warnings.append(f"{single} class(es) have a single row")

    excluded = [params.key] if params.key else []
    dup = duplicate_stats(assign, _without_gap(fetched.row_hash, assign), excluded)
    if dup.duplicated_rows and not fetched.row_hash_complete and fetched.full_hash is not None:
        # equal on the fixed-width columns: compare every column
        dup = duplicate_stats(assign, _without_gap(fetched.full_hash(), assign), excluded)
    reps = weights = None
    rebalance_stats = None
    if params.rebalance is not None:
        reps, weights, rebalance_stats = _rebalance(
            assign, codes, labels, order_keys, params.rebalance
        )
    report = _report(
        params,
        assign,
        codes,
        labels,
        group_codes,
        group_labels,
        dup,
        rebalance_stats,
        columns,
        warnings,
    )
    if time_order is not None:
        from dataclasses import replace

        report = replace(report, time_order=time_order)
    return Plan(assign=assign, reps=reps, weights=weights, report=report)


def _without_gap(
    row_hash: npt.NDArray[np.uint64] | None, assign: npt.NDArray[np.int8]
) -> npt.NDArray[np.uint64] | None:
    """Row hashes where time mode's gap rows (in no split) can match nothing."""
    if row_hash is None:
        return None
    gap = assign == GAP
    if not gap.any():
        return row_hash
    out = row_hash.copy()
    out[gap] = row_keys(len(assign), 0xDA7A11FE)[gap]  # distinct, random-looking values
    return out


def _order_values(arr: pa.ChunkedArray, column: str) -> npt.NDArray[Any]:
    """A sortable number per row: timestamps and dates as integers, numbers as floats,
    anything else by its sorted rank (ISO date strings sort in time order)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(arr)
    nulls = arr.null_count
    typ = arr.type
    values: npt.NDArray[Any]
    if pa.types.is_timestamp(typ) or pa.types.is_date(typ) or pa.types.is_time(typ):
        width = (
            pa.int32()
            if pa.types.is_date32(typ) or typ == pa.time32("s") or typ == pa.time32("ms")
            else pa.int64()
        )
        values = chunked_numpy(pc.cast(arr, width)).astype(np.int64)
    elif pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ):
        values = chunked_numpy(pc.cast(arr, pa.float64())).astype(np.float64)
        if not nulls:
            nan = np.isnan(values)
            if nan.any():
                nulls = int(nan.sum())
    else:
        codes, labels = encode(arr)
        values = codes
        if nulls:
            nulls = int(np.count_nonzero(codes == len(labels) - 1)) if NULL_LABEL in labels else 0
    if nulls:
        missing = (
            np.flatnonzero(np.asarray(chunked_numpy(arr.is_null())))
            if arr.null_count
            else np.flatnonzero(np.isnan(values))
        )
        raise SplitDataError(
            f"order_by column {column!r} has {nulls:,} missing values of {n:,}: a row without "
            "a time cannot be placed before or after the others",
            column=column,
            rows=[int(r) for r in missing[:MAX_EXAMPLES]],
            hint="fill or drop those rows first, or order by another column.",
        )
    return values


def _time_order(
    arr: pa.ChunkedArray,
    order: npt.NDArray[Any],
    assign: npt.NDArray[np.int8],
    column: str,
) -> TimeOrderStats:
    """The leakage check of time mode, with each split's period."""

    def shown(i: int) -> str | None:
        value = arr.take(int64_arrow(np.array([i]))).to_pylist()[0]
        if value is None:
            return None
        return value.isoformat() if hasattr(value, "isoformat") else str(value)

    periods: dict[str, list[str | None]] = {}
    for j, name in enumerate(SPLITS):
        rows = np.flatnonzero(assign == j)
        if len(rows):
            periods[name] = [
                shown(int(rows[np.argmin(order[rows])])),
                shown(int(rows[np.argmax(order[rows])])),
            ]
    train = np.flatnonzero(assign == 0)
    evals = np.flatnonzero((assign == 1) | (assign == 2))
    if not len(train) or not len(evals):
        return TimeOrderStats(column, None, None, 0, int(np.count_nonzero(assign == GAP)), periods)
    first_eval = int(evals[np.argmin(order[evals])])
    last_train = int(train[np.argmax(order[train])])
    late = int(np.count_nonzero(order[train] > order[first_eval]))
    return TimeOrderStats(
        column=column,
        train_max=shown(last_train),
        eval_min=shown(first_eval),
        late_train_rows=late,
        gap_rows=int(np.count_nonzero(assign == GAP)),
        periods=periods,
    )


def _group_hashes(
    arr: pa.ChunkedArray, group_codes: npt.NDArray[np.int64], n_groups: int, seed: int
) -> npt.NDArray[np.uint64]:
    """The key-mode hash of each group's value (null groups: of their first row number)."""

    _, first = np.unique(group_codes, return_index=True)
    assert len(first) == n_groups
    values = arr.take(int64_arrow(first))
    hashes = hash_values(values, seed)
    if values.null_count:
        nulls = np.asarray(chunked_numpy(values.is_null()))
        hashes[nulls] = row_keys(len(group_codes), seed)[first[nulls]]
    return hashes


def _report(
    params: SplitParams,
    assign: npt.NDArray[np.int8],
    codes: npt.NDArray[np.int64],
    labels: list[str],
    group_codes: npt.NDArray[np.int64] | None,
    group_labels: list[str],
    dup: DuplicateStats,
    rebalance_stats: RebalanceStats | None,
    columns: Sequence[str],
    warnings: list[str],
) -> SplitReport:
    unit_sq_sum: float | None = None
    if params.mode == "key":
        if group_codes is not None:
            unit_sq_sum = float((np.bincount(group_codes).astype(np.float64) ** 2).sum())
        else:
            unit_sq_sum = float(len(assign))
    sizes = split_sizes(assign, params, unit_sq_sum)
    classes: list[ClassDistribution] = []
    largest: Deviation | None = None
    max_rows: float | None = None
    missing: list[dict[str, Any]] = []
    if params.stratify:
        classes, largest, max_rows, missing = class_table(assign, codes, labels, params)
    groups = None
    if params.group is not None and group_codes is not None:
        groups = group_stats(assign, group_codes, group_labels, params.group)
    warnings.extend(report_warnings(params, sizes, missing, dup, groups))
    return SplitReport(
        params=params,
        total_rows=len(assign),
        sizes=sizes,
        classes=classes,
        largest_deviation=largest,
        max_row_deviation=max_rows,
        missing_classes=missing,
        groups=groups,
        duplicates=dup,
        rebalance=rebalance_stats,
        drift=dict.fromkeys(columns),
        warnings=warnings,
    )
