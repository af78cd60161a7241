"""The break-even between an API and self-hosting: monthly cost of each side over a range of
daily volumes, like with like (the client's precision limit, the recommendation's mode and
output format), and the volume where the two lines cross (``docs/method.md``, "Break-even").

Each side's shortlisted configurations are re-sized and re-priced at every volume by the same
chain as the configuration table (``configurations``, ``evaluation.self_hosted``); the crossing
is ``estimators.cost.break_even_requests_per_day``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from llmdecide import configurations as conf
from llmdecide.columns import COST_COLUMNS
from llmdecide.estimators import cost
from llmdecide.evaluation import self_hosted
from llmdecide.records import plain

if TYPE_CHECKING:
    from llmdecide.catalog import Catalog
    from llmdecide.params import ClientParams

DRIVER_PARTS = {
    "tokens": ("cost_api",),
    "gpus": ("cost_compute", "cost_capex", "cost_energy", "cost_operations"),
    "staff": ("cost_staff",),
    "retrieval": ("cost_rag",),
}
"""What drives a side's cost at the crossing: the cost columns grouped in words."""


def _precision_side(side: pd.DataFrame, limit: float | None) -> tuple[pd.DataFrame, str]:
    """The rows of one side of the break-even of the client's precision: those meeting the limit
    (``"meets_limit"``), else those of the closest precision (``"closest"``); an unknown
    precision never passes (``"no_limit"``: every row, when there is no precision limit)."""
    if limit is None:
        return side, "no_limit"
    acc = side["accuracy"].astype(float)
    meets = side[acc >= limit]
    if not meets.empty:
        return meets, "meets_limit"
    known = side[acc.notna()]
    if known.empty:
        return side, "closest"
    best = known["accuracy"].astype(float).max()
    return known[known["accuracy"].astype(float) >= best - 1e-12], "closest"


COSTS = ("monthly_cost", *COST_COLUMNS)
"""The cost parts of a break-even point (client currency)."""


def _sides(
    frame: pd.DataFrame, best: Mapping[str, Any], limit: float | None
) -> tuple[tuple[pd.DataFrame, str], tuple[pd.DataFrame, str]]:
    """The API side and the self-hosted side (``_precision_side``): the rows not excluded, in the
    recommendation's mode and output format."""
    # masks first, then one copy of each side's rows (not of the pool, then of its alike rows)
    alike = (
        (frame["deployment_mode"] == best["deployment_mode"])
        & frame["excluded_because"].fillna("").eq("")
        & (frame["output_format"] == best["output_format"])
    )
    api = frame["hosting"] == "api"
    return _precision_side(frame[alike & api], limit), _precision_side(frame[alike & ~api], limit)


def _side_costs(
    base: Any,
    rows: pd.DataFrame,
    make: Any,
    factors: Sequence[float],
) -> list[dict[str, Any]]:
    """Per row: its cost parts (client currency) at every break-even volume, re-sized (and at its
    cheapest commitment) at each: ``[{label, monthly: [...], parts: [{column: value}, ...]}]``."""

    shortlist = [row for _, row in rows.iterrows()]  # iterrows is slow: once
    cands = [conf.Candidate.of(row) for row in shortlist]
    own = iter(_self_hosted_costs(base, [c for c in cands if c.hosting != "api"], factors))
    # one context per volume, shared by the API rows
    contexts = (
        [make(conf.scaled_usage(base.usage, f)) for f in factors]
        if any(c.hosting == "api" for c in cands)
        else []
    )
    return [
        {
            "label": row["label"],
            "accuracy": row["accuracy"],
            "costs": next(own) if cand.hosting != "api" else _api_costs(base, cand, contexts),
        }
        for row, cand in zip(shortlist, cands, strict=True)
    ]


def _self_hosted_costs(
    base: Any, cands: Sequence[conf.Candidate], factors: Sequence[float]
) -> list[list[dict[str, float]]]:
    """Per self-hosted candidate, its cost parts at every volume: every (candidate, volume) row
    in one column-wise evaluation (a call costs about as much for 60 rows as for 15)."""
    if not cands:
        return []
    volumes = np.tile(np.array(factors, dtype=float), len(cands))
    cols = self_hosted.evaluate(
        base, [c for c in cands for _ in factors], conf.VALUE, volume=volumes
    )
    per_row = [
        {
            k: cost.to_currency(math.nan if excluded else float(cols[k][i]), base.usd_per_unit)
            for k in COSTS
        }
        for i, excluded in enumerate(cols["excluded_because"])
    ]
    n = len(factors)
    return [per_row[j * n : (j + 1) * n] for j in range(len(cands))]


def _api_costs(base: Any, cand: conf.Candidate, contexts: Sequence[Any]) -> list[dict[str, float]]:
    """An API candidate's cost parts at every volume (``contexts``: one per volume)."""
    out = []
    for ctx in contexts:
        r = conf.evaluate_one(ctx, cand, conf.VALUE)
        bad = bool(r.get("excluded_because"))
        out.append(
            {
                k: cost.to_currency(
                    math.nan if bad else float(r.get(k, math.nan)), base.usd_per_unit
                )
                for k in COSTS
            }
        )
    return out


def _cheapest_line(curves: list[dict[str, Any]], volumes: int) -> tuple[list[float], list[int]]:
    """At each of the ``volumes`` volumes, the cheapest configuration of a side: its monthly
    cost and its index."""

    costs, which = [], []
    for i in range(volumes):
        values = [c["costs"][i]["monthly_cost"] for c in curves]
        finite = [(v, j) for j, v in enumerate(values) if v == v]
        if not finite:
            costs.append(math.nan)
            which.append(0)
            continue
        v, j = min(finite)
        costs.append(v)
        which.append(j)
    return costs, which


def _drivers(parts: Mapping[str, float]) -> dict[str, float]:
    """A side's cost at one volume grouped by what drives it (tokens, GPUs, staff, retrieval)."""
    return {
        name: float(sum(parts.get(c, 0.0) or 0.0 for c in cols if parts.get(c) == parts.get(c)))
        for name, cols in DRIVER_PARTS.items()
    }


def _shortlist(side: pd.DataFrame, best_id: str, candidates: int) -> pd.DataFrame:
    """The ``candidates`` cheapest rows of a side at the client's volume, the recommendation
    among them when it is on this side."""
    ranked = side.sort_values(["monthly_cost", "config_id"])
    keep = ranked.head(candidates)
    same = side[side["config_id"] == best_id]
    if not same.empty and best_id not in set(keep["config_id"]):
        keep = pd.concat([same, keep.head(candidates - 1)])
    return keep


def _curve(
    volumes: Sequence[float],
    api: tuple[list[float], list[int], list[dict[str, Any]]],
    own: tuple[list[float], list[int], list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """Both sides' cheapest lines, one point per volume (each side: costs, which, curves)."""
    api_cost, api_which, api_curves = api
    own_cost, own_which, own_curves = own
    return [
        {
            "requests_per_day": v,
            "api_monthly_cost": a,
            "self_hosted_monthly_cost": s,
            "api_label": api_curves[ia]["label"],
            "self_hosted_label": own_curves[io]["label"],
        }
        for v, a, s, ia, io in zip(volumes, api_cost, own_cost, api_which, own_which, strict=True)
    ]


def break_even(
    client: ClientParams,
    catalog: Catalog,
    usage: Mapping[str, float],
    frame: pd.DataFrame,
    best: Mapping[str, Any] | None,
    intensity: Mapping[str, float],
    *,
    measured_usage: bool,
) -> dict[str, Any] | None:
    """API vs self-hosted monthly cost over volumes, like with like: on each side the
    configurations that meet the client's precision limit (else the closest in precision, said
    in ``precision``), in the recommendation's mode and output format; the few cheapest at the
    client's volume (and the recommendation on its side) are re-sized at every volume with their
    staff, availability and cheapest commitment, and each side's line is its cheapest at each
    volume. The crossing volume, and what drives each side's cost there."""
    if best is None:
        return None
    cp = client.critical_performance
    limit = float(cp.precision.limit) if cp.precision is not None else None
    (apis, api_basis), (own, own_basis) = _sides(frame, best, limit)
    if apis.empty or own.empty:
        return None

    method = catalog.method
    factors = [float(f) for f in method["break_even_volume_factors"]]
    candidates = int(method["break_even_candidates"])

    usage = dict(usage)

    def make(u: Mapping[str, float]) -> conf.Context:
        return conf.make_context(client, catalog, u, intensity, measured_usage=measured_usage)

    base = make(usage)
    best_id = best["config_id"]
    api_curves = _side_costs(base, _shortlist(apis, best_id, candidates), make, factors)
    own_curves = _side_costs(base, _shortlist(own, best_id, candidates), make, factors)
    api_cost, api_which = _cheapest_line(api_curves, len(factors))
    own_cost, own_which = _cheapest_line(own_curves, len(factors))
    volumes = [usage["requests_per_day"] * f for f in factors]
    crossing = cost.break_even_requests_per_day(volumes, api_cost, own_cost)
    # the side's configuration at the crossing (else at the client's volume)
    at = factors.index(1.0)
    if crossing is not None:
        at = min(range(len(volumes)), key=lambda i: abs(volumes[i] - crossing))
    api_at, own_at = api_curves[api_which[at]], own_curves[own_which[at]]
    api_drivers = _drivers(api_at["costs"][at])
    own_drivers = _drivers(own_at["costs"][at])
    drivers = {
        "requests_per_day": volumes[at],
        "api": api_drivers,
        "self_hosted": own_drivers,
        "api_main": max(api_drivers, key=api_drivers.__getitem__),
        "self_hosted_main": max(own_drivers, key=own_drivers.__getitem__),
    }
    return {
        "api_label": api_at["label"],
        "self_hosted_label": own_at["label"],
        "requests_per_day": crossing,
        "current_requests_per_day": usage["requests_per_day"],
        "precision": {
            "limit": limit,
            "api_basis": api_basis,
            "self_hosted_basis": own_basis,
            "api_accuracy": plain(api_at["accuracy"]),
            "self_hosted_accuracy": plain(own_at["accuracy"]),
        },
        "drivers": drivers,
        "curve": _curve(
            volumes, (api_cost, api_which, api_curves), (own_cost, own_which, own_curves)
        ),
    }
