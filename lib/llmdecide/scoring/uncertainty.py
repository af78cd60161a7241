"""Monte Carlo over the estimates' ranges: triangular distributions (:func:`triangular_cdf`,
:func:`triangular_inverse`), the seeded uniform streams of each column (``_mc_streams``, common
random numbers shared with the pilot) and :func:`monte_carlo` (``probability_meets_limits``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from llmdecide.scoring.feasibility import _broken, _not_applicable, unknown_precision
from llmdecide.scoring.frames import _strings, _values
from llmdecide.scoring.pillars import UNCERTAIN_COLUMNS, Criterion, FloatArray

# --------------------------------------------------------------------------------------------
# Monte Carlo
# --------------------------------------------------------------------------------------------


def triangular_cdf(
    x: npt.ArrayLike, low: npt.ArrayLike, mode: npt.ArrayLike, high: npt.ArrayLike
) -> FloatArray:
    """P(X <= x) for X ~ triangular(low, mode, high); a step at ``low`` when low == high."""
    x, a, c, b = (np.asarray(v, dtype=float) for v in (x, low, mode, high))
    span = b - a
    with np.errstate(invalid="ignore", divide="ignore"):
        rising = (x - a) ** 2 / (span * (c - a))
        falling = 1.0 - (b - x) ** 2 / (span * (b - c))
        cdf = np.where(x <= c, rising, falling)
    cdf = np.where(x <= a, 0.0, np.where(x >= b, 1.0, cdf))
    cdf = np.where(span <= 0, (x >= a).astype(float), cdf)
    # NaN → 0 (as nan_to_num(nan=0.0), whose ±inf → ±max float the clip makes 1 and 0 anyway):
    # np.where costs a tenth of nan_to_num, called on every Decider.pick
    return np.clip(np.where(np.isnan(cdf), 0.0, cdf), 0.0, 1.0)


def triangular_inverse(
    u: npt.ArrayLike, low: npt.ArrayLike, mode: npt.ArrayLike, high: npt.ArrayLike
) -> FloatArray:
    """x = F⁻¹(u) for the triangular distribution (broadcasts; low == high gives low)."""
    u, a, c, b = (np.asarray(v, dtype=float) for v in (u, low, mode, high))
    span = b - a
    with np.errstate(invalid="ignore", divide="ignore"):
        fc = np.where(span > 0, (c - a) / np.where(span > 0, span, 1.0), 0.0)
    left = a + np.sqrt(u * span * (c - a))
    right = b - np.sqrt((1.0 - u) * span * (b - c))
    return np.clip(np.where(u < fc, left, right), a, b)


def _bounds(frame: pd.DataFrame, column: str) -> tuple[FloatArray, FloatArray, FloatArray]:
    value = _values(frame, column)
    low = _values(frame, f"{column}_low") if f"{column}_low" in frame.columns else value.copy()
    high = _values(frame, f"{column}_high") if f"{column}_high" in frame.columns else value.copy()
    low = np.where(np.isnan(low), value, np.minimum(low, value))
    high = np.where(np.isnan(high), value, np.maximum(high, value))
    return low, value, high


def monte_carlo(
    frame: pd.DataFrame,
    criteria: Sequence[Criterion],
    max_setup_cost: float | None,
    samples: int,
    seed: int,
) -> pd.Series:
    """Probability that each configuration meets every limit (``probability_meets_limits``).

    Each uncertain column is triangular(low, value, high). Common random numbers: one uniform
    vector of ``samples`` per column, drawn from ``numpy.random.default_rng(seed)`` in the fixed
    order of :data:`UNCERTAIN_COLUMNS` (so a column's draws do not depend on which limits are set),
    is shared by every configuration — differences between configurations are theirs, not the
    dice's. Columns are independent of each other.

    A sample x = F⁻¹(u) meets a "lower is better" limit L iff u < F(L) (F⁻¹ is increasing), so
    rather than rows × samples inverse CDFs the test is one comparison of u against each row's
    F(L) — the same draws, the same outcome. Rows whose whole range is inside every limit get 1,
    rows beyond a limit at their best bound get 0, without sampling. A row excluded by a
    constraint, a batch row under a latency limit, a row of unknown precision under a precision
    limit (it never meets it, whatever its range columns say) or a missing value gets 0.
    """
    n = len(frame)
    if samples <= 0:
        raise ValueError(f"samples must be >= 1, got {samples!r}")
    prob = np.zeros(n)
    if n == 0:
        return pd.Series(prob, index=frame.index, name="probability_meets_limits")
    checks: list[tuple[str, float, bool]] = [
        (c.column, float(c.limit), c.higher_is_better) for c in criteria if c.limit is not None
    ]
    if max_setup_cost is not None:
        checks.append(("setup_cost", float(max_setup_cost), False))
    alive = _strings(frame, "excluded_because") == ""
    for crit in criteria:
        if crit.limit is not None:
            batch, _missing = _not_applicable(frame, crit)
            alive &= ~batch & ~unknown_precision(frame, crit)

    extra = sorted({col for col, _, _ in checks} - set(UNCERTAIN_COLUMNS))
    streams = [*UNCERTAIN_COLUMNS, *extra]
    draws = np.random.default_rng(seed).random((len(streams), samples))

    sure = alive.copy()
    thresholds: list[tuple[FloatArray, FloatArray, bool]] = []
    for column, limit, hib in checks:
        low, value, high = _bounds(frame, column)
        alive &= ~np.isnan(value)
        best_bound, worst_bound = (high, low) if hib else (low, high)
        with np.errstate(invalid="ignore"):
            alive &= ~_broken(best_bound, limit, hib)
            sure &= ~_broken(worst_bound, limit, hib)
        cdf = triangular_cdf(limit, low, value, high)
        thresholds.append((draws[streams.index(column)], cdf, hib))
    sure &= alive
    prob[sure] = 1.0
    todo = np.flatnonzero(alive & ~sure)
    chunk = max(1, 4_000_000 // samples)
    for start in range(0, todo.size, chunk):
        rows = todo[start : start + chunk]
        meets = np.ones((rows.size, samples), dtype=bool)
        for u, cdf, hib in thresholds:
            t = cdf[rows][:, None]
            meets &= (u[None, :] >= t) if hib else (u[None, :] < t)
        prob[rows] = meets.mean(axis=1)
    return pd.Series(prob, index=frame.index, name="probability_meets_limits")


def _mc_streams(columns: Sequence[str], samples: int, seed: int) -> dict[str, FloatArray]:
    """The uniform draws :func:`monte_carlo` uses for each column (same streams, same order)."""
    extra = sorted(set(columns) - set(UNCERTAIN_COLUMNS))
    streams = [*UNCERTAIN_COLUMNS, *extra]
    draws = np.random.default_rng(seed).random((len(streams), samples))
    return {c: draws[streams.index(c)] for c in columns}
