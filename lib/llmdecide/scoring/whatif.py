"""The data of the HTML what-if (:func:`whatif_data`): the configurations, their draws and the
limits' ranges, for the page to run the :class:`~llmdecide.scoring.limits.Decider`'s arithmetic
when the reader moves a limit."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from llmdecide.scoring.frames import _strings, _values
from llmdecide.scoring.limits import Decider, limit_range
from llmdecide.scoring.pareto import _objectives, non_dominated

DRAW_SCALE = 2**53
WHATIF_DISPLAY: tuple[str, ...] = (
    "monthly_cost",
    "setup_cost",
    "p95_latency_s",
    "ttft_s",
    "turnaround_h",
    "accuracy",
    "monthly_kgco2e",
)
"""Figures the what-if may show for the winner (those of the criteria, and the set-up cost)."""
WHATIF_MAX_ROWS = 300
"""Configurations embedded in the HTML what-if beyond the ones it must hold (see
:func:`whatif_data`): keeps the page small."""


# 127 lines: the row selection (docstring order) and the JSON the page reads, one contract
# with the page's script; moved whole (issue 16: a move changes no result)
def whatif_data(
    decider: Decider,
    scored: pd.DataFrame,
    must: Sequence[str] = (),
    max_rows: int = WHATIF_MAX_ROWS,
    display: Sequence[str] = (),
) -> dict[str, Any]:
    """What the HTML what-if needs to re-run :class:`Decider` in the page (plain JSON).

    Rows embedded: those that can be feasible somewhere on the sliders (feasible at the most
    relaxed end of every :func:`limit_range`), in this order, up to ``max_rows`` beyond the
    compulsory ones: ``must`` (recommendation, runner-up, most robust, per-choice rows), every
    row that can set the reference of a criterion without a limit (the worst feasible value: the
    rows no other row beats on that value while passing every limit whenever they pass — so the
    page finds the same reference), the Pareto front of the feasible rows and of the robust ones
    at the client's limits (any priorities pick one of them there), then by score, then the
    nearest to feasible. ``{"criteria", "checks", "min_probability", "samples", "draws",
    "columns", "display", "rows": [{"id", "label", "x", "lo", "hi", "d"}], "embedded",
    "candidates", "configurations"}``; ``x`` are the values of ``columns``, ``lo``/``hi`` the
    Monte Carlo bounds of each check column (``checks`` order), ``d`` the ``display`` values.
    """
    n = len(decider.ids)
    loose = {c.key: limit_range(c.limit, c.higher_is_better)[1] for c in decider.checks}
    candidates = decider.feasible(loose)
    cand_idx = np.flatnonzero(candidates)
    index_of = dict(zip(decider.ids.tolist(), range(n), strict=True))
    chosen: dict[int, None] = {}
    for cid in must:
        k = index_of.get(str(cid))
        if k is not None and candidates[k]:
            chosen[k] = None
    # rows that can hold the reference of a criterion without a limit
    for crit in decider.criteria:
        if crit.limit is not None or cand_idx.size == 0:
            continue
        x = decider.x[crit.column][cand_idx]
        obj = [np.where(np.isnan(x), np.inf, x if crit.higher_is_better else -x)]
        for check in decider.checks:
            v = decider.x[check.column][cand_idx]
            v = np.where(np.isnan(v), -np.inf, -v if check.higher_is_better else v)
            obj.append(v)
        keep = non_dominated(np.column_stack(obj))
        for k in cand_idx[keep & np.isfinite(x)]:
            chosen[int(k)] = None
    base = decider.limits()
    order, _scores, prob = decider.order(base)
    if order.size:
        objectives = _objectives(scored.iloc[order], decider.criteria)
        for k in order[non_dominated(objectives)]:
            chosen[int(k)] = None
        robust = order[prob >= decider.min_probability]
        if robust.size:
            objectives = _objectives(scored.iloc[robust], decider.criteria)
            for k in robust[non_dominated(objectives)]:
                chosen[int(k)] = None
    compulsory = len(chosen)
    violation = (
        _values(scored, "total_violation") if "total_violation" in scored.columns else np.zeros(n)
    )
    rest = cand_idx[~np.isin(cand_idx, order)]
    rest = rest[np.lexsort((decider.ids[rest], violation[rest]))]
    budget = max_rows
    for k in [*order.tolist(), *rest.tolist()]:
        if budget <= 0:
            break
        if k not in chosen:
            chosen[k] = None
            budget -= 1
    rows_idx = sorted(chosen, key=lambda k: decider.ids[k])
    columns = list(decider.x)
    labels = _strings(scored, "label") if "label" in scored.columns else decider.ids
    shown = {c: _values(scored, c) for c in display if c in scored.columns}

    def num(v: float) -> float | None:
        return float(v) if math.isfinite(v) else None

    rows = []
    for k in rows_idx:
        rows.append(
            {
                "id": str(decider.ids[k]),
                "label": str(labels[k]) or str(decider.ids[k]),
                "x": [num(decider.x[c][k]) for c in columns],
                "lo": [num(decider.bounds[c.column][0][k]) for c in decider.checks],
                "hi": [num(decider.bounds[c.column][2][k]) for c in decider.checks],
                "d": [num(shown[c][k]) for c in shown],
            }
        )
    return {
        "criteria": [
            {
                "pillar": c.pillar,
                "column": c.column,
                "limit": c.limit,
                "higher_is_better": c.higher_is_better,
                "saturation": c.saturation,
                "weight": float(w),
            }
            for c, w in zip(decider.criteria, decider.weights, strict=True)
        ],
        "checks": [
            {
                "key": c.key,
                "pillar": c.pillar,
                "column": c.column,
                "limit": c.limit,
                "higher_is_better": c.higher_is_better,
                "range": list(limit_range(c.limit, c.higher_is_better)),
            }
            for c in decider.checks
        ],
        "min_probability": decider.min_probability,
        "samples": decider.samples,
        # exact: a draw u in [0, 1) is k / 2**53 for an integer k (a double has 53 bits), and
        # integers travel through JSON unrounded (results.plain rounds floats to 10 digits)
        "draws": [
            (decider.draws[c.column] * DRAW_SCALE).astype(np.int64).tolist() for c in decider.checks
        ],
        "draw_scale": DRAW_SCALE,
        "columns": columns,
        "display": list(shown),
        "rows": rows,
        "embedded": len(rows),
        "compulsory": compulsory,
        "candidates": int(cand_idx.size),
        "configurations": n,
    }


# --------------------------------------------------------------------------------------------
