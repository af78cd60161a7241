"""The triangle of priorities: which configuration wins where the client's weights move
(:func:`simplex_grid`, :func:`winner_map`) and how far they can move before the recommendation
changes (:func:`sensitivity`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from llmdecide.scoring.frames import _feasible_mask, _strings, _values
from llmdecide.scoring.pillars import (
    DISTANCE_METRIC,
    TRIANGLE,
    Criterion,
    FloatArray,
    normalised_weights,
)

# --------------------------------------------------------------------------------------------
# Winner map and sensitivity
# --------------------------------------------------------------------------------------------


def simplex_grid(steps: int) -> FloatArray:
    """(performance, precision, cost) weights on the triangle with step 1/steps.

    Order: performance 0 → 1, then precision 0 → 1 - performance; (steps+1)(steps+2)/2 points.
    """
    if steps <= 0:
        raise ValueError(f"steps must be >= 1, got {steps!r}")
    rows = [(i, j, steps - i - j) for i in range(steps + 1) for j in range(steps + 1 - i)]
    return np.array(rows, dtype=float) / steps


def winner_map(
    scored: pd.DataFrame,
    criteria: Sequence[Criterion],
    steps: int,
    min_probability: float | None = None,
) -> list[dict[str, Any]]:
    """The feasible configuration that scores best at each point of the priorities triangle.

    At each grid point (performance, precision, cost) = w on the simplex (step 1/steps), the
    carbon weight stays at the client's normalised value c and the triangle shares the rest:
    weights ((1-c)·w, c). Scores = utilities (feasible rows × pillars, NaN → 0) @ weights,
    argmax per point; ties go to the smallest ``config_id``, as in :func:`score`. Returns
    ``[{"performance", "precision", "cost", "carbon", "winner"}]`` (empty when nothing is
    feasible). With ``min_probability``, the pool is the rows whose probability of meeting every
    limit reaches it when there are any (as :func:`recommend_robust` decides).
    """
    grid = simplex_grid(steps)
    feasible = _feasible_mask(scored)
    idx = np.flatnonzero(feasible)
    if idx.size == 0:
        return []
    if min_probability is not None and "probability_meets_limits" in scored.columns:
        with np.errstate(invalid="ignore"):
            robust = _values(scored, "probability_meets_limits")[idx] >= min_probability
        if robust.any():
            idx = idx[robust]
    config_ids = _strings(scored, "config_id")[idx]
    order = np.argsort(config_ids, kind="stable")
    idx, config_ids = idx[order], config_ids[order]
    weights = normalised_weights(criteria)
    by_pillar = {c.pillar: w for c, w in zip(criteria, weights, strict=True)}
    carbon = float(by_pillar.get("carbon", 0.0))
    columns = [*TRIANGLE, "carbon"]
    u = np.zeros((idx.size, len(columns)))
    for j, pillar in enumerate(columns):
        name = f"u_{pillar}"
        if name in scored.columns:
            u[:, j] = np.nan_to_num(_values(scored, name)[idx], nan=0.0)
    w = np.column_stack([grid * (1.0 - carbon), np.full(len(grid), carbon)])
    winners = np.argmax(u @ w.T, axis=0)
    return [
        {
            "performance": round(float(p), 10),
            "precision": round(float(q), 10),
            "cost": round(float(r), 10),
            "carbon": round(carbon, 10),
            "winner": str(config_ids[k]),
        }
        for (p, q, r), k in zip(grid, winners, strict=True)
    ]


def sensitivity(
    points: Sequence[Mapping[str, Any]],
    client_weights: Mapping[str, float],
    best_id: str | None,
) -> dict[str, Any]:
    """How far the client's priorities are from a change of recommendation.

    The client's point is its (performance, precision, cost) weights renormalised to sum 1
    (carbon set aside: it is held fixed in the winner map). Distance is **half the L1 distance**
    on the triangle, ½ Σ|Δw|: the share of the total weight that has to move from some pillars to
    others (0.15 = "move 15 % of the weight"), at most 1. It is measured to the nearest grid
    point won by another configuration, so its resolution is the grid step.
    Returns ``{"metric": "half_l1", "client_point": {performance, precision, cost},
    "winner_at_client" (winner of the nearest grid point), "distance" | None,
    "nearest_weights": {performance, precision, cost} | None, "nearest_winner" | None,
    "share_recommendation_wins" (share of grid points won by ``best_id``), "points"}``.
    """
    raw = np.array([float(client_weights.get(p, 0.0) or 0.0) for p in TRIANGLE])
    client = raw / raw.sum() if raw.sum() > 0 else np.full(3, 1.0 / 3.0)
    result: dict[str, Any] = {
        "metric": DISTANCE_METRIC,
        "client_point": {p: round(float(v), 10) for p, v in zip(TRIANGLE, client, strict=True)},
        "winner_at_client": None,
        "distance": None,
        "nearest_weights": None,
        "nearest_winner": None,
        "share_recommendation_wins": 0.0,
        "points": len(points),
    }
    if not points:
        return result
    grid = np.array([[float(pt[p]) for p in TRIANGLE] for pt in points])
    winners = np.array([str(pt["winner"]) for pt in points])
    dist = 0.5 * np.abs(grid - client).sum(axis=1)
    result["winner_at_client"] = str(winners[int(np.argmin(dist))])
    result["share_recommendation_wins"] = round(float(np.mean(winners == best_id)), 6)
    other = np.flatnonzero(winners != best_id)
    if other.size:
        k = int(other[np.argmin(dist[other])])
        result["distance"] = round(float(dist[k]), 6)
        result["nearest_weights"] = {
            p: round(float(v), 10) for p, v in zip(TRIANGLE, grid[k], strict=True)
        }
        result["nearest_winner"] = str(winners[k])
    return result
