"""Deterministic writing and reading of run artefacts.

The same inputs must give byte-identical ``results.json`` and ``configurations.csv``: keys are sorted,
floats are rounded to a fixed number of significant digits, NaN/inf become ``null``/empty, and nothing
that varies between runs (timestamps, durations, machine) is written here — that goes to ``run.json``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

SIGNIFICANT_DIGITS = 10
"""Digits kept in written floats: far above any estimate's precision, far below float noise."""

DATA_DIR = "data"


def plain(value: Any) -> Any:
    """Convert numpy/pandas/dataclass/pydantic values to JSON-able plain types, floats rounded."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if hasattr(value, "model_dump"):  # pydantic
        return plain(value.model_dump(mode="json"))
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return plain(value.to_dict())
    if hasattr(value, "__dataclass_fields__"):
        return plain(dataclasses.asdict(value))
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return plain(value.item())
    if hasattr(value, "tolist"):  # numpy array
        return plain(value.tolist())
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def dumps(obj: Any) -> str:
    return (
        json.dumps(plain(obj), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    )


def write_json(path: Path, obj: Any) -> Path:
    """Write ``obj`` as deterministic JSON (atomic: temp file then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(dumps(obj), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a DataFrame deterministically: fixed float format, empty cells for n/a, LF line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_csv(
        tmp, index=False, float_format=f"%.{SIGNIFICANT_DIGITS}g", na_rep="", lineterminator="\n"
    )
    os.replace(tmp, path)
    return path


def stage_path(output_dir: Path | str, stage: str) -> Path:
    return Path(output_dir) / DATA_DIR / f"{stage}.json"


def write_stage(output_dir: Path | str, stage: str, obj: Any) -> Path:
    """What a notebook hands on: ``<output_dir>/data/<stage>.json``."""
    return write_json(stage_path(output_dir, stage), obj)


def read_stage(output_dir: Path | str, stage: str) -> Any:
    return read_json(stage_path(output_dir, stage))
