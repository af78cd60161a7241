"""Edit a copy of the shipped catalog and read the load's problems (catalog error tests)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from llmdecide import catalog
from llmdecide.errors import CatalogError

FOLDER = Path(__file__).resolve().parents[1] / "params" / "catalog"


def copy_catalog(tmp_path: Path) -> Path:
    """The shipped catalog copied under ``tmp_path/catalog``."""
    target = tmp_path / "catalog"
    shutil.copytree(FOLDER, target)
    return target


def edit(folder: Path, file: str, change: Callable[[Any], None]) -> None:
    """Apply ``change`` to the parsed YAML of ``folder/file`` and write it back."""
    path = folder / file
    data = yaml.safe_load(path.read_text("utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")


def problems(folder: Path) -> dict[str, str]:
    """The load's problems by key path; the load must fail with exit code 2."""
    with pytest.raises(CatalogError) as caught:
        catalog.load(folder)
    assert caught.value.exit_code == 2
    return {p.key_path: str(p) for p in caught.value.problems}
