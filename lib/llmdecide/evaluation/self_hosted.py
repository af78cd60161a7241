"""Self-hosted configurations (cloud and on premise), evaluated column-wise.

The chain, each step a module of small functions over the columns of every self-hosted
candidate at once (``rows.Rows``): ``physics.demand`` (tokens per request) → ``fit`` (memory,
context window, server) → ``step.replica_model`` (parallelism, kernels) → ``sizing`` (engine
limits and the sizing search, real time or batch) → ``physics`` (latency under load, power) →
the hosting's bill (``hosting/cloud.py``, ``hosting/on_premise.py``: energy, money, carbon) →
precision. ``evaluate`` runs the physics once per distinct serving candidate, hands the fleet to
each hosting type and returns the columns of ``configurations.csv`` (USD, before conversion).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from llmdecide.estimators import energy as energy_est
from llmdecide.evaluation import precision
from llmdecide.evaluation.context import Context
from llmdecide.evaluation.hosting import SELF_HOSTED
from llmdecide.evaluation.physics import physics
from llmdecide.evaluation.rows import Array, Rows, distinct_codes
from llmdecide.evaluation.sizing import Sizing

if TYPE_CHECKING:
    from llmdecide.space import Candidate


SERVING_KEY = (
    "gpu",
    "gpus_per_replica",
    "model",
    "optimisation",
    "kv_cache",
    "rag",
    "reasoning_effort",
    "prompt_caching",
    "deployment_mode",
)
"""What the sizing of a candidate depends on (not its hosting nor its region)."""


def serving_key(c: Candidate) -> tuple[Any, ...]:
    """The ``SERVING_KEY`` fields of a candidate."""
    return tuple(getattr(c, name) for name in SERVING_KEY)


def _take_fleet(fleet: Mapping[str, Any], idx: NDArray[np.intp]) -> dict[str, Any]:
    """The fleet of rows ``idx`` (scalars apply to every row)."""
    return {k: v[idx] if isinstance(v, np.ndarray) and v.ndim else v for k, v in fleet.items()}


def _bills(ctx: Context, rows: Rows, fleet: Mapping[str, Any], scenario: str) -> dict[str, Array]:
    """The money, energy and carbon columns: each hosting type bills its own rows (NaN in the
    others' rows)."""
    n = len(rows.cands)
    bills: dict[str, Array] = {}
    for name, hosting in SELF_HOSTED.items():
        sel = np.flatnonzero(rows.mask("hosting", name))
        if sel.size:
            # each hosting type bills its own rows
            sub = rows.take(sel.tolist())
            part = hosting.bill(ctx, sub, _take_fleet(fleet, sel), scenario)
            for k, v in part.items():
                prev = bills.get(k, np.full(n, math.nan))
                filled = prev.astype(np.result_type(v, prev))
                filled[sel] = v
                bills[k] = filled
    return bills


def evaluate(
    ctx: Context,
    cands: Sequence[Candidate] | Rows,
    scenario: str,
    sizing: Sizing | None = None,
    volume: Array | None = None,
) -> dict[str, Any]:
    """Every column of the self-hosted rows at the scenario (USD). Rows ruled out by the fit or
    the search keep ``excluded_because`` and NaN figures. The sizing runs once per distinct
    serving candidate (hosting and region only change the bill)."""

    rows = Rows.of(cands)
    cands = rows.cands
    n = len(cands)
    vol = np.ones(n) if volume is None else np.asarray(volume, dtype=float)
    if volume is None:
        _, index = rows.codes(*SERVING_KEY)
    else:
        keys = [(*serving_key(c), float(v)) for c, v in zip(cands, vol, strict=True)]
        _, index = distinct_codes(keys)
    # the first row of each distinct serving candidate (codes number them in that order)
    reps = np.unique(index, return_index=True)[1].tolist()
    sizing_u = None
    if sizing is not None:
        sizing_u = Sizing(sizing.batch_cap[reps], sizing.replicas[reps])
    phys_u, fleet_u = physics(ctx, rows.take(reps), scenario, sizing_u, vol[reps])

    def expand(v: Any) -> Any:
        if isinstance(v, list):
            return [v[j] for j in index]
        if isinstance(v, np.ndarray) and v.ndim:
            return v[index]
        return v

    phys_cols = {k: expand(v) for k, v in phys_u.items()}
    fleet = {k: expand(v) for k, v in fleet_u.items()}
    u = ctx.usage_at(scenario)
    days = ctx.days_per_month
    out = phys_cols.pop("generated_tokens")
    valid = np.array([e == "" for e in phys_cols["excluded_because"]]) & (
        ~np.isnan(phys_cols["replicas"])
    )
    nan = np.full(n, math.nan)
    bills = _bills(ctx, rows, fleet, scenario)
    acc = rows.each(
        ("hosting", "model", "optimisation", "rag", "output_format", "reasoning_effort"),
        lambda k: precision.accuracy(ctx, k[0], k[1], k[2], k[3], k[4], scenario, k[5]),
    )
    requests_month = u["requests_per_day"] * vol * days
    columns: dict[str, Any] = {
        **phys_cols,
        "accuracy": np.array([a for a, _ in acc]),
        "accuracy_source": [s for _, s in acc],
        "cost_api": np.zeros(n),
        **bills,
    }
    kwh = columns["energy_kwh_per_month"]
    columns["wh_per_1k_output_tokens"] = energy_est.wh_per_1k_output_tokens(
        kwh, out * requests_month
    )
    for col in ("replicas", "gpus_total", "servers", "serving_replicas"):
        if col in columns:
            columns[col] = np.where(valid, columns[col], nan)
    return columns
