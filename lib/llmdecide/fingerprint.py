"""Fingerprint of everything that determines a client's report, to skip unchanged clients.

The fingerprint is a sha256 over named parts, each a hash (or a version string):

- ``params``: the bytes of the params file;
- ``measurements.usage_log`` / ``measurements.emissions_log[i]``: the measurement files the params
  file references (paths relative to it); a missing file counts as ``missing:<path>`` (validation
  reports it, the fingerprint only has to change when the file appears);
- ``catalog/<file>``: each file of the catalog folder;
- ``templates``, ``notebooks``, ``package``: every file under ``templates/``, the notebooks
  ``notebooks/*.ipynb`` and the package's ``*.py`` sources;
- ``codecarbon``, ``genai-prices``, ``ecologits``: installed versions of the pinned data libraries
  (their bundled data changes results), and ``python`` (major.minor).

File hashes are cached per process, keyed by path, modification time and size, so fingerprinting a
batch of clients reads the shared folders once.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parents[1]
CATALOG_DIR = REPO_DIR / "params" / "catalog"
TEMPLATES_DIR = REPO_DIR / "templates"
NOTEBOOKS_DIR = REPO_DIR / "notebooks"
DATA_LIBRARIES = ("codecarbon", "genai-prices", "ecologits")
MEASUREMENT_KEYS = ("usage_log", "emissions_log")
RACY_WINDOW_NS = 3_000_000_000
"""Files modified more recently than this are hashed again on every call (not cached)."""


@dataclass(frozen=True)
class Fingerprint:
    """``sha256`` over ``parts`` (input name → its hash or version), in name order."""

    sha256: str
    parts: dict[str, str] = field(default_factory=dict)

    def changed(self, previous: dict[str, str]) -> list[str]:
        """Names of the parts that differ from ``previous`` (added, removed or changed)."""
        names = set(self.parts) | set(previous)
        return sorted(n for n in names if self.parts.get(n) != previous.get(n))


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@lru_cache(maxsize=4096)
def _file_sha256_cached(path: str, mtime_ns: int, size: int, inode: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, or ``missing:<path>`` when it cannot be read.

    Cached by (path, mtime, size, inode), except for a file modified in the last few seconds:
    file-system clocks are coarse, so a same-size rewrite could keep its mtime ("racy git").
    """
    try:
        stat = path.stat()
        if time.time_ns() - stat.st_mtime_ns < RACY_WINDOW_NS:
            return _file_sha256_cached.__wrapped__(str(path), stat.st_mtime_ns, stat.st_size, 0)
        return _file_sha256_cached(str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino)
    except OSError:
        return f"missing:{path}"


def _visible(path: Path, root: Path) -> bool:
    rel = path.relative_to(root).parts
    return not any(p.startswith(".") or p == "__pycache__" for p in rel)


def files_sha256(root: Path, files: Iterable[Path]) -> str:
    """One hash for a set of files: their paths relative to ``root`` and their hashes, sorted."""
    lines = sorted(
        f"{p.relative_to(root).as_posix()}\0{file_sha256(p)}"
        for p in files
        if p.is_file() and _visible(p, root)
    )
    return _sha256_bytes("\n".join(lines).encode())


def folder_sha256(root: Path, pattern: str = "**/*") -> str:
    """Hash of every (non-hidden) file of ``root`` matching ``pattern``; ``empty`` if none."""
    if not root.is_dir():
        return f"missing:{root}"
    return files_sha256(root, root.glob(pattern))


def resolve_reference(params_path: Path, written: str) -> Path:
    """A path as written in a params file, made absolute (relative to the file's folder)."""
    candidate = Path(written).expanduser()
    if not candidate.is_absolute():
        candidate = params_path.resolve().parent / candidate
    return candidate.resolve()


def measurement_references(params_path: Path, data: bytes) -> list[tuple[str, Path]]:
    """(key path, absolute path) of the measurement files the params file references.

    Parses just enough YAML to find them; a file that does not parse has none (validation
    reports the problem, and the params bytes are in the fingerprint anyway).
    """

    try:
        loaded: Any = yaml.safe_load(data)
    except yaml.YAMLError:
        return []
    if not isinstance(loaded, dict):
        return []
    section = loaded.get("measurements")
    if not isinstance(section, dict):
        return []
    found: list[tuple[str, Path]] = []
    for key in MEASUREMENT_KEYS:
        value = section.get(key)
        if isinstance(value, str) and value:
            found.append((f"measurements.{key}", resolve_reference(params_path, value)))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, str) and item:
                    found.append((f"measurements.{key}[{i}]", resolve_reference(params_path, item)))
    return found


def library_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


@lru_cache(maxsize=1)
def _versions() -> tuple[tuple[str, str], ...]:
    found = [(name, library_version(name)) for name in DATA_LIBRARIES]
    found.append(("python", f"{sys.version_info.major}.{sys.version_info.minor}"))
    return tuple(found)


def shared_parts(
    catalog_dir: Path = CATALOG_DIR,
    templates_dir: Path = TEMPLATES_DIR,
    notebooks_dir: Path = NOTEBOOKS_DIR,
    package_dir: Path = PACKAGE_DIR,
) -> dict[str, str]:
    """The parts every client shares: catalog files, templates, notebooks, package, versions."""
    parts: dict[str, str] = {}
    if catalog_dir.is_dir():
        for path in sorted(catalog_dir.glob("*.yaml")):
            parts[f"catalog/{path.name}"] = file_sha256(path)
    else:
        parts["catalog"] = f"missing:{catalog_dir}"
    parts["templates"] = folder_sha256(templates_dir)
    parts["notebooks"] = folder_sha256(notebooks_dir, "*.ipynb")
    parts["package"] = folder_sha256(package_dir, "**/*.py")
    parts.update(_versions())
    return parts


def combine(parts: dict[str, str]) -> str:
    """The fingerprint of named parts: sha256 over ``name=value`` lines in name order."""
    return _sha256_bytes("".join(f"{k}={parts[k]}\n" for k in sorted(parts)).encode())


def compute(
    params_path: Path | str,
    *,
    catalog_dir: Path = CATALOG_DIR,
    templates_dir: Path = TEMPLATES_DIR,
    notebooks_dir: Path = NOTEBOOKS_DIR,
    package_dir: Path = PACKAGE_DIR,
) -> Fingerprint:
    """Fingerprint of everything that determines the report of the client in ``params_path``.

    The folders default to the repository's; tests and tools may point them elsewhere.
    """
    params_path = Path(params_path).resolve()
    try:
        data = params_path.read_bytes()
        parts = {"params": _sha256_bytes(data)}
    except OSError:
        data = b""
        parts = {"params": f"missing:{params_path}"}
    for key, path in measurement_references(params_path, data):
        parts[key] = file_sha256(path)
    parts.update(shared_parts(catalog_dir, templates_dir, notebooks_dir, package_dir))
    return Fingerprint(combine(parts), parts)
