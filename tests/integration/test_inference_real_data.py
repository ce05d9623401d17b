"""Inference measured on real data that PyPI packages ship (no network).

Datasets: scikit-learn's bundled tables (iris, wine, breast cancer, diabetes) and the CSV files
vega_datasets ships (airports, US employment, Iowa electricity, Seattle weather). Each is
split into parts; a schema is inferred on one part at the default policy and must accept the
others with no failure (warnings allowed): the older half accepts the newer half where the
data has an order in time, and random halves and resamples accept each other everywhere.

Then defects are injected into a legitimate part, one kind at a time; each must be caught,
naming the column (or, for a file that cannot be read, the file).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import datalife
from datalife.errors import DatalifeError
from datalife.schemas.infer import infer_schema
from datalife.schemas.model import SchemaVersion

pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("sklearn") is None, reason="scikit-learn (dev extra) missing"
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("vega_datasets") is None,
        reason="vega_datasets (dev extra) missing",
    ),
]


def _vega(name: str) -> Path:
    spec = importlib.util.find_spec("vega_datasets")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "_data" / name


def _sklearn(loader: str, label: str = "label") -> pd.DataFrame:
    datasets = importlib.import_module("sklearn.datasets")
    kwargs = {"scaled": False} if loader == "load_diabetes" else {}
    bunch = getattr(datasets, loader)(as_frame=True, **kwargs)
    frame: pd.DataFrame = bunch.frame.copy()
    names = getattr(bunch, "target_names", None)
    if names is not None and loader != "load_diabetes":
        frame[label] = [str(names[int(t)]) for t in frame.pop("target")]
    return frame


@dataclass(frozen=True)
class Dataset:
    name: str
    load: Callable[[], pd.DataFrame]
    #: the column giving the order in time (None: random splits only)
    time: str | None = None


def _iris() -> pd.DataFrame:
    # iris repeats one flower (5.8, 2.7, 5.1, 1.9, virginica): with no key in the data, the
    # inferred schema forbids whole-row duplicates, which would rightly report that row
    return _sklearn("load_iris", "species").drop_duplicates(ignore_index=True)


DATASETS = [
    Dataset("iris", _iris),
    Dataset("wine", lambda: _sklearn("load_wine", "cultivar")),
    Dataset("breast_cancer", lambda: _sklearn("load_breast_cancer", "diagnosis")),
    Dataset("diabetes", lambda: _sklearn("load_diabetes")),
    Dataset("airports", lambda: pd.read_csv(_vega("airports.csv"), dtype=str)),
    Dataset("us_employment", lambda: pd.read_csv(_vega("us-employment.csv"), dtype=str), "month"),
    Dataset(
        "iowa_electricity", lambda: pd.read_csv(_vega("iowa-electricity.csv"), dtype=str), "year"
    ),
    Dataset(
        "seattle_weather", lambda: pd.read_csv(_vega("seattle-weather.csv"), dtype=str), "date"
    ),
]


def _write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def _version(paths: list[Path], name: str) -> SchemaVersion:
    inference = infer_schema(paths, name)
    return SchemaVersion(inference.meta(), inference.schema)


def _parts(ds: Dataset) -> list[tuple[str, pd.DataFrame, pd.DataFrame]]:
    """(what, inferred on, validated) pairs."""
    frame = ds.load()
    rng = np.random.default_rng(15)
    out = []
    if ds.time is not None:
        ordered = frame.sort_values(ds.time, kind="stable")
        half = len(ordered) // 2
        out.append(("older -> newer half", ordered.iloc[:half], ordered.iloc[half:]))
    perm = rng.permutation(len(frame))
    half = len(frame) // 2
    a, b = frame.iloc[np.sort(perm[:half])], frame.iloc[np.sort(perm[half:])]
    out.append(("random half -> other half", a, b))
    out.append(("other half -> random half", b, a))
    for seed in (1, 2):
        sample = frame.sample(frac=0.5, random_state=seed)
        out.append((f"random half -> resample {seed}", a, sample))
    return out


@pytest.mark.parametrize("ds", DATASETS, ids=lambda d: d.name)
def test_legitimate_parts_pass(ds: Dataset, tmp_path: Path) -> None:
    for i, (what, train, other) in enumerate(_parts(ds)):
        version = _version([_write(train, tmp_path / f"train{i}.csv")], ds.name)
        report = datalife.validate(_write(other, tmp_path / f"other{i}.csv"), version)
        assert not report.failures, f"{ds.name}, {what}: {report.to_text()}"


# -- defects ----------------------------------------------------------------------------------

Defect = Callable[[pd.DataFrame], pd.DataFrame]


def _set(column: str, value: object, rows: slice = slice(0, 3)) -> Defect:
    def apply(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        values = out[column].astype(object).tolist()
        values[rows] = [value] * len(values[rows])
        out[column] = values
        return out

    return apply


def _scale(column: str, factor: float) -> Defect:
    def apply(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        out[column] = pd.to_numeric(out[column]) * factor
        return out

    return apply


def _swap(a: str, b: str) -> Defect:
    def apply(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        out[a], out[b] = frame[b].to_numpy(), frame[a].to_numpy()
        return out

    return apply


def _repeat_rows(n: int = 2) -> Defect:
    return lambda frame: pd.concat([frame, frame.iloc[:n]], ignore_index=True)


def _repeat_key(columns: list[str]) -> Defect:
    def apply(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for c in columns:
            out.loc[out.index[1], c] = out.loc[out.index[0], c]
        return out

    return apply


def _drop(column: str) -> Defect:
    return lambda frame: frame.drop(columns=[column])


def _rename(column: str, new: str) -> Defect:
    return lambda frame: frame.rename(columns={column: new})


def _add(column: str) -> Defect:
    return lambda frame: frame.assign(**{column: 1})


@dataclass(frozen=True)
class Case:
    kind: str
    dataset: str
    defect: Defect
    column: str


CASES = [
    Case(
        "nulls in a required column", "iris", _set("petal length (cm)", None), "petal length (cm)"
    ),
    Case("nulls in an identifier", "airports", _set("iata", None), "iata"),
    Case("negative value in a non-negative column", "wine", _set("alcohol", -13.2), "alcohol"),
    Case("value outside a domain (latitude)", "airports", _set("latitude", 123.4), "latitude"),
    Case("unseen category", "iris", _set("species", "setosa-x"), "species"),
    Case("category spelled in another case", "seattle_weather", _set("weather", "Rain"), "weather"),
    Case("swapped columns", "iris", _swap("species", "sepal width (cm)"), "species"),
    Case("unit change (x 1000)", "breast_cancer", _scale("mean area", 1000), "mean area"),
    Case("unit change (x 100, share to percent)", "diabetes", _scale("bmi", 100), "bmi"),
    Case("duplicated rows", "seattle_weather", _repeat_rows(), "date"),
    Case("duplicated identifier", "airports", _repeat_key(["iata"]), "iata"),
    Case("duplicated composite key", "iowa_electricity", _repeat_key(["year", "source"]), "year"),
    Case("text in a numeric column", "wine", _set("magnesium", "n/a (broken)"), "magnesium"),
    Case("dates in another format", "seattle_weather", _set("date", "31st of May"), "date"),
    Case("missing column", "us_employment", _drop("nonfarm"), "nonfarm"),
    Case("renamed column", "diabetes", _rename("bp", "blood_pressure"), "bp"),
    Case("unexpected column", "wine", _add("batch_id"), "batch_id"),
    Case("sign flip", "us_employment", _scale("construction", -1), "construction"),
]


@pytest.fixture(scope="module")
def schemas(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[SchemaVersion, pd.DataFrame]]:
    """Per dataset: the schema inferred on one random half, and the other (legitimate) half."""
    root = tmp_path_factory.mktemp("real")
    out = {}
    for ds in DATASETS:
        _, train, other = _parts(ds)[-4]
        out[ds.name] = (_version([_write(train, root / f"{ds.name}.csv")], ds.name), other)
    return out


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.kind)
def test_defect_is_caught_naming_the_column(
    case: Case, schemas: dict[str, tuple[SchemaVersion, pd.DataFrame]], tmp_path: Path
) -> None:
    version, good = schemas[case.dataset]
    assert datalife.validate(_write(good, tmp_path / "good.csv"), version).valid
    bad = _write(case.defect(good), tmp_path / "bad.csv")
    report = datalife.validate(bad, version)
    assert not report.valid, f"{case.kind}: not caught"
    named = {f.column for f in report.failures}
    named |= {c for f in report.failures for c in (getattr(f, "columns", None) or ())}
    text = report.to_text()
    assert case.column in named or repr(case.column) in text or case.column in text, (
        f"{case.kind}: the failures do not name {case.column!r}: {text}"
    )


def _file_defects(good: Path, tmp_path: Path) -> dict[str, Path]:
    text = good.read_text(encoding="utf-8")
    header = text.splitlines(keepends=True)[0]
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    only_header = tmp_path / "header_only.csv"
    only_header.write_text(header, encoding="utf-8")
    truncated = tmp_path / "truncated.csv"
    truncated.write_text(text[: len(text) // 2].rsplit(",", 1)[0] + "\n", encoding="utf-8")
    return {"empty file": empty, "truncated file": truncated, "header only": only_header}


@pytest.mark.parametrize("kind", ["empty file", "truncated file"])
def test_unreadable_files_are_caught_naming_the_file(
    kind: str, schemas: dict[str, tuple[SchemaVersion, pd.DataFrame]], tmp_path: Path
) -> None:
    version, good = schemas["wine"]
    path = _file_defects(_write(good, tmp_path / "good.csv"), tmp_path)[kind]
    assert path.name in _outcome(path, version)


def _outcome(path: Path, version: SchemaVersion) -> str:
    """The error's text if validation raised, else the report's (which must be invalid)."""
    try:
        report = datalife.validate(path, version)
    except DatalifeError as exc:
        return str(exc)
    assert not report.valid
    return report.to_text()


def test_header_only_file_fails_the_row_minimum(
    schemas: dict[str, tuple[SchemaVersion, pd.DataFrame]], tmp_path: Path
) -> None:
    version, good = schemas["wine"]
    assert version.spec.min_rows == 1
    path = _file_defects(_write(good, tmp_path / "good.csv"), tmp_path)["header only"]
    report = datalife.validate(path, version)
    assert not report.valid
    assert "empty" in report.to_text() or "rows" in report.to_text()


def test_values_beyond_the_observed_range_are_warnings_not_failures(
    schemas: dict[str, tuple[SchemaVersion, pd.DataFrame]], tmp_path: Path
) -> None:
    version, good = schemas["wine"]
    top = pd.to_numeric(good["alcohol"]).max()
    wider = _set("alcohol", float(top) + 5)(good)
    report = datalife.validate(_write(wider, tmp_path / "wider.csv"), version)
    assert report.valid, report.to_text()
    assert "alcohol" in {w.column for w in report.warnings}
