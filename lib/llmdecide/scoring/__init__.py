"""Scoring and recommendation (SPEC §1.4): pure functions over the configurations DataFrame.

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
4. :func:`recommend` — best and runner-up, when to prefer the runner-up, whether TOPSIS agrees.
5. :func:`closest_to_feasible`, :func:`pareto_front`, :func:`per_choice`, :func:`winner_map`,
   :func:`sensitivity`, :func:`monte_carlo` — what the report shows around the recommendation.

No function reads a file, a clock or a global random state; the method's numbers (saturation
scales, Monte Carlo samples and seed, winner-map steps) come in through ``method`` (the catalog).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from llmdecide._pymcdm import TOPSIS
from llmdecide.columns import CHOICE_TABLES, CRITERIA_COLUMNS
from llmdecide.columns import CHOICES as RECOMMENDATION_CHOICES

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

PILLARS: tuple[str, ...] = ("performance", "precision", "cost", "carbon")
"""The four pillars, in the order criteria, reasons and utilities are listed."""

TRIANGLE: tuple[str, ...] = ("performance", "precision", "cost")
"""The pillars of the Critical Performance Triangle (swept by the winner map)."""

METRIC_COLUMNS: dict[str, str] = {
    "p95_latency_s": "p95_latency_s",
    "ttft_p95_s": "ttft_s",
    "tpot_p95_ms": "tpot_p95_ms",
    "turnaround_h": "turnaround_h",
    "accuracy": "accuracy",
    "monthly_cost": "monthly_cost",
    "monthly_kgco2e": "monthly_kgco2e",
}
"""Client metric name (SPEC §2) → configurations column."""

DEFAULT_METRIC: dict[str, str] = {
    "performance": "p95_latency_s",
    "precision": "accuracy",
    "cost": "monthly_cost",
    "carbon": "monthly_kgco2e",
}

HIGHER_IS_BETTER: frozenset[str] = frozenset({"accuracy"})
"""Columns where more is better; they are shares in [0, 1] (see :func:`utility`)."""

REAL_TIME_COLUMNS: frozenset[str] = frozenset({"p95_latency_s", "ttft_s", "tpot_p95_ms"})

UNCERTAIN_COLUMNS: tuple[str, ...] = (
    "p95_latency_s",
    "ttft_s",
    "turnaround_h",
    "accuracy",
    "monthly_cost",
    "setup_cost",
    "monthly_kgco2e",
    "tpot_p95_ms",
)
"""Canonical order of the Monte Carlo random streams (one uniform vector per column; a new
column goes last so that the others keep their draws)."""

CHOICES: tuple[str, ...] = CHOICE_TABLES
"""The choices of the per-choice tables (SPEC §1.2, infrastructure split into region and gpu)."""

CONFIG_COLUMNS: tuple[str, ...] = RECOMMENDATION_CHOICES
"""The columns that define a configuration (``results.json`` ``recommendation`` keys)."""

ESTIMATE_COLUMNS: tuple[str, ...] = (*CRITERIA_COLUMNS, "probability_meets_limits")

BATCH_REASON = "batch mode cannot meet a real-time latency limit"
UNKNOWN_SOURCE = "unknown"
"""``accuracy_source`` of a configuration whose precision is unknown (no proxy, no evaluation)."""
UNKNOWN_PRECISION_REASON = "precision unknown: evaluate {model} on the client's task"
DISTANCE_METRIC = "half_l1"


# --------------------------------------------------------------------------------------------
# Criteria
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    """One pillar as the scoring sees it.

    ``limit`` is the worst acceptable value (None: no limit, only scored — carbon may have none);
    ``saturation`` is the margin (as a fraction, see :func:`utility`) at which the utility reaches
    1 - 1/e ≈ 63 %; ``weight`` is the client's priority (not necessarily normalised).
    """

    pillar: str
    column: str
    limit: float | None
    higher_is_better: bool
    saturation: float
    weight: float


def _get(obj: Any, key: str) -> Any:
    """``obj[key]`` for mappings, ``obj.key`` for records (pydantic models), None when absent."""
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _method_number(method: Mapping[str, Any] | Any, key: str) -> float:
    raw = _get(method, key)
    if raw is not None and not isinstance(raw, int | float):
        raw = _get(raw, "value")  # a Range-like record
    if raw is None:
        raise KeyError(f"method setting {key!r} is missing (catalog method settings)")
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError(f"method setting {key!r} must be a finite number, got {raw!r}")
    return value


def criteria(
    limits: Mapping[str, Any] | Any,
    weights: Mapping[str, float],
    method: Mapping[str, Any] | Any,
) -> list[Criterion]:
    """The four criteria, in :data:`PILLARS` order.

    ``limits`` maps a pillar to ``{"metric": ..., "limit": ...}`` (a mapping or a params record);
    a pillar that is absent or None keeps its default metric and has no limit (it is scored
    against the worst feasible value instead). Carbon is always a criterion — it is always shown
    and takes part in the Pareto front — with weight 0 unless the client gives it one.
    ``method`` gives ``saturation_<pillar>`` (> 0). Metric names are the client's (SPEC §2);
    ``ttft_p95_s`` reads the ``ttft_s`` column.
    """
    out: list[Criterion] = []
    for pillar in PILLARS:
        spec = _get(limits, pillar)
        metric = _get(spec, "metric") or DEFAULT_METRIC[pillar]
        if metric not in METRIC_COLUMNS:
            known = ", ".join(sorted(METRIC_COLUMNS))
            raise ValueError(f"{pillar}: unknown metric {metric!r}; known: {known}")
        raw_limit = _get(spec, "limit")
        limit = None if raw_limit is None else float(raw_limit)
        weight = float(_get(weights, pillar) or 0.0)
        if weight < 0 or not math.isfinite(weight):
            raise ValueError(f"{pillar}: weight must be a finite number >= 0, got {weight!r}")
        saturation = _method_number(method, f"saturation_{pillar}")
        if saturation <= 0:
            raise ValueError(f"saturation_{pillar} must be > 0, got {saturation!r}")
        column = METRIC_COLUMNS[metric]
        out.append(
            Criterion(
                pillar=pillar,
                column=column,
                limit=limit,
                higher_is_better=column in HIGHER_IS_BETTER,
                saturation=saturation,
                weight=weight,
            )
        )
    return out


def extra_criteria(extra_limits: Mapping[str, float] | None) -> list[Criterion]:
    """Further hard limits on latency metrics (``critical_performance.extra_limits``): checked
    like the performance limit (rejection, Monte Carlo), never scored (weight 0)."""
    out = []
    for metric, limit in (extra_limits or {}).items():
        if metric not in METRIC_COLUMNS:
            known = ", ".join(sorted(METRIC_COLUMNS))
            raise ValueError(f"extra_limits: unknown metric {metric!r}; known: {known}")
        column = METRIC_COLUMNS[metric]
        out.append(
            Criterion(
                pillar="performance",
                column=column,
                limit=float(limit),
                higher_is_better=column in HIGHER_IS_BETTER,
                saturation=1.0,
                weight=0.0,
            )
        )
    return out


def normalised_weights(crits: Sequence[Criterion]) -> FloatArray:
    """Weights divided by their sum; equal weights when they are all zero."""
    w = np.array([c.weight for c in crits], dtype=float)
    total = w.sum()
    if total <= 0:
        return np.full(len(crits), 1.0 / len(crits)) if len(crits) else w
    return w / total


# --------------------------------------------------------------------------------------------
# Utility
# --------------------------------------------------------------------------------------------


def utilities(
    values: npt.ArrayLike,
    limit: float | None,
    higher_is_better: bool,
    saturation: float,
    reference: float | None = None,
) -> FloatArray:
    """Vectorised :func:`utility` (same formula, NaN where the value is NaN or beyond the limit)."""
    bound = limit if limit is not None else reference
    if bound is None or not math.isfinite(bound):
        raise ValueError("utility needs a finite limit or reference")
    if saturation <= 0:
        raise ValueError(f"saturation must be > 0, got {saturation!r}")
    x = np.asarray(values, dtype=float)
    span = (1.0 - bound) if higher_is_better else bound
    with np.errstate(invalid="ignore", divide="ignore"):
        if span > 0:
            margin = (x - bound) / span if higher_is_better else (bound - x) / span
        else:
            # no room above the bound (accuracy limit 1, or a zero reference): at the bound
            # there is no measurable margin
            meets = x >= bound if higher_is_better else x <= bound
            margin = np.where(meets, 0.0, -1.0)
        margin = np.where(np.isnan(x), np.nan, margin)
        u = np.where(margin >= 0, -np.expm1(-margin / saturation), np.nan)
    return u.astype(float)


def utility(
    value: float,
    limit: float | None,
    higher_is_better: bool,
    saturation: float,
    reference: float | None = None,
) -> float:
    """Utility of one value against its limit: 0 at the limit, rising with the margin, saturating.

    Margin, as a fraction:

    - lower is better (latency, cost, carbon): ``m = (limit - x) / limit`` — the share of the
      budget left (x = a fifth of the budget: m = 0.8);
    - higher is better (accuracy, a share in [0, 1]): ``m = (x - limit) / (1 - limit)`` — the
      share of the remaining gap to perfect that is closed (limit 0.90, x = 0.95: m = 0.5).

    ``u = 1 - exp(-m / saturation)`` for ``m >= 0``; NaN below the limit (rejected
    configurations get no score). When there is no limit, ``reference`` (the worst feasible
    value) takes its place.

    Why: SPEC §1.1 asks for diminishing returns — margin over a limit is worth something, but less
    and less. ``saturation`` is the margin at which 63 % of the attainable utility is reached,
    set per pillar in the catalog: precision saturates soon (a small scale: 95 % vs 98 % when 90 %
    is needed is almost the same), money keeps its value much longer (a large scale: a fifth of
    the budget is clearly better than half of it).
    """
    return float(
        utilities(np.array([value], dtype=float), limit, higher_is_better, saturation, reference)[0]
    )


# --------------------------------------------------------------------------------------------
# Rejection
# --------------------------------------------------------------------------------------------


def _values(frame: pd.DataFrame, column: str) -> FloatArray:
    if column not in frame.columns:
        raise KeyError(f"configurations have no {column!r} column")
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _feasible_mask(frame: pd.DataFrame) -> BoolArray:
    """The ``feasible`` column as booleans (every row feasible when the column is absent)."""
    if "feasible" not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    return frame["feasible"].to_numpy(dtype=bool)


def _strings(frame: pd.DataFrame, column: str) -> npt.NDArray[np.str_]:
    if column not in frame.columns:
        return np.full(len(frame), "", dtype=str)
    col = frame[column]
    if len(col) == 0:
        return np.full(0, "", dtype=str)
    # each distinct value converted once, then spread to the rows
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        # a numeric choice (GPUs per replica): whole numbers as "2", n/a as ""
        values = col.to_numpy(dtype=float, na_value=np.nan)
        distinct, rows = np.unique(values, return_inverse=True)
        shown = ["" if np.isnan(v) else (str(int(v)) if v == int(v) else str(v)) for v in distinct]
        return np.array(shown, dtype=str)[rows.reshape(-1)]
    text = col.fillna("").astype(str)
    head = text.iloc[:64]
    if len(head) > 1 and head.nunique() == len(head):  # all distinct (config_id): at once
        return text.to_numpy(dtype=str)
    rows, distinct = pd.factorize(text)
    return np.asarray(distinct.to_numpy(dtype=str), dtype=str)[rows]


def _plain(x: float, digits: int) -> str:
    """``x`` rounded to ``digits`` significant digits, positional notation, no trailing zeros."""
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    rounded = float(f"{x:.{digits}g}")
    return np.format_float_positional(rounded, trim="-")


def _shown_pair(value: float, limit: float) -> tuple[str, str]:
    """Value to 3 significant digits (more when 3 would print it equal to the limit), limit as given."""
    shown_limit = np.format_float_positional(float(limit), trim="-")
    digits = 3
    shown = _plain(value, digits)
    while digits < 15 and float(shown) == float(_plain(limit, digits)) and value != limit:
        digits += 1
        shown = _plain(value, digits)
    return shown, shown_limit


def _broken(x: FloatArray, limit: float, higher_is_better: bool) -> BoolArray:
    with np.errstate(invalid="ignore"):
        return (x < limit) if higher_is_better else (x > limit)


def _relative_excess(x: FloatArray, limit: float, higher_is_better: bool) -> FloatArray:
    """How far beyond the limit, as a fraction of the limit (0 when within)."""
    scale = abs(limit) if limit != 0 else 1.0
    excess = (limit - x) if higher_is_better else (x - limit)
    return np.maximum(excess, 0.0) / scale


def _not_applicable(frame: pd.DataFrame, crit: Criterion) -> tuple[BoolArray, BoolArray]:
    """(batch rows judged on a real-time latency limit, other rows with no value)."""
    x = _values(frame, crit.column)
    batch = np.zeros(len(frame), dtype=bool)
    if crit.pillar == "performance" and crit.column in REAL_TIME_COLUMNS:
        batch = _strings(frame, "deployment_mode") == "batch"
    return batch, np.isnan(x) & ~batch


def unknown_precision(frame: pd.DataFrame, crit: Criterion) -> BoolArray:
    """Rows judged on a precision limit whose precision is unknown (``accuracy_source`` is
    :data:`UNKNOWN_SOURCE`): they never pass the limit, whatever their ``accuracy`` cell holds —
    an unknown figure is not imputed (SPEC §1.3)."""
    if crit.pillar != "precision" or crit.limit is None:
        return np.zeros(len(frame), dtype=bool)
    return _strings(frame, "accuracy_source") == UNKNOWN_SOURCE


def reject(
    frame: pd.DataFrame, criteria: Sequence[Criterion], max_setup_cost: float | None
) -> pd.DataFrame:
    """A copy of ``frame`` with ``feasible`` (bool), ``rejected_because`` (str) and ``total_violation``.

    ``rejected_because`` lists, joined by ``"; "``: the row's ``excluded_because`` (a constraint)
    first, then every broken limit in pillar order as ``"<column> <value> > limit <limit>"``
    (``<`` for accuracy), then ``"setup_cost <value> > max_setup_cost <max>"``. Values have 3
    significant digits (more when needed to tell them from the limit), plain notation.
    A batch configuration under a real-time latency limit gets :data:`BATCH_REASON`; a row of
    unknown precision under a precision limit gets ``"precision unknown: evaluate <model> on the
    client's task"`` (:func:`unknown_precision`); another missing criterion value gets
    ``"<pillar> not applicable: <column> has no value"``.
    ``total_violation`` is the sum of the relative excesses over the limits (0 when none); inf
    when relaxing limits cannot make the row feasible (a constraint excludes it, or a value is not
    applicable).
    """
    out = frame.copy()
    n = len(out)
    parts: list[npt.NDArray[np.object_]] = []
    violation = np.zeros(n)
    excluded = _strings(out, "excluded_because") if "excluded_because" in out.columns else None
    if excluded is not None:
        parts.append(excluded.astype(object))
    models = _strings(out, "model")
    for crit in criteria:
        if crit.limit is None:
            continue
        x = _values(out, crit.column)
        batch, missing = _not_applicable(out, crit)
        unknown = unknown_precision(out, crit)
        missing &= ~unknown
        broken = _broken(x, crit.limit, crit.higher_is_better) & ~batch & ~missing & ~unknown
        msg = np.full(n, "", dtype=object)
        msg[batch] = BATCH_REASON
        msg[missing] = f"{crit.pillar} not applicable: {crit.column} has no value"
        for i in np.flatnonzero(unknown):
            msg[i] = UNKNOWN_PRECISION_REASON.format(model=models[i] or "the model")
        op = "<" if crit.higher_is_better else ">"
        said: dict[float, str] = {}  # one message per distinct value
        for i in np.flatnonzero(broken):
            value = float(x[i])
            if value not in said:
                shown, shown_limit = _shown_pair(value, crit.limit)
                said[value] = f"{crit.column} {shown} {op} limit {shown_limit}"
            msg[i] = said[value]
        parts.append(msg)
        excess = _relative_excess(
            np.where(broken, x, crit.limit), crit.limit, crit.higher_is_better
        )
        violation = violation + excess
        violation[batch | missing | unknown] = np.inf
    if max_setup_cost is not None:
        x = _values(out, "setup_cost")
        broken = _broken(x, max_setup_cost, False)
        msg = np.full(n, "", dtype=object)
        said = {}
        for i in np.flatnonzero(broken):
            value = float(x[i])
            if value not in said:
                shown, shown_limit = _shown_pair(value, max_setup_cost)
                said[value] = f"setup_cost {shown} > max_setup_cost {shown_limit}"
            msg[i] = said[value]
        parts.append(msg)
        violation = violation + _relative_excess(
            np.where(broken, x, max_setup_cost), max_setup_cost, False
        )
    reasons = (
        ["; ".join(p for p in row if p) for row in zip(*parts, strict=True)] if parts else [""] * n
    )
    out["feasible"] = np.array([r == "" for r in reasons], dtype=bool)
    out["rejected_because"] = pd.Series(reasons, index=out.index, dtype=object)
    if excluded is not None:
        violation[excluded != ""] = np.inf
    out["total_violation"] = violation
    return out


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


def _native(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _record(frame: pd.DataFrame, position: int) -> dict[str, Any]:
    row = frame.iloc[position]
    return {str(k): _native(v) for k, v in row.items()}


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


# --------------------------------------------------------------------------------------------
# Nothing feasible: what to relax
# --------------------------------------------------------------------------------------------


def closest_to_feasible(
    frame: pd.DataFrame,
    criteria: Sequence[Criterion],
    max_setup_cost: float | None,
    n: int = 5,
) -> list[dict[str, Any]]:
    """The ``n`` configurations with the smallest total relative violation of the limits.

    Only rows no constraint excludes (``excluded_because`` empty) and whose broken criteria all
    have a value (a batch row under a latency limit cannot be fixed by relaxing a number).
    Each: ``{"config_id", "total_relax_pct", "configuration": {choice: option}, "relax": [{"pillar",
    "column", "value", "limit", "relax_to", "relax_by_pct"}]}`` — ``relax_to`` is the limit that
    would admit the configuration (its value), ``relax_by_pct`` = |value - limit| / limit × 100
    (one decimal). Set-up cost appears as pillar ``cost``, column ``setup_cost``. Order: total
    violation ascending, then ``config_id``.
    """
    size = len(frame)
    if size == 0 or n <= 0:
        return []
    checks: list[tuple[str, str, float, bool]] = [
        (c.pillar, c.column, c.limit, c.higher_is_better) for c in criteria if c.limit is not None
    ]
    if max_setup_cost is not None:
        checks.append(("cost", "setup_cost", float(max_setup_cost), False))
    total = np.zeros(size)
    per_check: list[tuple[FloatArray, FloatArray]] = []
    for crit in criteria:
        if crit.limit is not None:
            batch, missing = _not_applicable(frame, crit)
            total[batch | missing | unknown_precision(frame, crit)] = np.inf
    for _pillar, column, limit, hib in checks:
        x = _values(frame, column)
        excess = np.where(
            np.isnan(x), 0.0, _relative_excess(np.nan_to_num(x, nan=limit), limit, hib)
        )
        per_check.append((x, excess))
        total = total + excess
    allowed = np.isfinite(total) & (_strings(frame, "excluded_because") == "")
    idx = np.flatnonzero(allowed)
    config_ids = _strings(frame, "config_id")
    order = idx[np.lexsort((config_ids[idx], total[idx]))][:n]
    out = []
    for i in order:
        relax = []
        for (pillar, column, limit, _hib), (x, excess) in zip(checks, per_check, strict=True):
            if excess[i] > 0:
                relax.append(
                    {
                        "pillar": pillar,
                        "column": column,
                        "value": float(x[i]),
                        "limit": float(limit),
                        "relax_to": float(x[i]),
                        "relax_by_pct": round(float(excess[i]) * 100, 1),
                    }
                )
        out.append(
            {
                "config_id": str(config_ids[i]),
                "total_relax_pct": round(float(total[i]) * 100, 1),
                "configuration": {
                    c: _native(frame[c].iloc[i]) for c in CONFIG_COLUMNS if c in frame.columns
                },
                "relax": relax,
            }
        )
    return out


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


# --------------------------------------------------------------------------------------------
# Per-choice tables
# --------------------------------------------------------------------------------------------


def per_choice(
    scored: pd.DataFrame,
    best: Mapping[str, Any] | None,
    choices: Sequence[str] = CHOICES,
) -> dict[str, list[dict[str, Any]]]:
    """For each choice, each of its options with the other choices held at ``best``.

    Options are listed in order of first appearance in ``scored`` ("" = n/a, e.g. no GPU for an
    API). For an option, the row shown is, in this order of preference:

    1. ``match="exact"``: equal to ``best`` on every other choice that applies to both (an n/a
       on either side matches anything) — feasible first, then best score;
    2. ``match="closest"``: else a feasible row with that option, most other choices equal to
       ``best``, then best score;
    3. else the row with that option with the most other choices equal, then least violation.
    Remaining ties: ``config_id``. Each entry: ``option``, ``config_id``, ``match``,
    ``is_recommended``, ``feasible``, ``rejected_because``, ``score``, ``rank``, the estimate
    columns present (``p95_latency_s``, ``ttft_s``, ``turnaround_h``, ``accuracy``,
    ``accuracy_source``, ``monthly_cost``, ``setup_cost``, ``monthly_kgco2e``,
    ``probability_meets_limits``), ``configuration`` (the configuration columns) and ``moved``
    (:func:`moved_with`: the other choices that differ from ``best`` in that row, said in the
    report).
    """
    if best is None or len(scored) == 0:
        return {}
    present = [c for c in choices if c in scored.columns]
    strs = {c: _strings(scored, c) for c in present}
    config_ids = _strings(scored, "config_id")
    best_id = str(best.get("config_id", ""))
    where = np.flatnonzero(config_ids == best_id)
    if where.size:
        best_values = {c: strs[c][where[0]] for c in present}
    else:
        best_values = {c: "" if best.get(c) is None else str(best.get(c)) for c in present}
    feasible = _feasible_mask(scored)
    scores = _values(scored, "score") if "score" in scored.columns else np.full(len(scored), np.nan)
    violation = (
        _values(scored, "total_violation")
        if "total_violation" in scored.columns
        else np.zeros(len(scored))
    )
    id_order = np.argsort(np.argsort(config_ids, kind="stable"), kind="stable")
    equal = {c: strs[c] == best_values[c] for c in present}
    centre_configuration = (
        {c: _native(scored[c].iloc[int(where[0])]) for c in CONFIG_COLUMNS if c in scored.columns}
        if where.size
        else {c: best.get(c) for c in CONFIG_COLUMNS}
    )
    wildcard = {c: (strs[c] == "") | (best_values[c] == "") for c in present}
    shown = [c for c in ESTIMATE_COLUMNS if c in scored.columns]

    out: dict[str, list[dict[str, Any]]] = {}
    for choice in present:
        others = [c for c in present if c != choice]
        exact = np.ones(len(scored), dtype=bool)
        matches = np.zeros(len(scored), dtype=int)
        for c in others:
            exact &= equal[c] | wildcard[c]
            matches += equal[c]
        entries = []
        for option in pd.unique(strs[choice]):  # in order of first appearance
            idx = np.flatnonzero(strs[choice] == option)
            ex, fe = exact[idx], feasible[idx]
            key_score = np.where(np.isnan(scores[idx]), np.inf, -scores[idx])
            order = np.lexsort((id_order[idx], violation[idx], key_score, -matches[idx], ~fe, ~ex))
            i = int(idx[order[0]])
            match = "exact" if exact[i] else "closest"
            entry: dict[str, Any] = {
                "option": str(option),
                "config_id": str(config_ids[i]),
                "match": match,
                "is_recommended": str(config_ids[i]) == best_id,
                "feasible": bool(feasible[i]),
                "rejected_because": _native(scored["rejected_because"].iloc[i])
                if "rejected_because" in scored.columns
                else "",
                "score": _native(scores[i]),
                "rank": _native(scored["rank"].iloc[i]) if "rank" in scored.columns else None,
            }
            for c in shown:
                entry[c] = _native(scored[c].iloc[i])
            entry["configuration"] = {
                c: _native(scored[c].iloc[i]) for c in CONFIG_COLUMNS if c in scored.columns
            }
            entry["moved"] = moved_with(entry["configuration"], centre_configuration, choice)
            entries.append(entry)
        out[choice] = entries
    return out


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


# --------------------------------------------------------------------------------------------
# Monte Carlo
# --------------------------------------------------------------------------------------------


def triangular_cdf(
    x: npt.ArrayLike, low: npt.ArrayLike, mode: npt.ArrayLike, high: npt.ArrayLike
) -> FloatArray:
    """P(X <= x) for X ~ triangular(low, mode, high); a step at ``low`` when low == high."""
    x, a, c, b = (np.asarray(v, dtype=float) for v in (x, low, mode, high))
    span = b - a
    with np.errstate(invalid="ignore", divide="ignore"):
        rising = (x - a) ** 2 / (span * (c - a))
        falling = 1.0 - (b - x) ** 2 / (span * (b - c))
        cdf = np.where(x <= c, rising, falling)
    cdf = np.where(x <= a, 0.0, np.where(x >= b, 1.0, cdf))
    cdf = np.where(span <= 0, (x >= a).astype(float), cdf)
    return np.clip(np.nan_to_num(cdf, nan=0.0), 0.0, 1.0)


def triangular_inverse(
    u: npt.ArrayLike, low: npt.ArrayLike, mode: npt.ArrayLike, high: npt.ArrayLike
) -> FloatArray:
    """x = F⁻¹(u) for the triangular distribution (broadcasts; low == high gives low)."""
    u, a, c, b = (np.asarray(v, dtype=float) for v in (u, low, mode, high))
    span = b - a
    with np.errstate(invalid="ignore", divide="ignore"):
        fc = np.where(span > 0, (c - a) / np.where(span > 0, span, 1.0), 0.0)
    left = a + np.sqrt(u * span * (c - a))
    right = b - np.sqrt((1.0 - u) * span * (b - c))
    return np.clip(np.where(u < fc, left, right), a, b)


def _bounds(frame: pd.DataFrame, column: str) -> tuple[FloatArray, FloatArray, FloatArray]:
    value = _values(frame, column)
    low = _values(frame, f"{column}_low") if f"{column}_low" in frame.columns else value.copy()
    high = _values(frame, f"{column}_high") if f"{column}_high" in frame.columns else value.copy()
    low = np.where(np.isnan(low), value, np.minimum(low, value))
    high = np.where(np.isnan(high), value, np.maximum(high, value))
    return low, value, high


def monte_carlo(
    frame: pd.DataFrame,
    criteria: Sequence[Criterion],
    max_setup_cost: float | None,
    samples: int,
    seed: int,
) -> pd.Series:
    """Probability that each configuration meets every limit (``probability_meets_limits``).

    Each uncertain column is triangular(low, value, high). Common random numbers: one uniform
    vector of ``samples`` per column, drawn from ``numpy.random.default_rng(seed)`` in the fixed
    order of :data:`UNCERTAIN_COLUMNS` (so a column's draws do not depend on which limits are set),
    is shared by every configuration — differences between configurations are theirs, not the
    dice's. Columns are independent of each other.

    A sample x = F⁻¹(u) meets a "lower is better" limit L iff u < F(L) (F⁻¹ is increasing), so
    rather than rows × samples inverse CDFs the test is one comparison of u against each row's
    F(L) — the same draws, the same outcome. Rows whose whole range is inside every limit get 1,
    rows beyond a limit at their best bound get 0, without sampling. A row excluded by a
    constraint, a batch row under a latency limit, a row of unknown precision under a precision
    limit (it never meets it, whatever its range columns say) or a missing value gets 0.
    """
    n = len(frame)
    if samples <= 0:
        raise ValueError(f"samples must be >= 1, got {samples!r}")
    prob = np.zeros(n)
    if n == 0:
        return pd.Series(prob, index=frame.index, name="probability_meets_limits")
    checks: list[tuple[str, float, bool]] = [
        (c.column, float(c.limit), c.higher_is_better) for c in criteria if c.limit is not None
    ]
    if max_setup_cost is not None:
        checks.append(("setup_cost", float(max_setup_cost), False))
    alive = _strings(frame, "excluded_because") == ""
    for crit in criteria:
        if crit.limit is not None:
            batch, _missing = _not_applicable(frame, crit)
            alive &= ~batch & ~unknown_precision(frame, crit)

    extra = sorted({col for col, _, _ in checks} - set(UNCERTAIN_COLUMNS))
    streams = [*UNCERTAIN_COLUMNS, *extra]
    draws = np.random.default_rng(seed).random((len(streams), samples))

    sure = alive.copy()
    thresholds: list[tuple[FloatArray, FloatArray, bool]] = []
    for column, limit, hib in checks:
        low, value, high = _bounds(frame, column)
        alive &= ~np.isnan(value)
        best_bound, worst_bound = (high, low) if hib else (low, high)
        with np.errstate(invalid="ignore"):
            alive &= ~_broken(best_bound, limit, hib)
            sure &= ~_broken(worst_bound, limit, hib)
        cdf = triangular_cdf(limit, low, value, high)
        thresholds.append((draws[streams.index(column)], cdf, hib))
    sure &= alive
    prob[sure] = 1.0
    todo = np.flatnonzero(alive & ~sure)
    chunk = max(1, 4_000_000 // samples)
    for start in range(0, todo.size, chunk):
        rows = todo[start : start + chunk]
        meets = np.ones((rows.size, samples), dtype=bool)
        for u, cdf, hib in thresholds:
            t = cdf[rows][:, None]
            meets &= (u[None, :] >= t) if hib else (u[None, :] < t)
        prob[rows] = meets.mean(axis=1)
    return pd.Series(prob, index=frame.index, name="probability_meets_limits")


# --------------------------------------------------------------------------------------------
# The evaluation plan
# --------------------------------------------------------------------------------------------


def to_evaluate(frame: pd.DataFrame, precision_limit: float | None) -> list[dict[str, Any]]:
    """The models of unknown precision among the candidates: what the client should evaluate.

    Rows with ``accuracy_source`` :data:`UNKNOWN_SOURCE` that no constraint excludes
    (``excluded_because`` empty), one entry per model: ``{"model", "precision_limit",
    "configurations" (rows of that model), "blocked_only_by_precision" (rows whose only reason
    for rejection is the unknown precision: what an evaluation reaching the limit would open;
    None when the frame has no ``rejected_because``), "hosting", "rag", "optimisation" (the
    options those rows use, sorted, n/a left out)}``. Order: most rows blocked only by precision
    first, then model name.
    """
    if len(frame) == 0 or "model" not in frame.columns:
        return []
    unknown = _strings(frame, "accuracy_source") == UNKNOWN_SOURCE
    unknown &= _strings(frame, "excluded_because") == ""
    idx = np.flatnonzero(unknown)
    if idx.size == 0:
        return []
    models = _strings(frame, "model")
    has_reasons = "rejected_because" in frame.columns
    reasons = _strings(frame, "rejected_because")
    options = {c: _strings(frame, c) for c in ("hosting", "rag", "optimisation")}
    out = []
    for model in sorted(set(models[idx])):
        rows = idx[models[idx] == model]
        only = UNKNOWN_PRECISION_REASON.format(model=model)
        blocked = int(np.sum(reasons[rows] == only)) if has_reasons else None
        entry: dict[str, Any] = {
            "model": str(model),
            "precision_limit": None if precision_limit is None else float(precision_limit),
            "configurations": int(rows.size),
            "blocked_only_by_precision": blocked,
        }
        for column, values in options.items():
            entry[column] = sorted({str(v) for v in values[rows] if v and v != "nan"})
        out.append(entry)
    out.sort(key=lambda e: (-(e["blocked_only_by_precision"] or 0), e["model"]))
    return out


# --------------------------------------------------------------------------------------------
# Robust decision, a real alternative (SPEC §1.4, version 2)
# --------------------------------------------------------------------------------------------

DESIGN_COLUMNS: tuple[str, ...] = ("hosting", "model")
"""What makes another *design*: another hosting or another model. The same design in another
region, on another GPU or in another precision is a *variant* of it."""

VARIANTS_N = 3
NEGLIGIBLE_LOG_RATIO = 0.01
"""Figures that differ by less than about 1 % (|ln(a/b)| < 0.01) are not worth a sentence."""


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
    prob = (
        _values(scored, "probability_meets_limits")[idx]
        if "probability_meets_limits" in scored.columns
        else np.ones(idx.size)
    )
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
    """The recommendation of SPEC §1.4 (version 2).

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
    p_all = (
        _values(scored, "probability_meets_limits")[order]
        if "probability_meets_limits" in scored.columns
        else np.ones(order.size)
    )
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


def _mc_streams(columns: Sequence[str], samples: int, seed: int) -> dict[str, FloatArray]:
    """The uniform draws :func:`monte_carlo` uses for each column (same streams, same order)."""
    extra = sorted(set(columns) - set(UNCERTAIN_COLUMNS))
    streams = [*UNCERTAIN_COLUMNS, *extra]
    draws = np.random.default_rng(seed).random((len(streams), samples))
    return {c: draws[streams.index(c)] for c in columns}


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
        violation = (
            _values(scored, "total_violation")
            if "total_violation" in scored.columns
            else np.zeros(len(scored))
        )
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
        n = len(self.ids)
        total = np.zeros(n)
        for crit, w in zip(self.criteria, self.weights, strict=True):
            x = self.x[crit.column]
            limit = float(limits[crit.pillar]) if crit.limit is not None else None
            u = np.full(n, np.nan)
            bound = limit
            if bound is None:
                pool = x[feasible & np.isfinite(x)]
                if pool.size:
                    bound = float(pool.min() if crit.higher_is_better else pool.max())
            if bound is not None and feasible.any():
                u[feasible] = utilities(
                    x[feasible], limit, crit.higher_is_better, crit.saturation, bound
                )
            if limit is None:
                u[feasible & np.isnan(u)] = 0.0
            total = total + w * np.nan_to_num(u, nan=0.0)
        return np.where(feasible, total, np.nan)

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
                u = self.draws[check.column][None, :]
                t = cdf[todo][:, None]
                meets &= (u >= t) if check.higher_is_better else (u < t)
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
        scores = self.scores(limits, feasible)[idx]
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


__all__ = [
    "BATCH_REASON",
    "CHOICES",
    "CONFIG_COLUMNS",
    "PILLARS",
    "TRIANGLE",
    "UNKNOWN_PRECISION_REASON",
    "UNKNOWN_SOURCE",
    # --------------------------------------------------------------------------------------------
    "Check",
    "Criterion",
    "Decider",
    "Recommendation",
    "ScoringResult",
    "checks_of",
    "closest_to_feasible",
    "compare",
    "criteria",
    "extra_criteria",
    # --------------------------------------------------------------------------------------------
    "limit_range",
    "limit_sensitivity",
    "monte_carlo",
    "moved_with",
    "non_dominated",
    "normalised_weights",
    "pareto_all",
    "pareto_front",
    "per_choice",
    "recommend",
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
