"""Scoring and recommendation (docs/method.md §9): pure functions over the configurations DataFrame.

One row per configuration (``config_id`` unique); the criteria columns are ``p95_latency_s``,
``ttft_s``, ``turnaround_h``, ``accuracy``, ``monthly_cost``, ``setup_cost``, ``monthly_kgco2e``,
the uncertain ones with ``<col>_low`` / ``<col>_high`` bounds (``low <= value <= high``).

The chain, each step a function of its own (``run`` strings them together):

1. :func:`criteria` — the client's limits and priorities plus the catalog's method settings become a
   list of :class:`Criterion` (one per pillar: performance, precision, cost, carbon).
2. :func:`reject` — every broken limit or constraint is written down (``rejected_because``).
3. :func:`score` — a saturating utility per criterion (0 at the limit, rising with the margin,
   flattening out), a weighted mean of the utilities (``score``, ``rank``) and TOPSIS (pymcdm) on the
   raw values as a cross-check (``topsis_score``, ``topsis_rank``).
4. :func:`recommend_robust` — the best robust configuration, a runner-up of another design, when
   to prefer it, the variants of the recommended design, whether TOPSIS agrees.
5. :func:`closest_to_feasible`, :func:`pareto_front`, :func:`per_choice`, :func:`winner_map`,
   :func:`sensitivity`, :func:`monte_carlo` — what the report shows around the recommendation.

No function reads a file, a clock or a global random state; the method's numbers (saturation
scales, Monte Carlo samples and seed, winner-map steps) come in through ``method`` (the catalog).

Modules, each importing only those before it:

- :mod:`~llmdecide.scoring.pillars`: the pillars, shared columns and reasons, :class:`Criterion`,
  :func:`criteria`, the weights and the saturating utility;
- :mod:`~llmdecide.scoring.frames`: a column as floats or strings, the ``feasible`` mask, a row as
  plain Python values;
- :mod:`~llmdecide.scoring.feasibility`: :func:`reject`, :func:`closest_to_feasible`,
  :func:`to_evaluate` (the evaluation plan);
- :mod:`~llmdecide.scoring.ranking`: :func:`score` (utilities, rank, TOPSIS);
- :mod:`~llmdecide.scoring.pareto`: :func:`non_dominated`, :func:`pareto_front`;
- :mod:`~llmdecide.scoring.triangle`: :func:`winner_map` over the triangle of priorities,
  :func:`sensitivity` to the weights;
- :mod:`~llmdecide.scoring.uncertainty`: triangular distributions, the seeded draws,
  :func:`monte_carlo`;
- :mod:`~llmdecide.scoring.robust`: :func:`robust_order`, :func:`compare`, :func:`moved_with`,
  :func:`recommend_robust` and its :class:`Recommendation`;
- :mod:`~llmdecide.scoring.choices`: :func:`per_choice` (the per-choice tables);
- :mod:`~llmdecide.scoring.limits`: :class:`Check`, :class:`Decider` (the decision as a function of
  the limits), :func:`limit_sensitivity`;
- :mod:`~llmdecide.scoring.whatif`: :func:`whatif_data` (the HTML what-if);
- :mod:`~llmdecide.scoring.chain`: :func:`run` and :class:`ScoringResult`.

This ``__init__`` re-exports the names below (``from llmdecide import scoring;
scoring.run(...)``); any other name is imported from its module. No module is named after a
function it holds (``scoring.run``, ``scoring.criteria``, ``scoring.winner_map`` stay functions).
"""

from __future__ import annotations

from llmdecide.scoring.chain import ScoringResult, run
from llmdecide.scoring.choices import per_choice
from llmdecide.scoring.feasibility import (
    closest_to_feasible,
    reject,
    to_evaluate,
    unknown_precision,
)
from llmdecide.scoring.limits import (
    Check,
    Decider,
    checks_of,
    limit_range,
    limit_sensitivity,
    round_relaxation,
    round_value,
)
from llmdecide.scoring.pareto import non_dominated, pareto_all, pareto_front
from llmdecide.scoring.pillars import (
    BATCH_REASON,
    CHOICES,
    CONFIG_COLUMNS,
    PILLARS,
    TRIANGLE,
    UNCERTAIN_COLUMNS,
    UNKNOWN_PRECISION_REASON,
    UNKNOWN_SOURCE,
    Criterion,
    criteria,
    extra_criteria,
    normalised_weights,
    utilities,
    utility,
)
from llmdecide.scoring.ranking import score, topsis_scores
from llmdecide.scoring.robust import (
    Recommendation,
    compare,
    moved_with,
    recommend_robust,
    robust_order,
)
from llmdecide.scoring.triangle import sensitivity, simplex_grid, winner_map
from llmdecide.scoring.uncertainty import (
    _mc_streams,
    monte_carlo,
    triangular_cdf,
    triangular_inverse,
)
from llmdecide.scoring.whatif import whatif_data

__all__ = [
    "BATCH_REASON",
    "CHOICES",
    "CONFIG_COLUMNS",
    "PILLARS",
    "TRIANGLE",
    "UNCERTAIN_COLUMNS",
    "UNKNOWN_PRECISION_REASON",
    "UNKNOWN_SOURCE",
    "Check",
    "Criterion",
    "Decider",
    "Recommendation",
    "ScoringResult",
    "_mc_streams",
    "checks_of",
    "closest_to_feasible",
    "compare",
    "criteria",
    "extra_criteria",
    "limit_range",
    "limit_sensitivity",
    "monte_carlo",
    "moved_with",
    "non_dominated",
    "normalised_weights",
    "pareto_all",
    "pareto_front",
    "per_choice",
    "recommend_robust",
    "reject",
    "robust_order",
    "round_relaxation",
    "round_value",
    "run",
    "score",
    "sensitivity",
    "simplex_grid",
    "to_evaluate",
    "topsis_scores",
    "triangular_cdf",
    "triangular_inverse",
    "unknown_precision",
    "utilities",
    "utility",
    "whatif_data",
    "winner_map",
]
