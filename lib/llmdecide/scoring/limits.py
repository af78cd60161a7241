"""The decision as a function of the limits: the limits in force (:class:`Check`,
:func:`checks_of`, :func:`limit_range`, round relaxed values), the :class:`Decider` that re-runs
reject, score, Monte Carlo and :func:`~llmdecide.scoring.robust.robust_order` over arrays, and
:func:`limit_sensitivity` (how far each limit can move before the recommendation changes)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from llmdecide.scoring.feasibility import _broken
from llmdecide.scoring.frames import _feasible_mask, _strings, _values, _values_or
from llmdecide.scoring.pillars import (
    BoolArray,
    Criterion,
    FloatArray,
    criterion_utilities,
    normalised_weights,
)
from llmdecide.scoring.uncertainty import _bounds, _mc_streams, triangular_cdf

# --------------------------------------------------------------------------------------------
# The decision as a function of the limits: limit sensitivity and the HTML what-if
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One hard limit: a pillar's (``key`` = the pillar) or the set-up budget (``key`` = "setup")."""

    key: str
    pillar: str
    column: str
    limit: float
    higher_is_better: bool


SETUP_KEY = "setup"


def checks_of(criteria: Sequence[Criterion], max_setup_cost: float | None) -> list[Check]:
    """The limits in force: the criteria with a limit (pillar order), then the set-up budget."""
    out = [
        Check(c.pillar, c.pillar, c.column, float(c.limit), c.higher_is_better)
        for c in criteria
        if c.limit is not None
    ]
    if max_setup_cost is not None:
        out.append(Check(SETUP_KEY, "cost", "setup_cost", float(max_setup_cost), False))
    return out


def limit_range(limit: float, higher_is_better: bool) -> tuple[float, float]:
    """(tightest, most relaxed) value a limit is explored over, in the limit sensitivity and on
    the what-if sliders: half to twice a "lower is better" limit; for a share where more is
    better (accuracy), 10 points lower to half-way to 100 %."""
    if higher_is_better:
        return (min(1.0, limit + (1.0 - limit) / 2), max(0.0, limit - 0.10))
    return (limit / 2, limit * 2)


ROUND_LADDER: tuple[float, ...] = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
ROUND_STEP_MIN = 0.25
ACCURACY_STEP = 0.02


def round_value(value: float, higher_is_better: bool) -> float:
    """``value`` moved to a round number, in the relaxing direction: up to the first value of the
    1-1.5-2-2.5-3-4-5-6-8 ladder (× a power of ten) for a "lower is better" limit (4.76 s → 5 s,
    7 200 → 8 000); down to a whole point for a share where more is better (0.8755 → 0.87)."""
    if higher_is_better:
        return max(0.0, math.floor(round(value * 100, 9)) / 100)
    if value <= 0:
        return value
    scale = 10.0 ** math.floor(math.log10(value))
    for step in ROUND_LADDER:
        candidate = step * scale
        if candidate >= value * (1 - 1e-12):
            return float(f"{candidate:.12g}")
    return float(f"{10 * scale:.12g}")


def round_relaxation(limit: float, higher_is_better: bool) -> float:
    """A round relaxed limit when relaxing changes nothing nearby: :func:`round_value` of the
    limit 25 % looser (3 s → 4 s, 8 s → 10 s, 6 000 → 8 000), or 2 points lower for a share
    (0.90 → 0.88)."""
    if higher_is_better:
        return round_value(limit - ACCURACY_STEP, True)
    return round_value(limit * (1 + ROUND_STEP_MIN), False)


class Decider:
    """The decision (reject, score, Monte Carlo, :func:`robust_order`) as a function of the limits,
    with the configurations turned into arrays once: :func:`limit_sensitivity` asks it a hundred
    times, and the HTML what-if runs the same arithmetic in the page.

    ``scored`` comes from :func:`reject` / :func:`score` at the client's limits. A row can become
    feasible when limits move only if relaxing numbers can admit it (``total_violation`` finite:
    no constraint, no batch row under a latency limit, no missing value) and nothing but a number
    rejects it at the client's limits. :meth:`pick` agrees with :func:`recommend_robust` on
    :func:`run`'s frame (tests check it).
    """

    def __init__(
        self,
        scored: pd.DataFrame,
        criteria: Sequence[Criterion],
        max_setup_cost: float | None,
        samples: int,
        seed: int,
        min_probability: float,
    ) -> None:
        self.criteria = list(criteria)
        self.checks = checks_of(criteria, max_setup_cost)
        self.min_probability = float(min_probability)
        self.samples = int(samples)
        self.ids = _strings(scored, "config_id")
        # the rank of each id (ties by position, as a stable sort keeps them): sorting on it
        # orders as sorting on the ids does, without comparing strings at every pick
        self.id_rank = np.empty(len(self.ids), dtype=np.intp)
        self.id_rank[np.argsort(self.ids, kind="stable")] = np.arange(len(self.ids))
        self.weights = normalised_weights(self.criteria)
        violation = _values_or(scored, "total_violation", 0.0)
        feasible = _feasible_mask(scored)
        self.base = np.isfinite(violation) & (feasible | (violation > 0))
        columns = [c.column for c in self.criteria] + [c.column for c in self.checks]
        self.x = {c: _values(scored, c) for c in dict.fromkeys(columns)}
        self.bounds = {c.column: _bounds(scored, c.column) for c in self.checks}
        self.draws = _mc_streams([c.column for c in self.checks], self.samples, seed)

    def limits(self) -> dict[str, float]:
        """The client's limits, by check key."""
        return {c.key: c.limit for c in self.checks}

    def feasible(self, limits: Mapping[str, float]) -> BoolArray:
        ok = self.base.copy()
        for check in self.checks:
            x = self.x[check.column]
            ok &= ~_broken(x, float(limits[check.key]), check.higher_is_better)
        return ok

    def scores(self, limits: Mapping[str, float], feasible: BoolArray) -> FloatArray:
        """As :func:`score`: saturating utilities against the limits, weighted mean."""
        return np.where(feasible, self._weighted(limits, feasible, None), np.nan)

    def feasible_scores(self, limits: Mapping[str, float], idx: npt.NDArray[np.intp]) -> FloatArray:
        """``scores(limits, feasible)[idx]`` for the feasible rows ``idx``, computed on those
        rows only (each row's utilities are its own: the same values)."""
        return self._weighted(limits, np.ones(idx.size, dtype=bool), idx)

    def _weighted(
        self, limits: Mapping[str, float], feasible: BoolArray, idx: npt.NDArray[np.intp] | None
    ) -> FloatArray:
        """The weighted sum of the criteria's utilities, of every row (``idx`` None) or of the
        rows ``idx``; ``feasible`` is over the same rows."""
        total = np.zeros(feasible.size)
        for crit, w in zip(self.criteria, self.weights, strict=True):
            limit = float(limits[crit.pillar]) if crit.limit is not None else None
            x = self.x[crit.column]
            u = criterion_utilities(x if idx is None else x[idx], feasible, crit, limit)
            total = total + w * np.nan_to_num(u, nan=0.0)
        return total

    def probabilities(self, limits: Mapping[str, float], rows: npt.ArrayLike) -> FloatArray:
        """As :func:`monte_carlo`, for the given (feasible) rows: 1 without sampling when a row's
        whole range is inside every limit, else the share of the draws meeting them all."""
        rows = np.asarray(rows, dtype=int)
        alive = np.ones(rows.size, dtype=bool)
        sure = np.ones(rows.size, dtype=bool)
        cdfs = []
        for check in self.checks:
            low, value, high = (b[rows] for b in self.bounds[check.column])
            limit = float(limits[check.key])
            hib = check.higher_is_better
            alive &= ~np.isnan(value)
            with np.errstate(invalid="ignore"):
                sure &= ~_broken(low if hib else high, limit, hib)
            cdfs.append(triangular_cdf(limit, low, value, high))
        out = np.where(alive & sure, 1.0, 0.0)
        todo = np.flatnonzero(alive & ~sure)
        if todo.size:
            meets = np.ones((todo.size, self.samples), dtype=bool)
            for check, cdf in zip(self.checks, cdfs, strict=True):
                t = cdf[todo]
                # every draw (in [0, 1)) meets a cdf of 0 (u >= 0) or of 1 (u < 1): skip
                if (t == 0.0).all() if check.higher_is_better else (t == 1.0).all():
                    continue
                u = self.draws[check.column][None, :]
                meets &= (u >= t[:, None]) if check.higher_is_better else (u < t[:, None])
            out[todo] = meets.mean(axis=1)
        return out

    def order(
        self, limits: Mapping[str, float]
    ) -> tuple[npt.NDArray[np.intp], FloatArray, FloatArray]:
        """(feasible rows in decision order, scores, probabilities of those rows)."""
        feasible = self.feasible(limits)
        scores = self.scores(limits, feasible)
        idx = np.flatnonzero(feasible)
        prob = self.probabilities(limits, idx)
        robust = prob >= self.min_probability
        key = np.where(np.isnan(scores[idx]), np.inf, -scores[idx])
        order = np.lexsort((self.id_rank[idx], key, ~robust))
        return idx[order], scores, prob[order]

    def probability_by_check(self, limits: Mapping[str, float], row: int) -> dict[str, float]:
        """Share of the Monte Carlo scenarios in which ``row`` meets each limit on its own."""
        out = {}
        for check in self.checks:
            low, value, high = (b[row] for b in self.bounds[check.column])
            if math.isnan(value):
                out[check.key] = 0.0
                continue
            cdf = float(triangular_cdf(float(limits[check.key]), low, value, high))
            u = self.draws[check.column]
            meets = (u >= cdf) if check.higher_is_better else (u < cdf)
            out[check.key] = float(meets.mean())
        return out

    def pick(self, limits: Mapping[str, float]) -> int | None:
        """Row position of the recommendation under these limits (None: nothing feasible): the
        first row of :meth:`order`, found by computing probabilities in score order only until
        one reaches the threshold (the first robust row, else the best score)."""
        feasible = self.feasible(limits)
        idx = np.flatnonzero(feasible)
        if idx.size == 0:
            return None
        scores = self.feasible_scores(limits, idx)
        key = np.where(np.isnan(scores), np.inf, -scores)
        by_score = idx[np.lexsort((self.id_rank[idx], key))]
        if self.min_probability <= 0:
            return int(by_score[0])
        start, chunk = 0, 16
        while start < by_score.size:
            rows = by_score[start : start + chunk]
            hit = np.flatnonzero(self.probabilities(limits, rows) >= self.min_probability)
            if hit.size:
                return int(rows[hit[0]])
            start, chunk = start + chunk, chunk * 4
        return int(by_score[0])


SENSITIVITY_LADDER: tuple[float, ...] = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)
"""Share of the way from the limit to the end of :func:`limit_range` tried first; the first
change found is then narrowed by bisection."""
BISECTIONS = 8


def _first_change(
    decider: Decider, limits: Mapping[str, float], check: Check, target: float, current: int | None
) -> tuple[float, int | None] | None:
    """The limit value nearest to the client's, towards ``target``, at which the pick changes."""
    start = float(limits[check.key])

    def at(share: float) -> tuple[float, int | None]:
        value = start + share * (target - start)
        return value, decider.pick({**limits, check.key: value})

    previous = 0.0
    for share in SENSITIVITY_LADDER:
        value, winner = at(share)
        if winner != current:
            low, high, found = previous, share, (value, winner)
            for _ in range(BISECTIONS):
                middle = (low + high) / 2
                value, winner = at(middle)
                if winner != current:
                    high, found = middle, (value, winner)
                else:
                    low = middle
            return found
        previous = share
    return None


def _move(
    check: Check, value: float, winner: int | None, ids: npt.NDArray[np.str_]
) -> dict[str, Any]:
    return {
        "limit": float(f"{value:.6g}"),
        "change_pct": round((value - check.limit) / abs(check.limit) * 100, 1)
        if check.limit
        else None,
        "winner": None if winner is None else str(ids[winner]),
    }


def limit_sensitivity(decider: Decider) -> list[dict[str, Any]]:
    """For each limit in force: how far it can move before the recommendation changes, and what
    relaxing it by a round step gives: the first change rounded (:func:`round_value`: "accept
    p95 5 s: the API"), or :func:`round_relaxation` when relaxing changes nothing in the range.

    Each: ``{"key", "pillar", "column", "limit", "higher_is_better", "range": [tightest,
    loosest], "recommendation": config_id | None, "tighten": move | None, "relax": move | None,
    "step": move + {"changes": bool}}`` where a move is ``{"limit", "change_pct", "winner"}``:
    the first limit value found (within :func:`limit_range`, resolution 1/2⁸ of a ladder step)
    at which the decision of :class:`Decider` is another configuration (``winner`` None: nothing
    feasible any more). ``tighten`` / ``relax`` None: no change within the range. The other limits
    stay at the client's values.
    """
    base = decider.limits()
    current = decider.pick(base)
    out = []
    for check in decider.checks:
        tight, loose = limit_range(check.limit, check.higher_is_better)
        tighten = _first_change(decider, base, check, tight, current)
        relax = _first_change(decider, base, check, loose, current)
        step_value = (
            round_value(relax[0], check.higher_is_better)
            if relax is not None
            else round_relaxation(check.limit, check.higher_is_better)
        )
        step_winner = decider.pick({**base, check.key: step_value})
        out.append(
            {
                "key": check.key,
                "pillar": check.pillar,
                "column": check.column,
                "limit": check.limit,
                "higher_is_better": check.higher_is_better,
                "range": [tight, loose],
                "recommendation": None if current is None else str(decider.ids[current]),
                "tighten": None if tighten is None else _move(check, *tighten, decider.ids),
                "relax": None if relax is None else _move(check, *relax, decider.ids),
                "step": {
                    **_move(check, step_value, step_winner, decider.ids),
                    "changes": step_winner != current,
                },
            }
        )
    return out
