"""The HTML report's templates: shipped as package data, one per section, escaping on."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import jinja2
import pytest

import datalife.report.html as html
from datalife.report.html import SECTIONS, render_html

TEMPLATES = Path(html.__file__).parent / "templates"
ROOT = Path(__file__).resolve().parents[2]


def test_every_section_has_its_template() -> None:
    for name in SECTIONS:
        assert (TEMPLATES / "sections" / f"{name}.html.j2").is_file(), name


def test_package_data_ships_every_template() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["datalife"]
    package = TEMPLATES.parent.parent
    shipped = [p for p in TEMPLATES.rglob("*") if p.is_file() and p.suffix in (".j2", ".css")]
    assert shipped
    for path in shipped:
        rel = path.relative_to(package).as_posix()
        assert any(fnmatch.fnmatchcase(rel, g) for g in globs), f"{rel} is not package data"


def test_values_are_escaped_everywhere() -> None:
    evil = "<img src=x onerror=alert(1)>"
    data = {
        "workspace": {"name": evil, "root": evil},
        "scope": evil,
        "datasets": [
            {
                "name": evil,
                "globs": [evil],
                "schema_name": evil,
                "validation": {"status": "error", "message": evil, "hint": f"run `{evil}`"},
                "statistics": {"status": "empty", "message": evil},
                "drift": {"status": "empty", "message": evil},
                "versions": {"status": "empty", "message": evil},
            }
        ],
        "splits": {"status": "empty", "message": evil},
        "lineage": {"status": "ok", "kinds": {evil: 1}, "issues": [evil], "nodes": [], "edges": []},
    }
    page = render_html(data)
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<code>&lt;img" in page  # a hint's command, as code, still escaped


def test_a_new_section_is_one_template(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "sections").mkdir()
    (tmp_path / "sections" / "extra.html.j2").write_text(
        "<section id='extra'>{{ data.get('extra') }}</section>", encoding="utf-8"
    )
    env = html._environment()
    assert env.loader is not None
    monkeypatch.setattr(
        env, "loader", jinja2.ChoiceLoader([jinja2.FileSystemLoader(tmp_path), env.loader])
    )
    monkeypatch.setattr(html, "SECTIONS", (*SECTIONS, "extra"))
    if env.cache is not None:
        env.cache.clear()
    page = render_html({"workspace": {}, "datasets": [], "extra": "<b>"})
    assert "<section id='extra'>&lt;b&gt;</section>" in page
