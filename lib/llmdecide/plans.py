"""The issue-15 plans of notebook 02 as ``results.json`` holds them (docs/plans.md): the pilot
plan (``pilot``), the risk questions (``risks``) and the phase plan (``phases``).

Glue, like ``stages``, which calls :func:`plan_data` once the configurations are scored and hands
it the client's limits (this module imports nothing from ``stages``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llmdecide import phases, pilot, risks
from llmdecide.records import recommendation_of

if TYPE_CHECKING:
    import pandas as pd

    from llmdecide.stages import Inputs


def plan_data(
    inputs: Inputs,
    scored: Any,
    frame: pd.DataFrame,
    intensity: Mapping[str, float],
    labels: Mapping[str, str],
    limits: Mapping[str, Mapping[str, Any] | None],
    candidates: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """The issue-15 plans (items 5-7): ``pilot_plan`` (what the pilot must measure, models to
    evaluate whose proxy straddles the limit), ``risks`` (the CISO / DPO / legal questions of the
    recommendation and the runner-up) and ``phase_plan`` (None without ``usage.phases``), under
    the client's ``limits`` per pillar (``stages.limits_of``). ``candidates``: the space's
    candidates, when the caller has them (the phase plan then does not enumerate them again)."""
    client = inputs.client
    rec = scored.recommendation
    designs = {}
    for role, row in (("recommendation", rec.best), ("runner_up", rec.runner_up)):
        if row is not None:
            designs[role] = {
                **(recommendation_of(row) or {}),
                "label": labels.get(row["config_id"], row["config_id"]),
            }
    best_id = rec.best["config_id"] if rec.best is not None else None
    return {
        "pilot_plan": pilot.pilot_plan(
            scored,
            dict(inputs.catalog.method),
            client.constraints.max_setup_cost,
            extra_limits={str(k): v for k, v in client.critical_performance.extra_limits.items()},
        ),
        "risks": risks.risks(designs, inputs.catalog, client),
        "phase_plan": phase_plan(inputs, frame, intensity, best_id, limits, candidates),
    }


def phase_plan(
    inputs: Inputs,
    frame: pd.DataFrame,
    intensity: Mapping[str, float],
    best_id: str | None,
    limits: Mapping[str, Mapping[str, Any] | None],
    candidates: Sequence[Any] | None = None,
) -> dict[str, Any] | None:
    """``phases.plan`` with each phase's recommended row as its ``results.json`` record."""
    plan = phases.plan(inputs, frame, intensity, best_id, limits, candidates)
    for entry in plan["phases"] if plan else []:
        entry["recommendation"] = recommendation_of(entry.pop("row"))
    return plan
