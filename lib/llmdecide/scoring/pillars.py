"""The pillars and their criteria: the columns, reasons and constants shared by the scoring, the
:class:`Criterion` of each pillar (:func:`criteria`, :func:`extra_criteria`), the normalised
weights and the saturating utility (:func:`utility`, :func:`utilities`, and per criterion over
the rows :func:`criterion_utilities`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from llmdecide.columns import CHOICE_TABLES, CRITERIA_COLUMNS, JUDGED_FIGURES
from llmdecide.columns import CHOICES as RECOMMENDATION_CHOICES

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

PILLARS: tuple[str, ...] = ("performance", "precision", "cost", "carbon")
"""The four pillars, in the order criteria, reasons and utilities are listed."""

TRIANGLE: tuple[str, ...] = ("performance", "precision", "cost")
"""The pillars of the Critical Performance Triangle (swept by the winner map)."""

METRIC_COLUMNS: dict[str, str] = {
    "p95_latency_s": "p95_latency_s",
    "ttft_p95_s": "ttft_s",
    "tpot_p95_ms": "tpot_p95_ms",
    "turnaround_h": "turnaround_h",
    "accuracy": "accuracy",
    "monthly_cost": "monthly_cost",
    "monthly_kgco2e": "monthly_kgco2e",
}
"""Client metric name (docs/params.md) → configurations column."""

DEFAULT_METRIC: dict[str, str] = {
    "performance": "p95_latency_s",
    "precision": "accuracy",
    "cost": "monthly_cost",
    "carbon": "monthly_kgco2e",
}

HIGHER_IS_BETTER: frozenset[str] = frozenset({"accuracy"})
"""Columns where more is better; they are shares in [0, 1] (see :func:`utility`)."""

REAL_TIME_COLUMNS: frozenset[str] = frozenset({"p95_latency_s", "ttft_s", "tpot_p95_ms"})

UNCERTAIN_COLUMNS: tuple[str, ...] = JUDGED_FIGURES
"""Canonical order of the Monte Carlo random streams: one uniform vector per judged figure, in
``columns.JUDGED_FIGURES`` order (a new column goes last so that the others keep their draws).
The set-up cost has a stream though it has no range (``columns.UNCERTAIN``): a limit is checked
on it, and dropping its stream would move the draws of ``tpot_p95_ms``."""

CHOICES: tuple[str, ...] = CHOICE_TABLES
"""The choices of the per-choice tables (docs/method.md §1, infrastructure split into region and gpu)."""

CONFIG_COLUMNS: tuple[str, ...] = RECOMMENDATION_CHOICES
"""The columns that define a configuration (``results.json`` ``recommendation`` keys)."""

ESTIMATE_COLUMNS: tuple[str, ...] = (*CRITERIA_COLUMNS, "probability_meets_limits")

BATCH_REASON = "batch mode cannot meet a real-time latency limit"
UNKNOWN_SOURCE = "unknown"
"""``accuracy_source`` of a configuration whose precision is unknown (no proxy, no evaluation)."""
UNKNOWN_PRECISION_REASON = "precision unknown: evaluate {model} on the client's task"
DISTANCE_METRIC = "half_l1"

# --------------------------------------------------------------------------------------------
# Criteria
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    """One pillar as the scoring sees it.

    ``limit`` is the worst acceptable value (None: no limit, only scored — carbon may have none);
    ``saturation`` is the margin (as a fraction, see :func:`utility`) at which the utility reaches
    1 - 1/e ≈ 63 %; ``weight`` is the client's priority (not necessarily normalised).
    """

    pillar: str
    column: str
    limit: float | None
    higher_is_better: bool
    saturation: float
    weight: float


def _get(obj: Any, key: str) -> Any:
    """``obj[key]`` for mappings, ``obj.key`` for records (pydantic models), None when absent."""
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _method_number(method: Mapping[str, Any] | Any, key: str) -> float:
    raw = _get(method, key)
    if raw is not None and not isinstance(raw, int | float):
        raw = _get(raw, "value")  # a Range-like record
    if raw is None:
        raise KeyError(f"method setting {key!r} is missing (catalog method settings)")
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError(f"method setting {key!r} must be a finite number, got {raw!r}")
    return value


def criteria(
    limits: Mapping[str, Any] | Any,
    weights: Mapping[str, float],
    method: Mapping[str, Any] | Any,
) -> list[Criterion]:
    """The four criteria, in :data:`PILLARS` order.

    ``limits`` maps a pillar to ``{"metric": ..., "limit": ...}`` (a mapping or a params record);
    a pillar that is absent or None keeps its default metric and has no limit (it is scored
    against the worst feasible value instead). Carbon is always a criterion — it is always shown
    and takes part in the Pareto front — with weight 0 unless the client gives it one.
    ``method`` gives ``saturation_<pillar>`` (> 0). Metric names are the client's (docs/params.md);
    ``ttft_p95_s`` reads the ``ttft_s`` column.
    """
    out: list[Criterion] = []
    for pillar in PILLARS:
        spec = _get(limits, pillar)
        metric = _get(spec, "metric") or DEFAULT_METRIC[pillar]
        if metric not in METRIC_COLUMNS:
            known = ", ".join(sorted(METRIC_COLUMNS))
            raise ValueError(f"{pillar}: unknown metric {metric!r}; known: {known}")
        raw_limit = _get(spec, "limit")
        limit = None if raw_limit is None else float(raw_limit)
        weight = float(_get(weights, pillar) or 0.0)
        if weight < 0 or not math.isfinite(weight):
            raise ValueError(f"{pillar}: weight must be a finite number >= 0, got {weight!r}")
        saturation = _method_number(method, f"saturation_{pillar}")
        if saturation <= 0:
            raise ValueError(f"saturation_{pillar} must be > 0, got {saturation!r}")
        column = METRIC_COLUMNS[metric]
        out.append(
            Criterion(
                pillar=pillar,
                column=column,
                limit=limit,
                higher_is_better=column in HIGHER_IS_BETTER,
                saturation=saturation,
                weight=weight,
            )
        )
    return out


def extra_criteria(extra_limits: Mapping[str, float] | None) -> list[Criterion]:
    """Further hard limits on latency metrics (``critical_performance.extra_limits``): checked
    like the performance limit (rejection, Monte Carlo), never scored (weight 0)."""
    out = []
    for metric, limit in (extra_limits or {}).items():
        if metric not in METRIC_COLUMNS:
            known = ", ".join(sorted(METRIC_COLUMNS))
            raise ValueError(f"extra_limits: unknown metric {metric!r}; known: {known}")
        column = METRIC_COLUMNS[metric]
        out.append(
            Criterion(
                pillar="performance",
                column=column,
                limit=float(limit),
                higher_is_better=column in HIGHER_IS_BETTER,
                saturation=1.0,
                weight=0.0,
            )
        )
    return out


def normalised_weights(crits: Sequence[Criterion]) -> FloatArray:
    """Weights divided by their sum; equal weights when they are all zero."""
    w = np.array([c.weight for c in crits], dtype=float)
    total = w.sum()
    if total <= 0:
        return np.full(len(crits), 1.0 / len(crits)) if len(crits) else w
    return w / total


# --------------------------------------------------------------------------------------------
# Utility
# --------------------------------------------------------------------------------------------


def utilities(
    values: npt.ArrayLike,
    limit: float | None,
    higher_is_better: bool,
    saturation: float,
    reference: float | None = None,
) -> FloatArray:
    """Vectorised :func:`utility` (same formula, NaN where the value is NaN or beyond the limit)."""
    bound = limit if limit is not None else reference
    if bound is None or not math.isfinite(bound):
        raise ValueError("utility needs a finite limit or reference")
    if saturation <= 0:
        raise ValueError(f"saturation must be > 0, got {saturation!r}")
    x = np.asarray(values, dtype=float)
    span = (1.0 - bound) if higher_is_better else bound
    with np.errstate(invalid="ignore", divide="ignore"):
        if span > 0:
            margin = (x - bound) / span if higher_is_better else (bound - x) / span
        else:
            # no room above the bound (accuracy limit 1, or a zero reference): at the bound
            # there is no measurable margin
            meets = x >= bound if higher_is_better else x <= bound
            margin = np.where(meets, 0.0, -1.0)
        margin = np.where(np.isnan(x), np.nan, margin)
        u = np.where(margin >= 0, -np.expm1(-margin / saturation), np.nan)
    return u.astype(float)


def criterion_utilities(
    x: FloatArray, feasible: BoolArray, criterion: Criterion, limit: float | None
) -> FloatArray:
    """Every row's utility on one criterion (NaN on infeasible rows): :func:`utilities` against
    ``limit``, or, without one, against the worst feasible value (a missing value then counts 0).
    """
    u = np.full(x.size, np.nan)
    bound = limit
    if bound is None:
        pool = x[feasible & np.isfinite(x)]
        if pool.size:
            bound = float(pool.min() if criterion.higher_is_better else pool.max())
    if bound is not None and feasible.any():
        u[feasible] = utilities(
            x[feasible], limit, criterion.higher_is_better, criterion.saturation, bound
        )
    if limit is None:
        u[feasible & np.isnan(u)] = 0.0
    return u


def utility(
    value: float,
    limit: float | None,
    higher_is_better: bool,
    saturation: float,
    reference: float | None = None,
) -> float:
    """Utility of one value against its limit: 0 at the limit, rising with the margin, saturating.

    Margin, as a fraction:

    - lower is better (latency, cost, carbon): ``m = (limit - x) / limit`` — the share of the
      budget left (x = a fifth of the budget: m = 0.8);
    - higher is better (accuracy, a share in [0, 1]): ``m = (x - limit) / (1 - limit)`` — the
      share of the remaining gap to perfect that is closed (limit 0.90, x = 0.95: m = 0.5).

    ``u = 1 - exp(-m / saturation)`` for ``m >= 0``; NaN below the limit (rejected
    configurations get no score). When there is no limit, ``reference`` (the worst feasible
    value) takes its place.

    Why: docs/method.md §9 asks for diminishing returns — margin over a limit is worth something, but less
    and less. ``saturation`` is the margin at which 63 % of the attainable utility is reached,
    set per pillar in the catalog: precision saturates soon (a small scale: 95 % vs 98 % when 90 %
    is needed is almost the same), money keeps its value much longer (a large scale: a fifth of
    the budget is clearly better than half of it).
    """
    return float(
        utilities(np.array([value], dtype=float), limit, higher_is_better, saturation, reference)[0]
    )
