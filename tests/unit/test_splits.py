"""Unit tests of datalife.splits: the modes, the report, rebalancing and every bad input."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from datalife.errors import OutputNotWritable, SplitConfigError, SplitDataError
from datalife.splits import (
    SPLIT_ATTR,
    WEIGHT_COLUMN,
    SplitParams,
    mark_split,
    read_provenance,
    split,
    write_splits,
)
from datalife.splits._assign import allocate, assign_key, int_key_hash, mix64, thresholds

EIGHTY = [Fraction(8, 10), Fraction(1, 10), Fraction(1, 10)]


def frame(n: int = 100, classes: tuple[str, ...] = ("a", "b"), seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "label": rng.choice(list(classes), n),
            "user": rng.integers(0, max(n // 5, 3), n),
            "x": rng.normal(size=n),
        }
    )


# --- the hash and the allocation, against hand-computed values -------------------------


def test_mix64_is_splitmix64() -> None:
    # the first outputs of SplitMix64 seeded with 0 (state += golden gamma, then finalise)
    states = np.array([0, 0x9E3779B97F4A7C15], dtype=np.uint64)
    assert mix64(states).tolist() == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4]


def test_int_key_hash_matches_the_documented_formula() -> None:
    keys = np.array([-1, 0, 7], dtype=np.int64)
    seed_part = int(mix64(np.array([3], dtype=np.uint64))[0])
    expected = [
        int(mix64(np.array([(k % 2**64) ^ seed_part], dtype=np.uint64))[0]) for k in (-1, 0, 7)
    ]
    assert int_key_hash(keys, 3).tolist() == expected


def test_thresholds_are_fixed_fractions_of_2_to_53() -> None:
    assert thresholds(EIGHTY) == [int(Fraction(8, 10) * 2**53), int(Fraction(9, 10) * 2**53)]
    top = np.array([0, 1, 2, 3], dtype=np.uint64) * np.uint64(
        2**61
    )  # top53 = 0, .25, .5, .75 of range
    hashes = np.array([0, 2**63, (2**64 - 1)], dtype=np.uint64)
    assert assign_key(hashes, EIGHTY).tolist() == [0, 0, 2]
    assert len(top) == 4


def test_allocate_hand_computed() -> None:
    # 10 rows: 8/1/1 exactly; 3 rows: 2.4/0.3/0.3 -> one in each (a rare class appears in every split)
    assert allocate(np.array([10, 3]), EIGHTY).tolist() == [[8, 1, 1], [1, 1, 1]]
    # 15 rows: 12/1.5/1.5 -> the half rows go where the running totals are short
    assert allocate(np.array([15, 15]), EIGHTY).tolist() == [[12, 2, 1], [12, 1, 2]]
    # 2 rows cannot be in 3 splits
    assert allocate(np.array([2]), EIGHTY).tolist() == [[2, 0, 0]]


# --- the modes --------------------------------------------------------------------------


def test_exact_stratified_hits_every_target() -> None:
    df = pd.DataFrame({"y": ["a"] * 50 + ["b"] * 30 + ["c"] * 20, "v": range(100)})
    result = split(df, stratify="y")
    counts = {s: result[s]["y"].value_counts().to_dict() for s in ("train", "dev", "test")}
    assert counts == {
        "train": {"a": 40, "b": 24, "c": 16},
        "dev": {"a": 5, "b": 3, "c": 2},
        "test": {"a": 5, "b": 3, "c": 2},
    }
    assert result.report.max_row_deviation == 0
    assert result.report.largest_deviation is not None
    assert abs(result.report.largest_deviation.share_deviation) < 1e-12


def test_outputs_keep_input_order_and_index_and_are_flagged() -> None:
    df = frame(50)
    result = split(df)
    for name in ("train", "dev", "test"):
        part = result[name]
        assert part.index.is_monotonic_increasing
        assert part.attrs[SPLIT_ATTR] == name
        pd.testing.assert_frame_equal(part, df.loc[part.index])
    assert result.assignment.tolist() == [
        {"train": 0, "dev": 1, "test": 2}[n]
        for n in pd.concat([result[s].assign(_s=s) for s in ("train", "dev", "test")]).sort_index()[
            "_s"
        ]
    ]


def test_seed_changes_the_shuffle_but_not_the_counts() -> None:
    df = frame(200)
    a = split(df, stratify="label", seed=1)
    b = split(df, stratify="label", seed=2)
    assert a.report.rows == b.report.rows
    assert not np.array_equal(a.assignment, b.assignment)
    assert np.array_equal(a.assignment, split(df, stratify="label", seed=1).assignment)


def test_group_mode_keeps_groups_whole_and_reports_how_close() -> None:
    df = frame(300)
    result = split(df, group="user", stratify="label")
    seen: dict[int, str] = {}
    for name in ("train", "dev", "test"):
        for u in result[name]["user"].unique():
            assert seen.setdefault(int(u), name) == name
    groups = result.report.groups
    assert groups is not None
    assert groups.overlap == 0
    assert groups.count == df["user"].nunique()
    assert sum(groups.per_split.values()) == groups.count
    assert result.report.largest_deviation is not None
    assert result.report.to_dict()["groups"]["overlap"] == 0


def test_group_nulls_are_singleton_groups() -> None:
    df = pd.DataFrame({"g": [1, 1, 2, 2, 3, 3, None, None, None, None], "v": range(10)})
    result = split(df, group="g", ratios=(0.5, 0.25, 0.25))
    assert result.report.groups is not None
    assert result.report.groups.count == 7
    assert any("no 'g' value" in w for w in result.report.warnings)


def test_key_mode_is_stable_under_appends_and_row_order() -> None:
    df = frame(500)
    before = split(df, key="id")
    more = pd.concat([df, frame(300, seed=1).assign(id=lambda d: d["id"] + 10_000)])
    after = split(more.sample(frac=1, random_state=3), key="id")
    where = {}
    for name in ("train", "dev", "test"):
        where.update(dict.fromkeys(after[name]["id"].tolist(), name))
    for name in ("train", "dev", "test"):
        assert all(where[i] == name for i in before[name]["id"])


def test_key_mode_string_keys_use_md5_of_seed_and_key() -> None:
    import hashlib

    df = pd.DataFrame({"k": [f"user-{i}" for i in range(400)]})
    result = split(df, key="k", seed=7)
    for i, k in enumerate(df["k"]):
        h = int.from_bytes(hashlib.md5(f"7:{k}".encode()).digest()[:8], "little")
        u = (h >> 11) / 2**53
        expected = 0 if u < 0.8 else 1 if u < 0.9 else 2
        assert result.assignment[i] == expected


def test_key_and_group_hash_the_group() -> None:
    df = frame(400)
    result = split(df, key="id", group="user")
    assert result.report.mode == "key"
    assert result.report.groups is not None
    assert result.report.groups.overlap == 0
    sizes = result.report.sizes
    assert all(s.noise_sd is not None and s.noise_sd > 0 for s in sizes)


def test_key_mode_reports_noise_and_deviation() -> None:
    df = frame(10_000)
    report = split(df, key="id", stratify="label").report
    for s in report.sizes:
        assert s.noise_sd is not None
        assert abs(s.deviation) < 5 * s.noise_sd
    assert report.largest_deviation is not None
    assert report.max_row_deviation is not None
    assert report.max_row_deviation > 1  # not exact: binomial noise


def test_rare_class_with_fewer_rows_than_splits_is_reported() -> None:
    df = pd.DataFrame({"y": ["a"] * 40 + ["r"] * 2, "v": range(42)})
    report = split(df, stratify="y").report
    assert report.missing_classes == [{"class": "r", "rows": 2, "splits": ["dev", "test"]}]
    assert any("'r'" in w for w in report.warnings)


def test_multi_column_stratify() -> None:
    df = pd.DataFrame({"a": ["x", "y"] * 50, "b": ["p"] * 50 + ["q"] * 50, "v": range(100)})
    result = split(df, stratify=["a", "b"])
    labels = [c.label for c in result.report.classes]
    assert labels == ["x | p", "x | q", "y | p", "y | q"]
    assert result.report.max_row_deviation is not None
    assert result.report.max_row_deviation < 1


def test_null_stratify_values_are_their_own_class() -> None:
    df = pd.DataFrame({"y": ["a"] * 20 + [None] * 10, "v": range(30)})
    report = split(df, stratify="y").report
    assert [c.label for c in report.classes] == ["a", "<null>"]
    assert report.classes[1].split_rows == {"train": 8, "dev": 1, "test": 1}


def test_duplicates_shared_across_splits_are_reported() -> None:
    df = pd.DataFrame({"x": list(range(40)) * 2, "id": range(80)})
    report = split(df, key="id").report
    dup = report.duplicates
    assert dup.checked
    assert dup.excluded_columns == ["id"]
    assert dup.duplicated_rows == 80
    assert dup.shared_contents > 0
    assert dup.shared_rows >= 2 * dup.shared_contents
    assert sum(dup.pairs.values()) >= dup.shared_contents
    assert dup.examples
    assert not report.ok
    assert any("exact duplicate" in w for w in report.warnings)
    # with an id column, every row differs: nothing shared
    assert split(df, ratios=(0.5, 0.25, 0.25)).report.duplicates.shared_rows == 0


def test_duplicate_check_can_be_skipped() -> None:
    dup = split(frame(30), check_duplicates=False).report.duplicates
    assert not dup.checked


def test_report_to_dict_has_the_documented_fields() -> None:
    d = split(frame(100), stratify="label", group="user").report.to_dict()
    assert set(d) == {
        "mode",
        "parameters",
        "rows",
        "sizes",
        "classes",
        "largest_deviation",
        "max_row_deviation",
        "missing_classes",
        "groups",
        "duplicates",
        "rebalance",
        "drift",
        "warnings",
    }
    assert d["rows"]["total"] == 100
    assert d["drift"] == {"id": None, "label": None, "user": None, "x": None}
    assert d["parameters"] == {
        "mode": "group",
        "ratios": [0.8, 0.1, 0.1],
        "stratify": ["label"],
        "group": "user",
        "key": None,
        "seed": 0,
        "rebalance": None,
    }


# --- rebalancing train only -------------------------------------------------------------


@pytest.mark.parametrize("method", ["downsample", "upsample", "weight"])
def test_rebalance_changes_train_only(method: str) -> None:
    df = pd.DataFrame({"y": ["a"] * 90 + ["b"] * 30, "v": range(120)})
    plain = split(df, stratify="y")
    bal = split(df, stratify="y", rebalance=method)
    for name in ("dev", "test"):
        pd.testing.assert_frame_equal(plain[name], bal[name])
    train = bal.train
    stats = bal.report.rebalance
    assert stats is not None
    assert stats.rows_before == 96
    if method == "downsample":
        assert train["y"].value_counts().to_dict() == {"a": 24, "b": 24}
        assert set(train.index) <= set(plain.train.index)
    elif method == "upsample":
        assert train["y"].value_counts().to_dict() == {"a": 72, "b": 72}
        assert set(train.index) == set(plain.train.index)
    else:
        # balanced weights: n_train / (classes * n_class) = 96 / (2 * 72), 96 / (2 * 24)
        weights = train.groupby("y")[WEIGHT_COLUMN].first().to_dict()
        assert weights == pytest.approx({"a": 96 / 144, "b": 2.0})
        assert WEIGHT_COLUMN not in bal.dev.columns
        assert train.groupby("y")[WEIGHT_COLUMN].sum().to_dict() == pytest.approx(
            {"a": 48, "b": 48}
        )
    assert stats.rows_after == len(train)


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratios", "message"),
    [
        ((0.5, 0.3, 0.1), "must sum to 1"),
        ((0.8, 0.2), "three values"),
        ((0.9, 0.1, 0.0), "leave test empty"),
        ((1.1, -0.05, -0.05), "leave dev empty"),
        ("0.8,0.1,0.1", "string"),
        ((0.8, "x", 0.1), "must be numbers"),
    ],
)
def test_bad_ratios_are_config_errors(ratios: object, message: str) -> None:
    with pytest.raises(SplitConfigError, match=message) as info:
        split(frame(20), ratios=ratios)  # type: ignore[arg-type]
    assert info.value.exit_code == 2


def test_unknown_columns_say_did_you_mean() -> None:
    for kwargs in ({"stratify": "lable"}, {"group": "usr"}, {"key": "idd"}):
        with pytest.raises(SplitConfigError, match="did you mean") as info:
            split(frame(20), **kwargs)  # type: ignore[arg-type]
        assert info.value.exit_code == 2
        assert info.value.column is not None


def test_bad_options() -> None:
    with pytest.raises(SplitConfigError, match="needs the class column"):
        split(frame(20), rebalance="downsample")
    with pytest.raises(SplitConfigError, match="did you mean 'upsample'"):
        split(frame(20), stratify="label", rebalance="upsampel")
    with pytest.raises(SplitConfigError, match="seed"):
        split(frame(20), seed=-1)
    with pytest.raises(SplitConfigError, match="twice"):
        split(frame(20), stratify=["label", "label"])
    with pytest.raises(SplitConfigError, match="already"):
        split(frame(20).assign(sample_weight=1.0), stratify="label", rebalance="weight")
    with pytest.raises(SplitConfigError, match="provenance"):
        write_splits(split(frame(20)), Path("unused"), provenance={"bogus": 1})


def test_all_null_columns_are_data_errors() -> None:
    df = frame(20).assign(empty=None)
    for kwargs in ({"stratify": "empty"}, {"group": "empty"}):
        with pytest.raises(SplitDataError, match="null in all 20 rows") as info:
            split(df, **kwargs)  # type: ignore[arg-type]
        assert info.value.exit_code == 1


def test_a_class_with_one_row() -> None:
    df = pd.DataFrame({"y": ["a"] * 20 + ["lonely"], "v": range(21)})
    with pytest.raises(SplitDataError, match="single row") as info:
        split(df, stratify="y")
    assert info.value.rows == [20]
    assert "lonely" in str(info.value)
    assert "merge rare classes" in str(info.value)


def test_duplicate_and_null_keys() -> None:
    df = pd.DataFrame({"k": [1, 2, 3, 2, 5, 1], "v": range(6)})
    with pytest.raises(SplitDataError, match="duplicates") as info:
        split(df, key="k")
    assert info.value.rows == [0, 5, 1, 3]
    assert "key 1: rows 0, 5" in str(info.value)
    strings = pd.DataFrame({"k": ["a", "b", "a"] + [f"x{i}" for i in range(20)]})
    with pytest.raises(SplitDataError, match="duplicates"):
        split(strings, key="k")
    nulls = pd.DataFrame({"k": [1.0, None, 3.0, *range(4, 30)]})
    with pytest.raises(SplitDataError, match="null in 1 of 29 rows") as info:
        split(nulls, key="k")
    assert info.value.rows == [1]


def test_too_few_rows_or_groups() -> None:
    with pytest.raises(SplitDataError, match="dev and test would be empty"):
        split(frame(2))
    with pytest.raises(SplitDataError, match="no rows"):
        split(frame(0))
    df = pd.DataFrame({"g": [1, 1, 2, 2], "v": range(4)})
    with pytest.raises(SplitDataError, match="2 distinct value"):
        split(df, group="g")


def test_unwritable_output(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(OutputNotWritable, match="not a directory") as info:
        split(frame(20), out=target)
    assert info.value.exit_code == 2


def test_write_splits_provenance_and_atomic_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = split(frame(60), stratify="label")
    written = write_splits(result, tmp_path / "out", provenance={"schema": "s@2", "run_id": "r1"})
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "dev.parquet",
        "split_report.json",
        "test.parquet",
        "train.parquet",
    ]
    prov = read_provenance(written.files["train"])
    assert prov is not None
    assert prov["schema"] == "s@2"
    assert "run_id" not in prov  # accepted, not stored: two identical splits are identical files
    assert prov["splits"] == {
        "train": {"file": "train.parquet", "rows": 48},
        "dev": {"file": "dev.parquet", "rows": 6},
        "test": {"file": "test.parquet", "rows": 6},
    }
    assert prov["split"] == "train"
    assert read_provenance(written.files["dev"]) == {**prov, "split": "dev"}
    assert prov["dataset_versions"] == written.dataset_versions
    assert len(written.dataset_versions[0]) == 64
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}

    import pyarrow.parquet as pq

    calls = {"n": 0}
    real = pq.write_table

    def failing(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        real(*args, **kwargs)

    monkeypatch.setattr(pq, "write_table", failing)
    other = split(frame(60, seed=5), stratify="label")
    with pytest.raises(OutputNotWritable, match="No space left"):
        write_splits(other, tmp_path / "out")
    after = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    assert after == before  # nothing half-written, no temporary files left


def test_mark_split() -> None:
    df = mark_split(pd.DataFrame({"a": [1]}), "dev")
    assert df.attrs[SPLIT_ATTR] == "dev"
    with pytest.raises(ValueError, match="split name"):
        mark_split(df, "validation")


def test_params_mode_and_columns() -> None:
    p = SplitParams.build(stratify=["y"], group="g", key="k")
    assert p.mode == "key"
    assert p.columns == ["y", "g", "k"]
    assert p.fractions == (Fraction(8, 10), Fraction(1, 10), Fraction(1, 10))


def test_frame_split_report_has_drift_figures() -> None:
    import pandas as pd

    df = pd.DataFrame({"y": ["a", "b"] * 50, "x": [float(i % 7) for i in range(100)]})
    result = split(df, stratify="y", seed=3, drift=True)
    figures = result.report.drift
    assert figures["x"]["dev"]["method"] in ("wasserstein_norm", "psi")
    assert figures["y"]["test"]["method"] == "linf" and figures["y"]["test"]["value"] == 0.0
    assert split(df, stratify="y", seed=3).report.drift == {"y": None, "x": None}


_POOLS: dict[str, list[object]] = {
    "text": ["a", "b", "c", "<null>", "", "zz"],
    "int": [3, 1, 2, -5],
    "float": [1.5, float("nan"), 0.0, -2.0],
}


@given(data=st.data(), kind=st.sampled_from(sorted(_POOLS)))
def test_strata_codes_of_dictionary_arrays_are_those_of_their_values(
    data: st.DataObject, kind: str
) -> None:
    # key mode keeps text columns dictionary-encoded batch by batch: the codes and labels
    # must be those of the decoded values (a dictionary may also hold duplicates, unused
    # values or a null, as a pandas categorical or another writer's arrays can)
    import pyarrow as pa
    import pyarrow.compute as pc

    from datalife.splits._plan import encode

    pool = _POOLS[kind]
    typ = pa.array(pool).type
    values = data.draw(st.lists(st.one_of(st.none(), st.sampled_from(pool)), max_size=40))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(values)), max_size=3)))
    parts = [values[a:b] for a, b in zip([0, *cuts], [*cuts, len(values)], strict=True)]
    want_codes, want_labels = encode(pa.chunked_array([pa.array(values, type=typ)], type=typ))
    per_batch = pa.chunked_array(
        [pc.dictionary_encode(pa.array(p, type=typ)) for p in parts],
        type=pa.dictionary(pa.int32(), typ),
    )
    with_null = data.draw(st.booleans())
    slots = pool + pool[:2] + ([None] if with_null else [])

    def index(v: object) -> int | None:
        if v is None:
            return data.draw(st.sampled_from([None, len(slots) - 1])) if with_null else None
        same = [i for i, x in enumerate(slots[: len(pool) + 2]) if x == v or (x != x and v != v)]
        return int(data.draw(st.sampled_from(same)))

    by_hand = pa.chunked_array(
        [
            pa.DictionaryArray.from_arrays(
                pa.array([index(v) for v in p], type=pa.int32()), pa.array(slots, type=typ)
            )
            for p in parts
        ]
    )
    for arr in (per_batch, by_hand):
        codes, labels = encode(arr)
        assert labels == want_labels
        assert np.array_equal(codes, want_codes)
