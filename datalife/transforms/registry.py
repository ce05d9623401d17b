"""``TransformRegistry``: the transforms a project declares, found in its modules.

There is no module-level registry: a ``TransformRegistry`` is an object you make (the
pipeline makes one per run from the module names in ``datalife.toml``), so two workspaces or
two tests never see each other's transforms.

Examples:
    >>> import pandas as pd
    >>> from datalife.transforms import transform
    >>> @transform(name="double", version=1, inputs=["x"], outputs=["x2"])
    ... def double(df):
    ...     return pd.DataFrame({"x2": df["x"] * 2})
    >>> reg = TransformRegistry([double])
    >>> reg.get("double").ref, "double@1" in reg, len(reg)
    ('double@1', True, 1)
    >>> reg.create("zscore", columns=["x"]).ref
    'zscore@1'
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from datalife.errors import TransformDefinitionError, closest
from datalife.transforms.core import (
    FittedTransform,
    StatefulTransform,
    Transform,
    load_fitted,
    read_artifact,
)

__all__ = ["AnyTransform", "TransformRegistry"]

AnyTransform = Transform | StatefulTransform


def _version_key(version: str) -> tuple[int, int, str]:
    return (0, int(version), "") if version.isdigit() else (1, 0, version)


class TransformRegistry:
    """Transforms by ``name@version``; built-ins are made on demand with :meth:`create`."""

    def __init__(self, transforms: Iterable[AnyTransform] = ()) -> None:
        self._by_ref: dict[str, AnyTransform] = {}
        self.modules: list[str] = []
        for t in transforms:
            self.register(t)

    # -- registering -----------------------------------------------------------------------

    def register(self, t: AnyTransform) -> AnyTransform:
        """Add ``t``; the same transform again is a no-op, another one with its ref an error."""
        if not isinstance(t, Transform | StatefulTransform):
            raise TransformDefinitionError(
                f"cannot register {type(t).__name__}: not a transform",
                hint="decorate a function or class with @transform(...), or use a built-in.",
            )
        existing = self._by_ref.get(t.ref)
        if existing is not None:
            if existing is t or (
                existing.origin == t.origin and existing.fingerprint == t.fingerprint
            ):
                return existing
            raise TransformDefinitionError(
                f"two different transforms are named {t.ref}: {existing.origin} and {t.origin}",
                details=[
                    f"{existing.origin}: fingerprint {existing.fingerprint[:12]}",
                    f"{t.origin}: fingerprint {t.fingerprint[:12]}",
                ],
                hint="rename one, or bump the version of the newer one (built-ins take name=...).",
            )
        self._by_ref[t.ref] = t
        return t

    def discover(
        self, modules: Sequence[str], *, path: Sequence[str | Path] = ()
    ) -> list[AnyTransform]:
        """Import ``modules`` and register every transform defined at their top level.

        Args:
            modules: dotted module names (as listed in ``datalife.toml``).
            path: directories to import from (e.g. the workspace root), searched first.

        Raises:
            TransformDefinitionError: a module cannot be imported (not found, or it raised),
                or two different transforms share a ``name@version``.
        """
        found: list[AnyTransform] = []
        extra = [str(Path(p).resolve()) for p in path]
        saved = list(sys.path)
        sys.path[:0] = [p for p in extra if p not in sys.path]
        try:
            for name in modules:
                module = _import(name, extra)
                for value in list(vars(module).values()):
                    if isinstance(value, Transform | StatefulTransform):
                        found.append(self.register(value))
                if name not in self.modules:
                    self.modules.append(name)
        finally:
            sys.path[:] = saved
        return found

    # -- looking up ------------------------------------------------------------------------

    def __contains__(self, ref: object) -> bool:
        if not isinstance(ref, str):
            return False
        if "@" in ref:
            return ref in self._by_ref
        return any(t.name == ref for t in self._by_ref.values())

    def __iter__(self) -> Iterator[AnyTransform]:
        return iter(sorted(self._by_ref.values(), key=lambda t: (t.name, _version_key(t.version))))

    def __len__(self) -> int:
        return len(self._by_ref)

    def refs(self) -> list[str]:
        return [t.ref for t in self]

    def versions(self, name: str) -> list[str]:
        """The registered versions of ``name``, oldest first."""
        return sorted(
            (t.version for t in self._by_ref.values() if t.name == name), key=_version_key
        )

    def get(self, name: str, version: int | str | None = None) -> AnyTransform:
        """A registered transform by ``name`` (latest version), ``name@version`` or both args."""
        if "@" in name and version is None:
            name, version = name.split("@", 1)
        versions = self.versions(name)
        if not versions:
            from datalife.transforms.builtins import BUILTINS

            near = closest(name, [t.name for t in self._by_ref.values()])
            hint = (
                f"{name!r} is a built-in: make it with registry.create({name!r}, ...)."
                if name in BUILTINS
                else f"did you mean {near[0]!r}?"
                if near
                else "define it with @transform(...) in a module listed in datalife.toml."
            )
            raise TransformDefinitionError(
                f"no transform named {name!r} (registered: {', '.join(self.refs()) or 'none'})",
                hint=hint,
            )
        v = versions[-1] if version is None else str(version)
        found = self._by_ref.get(f"{name}@{v}")
        if found is None:
            raise TransformDefinitionError(
                f"transform {name!r} has no version {v} (versions: {', '.join(versions)})",
                hint=f"use one of {', '.join(f'{name}@{x}' for x in versions)}.",
            )
        return found

    def create(self, name: str, **config: Any) -> AnyTransform:
        """A built-in transform (``zscore``, ``minmax``, ... see :data:`BUILTINS`) configured so."""
        from datalife.transforms.builtins import BUILTINS

        factory = BUILTINS.get(name)
        if factory is None:
            near = closest(name, BUILTINS)
            raise TransformDefinitionError(
                f"no built-in transform {name!r} (built-ins: {', '.join(sorted(BUILTINS))})",
                hint=f"did you mean {near[0]!r}?" if near else "see docs/transforms.md.",
            )
        try:
            made: AnyTransform = factory(**config)
        except TypeError as exc:
            raise TransformDefinitionError(
                f"built-in {name!r}: {exc}",
                hint="see docs/transforms.md for its parameters.",
            ) from None
        return made

    def load_fitted(
        self, path: str | Path, *, expected_hash: str | None = None, allow_code_change: bool = False
    ) -> FittedTransform:
        """Load a saved fitted transform, bound to the registered transform (or the built-in
        rebuilt from its recorded configuration)."""
        art = read_artifact(path, expected_hash)
        name, version, config = art.get("transform"), art.get("version"), art.get("config") or {}
        ref = f"{name}@{version}"
        if ref in self._by_ref:
            t = self._by_ref[ref]
        else:
            from datalife.transforms.builtins import BUILTINS

            factory = BUILTINS.get(str(config.get("builtin", "")))
            if factory is None:
                raise TransformDefinitionError(
                    f"{path}: fitted parameters of {ref}, which is not registered",
                    hint="discover the module that defines it before loading its parameters.",
                )
            args = {k: v for k, v in config.items() if k != "builtin"}
            t = factory(name=name, **args)
        if not isinstance(t, StatefulTransform):
            raise TransformDefinitionError(f"{ref} is stateless: it has no fitted parameters")
        return load_fitted(
            path, t, expected_hash=expected_hash, allow_code_change=allow_code_change
        )

    def to_dict(self) -> dict[str, Any]:
        return {"modules": list(self.modules), "transforms": [t.to_dict() for t in self]}

    def __repr__(self) -> str:
        return f"<TransformRegistry {', '.join(self.refs()) or '(empty)'}>"


def _import(name: str, path: Sequence[str]) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            where = f" (searched {', '.join(path)} and the installed packages)" if path else ""
            raise TransformDefinitionError(
                f"transform module {name!r} not found{where}",
                hint="check the module names under [pipeline] in datalife.toml; a module is "
                "found relative to the workspace root or among installed packages.",
            ) from None
        raise _import_failed(name, exc) from exc
    except Exception as exc:
        raise _import_failed(name, exc) from exc


def _import_failed(name: str, exc: BaseException) -> TransformDefinitionError:
    return TransformDefinitionError(
        f"importing transform module {name!r} failed: {type(exc).__name__}: {exc}",
        hint="fix the module (run `python -c 'import "
        + name
        + "'` for the traceback); a transform's own errors name it.",
    )
