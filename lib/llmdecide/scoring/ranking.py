"""Score, rank and TOPSIS: the weighted mean of the utilities (``score``, ``rank``), TOPSIS (pymcdm)
on the raw values as a cross-check (``topsis_score``, ``topsis_rank``), and :func:`recommend`
(best, runner-up, whether TOPSIS agrees) with its :class:`Recommendation`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from llmdecide._pymcdm import TOPSIS
from llmdecide.scoring.feasibility import reject
from llmdecide.scoring.frames import _record, _strings, _values
from llmdecide.scoring.pillars import (
    CONFIG_COLUMNS,
    BoolArray,
    Criterion,
    FloatArray,
    normalised_weights,
    utilities,
)

# --------------------------------------------------------------------------------------------
# Score, rank, TOPSIS
# --------------------------------------------------------------------------------------------


def _order(primary: FloatArray, config_ids: npt.NDArray[np.str_]) -> npt.NDArray[np.intp]:
    """Indices sorted by ``primary`` descending (NaN last), then ``config_id`` ascending."""
    key = np.where(np.isnan(primary), np.inf, -primary)
    return np.lexsort((config_ids, key))


def _ranks(values: FloatArray, mask: BoolArray, config_ids: npt.NDArray[np.str_]) -> pd.Series:
    ranks = pd.array([pd.NA] * len(values), dtype="Int64")
    idx = np.flatnonzero(mask)
    order = idx[_order(values[idx], config_ids[idx])]
    ranks[order] = np.arange(1, len(order) + 1)
    return ranks


def _criteria_matrix(frame: pd.DataFrame, crits: Sequence[Criterion]) -> FloatArray:
    if not crits:
        return np.zeros((len(frame), 0))
    return np.column_stack([_values(frame, c.column) for c in crits])


def topsis_scores(matrix: FloatArray, weights: FloatArray, types: Sequence[int]) -> FloatArray:
    """TOPSIS closeness (pymcdm, min-max normalisation) of the rows of ``matrix``.

    Columns that cannot discriminate (constant, or weight 0) are dropped and the remaining
    weights renormalised; with one row or no discriminating column every row scores 1.0.
    NaN cells take the column's worst value.
    """
    m = np.array(matrix, dtype=float, copy=True)
    n = m.shape[0]
    if n == 0:
        return np.zeros(0)
    types_arr = np.asarray(types, dtype=int)
    keep = []
    for j in range(m.shape[1]):
        col = m[:, j]
        finite = col[np.isfinite(col)]
        if finite.size == 0:
            continue
        worst = finite.min() if types_arr[j] > 0 else finite.max()
        col[~np.isfinite(col)] = worst
        if weights[j] > 0 and finite.size and col.max() > col.min():
            keep.append(j)
    if n == 1 or not keep:
        return np.ones(n)
    w = np.asarray(weights, dtype=float)[keep]
    w = w / w.sum()
    return np.asarray(TOPSIS()(m[:, keep], w, types_arr[keep], validation=False), dtype=float)


def score(frame: pd.DataFrame, criteria: Sequence[Criterion]) -> pd.DataFrame:
    """A copy of ``frame`` with ``u_<pillar>``, ``score``, ``rank``, ``topsis_score``, ``topsis_rank``.

    ``frame`` should come from :func:`reject` (it is called, without a set-up budget, when
    ``feasible`` is missing). Feasible rows only:

    - ``u_<pillar>``: :func:`utility` against the limit, or against the worst feasible value when
      the criterion has none (then a missing value counts as utility 0);
    - ``score``: the weighted mean of the utilities, weights normalised over the criteria;
    - ``rank``: 1 = best, by score descending then ``config_id`` (Int64, NA when infeasible);
    - ``topsis_score`` / ``topsis_rank``: pymcdm TOPSIS on the raw criteria values of the feasible
      rows (types +1 for accuracy, -1 otherwise, same weights) — a cross-check that has no
      saturation, so it can disagree with ``score`` on purpose.
    Infeasible rows get NaN / NA.
    """
    out = frame.copy() if "feasible" in frame.columns else reject(frame, criteria, None)
    n = len(out)
    feasible = out["feasible"].to_numpy(dtype=bool)
    config_ids = _strings(out, "config_id")
    weights = normalised_weights(criteria)
    total = np.zeros(n)
    for crit, w in zip(criteria, weights, strict=True):
        x = _values(out, crit.column)
        u = np.full(n, np.nan)
        bound = crit.limit
        if bound is None:
            pool = x[feasible & np.isfinite(x)]
            if pool.size:
                bound = float(pool.min() if crit.higher_is_better else pool.max())
        if bound is not None and feasible.any():
            u[feasible] = utilities(
                x[feasible], crit.limit, crit.higher_is_better, crit.saturation, bound
            )
        if crit.limit is None:
            u[feasible & np.isnan(u)] = 0.0
        out[f"u_{crit.pillar}"] = u
        total = total + w * np.nan_to_num(u, nan=0.0)
    scores = np.where(feasible, total, np.nan)
    out["score"] = scores
    out["rank"] = _ranks(scores, feasible, config_ids)

    topsis = np.full(n, np.nan)
    idx = np.flatnonzero(feasible)
    if idx.size:
        matrix = _criteria_matrix(out.iloc[idx], criteria)
        types = [1 if c.higher_is_better else -1 for c in criteria]
        topsis[idx] = topsis_scores(matrix, weights, types)
    out["topsis_score"] = topsis
    out["topsis_rank"] = _ranks(topsis, feasible, config_ids)
    return out


# --------------------------------------------------------------------------------------------
# Recommendation
# --------------------------------------------------------------------------------------------


@dataclass
class Recommendation:
    """The best feasible configuration, the runner-up and when to prefer it.

    ``best`` / ``runner_up``: every column of the scored row (NaN → None), or None.
    ``prefer_runner_up_when``: one dict per criterion (and set-up cost) on which the runner-up is
    better — ``{"pillar", "column", "best", "runner_up", "difference_pct"}`` with
    ``difference_pct = (runner_up - best) / |best| × 100`` (one decimal; None when best is 0).
    ``methods_agree``: TOPSIS ranks the same configuration first. ``runner_up_differs_in``: the
    configuration columns on which the two differ. Version 2 (:func:`recommend_robust`):
    ``fragile``, ``most_robust``, ``variants``, ``runner_up_worse_in``, ``min_probability``.
    """

    best: dict[str, Any] | None
    runner_up: dict[str, Any] | None
    prefer_runner_up_when: list[dict[str, Any]]
    methods_agree: bool
    topsis_best: str | None
    runner_up_differs_in: list[str] = field(default_factory=list)
    # version 2 (recommend_robust): robustness, the other design's costs, variants
    runner_up_worse_in: list[dict[str, Any]] = field(default_factory=list)
    fragile: bool = False
    most_robust: dict[str, Any] | None = None
    variants: list[dict[str, Any]] = field(default_factory=list)
    min_probability: float = 0.0

    @property
    def feasible(self) -> bool:
        return self.best is not None


def _difference_pct(runner_up: float, best: float) -> float | None:
    if best == 0:
        return None
    return round((runner_up - best) / abs(best) * 100, 1)


def recommend(scored: pd.DataFrame, criteria: Sequence[Criterion]) -> Recommendation:
    """Best (rank 1) and runner-up (rank 2) of a :func:`score` frame, and the TOPSIS cross-check."""
    ranks = scored["rank"].to_numpy(dtype=float, na_value=np.nan)
    topsis_ranks = scored["topsis_rank"].to_numpy(dtype=float, na_value=np.nan)
    first = np.flatnonzero(ranks == 1)
    if first.size == 0:
        return Recommendation(None, None, [], methods_agree=True, topsis_best=None)
    best = _record(scored, int(first[0]))
    second = np.flatnonzero(ranks == 2)
    runner = _record(scored, int(second[0])) if second.size else None
    t_first = np.flatnonzero(topsis_ranks == 1)
    topsis_best = str(scored["config_id"].iloc[int(t_first[0])]) if t_first.size else None

    prefer: list[dict[str, Any]] = []
    differs: list[str] = []
    if runner is not None:
        checks = [(c.pillar, c.column, c.higher_is_better) for c in criteria]
        if "setup_cost" in scored.columns:
            checks.append(("cost", "setup_cost", False))
        for pillar, column, hib in checks:
            b, r = best.get(column), runner.get(column)
            if b is None or r is None:
                continue
            b, r = float(b), float(r)
            if (r > b) if hib else (r < b):
                prefer.append(
                    {
                        "pillar": pillar,
                        "column": column,
                        "best": b,
                        "runner_up": r,
                        "difference_pct": _difference_pct(r, b),
                    }
                )
        differs = [c for c in CONFIG_COLUMNS if c in best and best[c] != runner.get(c)]
    return Recommendation(
        best=best,
        runner_up=runner,
        prefer_runner_up_when=prefer,
        methods_agree=topsis_best == best["config_id"],
        topsis_best=topsis_best,
        runner_up_differs_in=differs,
    )
