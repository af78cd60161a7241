"""The Pareto front: the rows no other feasible row beats on every criterion
(:func:`non_dominated`, :func:`pareto_front`, :func:`pareto_all`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from llmdecide.scoring.frames import _feasible_mask
from llmdecide.scoring.pillars import BoolArray, Criterion, FloatArray
from llmdecide.scoring.ranking import _criteria_matrix

# --------------------------------------------------------------------------------------------
# Pareto front
# --------------------------------------------------------------------------------------------


def _objectives(frame: pd.DataFrame, crits: Sequence[Criterion]) -> FloatArray:
    """Criteria values turned into minimisation objectives (accuracy negated; NaN → +inf)."""
    m = _criteria_matrix(frame, crits)
    signs = np.array([-1.0 if c.higher_is_better else 1.0 for c in crits])
    m = m * signs if m.size else m
    return np.where(np.isnan(m), np.inf, m)


def non_dominated(points: npt.ArrayLike) -> BoolArray:
    """True for rows of ``points`` (to be minimised) that no other row dominates.

    Rows are visited in lexicographic order — a row can only be dominated by one before it — and
    each is compared with the front found so far (vectorised), so the cost is n × |front| rather
    than n². Identical rows do not dominate each other.
    """
    p = np.asarray(points, dtype=float)
    n = p.shape[0]
    keep = np.zeros(n, dtype=bool)
    if n == 0:
        return keep
    if p.ndim == 1 or p.shape[1] == 0:
        keep[:] = True
        return keep
    order = np.lexsort(p.T[::-1])
    front = np.empty_like(p)
    size = 0
    for i in order:
        row = p[i]
        if size:
            f = front[:size]
            if np.any(np.all(f <= row, axis=1) & np.any(f < row, axis=1)):
                continue
        front[size] = row
        size += 1
        keep[i] = True
    return keep


def pareto_all(frame: pd.DataFrame, criteria: Sequence[Criterion]) -> pd.Series:
    """Non-dominated rows over the criteria columns, feasibility ignored (bool Series)."""
    return pd.Series(non_dominated(_objectives(frame, criteria)), index=frame.index, name="pareto")


def pareto_front(frame: pd.DataFrame, criteria: Sequence[Criterion]) -> pd.Series:
    """Feasible rows that no other feasible row dominates on every criterion (bool Series).

    All criteria take part (performance, precision, cost and carbon), whatever their weight.
    ``frame`` needs ``feasible`` (from :func:`reject`); without it every row counts as feasible.
    """
    feasible = _feasible_mask(frame)
    keep = np.zeros(len(frame), dtype=bool)
    idx = np.flatnonzero(feasible)
    if idx.size:
        keep[idx] = non_dominated(_objectives(frame.iloc[idx], criteria))
    return pd.Series(keep, index=frame.index, name="pareto")
