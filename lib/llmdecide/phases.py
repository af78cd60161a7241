"""The phase plan (issue 15, item 7): a recommendation per project phase (``usage.phases``), when
to switch, and the cost of the whole path against staying on one design.

**Which configurations.** Each phase re-evaluates (``configurations.evaluate``, same sizing, same
scoring ``scoring.run``) only the candidates feasible at the client's own volume plus every API
candidate — a shortcut (a self-hosted design that fails at the client's volume but would pass at
a phase's lower volume is not considered), said in the report; it keeps three phases to a few
seconds instead of re-sizing the whole space three times.

**Path cost** (cash over the phases, client currency). A phase k of m_k months on design D_k costs
m_k × (monthly_cost − cost_capex): the monthly cost without the amortised purchase of owned
servers, because the purchase is counted once as a set-up cost. Set-up: when the design changes
(switching to it), the new design's set-up cost, except the servers already owned on the same
site and GPU (a model swap on the same servers buys no hardware again: the purchase part of a
set-up cost is ``cost_capex`` × horizon); when the design stays, only the growth of its set-up
cost (servers added as the volume grows). Hardware left behind by a switch is not resold (no
salvage value). Staying on one design D for every phase costs Σ m_k × run_k(D) + max_k s_k(D),
and is possible only when D is feasible in every phase. ``advice`` is "switch" when the phase
path costs less than staying on the best such design, else "stay" (the switches do not pay off).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from llmdecide import configurations as conf
from llmdecide import scoring


@dataclass(frozen=True)
class Step:
    """One phase on one design: months, monthly run cost (without amortised purchase), set-up
    cost, and of it the purchase of owned servers (``hardware_cost``) on ``infrastructure``
    (hosting, region, GPU: servers another design on the same site and GPU can reuse; empty =
    the design itself)."""

    design: str
    months: float
    run_monthly_cost: float
    setup_cost: float
    hardware_cost: float = 0.0
    infrastructure: str = ""


def path_cost(steps: Sequence[Step]) -> dict[str, float]:
    """``{"run", "setup", "total", "switches"}`` of a path of phases (module docstring).

    Set-up of a step = its non-hardware part (integration, retrieval store) when the design
    changes, or its growth when the design stays; plus the servers it needs beyond those already
    bought on the same infrastructure (reused across designs, never resold)."""
    run = setup = 0.0
    switches = 0
    previous: str | None = None
    other_paid = 0.0  # non-hardware set-up paid so far on the current design
    owned: dict[str, float] = {}  # servers bought per infrastructure
    for step in steps:
        other = step.setup_cost - step.hardware_cost
        infra = step.infrastructure or step.design
        if step.design != previous:
            if previous is not None:
                switches += 1
            setup += other
            other_paid = other
        else:
            setup += max(0.0, other - other_paid)
            other_paid = max(other_paid, other)
        setup += max(0.0, step.hardware_cost - owned.get(infra, 0.0))
        owned[infra] = max(owned.get(infra, 0.0), step.hardware_cost)
        run += step.months * step.run_monthly_cost
        previous = step.design
    return {"run": run, "setup": setup, "total": run + setup, "switches": float(switches)}


def phase_usage(usage: Mapping[str, Any], phase: Mapping[str, Any]) -> dict[str, Any]:
    """The client's usage profile (tokens, active hours) at the phase's volume."""
    out = dict(usage)
    out["requests_per_day"] = float(phase["requests_per_day"])
    out["peak_requests_per_second"] = float(phase["peak_requests_per_second"])
    return out


def _num(value: Any) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return float("nan")
    return f


def run_monthly(row: Mapping[str, Any]) -> float:
    """Monthly cost without the amortised purchase of owned servers (counted as set-up)."""
    capex = _num(row.get("cost_capex"))
    return _num(row.get("monthly_cost")) - (0.0 if capex != capex else capex)


def hardware_cost(row: Mapping[str, Any], horizon_months: float) -> float:
    """The purchase of owned servers in a row's set-up cost: ``cost_capex`` is that purchase
    amortised over the horizon (estimators.cost.capex_usd_per_month), so × horizon_months."""
    capex = _num(row.get("cost_capex"))
    return 0.0 if capex != capex else capex * horizon_months


def infrastructure(row: Mapping[str, Any]) -> str:
    """Servers another design can reuse: owned ones, same site (region) and GPU."""
    if row.get("hosting") != "on_premise":
        return ""
    return f"on_premise|{row.get('region')}|{row.get('gpu')}"


def phase_entry(
    phase: Mapping[str, Any], start_month: float, pick: str | None, row: Mapping[str, Any] | None
) -> dict[str, Any]:
    """One phase's entry of the plan: its volume, when it starts, its recommended configuration
    (``row`` None when nothing is feasible) and that configuration's cost and robustness."""
    return {
        "name": phase["name"],
        "months": float(phase["months"]),
        "start_month": start_month,
        "requests_per_day": float(phase["requests_per_day"]),
        "peak_requests_per_second": float(phase["peak_requests_per_second"]),
        "config_id": pick,
        "recommendation_label": None if row is None else row.get("label"),
        "monthly_cost": None if row is None else _num(row.get("monthly_cost")),
        "setup_cost": None if row is None else _num(row.get("setup_cost")),
        "probability_meets_limits": None
        if row is None
        else _num(row.get("probability_meets_limits")),
        "row": row,
    }


def phase_step(
    pick: str, phase: Mapping[str, Any], row: Mapping[str, Any], horizon_months: float
) -> Step:
    """The phase on its recommended design, as the path cost counts it."""
    return Step(
        pick,
        float(phase["months"]),
        run_monthly(row),
        _num(row.get("setup_cost")),
        hardware_cost(row, horizon_months),
        infrastructure(row),
    )


def switch_record(
    start_month: float,
    previous: tuple[str, str],
    phase: Mapping[str, Any],
    frame: Any,
    row: Mapping[str, Any],
    steps: Sequence[Step],
) -> dict[str, Any]:
    """A switch at ``start_month`` from the ``previous`` (design, phase) to this phase's design
    (``row``, the last of ``steps``): labels, set-up cost, and what the switch pays."""
    return {
        "month": start_month,
        "from_phase": previous[1],
        "to_phase": phase["name"],
        "from_label": frame.loc[previous[0]].get("label")
        if previous[0] in frame.index
        else previous[0],
        "to_label": row.get("label"),
        "setup_cost": _num(row.get("setup_cost")),
        # what the switch pays: servers already owned on the site are reused
        "setup_paid": path_cost(steps)["setup"] - path_cost(steps[:-1])["setup"],
    }


def walk_phases(
    phases: Sequence[Mapping[str, Any]],
    by_id: Sequence[Any],
    picks: Sequence[str | None],
    horizon_months: float,
) -> tuple[list[dict[str, Any]], list[Step], list[dict[str, Any]]]:
    """The phases in order on their recommended designs: their entries, the steps of the path
    (the phases with a recommendation) and the switches between designs."""
    entries = []
    steps: list[Step] = []
    switches = []
    start = 0.0
    previous: tuple[str, str] | None = None
    for phase, frame, pick in zip(phases, by_id, picks, strict=True):
        row = frame.loc[pick].to_dict() if pick is not None else None
        entries.append(phase_entry(phase, start, pick, row))
        if row is not None and pick is not None:
            steps.append(phase_step(pick, phase, row, horizon_months))
            if previous is not None and previous[0] != pick:
                switches.append(switch_record(start, previous, phase, frame, row, steps))
            previous = (pick, phase["name"])
        start += float(phase["months"])
    return entries, steps, switches


def stay_cost(
    design: str, phases: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Staying on ``design`` (its row in each phase): Σ months × run cost + the largest set-up
    cost, and whether it is feasible in every phase."""
    run = sum(float(p["months"]) * run_monthly(r) for p, r in zip(phases, rows, strict=True))
    setup = max(_num(r.get("setup_cost")) for r in rows)
    return {
        "config_id": design,
        "label": rows[0].get("label"),
        "run": run,
        "setup": setup,
        "total": run + setup,
        "feasible_every_phase": all(bool(r.get("feasible")) for r in rows),
    }


def stay_costs(
    phases: Sequence[Mapping[str, Any]], by_id: Sequence[Any], designs: Sequence[str]
) -> list[dict[str, Any]]:
    """:func:`stay_cost` of each design present in every phase's frame, the feasible ones
    first, then by total cost."""
    stay = []
    for design in designs:
        rows = [f.loc[design].to_dict() for f in by_id if design in f.index]
        if len(rows) < len(by_id):
            continue
        stay.append(stay_cost(design, phases, rows))
    stay.sort(key=lambda s: (not s["feasible_every_phase"], s["total"], s["config_id"]))
    return stay


def advice_of(
    path: Mapping[str, float] | None,
    best_stay: Mapping[str, Any] | None,
    switches: Sequence[Any],
) -> str | None:
    """``"switch"`` when the phase path costs less than staying on the best single design
    feasible in every phase (or none is), else ``"stay"``; None without a complete path."""
    if path is None:
        return None
    if not switches:
        return "stay"
    return "switch" if best_stay is None or path["total"] < best_stay["total"] else "stay"


def summarise(
    phases: Sequence[Mapping[str, Any]],
    frames: Sequence[Any],
    picks: Sequence[str | None],
    extra_designs: Sequence[str] = (),
    horizon_months: float = 0.0,
) -> dict[str, Any]:
    """From the scored frame and recommended ``config_id`` of each phase: the per-phase entries,
    the switches, the path cost and the cost of staying on each recommended design (plus
    ``extra_designs``, e.g. the recommendation at the client's own volume)."""
    by_id = [f.set_index("config_id") for f in frames]
    entries, steps, switches = walk_phases(phases, by_id, picks, horizon_months)
    complete = all(p is not None for p in picks)
    path = path_cost(steps) if complete else None
    designs = list(dict.fromkeys([*(p for p in picks if p is not None), *extra_designs]))
    stay = stay_costs(phases, by_id, designs)
    best_stay = next((s for s in stay if s["feasible_every_phase"]), None)
    return {
        "advice": advice_of(path, best_stay, switches),
        "phases": entries,
        "switches": switches,
        "path": path,
        "stay": stay,
        "best_stay": best_stay,
        "saving_vs_best_stay": None
        if path is None or best_stay is None
        else best_stay["total"] - path["total"],
    }


def decide(
    evaluated: Any,
    limits: Mapping[str, Any],
    weights: Mapping[str, float],
    method: Mapping[str, Any],
    client: Any,
) -> tuple[Any, Any]:
    """The recommendation at one phase's volume: the decision chain of ``scoring.run`` (reject,
    score, Monte Carlo, ``recommend_robust``) without its views (winner map, limit sensitivity,
    what-if), which the phase plan does not show. Returns (scored frame, Recommendation)."""

    crits = scoring.criteria(limits, weights, method)
    hard = [*crits, *scoring.extra_criteria(dict(client.critical_performance.extra_limits))]
    max_setup = client.constraints.max_setup_cost
    scored = scoring.score(scoring.reject(evaluated, hard, max_setup), crits)
    scored["probability_meets_limits"] = scoring.monte_carlo(
        scored,
        hard,
        max_setup,
        int(method["monte_carlo_samples"]),
        int(method["monte_carlo_seed"]),
    )
    raw = method.get("min_probability_meets_limits")
    min_probability = 0.0 if raw is None else float(raw)
    return scored, scoring.recommend_robust(scored, crits, min_probability)


def plan(
    inputs: Any,
    frame: Any,
    intensity: Mapping[str, float],
    recommendation_id: str | None,
    limits: Mapping[str, Mapping[str, Any] | None],
    candidates: Sequence[conf.Candidate] | None = None,
) -> dict[str, Any] | None:
    """The phase plan of a run (None when the params give no phases): every phase evaluated and
    scored on the shortcut set of candidates (module docstring) under the client's ``limits``
    (per pillar, None when absent), then :func:`summarise`. Each ``phases`` entry keeps its
    recommended configuration ``row`` (None when nothing is feasible) for the caller to turn
    into a ``results.json`` record. ``candidates``: the space's, when the caller has them."""

    client, cat = inputs.client, inputs.catalog
    given = client.usage.phases or []
    if not given:
        return None
    if candidates is None:
        candidates = conf.space(client, cat).candidates
    feasible_ids = set(frame.loc[frame["feasible"].astype(bool), "config_id"])
    cands = [c for c in candidates if c.hosting == "api" or c.config_id in feasible_ids]
    weights = dict(inputs.priorities.weights)
    given_limits = {k: v for k, v in limits.items() if v}
    method = dict(cat.method)
    phases = [p.model_dump() for p in given]
    frames, picks, fragile = [], [], []
    for phase in phases:
        usage = phase_usage(inputs.usage, phase)
        evaluated = conf.evaluate(
            client,
            cat,
            usage,
            intensity,
            measured_usage=inputs.usage_measured is not None,
            candidates=cands,
        )
        frame_k, rec = decide(evaluated, given_limits, weights, method, client)
        frames.append(frame_k)
        picks.append(None if rec.best is None else rec.best["config_id"])
        fragile.append(bool(rec.fragile) if rec.best is not None else False)
    extra = [recommendation_id] if recommendation_id else []
    out = summarise(phases, frames, picks, extra, float(client.usage.horizon_months))
    for entry, is_fragile in zip(out["phases"], fragile, strict=True):
        entry["fragile"] = is_fragile
    months = sum(float(p["months"]) for p in phases)
    out["months_total"] = months
    out["horizon_months"] = float(client.usage.horizon_months)
    out["months_match_horizon"] = abs(months - float(client.usage.horizon_months)) < 1e-9
    out["candidates"] = len(cands)
    return out
