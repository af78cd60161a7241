"""The sizing of each row: the engine's batch cap and the fewest replicas meeting the client's
latency limits at the peak (real time, ``size_real_time``), or finishing a run within its limit
(batch mode, ``batch_replicas``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from llmdecide.estimators import search, serving
from llmdecide.evaluation.context import Context
from llmdecide.evaluation.fit import Fit
from llmdecide.evaluation.rows import Array, Rows
from llmdecide.evaluation.step import gpu_figure
from llmdecide.units import HOURS_PER_DAY, SECONDS_PER_HOUR


@dataclass(frozen=True)
class Sizing:
    """The engine settings chosen in the value scenario, kept in the other scenarios."""

    batch_cap: Array
    replicas: Array


def _limits(ctx: Context, fixed_s: Array, n: int, hidden: Array) -> search.LatencyLimits:
    """The client's latency limits on the replica (the fixed parts subtracted)."""
    cp = ctx.client.critical_performance
    limits = {cp.performance.metric: float(cp.performance.limit)}
    for metric, value in (cp.extra_limits or {}).items():
        limits[metric] = min(float(value), limits.get(metric, math.inf))
    inf = np.full(n, math.inf)
    e2e = inf.copy()
    if "p95_latency_s" in limits:
        e2e = np.minimum(e2e, limits["p95_latency_s"] - fixed_s)
    if "turnaround_h" in limits:
        e2e = np.minimum(e2e, limits["turnaround_h"] * SECONDS_PER_HOUR - fixed_s)
    ttft = inf.copy()
    if "ttft_p95_s" in limits:
        ttft = limits["ttft_p95_s"] - fixed_s
    tpot = np.full(n, limits.get("tpot_p95_ms", math.inf) / 1000.0)
    return search.LatencyLimits(
        e2e,
        np.broadcast_to(ttft, (n,)).astype(float),
        tpot,
        float(ctx.method("max_peak_utilisation")),
        hidden,
    )


def _subset(x: Any, idx: NDArray[np.intp]) -> Any:
    return np.asarray(x, float)[idx] if np.ndim(x) else x


def _take_model(m: serving.StepModel, idx: NDArray[np.intp]) -> serving.StepModel:
    return serving.StepModel(**{k: _subset(v, idx) for k, v in vars(m).items()})


def _take_w(w: serving.Workload, idx: NDArray[np.intp]) -> serving.Workload:
    return serving.Workload(**{k: _subset(v, idx) for k, v in vars(w).items()})


def replica_engine(ctx: Context, rows: Rows, fit_: Fit, cap: Array) -> serving.Engine:
    eff = ctx.catalog.efficiencies[ctx.engine]
    mem = gpu_figure(ctx.catalog, "memory_gb")
    budget = rows.floats("gpu", lambda g: float(eff.token_budget(mem(g))))
    return serving.Engine(
        max_seqs=cap, token_budget=budget, kv_capacity_tokens=fit_.kv_capacity_tokens
    )


def default_cap(ctx: Context, rows: Rows) -> Array:
    """The engine's max_num_seqs for the GPU, or the client's cap."""
    eff = ctx.catalog.efficiencies[ctx.engine]
    mem = gpu_figure(ctx.catalog, "memory_gb")
    caps = rows.floats("gpu", lambda g: float(eff.max_seqs(mem(g))))
    given = ctx.client.options.max_batch_per_replica
    return np.minimum(caps, float(given)) if given else caps


def size_real_time(
    ctx: Context,
    rows: Rows,
    idx: NDArray[np.intp],
    m: serving.StepModel,
    w: serving.Workload,
    fit_: Fit,
    fixed_s: Array,
    peak_rps: Array,
    hidden_tokens: Array,
) -> tuple[Array, Array]:
    """For rows ``idx``: the (batch cap, replicas) with the fewest GPUs meeting every latency
    limit at the peak, among the engine default cap and the method's smaller caps (replicas 0:
    no count meets them)."""
    quantile = float(ctx.method("latency_quantile"))
    top = np.minimum(default_cap(ctx, rows)[idx], np.maximum(fit_.memory_slots[idx], 1.0))
    caps = [top] + [np.full(idx.size, float(c)) for c in ctx.method("batch_caps_per_replica")]
    best_r = np.zeros(idx.size)
    best_cap = top.copy()
    ms, ws = _take_model(m, idx), _take_w(w, idx)
    eng_all = replica_engine(ctx, rows, fit_, np.zeros(len(rows.cands)))
    limits = _limits(ctx, fixed_s[idx], idx.size, hidden_tokens[idx])
    budget = _subset(eng_all.token_budget, idx)
    kv_cap = _subset(eng_all.kv_capacity_tokens, idx)
    # a smaller cap is worth a search only where it is smaller than the default (and, below,
    # where the default needs more than one replica or none meets the limits). The searches of
    # every (row, cap) pair run as one stacked search: each row's count is the same as in a
    # search of its own (rows do not interact), in a few numpy passes instead of one series of
    # small ones per cap
    caps = [np.minimum(cap, top) for cap in caps]
    todos = [np.arange(idx.size)] + [np.flatnonzero(cap < top) for cap in caps[1:]]
    stack = np.concatenate(todos)
    stacked_cap = np.concatenate([cap[todo] for cap, todo in zip(caps, todos, strict=True)])
    engine = serving.Engine(
        max_seqs=stacked_cap,
        token_budget=budget[stack] if np.ndim(budget) else budget,
        kv_capacity_tokens=kv_cap[stack] if np.ndim(kv_cap) else kv_cap,
    )
    sub = search.LatencyLimits(
        limits.e2e_s[stack],
        limits.ttft_s[stack],
        limits.tpot_s[stack],
        limits.max_utilisation,
        np.asarray(limits.hidden_tokens, dtype=float)[stack]
        if np.ndim(limits.hidden_tokens)
        else limits.hidden_tokens,
    )
    found = search.fewest_replicas(
        _take_model(ms, stack), _take_w(ws, stack), engine, peak_rps[idx][stack], sub, quantile
    )
    start = 0
    for j, (cap, todo) in enumerate(zip(caps, todos, strict=True)):
        r = found[start : start + todo.size]
        start += todo.size
        if j > 0:  # the default's count is kept where it needs a single replica
            keep = best_r[todo] != 1
            todo, r = todo[keep], r[keep]
        better = (r > 0) & ((best_r[todo] == 0) | (r < best_r[todo]))
        best_r[todo] = np.where(better, r, best_r[todo])
        best_cap[todo] = np.where(better, cap[todo], best_cap[todo])
    return best_cap, best_r


def batch_wait_h(ctx: Context, u: Mapping[str, float]) -> float:
    """Worst-case wait of a batch request for its run: requests arrive over the active hours and
    the backlog is processed ``batch_runs_per_day`` times, so the first request of a window waits
    the window (active hours / runs)."""
    return u["active_hours_per_day"] / float(ctx.client.options.batch_runs_per_day)


def batch_run_limit_h(ctx: Context, u: Mapping[str, float]) -> float:
    """Longest a run may take: the turnaround limit minus the wait, or the interval between
    runs when the client gives no turnaround limit."""
    runs = float(ctx.client.options.batch_runs_per_day)
    interval = HOURS_PER_DAY / runs
    cp = ctx.client.critical_performance
    limits = {cp.performance.metric: float(cp.performance.limit), **(cp.extra_limits or {})}
    if "turnaround_h" in limits:
        return min(interval, float(limits["turnaround_h"]) - batch_wait_h(ctx, u))
    return interval


def batch_replicas(
    ctx: Context, u: Mapping[str, float], replica_h_per_run: Array
) -> tuple[Array | None, str]:
    """Batch mode: the replicas so that a run of ``replica_h_per_run`` replica-hours ends within
    its limit; None and the reason where the turnaround limit leaves no time for a run."""
    run_limit_h = batch_run_limit_h(ctx, u)
    if run_limit_h <= 0:
        why = (
            f"turnaround limit below the {batch_wait_h(ctx, u):.3g} h wait for the next "
            "run; raise options.batch_runs_per_day"
        )
        return None, why
    return np.maximum(1.0, np.ceil(replica_h_per_run / run_limit_h - 1e-9)), ""
