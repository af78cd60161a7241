"""The robust decision, a real alternative (docs/method.md §9): the decision order
(:func:`robust_order`), the figures on which two configurations differ (:func:`compare`), the
other choices that move with an option (:func:`moved_with`), and :func:`recommend_robust`
(best, a runner-up of another design, the most robust, the variants of the recommended design)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from llmdecide.scoring.frames import _feasible_mask, _record, _strings, _values, _values_or
from llmdecide.scoring.pillars import CONFIG_COLUMNS, Criterion

# --------------------------------------------------------------------------------------------
# Robust decision, a real alternative (docs/method.md §9)
# --------------------------------------------------------------------------------------------

DESIGN_COLUMNS: tuple[str, ...] = ("hosting", "model")
"""What makes another *design*: another hosting or another model. The same design in another
region, on another GPU or in another precision is a *variant* of it."""

VARIANTS_N = 3
NEGLIGIBLE_LOG_RATIO = 0.01
"""Figures that differ by less than about 1 % (|ln(a/b)| < 0.01) are not worth a sentence."""


@dataclass
class Recommendation:
    """The recommendation (:func:`recommend_robust`), the runner-up and when to prefer it.

    ``best`` / ``runner_up``: every column of the scored row (NaN → None), or None.
    ``prefer_runner_up_when`` / ``runner_up_worse_in``: the figures on which the runner-up is
    better / worse (:func:`compare`). ``methods_agree``: TOPSIS ranks the same configuration
    first. ``runner_up_differs_in``: the configuration columns on which the two differ.
    ``fragile``, ``most_robust``, ``variants``, ``min_probability``: see :func:`recommend_robust`.
    """

    best: dict[str, Any] | None
    runner_up: dict[str, Any] | None
    prefer_runner_up_when: list[dict[str, Any]]
    methods_agree: bool
    topsis_best: str | None
    runner_up_differs_in: list[str] = field(default_factory=list)
    runner_up_worse_in: list[dict[str, Any]] = field(default_factory=list)
    fragile: bool = False
    most_robust: dict[str, Any] | None = None
    variants: list[dict[str, Any]] = field(default_factory=list)
    min_probability: float = 0.0

    @property
    def feasible(self) -> bool:
        return self.best is not None


def _difference_pct(runner_up: float, best: float) -> float | None:
    """(runner_up - best) / |best| × 100, one decimal; None when best is 0."""
    if best == 0:
        return None
    return round((runner_up - best) / abs(best) * 100, 1)


def robust_order(scored: pd.DataFrame, min_probability: float) -> npt.NDArray[np.intp]:
    """Positions of the feasible rows in decision order.

    Rows whose ``probability_meets_limits`` reaches ``min_probability`` come first, then the
    others; within each group, by ``score`` descending, then ``config_id`` ascending (as
    :func:`score` breaks ties). Without a probability column every row counts as robust.
    """
    feasible = _feasible_mask(scored)
    idx = np.flatnonzero(feasible)
    if idx.size == 0:
        return idx
    prob = _values_or(scored, "probability_meets_limits", 1.0)[idx]
    with np.errstate(invalid="ignore"):
        robust = prob >= min_probability
    scores = _values(scored, "score")[idx]
    key = np.where(np.isnan(scores), np.inf, -scores)
    ids = _strings(scored, "config_id")[idx]
    return idx[np.lexsort((ids, key, ~robust))]


def _log_gap(best: float, other: float, higher_is_better: bool) -> float:
    """How much two figures differ, as |ln(ratio)|: of the values, or of the error rates
    (1 - accuracy) for a share where more is better (0.90 vs 0.95 is 10 % vs 5 % wrong: 2×).
    inf when one of them is 0 and the other not."""
    a, b = (1.0 - best, 1.0 - other) if higher_is_better else (best, other)
    if a == b:
        return 0.0
    if a <= 0 or b <= 0:
        return math.inf
    return abs(math.log(b / a))


def compare(
    best: Mapping[str, Any],
    other: Mapping[str, Any],
    criteria: Sequence[Criterion],
    with_setup: bool = True,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(better, worse): the figures on which ``other`` beats ``best``, and those on which it
    loses, each sorted by how much the two differ (largest first, :func:`_log_gap`).

    Monthly figures (the criteria) and the set-up cost are separate entries (set-up cost as pillar
    ``cost``, column ``setup_cost``), so that a sentence never weighs a one-off saving against a
    monthly cost 4× higher without saying so. Each entry: ``{"pillar", "column", "best",
    "runner_up", "difference_pct", "ratio", "gap"}`` (``ratio`` = other / best, None when best is
    0); differences below 1 % are left out.
    """
    figures = [(c.pillar, c.column, c.higher_is_better) for c in criteria]
    if with_setup:
        figures.append(("cost", "setup_cost", False))
    better: list[dict[str, Any]] = []
    worse: list[dict[str, Any]] = []
    for pillar, column, hib in figures:
        b, r = best.get(column), other.get(column)
        if b is None or r is None:
            continue
        b, r = float(b), float(r)
        if not (math.isfinite(b) and math.isfinite(r)):
            continue
        gap = _log_gap(b, r, hib)
        if gap < NEGLIGIBLE_LOG_RATIO:
            continue
        entry = {
            "pillar": pillar,
            "column": column,
            "best": b,
            "runner_up": r,
            "difference_pct": _difference_pct(r, b),
            "ratio": round(r / b, 4) if b else None,
            "gap": round(gap, 6) if math.isfinite(gap) else None,
        }
        wins = (r > b) if hib else (r < b)
        (better if wins else worse).append(entry)
    order = lambda e: (-(e["gap"] if e["gap"] is not None else math.inf), e["column"])  # noqa: E731
    return sorted(better, key=order), sorted(worse, key=order)


def _design(row: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple("" if row.get(c) is None else str(row.get(c)) for c in DESIGN_COLUMNS)


def moved_with(
    configuration: Mapping[str, Any], centre: Mapping[str, Any], choice: str
) -> list[dict[str, Any]]:
    """The other choices that differ from ``centre`` in a per-choice row (the row's option on
    ``choice`` aside): ``[{"choice", "option", "centre"}]`` in :data:`CONFIG_COLUMNS` order.

    A choice that has no value in the row (n/a: an API has no GPU) is not listed — it follows
    from the option; one that gains a value (a cloud row's region when the centre is an API) is.
    """
    out = []
    for column in CONFIG_COLUMNS:
        if column == choice or column not in configuration:
            continue
        option, held = configuration.get(column), centre.get(column)
        if option is None or option == "" or _same(option, held):
            continue
        out.append({"choice": column, "option": option, "centre": held})
    return out


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)


def recommend_robust(
    scored: pd.DataFrame, criteria: Sequence[Criterion], min_probability: float
) -> Recommendation:
    """The recommendation of docs/method.md §9.

    - ``best``: the first row of :func:`robust_order` — the best-scoring feasible configuration
      whose probability of meeting every limit reaches ``min_probability``; when none does, the
      best-scoring feasible one, and ``fragile`` is True;
    - ``most_robust``: the feasible configuration with the highest probability (ties: score, then
      ``config_id``), shown beside a fragile recommendation;
    - ``runner_up``: the next row of :func:`robust_order` that is another design (another hosting
      or another model, :data:`DESIGN_COLUMNS`); ``variants``: the next :data:`VARIANTS_N` rows of
      the same design (other region, GPU, precision…), each with ``differs_in``;
    - ``prefer_runner_up_when`` / ``runner_up_worse_in``: :func:`compare` of the runner-up with
      the recommendation (monthly and set-up figures separately, largest difference first).
    """
    order = robust_order(scored, min_probability)
    topsis_ranks = (
        scored["topsis_rank"].to_numpy(dtype=float, na_value=np.nan)
        if "topsis_rank" in scored.columns
        else np.full(len(scored), np.nan)
    )
    t_first = np.flatnonzero(topsis_ranks == 1)
    topsis_best = str(scored["config_id"].iloc[int(t_first[0])]) if t_first.size else None
    if order.size == 0:
        return Recommendation(
            None, None, [], methods_agree=True, topsis_best=None, min_probability=min_probability
        )
    best = _record(scored, int(order[0]))
    prob = best.get("probability_meets_limits")
    fragile = prob is not None and float(prob) < min_probability
    p_all = _values_or(scored, "probability_meets_limits", 1.0)[order]
    # order is already by score then config_id: a stable sort on probability keeps that tie-break
    robust_first = order[np.argsort(-np.nan_to_num(p_all, nan=-1.0), kind="stable")]
    most_robust = _record(scored, int(robust_first[0]))

    runner: dict[str, Any] | None = None
    variants: list[dict[str, Any]] = []
    rest = order[1:]
    same = np.ones(rest.size, dtype=bool)
    for column, value in zip(DESIGN_COLUMNS, _design(best), strict=True):
        same &= _strings(scored, column)[rest] == value
    other = rest[~same]
    if other.size:
        runner = _record(scored, int(other[0]))
    for position in rest[same][:VARIANTS_N]:
        row = _record(scored, int(position))
        row["differs_in"] = [
            c for c in CONFIG_COLUMNS if c in best and not _same(best[c], row.get(c))
        ]
        variants.append(row)
    better: list[dict[str, Any]] = []
    worse: list[dict[str, Any]] = []
    differs: list[str] = []
    if runner is not None:
        better, worse = compare(best, runner, criteria, "setup_cost" in scored.columns)
        differs = [c for c in CONFIG_COLUMNS if c in best and not _same(best[c], runner.get(c))]
    return Recommendation(
        best=best,
        runner_up=runner,
        prefer_runner_up_when=better,
        methods_agree=topsis_best == best["config_id"],
        topsis_best=topsis_best,
        runner_up_differs_in=differs,
        runner_up_worse_in=worse,
        fragile=fragile,
        most_robust=most_robust,
        variants=variants,
        min_probability=min_probability,
    )
