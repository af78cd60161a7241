"""One normal run of the retail example, shared by test_interruption, test_offline and test_security.

A full run takes 15–25 s; these three modules each need "a normal run of example-retail" (the report
to protect, the run to compare an offline run with, a run without a probe), so they share one,
made once per test session in-process. Read it, never modify it: copy it (``copy_reference``) to
get a reports folder of your own.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RETAIL = REPO / "params" / "clients" / "example-retail.yaml"
SLUG = RETAIL.stem

_cache: dict[str, object] = {}


def reference_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reports root holding one published run of example-retail (made on first use)."""
    if "error" in _cache:  # failed once: do not spend another 20 s failing again
        pytest.fail(f"the reference run of {RETAIL.name} failed: {_cache['error']}")
    if "root" not in _cache:
        from llmdecide import runner

        root = tmp_path_factory.mktemp("reference-reports")
        try:
            runner.run(RETAIL, root)
        except Exception as exc:
            _cache["error"] = f"{type(exc).__name__}: {exc}"
            raise
        _cache["root"] = root
    return Path(str(_cache["root"]))


def copy_reference(tmp_path_factory: pytest.TempPathFactory, dest: Path) -> Path:
    """A private copy of the reference reports root at ``dest`` (without its lock file)."""
    shutil.copytree(
        reference_root(tmp_path_factory),
        dest,
        symlinks=True,
        ignore=shutil.ignore_patterns(".*.lock"),
    )
    return dest


def tree(folder: Path, *, skip_history: bool = False) -> dict[str, str]:
    """Every entry under ``folder``: relative path → sha256 of a file, "dir", or a symlink's target."""
    out: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if skip_history and (rel == "history" or rel.startswith("history/")):
            continue
        if path.is_symlink():
            out[rel] = "symlink -> " + os.readlink(path)
        elif path.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out
