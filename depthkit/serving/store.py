"""Results on disk: they survive a restart, follow the code that made them, and stay bounded.

`ResultStore(folder)` keeps one file per (function, settings) under
`folder/<code hash>/`. The code hash digests the code that can change a result
(`result_modules`: depthkit.experiments and every depthkit module it imports,
transitively; not the words, charts or UI, which no Result holds) and the
versions of the libraries that compute (torch, numpy, scikit-learn), so a
result made by other code is never read (its folder is removed first when
space is needed), while an edit to a page's text keeps every result. Each
file carries a checksum of its payload: a truncated or corrupt entry is
dropped and reported as a miss, to be recomputed. Writes go to a temporary
file that is renamed into place, so two sessions writing the same entry at
once leave one whole file. The total size is kept under `max_bytes` by
removing the least recently used entries.
`ResultStore(folder, read_only=True)` only reads (the results shipped with the
app, see depthkit.serving.ship): it never removes, touches or writes a file.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import pickle
import tempfile
import threading
from pathlib import Path
from typing import Any

from depthkit.serving.imports import imported, module_files

PACKAGE = Path(__file__).resolve().parents[1]  # depthkit/
MAGIC = b"depthkit-result-1\n"
DEFAULT_MAX_BYTES = 200 * 1024 * 1024

RESULT_ROOTS = ("experiments",)  # the subpackage whose run functions make every stored result
LIBRARIES = ("torch", "numpy", "scikit-learn")  # what computes a result besides depthkit's code

_code_hash: str | None = None
_lock = threading.Lock()


def result_modules(package: Path = PACKAGE, roots: tuple[str, ...] = RESULT_ROOTS) -> list[Path]:
    """The files whose code can change a result: the modules under `roots`, every package
    module they import (transitively), and the __init__ of each package on the way
    (importing depthkit.x runs depthkit/__init__.py)."""
    modules = module_files(package)
    todo = [m for m in modules for r in roots if m == f"{package.name}.{r}" or
            m.startswith(f"{package.name}.{r}.")]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parents = [".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)]
        todo += [m for m in (*imported(name, modules[name], modules), *parents) if m in modules]
    return sorted(modules[m] for m in seen)


def modules_digest(header: str, package: Path = PACKAGE, roots: tuple[str, ...] = RESULT_ROOTS) -> str:
    """An 8-byte hex digest of `header`, then each of `result_modules(package, roots)`: its path
    (relative to the package) and its contents. The code hash here, the charts' in serving.figures."""
    h = hashlib.blake2b(digest_size=8)
    h.update(header.encode())
    for path in result_modules(package, roots):
        h.update(str(path.relative_to(package)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _library_versions() -> str:
    """Release versions (no local label: 2.13.0+cpu and 2.13.0 compute alike) of LIBRARIES."""
    out = []
    for lib in LIBRARIES:
        try:
            out.append(f"{lib}=={importlib.metadata.version(lib).split('+')[0]}")
        except importlib.metadata.PackageNotFoundError:
            out.append(f"{lib}==none")
    return "\n".join(out)


def code_hash(package: Path = PACKAGE) -> str:
    """A digest of `result_modules(package)` (paths and contents) and the library versions,
    computed once for depthkit."""
    global _code_hash
    if package == PACKAGE and _code_hash is not None:
        return _code_hash
    digest = modules_digest(_library_versions(), package)
    if package == PACKAGE:
        _code_hash = digest
    return digest


class ResultStore:
    """A bounded, versioned, crash-safe file cache of picklable results."""

    def __init__(self, folder: str | Path, max_bytes: int = DEFAULT_MAX_BYTES, version: str | None = None,
                 read_only: bool = False):
        self.folder = Path(folder)
        self.max_bytes = int(max_bytes)
        self.version = version or code_hash()
        self.read_only = read_only

    def _path(self, name: str, settings: Any) -> tuple[Path, bytes]:
        key = hashlib.blake2b(f"{name}\n{settings!r}".encode(), digest_size=16).hexdigest()
        return self.folder / self.version / f"{key}.pkl", key.encode()

    def get(self, name: str, settings: Any) -> Any | None:
        """The stored result of `name(settings)` from this code, or None (missing, corrupt, older code)."""
        path, key = self._path(name, settings)
        try:
            blob = path.read_bytes()
        except OSError:
            return None
        value = _decode(blob, key)
        if self.read_only:
            return value
        if value is None:
            path.unlink(missing_ok=True)  # corrupt or foreign: recompute and overwrite
            return None
        try:
            os.utime(path)  # recently used
        except OSError:
            pass
        return value

    def put(self, name: str, settings: Any, value: Any) -> None:
        """Store `value` atomically, then trim the store to its size bound."""
        if self.read_only:
            raise PermissionError(f"{self.folder} is read-only")
        path, key = self._path(name, settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        blob = MAGIC + key + b"\n" + hashlib.blake2b(payload, digest_size=16).hexdigest().encode() + b"\n"
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(blob + payload)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.trim()

    def entries(self) -> list[Path]:
        """Every entry file, of every code version."""
        return [p for p in self.folder.glob("*/*.pkl") if p.is_file()]

    def path(self, name: str, settings: Any) -> Path:
        """Where `name(settings)` of this code version is (or would be) kept."""
        return self._path(name, settings)[0]

    def size(self) -> int:
        return sum(_size(p) for p in self.entries())

    def trim(self) -> None:
        """Remove other code versions' entries, then the least recently used, until under max_bytes."""
        with _lock:
            for old in self.folder.glob("*"):
                if old.is_dir() and old.name != self.version:
                    for p in old.glob("*"):
                        p.unlink(missing_ok=True)
                    try:
                        old.rmdir()
                    except OSError:
                        pass
            files = sorted(self.entries(), key=_mtime)
            total = sum(_size(p) for p in files)
            for p in files:
                if total <= self.max_bytes:
                    break
                total -= _size(p)
                p.unlink(missing_ok=True)


def _decode(blob: bytes, key: bytes) -> Any | None:
    header_end = len(MAGIC) + len(key) + 1 + 32 + 1
    if not blob.startswith(MAGIC + key + b"\n") or len(blob) < header_end:
        return None
    checksum, payload = blob[len(MAGIC) + len(key) + 1:header_end - 1], blob[header_end:]
    if hashlib.blake2b(payload, digest_size=16).hexdigest().encode() != checksum:
        return None
    try:
        return pickle.loads(payload)
    except Exception:  # an unpicklable entry (e.g. a class that no longer exists) is a miss
        return None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
