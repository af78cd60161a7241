"""Priorities of the criteria: normalised direct weights, or AHP from pairwise judgements.

Direct priorities ``{performance: 1, precision: 1, cost: 3, carbon: 0.5}`` are divided by their sum.
Pairwise judgements ``{cost_vs_performance: 3, ...}`` (value > 1: the first criterion matters more,
Saaty's 1/9..9 scale) form a reciprocal matrix whose principal eigenvector gives the weights (AHP,
computed with pymcdm); its consistency ratio CR = ((λmax - n) / (n - 1)) / RI(n) is reported, with a
warning above the threshold (Saaty: 0.1), which the caller takes from the catalog's method settings.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from llmdecide.errors import ParamsError, Problem, did_you_mean

CRITERIA: tuple[str, ...] = ("performance", "precision", "cost", "carbon")
BASE_CRITERIA: tuple[str, ...] = ("performance", "precision", "cost")
PAIRWISE_KEY = "critical_performance.pairwise"
UNNAMED = "client params"  # the file name in messages when the caller gives none
JUDGEMENT_MIN = 0.11  # 1/9, also when written 0.111 or 0.11
JUDGEMENT_MAX = 9.0


@dataclass(frozen=True)
class Priorities:
    """Normalised weights (keys performance, precision, cost, carbon; sum 1) and how they came."""

    weights: dict[str, float]
    method: Literal["direct", "ahp"]
    consistency_ratio: float | None = None
    warning: str | None = None

    def ahp(self) -> dict[str, Any] | None:
        """``{consistency_ratio, warning}`` for AHP priorities, else None (stage output shape)."""
        if self.method != "ahp":
            return None
        return {"consistency_ratio": self.consistency_ratio, "warning": self.warning}

    def as_dict(self) -> dict[str, Any]:
        return {
            "weights": dict(self.weights),
            "method": self.method,
            "consistency_ratio": self.consistency_ratio,
            "warning": self.warning,
        }


def pair_keys(criteria: tuple[str, ...] = CRITERIA) -> list[str]:
    """Every ``<a>_vs_<b>`` key over ``criteria`` (both orders)."""
    return [f"{a}_vs_{b}" for a in criteria for b in criteria if a != b]


def _split(key: str) -> tuple[str, str] | None:
    for a in CRITERIA:
        for b in CRITERIA:
            if a != b and key == f"{a}_vs_{b}":
                return a, b
    return None


def pairwise_problems(pairwise: Mapping[str, Any]) -> list[str]:
    """What is wrong with a set of pairwise judgements (empty when AHP can use them).

    Every pair of the criteria needs exactly one judgement; carbon is a criterion as soon as one
    judgement names it.
    """
    problems: list[str] = []
    pairs: dict[frozenset[str], str] = {}
    for key, value in pairwise.items():
        split = _split(str(key))
        if split is None:
            problems.append(
                f"{key}: not a pair of criteria ('<a>_vs_<b>' with a, b among "
                f"{', '.join(CRITERIA)}).{did_you_mean(str(key), pair_keys())}"
            )
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not JUDGEMENT_MIN <= value <= JUDGEMENT_MAX
        ):
            problems.append(f"{key}: expected a number from 1/9 to 9, got {value!r}")
        pair = frozenset(split)
        if pair in pairs:
            problems.append(f"give {pairs[pair]} or {key}, not both")
            continue
        pairs[pair] = str(key)
    named = {c for pair in pairs for c in pair}
    criteria = [c for c in CRITERIA if c in BASE_CRITERIA or c in named]
    missing = [
        f"{a}_vs_{b} (or {b}_vs_{a})"
        for i, a in enumerate(criteria)
        for b in criteria[i + 1 :]
        if frozenset((a, b)) not in pairs
    ]
    if missing:
        problems.append(
            f"missing judgement{'s' if len(missing) > 1 else ''} {', '.join(missing)}: AHP needs "
            f"one judgement for every pair of {', '.join(criteria)}"
        )
    return problems


def pairwise_matrix(
    pairwise: Mapping[str, float], *, file: str = UNNAMED
) -> tuple[list[str], list[list[float]]]:
    """The criteria compared and the reciprocal judgement matrix (row i, column j: i vs j)."""
    problems = pairwise_problems(pairwise)
    if problems:
        raise ParamsError([Problem(file, PAIRWISE_KEY, p) for p in problems])
    named = {c for key in pairwise for c in (_split(key) or ())}
    criteria = [c for c in CRITERIA if c in BASE_CRITERIA or c in named]
    index = {c: i for i, c in enumerate(criteria)}
    matrix = [[1.0] * len(criteria) for _ in criteria]
    for key, value in pairwise.items():
        a, b = _split(key)  # type: ignore[misc]
        matrix[index[a]][index[b]] = float(value)
        matrix[index[b]][index[a]] = 1.0 / float(value)
    return criteria, matrix


def ahp(
    pairwise: Mapping[str, float],
    *,
    cr_threshold: float,
    file: str = UNNAMED,
) -> Priorities:
    """AHP weights (principal eigenvector, pymcdm) and consistency ratio of pairwise judgements."""
    # numpy, pymcdm: only AHP (pairwise) needs them; params imports this module
    import numpy as np

    from llmdecide._pymcdm import AHP

    criteria, rows = pairwise_matrix(pairwise, file=file)
    matrix = np.array(rows, dtype=float)
    try:
        model = AHP(matrix=matrix)
    except ValueError:
        # pymcdm's validator accepts only the integer Saaty values (1..9 and their inverses);
        # judgements in between (2.5, 0.4) are legitimate, so give it the matrix directly
        model = AHP(matrix=np.ones_like(matrix))
        model.matrix = matrix
    vector = [float(w) for w in model()]
    ratio = max(0.0, float(model.get_cr()))
    ratio = 0.0 if ratio < 1e-12 else ratio
    weights = {c: 0.0 for c in CRITERIA}
    weights.update(dict(zip(criteria, vector, strict=True)))
    warning = None
    if ratio > cr_threshold:
        warning = _inconsistency_warning(pairwise, weights, ratio, cr_threshold)
    return Priorities(weights, "ahp", ratio, warning)


def _inconsistency_warning(
    pairwise: Mapping[str, float], weights: dict[str, float], ratio: float, threshold: float
) -> str:
    def deviation(item: tuple[str, float]) -> float:
        a, b = _split(item[0])  # type: ignore[misc]
        return abs(math.log(item[1] * weights[b] / weights[a]))

    key, value = max(pairwise.items(), key=deviation)
    a, b = _split(key)  # type: ignore[misc]
    implied = weights[a] / weights[b]
    return (
        f"The pairwise judgements are inconsistent: consistency ratio {ratio:.2f} > "
        f"{threshold:g} (Saaty's rule). Revisit them; the judgement furthest from the resulting "
        f"weights is {key} = {value:g}, where the weights imply about {implied:.2g}."
    )


def direct(weights: Mapping[str, float], *, file: str = UNNAMED) -> Priorities:
    """Direct priorities divided by their sum (carbon 0 when absent)."""
    raw = {c: float(weights.get(c) or 0.0) for c in CRITERIA}
    if any(v < 0 or not math.isfinite(v) for v in raw.values()):
        raise ParamsError(
            Problem(
                file, "critical_performance.priorities", "expected weights >= 0 for every criterion"
            )
        )
    total = sum(raw.values())
    if total <= 0:
        raise ParamsError(
            Problem(
                file,
                "critical_performance.priorities",
                "the priorities are all zero; give at least one criterion a positive weight",
            )
        )
    return Priorities({c: v / total for c, v in raw.items()}, "direct")


def _as_mapping(section: Any) -> dict[str, Any] | None:
    if section is None:
        return None
    if isinstance(section, Mapping):
        return {k: v for k, v in section.items() if v is not None}
    if hasattr(section, "judgements"):
        return dict(section.judgements())
    if hasattr(section, "model_dump"):
        return {k: v for k, v in section.model_dump().items() if v is not None}
    return dict(vars(section))


def priorities(
    critical_performance: Any,
    *,
    cr_threshold: float,
    file: str = UNNAMED,
) -> Priorities:
    """The client's priorities: direct when ``priorities`` is given, else AHP from ``pairwise``."""
    given = _as_mapping(getattr(critical_performance, "priorities", None))
    if given is not None:
        return direct(given, file=file)
    pairwise = _as_mapping(getattr(critical_performance, "pairwise", None))
    if pairwise is None:
        raise ParamsError(
            Problem(
                file,
                "critical_performance.priorities",
                "give the priorities or pairwise judgements for AHP",
            )
        )
    return ahp(pairwise, cr_threshold=cr_threshold, file=file)


def normalised_weights(critical_performance: Any, *, cr_threshold: float) -> dict[str, float]:
    """Weights keyed performance, precision, cost, carbon, summing to 1 (carbon 0 if absent)."""
    return dict(priorities(critical_performance, cr_threshold=cr_threshold).weights)
