"""The evaluation and pilot plan (issue 15, item 5): what the pilot must measure, and which models
the client should evaluate because their published proxy does not settle the precision limit.

Pure functions over the scored configurations table (``scoring.run``'s frame) and the method's
Monte Carlo settings; nothing here reads a file.

**Variance-based ranking.** :func:`scoring.monte_carlo` draws one uniform vector per uncertain
column (common random numbers, :func:`scoring._mc_streams`); a configuration meets every limit
in a scenario when each column's draw is inside its limit: Y = Π_c Y_c with Y_c = 1[column c
meets its limits]. The columns are drawn independently, so E[Y | U_c] depends on U_c only through
Y_c, and the first-order (Sobol) share of the variance of Y explained by column c is, from the
draws, Var(E[Y | Y_c]) / Var(Y) = p_c (1 − p_c) (m₁ − m₀)² / (P (1 − P)), with p_c = mean(Y_c),
m₁, m₀ the mean of Y where Y_c is 1 or 0, P = mean(Y). (For independent columns this equals
(1 − p_c) P / (p_c (1 − P)); the tests check it by hand.) The column with the largest share is
the one whose measurement removes most of the doubt about meeting the limits.

**Threshold that changes the decision.** If the pilot moves a column's central estimate to v,
its range moving with it (the catalog's spread around the estimate stays), the probability
becomes p_c(v) × Q_c with Q_c the probability that every other column meets its limits (same
draws). It equals ``min_probability`` when p_c(v) = min_probability / Q_c =: τ; for a "lower is
better" limit L, p_c(v) = F(L − (v − value)) so v* = value + L − F⁻¹(τ); for "higher is better"
(accuracy), v* = value + L − F⁻¹(1 − τ) (F: the column's triangular(low, value, high)). When
τ > 1 no value of this column alone makes the configuration robust (None).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from llmdecide import scoring
from llmdecide.estimators import precision as precision_mod

BoolArray = npt.NDArray[np.bool_]
AT_MOST = "at_most"
AT_LEAST = "at_least"


def column_outcomes(
    row: Mapping[str, Any],
    checks: Sequence[scoring.Check],
    draws: Mapping[str, npt.NDArray[np.float64]],
) -> dict[str, BoolArray]:
    """Per uncertain column, whether each Monte Carlo scenario meets every limit on that column
    (two limits on one column — a pillar and an extra limit — are and-ed), with the draws and the
    comparison :func:`scoring.monte_carlo` uses: x = F⁻¹(u) meets x ≤ L iff u < F(L)."""
    out: dict[str, BoolArray] = {}
    for check in checks:
        low, value, high = column_bounds(row, check.column)
        u = draws[check.column]
        if np.isnan(value):
            meets = np.zeros(u.shape, dtype=bool)
        else:
            cdf = float(scoring.triangular_cdf(check.limit, low, value, high))
            meets = (u >= cdf) if check.higher_is_better else (u < cdf)
        out[check.column] = out[check.column] & meets if check.column in out else meets
    return out


def column_bounds(row: Mapping[str, Any], column: str) -> tuple[float, float, float]:
    """(low, value, high) of a column as :func:`scoring.monte_carlo` reads it: a missing bound is
    the value, and the bounds always enclose the value."""
    value = _float(row.get(column))
    low = _float(row.get(f"{column}_low"), value)
    high = _float(row.get(f"{column}_high"), value)
    return min(low, value), value, max(high, value)


def _float(x: Any, default: float = float("nan")) -> float:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return default
    return default if np.isnan(f) else f


def variance_shares(outcomes: Mapping[str, BoolArray]) -> dict[str, float | None]:
    """First-order share of Var(Y) explained by each column, Y = all columns meet (see the
    module docstring); None for every column when Y does not vary (always or never met)."""
    if not outcomes:
        return {}
    y = np.logical_and.reduce(list(outcomes.values()))
    p_all = float(y.mean())
    var_y = p_all * (1.0 - p_all)
    out: dict[str, float | None] = {}
    for column, yc in outcomes.items():
        if var_y <= 0:
            out[column] = None
            continue
        p = float(yc.mean())
        m1 = float(y[yc].mean()) if yc.any() else 0.0
        m0 = float(y[~yc].mean()) if (~yc).any() else 0.0
        out[column] = p * (1.0 - p) * (m1 - m0) ** 2 / var_y
    return out


def threshold_value(
    bounds: tuple[float, float, float],
    limit: float,
    higher_is_better: bool,
    others_probability: float,
    min_probability: float,
) -> float | None:
    """Central value v* of a column (its range moved with it) at which the probability of meeting
    every limit equals ``min_probability``, the other columns' joint probability being
    ``others_probability`` (module docstring). None: no value of this column alone reaches it."""
    low, value, high = bounds
    if np.isnan(value) or others_probability <= 0:
        return None
    target = min_probability / others_probability
    if target > 1.0:
        return None
    q = 1.0 - target if higher_is_better else target
    return float(value + limit - float(scoring.triangular_inverse(q, low, value, high)))


def measurements_for(
    row: Mapping[str, Any],
    checks: Sequence[scoring.Check],
    draws: Mapping[str, npt.NDArray[np.float64]],
    min_probability: float,
) -> list[dict[str, Any]]:
    """The pilot's measurements for one configuration: one entry per limited column, largest
    variance share first (then column name): ``column``, ``limit`` (the tightest when a column has
    two), ``low``/``value``/``high``, ``probability_alone`` (share of scenarios meeting that
    column's limits), ``variance_share``, ``threshold`` (v*), ``direction`` (at_most / at_least:
    robust while the measured value is on that side of v*)."""
    outcomes = column_outcomes(row, checks, draws)
    shares = variance_shares(outcomes)
    out: list[dict[str, Any]] = []
    for column, yc in outcomes.items():
        mine = [c for c in checks if c.column == column]
        hib = mine[0].higher_is_better
        limit = max(c.limit for c in mine) if hib else min(c.limit for c in mine)
        others = [v for k, v in outcomes.items() if k != column]
        q = float(np.logical_and.reduce(others).mean()) if others else 1.0
        bounds = column_bounds(row, column)
        out.append(
            {
                "column": column,
                "limit": limit,
                "low": bounds[0],
                "value": bounds[1],
                "high": bounds[2],
                "probability_alone": float(yc.mean()),
                "variance_share": shares[column],
                "threshold": threshold_value(bounds, limit, hib, q, min_probability),
                "direction": AT_LEAST if hib else AT_MOST,
            }
        )
    out.sort(key=lambda e: (-(e["variance_share"] or 0.0), e["column"]))
    return out


def pilot_measurements(
    frame: pd.DataFrame,
    config_ids: Mapping[str, str | None],
    criteria: Sequence[scoring.Criterion],
    max_setup_cost: float | None,
    samples: int,
    seed: int,
    min_probability: float,
) -> list[dict[str, Any]]:
    """For each role → config_id (recommendation, runner-up), the measurements the pilot must
    bring (:func:`measurements_for`), with the row's ``probability_meets_limits`` recomputed from
    the same draws (``probability``) and whether it reaches ``min_probability`` (``robust``)."""
    checks = scoring.checks_of(criteria, max_setup_cost)
    draws = scoring._mc_streams([c.column for c in checks], samples, seed)
    by_id = frame.set_index("config_id")
    out = []
    for role, config_id in config_ids.items():
        if config_id is None or config_id not in by_id.index:
            continue
        row = by_id.loc[config_id].to_dict()
        outcomes = column_outcomes(row, checks, draws)
        y = np.logical_and.reduce(list(outcomes.values())) if outcomes else None
        probability = float(y.mean()) if y is not None else 1.0
        out.append(
            {
                "role": role,
                "config_id": str(config_id),
                "label": str(row.get("label") or config_id),
                "probability": probability,
                "robust": probability >= min_probability,
                "measurements": measurements_for(row, checks, draws, min_probability),
            }
        )
    return out


def close_to_limit(frame: pd.DataFrame, precision_limit: float | None) -> list[dict[str, Any]]:
    """Models whose precision rests on a published proxy (not the client's evaluation) and whose
    best configuration's range contains the client's precision limit: "too close" to the limit,
    the proxy cannot say whether the model passes, so the client should evaluate it.

    Per model, among rows no constraint excludes with ``accuracy_source`` proxy, the row of
    highest ``accuracy`` (the best the model can do; ties: config_id); the model is listed when
    that row's ``accuracy_low`` ≤ limit ≤ ``accuracy_high`` with low < high. Entry: ``model``,
    ``config_id``, ``accuracy_low``, ``accuracy``, ``accuracy_high``, ``rag``, ``optimisation``,
    ``precision_limit``; ordered by model name."""
    if precision_limit is None or len(frame) == 0 or "accuracy" not in frame.columns:
        return []
    blank = pd.Series("", index=frame.index)
    source = frame.get("accuracy_source", blank).fillna("").astype(str)
    excluded = frame.get("excluded_because", blank).fillna("").astype(str)
    rows = frame[(source == precision_mod.PROXY) & (excluded == "")]
    rows = rows[pd.to_numeric(rows["accuracy"], errors="coerce").notna()]
    out = []
    for model, group in rows.groupby("model", sort=True):
        best = group.sort_values(["accuracy", "config_id"], ascending=[False, True]).iloc[0]
        low, value, high = column_bounds(best.to_dict(), "accuracy")
        if not (low <= precision_limit <= high and low < high):
            continue
        out.append(
            {
                "model": str(model),
                "config_id": str(best["config_id"]),
                "accuracy_low": low,
                "accuracy": value,
                "accuracy_high": high,
                "rag": _text(best.get("rag")),
                "optimisation": _text(best.get("optimisation")),
                "precision_limit": float(precision_limit),
            }
        )
    return out


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def pilot_plan(
    scored: Any,
    method: Mapping[str, Any],
    max_setup_cost: float | None,
    extra_limits: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """``results.json`` ``pilot_plan`` from a :class:`scoring.ScoringResult`: ``min_probability``,
    ``designs`` (:func:`pilot_measurements` of the recommendation and the runner-up, with the
    extra limits in force as in the Monte Carlo) and ``close_to_limit`` (:func:`close_to_limit`)."""
    rec = scored.recommendation
    hard = [*scored.criteria, *scoring.extra_criteria(extra_limits)]
    min_probability = float(rec.min_probability or 0.0)
    ids = {
        "recommendation": rec.best["config_id"] if rec.best else None,
        "runner_up": rec.runner_up["config_id"] if rec.runner_up else None,
    }
    precision = next((c for c in scored.criteria if c.pillar == "precision"), None)
    return {
        "min_probability": min_probability,
        "samples": int(method["monte_carlo_samples"]),
        "designs": pilot_measurements(
            scored.frame,
            ids,
            hard,
            max_setup_cost,
            int(method["monte_carlo_samples"]),
            int(method["monte_carlo_seed"]),
            min_probability,
        ),
        "close_to_limit": close_to_limit(
            scored.frame, None if precision is None else precision.limit
        ),
    }
