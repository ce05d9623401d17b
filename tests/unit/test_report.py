"""The HTML report: what it shows for a busy workspace, escaping, and graceful degradation."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from datalife.config import Workspace, init_workspace
from datalife.errors import ConfigError, OutputNotWritable, WorkspaceNotFound
from datalife.report import ReportResult, build_report, collect_report, write_report
from tests.conftest import REPO

EVIL = "<script>alert(1)</script>"


class Page(HTMLParser):
    """Tags, attributes and text of a page, to assert on structure rather than substrings."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def sections(self) -> list[str]:
        return [str(a["data-section"]) for _, a in self.tags if a.get("data-section")]

    def all_text(self) -> str:
        return " ".join(self.text)


def assert_self_contained(html: str) -> None:
    """No scripts, no network: nothing that fetches or runs."""
    page = Page(html)
    tags = {t for t, _ in page.tags}
    assert "script" not in tags and "link" not in tags and "iframe" not in tags
    assert "img" not in tags and "object" not in tags and "embed" not in tags
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in ("src", "href") and value:
                assert value.startswith("#"), (tag, name, value)
    assert "@import" not in html and "url(http" not in html
    links = set(re.findall(r"https?://[^\s'\"<>)]+", html))
    assert links <= {"http://www.w3.org/2000/svg"}, links
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


def copy_sample(root: Path) -> Path:
    root.mkdir(parents=True)
    shutil.copy(REPO / "datalife.toml", root / "datalife.toml")
    shutil.copytree(REPO / "sample_data", root / "sample_data")
    shutil.copytree(REPO / "schemas", root / "schemas")
    (root / "lineage").mkdir()
    return root


def bad_batch(root: Path) -> Path:
    """sample_data/2010.csv: an unknown species and an out-of-range bill length."""
    rows = (root / "sample_data" / "2009.csv").read_text().splitlines()
    rows[3] = rows[3].replace("Gentoo", "Emperor").replace("Adelie", "Emperor")
    rows[3] = rows[3].replace("Chinstrap", "Emperor")
    rows.append("Adelie,Dream,999,18,190,3500,male,2009")
    path = root / "sample_data" / "2010.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def busy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, str]]:
    """A sample workspace with two recorded versions (valid, then invalid), a saved profile
    of the first, and a stratified split; plus its report."""
    from datalife.splits import split
    from datalife.stats import save_profile, stats
    from datalife.validation import validate_files

    root = copy_sample(tmp_path_factory.mktemp("busy") / "ws")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)  # as the CLI runs: paths are recorded relative to the workspace
        ws = Workspace.find(root)
        files = ws.dataset_files("penguins")
        assert validate_files(files, workspace=ws, record=True).valid
        save_profile(stats(files, dataset="penguins", workspace=ws), ws)
        split(files, stratify="species", out=root / "splits")
        bad_batch(root)
        report = validate_files(ws.dataset_files("penguins"), workspace=ws, record=True)
        assert not report.valid
        yield ws, build_report(ws)


def test_busy_report_has_every_section(busy: tuple[Workspace, str]) -> None:
    _, html = busy
    assert html.startswith("<!DOCTYPE html>")
    assert_self_contained(html)
    page = Page(html)
    sections = page.sections()
    for name in ("overview", "dataset", "validation", "statistics", "drift", "splits", "lineage"):
        assert name in sections, name
    text = page.all_text()
    assert "Dataset penguins" in text and "penguins@1" in text
    svgs = [a for t, a in page.tags if t == "svg"]
    assert len(svgs) >= 8 + 8 + 2 + 1  # histograms, drift overlays, split charts, lineage


def test_validation_shows_failing_examples(busy: tuple[Workspace, str]) -> None:
    _, html = busy
    text = Page(html).all_text()
    assert "invalid" in text
    assert "sample_data/2010.csv:4" in text and "'Emperor'" in text
    assert "sample_data/2010.csv:122" in text and "999" in text
    assert "in_range(32.1, 59.6)" in text


def test_versions_drift_and_splits(busy: tuple[Workspace, str]) -> None:
    ws, html = busy
    data = collect_report(ws, "penguins").to_dict()
    ds = data["datasets"][0]
    versions = ds["versions"]["items"]
    assert len(versions) == 2
    assert [v["latest"]["valid"] for v in versions] == [True, False]
    assert versions[-1]["current"] and versions[-1]["latest"]["failures"]
    drift = ds["drift"]
    assert drift["status"] == "ok" and drift["basis"] == "versions"
    comp = drift["comparisons"][0]
    assert comp["baseline"]["label"].startswith("version ")
    assert comp["current"]["label"] == "current files"
    by_col = {c["column"]: c for c in comp["columns"]}
    assert by_col["species"]["overlay"]["kind"] == "categorical"
    assert "Emperor" in by_col["species"]["overlay"]["values"]
    assert by_col["bill_length_mm"]["overlay"]["edges"][-1] == pytest.approx(999.0)
    assert comp["metrics"] is not None and "drifted" in comp["metrics"]
    assert by_col["species"]["metrics"]["linf"] is not None
    splits = data["splits"]
    assert splits["status"] == "ok"
    item = splits["items"][0]
    assert item["dir"] == "splits" and item["has_report"]
    assert [s["split"] for s in item["sizes"]] == ["train", "dev", "test"]
    assert sum(s["rows"] for s in item["sizes"]) == 344
    assert {c["class"] for c in item["classes"]} == {"Adelie", "Chinstrap", "Gentoo"}
    assert "Class balance" in html and "Rows per split" in html
    lineage = data["lineage"]
    assert lineage["status"] == "ok"
    kinds = {n["kind"] for n in lineage["nodes"]}
    assert {"dataset", "run", "schema"} <= kinds
    assert any(e["type"] == "validated_by" and e["valid"] is False for e in lineage["edges"])
    json.dumps(data)  # JSON-ready


def test_write_report_is_atomic_and_readable(busy: tuple[Workspace, str], tmp_path: Path) -> None:
    ws, _ = busy
    out = tmp_path / "r.html"
    out.write_text("old")
    result = write_report(ws, "penguins", out, drift=False)
    assert isinstance(result, ReportResult)
    assert result.path == out and result.bytes == out.stat().st_size
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert out.stat().st_mode & 0o044 == 0o044  # readable by others, like any shared file
    info = result.to_dict()
    assert info["sections"]["penguins.drift"] == "skipped"
    assert info["sections"]["splits"] == "ok"
    assert not [p for p in tmp_path.iterdir() if p.name != "r.html"]  # no temp files left


def test_report_does_not_change_the_workspace(busy: tuple[Workspace, str]) -> None:
    ws, _ = busy

    def snapshot() -> dict[str, int]:
        return {
            str(p.relative_to(ws.root)): p.stat().st_mtime_ns
            for p in ws.root.rglob("*")
            if p.is_file()
        }

    before = snapshot()
    build_report(ws)
    assert snapshot() == before


def test_hostile_names_are_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd
    import pandera.pandas as pa

    from datalife.schemas.registry import SchemaRegistry
    from datalife.validation import validate_files

    init_workspace(tmp_path)
    monkeypatch.chdir(tmp_path)
    ws = Workspace.find(tmp_path)
    (tmp_path / "data").mkdir()
    frame = pd.DataFrame(
        {
            EVIL: [1, 2, 9, 3],
            "label": ["<img src=x onerror=alert(2)>", "a", "a", "b"],
        }
    )
    frame.to_csv(tmp_path / "data" / "a.csv", index=False)
    frame.assign(**{EVIL: [4, 5, 6, 7]}).to_csv(tmp_path / "data" / "b.csv", index=False)
    ws.add_dataset("<b>evil</b>", ["data/*.csv"], schema="evil")
    schema = pa.DataFrameSchema(
        {EVIL: pa.Column(int, pa.Check.le(5)), "label": pa.Column(str)}, name="evil"
    )
    SchemaRegistry(ws).save(schema, "evil", description=EVIL)
    ws = Workspace.find(tmp_path)
    report = validate_files(ws.dataset_files("<b>evil</b>"), workspace=ws, record=True)
    assert not report.valid
    html = build_report(ws)
    assert_self_contained(html)
    assert EVIL not in html and "<img" not in html and "<b>evil" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = Page(html).all_text()
    assert EVIL in text  # shown to the reader, as text
    assert "<img src=x onerror=alert(2)>" in text


def test_empty_workspace_degrades(tmp_path: Path) -> None:
    init_workspace(tmp_path)
    html = build_report(tmp_path)
    assert_self_contained(html)
    text = Page(html).all_text()
    assert "no datasets declared" in text
    assert "no splits recorded yet" in text and "datalife split" in text
    assert "no lineage recorded yet" in text


def test_half_empty_workspace_degrades(tmp_path: Path) -> None:
    """A dataset with no files, one with no schema, no lineage/ folder, a torn log line,
    a corrupted split report and a corrupted saved profile: every section says so."""
    init_workspace(tmp_path)
    ws = Workspace.find(tmp_path)
    ws.add_dataset("nofiles", ["missing/*.csv"])
    ws.add_dataset("noschema", ["raw/*.csv"])
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "x.csv").write_text("a,b\n1,x\n2,y\n")
    (tmp_path / "lineage" / "2024-01.jsonl").write_text('{"eventType": "START", "trunc')
    (tmp_path / "lineage" / "profiles").mkdir()
    (tmp_path / "lineage" / "profiles" / "abc.json").write_text("{not json")
    out = tmp_path / "out"
    out.mkdir()
    (out / "split_report.json").write_text("{broken")
    data = collect_report(tmp_path)
    sections = data.sections()
    assert sections["nofiles.validation"] == "empty"
    assert sections["noschema.validation"] == "empty"
    assert sections["noschema.statistics"] == "ok"
    assert sections["noschema.versions"] == "empty"
    assert sections["noschema.drift"] == "empty"
    problems = "\n".join(data.problems())
    assert "no files match missing/*.csv" in problems
    assert "no schema 'noschema'" in problems and "datalife schema infer" in problems
    assert data.splits["status"] == "ok"
    assert any("not readable JSON" in p for p in data.splits["items"][0]["problems"])
    html = build_report(tmp_path)
    assert_self_contained(html)
    text = Page(html).all_text()
    assert "drift needs two dataset versions" in text
    assert "no lineage recorded yet" in text


def test_a_failing_section_does_not_take_the_report_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datalife.report.collect as collect_mod

    copy_sample(tmp_path / "ws")

    def boom(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(collect_mod, "_statistics", boom)
    data = collect_report(tmp_path / "ws", drift=False)
    assert data.datasets[0]["statistics"]["status"] == "error"
    assert "disk on fire" in data.datasets[0]["statistics"]["message"]
    assert data.datasets[0]["validation"]["status"] == "ok"
    html = build_report(tmp_path / "ws", drift=False)
    assert "Could not be computed" in html  # the failed section is shown, not hidden


def test_bad_arguments_raise_clear_errors(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "ws")
    with pytest.raises(ConfigError, match="no dataset named 'penguin'") as err:
        build_report(root, "penguin")
    assert err.value.hint is not None and "penguins" in err.value.hint
    with pytest.raises(WorkspaceNotFound):
        build_report(tmp_path / "elsewhere")
    with pytest.raises(OutputNotWritable, match="directory"):
        write_report(root, out=root / "sample_data")
    with pytest.raises(OutputNotWritable, match="cannot write"):
        write_report(root, out=root / "sample_data" / "2007.csv" / "r.html", drift=False)
    made = write_report(root, out=root / "new" / "folder" / "r.html", drift=False)
    assert made.path.is_file()


def test_many_lineage_runs_are_trimmed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datalife import lineage
    from datalife.report.collect import lineage_nodes, lineage_picture

    root = copy_sample(tmp_path / "ws")
    monkeypatch.chdir(root)
    ws = Workspace.find(root)
    raw = root / "sample_data" / "2007.csv"
    for i in range(40):
        with lineage.run(f"job{i}", workspace=ws, record=True) as run:
            run.input(raw)
            out = root / f"out{i}.csv"
            out.write_text(f"x\n{i}\n")
            run.output(out)
    lg = lineage.load(ws, warn=False)
    nodes = lineage_nodes(ws, lg, None)
    picture = lineage_picture(lg, nodes, limit=30)
    assert len(picture["nodes"]) <= 30
    assert picture["total_nodes"] == len(nodes) > 30
    assert "most recent" in str(picture["note"])
    shown = {n["id"] for n in picture["nodes"]}
    assert all(e["source"] in shown and e["target"] in shown for e in picture["edges"])
    scoped = lineage_nodes(ws, lg, "penguins")
    assert any(n.startswith("run:") for n in scoped)


def _event(run: str, time: str, inputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"eventType": "COMPLETE", "eventTime": time, "run": {"runId": run}, "inputs": inputs}


def _validated(
    name: str, version: str, valid: bool, files: list[str] | None = None
) -> dict[str, Any]:
    dataset: dict[str, Any] = {"contentHash": version}
    if files is not None:
        dataset["files"] = [{"path": f, "contentHash": f"h-{f}", "rows": 1} for f in files]
    return {
        "name": name,
        "facets": {"datalife_dataset": dataset},
        "inputFacets": {
            "datalife_validation": {
                "valid": valid,
                "schema": "penguins@1",
                "datasetVersion": version,
                "rows": 3,
                "failures": [] if valid else [{"check": "isin", "failureCount": 2, "column": "x"}],
            }
        },
    }


def test_versions_read_both_log_layouts(tmp_path: Path) -> None:
    """A validation recorded per file (older logs) or as one dataset with its files."""
    from datalife.report.collect import _LogView, _versions

    root = copy_sample(tmp_path / "ws")
    ws = Workspace.find(root)
    events = [
        _event(
            "r1",
            "2024-01-01T00:00:00Z",
            [
                _validated("sample_data/2007.csv", "v1", True),
                _validated("sample_data/2008.csv", "v1", True),
            ],
        ),
        _event(
            "r2",
            "2024-02-01T00:00:00Z",
            [_validated("penguins", "v2", False, ["sample_data/2007.csv", "sample_data/2010.csv"])],
        ),
        _event("r3", "2024-03-01T00:00:00Z", [_validated("other/file.csv", "v3", True)]),
        {"eventType": "START", "eventTime": "2024-03-02T00:00:00Z", "inputs": "junk"},
    ]
    section = _versions(ws, "penguins", _LogView(events, None, []), current="v2")
    items = section["items"]
    assert [v["version"] for v in items] == ["v1", "v2"]
    assert [f["path"] for f in items[0]["files"]] == [
        "sample_data/2007.csv",
        "sample_data/2008.csv",
    ]
    assert items[1]["current"] and items[1]["latest"]["valid"] is False
    assert items[1]["latest"]["failures"][0]["failure_count"] == 2
    assert section["current_recorded"] is True
