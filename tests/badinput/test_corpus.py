"""Every case of the bad-input corpus (``corpus.py``) against its command, in-process.

Asserted for each: no "internal error" and no traceback, the documented exit code, a message
naming the file (or option) at fault, and on failure nothing changed on disk (no partial
output, no schema or state file touched; the lineage log may gain complete lines only).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.badinput.corpus import Case, corpus
from tests.faults.harness import make_workspace

pytestmark = pytest.mark.badinput

CASES = corpus()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("badinput") / "ws")


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file but the lineage logs (which may gain a FAIL event), with its bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and not (p.parent.name == "lineage" and p.name.endswith((".jsonl", ".gitattributes")))
    }


def logs(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "lineage").glob("*.jsonl"))}


def test_corpus_size() -> None:
    assert len(CASES) >= 150, len(CASES)
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            c,
            id=c.id,
            marks=[pytest.mark.xfail(strict=True, reason=c.engine_issue)] if c.engine_issue else [],
        )
        for c in CASES
    ],
)
def test_bad_input(
    case: Case,
    template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from datalife.cli import main

    root = tmp_path / "ws"
    shutil.copytree(template, root)
    if case.setup is not None:
        case.setup(root)
    before, logs_before = snapshot(root), logs(root)
    monkeypatch.chdir(root)
    monkeypatch.setenv("NO_COLOR", "1")
    code = main(list(case.argv))
    out = capsys.readouterr()
    text = out.out + out.err
    assert "internal error" not in text, text
    assert "Traceback" not in text, text
    expected = case.exit if isinstance(case.exit, tuple) else (case.exit,)
    assert code in expected, f"exit {code}, expected {case.exit}\n{text}"
    if case.mention is not None and (code != 0 or case.exit == 0):  # names what is at fault
        assert case.mention in text, f"{case.mention!r} not named\n{text}"
    for needle in case.extra:
        assert needle in text, text
    assert "\x1b" not in text, "a control character reached the terminal"
    if code != 0 and case.unchanged:
        after = snapshot(root)
        assert after == before, (
            f"changed on failure: {sorted(set(after) ^ set(before)) or 'contents'}"
        )
        for name, data in logs(root).items():  # only complete lines appended
            old = logs_before.get(name, b"")
            assert (data.startswith(old) and data[len(old) :].endswith(b"\n")) or data == old
