"""Terminal tables fold long cells instead of cutting them (an 80-column terminal)."""

from __future__ import annotations

import re

import pytest

from datalife.cli import _render


def test_every_example_is_readable_in_80_columns(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_render, "is_terminal", lambda stream=None: True)
    monkeypatch.setenv("COLUMNS", "80")
    examples = [
        "sample_data/penguins_2010_batch_from_the_field_station.csv:122: 999.0",
        "incoming/2010.csv:2: 'Emperor'",
    ]
    _render.table(
        ["column", "check", "failing", "examples", "what it means"],
        [
            ["bill_length_mm", "in_range(32.1, 59.6)", 1, examples[0], "values outside range"],
            ["species", "isin(['Adelie', 'Chinstrap', 'Gentoo'])", 1, examples[1], "unseen"],
        ],
    )
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in out  # nothing is cut off with an ellipsis
    # read the examples column back: its cells, top to bottom, joined without the padding
    cells = [re.split(r"[│┃]", line) for line in lines if line.startswith(("│", "┃"))]
    column = "".join(c[4].strip() for c in cells if len(c) > 5)
    for example in examples:
        assert example.replace(" ", "") in column.replace(" ", "")
