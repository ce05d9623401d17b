"""Code fingerprints: a hash of a transform's normalised source plus its declaration.

The source is parsed and dumped with :func:`ast.dump` (no line numbers), with docstrings and
the decorators and the name of the top-level definition removed, so reformatting, comments,
docs and renaming do not change the fingerprint; any change to what the code does does. The declaration (name, version,
inputs, outputs, parameters) is hashed with it, so bumping ``version`` always gives a new
fingerprint. Code whose source cannot be read (defined in a REPL, ``exec``) falls back to its
compiled bytecode, which is stable for one Python version.

Examples:
    >>> def f(df):
    ...     return df  # a comment
    >>> def g(df):
    ...     '''Docs do not count.'''
    ...     return (df)
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

__all__ = ["fingerprint", "normalised_source"]


class _StripDocs(ast.NodeTransformer):
    def _strip(self, node: Any) -> Any:
        body = node.body
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
        self.generic_visit(node)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        return self._strip(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> Any:
        return self._strip(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        return self._strip(node)


def normalised_source(obj: Any) -> str | None:
    """``ast.dump`` of the definition of ``obj`` (a function or class) without docstrings,
    comments, formatting or its own decorators; None if the source cannot be read."""
    try:
        source = inspect.getsource(obj)
    except (OSError, TypeError):
        return None
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:  # e.g. a lambda in the middle of an expression
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            node.decorator_list = []
            node.name = "_"  # renaming the definition does not change what it does
    tree = _StripDocs().visit(tree)
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


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
        "code": src if src is not None else None,
        "bytecode": None if src is not None else _bytecode(code),
    }
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return blake3.blake3(payload.encode()).hexdigest()
