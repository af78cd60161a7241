"""The whole chain: :func:`run` strings reject, score, Monte Carlo, Pareto, the robust decision and
the views around it together into a :class:`ScoringResult`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from llmdecide import gcpause
from llmdecide.scoring.choices import per_choice
from llmdecide.scoring.feasibility import closest_to_feasible, reject
from llmdecide.scoring.limits import Decider, limit_sensitivity
from llmdecide.scoring.pareto import pareto_front
from llmdecide.scoring.pillars import Criterion, _get, _method_number, criteria, extra_criteria
from llmdecide.scoring.ranking import score
from llmdecide.scoring.robust import Recommendation, recommend_robust
from llmdecide.scoring.triangle import sensitivity, winner_map
from llmdecide.scoring.uncertainty import monte_carlo
from llmdecide.scoring.whatif import WHATIF_DISPLAY, whatif_data

# --------------------------------------------------------------------------------------------
# The whole chain
# --------------------------------------------------------------------------------------------


@dataclass
class ScoringResult:
    """What :func:`run` returns; ``frame`` holds every row with the scoring columns added."""

    frame: pd.DataFrame
    criteria: list[Criterion]
    recommendation: Recommendation
    closest: list[dict[str, Any]]
    winner_map: list[dict[str, Any]]
    sensitivity: dict[str, Any]
    per_choice: dict[str, list[dict[str, Any]]]
    monte_carlo: dict[str, int] = field(default_factory=dict)
    limit_sensitivity: list[dict[str, Any]] = field(default_factory=list)
    probability_by_limit: dict[str, float] = field(default_factory=dict)
    whatif: dict[str, Any] = field(default_factory=dict)


@gcpause.while_paused  # allocates much, frees little: gcpause's docstring
def run(
    frame: pd.DataFrame,
    limits: Mapping[str, Any] | Any,
    weights: Mapping[str, float],
    method: Mapping[str, Any] | Any,
    max_setup_cost: float | None,
    extra_limits: Mapping[str, float] | None = None,
) -> ScoringResult:
    """Reject, score, Monte Carlo, Pareto, recommend, and the views around the recommendation.

    ``method`` supplies ``saturation_<pillar>``, ``monte_carlo_samples``, ``monte_carlo_seed`` and
    ``winner_map_steps``. ``frame`` columns added: ``feasible``, ``rejected_because``,
    ``total_violation``, ``u_<pillar>``, ``score``, ``rank``, ``topsis_score``, ``topsis_rank``,
    ``probability_meets_limits``, ``pareto``. When nothing is feasible, ``closest`` lists what to
    relax and the per-choice tables are centred on the closest configuration.
    """
    crits = criteria(limits, weights, method)
    hard = [*crits, *extra_criteria(extra_limits)]
    samples = int(_method_number(method, "monte_carlo_samples"))
    seed = int(_method_number(method, "monte_carlo_seed"))
    steps = int(_method_number(method, "winner_map_steps"))
    scored = score(reject(frame, hard, max_setup_cost), crits)
    scored["probability_meets_limits"] = monte_carlo(scored, hard, max_setup_cost, samples, seed)
    scored["pareto"] = pareto_front(scored, crits)
    raw_min = _get(method, "min_probability_meets_limits")
    min_probability = (
        0.0 if raw_min is None else _method_number(method, "min_probability_meets_limits")
    )
    rec = recommend_robust(scored, crits, min_probability)
    closest = [] if rec.best is not None else closest_to_feasible(scored, hard, max_setup_cost)
    points = winner_map(scored, crits, steps, min_probability)
    best_id = rec.best["config_id"] if rec.best else None
    centre: dict[str, Any] | None = rec.best
    if centre is None and closest:
        centre = {"config_id": closest[0]["config_id"]}
    choices_table = per_choice(scored, centre)
    decider = Decider(scored, crits, max_setup_cost, samples, seed, min_probability)
    by_limit: dict[str, float] = {}
    if best_id is not None:
        where = np.flatnonzero(decider.ids == best_id)
        by_limit = decider.probability_by_check(decider.limits(), int(where[0]))
    must = [
        r["config_id"]
        for r in (rec.best, rec.runner_up, rec.most_robust, *rec.variants)
        if r is not None
    ]
    must += [e["config_id"] for entries in choices_table.values() for e in entries]
    shown = {"monthly_cost", "setup_cost", *(c.column for c in crits)}
    display = [c for c in WHATIF_DISPLAY if c in scored.columns and c in shown]
    return ScoringResult(
        frame=scored,
        criteria=crits,
        recommendation=rec,
        closest=closest,
        winner_map=points,
        sensitivity=sensitivity(points, weights, best_id),
        per_choice=choices_table,
        monte_carlo={"samples": samples, "seed": seed},
        limit_sensitivity=limit_sensitivity(decider),
        probability_by_limit=by_limit,
        whatif=whatif_data(decider, scored, must, display=display),
    )
