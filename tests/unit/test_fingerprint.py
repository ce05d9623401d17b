"""Transform fingerprints: a normal form of the source that no Python version changes."""

from __future__ import annotations

import ast
import json
from typing import Any

import pytest

from datalife.transforms.fingerprint import fingerprint, normalise_code, normalised_source

DECL = {"name": "ratio", "version": "1", "inputs": ["a", "b"], "outputs": ["r"]}

# The fingerprint of `_stored_case` below, as computed when the normal form was introduced.
# Any Python version must give the same: if this fails after a Python upgrade, the normal form
# depends on the interpreter (and every pipeline step would re-run). Never update it to make
# the test pass; bump NORMAL_FORM instead, and say so in the changelog.
STORED = "9e6cbec614aa9b7d704be750f1c6701d865a8d5e3b7c9e7e4d6ad9a92d5ad1aa"


def _stored_case(df: Any, *, scale: float = 1.0) -> Any:
    """Bill ratio, scaled."""
    label = f"{scale!r:>6}"  # an f-string: tokenized in parts since 3.12, its tree unchanged
    out = df.assign(r=df["a"] / df["b"] * scale, tag=label, pair=(1,), idx=df.columns[0,])
    return out[[c for c in out.columns if c != "b"]]


def test_stored_fingerprint_is_stable() -> None:
    assert fingerprint(_stored_case, DECL) == STORED


def test_normal_form_is_not_ast_dump() -> None:
    form = normalised_source(_stored_case)
    assert form is not None
    assert "Module(" not in form and "lineno" not in form  # no ast.dump, no positions
    assert "type_params" not in form and "null" not in form  # empty fields left out
    assert json.loads(form)[0] == "Module"


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


def test_precedence_counts_but_redundant_parentheses_do_not() -> None:
    assert normalise_code("y = (a + b) * 2\n") != normalise_code("y = a + b * 2\n")
    assert normalise_code("y = (a * b) + 2\n") == normalise_code("y = a * b + 2\n")
    assert ast.parse("y = 1\n")  # the form is of the parsed tree
