"""The summary of a read usage log: bad rows counted per reason, then volume, sizing peak,
token and latency percentiles and active hours (the method choices are listed in
:func:`llmdecide.measurements.reading.read_usage_log`)."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from llmdecide.measurements.model import (
    _EXPECTED_COLUMNS,
    BAD_ROW_REASONS,
    EPOCH_SECONDS_MAX,
    OPTIONAL_FIELDS,
    UsageMeasured,
)
from llmdecide.measurements.parsing import _epoch_seconds, _iso_utc, _numbers

PERCENTILES = (50, 95)


def _peak_count(t: np.ndarray, window: float) -> int:
    """Most requests in a window ``[t_i, t_i + window)`` starting at a request (``t`` sorted)."""
    ends = np.searchsorted(t, t + window, side="left")
    return int((ends - np.arange(len(t))).max())


def window_rate_quantile_rps(t: np.ndarray, window_s: float, quantile: float) -> float:
    """The ``quantile`` of the request rates of the tumbling windows ``[t₀ + k·w, t₀ + (k+1)·w)``
    from the first request t₀ to the window of the last, empty windows included (``t`` sorted
    epoch seconds): the windows of the pilot calibration's peak (``estimators.calibration``).

    Linear interpolation between order statistics, as ``numpy.percentile``; the empty windows
    are counted, not built, so a log whose timestamps lie years apart costs no more."""
    k = np.floor((t - t[0]) / window_s).astype(np.int64)
    starts = np.flatnonzero(np.diff(k)) + 1  # t sorted → k sorted: runs of equal windows
    counts = np.diff(np.concatenate(([0], starts, [len(k)])))
    windows = int(k[-1] - k[0]) + 1
    zeros = windows - len(counts)
    counts = np.sort(counts)
    position = quantile * (windows - 1)
    lo = math.floor(position)
    hi = min(lo + 1, windows - 1)

    def at(i: int) -> float:
        return 0.0 if i < zeros else float(counts[i - zeros])

    return (at(lo) + (position - lo) * (at(hi) - at(lo))) / window_s


def _cv2(values: np.ndarray) -> float:
    """Variance / mean² (0 when the mean is 0). When mean² or the variance under- or overflows
    (token counts below ~1e-154 or above ~1e154), the same ratio of the values scaled by their
    largest, which it does not change."""
    mean = float(values.mean())
    if not mean > 0:
        return 0.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        cv2 = float(values.var() / (mean * mean))
    if math.isfinite(cv2):
        return cv2
    scaled = values / float(values.max())
    return float(scaled.var() / scaled.mean() ** 2)


def _requests_by_hour(t: np.ndarray) -> np.ndarray:
    """Requests per hour of the day (UTC), from sorted epoch seconds: counted per clock hour of
    the period by binary search on the hour boundaries, then folded onto 0–23. A log spanning
    more clock hours than it has requests (timestamps years apart: a typo, a placeholder) is
    folded request by request instead, so the work never grows with the span."""
    first_hour = math.floor(t[0] / 3600.0)
    last_hour = math.floor(t[-1] / 3600.0)
    if last_hour - first_hour + 1 > len(t):
        return np.bincount(np.floor(t / 3600.0).astype(np.int64) % 24, minlength=24).astype(int)
    boundaries = np.arange(first_hour, last_hour + 2) * 3600.0
    per_hour = np.diff(np.searchsorted(t, boundaries, side="left"))
    return np.bincount((first_hour + np.arange(len(per_hour))) % 24, per_hour, 24).astype(int)


def _percentiles(values: np.ndarray) -> tuple[float, float] | tuple[None, None]:
    if len(values) == 0:
        return None, None
    p50, p95 = np.percentile(values, PERCENTILES)
    return float(p50), float(p95)


def _summarise(
    frame: pd.DataFrame,
    *,
    columns: dict[str, str],
    rows_total: int,
    malformed: np.ndarray,
    source_file: str,
    fmt: str,
    peak_window_s: float,
    active_hour_share: float,
    refuse: Any,
    peak_quantile: float,
    requests: dict[str, np.ndarray] | None = None,
) -> UsageMeasured:
    """The rows of ``frame`` parsed, the bad ones counted and left out, the others summarised."""
    if rows_total == 0:
        raise refuse(
            f"{source_file} has a header but no rows; export the usage log again with its "
            "requests, one per row"
        )
    epoch, tin, tout, optional, masks, too_large = _parse(frame, rows_total, malformed)
    bad_rows, examples, good, used = _count_bad_rows(masks, rows_total)
    if used == 0:
        counts = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in bad_rows.items())
        hint = ""
        if too_large:
            hint = (
                f" {too_large} timestamp(s) are numbers ≥ {EPOCH_SECONDS_MAX:.0e}: epoch "
                "milliseconds, microseconds or nanoseconds? Give epoch seconds or ISO 8601."
            )
        raise refuse(
            f"{source_file}: no usable row among {rows_total} ({counts}).{hint} Fix the rows: "
            f"{_EXPECTED_COLUMNS}"
        )

    if used < rows_total:
        epoch, tin, tout = epoch[good], tin[good], tout[good]
        optional = {name: values[good] for name, values in optional.items()}
    if requests is not None:
        rows = np.arange(1, rows_total + 1) if used == rows_total else np.flatnonzero(good) + 1
        requests.update(
            timestamp_s=epoch, input_tokens=tin, output_tokens=tout, row=rows, **optional
        )
    return UsageMeasured(
        source_file=source_file,
        format=fmt,
        columns=dict(columns),
        rows_total=rows_total,
        rows_used=used,
        bad_rows=bad_rows,
        bad_row_examples=examples,
        **_statistics(
            epoch,
            tin,
            tout,
            optional,
            used,
            peak_window_s=peak_window_s,
            peak_quantile=peak_quantile,
            active_hour_share=active_hour_share,
        ),
    )


def _parse(
    frame: pd.DataFrame, rows_total: int, malformed: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray], int]:
    """(epoch seconds, input tokens, output tokens, optional field → values, bad-row reason →
    mask, count of timestamps too large to be epoch seconds), every row of ``frame`` kept."""
    epoch, t_missing, too_large = _epoch_seconds(frame["timestamp"])
    tin, in_missing, in_nonnum = _numbers(frame["input_tokens"])
    tout, out_missing, out_nonnum = _numbers(frame["output_tokens"])
    masks: dict[str, np.ndarray] = {
        "malformed_line": malformed,
        "missing_field": t_missing | in_missing | out_missing,
        "unparsable_timestamp": np.isnan(epoch) & ~t_missing,
        "non_numeric_tokens": in_nonnum | out_nonnum,
        "negative_tokens": (tin < 0) | (tout < 0),
        "non_numeric_latency": np.zeros(rows_total, dtype=bool),
        "negative_latency": np.zeros(rows_total, dtype=bool),
    }
    optional: dict[str, np.ndarray] = {}
    for name in OPTIONAL_FIELDS:
        if name in frame.columns:
            values, _, nonnum = _numbers(frame[name])
            optional[name] = values
            masks["non_numeric_latency"] |= nonnum
            masks["negative_latency"] |= values < 0
    return epoch, tin, tout, optional, masks, too_large


def _count_bad_rows(
    masks: dict[str, np.ndarray], rows_total: int
) -> tuple[dict[str, int], dict[str, list[int]], np.ndarray, int]:
    """(bad rows per reason, their first row numbers, the good-row mask, rows used): each row
    counted once, under its first reason in ``BAD_ROW_REASONS``."""
    bad = np.zeros(rows_total, dtype=bool)
    bad_rows: dict[str, int] = {}
    examples: dict[str, list[int]] = {}
    clean = not any(mask.any() for mask in masks.values())  # the common case: skip the counting
    for reason in () if clean else BAD_ROW_REASONS:
        new = masks[reason] & ~bad
        count = int(new.sum())
        if count:
            bad_rows[reason] = count
            examples[reason] = [int(i) + 1 for i in np.flatnonzero(new)[:5]]
        bad |= new
    good = ~bad
    used = rows_total if clean else int(good.sum())
    return bad_rows, examples, good, used


def _statistics(
    epoch: np.ndarray,
    tin: np.ndarray,
    tout: np.ndarray,
    optional: dict[str, np.ndarray],
    used: int,
    *,
    peak_window_s: float,
    peak_quantile: float,
    active_hour_share: float,
) -> dict[str, Any]:
    """The ``UsageMeasured`` fields computed from the ``used`` rows (their method choices are
    listed in ``read_usage_log``)."""
    t = epoch
    if not bool((t[1:] >= t[:-1]).all()):  # logs are usually in time order already
        t = np.sort(t)
    first, last = float(t[0]), float(t[-1])
    days = max(1.0, (last - first) / 86400.0)
    window = float(peak_window_s)
    by_hour = _requests_by_hour(t)
    active = int((by_hour >= active_hour_share * by_hour.max()).sum())
    samples = {"input_tokens": tin, "output_tokens": tout}
    for name in OPTIONAL_FIELDS:
        if name in optional:
            values = optional[name]
            empty = np.isnan(values)
            samples[name] = values[~empty] if empty.any() else values
    # the sort-like steps release the GIL: two threads use both cores of a small machine
    with ThreadPoolExecutor(max_workers=2) as pool:
        peak_job = pool.submit(_peak_count, t, window)
        pct = dict(zip(samples, pool.map(_percentiles, samples.values()), strict=True))
        peak_count = peak_job.result()
    in50, in95 = (float(v or 0.0) for v in pct["input_tokens"])  # never empty: used > 0
    out50, out95 = (float(v or 0.0) for v in pct["output_tokens"])
    requests_per_day = used / days
    active_mean_rps = requests_per_day / (active * 3600.0)
    quantile_rps = window_rate_quantile_rps(t, window, peak_quantile)
    lat: dict[str, tuple[int, float | None, float | None]] = {}
    for name in OPTIONAL_FIELDS:
        count = len(samples.get(name, ()))
        lat[name] = (count, *pct[name]) if count else (0, None, None)
    return {
        "first_timestamp": _iso_utc(first),
        "last_timestamp": _iso_utc(last),
        "days_covered": days,
        "requests_per_day": requests_per_day,
        "peak_window_s": int(peak_window_s) if float(peak_window_s).is_integer() else peak_window_s,
        "peak_requests_per_second": max(quantile_rps, active_mean_rps),
        "input_tokens_mean": float(tin.mean()),
        "input_tokens_p50": in50,
        "input_tokens_p95": in95,
        "output_tokens_mean": float(tout.mean()),
        "output_tokens_p50": out50,
        "output_tokens_p95": out95,
        "latency_s_count": lat["latency_s"][0],
        "latency_s_p50": lat["latency_s"][1],
        "latency_s_p95": lat["latency_s"][2],
        "ttft_s_count": lat["ttft_s"][0],
        "ttft_s_p50": lat["ttft_s"][1],
        "ttft_s_p95": lat["ttft_s"][2],
        "active_hour_share": float(active_hour_share),
        "active_hours_per_day": active,
        "requests_by_hour": tuple(int(c) for c in by_hour),
        "peak_quantile": float(peak_quantile),
        "max_requests_per_second": peak_count / window,
        "peak_basis": "quantile" if quantile_rps >= active_mean_rps else "active_hours_mean",
        "input_tokens_cv2": _cv2(tin),
        "output_tokens_cv2": _cv2(tout),
    }
