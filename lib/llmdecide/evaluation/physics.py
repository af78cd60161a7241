"""The serving physics of the self-hosted rows: tokens per request → memory fit → replica step
model → sizing (real time or batch) → latency under load → GPU power. ``physics`` returns the
serving columns of ``configurations.csv`` and the fleet each hosting type bills
(``hosting/<type>.bill``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from llmdecide.estimators import energy as energy_est
from llmdecide.estimators import serving
from llmdecide.evaluation import workload
from llmdecide.evaluation.context import VALUE, Context, pick
from llmdecide.evaluation.fit import Fit, fit
from llmdecide.evaluation.rows import Array, Rows
from llmdecide.evaluation.sizing import (
    Sizing,
    batch_replicas,
    batch_wait_h,
    default_cap,
    replica_engine,
    size_real_time,
)
from llmdecide.evaluation.step import gpu_figure, replica_model
from llmdecide.units import SECONDS_PER_HOUR

if TYPE_CHECKING:
    from llmdecide.space import Candidate


@dataclass(frozen=True)
class Demand:
    """Each row's requests: the serving workload, the fixed latency (retrieval, network), the
    hidden reasoning tokens, every generated token, and why the tokens are unknown ("": known)."""

    w: serving.Workload
    fixed_s: Array
    hidden: Array
    out: Array
    unknown: list[str]


def demand(ctx: Context, rows: Rows, scenario: str) -> Demand:
    """The tokens and fixed latency of each row's requests at the scenario (once per distinct
    model, reasoning effort, prompt caching and retrieval)."""
    fixed = rows.floats("rag", lambda r: workload.fixed_latency_s(ctx, r, scenario))
    keys = ("model", "reasoning_effort", "prompt_caching", "rag")
    distinct, _ = rows.codes(*keys)
    per_key = {
        (m, e, c, r): workload.tokens(ctx, m, e, c, r, scenario, False) for m, e, c, r in distinct
    }
    prompt = rows.floats(keys, lambda k: per_key[k].prompt)
    hidden = np.nan_to_num(rows.floats(keys, lambda k: per_key[k].reasoning))
    answer = rows.floats(keys, lambda k: per_key[k].output)
    out = hidden + answer  # every generated token is a decode step
    w = serving.Workload(
        context_tokens=prompt,
        prefill_tokens=prompt - rows.floats(keys, lambda k: per_key[k].cached),
        output_tokens=out,
        # a usage log's token distributions (defaults without one: 1, 1, 0, 0)
        service_cv2=rows.floats(keys, lambda k: per_key[k].output_cv2),
        prompt_cv2=rows.floats(keys, lambda k: per_key[k].prompt_cv2),
        prompt_extra_q=rows.floats(keys, lambda k: per_key[k].prompt_extra_q),
        output_extra_q=rows.floats(keys, lambda k: per_key[k].output_extra_q),
    )
    unknown = rows.each(keys, lambda k: per_key[k].unknown)
    return Demand(w, fixed, hidden, out, unknown)


def _hidden_wait(hidden: Array, tpot_s: Array) -> Array:
    """Time the user waits for the reasoning tokens before the first answer token."""
    with np.errstate(invalid="ignore"):
        return np.where(hidden > 0, hidden * tpot_s, 0.0)


def _sizes(
    ctx: Context,
    rows: Rows,
    ok: Any,
    realtime: Any,
    m: serving.StepModel,
    d: Demand,
    fit_: Fit,
    peak: Array,
    sizing: Sizing | None,
) -> tuple[Array, Array]:
    """The batch cap and replicas of each row: those of ``sizing`` where given (the value
    scenario's), else the search's for the real-time rows that fit, and elsewhere the engine's
    default cap (within the memory slots) with 0 replicas (batch mode: sized in ``physics``)."""
    if sizing is not None:
        return sizing.batch_cap.copy(), sizing.replicas.copy()
    caps = np.where(ok, np.minimum(default_cap(ctx, rows), np.maximum(fit_.memory_slots, 1)), 1.0)
    replicas = np.zeros(len(rows.cands))
    idx = np.flatnonzero(ok & realtime)
    if idx.size:
        c, r = size_real_time(ctx, rows, idx, m, d.w, fit_, d.fixed_s, peak, d.hidden)
        caps[idx], replicas[idx] = c, r
    return caps, replicas


def _power_w(
    ctx: Context,
    rows: Rows,
    m: serving.StepModel,
    w: serving.Workload,
    engine: serving.Engine,
    curve: Any,
    mean_rate: Array,
    realtime: Any,
    scenario: str,
) -> tuple[Array, Array, Array]:
    """Each row's GPU power at ``mean_rate`` (from what its steps do), its busy share and the
    GPU's idle power (W)."""
    quantile = float(ctx.method("latency_quantile"))
    at_mean = serving.operating_point(m, w, engine, mean_rate, curve)
    mean_lat = serving.replica_latency(m, w, engine, mean_rate, quantile, curve, at_mean)
    mem_share, cmp_share = serving.step_shares(m, w, engine, mean_rate, curve, at_mean)
    busy = np.where(realtime, mean_lat.busy_share, 1.0)
    eff = ctx.catalog.efficiencies[ctx.engine]
    tdp = rows.floats("gpu", gpu_figure(ctx.catalog, "tdp_w"))
    idle = rows.floats("gpu", gpu_figure(ctx.catalog, "idle_w"))
    power = energy_est.gpu_power_from_steps_w(
        tdp,
        idle,
        busy,
        np.nan_to_num(mem_share),
        np.nan_to_num(cmp_share),
        pick(eff.power_fraction_memory_bound, scenario, "low"),
        pick(eff.power_fraction_compute_bound, scenario, "low"),
    )
    return power, busy, idle


def _latency_columns(
    realtime: Any, valid: Any, lat: Any, rho: Array, d: Demand, batch_turnaround_h: Array
) -> dict[str, Array]:
    """The latency columns at the peak (real time; NaN for batch rows and invalid rows)."""
    nan = np.full(len(valid), math.nan)

    def rt(x: Array) -> Array:
        return np.where(realtime & valid, x, nan)

    return {
        "ttft_s": rt(lat.ttft_q_s + _hidden_wait(d.hidden, lat.tpot_q_s) + d.fixed_s),
        "p95_latency_s": rt(lat.e2e_q_s + d.fixed_s),
        "tpot_p95_ms": rt(lat.tpot_q_s * 1000.0),
        "turnaround_h": np.where(
            realtime, (lat.e2e_q_s + d.fixed_s) / SECONDS_PER_HOUR, batch_turnaround_h
        ),
        "peak_utilisation": np.where(realtime & valid, rho, np.where(valid, 1.0, nan)),
    }


def _unsized(excluded: list[str], rows: Rows, missing: Array) -> None:
    """Writes into ``excluded`` why the real-time rows ``missing`` have no replica count."""
    for row in np.flatnonzero(missing).tolist():
        c = rows.cands[row]
        excluded[row] = (
            f"no replica count meets the latency limits with {c.gpus_per_replica} × "
            f"{c.gpu} per replica (even at near-zero load)"
        )


def _fleet(
    ctx: Context,
    tp: Array,
    replicas: Array,
    realtime: Any,
    active_h: float,
    replica_h_per_day: Array,
    power_w: Array,
    idle_w: Array,
    vol: Array,
) -> dict[str, Any]:
    """What the hosting types bill from (``hosting/<type>.bill``): parallelism, replicas, mode,
    hours, GPU power, volume."""
    return {
        "tp": tp,
        "replicas": replicas,
        "realtime": realtime,
        "active_h": active_h,
        "days": ctx.days_per_month,
        "replica_h_per_day": replica_h_per_day,
        "power_w": power_w,
        "idle_w": idle_w,
        "min_replicas": ctx.assumption("min_replicas_off_hours", VALUE, "low"),
        "volume": vol,
    }


def physics(
    ctx: Context,
    cands: Sequence[Candidate] | Rows,
    scenario: str,
    sizing: Sizing | None = None,
    volume: Array | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The serving columns and the fleet of distinct serving candidates (see ``serving_key``):
    fit, replica model, sizing search, latency, power. ``volume``: each row's traffic as a
    multiple of the client's (break-even curves), 1 by default."""
    rows = Rows.of(cands)
    n = len(rows.cands)
    vol = np.ones(n) if volume is None else np.asarray(volume, dtype=float)
    u = ctx.usage_at(scenario)
    d = demand(ctx, rows, scenario)
    w, out = d.w, d.out
    fit_ = fit(ctx, rows, w)
    m = replica_model(ctx, rows, fit_.kv_bytes_per_token, scenario)
    excluded = [t or e for t, e in zip(d.unknown, fit_.excluded, strict=True)]
    ok = np.array([e == "" for e in excluded])
    realtime = rows.mask("deployment_mode", "real_time")
    peak = u["peak_requests_per_second"] * vol
    requests_per_day = u["requests_per_day"] * vol
    caps, replicas = _sizes(ctx, rows, ok, realtime, m, d, fit_, peak, sizing)
    engine = replica_engine(ctx, rows, fit_, caps)
    curve = serving.load_curve(m, w, engine)  # independent of the rate: computed once
    capacity = curve.capacity_rps
    # batch mode: replicas so that a run ends within its limit
    runs_per_day = float(ctx.client.options.batch_runs_per_day)
    with np.errstate(divide="ignore", invalid="ignore"):
        replica_h_per_run = requests_per_day / runs_per_day / capacity / SECONDS_PER_HOUR
    if sizing is None:
        bidx = np.flatnonzero(ok & ~realtime)
        batch, why = batch_replicas(ctx, u, replica_h_per_run[bidx])
        if batch is None:
            for i in bidx:
                excluded[i] = why
        else:
            replicas[bidx] = batch
    _unsized(excluded, rows, ok & realtime & (replicas == 0))
    valid = np.array([e == "" for e in excluded]) & (replicas > 0)
    r_safe = np.where(valid, replicas, 1.0)
    quantile = float(ctx.method("latency_quantile"))
    lat = serving.replica_latency(m, w, engine, peak / r_safe, quantile, curve)
    rho = serving.utilisation(m, w, engine, peak / r_safe, curve)
    # energy at the mean load of the active hours (real time) or saturated (batch runs)
    active_h = u["active_hours_per_day"]
    mean_rate = np.where(
        realtime, requests_per_day / (active_h * SECONDS_PER_HOUR) / r_safe, capacity
    )
    power, busy, idle = _power_w(ctx, rows, m, w, engine, curve, mean_rate, realtime, scenario)
    tp = rows.tp
    joules = energy_est.joules_per_token(power * tp, mean_rate * out)
    replica_h_per_day = replica_h_per_run * runs_per_day
    fleet = _fleet(ctx, tp, r_safe, realtime, active_h, replica_h_per_day, power, idle, vol)
    batch_turnaround_h = batch_wait_h(ctx, u) + replica_h_per_run / r_safe
    tokens_rep = capacity * out
    nan = np.full(n, math.nan)
    columns: dict[str, Any] = {
        "excluded_because": excluded,
        "gpus_per_replica": tp,
        "replicas": np.where(valid, replicas, nan),
        "batch_per_replica": np.where(valid, caps, nan),
        "gpus_total": np.where(valid, replicas * tp, nan),
        **_latency_columns(realtime, valid, lat, rho, d, batch_turnaround_h),
        "decode_ms_per_token_batch1": serving.zero_load_tpot_s(m, w) * 1000.0,
        "tokens_per_s_per_replica": tokens_rep,
        "max_tokens_per_s_per_gpu": tokens_rep / tp,
        "utilisation": np.where(realtime, busy, 1.0),
        "gpu_joules_per_output_token": np.where(valid, joules, nan),
        "generated_tokens": out,
    }
    return columns, fleet
