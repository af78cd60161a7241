"""A usage log's columns as numbers: token counts and latencies as floats, timestamps as epoch
seconds, with the masks of the rows that are missing or unparsable (no row is dropped here)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from llmdecide.measurements.model import EPOCH_SECONDS_MAX


def _blank(series: pd.Series, rows: np.ndarray) -> np.ndarray:
    """Which of ``rows`` (a mask) hold blank text: treated as missing, not as unparsable."""
    out = np.zeros(len(series), dtype=bool)
    if rows.any():
        picked = series[rows]
        out[rows] = picked.map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(bool)
    return out


def _numbers(series: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values as float with NaN, missing mask, non-numeric mask) of one column."""

    if pd.api.types.is_bool_dtype(series.dtype):
        missing = np.zeros(len(series), dtype=bool)
        return np.full(len(series), np.nan), missing, ~missing
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan, copy=True)
        missing = np.isnan(values)
        non_numeric = np.isinf(values)
        values[non_numeric] = np.nan
        return values, missing, non_numeric
    missing = series.isna().to_numpy(copy=True)
    values = pd.to_numeric(series, errors="coerce").to_numpy(
        dtype=float, na_value=np.nan, copy=True
    )
    failed = (np.isnan(values) | np.isinf(values)) & ~missing
    blank = _blank(series, failed)
    missing |= blank
    non_numeric = failed & ~blank
    values[failed] = np.nan
    return values, missing, non_numeric


def _epoch_seconds(series: pd.Series) -> tuple[np.ndarray, np.ndarray, int]:
    """(epoch seconds with NaN, missing mask, count of numbers too large to be epoch seconds)."""

    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return _to_epoch(series), series.isna().to_numpy(copy=True), 0
    if pd.api.types.is_datetime64_dtype(series.dtype):
        return _to_epoch(series.dt.tz_localize("UTC")), series.isna().to_numpy(copy=True), 0
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        values, missing, _ = _numbers(series)
        values, too_large = _epoch_range(values)
        return values, missing, too_large
    fast = _arrow_iso(series)
    if fast is not None:
        return fast, np.zeros(len(series), dtype=bool), 0
    missing = series.isna().to_numpy(copy=True)
    out = np.full(len(series), np.nan)
    present = series[~missing]
    if present.empty:
        return out, missing, 0
    first = present.iloc[0]
    try:
        numeric_first = not isinstance(first, bool) and math.isfinite(float(first))
    except (TypeError, ValueError):
        numeric_first = False
    # the first value picks the parser tried on every row; the other one gets the failures
    too_large = 0
    if numeric_first:
        numbers, too_large = _epoch_range(_to_float(present))
        rest = np.isnan(numbers)
        if rest.any():
            numbers[rest] = _iso(present[rest])
    else:
        numbers = _iso(present)
        rest = np.isnan(numbers)
        if rest.any():
            numbers[rest], too_large = _epoch_range(_to_float(present[rest]))
    out[~missing] = numbers
    failed = np.isnan(out) & ~missing
    blank = _blank(series, failed)
    return out, missing | blank, too_large


def _arrow_iso(series: pd.Series) -> np.ndarray | None:
    """Epoch seconds when every value is an ISO 8601 string with a zone, or every one without
    (read as UTC); else ``None`` and the slower row-by-row parse decides. Arrow's cast is ~10×
    faster than pandas' and fails as a whole on one odd value, hence the fallback."""
    # pyarrow (~0.6 s): only Parquet logs need it
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        strings = pa.array(series.array, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if not pa.types.is_string(strings.type) and not pa.types.is_large_string(strings.type):
        return None
    if strings.null_count:
        return None
    for target in (pa.timestamp("us", tz="UTC"), pa.timestamp("us")):
        try:
            stamps = pc.cast(strings, target)
        except (pa.ArrowException, ValueError):
            continue
        seconds = stamps.cast(pa.int64()).to_numpy(zero_copy_only=False) / 1e6
        if ((seconds < 0) | (seconds >= EPOCH_SECONDS_MAX)).any():
            return None  # out of range: the row-by-row parse marks those rows unparsable
        return seconds
    return None


def _to_float(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)


def _epoch_range(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Epoch seconds in [0, ``EPOCH_SECONDS_MAX``), others NaN; and how many were too large."""
    values = values.copy()
    too_large = values >= EPOCH_SECONDS_MAX
    values[too_large | (values < 0) | np.isinf(values)] = np.nan
    return values, int(too_large.sum())


def _iso(strings: pd.Series) -> np.ndarray:
    text = strings
    if strings.dtype == object:  # JSON: numbers, booleans, lists may sit among the strings
        text = strings.map(lambda v: v if isinstance(v, str) else None, na_action="ignore")
    stamps = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    return _to_epoch(stamps)


def _to_epoch(stamps: pd.Series) -> np.ndarray:
    # in microseconds: a date after 2262 (a typo, a placeholder) overflows nanoseconds, the unit
    # pandas would cast both sides of the subtraction to
    stamps = stamps.dt.tz_convert("UTC").dt.as_unit("us")
    seconds = (stamps - pd.Timestamp(0, tz="UTC").as_unit("us")).dt.total_seconds()
    values = seconds.to_numpy(dtype=float, na_value=np.nan, copy=True)
    # the range of numeric epochs: a date before 1970 or after 5138 is not a request time
    # (ISO 8601 also reads "-1" as the year -1, which no datetime can show)
    values[(values < 0) | (values >= EPOCH_SECONDS_MAX)] = np.nan
    return values


def _iso_utc(epoch: float) -> str:
    text = datetime.fromtimestamp(epoch, UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"
