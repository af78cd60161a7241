"""Rejection and what to relax: :func:`reject` writes every broken limit down
(``rejected_because``, ``total_violation``), :func:`closest_to_feasible` lists what to relax when
nothing is feasible, :func:`to_evaluate` the models whose precision is unknown (the evaluation
plan)."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from llmdecide.scoring.frames import _native, _strings, _values
from llmdecide.scoring.pillars import (
    BATCH_REASON,
    CONFIG_COLUMNS,
    REAL_TIME_COLUMNS,
    UNKNOWN_PRECISION_REASON,
    UNKNOWN_SOURCE,
    BoolArray,
    Criterion,
    FloatArray,
)

# --------------------------------------------------------------------------------------------
# Rejection
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)  # the limit's digits, asked again for every value
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


def _broken_messages(
    msg: npt.NDArray[np.object_], x: FloatArray, broken: BoolArray, limit: float, template: str
) -> None:
    """Write ``template.format(shown value, shown limit)`` (:func:`_shown_pair`) into the
    ``broken`` rows of ``msg``, formatted once per distinct value (NaN is never broken)."""
    rows = np.flatnonzero(broken)
    if rows.size == 0:
        return
    values, where = np.unique(x[rows], return_inverse=True)
    texts = [template.format(*_shown_pair(v, limit)) for v in values.tolist()]
    msg[rows] = np.array(texts, dtype=object)[where.reshape(-1)]


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
    an unknown figure is not imputed (docs/method.md)."""
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
        _broken_messages(msg, x, broken, crit.limit, f"{crit.column} {{}} {op} limit {{}}")
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
        _broken_messages(msg, x, broken, max_setup_cost, "setup_cost {} > max_setup_cost {}")
        parts.append(msg)
        violation = violation + _relative_excess(
            np.where(broken, x, max_setup_cost), max_setup_cost, False
        )
    reasons = (
        ["; ".join([p for p in row if p]) for row in zip(*parts, strict=True)]
        if parts
        else [""] * n
    )
    out["feasible"] = np.array([r == "" for r in reasons], dtype=bool)
    out["rejected_because"] = pd.Series(reasons, index=out.index, dtype=object)
    if excluded is not None:
        violation[excluded != ""] = np.inf
    out["total_violation"] = violation
    return out


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
