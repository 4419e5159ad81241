"""A package's import graph, read from its source with ast (nothing is imported).

Used by depthkit.serving.store (which modules can change a stored result) and by
tests/test_structure.py (import rules and cycles).
"""

from __future__ import annotations

import ast
import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path


def module_files(package: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of the package (named after its folder)."""
    out = {}
    for path in package.rglob("*.py"):
        parts = (package.name, *path.relative_to(package).with_suffix("").parts)
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that `name` imports anywhere in its file (functions included)."""
    return {t for t in _targets(name, path) if t in modules and t != name}


# (module name, file, its bytes' digest) -> every dotted name its imports mention. The code
# hashes of depthkit.serving.store and depthkit.serving.figures walk the same files; parsing was most of
# their time (~0.3 s on a slow core, paid by a fresh server's first visitor).
_TARGETS: dict[tuple[str, str, bytes], tuple[str, ...]] = {}
_TARGETS_LOCK = threading.Lock()


def _targets(name: str, path: Path) -> tuple[str, ...]:
    source = path.read_bytes()
    key = (name, str(path), hashlib.blake2b(source, digest_size=16).digest())
    with _TARGETS_LOCK:
        found = _TARGETS.get(key)
    if found is None:
        found = tuple(_parse_targets(name, path, source))
        with _TARGETS_LOCK:
            _TARGETS[key] = found
    return found


def _parse_targets(name: str, path: Path, source: bytes) -> list[str]:
    found: list[str] = []
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in _statements(ast.parse(source).body):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from .x import y
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            found += [base] + [f"{base}.{a.name}" for a in node.names]
    return found


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement, nested ones included (function and class bodies, branches, handlers):
    where an import can be. Expressions are not walked: most of a module's nodes, none an import."""
    for node in body:
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                yield from _statements(inner)
