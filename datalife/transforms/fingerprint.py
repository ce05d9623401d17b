"""Code fingerprints: a hash of a transform's normalised source plus its declaration.

The source is tokenized (:mod:`tokenize`) and written back as one canonical token stream:
comments, blank lines, line breaks inside brackets, indentation width, quote style,
trailing commas, docstrings (and other bare string statements), the decorators and the
name of the top-level definition are left out. So reformatting (by hand or by black/ruff),
comments, docs and renaming do not change the fingerprint; any change to what the code
does does. The form depends on the source's tokens only, not on the Python version
running it (unlike :func:`ast.dump`, whose output changes between Python versions, so an
upgrade would re-run every step): f-strings, tokenized in parts since Python 3.12, are
taken whole. The declaration (name, version, inputs, outputs, parameters) is hashed with
it, so bumping ``version`` always gives a new fingerprint. Code whose source cannot be read
(defined in a REPL, ``exec``) falls back to its compiled bytecode, stable for one Python
version only.

Examples:
    >>> def f(df):
    ...     return df.assign(x = 1)  # a comment
    >>> def g(df):
    ...     "Docs do not count."
    ...     return df.assign(
    ...         x=1,
    ...     )
    >>> fingerprint(f, {"name": "t", "version": "1"}) == fingerprint(g, {"name": "t", "version": "1"})
    True
    >>> fingerprint(f, {"name": "t", "version": "1"}) == fingerprint(f, {"name": "t", "version": "2"})
    False
"""

from __future__ import annotations

import ast
import inspect
import io
import json
import keyword
import marshal
import textwrap
import token
import tokenize
import types
from collections.abc import Iterator, Mapping
from typing import Any

import blake3

__all__ = ["fingerprint", "normalise_code", "normalised_source"]

NORMAL_FORM = 2
"""Version of the normal form (part of every fingerprint): 1 was ``ast.dump``."""

_SKIP = {token.COMMENT, token.NL, token.ENCODING, token.ENDMARKER}
_OPEN, _CLOSE = "([{", ")]}"


def _tokens(source: str) -> Iterator[tuple[int, str]]:
    """``(type, text)`` of the source's tokens; an f-string (split in parts since Python
    3.12) is one STRING token with its exact source text."""
    lines = source.splitlines(keepends=True)
    fstart = getattr(token, "FSTRING_START", None)
    fend = getattr(token, "FSTRING_END", None)
    depth = 0
    begin = (0, 0)
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if fstart is not None and tok.type == fstart:
            if depth == 0:
                begin = tok.start
            depth += 1
            continue
        if depth:
            if tok.type == fend:
                depth -= 1
                if depth == 0:
                    yield token.STRING, _slice(lines, begin, tok.end)
            continue
        if tok.type not in _SKIP:
            yield tok.type, tok.string


def _slice(lines: list[str], start: tuple[int, int], end: tuple[int, int]) -> str:
    (r0, c0), (r1, c1) = start, end
    if r0 == r1:
        return lines[r0 - 1][c0:c1]
    return lines[r0 - 1][c0:] + "".join(lines[r0 : r1 - 1]) + lines[r1 - 1][:c1]


def _string(text: str) -> str:
    """One spelling per string literal (quote style and escapes do not count)."""
    prefix = text[: len(text) - len(text.lstrip("rRbBuUfF"))].lower()
    if "f" in prefix:
        return text  # an f-string's expressions stay as written
    try:
        return repr(ast.literal_eval(text))
    except (ValueError, SyntaxError):  # pragma: no cover - tokenize gave a valid literal
        return text


def _logical_lines(source: str) -> list[list[tuple[int, str]]]:
    lines: list[list[tuple[int, str]]] = [[]]
    for kind, text in _tokens(source):
        if kind == token.NEWLINE or (kind == token.OP and text == ";"):
            lines.append([])
        elif kind in (token.INDENT, token.DEDENT):
            lines[-1].append((kind, ""))
        else:
            lines[-1].append((kind, text))
    return [line for line in lines if line]


def normalise_code(source: str) -> str:
    r"""The canonical token form of ``source`` (see the module docs).

    Examples:
        >>> normalise_code("@cache\ndef  f(a,):\n    '''doc'''\n    return  {'k': a}  # c\n")
        "def _ ( a ) : <i> return { 'k' : a } <d>"
    """
    out: list[str] = []
    named = False
    for line in _logical_lines(textwrap.dedent(source)):
        marks = [t for t in line if t[0] in (token.INDENT, token.DEDENT)]
        body = [t for t in line if t[0] not in (token.INDENT, token.DEDENT)]
        out.extend("<i>" if k == token.INDENT else "<d>" for k, _ in marks)
        if not body:
            continue
        if all(k == token.STRING for k, _ in body):
            continue  # a docstring or another bare string: no effect
        if not named and not marks and body[0] == (token.OP, "@"):
            continue  # a decorator of the definition itself
        words = _canonical(body)
        if not named and words and words[0] in ("def", "class", "async"):
            at = 2 if words[0] == "async" else 1
            if len(words) > at:
                words[at] = "_"  # renaming the definition does not change what it does
            named = True
        out.append(" ".join(words))
    return " ".join(out)


def _canonical(body: list[tuple[int, str]]) -> list[str]:
    """Token texts with strings spelled one way and trailing commas dropped where they
    change nothing (not the comma of a one-element tuple)."""
    words: list[str] = []
    stack: list[tuple[str, int, bool]] = []  # (bracket, commas at its level, is a call)
    for kind, raw in body:
        text = _string(raw) if kind == token.STRING else raw
        if kind == token.OP and text in _OPEN:
            last = words[-1] if words else ""
            call = last[-1:] in (")", "]") or (last.isidentifier() and not keyword.iskeyword(last))
            stack.append((text, 0, call))
        elif kind == token.OP and text == "," and stack:
            bracket, commas, call = stack[-1]
            stack[-1] = (bracket, commas + 1, call)
        elif kind == token.OP and text in _CLOSE and stack:
            bracket, commas, call = stack.pop()
            # (a,) and x[a,] hold a one-element tuple; f(a,) and [a,] do not
            one_tuple = commas == 1 and (bracket == "(") != call
            if words and words[-1] == "," and not one_tuple:
                words.pop()
        words.append(text)
    return words


def normalised_source(obj: Any) -> str | None:
    """The canonical token form of the definition of ``obj`` (a function or class); None if
    its source cannot be read or tokenized."""
    try:
        source = inspect.getsource(obj)
    except (OSError, TypeError):
        return None
    try:
        return normalise_code(source)
    except (tokenize.TokenError, SyntaxError):
        return None


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
