"""Deterministic writing and reading of run artefacts.

The same inputs must give byte-identical ``results.json`` and ``configurations.csv``: keys are sorted,
floats are rounded to a fixed number of significant digits, NaN/inf become ``null``/empty, and nothing
that varies between runs (timestamps, durations, machine) is written here — that goes to ``run.json``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
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
    """Write a DataFrame deterministically: fixed float format, empty cells for n/a, LF line ends.

    The bytes are those of ``frame.to_csv(index=False, float_format=FLOAT_FORMAT, na_rep="",
    lineterminator="\\n")``. A frame of the usual column types has its cells written here (about
    3x faster: each distinct float is formatted once, the rows joined without ``csv.writer``'s
    per-field scan), any other frame by pandas itself.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    # pandas writes other headers (numbers, n/a or tuple labels) its own way
    plain_header = all(type(c) is str for c in frame.columns) and frame.columns.nlevels == 1
    columns = [_csv_texts(frame.iloc[:, i]) for i in range(frame.shape[1])] if plain_header else []
    if not plain_header or frame.shape[1] < 2 or any(c is None for c in columns):
        # one column: csv quotes ""
        frame.to_csv(tmp, index=False, float_format=FLOAT_FORMAT, na_rep="", lineterminator="\n")
    else:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerow(list(frame.columns))
            handle.write("".join([",".join(row) + "\n" for row in zip(*columns, strict=True)]))
    os.replace(tmp, path)
    return path


FLOAT_FORMAT = f"%.{SIGNIFICANT_DIGITS}g"
"""How ``write_csv`` writes a float (NaN: an empty cell)."""

_CSV_SPECIAL = frozenset(',"\r\n')
"""Characters that may make ``csv.writer`` quote a field (``\\r`` too in newer Pythons)."""


def _csv_texts(column: pd.Series) -> list[str] | None:
    """Each cell of ``column`` as pandas' ``to_csv`` writes it (the cells of
    ``pandas.core.indexes.base.get_values_for_csv``, through ``csv.writer``); ``None`` for a
    column type not handled here."""
    # pandas is imported by whoever built the frame
    import numpy as np
    import pandas as pd

    dtype = column.dtype
    if dtype == np.float64:
        return _float_texts(column.to_numpy())
    if isinstance(dtype, np.dtype) and dtype.kind in "biu":  # never n/a, never quoted
        return [str(v) for v in column.to_numpy().tolist()]
    if isinstance(dtype, pd.CategoricalDtype) and dtype.categories.dtype.kind != "O":
        return None  # categories of dates or durations: pandas formats them as their array
    if dtype.kind == "O" or isinstance(dtype, pd.StringDtype | pd.Int64Dtype):
        values = column.array
        cells = np.asarray(values.astype(object)).tolist()  # the objects pandas writes
        missing = pd.isna(values).tolist()
        seen: dict[str, str] = {}
        return ["" if m else _text(v, seen) for v, m in zip(cells, missing, strict=True)]
    return None


def _float_texts(values: Any) -> list[str]:
    """``FLOAT_FORMAT % v`` of each value (``""`` for NaN), as pandas' ``float_format`` does
    (never quoted: digits, ``.``, ``-``, ``+``, ``e``, ``inf``)."""
    # numpy: loaded with the frame's pandas; the runner and `validate` import this module without
    import numpy as np

    # a column holds few distinct values: format each once. Distinct by bits, not by value, so
    # that -0.0 keeps its "-0" (np.unique on floats would merge it with 0.0)
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.int64)
    distinct, where = np.unique(bits, return_inverse=True)
    texts = [("" if v != v else FLOAT_FORMAT % v) for v in distinct.view(np.float64).tolist()]
    return np.array(texts, dtype=object)[where.reshape(-1)].tolist()


def _text(value: Any, seen: dict[str, str]) -> str:
    """One object cell as ``csv.writer`` writes it in a row of several fields."""
    if type(value) is int:
        return str(value)
    if type(value) is not str:
        return _csv_field(value)
    if value not in seen:
        seen[value] = value if _CSV_SPECIAL.isdisjoint(value) else _csv_field(value)
    return seen[value]


def _csv_field(value: Any) -> str:
    """``value`` as ``csv.writer`` writes it (quoted where needed) in a row of several fields."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([value, ""])
    return buffer.getvalue()[: -len(",\n")]


def stage_path(output_dir: Path | str, stage: str) -> Path:
    return Path(output_dir) / DATA_DIR / f"{stage}.json"


def write_stage(output_dir: Path | str, stage: str, obj: Any) -> Path:
    """What a notebook hands on: ``<output_dir>/data/<stage>.json``."""
    return write_json(stage_path(output_dir, stage), obj)


def read_stage(output_dir: Path | str, stage: str) -> Any:
    return read_json(stage_path(output_dir, stage))
