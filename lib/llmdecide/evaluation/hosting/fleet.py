"""What both self-hosted types share: GPU-hours, facility energy and embodied carbon of a fleet."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from llmdecide.estimators import energy as energy_est
from llmdecide.evaluation import retrieval
from llmdecide.evaluation.context import Context, pick
from llmdecide.units import HOURS_PER_DAY

if TYPE_CHECKING:
    from llmdecide.evaluation.rows import Rows

Array = NDArray[np.float64]


def by_key(keys: list[Any], fn: Any) -> list[Any]:
    """``fn(key)`` for every row, computed once per distinct key."""
    cache = {k: fn(k) for k in dict.fromkeys(keys)}  # distinct keys, in order of appearance
    return list(map(cache.__getitem__, keys))


def per_key(rows: Rows, names: str | tuple[str, ...], fn: Any) -> tuple[Array, ...]:
    """The figures of the tuple ``fn(key)`` for every row, one array per figure (a single
    figure: ``Rows.floats``), computed once per distinct value of the columns ``names``
    (``Rows.codes``: no per-row lookup). Each array is ``np.array`` of its figure over the rows:
    the same values and type as through ``by_key``."""
    distinct, index = rows.codes(*((names,) if isinstance(names, str) else names))
    found = [fn(k) for k in distinct]
    return tuple(np.array(figure)[index] for figure in zip(*found, strict=True))


def running_profile(
    fleet: Mapping[str, Any], spares: int = 0, sites: int = 1
) -> tuple[Array, Array, Array, Array]:
    """(peak GPUs, their hours per day, base GPUs, their hours per day) of the running fleet.

    Real time: the peak replicas during the active hours, the always-on minimum otherwise
    (autoscaling); batch: the replicas of a run during the run hours (the backlog's
    replica-hours / replicas), none otherwise. Availability runs k spares beside the replicas at
    every moment the fleet runs, at each of S sites: (r + k) × S."""
    tp, r = fleet["tp"], fleet["replicas"]
    active = fleet["active_h"]
    base_r = np.minimum(r, fleet["min_replicas"])
    with np.errstate(invalid="ignore", divide="ignore"):
        run_h = np.asarray(fleet["replica_h_per_day"], float) / r
    run_h = np.where(np.isfinite(run_h), run_h, 0.0)  # rows the sizing ruled out
    realtime = fleet["realtime"]
    peak = tp * (r + spares) * sites
    peak_h = np.where(realtime, active, run_h)
    base = np.where(realtime, tp * (base_r + spares) * sites, 0.0)
    base_h = np.where(realtime, HOURS_PER_DAY - active, 0.0)
    return peak, peak_h, base, base_h


def gpu_hours_per_month(fleet: Mapping[str, Any], spares: int = 0, sites: int = 1) -> Array:
    """GPU-hours of the running fleet (``running_profile``) over the month. Without spares and
    with one site: real time tp × (r × active h + min(r, m) × (24 − active h)) × days; batch the
    replica-hours the backlog needs (GPUs released between runs)."""
    peak, peak_h, base, base_h = running_profile(fleet, spares, sites)
    return (peak * peak_h + base * base_h) * fleet["days"]  # type: ignore[no-any-return]


def pue(ctx: Context, rows: Rows, scenario: str) -> Array:
    default = ctx.assumption("pue_default", scenario, "low")

    def of(code: str) -> float:
        value = ctx.catalog.regions[code].pue
        return float(value) if value is not None else default

    return rows.floats("region", of)


def server_w_per_gpu(ctx: Context, rows: Rows) -> Array:
    own = ctx.catalog.on_premise
    return rows.floats("gpu", lambda g: own[g].server_power_w_per_gpu if g in own else 0.0)


def energy_kwh_per_month(
    ctx: Context,
    rows: Rows,
    fleet: Mapping[str, Any],
    scenario: str,
    keep_all_on: bool,
    on_gpu_h_per_day: Array | None = None,
) -> Array:
    """Facility energy: busy GPUs at the power their steps draw, idle GPUs at idle power (the
    minimum replicas and the spares on rented GPUs, every owned GPU), with the server share and
    the PUE. ``on_gpu_h_per_day``: GPU-hours the fleet is powered a day (default: the sized
    replicas around the clock when ``keep_all_on``, the autoscaled fleet otherwise)."""
    tp, r, days = fleet["tp"], fleet["replicas"], fleet["days"]
    active = fleet["active_h"]
    server = server_w_per_gpu(ctx, rows)
    p = pue(ctx, rows, scenario)
    busy_gpu_h = np.where(fleet["realtime"], tp * r * active, tp * fleet["replica_h_per_day"])
    if on_gpu_h_per_day is not None:
        with np.errstate(invalid="ignore"):
            idle_gpu_h = np.nan_to_num(on_gpu_h_per_day - busy_gpu_h)
    elif keep_all_on:
        idle_gpu_h = tp * r * HOURS_PER_DAY - busy_gpu_h
    else:
        idle_gpu_h = np.where(
            fleet["realtime"],
            tp * np.minimum(r, fleet["min_replicas"]) * (HOURS_PER_DAY - active),
            0.0,
        )
    idle_gpu_h = np.maximum(idle_gpu_h, 0.0)
    busy = energy_est.energy_kwh(busy_gpu_h, fleet["power_w"], server, days, p)
    idle = energy_est.energy_kwh(idle_gpu_h, fleet["idle_w"], server, days, p)
    return np.asarray(busy + idle, dtype=float)


def embodied_per_gpu(ctx: Context, gpu: str, scenario: str) -> tuple[float, float]:
    """(kgCO2e per GPU with its server share, life in years); nothing claimed without a
    purchase record (its life is unknown)."""
    g = ctx.catalog.gpus[gpu]
    own = ctx.catalog.on_premise.get(gpu)
    if own is None:
        return 0.0, 1.0
    value = pick(g.embodied_kgco2e, scenario, "low") if g.embodied_kgco2e else 0.0
    if own.server_embodied_kgco2e_per_gpu is not None:
        value += pick(own.server_embodied_kgco2e_per_gpu, scenario, "low")
    return value, float(own.life_years)


def embodied(ctx: Context, rows: Rows, scenario: str) -> tuple[Array, Array]:
    """(kgCO2e per GPU with its server share, life in years) of every row."""
    per_gpu, life = per_key(rows, "gpu", lambda g: embodied_per_gpu(ctx, g, scenario))
    return per_gpu, life


def rag_costs(ctx: Context, rows: Rows, scenario: str, volume: Any = None) -> tuple[Array, Array]:
    """(monthly, set-up) retrieval cost of every row (USD), at each row's traffic multiple."""

    u = ctx.usage_at(scenario)
    vols = np.ones(len(rows.cands)) if volume is None else np.ravel(volume).astype(float)

    def of(key: tuple[str, float]) -> tuple[float, float]:
        rag, v = key
        scaled = {**u, "requests_per_day": u["requests_per_day"] * v}
        return retrieval.rag_costs_usd(ctx, rag, scaled, scenario)

    bits = vols.view(np.uint64)
    if bits.size and (bits == bits[0]).all():  # one traffic multiple: once per retrieval option
        v = float(vols[0])
        monthly, setup = per_key(rows, "rag", lambda rag: of((rag, v)))
        return monthly, setup
    pairs = by_key(list(zip(rows.col("rag"), vols.tolist(), strict=True)), of)
    return np.array([m for m, _ in pairs]), np.array([s for _, s in pairs])


def intensity(ctx: Context, rows: Rows) -> Array:
    return rows.floats("region", ctx.intensity_g_per_kwh.__getitem__)


def nan_array(n: int) -> Array:
    return np.full(n, math.nan)
