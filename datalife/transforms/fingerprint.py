"""Code fingerprints: a hash of a transform's normalised source plus its declaration.

The source is parsed and its syntax tree written as plain JSON by :func:`_canonical_tree`,
a writer of datalife's own rather than :func:`ast.dump`, whose output changes between Python
versions (so upgrading Python would re-run every pipeline step): node type names and fields,
sorted, with empty fields left out (a field a newer Python adds with an empty default, such as
``type_params`` in 3.12, changes nothing) and no positions. Docstrings, the decorators and the
name of the top-level definition are removed, so reformatting, redundant parentheses,
comments, quotes, docs and renaming do not change the fingerprint; any change to what the
code does does. The declaration (name, version, inputs, outputs, parameters) is hashed with
it, so bumping ``version`` always gives a new fingerprint. Code whose source cannot be read
(defined in a REPL, ``exec``) falls back to its compiled bytecode, stable for one Python
version only. A stored fingerprint in the tests guards the form.

Examples:
    >>> def f(df):
    ...     return df.assign(x = 1)  # a comment
    >>> def g(df):
    ...     "Docs do not count."
    ...     return (df.assign(
    ...         x=1,
    ...     ))
    >>> fingerprint(f, {"name": "t", "version": "1"}) == fingerprint(g, {"name": "t", "version": "1"})
    True
    >>> fingerprint(f, {"name": "t", "version": "1"}) == fingerprint(f, {"name": "t", "version": "2"})
    False
"""

from __future__ import annotations

import ast
import inspect
import json
import marshal
import textwrap
import types
from collections.abc import Mapping
from typing import Any

import blake3

__all__ = ["fingerprint", "normalise_code", "normalised_source"]

NORMAL_FORM = 2
"""Version of the normal form (part of every fingerprint): 1 was ``ast.dump``'s output."""


def normalise_code(source: str) -> str:
    r"""The normal form of ``source`` (see the module docs), as compact JSON.

    Examples:
        >>> a = normalise_code("@cache\ndef  f(a,):\n    'doc'\n    return ((a))  # c\n")
        >>> a == normalise_code("def g(a):\n    return a\n")
        True
    """
    tree = ast.parse(textwrap.dedent(source))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            node.decorator_list = []
            node.name = "_"  # renaming the definition does not change what it does
    _strip_docstrings(tree)
    return json.dumps(_canonical_tree(tree), separators=(",", ":"))


def normalised_source(obj: Any) -> str | None:
    """The normal form of the definition of ``obj`` (a function or class); None if its
    source cannot be read or parsed."""
    try:
        source = inspect.getsource(obj)
    except (OSError, TypeError):
        return None
    try:
        return normalise_code(source)
    except (SyntaxError, ValueError):  # e.g. a lambda in the middle of an expression
        return None


def _strip_docstrings(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]


def _canonical_tree(node: Any) -> Any:
    """A syntax tree as plain JSON that does not depend on the Python version.

    Each node is ``[type name, {field: value}]`` with its fields sorted and the empty ones
    (``None``, ``[]``) left out: fields added by newer Pythons with empty defaults (such as
    ``type_params`` in 3.12) leave the form unchanged, and positions are never included.
    Constants keep their type (``'1'``, ``1``, ``b'1'`` and ``1.0`` differ).
    """
    if isinstance(node, ast.AST):
        fields: dict[str, Any] = {}
        for name, value in sorted(ast.iter_fields(node)):
            if value is None or value == [] or (name == "kind" and isinstance(node, ast.Constant)):
                continue
            fields[name] = _canonical_tree(value)
        return [type(node).__name__, fields]
    if isinstance(node, list):
        return [_canonical_tree(item) for item in node]
    if isinstance(node, str | int | float | complex | bytes | bool) or node is Ellipsis:
        return [type(node).__name__, repr(node)]
    return repr(node)


def _bytecode(obj: Any) -> str:
    codes: list[types.CodeType] = []
    if isinstance(obj, types.FunctionType):
        codes.append(obj.__code__)
    elif isinstance(obj, type):
        for value in vars(obj).values():
            fn = getattr(value, "__func__", value)
            if isinstance(fn, types.FunctionType):
                codes.append(fn.__code__)
    else:
        fn = getattr(obj, "__func__", None)
        if isinstance(fn, types.FunctionType):
            codes.append(fn.__code__)
    return blake3.blake3(b"".join(marshal.dumps(c) for c in codes)).hexdigest()


def fingerprint(code: Any, declaration: Mapping[str, Any]) -> str:
    """BLAKE3 hex of the normalised source of ``code`` and the JSON of ``declaration``."""
    src = normalised_source(code)
    body = {
        "declaration": dict(declaration),
        "form": NORMAL_FORM,
        "code": src if src is not None else None,
        "bytecode": None if src is not None else _bytecode(code),
    }
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return blake3.blake3(payload.encode()).hexdigest()
