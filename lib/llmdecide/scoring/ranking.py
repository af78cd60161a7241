"""Score, rank and TOPSIS: the weighted mean of the utilities (``score``, ``rank``), and TOPSIS
(pymcdm) on the raw values as a cross-check (``topsis_score``, ``topsis_rank``). The
recommendation drawn from them is :func:`~llmdecide.scoring.robust.recommend_robust`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from llmdecide._pymcdm import TOPSIS
from llmdecide.scoring.feasibility import reject
from llmdecide.scoring.frames import _strings, _values
from llmdecide.scoring.pillars import (
    BoolArray,
    Criterion,
    FloatArray,
    criterion_utilities,
    normalised_weights,
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
        u = criterion_utilities(_values(out, crit.column), feasible, crit, crit.limit)
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
