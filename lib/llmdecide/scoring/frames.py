"""Reading the configurations DataFrame: a column as floats or strings, the ``feasible`` mask, and
a row as plain Python values (numpy scalars and NaN/NA turned into Python numbers and None)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from llmdecide.scoring.pillars import BoolArray, FloatArray


def _values(frame: pd.DataFrame, column: str) -> FloatArray:
    if column not in frame.columns:
        raise KeyError(f"configurations have no {column!r} column")
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _values_or(frame: pd.DataFrame, column: str, fill: float) -> FloatArray:
    """The column as floats, or ``fill`` on every row when the frame has no such column (a
    scoring column not computed yet: no probability, no score, no violation)."""
    if column not in frame.columns:
        return np.full(len(frame), fill, dtype=float)
    return _values(frame, column)


def _feasible_mask(frame: pd.DataFrame) -> BoolArray:
    """The ``feasible`` column as booleans (every row feasible when the column is absent)."""
    if "feasible" not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    return frame["feasible"].to_numpy(dtype=bool)


def _strings(frame: pd.DataFrame, column: str) -> npt.NDArray[np.str_]:
    if column not in frame.columns:
        return np.full(len(frame), "", dtype=str)
    col = frame[column]
    if len(col) == 0:
        return np.full(0, "", dtype=str)
    # each distinct value converted once, then spread to the rows
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        # a numeric choice (GPUs per replica): whole numbers as "2", n/a as ""
        values = col.to_numpy(dtype=float, na_value=np.nan)
        distinct, rows = np.unique(values, return_inverse=True)
        shown = ["" if np.isnan(v) else (str(int(v)) if v == int(v) else str(v)) for v in distinct]
        return np.array(shown, dtype=str)[rows.reshape(-1)]
    text = col.fillna("").astype(str)
    head = text.iloc[:64]
    if len(head) > 1 and head.nunique() == len(head):  # all distinct (config_id): at once
        return text.to_numpy(dtype=str)
    rows, distinct = pd.factorize(text)
    return np.asarray(distinct.to_numpy(dtype=str), dtype=str)[rows]


def _native(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _record(frame: pd.DataFrame, position: int) -> dict[str, Any]:
    row = frame.iloc[position]
    return {str(k): _native(v) for k, v in row.items()}
